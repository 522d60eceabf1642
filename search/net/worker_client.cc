#include "search/net/worker_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <optional>
#include <thread>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/net/auth.h"
#include "search/net/protocol.h"

namespace autoaug::net {
namespace {

using json = nlohmann::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The connection is gone (or the coordinator answers nonsense): reconnect.
struct ConnectionLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The coordinator refused this worker: reconnecting would not help.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// This worker refuses the coordinator (it did not prove it knows the token, or speaks another
// protocol): reconnecting would not help.
struct Declined : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Stopped {};

bool stop_requested(const WorkerOptions& o) { return o.stop != nullptr && o.stop->load(); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A non-blocking read or write that should wait and try again.
bool not_ready(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::interrupted;
}

// How long a receive may wait.
enum class Wait { kReply, kParked };

// The reply timeout in effect: never longer than give_up_after_seconds (when that is positive), so
// a silent coordinator cannot keep the worker past the time it was told to give up after.
double effective_reply_timeout(const WorkerOptions& o) {
  if (o.give_up_after_seconds <= 0) return o.reply_timeout_seconds;
  if (o.reply_timeout_seconds <= 0) return o.give_up_after_seconds;
  return std::min(o.reply_timeout_seconds, o.give_up_after_seconds);
}

// One connection. The socket is non-blocking; the connect and every read and write wait with
// poll(), bounded by the effective reply timeout, and notice a stop request within 100 ms.
class Session {
 public:
  Session(asio::io_context& io, const WorkerOptions& o)
      : socket_(io), o_(o), timeout_(effective_reply_timeout(o)), decoder_(o.max_frame) {}

  // Connects to the first address of the coordinator's host that answers within the timeout
  // (one deadline for all of them). Throws ConnectionLost when none does.
  void connect() {
    tcp::resolver resolver(socket_.get_executor());
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(o_.host, std::to_string(o_.port), ec);
    if (ec) throw ConnectionLost("cannot resolve " + o_.host + ": " + ec.message());
    const auto deadline = deadline_after(timeout_);
    std::string error = "no address for " + o_.host;
    for (const auto& entry : endpoints) {
      error = try_connect(entry.endpoint(), deadline);
      if (error.empty()) break;
    }
    if (!error.empty()) throw ConnectionLost(error);
    socket_.set_option(tcp::no_delay(true), ec);
    // A coordinator machine that vanishes without closing the connection is noticed within
    // about a minute, even while a request waits for a trial (which may take long).
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
    const int idle = 30, interval = 10, count = 3;
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  }

  // From now on every frame sent is sealed and every frame received must open (auth.h).
  void start_sealing(const std::string& coordinator_nonce, const std::string& worker_nonce) {
    mac_.emplace(o_.token, coordinator_nonce, worker_nonce, Side::kWorker);
  }

  // The frame for `message`, sealed once sealing has started. Frames must be sent in the order
  // they are made (the seal numbers them).
  std::string frame(const json& message) {
    const std::string body = encode_body(message);
    return frame_of(mac_ ? mac_->seal(body) : body);
  }

  void send(const json& message) { send_raw(frame(message)); }
  void send_raw(const std::string& frames) {
    const auto deadline = deadline_after(timeout_);
    for (std::size_t sent = 0; sent < frames.size();) {
      boost::system::error_code ec;
      sent += socket_.write_some(asio::buffer(frames.data() + sent, frames.size() - sent), ec);
      if (not_ready(ec)) {
        wait_for(POLLOUT, deadline);
      } else if (ec) {
        throw ConnectionLost("send failed: " + ec.message());
      }
    }
  }

  // The next message; reads as much as the socket has, so replies sent together cost one read.
  json receive(Wait wait = Wait::kReply) {
    const auto deadline = deadline_after(wait == Wait::kParked ? 0.0 : timeout_);
    for (;;) {
      if (std::optional<json> m = next_message()) {
        if ((*m)["type"] == "error") throw Refused((*m)["message"].get<std::string>());
        return *m;
      }
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer_), ec);
      if (not_ready(ec)) {
        wait_for(POLLIN, deadline);
        continue;
      }
      if (ec) {
        throw ConnectionLost(ec == asio::error::eof ? "the coordinator closed the connection"
                                                    : "receive failed: " + ec.message());
      }
      decoder_.feed(buffer_.data(), n);
    }
  }

  json expect(const char* type) {
    json m = receive();
    if (m["type"] != type) {
      throw ConnectionLost("expected '" + std::string(type) + "' from the coordinator, got '" +
                           m["type"].get<std::string>() + "'");
    }
    return m;
  }

  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  using Deadline = std::optional<Clock::time_point>;  // nullopt: none

