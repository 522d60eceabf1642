// The coordinator and the C++ worker over loopback: leases, re-queues, resume and hostile clients.

#include "search/net/coordinator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "search/net/asio.h"
#include "search/net/auth.h"
#include "search/net/protocol.h"
#include "search/net/worker_client.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tests/search/gated_strategy.h"

namespace autoaug::net {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using tcp = asio::ip::tcp;

const std::string kToken = "0123456789abcdef-test-token";

search::Space test_space() {
  return search::Space(
      {search::Dimension::real("x", -5, 5), search::Dimension::integer("k", 0, 1000)});
}

fs::path fresh_db(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("autoaug_coordinator_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir / "study.db";
}

// A study, its store (at `db`, created unless `existing`) and a coordinator serving it from a
// thread.
struct Served {
  Served(const fs::path& db, int target, CoordinatorOptions o = {}, bool existing = false,
         std::unique_ptr<search::Strategy> strategy = nullptr)
      : store(existing ? search::StudyStore::open(db.string())
                       : search::StudyStore::create(db.string(), {{"seed", 7}})),
        study(test_space(),
              strategy ? std::move(strategy) : search::make_strategy("random", 7, 3, "strategy")) {
    o.token = kToken;
    o.target_complete = target;
    coordinator = std::make_unique<Coordinator>(study, store, json{{"kind", "test"}}, o);
    coordinator->on_trial_finished([this](const search::Study&, const search::Trial& t,
                                          const json&) { finished.push_back(t.number); });
    thread = std::thread([this] { summary = coordinator->run(); });
  }
  ~Served() {
    coordinator->stop();
    wait();
  }
  void wait() {
    if (thread.joinable()) thread.join();
  }

  search::StudyStore store;
  search::Study study;
  std::unique_ptr<Coordinator> coordinator;
  std::vector<int> finished;
  CoordinatorSummary summary;
  std::thread thread;
};

// Objective: x^2 + k, so every value is distinct enough to tell trials apart.
WorkerSummary work(int port, const std::string& token = kToken, const std::string& name = "w",
                   double give_up_after = 2) {
  WorkerOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.token = token;
  o.name = name;
  o.give_up_after_seconds = give_up_after;
  return run_worker(o, [](const json&) {
    return [](const Lease& lease, const std::atomic<bool>&) {
      const double x = lease.params["x"];
      return TrialOutcome{search::TrialResult::complete(x * x + lease.params["k"].get<int>()),
                          {{"seed", lease.seed}}};
    };
  });
}

// A hand-driven client speaking the protocol frame by frame. After authenticate() it seals what
// it sends and opens what it receives, as a worker does.
struct RawClient {
  explicit RawClient(int port) : socket(io) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const json& m) {
    const std::string body = encode_body(m);
    send_bytes(frame_of(mac ? mac->seal(body) : body));
  }
  void send_bytes(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  std::string receive_body() {
    unsigned char header[4];
    asio::read(socket, asio::buffer(header));
    std::string body(decode_length(header, 1u << 20), '\0');
    asio::read(socket, asio::buffer(body));
    return body;
  }
  // The next message; once authenticated it must be sealed by the coordinator.
  json receive() {
    const std::string body = receive_body();
    if (mac && !mac->open(body)) throw std::runtime_error("unsealed or forged: " + body);
    return parse_message(body);
  }
  // True when the coordinator closed the connection (any pending frames are skipped).
  bool closed_by_peer() {
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) socket.read_some(asio::buffer(buf), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  // hello, challenge, auth; the welcome (or error) is left to read.
  void authenticate(const std::string& token = kToken) {
    const std::string nonce = random_nonce_hex();
    send({{"type", "hello"}, {"protocol", kProtocolVersion}, {"worker", "raw"}, {"nonce", nonce}});
    const json challenge = receive();
    const std::string coordinator_nonce = challenge["nonce"];
    send({{"type", "auth"}, {"hmac", auth_hmac_hex(token, coordinator_nonce, nonce)}});
    mac.emplace(token, coordinator_nonce, nonce, Side::kWorker);
  }
  asio::io_context io;
  tcp::socket socket;
  std::optional<SessionMac> mac;
};

// An objective too large for the welcome frame would be refused by every worker (each closes
// on the frame header): the coordinator says so before it listens.
TEST(Coordinator, RefusesAnObjectiveOverTheFrameLimit) {
  search::StudyStore store = search::StudyStore::create(fresh_db("big").string(), {{"seed", 7}});
  search::Study study(test_space(), search::make_strategy("random", 7, 3, "strategy"));
  CoordinatorOptions o;
  o.token = kToken;
  o.target_complete = 1;
  o.max_frame = 4096;
  const json objective = {{"kind", "test"}, {"padding", std::string(5000, 'x')}};
  try {
    Coordinator coordinator(study, store, objective, o);
    FAIL() << "an objective of 5,000 bytes was accepted under a 4,096-byte frame limit";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(" bytes (5028 of them the objective), over the frame "
                                         "limit of 4096 bytes"),
              std::string::npos)
        << e.what();
  }
  o.max_frame = 8192;
  EXPECT_NO_THROW(Coordinator(study, store, objective, o));
}

TEST(Coordinator, WorkersCompleteEveryTrialExactlyOnce) {
  Served s(fresh_db("exactly_once"), 40);
  std::vector<std::thread> workers;
  std::atomic<int> completed{0};
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&, i] {
      const WorkerSummary w = work(s.coordinator->port(), kToken, "w" + std::to_string(i));
      EXPECT_EQ(w.exit_code, 0) << w.reason;
      completed += w.completed;
    });
  }
  for (auto& t : workers) t.join();
  s.wait();
  EXPECT_TRUE(s.summary.finished);
  EXPECT_EQ(completed.load(), 40);
  const auto counts = s.store.counts();
  EXPECT_EQ(counts.at(search::StoredState::kComplete), 40);
  EXPECT_EQ(std::set<int>(s.finished.begin(), s.finished.end()).size(), 40u);
  std::set<std::string> keys;
  for (const auto& t : s.study.trials()) keys.insert(s.study.space().key(t.params));
  EXPECT_EQ(keys.size(), s.study.trials().size());
  for (const auto& t : s.store.trials()) EXPECT_TRUE(t.metrics.contains("seed"));
}

