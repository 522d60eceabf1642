#include "search/net/coordinator.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/net/auth.h"
#include "search/net/protocol.h"
#include "search/random.h"
#include "search/store/study_store.h"

namespace autoaug::net {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

search::TrialState study_state(search::StoredState s) {
  switch (s) {
    case search::StoredState::kComplete:
      return search::TrialState::kComplete;
    case search::StoredState::kFailed:
      return search::TrialState::kFailed;
    default:
      return search::TrialState::kPending;
  }
}

}  // namespace

class Coordinator::Impl {
 public:
  struct Connection {
    explicit Connection(tcp::socket s, std::uint64_t i)
        : socket(std::move(s)), watchdog(socket.get_executor()), id(i) {}
    tcp::socket socket;
    asio::steady_timer watchdog;
    std::uint64_t id;
    std::string peer;
    std::string worker;  // from the hello; "" before it
    std::string nonce;   // the challenge's
    std::string worker_nonce;
    std::optional<SessionMac> mac;  // set once authenticated: every later frame is sealed
    bool authenticated = false;
    bool closed = false;
    bool parked = false;  // a request waits for a trial
    Clock::time_point deadline;
    std::set<int> leases;
    std::string out;        // frames waiting for the write in flight
    std::string in_flight;  // the frames being written
    bool writing = false;
  };
  using ConnectionPtr = std::shared_ptr<Connection>;

  struct Lease {
    std::uint64_t connection = 0;
    std::string worker;
    Clock::time_point deadline;
  };