  static Deadline deadline_after(double seconds) {
    if (seconds <= 0) return std::nullopt;
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // The next buffered message, opened when sealing has started; nullopt when more bytes are
  // needed.
  std::optional<json> next_message() {
    try {
      const std::optional<std::string> body = decoder_.next_body();
      if (!body) return std::nullopt;
      if (mac_ && !mac_->open(*body)) {
        throw ConnectionLost("a message from the coordinator failed authentication");
      }
      return parse_message(*body);
    } catch (const FrameTooLarge& e) {
      throw Declined("the coordinator at " + o_.host + ":" + std::to_string(o_.port) +
                     " sent a message over this worker's frame limit (" + e.what() +
                     "); reconnecting would not help");
    } catch (const ProtocolError& e) {
      throw ConnectionLost(std::string("bad message from the coordinator: ") + e.what());
    }
  }

  // Opens the socket, non-blocking, and connects it to `endpoint` by `deadline`. Returns why it
  // could not (the socket is then closed again), or "".
  std::string try_connect(const tcp::endpoint& endpoint, const Deadline& deadline) {
    boost::system::error_code ec;
    socket_.open(endpoint.protocol(), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) return "cannot open a non-blocking socket: " + ec.message();
    int error = 0;
    if (::connect(socket_.native_handle(), endpoint.data(), endpoint.size()) != 0) {
      error = errno;
      if (error == EINPROGRESS || error == EINTR) {
        wait_for(POLLOUT, deadline, "accept the connection");
        socklen_t size = sizeof error;
        if (getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
          error = errno;
        }
      }
    }
    if (error == 0) return {};
    socket_.close(ec);
    return "cannot connect to " + endpoint.address().to_string() + ":" +
           std::to_string(endpoint.port()) + ": " + std::strerror(error);
  }

  // Waits until the socket is ready for `events`. Throws ConnectionLost past `deadline` (saying
  // that the coordinator did not `what` in time) or on a stop request.
  void wait_for(short events, const Deadline& deadline, const char* what = "answer") {
    for (;;) {
      if (stop_requested(o_)) throw ConnectionLost("stopped");
      int slice_ms = 100;
      if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
        if (left.count() <= 0) {
          throw ConnectionLost(
              fmt::format("the coordinator did not {} within {:g} s", what, timeout_));
        }
        slice_ms = static_cast<int>(std::min<std::int64_t>(slice_ms, left.count()));
      }
      pollfd fd{socket_.native_handle(), events, 0};
      const int ready = ::poll(&fd, 1, slice_ms);
      if (ready > 0) return;  // readable, writable, or an error the next read or write reports
      if (ready < 0 && errno != EINTR) {
        throw ConnectionLost(std::string("poll failed: ") + std::strerror(errno));
      }
    }
  }

  tcp::socket socket_;
  const WorkerOptions& o_;
  const double timeout_;  // seconds; 0: none
  FrameDecoder decoder_;
  std::optional<SessionMac> mac_;
  std::array<char, 16384> buffer_;
};

class Worker {
 public:
  Worker(const WorkerOptions& o, const ObjectiveFactory& factory) : o_(o), factory_(factory) {}