TEST(Coordinator, WrongTokenIsRefusedAndOthersGoOn) {
  Served s(fresh_db("wrong_token"), 5);
  const WorkerSummary bad = work(s.coordinator->port(), "not-the-right-token-at-all", "bad");
  EXPECT_EQ(bad.exit_code, 2);
  // With another token the worker cannot check the coordinator's proof, and stops there.
  EXPECT_NE(bad.reason.find("did not prove it knows the token"), std::string::npos) << bad.reason;
  const WorkerSummary good = work(s.coordinator->port());
  EXPECT_EQ(good.completed, 5);
  s.wait();
}

TEST(Coordinator, HostileClientsAreDroppedAlone) {
  CoordinatorOptions o;
  o.auth_timeout_seconds = 0.3;
  o.max_connections = 16;
  Served s(fresh_db("hostile"), 6, o);
  const int port = s.coordinator->port();
  std::mt19937_64 rng(11);
  {
    RawClient garbage(port);  // random bytes
    std::string bytes(4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    bytes[0] = 0;  // a plausible length, then junk
    garbage.send_bytes(bytes);
    EXPECT_TRUE(garbage.closed_by_peer());
  }
  {
    RawClient huge(port);  // a length prefix of 4 GiB
    huge.send_bytes(std::string("\xff\xff\xff\xff", 4));
    EXPECT_TRUE(huge.closed_by_peer());
  }
  {
    RawClient early(port);  // a request before authenticating
    early.send({{"type", "request"}});
    EXPECT_TRUE(early.closed_by_peer());
  }
  {
    RawClient wrong(port);
    wrong.authenticate("a-wrong-token-of-some-length");
    const json error = parse_message(wrong.receive_body());  // not sealed: no session
    EXPECT_EQ(error["type"], "error");
    EXPECT_EQ(error["message"], "authentication failed");
    EXPECT_TRUE(wrong.closed_by_peer());
  }
  {
    RawClient silent(port);  // half-open: connects, says nothing
    EXPECT_TRUE(silent.closed_by_peer());
  }
  std::vector<std::unique_ptr<RawClient>> flood;  // more connections than allowed
  for (int i = 0; i < 40; ++i) flood.push_back(std::make_unique<RawClient>(port));
  for (auto& c : flood) EXPECT_TRUE(c->closed_by_peer());  // refused, or timed out unauthenticated
  flood.clear();
  const WorkerSummary good = work(port);
  EXPECT_EQ(good.completed, 6);
  s.wait();
  EXPECT_GT(s.summary.refused, 0u);  // the flood went over the limit of 4 unauthenticated
}

TEST(Coordinator, OlderProtocolAndMissingNonceGetAClearError) {
  Served s(fresh_db("old_protocol"), 2);
  const int port = s.coordinator->port();
  {
    RawClient old(port);
    old.send({{"type", "hello"}, {"protocol", 1}, {"worker", "v1"}});
    const json error = old.receive();
    EXPECT_EQ(error["type"], "error");
    EXPECT_EQ(error["message"], "protocol 1 is not supported; this coordinator speaks 2");
    EXPECT_TRUE(old.closed_by_peer());
  }
  {
    RawClient no_nonce(port);
    no_nonce.send({{"type", "hello"}, {"protocol", kProtocolVersion}, {"worker", "no-nonce"}});
    const json error = no_nonce.receive();
    EXPECT_EQ(error["type"], "error");
    EXPECT_NE(error["message"].get<std::string>().find("'nonce'"), std::string::npos) << error;
    EXPECT_TRUE(no_nonce.closed_by_peer());
  }
  EXPECT_EQ(work(port).completed, 2);
  s.wait();
}

// The error that closes an authenticated connection is sealed too.
void expect_authentication_error(RawClient& c) {
  const json error = c.receive();
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["message"], "message authentication failed");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Coordinator, UnsealedForgedOrReplayedMessagesAreDroppedAlone) {
  Served s(fresh_db("sealed"), 5);
  const int port = s.coordinator->port();
  {
    RawClient unsealed(port);
    unsealed.authenticate();
    EXPECT_EQ(unsealed.receive()["type"], "welcome");
    unsealed.send_bytes(encode_frame({{"type", "request"}}));
    expect_authentication_error(unsealed);
  }
  {
    RawClient forged(port);
    forged.authenticate();
    EXPECT_EQ(forged.receive()["type"], "welcome");
    std::string body = forged.mac->seal(R"({"type":"request"})");
    body[body.size() - 3] = body[body.size() - 3] == '0' ? '1' : '0';  // a digit of the MAC
    forged.send_bytes(frame_of(body));
    expect_authentication_error(forged);
  }
  {
    RawClient replay(port);
    replay.authenticate();
    EXPECT_EQ(replay.receive()["type"], "welcome");
    const std::string request = frame_of(replay.mac->seal(R"({"type":"request"})"));
    replay.send_bytes(request);
    const json lease = replay.receive();
    EXPECT_EQ(lease["type"], "lease");
    replay.send_bytes(frame_of(replay.mac->seal(
        encode_body({{"type", "result"}, {"trial", lease["trial"]}, {"value", 1.0}}))));
    EXPECT_EQ(replay.receive()["type"], "ack");
    replay.send_bytes(request);  // the same sealed request again
    expect_authentication_error(replay);
  }
  const WorkerSummary honest = work(port, kToken, "honest");
  EXPECT_EQ(honest.exit_code, 0) << honest.reason;
  EXPECT_EQ(honest.completed, 4);  // the replaying client's result counts
  s.wait();
  EXPECT_TRUE(s.summary.finished);
  EXPECT_EQ(s.store.counts().at(search::StoredState::kComplete), 5);
}

