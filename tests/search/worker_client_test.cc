// The C++ worker against fake coordinators on loopback: one that does not know the token, one
// that forges messages after the handshake, one that speaks another protocol, one that never
// answers. None of them may get the worker to run anything, and none may hang it.

#include "search/net/worker_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/net/auth.h"
#include "search/net/protocol.h"

namespace autoaug::net {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using tcp = asio::ip::tcp;

const std::string kToken = "0123456789abcdef-test-token";

std::string read_body(tcp::socket& socket) {
  unsigned char header[4];
  asio::read(socket, asio::buffer(header));
  std::string body(decode_length(header, kDefaultMaxFrame), '\0');
  asio::read(socket, asio::buffer(body));
  return body;
}

void write_bytes(tcp::socket& socket, const std::string& bytes) {
  asio::write(socket, asio::buffer(bytes));
}

// Bytes the peer sends until it closes the connection.
std::size_t drain(tcp::socket& socket) {
  std::size_t total = 0;
  boost::system::error_code ec;
  char buf[4096];
  while (!ec) total += socket.read_some(asio::buffer(buf), ec);
  return total;
}

// A coordinator impostor: accepts connections on loopback, one at a time in a thread, and runs
// `script(socket, index)` on each (index counts connections from 0). Sockets stay open until the
// fake is destroyed, so a script that returns at once leaves a silent peer.
class FakeCoordinator {
 public:
  using Script = std::function<void(tcp::socket&, int index)>;

  explicit FakeCoordinator(Script script)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)),
        thread_([this] { serve(); }) {}

  ~FakeCoordinator() {
    stopping_ = true;
    asio::io_context io;
    tcp::socket wake(io);  // unblocks accept()
    boost::system::error_code ec;
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
    thread_.join();
  }

  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  void serve() {
    for (int index = 0;; ++index) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      try {
        script_(socket, index);
      } catch (const std::exception&) {
        // The worker hung up on the script: that is what most tests expect.
      }
      open_.push_back(std::move(socket));
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Script script_;
  std::atomic<bool> stopping_{false};
  std::vector<tcp::socket> open_;
  std::thread thread_;  // last: starts once the rest is built
};

fs::path marker_path(const std::string& name) {
  return fs::temp_directory_path() /
         ("autoaug_worker_client_test_" + name + "_" + std::to_string(::getpid()));
}

// The welcome and lease an impostor would like the worker to act on: a command objective that
// creates `marker`.
json evil_welcome(const fs::path& marker) {
  return {{"type", "welcome"},
          {"objective",
           {{"kind", "command"}, {"command", "touch " + marker.string()}, {"timeout_seconds", 0}}},
          {"heartbeat_seconds", 1},
          {"lease_seconds", 60},
          {"study", "fake"}};
}
const json kLease = {{"type", "lease"}, {"trial", 0},   {"params", {{"x", 1}}},
                     {"seed", 1},       {"attempt", 1}, {"deadline_seconds", 60}};

// Records what the worker was asked to build and run; running the command would create the
// marker file.
struct Recorder {
  std::mutex mutex;
  int built = 0;
  int ran = 0;

  ObjectiveFactory factory() {
    return [this](const json& spec) -> WorkerObjective {
      std::lock_guard lock(mutex);
      ++built;
      const std::string command = spec.value("command", "true");
      return [this, command](const Lease&, const std::atomic<bool>&) {
        {
          std::lock_guard lock(mutex);
          ++ran;
        }
        const int status = std::system(command.c_str());
        return TrialOutcome{search::TrialResult::complete(status)};
      };
    };
  }
};

WorkerOptions options(int port) {
  WorkerOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.token = kToken;
  o.name = "victim";
  o.give_up_after_seconds = 2;
  o.reply_timeout_seconds = 1;
  return o;
}

