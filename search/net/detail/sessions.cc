#include "search/net/detail/sessions.h"

#include <spdlog/spdlog.h>

#include <array>

#include "search/net/protocol.h"

namespace autoaug::net::detail {

using json = nlohmann::json;
using tcp = asio::ip::tcp;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

Connection::Connection(tcp::socket s, ssl::context* tls, std::uint64_t i)
    : plain(std::move(s)), watchdog(plain.get_executor()), id(i) {
  if (tls != nullptr) stream.emplace(std::move(plain), *tls);
}

Sessions::Sessions(asio::io_context& io, const CoordinatorOptions& options, std::string study,
                   json objective, SessionOwner& owner)
    : io_(io),
      o_(options),
      study_(std::move(study)),
      objective_(std::move(objective)),
      owner_(owner),
      acceptor_(io) {
  check_welcome_fits();
  if (!o_.tls_cert_file.empty()) tls_ = tls_server_context(o_.tls_cert_file, o_.tls_key_file);
}

void Sessions::listen() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(o_.host, ec);
  if (ec) throw std::invalid_argument("--listen: '" + o_.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o_.port));
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + o_.host + ":" + std::to_string(o_.port) + ": " +
                             ec.message());
  }
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Sessions::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

asio::awaitable<void> Sessions::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const int unauthenticated = static_cast<int>(connections_.size()) - authenticated_;
    if (static_cast<int>(connections_.size()) >= o_.max_connections ||
        unauthenticated >= std::max(1, o_.max_connections / 4)) {
      ++refused_;  // logged once a second by log_refusals
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    socket.set_option(asio::socket_base::keep_alive(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    auto c = std::make_shared<Connection>(std::move(socket), tls_ ? &*tls_ : nullptr, next_id_++);
    c->peer = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    c->deadline = Clock::now() + seconds(o_.auth_timeout_seconds);
    connections_[c->id] = c;
    asio::co_spawn(io_, read_loop(c), asio::detached);
    asio::co_spawn(io_, watch(c), asio::detached);
  }
}

asio::awaitable<void> Sessions::watch(ConnectionPtr c) {
  while (!c->closed) {
    c->watchdog.expires_at(c->deadline);
    boost::system::error_code ec;
    co_await c->watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (c->closed) break;
    if (Clock::now() < c->deadline) continue;
    if (c->authenticated && owner_.busy(*c)) {
      c->deadline = Clock::now() + seconds(o_.idle_timeout_seconds);  // busy, not idle
      continue;
    }
    close(c, c->authenticated ? "idle for too long" : "did not authenticate in time");
  }
}

asio::awaitable<bool> Sessions::tls_handshake(ConnectionPtr c) {
  boost::system::error_code ec;
  co_await c->stream->async_handshake(ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (c->closed) co_return false;  // the watchdog closed it: "did not authenticate in time"
  if (!ec) co_return true;
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(ec.value()) == SSL_R_WRONG_VERSION_NUMBER) {
    // Not TLS: most likely a worker without --tls. Tell it in its own framing (it ends, exit 2).
    const std::string frame =
        frame_of(encode_body({{"type", "error"},
                              {"message",
                               "this coordinator speaks TLS: start the worker with --tls (and "
                               "--tls-ca FILE when the certificate is not from a CA this "
                               "system trusts)"}}));
    boost::system::error_code ignored;
    c->socket().non_blocking(true, ignored);
    c->socket().write_some(asio::buffer(frame), ignored);
    close(c, "TLS handshake failed: " + ec.message() + " (a worker without --tls?)");
  } else {
    close(c, "TLS handshake failed: " + ec.message());
  }
  co_return false;
}

asio::awaitable<void> Sessions::read_loop(ConnectionPtr c) {
  if (c->stream && !co_await tls_handshake(c)) co_return;
  FrameDecoder decoder(o_.max_frame);
  std::array<char, 16384> buffer;
  try {
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await c->with_stream([&](auto& stream) {
        return stream.async_read_some(asio::buffer(buffer),
                                      asio::redirect_error(asio::use_awaitable, ec));
      });
      if (c->closed) co_return;
      if (ec) {
        // A TLS peer that closes without close_notify reads as stream_truncated: a goodbye too.
        const bool goodbye = ec == asio::error::eof || ec == ssl::error::stream_truncated;
        close(c, goodbye ? "" : "connection lost: " + ec.message());
        co_return;
      }
      decoder.feed(buffer.data(), n);
      while (auto body = decoder.next_body()) {
        if (c->mac && !c->mac->open(*body)) {
          close(c, "message authentication failed", "message authentication failed");
          co_return;
        }
        handle(c, parse_message(*body));
        if (c->closed) co_return;
      }
    }
  } catch (const ProtocolError& e) {
    close(c, std::string("bad frame: ") + e.what(), e.what());
  } catch (const std::invalid_argument& e) {
    close(c, std::string("bad message: ") + e.what(), e.what());
  }
}

