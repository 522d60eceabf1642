#include "search/net/worker_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
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
struct Stopped {};

class Session {
 public:
  Session(asio::io_context& io, const WorkerOptions& o)
      : socket_(io), o_(o), decoder_(o.max_frame) {}

  void connect() {
    tcp::resolver resolver(socket_.get_executor());
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(o_.host, std::to_string(o_.port), ec);
    if (ec) throw ConnectionLost("cannot resolve " + o_.host + ": " + ec.message());
    asio::connect(socket_, endpoints, ec);
    if (ec) throw ConnectionLost(ec.message());
    socket_.set_option(tcp::no_delay(true), ec);
    // A coordinator machine that vanishes without closing the connection is noticed within
    // about a minute, even while a request waits for a trial (which may take long).
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
    const int idle = 30, interval = 10, count = 3;
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  }

  // Replies to the handshake and to heartbeats come at once; a coordinator that does not answer
  // within `seconds` is treated as gone. 0: wait as long as it takes (a parked request).
  void set_receive_timeout(int seconds) {
    timeval tv{seconds, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void send(const json& message) { send_raw(encode_frame(message)); }
  void send_raw(const std::string& frames) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(frames), ec);
    if (ec) throw ConnectionLost("send failed: " + ec.message());
  }

  // The next message; reads as much as the socket has, so replies sent together cost one read.
  json receive() {
    for (;;) {
      std::optional<json> m;
      try {
        m = decoder_.next();
      } catch (const ProtocolError& e) {
        throw ConnectionLost(std::string("bad message from the coordinator: ") + e.what());
      }
      if (m) {
        if ((*m)["type"] == "error") throw Refused((*m)["message"].get<std::string>());
        return *m;
      }
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer_), ec);
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
  tcp::socket socket_;
  const WorkerOptions& o_;
  FrameDecoder decoder_;
  std::array<char, 16384> buffer_;
};

bool stop_requested(const WorkerOptions& o) { return o.stop != nullptr && o.stop->load(); }

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

  void serve_session() {
    asio::io_context io;
    Session s(io, o_);
    s.connect();
    s.set_receive_timeout(30);
    s.send({{"type", "hello"},
            {"protocol", kProtocolVersion},
            {"worker", o_.name},
            {"pid", static_cast<int>(getpid())}});
    const json challenge = s.expect("challenge");
    s.send({{"type", "auth"},
            {"hmac", auth_hmac_hex(o_.token, challenge["nonce"].get<std::string>())}});
    const json welcome = s.expect("welcome");
    authenticated_ = true;
    if (!objective_ || welcome["objective"] != objective_spec_) {
      objective_spec_ = welcome["objective"];
      objective_ = factory_(objective_spec_);
    }
    const double heartbeat = welcome["heartbeat_seconds"];
    std::string pending;  // the last trial's result, sent together with the next request
    for (;;) {
      if (stop_requested(o_)) {
        s.send_raw(pending + encode_frame({{"type", "bye"}}));
        s.close();
        throw Stopped{};
      }
      s.send_raw(pending + encode_frame({{"type", "request"}}));
      s.set_receive_timeout(30);
      if (!pending.empty()) s.expect("ack");
      pending.clear();
      s.set_receive_timeout(0);  // the coordinator may hold the request until a trial is free
      const json reply = s.receive();
      s.set_receive_timeout(30);
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
        pending = encode_frame({{"type", "result"},
                                {"trial", lease.trial},
                                {"value", r.value},
                                {"metrics", outcome->metrics}});
      } else {
        ++summary_.failed;
        pending =
            encode_frame({{"type", "failure"}, {"trial", lease.trial}, {"message", r.message}});
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
          s.send({{"type", "bye"}});
          s.close();
          throw Stopped{};
        }
        if (Clock::now() < next_beat) continue;
        next_beat = Clock::now() + std::chrono::duration<double>(heartbeat);
        s.send({{"type", "heartbeat"}, {"trial", lease.trial}});
        const json reply = s.receive();
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
    return r;
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