  Impl(search::Study& study, search::StudyStore& store, json objective, CoordinatorOptions o)
      : study_(study),
        store_(store),
        objective_(std::move(objective)),
        o_(std::move(o)),
        acceptor_(io_),
        sweep_(io_) {
    if (o_.token.size() < 16) {
      throw std::invalid_argument("coordinator: the token must have at least 16 characters");
    }
    if (o_.target_complete < 1) {
      throw std::invalid_argument("coordinator: the number of trials must be at least 1");
    }
    if (o_.max_failed < 0) o_.max_failed = o_.target_complete;
    if (o_.lease_seconds <= 0 || o_.heartbeat_seconds <= 0 || o_.max_attempts < 1) {
      throw std::invalid_argument(
          "coordinator: lease and heartbeat seconds must be positive, attempts at least 1");
    }
    check_welcome_fits();
    restore();
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(o_.host, ec);
    if (ec) throw std::invalid_argument("--listen: '" + o_.host + "' is not an IP address");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(o_.port));
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + o_.host + ":" + std::to_string(o_.port) +
                               ": " + ec.message());
    }
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  }

  int port() const { return port_; }
  void on_trial_finished(TrialCallback cb) { callbacks_.push_back(std::move(cb)); }
  void stop() { stop_requested_ = true; }

  CoordinatorSummary run() {
    mutate([detail = json{{"event", "started"},
                          {"listen", o_.host + ":" + std::to_string(port_)},
                          {"target", o_.target_complete}}](search::StudyStore& s) {
      s.log("coordinator", detail);
    });
    check_finished();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    arm_sweep();
    io_.run();
    proposer_.join();  // a proposal in flight ends; its trial was never stored or leased
    writer_.join();    // the batch in flight, if any, is committed
    if (!next_.ops.empty() && store_failed_.empty()) {
      const std::string error = apply(next_.ops);
      if (!error.empty()) spdlog::critical("the study store failed: {}", error);
    }
    CoordinatorSummary s;
    s.complete = complete_;
    s.failed = failed_;
    s.queued = static_cast<int>(queue_.size());
    s.running = static_cast<int>(running_.size());
    s.finished = finished_;
    s.commits = commits_;
    s.reason = !store_failed_.empty()      ? "the study store failed: " + store_failed_
               : !strategy_failed_.empty() ? "the strategy failed: " + strategy_failed_
               : finished_                 ? finish_reason_
                                           : "stopped";
    return s;
  }

 private:
  // ---- study state -------------------------------------------------------------------------

  void restore() {
    const std::vector<search::StoredTrial> stored = store_.trials();
    std::vector<search::Trial> trials;
    trials.reserve(stored.size());
    std::vector<int> running;
    for (const search::StoredTrial& st : stored) {
      search::Trial t;
      t.number = st.number;
      try {
        t.params = study_.space().from_params(st.params);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(store_.path() + ": trial " + std::to_string(st.number) + ": " +
                                    e.what());
      }
      t.state = study_state(st.state);
      if (t.state == search::TrialState::kComplete) t.value = st.value;
      t.message = st.message;
      trials.push_back(std::move(t));
      params_.push_back(st.params);
      attempts_.push_back(st.attempts);
      state_.push_back(st.state);
      if (st.state == search::StoredState::kComplete) ++complete_;
      if (st.state == search::StoredState::kFailed) ++failed_;
      if (st.state == search::StoredState::kQueued) queue_.push_back(st.number);
      if (st.state == search::StoredState::kRunning) running.push_back(st.number);
    }
    study_.restore(std::move(trials));
    if (!running.empty()) {
      search::StoreBatch batch(store_);
      for (int n : running) {
        store_.requeue(n, "the coordinator restarted while it ran");
        state_[n] = search::StoredState::kQueued;
      }
      batch.commit();
      // Re-queued trials go first: they are the oldest.
      queue_.insert(queue_.begin(), running.begin(), running.end());
      spdlog::info("resume: {} trials that were running are queued again", running.size());
    }
  }

  // Group commit. Store changes and the replies that depend on them collect in `next_`; a flush
  // hands the batch to the writer thread, which applies it in one transaction (one fsync), and
  // the replies go out once it is durable. While the writer commits, the next batch fills, so
  // batches grow with the load. Only one batch is with the writer at a time, which keeps every
  // connection's replies in order.
  using StoreOp = std::function<void(search::StudyStore&)>;
  struct Batch {
    std::vector<StoreOp> ops;
    std::vector<std::function<void()>> actions;
  };

  void mutate(StoreOp op) {
    next_.ops.push_back(std::move(op));
    schedule_flush();
  }

  // Sends `message` to `c` once everything before it is committed; replies keep their order.
  void reply(const ConnectionPtr& c, json message) {
    next_.actions.push_back([this, c, m = std::move(message)] { send(c, m); });
    schedule_flush();
  }

  void schedule_flush() {
    if (flush_scheduled_ || committing_) return;
    flush_scheduled_ = true;
    asio::post(io_, [this] { flush(); });
  }

  void flush() {
    flush_scheduled_ = false;
    if (committing_ || (next_.ops.empty() && next_.actions.empty())) return;
    Batch batch = std::exchange(next_, Batch{});
    if (batch.ops.empty()) {  // nothing to make durable, nothing ahead of it
      run_actions(batch.actions);
      return;
    }
    committing_ = true;
    ++commits_;
    asio::post(writer_, [this, batch = std::move(batch)]() mutable {
      std::string error = apply(batch.ops);
      asio::post(io_, [this, batch = std::move(batch), error = std::move(error)]() mutable {
        committing_ = false;
        if (!error.empty()) {
          stop_on_failure(store_failed_, "the study store", error);
          return;
        }
        run_actions(batch.actions);
        flush();
      });
    });
  }

  // A failure the study cannot go on after (the store, the strategy): kept in `slot` for the
  // summary, and the coordinator stops.
  void stop_on_failure(std::string& slot, const char* what, const std::string& error) {
    spdlog::critical("{} failed, stopping: {}", what, error);
    slot = error;
    stop_requested_ = true;
  }

  // Applies `ops` in one transaction. A rejected transition is a bug in this class: logged, and
  // the rest of the batch goes on. Returns why the commit failed, or "".
  std::string apply(const std::vector<StoreOp>& ops) {
    try {
      search::StoreBatch batch(store_);
      for (const StoreOp& op : ops) {
        try {
          op(store_);
        } catch (const std::invalid_argument& e) {
          spdlog::error("study store refused a change: {}", e.what());
        }
      }
      batch.commit();
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  // Whether a new trial may be proposed now: one proposal at a time, and no more trials than
  // the target needs.
  bool can_create() const {
    return !exhausted_ && !proposing_ &&
           complete_ + static_cast<int>(running_.size() + queue_.size()) < o_.target_complete;
  }

  // Proposes the next trial on the proposer thread, so that a model fit (tens of milliseconds
  // for a GP at a few hundred trials) never holds up the io thread's heartbeats and
  // acknowledgements. The new trial joins the queue when it arrives (on_proposed).
  void start_proposal() {
    proposing_ = true;
    asio::post(proposer_, [this] {
      std::optional<search::Trial> t;
      std::string error;
      try {
        t = study_.ask();
      } catch (const search::SearchExhausted&) {
      } catch (const std::exception& e) {
        error = e.what();
      }
      asio::post(io_,
                 [this, t = std::move(t), error = std::move(error)] { on_proposed(t, error); });
    });
  }

  void on_proposed(const std::optional<search::Trial>& t, const std::string& error) {
    proposing_ = false;
    if (!error.empty()) {
      stop_on_failure(strategy_failed_, "the strategy", error);
      return;
    }
    if (!t) {
      exhausted_ = true;
      check_finished();
    } else if (!finished_ && !stopping_) {  // else not needed any more: never stored
      const int n = t->number;
      params_.push_back(study_.space().to_params(t->params));
      attempts_.push_back(0);
      state_.push_back(search::StoredState::kQueued);
      mutate([n, p = params_[n]](search::StudyStore& s) { s.add_trial(n, p); });
      queue_.push_back(n);
    }
    serve_parked();
  }

  void assign(const ConnectionPtr& c) {
    if (finished_ || stopping_) {
      reply(c, {{"type", "done"}, {"reason", finished_ ? finish_reason_ : "stopping"}});
      return;
    }
    int n = -1;
    if (!queue_.empty()) {
      n = queue_.front();
      queue_.pop_front();
    } else if (can_create()) {
      start_proposal();  // this request waits for it, parked
    }
    if (n < 0) {
      c->parked = true;
      parked_.push_back(c);
      return;
    }
    ++attempts_[n];
    state_[n] = search::StoredState::kRunning;
    running_[n] = {c->id, c->worker, Clock::now() + seconds(o_.lease_seconds)};
    c->leases.insert(n);
    mutate([n, w = c->worker, d = wall_seconds() + o_.lease_seconds](search::StudyStore& s) {
      s.lease(n, w, d);
    });
    reply(c, {{"type", "lease"},
              {"trial", n},
              {"params", params_[n]},
              {"seed", o_.seed ^ random::mix64(static_cast<std::uint64_t>(n))},
              {"attempt", attempts_[n]},
              {"deadline_seconds", o_.lease_seconds}});
  }

  void serve_parked() {
    while (!parked_.empty() && (finished_ || !queue_.empty() || can_create())) {
      ConnectionPtr c = parked_.front();
      parked_.pop_front();
      if (c->closed || !c->parked) continue;
      c->parked = false;
      assign(c);
    }
  }

  // Takes trial `n` away from whichever connection holds its lease. The worker learns it from
  // the `cancel` that answers its next heartbeat (every reply answers one message).
  void revoke(int n) {
    auto it = running_.find(n);
    if (it == running_.end()) return;
    auto holder = connections_.find(it->second.connection);
    if (holder != connections_.end()) holder->second->leases.erase(n);
    running_.erase(it);
  }

  bool finishable(int n) const {
    return n >= 0 && n < static_cast<int>(state_.size()) &&
           (state_[n] == search::StoredState::kQueued ||
            state_[n] == search::StoredState::kRunning);
  }

  void finish_trial(int n, bool ok, double value, const std::string& message, const json& metrics) {
    if (state_[n] == search::StoredState::kQueued) {
      const auto it = std::find(queue_.begin(), queue_.end(), n);
      assert(it != queue_.end());
      queue_.erase(it);
    }
    running_.erase(n);
    if (ok) {
      mutate([n, value, metrics](search::StudyStore& s) { s.complete(n, value, metrics); });
      study_.tell(n, value);
      state_[n] = search::StoredState::kComplete;
      ++complete_;
    } else {
      mutate([n, message](search::StudyStore& s) { s.fail(n, message); });
      study_.tell_failed(n, message);
      state_[n] = search::StoredState::kFailed;
      ++failed_;
    }
    if (!callbacks_.empty()) {
      search::Trial t;
      t.number = n;
      t.params = study_.space().from_params(params_[n]);
      t.state = ok ? search::TrialState::kComplete : search::TrialState::kFailed;
      t.value = ok ? value : std::nan("");
      t.message = message;
      next_.actions.push_back([this, t, metrics] {
        for (auto& cb : callbacks_) cb(study_, t, metrics);
      });
    }
    check_finished();
    serve_parked();
  }

  // A lease ended without a result: queue the trial again, or fail it after too many attempts.
  void lose_lease(int n, const std::string& reason) {
    running_.erase(n);
    if (attempts_[n] >= o_.max_attempts) {
      finish_trial(n, false, 0, "lost " + std::to_string(attempts_[n]) + " leases; last: " + reason,
                   json());
      return;
    }
    state_[n] = search::StoredState::kQueued;
    mutate([n, reason](search::StudyStore& s) { s.requeue(n, reason); });
    queue_.push_front(n);
    spdlog::info("trial {} queued again: {}", n, reason);
    serve_parked();
  }

  void check_finished() {
    if (finished_) return;
    if (complete_ >= o_.target_complete) {
      finish_reason_ = std::to_string(complete_) + " trials complete";
    } else if (failed_ >= o_.max_failed) {
      finish_reason_ = std::to_string(failed_) + " trials failed";
    } else if (exhausted_ && running_.empty() && queue_.empty()) {
      finish_reason_ = "the space has no new point left";
    } else {
      return;
    }
    finished_ = true;
    spdlog::info("study finished: {}", finish_reason_);
    mutate([reason = finish_reason_](search::StudyStore& s) {
      s.log("coordinator", {{"event", "finished"}, {"reason", reason}});
    });
    std::vector<int> leased;
    for (const auto& [n, lease] : running_) leased.push_back(n);
    for (int n : leased) {
      revoke(n);
      state_[n] = search::StoredState::kQueued;
      mutate([n](search::StudyStore& s) { s.requeue(n, "the study finished first"); });
    }
    queue_.insert(queue_.begin(), leased.begin(), leased.end());
    serve_parked();
    // Workers still connected get `done` on their next request; give them a moment, then stop.
    drain_deadline_ = Clock::now() + std::chrono::seconds(2);
  }

  // Debug builds: each queued trial is in queue_ exactly once, each running one in running_, and
  // neither holds any other trial.
  void check_invariants() const {
#ifndef NDEBUG
    std::vector<int> in_queue(state_.size(), 0);
    for (int n : queue_) ++in_queue[n];
    for (const auto& [n, lease] : running_) assert(state_[n] == search::StoredState::kRunning);
    for (std::size_t n = 0; n < state_.size(); ++n) {
      const bool queued = state_[n] == search::StoredState::kQueued;
      const bool running = state_[n] == search::StoredState::kRunning;
      assert(in_queue[n] == (queued ? 1 : 0));
      assert(running_.count(static_cast<int>(n)) == (running ? 1u : 0u));
    }
#endif
  }

  // ---- connections -------------------------------------------------------------------------

  asio::awaitable<void> accept_loop() {
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
        ++refused_;  // counted, and logged once a second by the sweep
        socket.close(ec);
        continue;
      }
      auto c = std::make_shared<Connection>(std::move(socket), next_id_++);
      c->socket.set_option(tcp::no_delay(true), ec);
      c->socket.set_option(asio::socket_base::keep_alive(true), ec);
      const auto remote = c->socket.remote_endpoint(ec);
      c->peer = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
      c->deadline = Clock::now() + seconds(o_.auth_timeout_seconds);
      connections_[c->id] = c;
      asio::co_spawn(io_, read_loop(c), asio::detached);
      asio::co_spawn(io_, watch(c), asio::detached);
    }
  }

  asio::awaitable<void> watch(ConnectionPtr c) {
    while (!c->closed) {
      c->watchdog.expires_at(c->deadline);
      boost::system::error_code ec;
      co_await c->watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (c->closed) break;
      if (Clock::now() < c->deadline) continue;
      if (c->authenticated && (c->parked || !c->leases.empty())) {
        c->deadline = Clock::now() + seconds(o_.idle_timeout_seconds);  // busy, not idle
        continue;
      }
      close(c, c->authenticated ? "idle for too long" : "did not authenticate in time");
    }
  }

  asio::awaitable<void> read_loop(ConnectionPtr c) {
    FrameDecoder decoder(o_.max_frame);
    std::array<char, 16384> buffer;
    try {
      for (;;) {
        boost::system::error_code ec;
        const std::size_t n = co_await c->socket.async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (c->closed) co_return;
        if (ec) {
          close(c, ec == asio::error::eof ? "" : "connection lost: " + ec.message());
          co_return;
        }
        decoder.feed(buffer.data(), n);
        while (auto body = decoder.next_body()) {
          if (c->mac && !c->mac->open(*body)) {
            close(c, "message authentication failed", "message authentication failed");
            co_return;
          }
          handle(c, parse_message(*body));
          check_invariants();
          if (c->closed) co_return;
        }
      }
    } catch (const ProtocolError& e) {
      close(c, std::string("bad frame: ") + e.what(), e.what());
    } catch (const std::invalid_argument& e) {
      close(c, std::string("bad message: ") + e.what(), e.what());
    }
  }

  void handle(const ConnectionPtr& c, const json& m) {
    const std::string& type = m["type"].get_ref<const std::string&>();
    if (!c->authenticated) {
      handshake(c, type, m);
      return;
    }
    c->deadline = Clock::now() + seconds(o_.idle_timeout_seconds);
    if (type == "request") {
      if (c->parked) {
        close(c, "asked for a second trial while one request was waiting", "request pending");
        return;
      }
      assign(c);
    } else if (type == "heartbeat") {
      const int n = m["trial"];
      auto it = running_.find(n);
      if (it == running_.end() || it->second.connection != c->id) {
        reply(c, {{"type", "cancel"}, {"trial", n}, {"reason", "not leased to this worker"}});
        return;
      }
      it->second.deadline = Clock::now() + seconds(o_.lease_seconds);
      json progress = json::object();
      for (const char* key : {"progress", "values", "message"}) {
        if (m.contains(key)) progress[key] = m[key];
      }
      mutate([n, w = c->worker, progress](search::StudyStore& s) { s.heartbeat(n, w, progress); });
      reply(c, {{"type", "ack"}, {"trial", n}});
    } else if (type == "result" || type == "failure") {
      const int n = m["trial"];
      if (finished_ || !finishable(n)) {
        // The study is over, the trial finished meanwhile (a lost lease completed elsewhere), or
        // it is unknown: nothing to store.
        reply(c, {{"type", "ack"}, {"trial", n}, {"ignored", true}});
        c->leases.erase(n);
        return;
      }
      auto it = running_.find(n);
      if (it != running_.end() && it->second.connection != c->id) {
        revoke(n);
      }
      c->leases.erase(n);
      if (type == "result") {
        finish_trial(n, true, m["value"].get<double>(), "", m.value("metrics", json::object()));
      } else {
        finish_trial(n, false, 0, m["message"].get<std::string>(), json());
      }
      reply(c, {{"type", "ack"}, {"trial", n}});
    } else if (type == "bye") {
      close(c, "");
    } else {
      close(c, "unexpected '" + type + "' from a worker", "unexpected message");
    }
  }

  void handshake(const ConnectionPtr& c, const std::string& type, const json& m) {
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
               {"study", store_.path()},
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

  json welcome() const {
    return {{"type", "welcome"},
            {"objective", objective_},
            {"heartbeat_seconds", o_.heartbeat_seconds},
            {"lease_seconds", o_.lease_seconds},
            {"study", store_.path()}};
  }

  // A welcome over the frame limit would be refused by every worker; say so before listening.
  void check_welcome_fits() const {
    const std::size_t size = encode_body(welcome()).size() - 1 + SessionMac::kSuffixLength;
    if (size > o_.max_frame) {
      throw std::invalid_argument(fmt::format(
          "coordinator: the welcome would be a frame of {} bytes ({} of them the objective), "
          "over the frame limit of {} bytes that workers accept; make the objective smaller",
          size, objective_.dump().size(), o_.max_frame));
    }
  }

  // The frame for `message` on `c`, sealed once `c` is authenticated. Frames must reach the wire
  // in the order they are made here (the seal numbers them).
  static std::string frame_for(const ConnectionPtr& c, const json& message) {
    const std::string body = encode_body(message);
    return frame_of(c->mac ? c->mac->seal(body) : body);
  }

  // Queues a frame for `c`. Frames queued while a batch's replies go out leave in one write.
  void send(const ConnectionPtr& c, const json& message) {
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

  void run_actions(std::vector<std::function<void()>>& actions) {
    holding_writes_ = true;
    for (auto& action : actions) action();
    holding_writes_ = false;
    for (const ConnectionPtr& c : held_) {
      if (!c->closed && !c->writing && !c->out.empty()) write_next(c);
    }
    held_.clear();
  }

  void write_next(const ConnectionPtr& c) {
    c->writing = true;
    std::swap(c->in_flight, c->out);
    asio::async_write(c->socket, asio::buffer(c->in_flight),
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
  }

  // Closes `c` once: logs `why` (unless empty: a normal goodbye), sends `error_text` to the
  // client first when given (best effort, never blocking), and re-queues its leases.
  void close(const ConnectionPtr& c, const std::string& why, const std::string& error_text = {}) {
    if (c->closed) return;
    c->closed = true;
    const std::string who = c->worker.empty() ? c->peer : "'" + c->worker + "' (" + c->peer + ")";
    if (!why.empty()) spdlog::warn("connection {} closed: {}", who, why);
    boost::system::error_code ec;
    if (!error_text.empty()) {
      // Queued frames that no write has taken yet go first: the error's seal number follows
      // theirs.
      const std::string frames = (c->writing ? std::string() : std::move(c->out)) +
                                 frame_for(c, {{"type", "error"}, {"message", error_text}});
      c->socket.non_blocking(true, ec);
      c->socket.write_some(asio::buffer(frames), ec);
    }
    c->socket.shutdown(tcp::socket::shutdown_both, ec);
    c->socket.close(ec);
    c->watchdog.cancel();
    if (c->authenticated) --authenticated_;
    connections_.erase(c->id);
    const std::set<int> leases = std::move(c->leases);
    c->leases.clear();
    for (int n : leases) {
      auto it = running_.find(n);
      if (it != running_.end() && it->second.connection == c->id) {
        lose_lease(n, "worker '" + c->worker + "' disconnected" + (why.empty() ? "" : ": " + why));
      }
    }
  }

  // ---- periodic work -----------------------------------------------------------------------

  void arm_sweep() {
    sweep_.expires_after(std::chrono::milliseconds(100));
    sweep_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      sweep();
    });
  }

  void sweep() {
    const auto now = Clock::now();
    if (stop_requested_ && !stopping_) {
      stopping_ = true;
      spdlog::info("stopping: leased trials stay running in the store and resume later");
    }
    std::vector<int> expired;
    for (const auto& [n, lease] : running_) {
      if (lease.deadline <= now) expired.push_back(n);
    }
    for (int n : expired) {
      const auto it = running_.find(n);
      if (it == running_.end()) continue;  // revoked: an earlier one ended the study
      const auto holder = connections_.find(it->second.connection);
      const std::string worker = it->second.worker;
      if (holder != connections_.end()) holder->second->leases.erase(n);
      lose_lease(n,
                 fmt::format("no heartbeat from worker '{}' for {:g} s", worker, o_.lease_seconds));
    }
    check_invariants();
    if (refused_ > 0 && now >= next_refusal_log_) {
      spdlog::warn("refused {} connections over the limit of {} ({} unauthenticated at most)",
                   refused_, o_.max_connections, std::max(1, o_.max_connections / 4));
      refused_ = 0;
      next_refusal_log_ = now + std::chrono::seconds(1);
    }
    const bool drained = finished_ && (authenticated_ == 0 || now >= drain_deadline_);
    if (stopping_ || drained) {
      shutdown();
      return;
    }
    arm_sweep();
  }

  void shutdown() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& [id, c] : std::unordered_map<std::uint64_t, ConnectionPtr>(connections_)) {
      if (stopping_) c->leases.clear();  // stay `running` in the store; resume re-queues them
      close(c, "");
    }
    mutate([detail = json{{"event", stopping_ && !finished_ ? "stopped" : "exited"},
                          {"complete", complete_},
                          {"failed", failed_}}](search::StudyStore& s) {
      s.log("coordinator", detail);
    });
    io_.stop();
  }

  search::Study& study_;
  search::StudyStore& store_;
  const json objective_;
  CoordinatorOptions o_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer sweep_;
  int port_ = 0;

  std::vector<TrialCallback> callbacks_;
  std::vector<json> params_;  // by trial number
  std::vector<int> attempts_;
  std::vector<search::StoredState> state_;
  std::deque<int> queue_;
  std::map<int, Lease> running_;
  int complete_ = 0;
  int failed_ = 0;
  bool exhausted_ = false;
  bool finished_ = false;
  std::string finish_reason_;
  Clock::time_point drain_deadline_;

  std::unordered_map<std::uint64_t, ConnectionPtr> connections_;
  std::deque<ConnectionPtr> parked_;
  std::uint64_t next_id_ = 1;
  int authenticated_ = 0;
  int refused_ = 0;
  Clock::time_point next_refusal_log_;

  Batch next_;
  bool holding_writes_ = false;
  std::vector<ConnectionPtr> held_;
  bool flush_scheduled_ = false;
  bool committing_ = false;
  std::uint64_t commits_ = 0;
  std::string store_failed_;
  asio::thread_pool writer_{1};
  asio::thread_pool proposer_{1};
  bool proposing_ = false;
  std::string strategy_failed_;
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
};

Coordinator::Coordinator(search::Study& study, search::StudyStore& store, nlohmann::json objective,
                         CoordinatorOptions options)
    : impl_(std::make_unique<Impl>(study, store, std::move(objective), std::move(options))) {}
Coordinator::~Coordinator() = default;
int Coordinator::port() const { return impl_->port(); }
void Coordinator::on_trial_finished(TrialCallback callback) {
  impl_->on_trial_finished(std::move(callback));
}
CoordinatorSummary Coordinator::run() { return impl_->run(); }
void Coordinator::stop() { impl_->stop(); }

}  // namespace autoaug::net