void Sessions::handle(const ConnectionPtr& c, const json& m) {
  const std::string& type = m["type"].get_ref<const std::string&>();
  if (!c->authenticated) {
    handshake(c, type, m);
    return;
  }
  c->deadline = Clock::now() + seconds(o_.idle_timeout_seconds);
  owner_.on_message(c, m);
}

void Sessions::handshake(const ConnectionPtr& c, const std::string& type, const json& m) {
  if (c->worker.empty()) {
    if (type != "hello") {
      close(c, "sent '" + type + "' before hello", "expected hello");
      return;
    }
    if (m["protocol"] != kProtocolVersion) {
      close(c, "speaks protocol " + m["protocol"].dump(),
            "protocol " + m["protocol"].dump() + " is not supported; this coordinator speaks " +
                std::to_string(kProtocolVersion));
      return;
    }
    if (!m.contains("nonce")) {
      close(c, "hello without a nonce",
            "hello: field 'nonce' is missing (protocol " + std::to_string(kProtocolVersion) +
                " needs the worker's nonce)");
      return;
    }
    c->worker = m["worker"].get<std::string>();
    c->worker_nonce = m["nonce"].get<std::string>();
    c->nonce = random_nonce_hex();
    send(c, {{"type", "challenge"},
             {"nonce", c->nonce},
             {"protocol", kProtocolVersion},
             {"study", study_},
             {"proof", coordinator_proof_hex(o_.token, c->worker_nonce, c->nonce)}});
    return;
  }
  if (type != "auth") {
    close(c, "sent '" + type + "' before authenticating", "expected auth");
    return;
  }
  if (!auth_verify(o_.token, c->nonce, c->worker_nonce, m["hmac"].get<std::string>())) {
    close(c, "authentication failed (wrong token)", "authentication failed");
    return;
  }
  c->mac.emplace(o_.token, c->nonce, c->worker_nonce, Side::kCoordinator);
  c->authenticated = true;
  ++authenticated_;
  c->deadline = Clock::now() + seconds(o_.idle_timeout_seconds);
  spdlog::info("worker '{}' joined from {}", c->worker, c->peer);
  send(c, welcome());
}

json Sessions::welcome() const {
  return {{"type", "welcome"},
          {"objective", objective_},
          {"heartbeat_seconds", o_.heartbeat_seconds},
          {"lease_seconds", o_.lease_seconds},
          {"study", study_}};
}

// A welcome over the frame limit would be refused by every worker; say so before listening.
void Sessions::check_welcome_fits() const {
  const std::size_t size = encode_body(welcome()).size() - 1 + SessionMac::kSuffixLength;
  if (size > o_.max_frame) {
    throw std::invalid_argument(fmt::format(
        "coordinator: the welcome would be a frame of {} bytes ({} of them the objective), "
        "over the frame limit of {} bytes that workers accept; make the objective smaller",
        size, objective_.dump().size(), o_.max_frame));
  }
}

