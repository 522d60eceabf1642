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
#include "search/net/tls.h"

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

using Deadline = std::optional<Clock::time_point>;  // nullopt: none

Deadline deadline_after(double seconds) {
  if (seconds <= 0) return std::nullopt;
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// A non-blocking TCP socket whose synchronous reads and writes wait with poll() until they can
// go on, up to the deadline set last, noticing a stop request within 100 ms: both throw
// ConnectionLost past the deadline or on a stop request. It is the socket of a plain connection
// and the layer under TLS (ssl::stream's synchronous operations call read_some and write_some
// of the layer below), so one deadline bounds every handshake step, record and frame.
class PolledSocket {
 public:
  using lowest_layer_type = tcp::socket::lowest_layer_type;
  using executor_type = tcp::socket::executor_type;

  PolledSocket(asio::io_context& io, const WorkerOptions& o, double timeout)
      : socket_(io), o_(o), timeout_(timeout) {}

  executor_type get_executor() { return socket_.get_executor(); }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }
  tcp::socket& socket() { return socket_; }
  void set_deadline(Deadline deadline) { deadline_ = deadline; }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (;;) {
      const std::size_t n = socket_.read_some(buffers, ec);
      if (!not_ready(ec)) return n;
      wait_for(POLLIN);
    }
  }
  template <typename ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    for (;;) {
      const std::size_t n = socket_.write_some(buffers, ec);
      if (!not_ready(ec)) return n;
      wait_for(POLLOUT);
    }
  }

  // Waits until the socket is ready for `events`. Throws ConnectionLost past the deadline (saying
  // that the coordinator did not `what` in time) or on a stop request.
  void wait_for(short events, const char* what = "answer") {
    for (;;) {
      if (stop_requested(o_)) throw ConnectionLost("stopped");
      int slice_ms = 100;
      if (deadline_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - Clock::now());
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

 private:
  tcp::socket socket_;
  const WorkerOptions& o_;
  const double timeout_;  // seconds, for messages
  Deadline deadline_;
};

// One connection, plain or TLS. The socket is non-blocking; the connect and every read and write
// wait with poll(), bounded by the effective reply timeout, and notice a stop request within
// 100 ms.
class Session {
 public:
  Session(asio::io_context& io, const WorkerOptions& o, ssl::context* tls)
      : socket_(io, o, effective_reply_timeout(o)),
        o_(o),
        timeout_(effective_reply_timeout(o)),
        decoder_(o.max_frame) {
    if (tls != nullptr) stream_.emplace(socket_, *tls);
  }

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
    tcp::socket& socket = socket_.socket();
    socket.set_option(tcp::no_delay(true), ec);
    // A coordinator machine that vanishes without closing the connection is noticed within
    // about a minute, even while a request waits for a trial (which may take long).
    socket.set_option(asio::socket_base::keep_alive(true), ec);
    const int idle = 30, interval = 10, count = 3;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    if (stream_) tls_handshake();
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
    socket_.set_deadline(deadline_after(timeout_));
    boost::system::error_code ec;
    if (stream_) {
      asio::write(*stream_, asio::buffer(frames), ec);
    } else {
      asio::write(socket_, asio::buffer(frames), ec);
    }
    if (ec) throw ConnectionLost("send failed: " + ec.message());
  }

  // The next message; reads as much as the socket has, so replies sent together cost one read.
  json receive(Wait wait = Wait::kReply) {
    socket_.set_deadline(deadline_after(wait == Wait::kParked ? 0.0 : timeout_));
    for (;;) {
      if (std::optional<json> m = next_message()) {
        if ((*m)["type"] == "error") throw Refused((*m)["message"].get<std::string>());
        return *m;
      }
      boost::system::error_code ec;
      const std::size_t n = stream_ ? stream_->read_some(asio::buffer(buffer_), ec)
                                    : socket_.read_some(asio::buffer(buffer_), ec);
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        throw ConnectionLost("the coordinator closed the connection");
      }
      if (ec) throw ConnectionLost("receive failed: " + ec.message());
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
    tcp::socket& socket = socket_.socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

 private:
  std::string address() const { return o_.host + ":" + std::to_string(o_.port); }

  // The TLS handshake, verifying the coordinator's certificate and its name (the host dialled,
  // or o_.tls_name). A certificate refused, or a peer that does not speak TLS, is Declined: this
  // worker runs nothing for it and reconnecting would not help.
  void tls_handshake() {
    const std::string name = o_.tls_name.empty() ? o_.host : o_.tls_name;
    tls_expect_name(stream_->native_handle(), name);
    socket_.set_deadline(deadline_after(timeout_));
    boost::system::error_code ec;
    stream_->handshake(ssl::stream_base::client, ec);
    if (!ec) return;
    const std::string refused = tls_verify_error(stream_->native_handle());
    if (!refused.empty()) {
      throw Declined("the coordinator at " + address() + " failed TLS verification as '" + name +
                     "': " + refused + "; nothing was run");
    }
    if (ec.category() == asio::error::get_ssl_category()) {
      throw Declined("TLS handshake with the coordinator at " + address() +
                     " failed: " + ec.message() + " (does it run with --tls-cert?)");
    }
    throw ConnectionLost("TLS handshake failed: " + ec.message());
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
    tcp::socket& socket = socket_.socket();
    boost::system::error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (!ec) socket.non_blocking(true, ec);
    if (ec) return "cannot open a non-blocking socket: " + ec.message();
    int error = 0;
    if (::connect(socket.native_handle(), endpoint.data(), endpoint.size()) != 0) {
      error = errno;
      if (error == EINPROGRESS || error == EINTR) {
        socket_.set_deadline(deadline);
        socket_.wait_for(POLLOUT, "accept the connection");
        socklen_t size = sizeof error;
        if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
          error = errno;
        }
      }
    }
    if (error == 0) return {};
    socket.close(ec);
    return "cannot connect to " + endpoint.address().to_string() + ":" +
           std::to_string(endpoint.port()) + ": " + std::strerror(error);
  }

  PolledSocket socket_;
  std::optional<ssl::stream<PolledSocket&>> stream_;  // under TLS
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
    try {
      if (o_.tls) tls_ = tls_client_context(o_.tls_ca_file);
    } catch (const std::invalid_argument& e) {
      return end(2, e.what());
    }
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
    Session s(io, o_, tls_ ? &*tls_ : nullptr);
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
  std::optional<ssl::context> tls_;
};

}  // namespace

WorkerSummary run_worker(const WorkerOptions& options, const ObjectiveFactory& factory) {
  return Worker(options, factory).run();
}

}  // namespace autoaug::net