TEST(Coordinator, LostLeasesAreQueuedAgainAndCompletedByOthers) {
  CoordinatorOptions o;
  o.lease_seconds = 0.5;
  Served s(fresh_db("lost_leases"), 4, o);
  const int port = s.coordinator->port();
  RawClient silent(port);  // takes a lease and stops heartbeating (a hung machine)
  silent.authenticate();
  EXPECT_EQ(silent.receive()["type"], "welcome");
  silent.send({{"type", "request"}});
  const int silent_trial = silent.receive()["trial"];
  int vanished_trial = -1;
  {
    RawClient vanished(port);  // takes a lease, then its connection drops (killed worker)
    vanished.authenticate();
    EXPECT_EQ(vanished.receive()["type"], "welcome");
    vanished.send({{"type", "request"}});
    vanished_trial = vanished.receive()["trial"];
  }
  const WorkerSummary good = work(port);
  EXPECT_EQ(good.completed, 4);
  s.wait();
  EXPECT_TRUE(silent.closed_by_peer());  // the study is over: the coordinator has closed
  const auto vanished = s.store.trial(vanished_trial);
  const auto silent_t = s.store.trial(silent_trial);
  ASSERT_TRUE(vanished && silent_t);
  EXPECT_EQ(vanished->state, search::StoredState::kComplete);
  EXPECT_EQ(silent_t->state, search::StoredState::kComplete);
  EXPECT_EQ(vanished->attempts, 2);
  EXPECT_EQ(silent_t->attempts, 2);
  bool requeued = false;
  for (const auto& e : s.store.events(1000)) requeued |= e.kind == "requeued";
  EXPECT_TRUE(requeued);
}