namespace {

// The frame for `message` on `c`, sealed once `c` is authenticated. Frames must reach the wire
// in the order they are made here (the seal numbers them).
std::string frame_for(const ConnectionPtr& c, const json& message) {
  const std::string body = encode_body(message);
  return frame_of(c->mac ? c->mac->seal(body) : body);
}

}  // namespace

void Sessions::send(const ConnectionPtr& c, const json& message) {
  if (c->closed) return;
  const std::string frame = frame_for(c, message);
  if (frame.size() - 4 > o_.max_frame) {
    close(c,
          fmt::format("'{}' of {} bytes is over the frame limit of {} bytes; not sent",
                      message["type"].get<std::string>(), frame.size() - 4, o_.max_frame),
          "the coordinator's message is over the frame limit");
    return;
  }
  if (c->out.size() + c->in_flight.size() + frame.size() > o_.max_pending_write) {
    close(c, "does not read its replies");
    return;
  }
  c->out += frame;
  if (c->writing) return;
  if (holding_writes_) {
    held_.push_back(c);
  } else {
    write_next(c);
  }
}

void Sessions::deliver(std::vector<Action>& actions) {
  holding_writes_ = true;
  for (auto& action : actions) action();
  holding_writes_ = false;
  for (const ConnectionPtr& c : held_) {
    if (!c->closed && !c->writing && !c->out.empty()) write_next(c);
  }
  held_.clear();
}

void Sessions::write_next(const ConnectionPtr& c) {
  c->writing = true;
  std::swap(c->in_flight, c->out);
  c->with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(c->in_flight),
                      [this, c](boost::system::error_code ec, std::size_t) {
                        c->writing = false;
                        if (c->closed) return;
                        if (ec) {
                          close(c, "connection lost: " + ec.message());
                          return;
                        }
                        c->in_flight.clear();
                        if (!c->out.empty()) write_next(c);
                      });
  });
}

void Sessions::close(const ConnectionPtr& c, const std::string& why,
                     const std::string& error_text) {
  if (c->closed) return;
  c->closed = true;
  const std::string who = c->worker.empty() ? c->peer : "'" + c->worker + "' (" + c->peer + ")";
  if (!why.empty()) spdlog::warn("connection {} closed: {}", who, why);
  boost::system::error_code ec;
  // Best effort and never blocking: the socket is non-blocking from here on.
  c->socket().non_blocking(true, ec);
  // Under TLS nothing more is written while a write is in flight (a record may be half sent).
  if (!error_text.empty() && !(c->stream && c->writing)) {
    // Queued frames that no write has taken yet go first: the error's seal number follows
    // theirs.
    const std::string frames = (c->writing ? std::string() : std::move(c->out)) +
                               frame_for(c, {{"type", "error"}, {"message", error_text}});
    c->with_stream([&](auto& stream) { return stream.write_some(asio::buffer(frames), ec); });
  }
  if (c->stream && !c->writing) c->stream->shutdown(ec);  // sends close_notify, waits for nothing
  c->socket().shutdown(tcp::socket::shutdown_both, ec);
  c->socket().close(ec);
  c->watchdog.cancel();
  if (c->authenticated) --authenticated_;
  connections_.erase(c->id);
  owner_.on_closed(*c, why);
}

void Sessions::close_all() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& [id, c] : std::unordered_map<std::uint64_t, ConnectionPtr>(connections_)) {
    close(c, "");
  }
}

void Sessions::log_refusals(Clock::time_point now) {
  if (refused_ > refused_logged_ && now >= next_refusal_log_) {
    spdlog::warn("refused {} connections over the limit of {} ({} unauthenticated at most)",
                 refused_ - refused_logged_, o_.max_connections,
                 std::max(1, o_.max_connections / 4));
    refused_logged_ = refused_;
    next_refusal_log_ = now + std::chrono::seconds(1);
  }
}

}  // namespace autoaug::net::detail