TEST(WorkerClient, RefusesACoordinatorThatDoesNotKnowTheToken) {
  const fs::path marker = marker_path("impostor");
  fs::remove(marker);
  std::promise<std::size_t> after_hello;
  FakeCoordinator fake([&](tcp::socket& socket, int) {
    const json hello = parse_message(read_body(socket));
    EXPECT_TRUE(hello.contains("nonce"));
    // Without the token the proof can only be a guess; then it acts as if the worker had
    // answered, with everything sent at once.
    write_bytes(socket, encode_frame({{"type", "challenge"},
                                      {"nonce", random_nonce_hex()},
                                      {"protocol", kProtocolVersion},
                                      {"study", "fake"},
                                      {"proof", random_nonce_hex()}}) +
                            encode_frame(evil_welcome(marker)) + encode_frame(kLease));
    after_hello.set_value(drain(socket));
  });
  Recorder recorder;
  const WorkerSummary w = run_worker(options(fake.port()), recorder.factory());
  EXPECT_EQ(w.exit_code, 2) << w.reason;
  EXPECT_NE(w.reason.find("did not prove it knows the token"), std::string::npos) << w.reason;
  EXPECT_NE(w.reason.find("nothing was run"), std::string::npos) << w.reason;
  EXPECT_EQ(recorder.built, 0);
  EXPECT_EQ(recorder.ran, 0);
  EXPECT_FALSE(fs::exists(marker));
  // The worker closed without answering the challenge (no auth to replay elsewhere).
  EXPECT_EQ(after_hello.get_future().get(), 0u);
}

TEST(WorkerClient, RefusesAChallengeWithoutProofOrOfAnotherProtocol) {
  for (const json& challenge : {json{{"type", "challenge"},
                                     {"nonce", random_nonce_hex()},
                                     {"protocol", kProtocolVersion},
                                     {"study", "no proof"}},
                                json{{"type", "challenge"},
                                     {"nonce", random_nonce_hex()},
                                     {"protocol", 1},
                                     {"study", "old"}}}) {
    FakeCoordinator fake([&](tcp::socket& socket, int) {
      read_body(socket);
      write_bytes(socket, encode_frame(challenge));
      drain(socket);
    });
    Recorder recorder;
    const WorkerSummary w = run_worker(options(fake.port()), recorder.factory());
    EXPECT_EQ(w.exit_code, 2) << w.reason;
    const std::string expected = challenge["protocol"] == 1
                                     ? "speaks protocol 1; this worker speaks 2"
                                     : "did not prove it knows the token";
    EXPECT_NE(w.reason.find(expected), std::string::npos) << w.reason;
    EXPECT_EQ(recorder.built, 0);
  }
}

// The coordinator's side of a handshake with the real token (as a relay that passes it through
// would have it): the session's seal, from which on every frame is sealed.
SessionMac genuine_handshake(tcp::socket& socket) {
  const std::string worker_nonce = parse_message(read_body(socket))["nonce"];
  const std::string nonce = random_nonce_hex();
  write_bytes(socket,
              encode_frame({{"type", "challenge"},
                            {"nonce", nonce},
                            {"protocol", kProtocolVersion},
                            {"study", "genuine"},
                            {"proof", coordinator_proof_hex(kToken, worker_nonce, nonce)}}));
  const json auth = parse_message(read_body(socket));
  EXPECT_TRUE(auth_verify(kToken, nonce, worker_nonce, auth["hmac"].get<std::string>()));
  return SessionMac(kToken, nonce, worker_nonce, Side::kCoordinator);
}

// A relay between the worker and the real coordinator can pass the handshake through, but what
// it adds afterwards is not sealed with the session key: the worker drops the connection.
TEST(WorkerClient, DropsAConnectionThatCarriesAnUnsealedMessage) {
  const fs::path marker = marker_path("relay");
  fs::remove(marker);
  FakeCoordinator fake([&](tcp::socket& socket, int index) {
    if (index > 0) return;  // later connections: a silent peer
    SessionMac mac = genuine_handshake(socket);
    write_bytes(socket, frame_of(mac.seal(encode_body(evil_welcome(marker)))));
    EXPECT_TRUE(mac.open(read_body(socket)));   // the worker's sealed request
    write_bytes(socket, encode_frame(kLease));  // injected, unsealed
    drain(socket);
  });
  Recorder recorder;
  const WorkerSummary w = run_worker(options(fake.port()), recorder.factory());
  EXPECT_EQ(w.exit_code, 3) << w.reason;
  EXPECT_EQ(recorder.built, 1);  // the sealed welcome was genuine
  EXPECT_EQ(recorder.ran, 0);
  EXPECT_FALSE(fs::exists(marker));
}