// An authenticated raw client that holds the lease of one trial.
struct Leaseholder : RawClient {
  explicit Leaseholder(int port) : RawClient(port) {
    authenticate();
    EXPECT_EQ(receive()["type"], "welcome");
    send({{"type", "request"}});
    const json lease = receive();
    EXPECT_EQ(lease["type"], "lease");
    trial = lease["trial"];
  }
  // Sends `m` for the held trial and returns the reply.
  json report(json m) {
    m["trial"] = trial;
    send(m);
    return receive();
  }
  int trial = -1;
};

// The study ends by failures while another worker holds a lease. What that worker sends for its
// trial afterwards (a result, a duplicate, a failure) is acknowledged as ignored; the trial stays
// queued in the store, and the summary counts it there.
TEST(Coordinator, ReportsAfterTheStudyEndedByFailuresAreIgnored) {
  CoordinatorOptions o;
  o.max_failed = 1;
  Served s(fresh_db("ended_by_failures"), 5, o);
  Leaseholder failing(s.coordinator->port());
  Leaseholder late(s.coordinator->port());
  ASSERT_NE(failing.trial, late.trial);
  const json failed = failing.report({{"type", "failure"}, {"message", "boom"}});
  EXPECT_EQ(failed["type"], "ack");
  EXPECT_FALSE(failed.contains("ignored")) << failed;
  for (const json& m :
       {json{{"type", "result"}, {"value", 1.0}}, json{{"type", "result"}, {"value", 2.0}},
        json{{"type", "failure"}, {"message", "late"}}}) {
    const json ack = late.report(m);
    EXPECT_EQ(ack["type"], "ack") << ack;
    EXPECT_EQ(ack.value("ignored", false), true) << m << " got " << ack;
  }
  EXPECT_EQ(late.report({{"type", "heartbeat"}})["type"], "cancel");
  late.send({{"type", "request"}});
  EXPECT_EQ(late.receive()["type"], "done");
  failing.send({{"type", "bye"}});
  late.send({{"type", "bye"}});
  s.wait();
  EXPECT_TRUE(s.summary.finished);
  EXPECT_EQ(s.summary.reason, "1 trials failed");
  EXPECT_EQ(s.summary.complete, 0);
  EXPECT_EQ(s.summary.failed, 1);
  EXPECT_EQ(s.summary.queued, 1);
  EXPECT_EQ(s.summary.running, 0);
  EXPECT_EQ(s.finished, std::vector<int>{failing.trial});
  EXPECT_EQ(s.store.trial(failing.trial)->state, search::StoredState::kFailed);
  EXPECT_EQ(s.store.trial(late.trial)->state, search::StoredState::kQueued);
  EXPECT_EQ(s.store.counts().at(search::StoredState::kComplete), 0);
}