  WorkerSummary run() {
    auto last_contact = Clock::now();
    double backoff = 0.05;
    for (;;) {
      if (stop_requested(o_)) return end(130, "stopped");
      try {
        serve_session();
        return end(0, done_reason_);
      } catch (const Refused& e) {
        return end(2, std::string("refused by the coordinator: ") + e.what());
      } catch (const Declined& e) {
        return end(2, e.what());
      } catch (const std::invalid_argument& e) {
        return end(2, e.what());
      } catch (const Stopped&) {
        return end(130, "stopped");
      } catch (const ConnectionLost& e) {
        if (stop_requested(o_)) return end(130, "stopped");
        if (authenticated_) {
          last_contact = Clock::now();
          backoff = 0.05;
          spdlog::warn("worker {}: {}; reconnecting", o_.name, e.what());
        }
        authenticated_ = false;
      }
      const double waited = std::chrono::duration<double>(Clock::now() - last_contact).count();
      if (waited >= o_.give_up_after_seconds) {
        return end(3, "no coordinator at " + o_.host + ":" + std::to_string(o_.port) + " for " +
                          std::to_string(static_cast<int>(waited)) + " s");
      }
      // Backoff between attempts, in slices so that a stop request is seen at once.
      const auto until = Clock::now() + std::chrono::duration<double>(backoff);
      while (Clock::now() < until && !stop_requested(o_)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      backoff = std::min(backoff * 2, 2.0);
    }
  }

 private:
  WorkerSummary end(int code, std::string reason) {
    summary_.exit_code = code;
    summary_.reason = std::move(reason);
    return summary_;
  }

  std::string address() const { return o_.host + ":" + std::to_string(o_.port); }

  // Hello, then the challenge, whose proof must show that the coordinator knows the token before
  // this worker answers it; then auth, and from there on every frame is sealed. Returns the
  // welcome.
  json handshake(Session& s) {
    const std::string nonce = random_nonce_hex();
    s.send({{"type", "hello"},
            {"protocol", kProtocolVersion},
            {"worker", o_.name},
            {"pid", static_cast<int>(getpid())},
            {"nonce", nonce}});
    const json challenge = s.expect("challenge");
    if (challenge["protocol"] != kProtocolVersion) {
      throw Declined("the coordinator at " + address() + " speaks protocol " +
                     challenge["protocol"].dump() + "; this worker speaks " +
                     std::to_string(kProtocolVersion));
    }
    const std::string coordinator_nonce = challenge["nonce"];
    if (!coordinator_proof_verify(o_.token, nonce, coordinator_nonce,
                                  challenge.value("proof", std::string()))) {
      throw Declined("the coordinator at " + address() +
                     " did not prove it knows the token (wrong token, or not the real "
                     "coordinator); nothing was run");
    }
    s.send({{"type", "auth"}, {"hmac", auth_hmac_hex(o_.token, coordinator_nonce, nonce)}});
    s.start_sealing(coordinator_nonce, nonce);
    return s.expect("welcome");
  }

  void serve_session() {
    asio::io_context io;
    Session s(io, o_);
    s.connect();
    const json welcome = handshake(s);
    authenticated_ = true;
    if (!objective_ || welcome["objective"] != objective_spec_) {
      objective_spec_ = welcome["objective"];
      objective_ = factory_(objective_spec_);
    }
    const double heartbeat = welcome["heartbeat_seconds"];
    // The last trial's result, sealed, sent together with the next request (nothing else is sent
    // in between, so the seal numbers stay in wire order).
    std::string pending;
    for (;;) {
      if (stop_requested(o_)) {
        s.send_raw(pending + s.frame({{"type", "bye"}}));
        s.close();
        throw Stopped{};
      }
      const auto sent = Clock::now();
      s.send_raw(pending + s.frame({{"type", "request"}}));
      if (!pending.empty()) {
        s.expect("ack");
        summary_.reply_seconds.push_back(seconds_since(sent));
      }
      pending.clear();
      // The coordinator may hold the request until a trial is free.
      const json reply = s.receive(Wait::kParked);
      if (reply["type"] == "done") {
        done_reason_ = reply["reason"];
        s.send({{"type", "bye"}});
        s.close();
        return;
      }
      if (reply["type"] != "lease") {
        throw ConnectionLost("expected a lease, got '" + reply["type"].get<std::string>() + "'");
      }
      Lease lease;
      lease.trial = reply["trial"];
      lease.params = reply["params"];
      lease.seed = reply["seed"];
      lease.attempt = reply["attempt"];
      std::optional<TrialOutcome> outcome = run_trial(s, lease, heartbeat);
      if (!outcome) continue;  // cancelled: the coordinator no longer expects it
      search::TrialResult& r = outcome->result;
      if (r.ok && !std::isfinite(r.value)) {
        r = search::TrialResult::failed("objective value is not finite");
      }
      if (r.ok) {
        ++summary_.completed;
        pending = s.frame({{"type", "result"},
                           {"trial", lease.trial},
                           {"value", r.value},
                           {"metrics", outcome->metrics}});
      } else {
        ++summary_.failed;
        pending = s.frame({{"type", "failure"}, {"trial", lease.trial}, {"message", r.message}});
      }
    }
  }

  // Runs the objective in a thread and heartbeats until it returns. nullopt when the coordinator
  // cancelled the trial. A lost connection or a stop request cancels it and throws.
  std::optional<TrialOutcome> run_trial(Session& s, const Lease& lease, double heartbeat) {
    std::atomic<bool> cancel{false};
    auto future = std::async(std::launch::async, [&] {
      try {
        return objective_(lease, cancel);
      } catch (const std::exception& e) {
        return TrialOutcome{
            search::TrialResult::failed(std::string("objective threw: ") + e.what())};
      }
    });
    bool cancelled = false;
    auto next_beat = Clock::now() + std::chrono::duration<double>(heartbeat);
    try {
      while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
        if (stop_requested(o_)) {
          cancel = true;
          future.wait();
          stop_session(s);
        }
        if (Clock::now() < next_beat) continue;
        next_beat = Clock::now() + std::chrono::duration<double>(heartbeat);
        const auto sent = Clock::now();
        s.send({{"type", "heartbeat"}, {"trial", lease.trial}});
        const json reply = s.receive();
        summary_.reply_seconds.push_back(seconds_since(sent));
        if (reply["type"] == "cancel") {
          cancel = true;
          cancelled = true;
        }
      }
    } catch (const ConnectionLost&) {
      cancel = true;
      future.wait();
      throw;
    }
    TrialOutcome r = future.get();
    if (cancelled) return std::nullopt;
    // A job scheduler stops a worker by signalling its whole process tree (Slurm's scancel and
    // preemption do), so an objective's child may die of the signal before the worker sees it.
    // A trial that failed while the worker was stopping is handed back, not reported failed.
    if (!r.result.ok && stop_requested(o_)) stop_session(s);
    return r;
  }

  // Says bye (the coordinator queues a held lease again), closes and throws Stopped.
  [[noreturn]] static void stop_session(Session& s) {
    s.send({{"type", "bye"}});
    s.close();
    throw Stopped{};
  }

  const WorkerOptions& o_;
  const ObjectiveFactory& factory_;
  WorkerObjective objective_;
  json objective_spec_;
  bool authenticated_ = false;
  std::string done_reason_;
  WorkerSummary summary_;
};

}  // namespace

WorkerSummary run_worker(const WorkerOptions& options, const ObjectiveFactory& factory) {
  return Worker(options, factory).run();
}

}  // namespace autoaug::net