// A coordinator that knows the token but whose welcome is over the worker's frame limit: the
// worker says so at once and stops, instead of reconnecting silently until it gives up.
TEST(WorkerClient, SaysSoWhenTheWelcomeIsOverItsFrameLimit) {
  std::atomic<int> connections = 0;
  std::atomic<std::size_t> sent = 0;
  FakeCoordinator fake([&](tcp::socket& socket, int) {
    ++connections;
    SessionMac mac = genuine_handshake(socket);
    json welcome = evil_welcome(marker_path("big"));
    welcome["objective"]["padding"] = std::string(kDefaultMaxFrame, 'x');
    const std::string body = mac.seal(encode_body(welcome));
    sent = body.size();
    write_bytes(socket, frame_of(body));
    drain(socket);
  });
  Recorder recorder;
  WorkerOptions o = options(fake.port());
  o.give_up_after_seconds = 5;  // the old silent retries ended here, with exit 3
  const WorkerSummary w = run_worker(o, recorder.factory());
  EXPECT_EQ(w.exit_code, 2) << w.reason;
  EXPECT_NE(w.reason.find("over this worker's frame limit (frame of " + std::to_string(sent) +
                          " bytes exceeds the limit of " + std::to_string(kDefaultMaxFrame) + ")"),
            std::string::npos)
      << w.reason;
  EXPECT_EQ(connections, 1);
  EXPECT_EQ(recorder.built, 0);
}

// A coordinator that accepts and never says anything: the worker gives up instead of hanging.
TEST(WorkerClient, GivesUpOnACoordinatorThatNeverAnswers) {
  std::atomic<int> connections{0};
  FakeCoordinator fake([&](tcp::socket&, int) { ++connections; });
  Recorder recorder;
  const WorkerSummary w = run_worker(options(fake.port()), recorder.factory());
  EXPECT_EQ(w.exit_code, 3) << w.reason;
  EXPECT_NE(w.reason.find("no coordinator at"), std::string::npos) << w.reason;
  EXPECT_GE(connections.load(), 1);
  EXPECT_EQ(recorder.built, 0);
}

// The reply timeout never outlasts give_up_after_seconds: a worker told to give up after 1 s does
// not wait out an hour-long reply timeout on a coordinator that never answers.
TEST(WorkerClient, GivesUpBeforeALongerReplyTimeout) {
  FakeCoordinator fake([](tcp::socket&, int) {});
  WorkerOptions o = options(fake.port());
  o.reply_timeout_seconds = 3600;
  o.give_up_after_seconds = 1;
  Recorder recorder;
  const WorkerSummary w = run_worker(o, recorder.factory());
  EXPECT_EQ(w.exit_code, 3) << w.reason;
  EXPECT_NE(w.reason.find("no coordinator at"), std::string::npos) << w.reason;
}

// A listener whose accept queue is full drops new connection attempts (Linux drops the SYN), so
// a connect to it only ends by its own deadline: the worker still gives up.
TEST(WorkerClient, GivesUpOnAConnectThatNeverCompletes) {
  asio::io_context io;
  tcp::acceptor full(io);
  const tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
  full.open(loopback.protocol());
  full.bind(loopback);
  full.listen(0);  // room for one connection that is never accepted
  tcp::socket filler(io);
  filler.connect(full.local_endpoint());
  WorkerOptions o = options(full.local_endpoint().port());
  o.give_up_after_seconds = 1;
  Recorder recorder;
  const WorkerSummary w = run_worker(o, recorder.factory());
  EXPECT_EQ(w.exit_code, 3) << w.reason;
  EXPECT_NE(w.reason.find("no coordinator at"), std::string::npos) << w.reason;
  EXPECT_EQ(recorder.built, 0);
}

}  // namespace
}  // namespace autoaug::net