// While the strategy is inside a proposal (for a second worker's request), the coordinator still
// answers the first worker's heartbeat and result. The gate opens once those answers are in; a
// safety thread opens it after a minute otherwise, so a regression fails instead of hanging.
TEST(Coordinator, HeartbeatsAndResultsAreAnsweredDuringAProposal) {
  std::promise<void> entered, release;
  std::atomic<bool> released_early{false};
  auto gate = release.get_future().share();
  Served s(fresh_db("slow_proposal"), 2, {}, false,
           std::make_unique<search::GatedStrategy>(entered, gate));
  Leaseholder first(s.coordinator->port());  // the first proposal is not gated
  RawClient second(s.coordinator->port());
  second.authenticate();
  EXPECT_EQ(second.receive()["type"], "welcome");
  second.send({{"type", "request"}});
  entered.get_future().wait();  // the strategy is proposing the second trial now
  std::thread safety([&] {
    if (gate.wait_for(std::chrono::minutes(1)) == std::future_status::timeout) {
      released_early = true;
      release.set_value();
    }
  });
  EXPECT_EQ(first.report({{"type", "heartbeat"}})["type"], "ack");
  EXPECT_EQ(first.report({{"type", "result"}, {"value", 3.0}})["type"], "ack");
  EXPECT_FALSE(released_early) << "the answers waited for the proposal";
  if (!released_early) release.set_value();
  safety.join();
  const json lease = second.receive();
  EXPECT_EQ(lease["type"], "lease");
  EXPECT_EQ(lease["trial"], 1);
  first.send({{"type", "bye"}});
  second.send({{"type", "bye"}});
}

// A revoked lease stops its training: the study ends (by a failure elsewhere) while a C++ worker
// trains; the `cancel` answering its next heartbeat sets the objective's cancel flag, and the
// worker then learns the study is done. The objective gives up after a minute, so a regression
// fails instead of hanging.
TEST(Coordinator, ARevokedLeaseCancelsTheRunningObjective) {
  CoordinatorOptions o;
  o.max_failed = 1;
  o.heartbeat_seconds = 0.1;
  Served s(fresh_db("revoked"), 5, o);
  std::promise<void> started;
  std::atomic<bool> saw_cancel{false};
  auto worker = std::async(std::launch::async, [&] {
    WorkerOptions w;
    w.host = "127.0.0.1";
    w.port = s.coordinator->port();
    w.token = kToken;
    w.name = "trainer";
    return run_worker(w, [&](const json&) {
      return [&](const Lease&, const std::atomic<bool>& cancel) {
        started.set_value();
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        while (!cancel && std::chrono::steady_clock::now() < give_up) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        saw_cancel = cancel.load();
        return TrialOutcome{search::TrialResult::complete(0.0)};
      };
    });
  });
  started.get_future().wait();  // the worker holds a lease and trains
  Leaseholder failing(s.coordinator->port());
  EXPECT_EQ(failing.report({{"type", "failure"}, {"message", "boom"}})["type"], "ack");
  const WorkerSummary summary = worker.get();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(summary.exit_code, 0) << summary.reason;
  EXPECT_EQ(summary.completed, 0);  // a cancelled trial's result is not sent
  failing.send({{"type", "bye"}});
  s.wait();
  EXPECT_EQ(s.summary.reason, "1 trials failed");
}

