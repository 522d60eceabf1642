#pragma once

// The coordinator's connections (internal to search/net): accepting them, the handshake, reading
// and sealing frames, writing replies, timeouts and closing. What an authenticated worker says
// goes to the SessionOwner, which decides the reply; a session knows nothing of trials.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/net/auth.h"
#include "search/net/coordinator.h"
#include "search/net/tls.h"

namespace autoaug::net::detail {

using Clock = std::chrono::steady_clock;

// `s` seconds as a Clock duration.
Clock::duration seconds(double s);

struct Connection {
  // Plain TCP when `tls` is null, else a TLS stream in that context (not owned).
  Connection(asio::ip::tcp::socket s, ssl::context* tls, std::uint64_t i);
  // The TCP socket, under TLS or not.
  asio::ip::tcp::socket& socket() { return stream ? stream->next_layer() : plain; }
  // Calls f with the stream that carries the frames: the TLS stream or the plain socket.
  template <typename F>
  auto with_stream(F&& f) {
    return stream ? f(*stream) : f(plain);
  }

  asio::ip::tcp::socket plain;                               // moved into `stream` under TLS
  std::optional<ssl::stream<asio::ip::tcp::socket>> stream;  // under TLS
  asio::steady_timer watchdog;
  std::uint64_t id;
  std::string peer;
  std::string worker;  // from the hello; "" before it
  std::string nonce;   // the challenge's
  std::string worker_nonce;
  std::optional<SessionMac> mac;  // set once authenticated: every later frame is sealed
  bool authenticated = false;
  bool closed = false;
  bool parked = false;  // a request waits for a trial (set by the owner)
  Clock::time_point deadline;
  std::string out;        // frames waiting for the write in flight
  std::string in_flight;  // the frames being written
  bool writing = false;
};
using ConnectionPtr = std::shared_ptr<Connection>;

// What the sessions need from the coordinator. Called on the io thread.
class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  // A message from an authenticated worker (anything after the welcome), already parsed.
  virtual void on_message(const ConnectionPtr& c, const nlohmann::json& m) = 0;
  // Whether `c` waits on the coordinator (a parked request, a lease), so it is not idle.
  virtual bool busy(const Connection& c) const = 0;
  // `c` is closed (logged, its socket closed); `why` is what close() was given.
  virtual void on_closed(const Connection& c, const std::string& why) = 0;
};

class Sessions {
 public:
  using Action = std::function<void()>;

  // `study` names the study in the challenge and the welcome; `objective` goes in the welcome.
  // Throws std::invalid_argument when the welcome would not fit in a frame. With
  // options.tls_cert_file set every connection is TLS (throws std::invalid_argument naming the
  // file when the certificate or key cannot be loaded). The options and the owner must outlive
  // this object.
  Sessions(asio::io_context& io, const CoordinatorOptions& options, std::string study,
           nlohmann::json objective, SessionOwner& owner);

  // Binds and listens on options.host:options.port; throws std::invalid_argument for a host that
  // is not an IP address, std::runtime_error naming the address when it cannot bind.
  void listen();
  int port() const { return port_; }
  // Connections closed at accept for the connection limits, since start.
  std::uint64_t refused() const { return refused_; }
  // Starts accepting connections (on the io thread).
  void start();

  // Queues `message` for `c` (nothing when it is closed). Frames queued while deliver() runs
  // leave in one write per connection.
  void send(const ConnectionPtr& c, const nlohmann::json& message);
  // Runs `actions` (which send), then writes what they queued.
  void deliver(std::vector<Action>& actions);
  // Closes `c` once: logs `why` (unless empty: a normal goodbye), sends `error_text` to the
  // client first when given (best effort, never blocking), then tells the owner.
  void close(const ConnectionPtr& c, const std::string& why, const std::string& error_text = {});
  // Stops accepting and closes every connection (a normal goodbye).
  void close_all();

  int authenticated() const { return authenticated_; }
  // Logs the connections refused over the limit since the last log, at most once a second.
  void log_refusals(Clock::time_point now);

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> watch(ConnectionPtr c);
  asio::awaitable<void> read_loop(ConnectionPtr c);
  // The TLS handshake (on a TLS connection); false when it failed and `c` was closed.
  asio::awaitable<bool> tls_handshake(ConnectionPtr c);
  void handle(const ConnectionPtr& c, const nlohmann::json& m);
  void handshake(const ConnectionPtr& c, const std::string& type, const nlohmann::json& m);
  nlohmann::json welcome() const;
  void check_welcome_fits() const;
  void write_next(const ConnectionPtr& c);

  asio::io_context& io_;
  const CoordinatorOptions& o_;
  const std::string study_;
  const nlohmann::json objective_;
  SessionOwner& owner_;
  std::optional<ssl::context> tls_;
  asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;

  std::unordered_map<std::uint64_t, ConnectionPtr> connections_;
  std::uint64_t next_id_ = 1;
  int authenticated_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t refused_logged_ = 0;  // refused_ at the last log line
  Clock::time_point next_refusal_log_;
  bool holding_writes_ = false;
  std::vector<ConnectionPtr> held_;
};

}  // namespace autoaug::net::detail