// Slurm's scancel signals the worker and its objective's children at once: the objective fails
// ("killed by signal 15") as the worker's stop flag is set. The trial goes back to the queue and
// another worker completes it; nothing is stored as failed.
TEST(Coordinator, AWorkerStoppedAsItsObjectiveFailsHandsTheTrialBack) {
  Served s(fresh_db("stopped_failing"), 3);
  std::atomic<bool> stop{false};
  WorkerOptions w;
  w.host = "127.0.0.1";
  w.port = s.coordinator->port();
  w.token = kToken;
  w.name = "signalled";
  w.stop = &stop;
  const WorkerSummary stopped = run_worker(w, [&](const json&) {
    return [&](const Lease&, const std::atomic<bool>&) {
      stop = true;  // the signal reaches the worker and its child together
      return TrialOutcome{search::TrialResult::failed("killed by signal 15 (Terminated)")};
    };
  });
  EXPECT_EQ(stopped.exit_code, 130) << stopped.reason;
  EXPECT_EQ(work(s.coordinator->port()).exit_code, 0);
  s.wait();
  const auto counts = s.store.counts();
  EXPECT_EQ(counts.at(search::StoredState::kComplete), 3);
  EXPECT_EQ(counts.at(search::StoredState::kFailed), 0);
  EXPECT_EQ(stopped.failed, 0);
}

TEST(Coordinator, ResumeQueuesRunningTrialsAgain) {
  const fs::path db = fresh_db("resume");
  int leased = -1;
  {
    std::optional<RawClient> c;  // outlives the coordinator: its lease is never given back
    Served s(db, 3);
    c.emplace(s.coordinator->port());
    c->authenticate();
    EXPECT_EQ(c->receive()["type"], "welcome");
    c->send({{"type", "request"}});
    leased = c->receive()["trial"];
  }
  EXPECT_EQ(search::StudyStore::open(db.string()).trial(leased)->state,
            search::StoredState::kRunning);
  Served again(db, 3, {}, /*existing=*/true);
  EXPECT_EQ(again.study.trials().size(), 1u);
  const WorkerSummary w = work(again.coordinator->port());
  EXPECT_EQ(w.completed, 3);
  again.wait();
  EXPECT_EQ(again.store.trial(leased)->state, search::StoredState::kComplete);
  EXPECT_EQ(again.store.counts().at(search::StoredState::kComplete), 3);
}

// A worker outlives its coordinator: it reconnects with backoff to the restarted one (same
// address) and the study finishes.
TEST(Coordinator, WorkersRejoinARestartedCoordinator) {
  const fs::path db = fresh_db("restart");
  std::optional<Served> first;
  first.emplace(db, 1000);
  const int port = first->coordinator->port();
  std::promise<WorkerSummary> result;
  std::thread worker([&] { result.set_value(work(port, kToken, "survivor", 30)); });
  // Let it complete a few trials, then stop the coordinator under it.
  while (search::StudyStore::open(db.string(), true).counts().at(search::StoredState::kComplete) <
         3) {
    std::this_thread::yield();
  }
  first.reset();
  const int before =
      search::StudyStore::open(db.string(), true).counts().at(search::StoredState::kComplete);
  CoordinatorOptions o;
  o.port = port;
  Served second(db, before + 5, o, /*existing=*/true);
  worker.join();
  const WorkerSummary w = result.get_future().get();
  EXPECT_EQ(w.exit_code, 0) << w.reason;
  second.wait();
  EXPECT_TRUE(second.summary.finished);
  EXPECT_EQ(second.store.counts().at(search::StoredState::kComplete), before + 5);
}

}  // namespace
}  // namespace autoaug::net
