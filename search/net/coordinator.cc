#include "search/net/coordinator.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cassert>
#include <cmath>
#include <deque>
#include <optional>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/net/detail/group_commit.h"
#include "search/net/detail/sessions.h"
#include "search/net/lease_table.h"
#include "search/random.h"
#include "search/store/study_store.h"

namespace autoaug::net {
namespace {

using json = nlohmann::json;
using detail::Clock;
using detail::ConnectionPtr;
using detail::seconds;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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

CoordinatorOptions validated(CoordinatorOptions o) {
  if (o.token.size() < 16) {
    throw std::invalid_argument("coordinator: the token must have at least 16 characters");
  }
  if (o.target_complete < 1) {
    throw std::invalid_argument("coordinator: the number of trials must be at least 1");
  }
  if (o.max_failed < 0) o.max_failed = o.target_complete;
  if (o.lease_seconds <= 0 || o.heartbeat_seconds <= 0 || o.max_attempts < 1) {
    throw std::invalid_argument(
        "coordinator: lease and heartbeat seconds must be positive, attempts at least 1");
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    throw std::invalid_argument("--tls-cert and --tls-key: give both or neither");
  }
  return o;
}

LeaseTableOptions table_options(const CoordinatorOptions& o) {
  return {o.target_complete, o.max_failed, o.max_attempts, seconds(o.lease_seconds)};
}

}  // namespace

// The work loop: what each worker message does to the lease table (search/net/lease_table.h),
// the store writes and the replies that follow, proposals of new trials, parked requests and the
// periodic sweep. Connections are detail::Sessions; store writes go through detail::GroupCommit.
class Coordinator::Impl : private detail::SessionOwner {
 public:
  Impl(search::Study& study, search::StudyStore& store, json objective, CoordinatorOptions o)
      : study_(study),
        store_(store),
        o_(validated(std::move(o))),
        table_(table_options(o_)),
        sessions_(io_, o_, store_.path(), std::move(objective), *this),
        group_(
            io_, store_, [this](auto& actions) { sessions_.deliver(actions); },
            [this](const std::string& e) { stop_on_failure(store_failed_, "the study store", e); }),
        sweep_(io_) {
    restore();
    sessions_.listen();
  }

  int port() const { return sessions_.port(); }
  void on_trial_finished(TrialCallback cb) { callbacks_.push_back(std::move(cb)); }
  void stop() { stop_requested_ = true; }

  CoordinatorSummary run() {
    group_.mutate([detail = json{{"event", "started"},
                                 {"listen", o_.host + ":" + std::to_string(port())},
                                 {"target", o_.target_complete}}](search::StudyStore& s) {
      s.log("coordinator", detail);
    });
    settle(table_.end_if_due());
    sessions_.start();
    arm_sweep();
    io_.run();
    proposer_.join();  // a proposal in flight ends; its trial was never stored or leased
    group_.drain();
    CoordinatorSummary s;
    s.complete = table_.complete();
    s.failed = table_.failed();
    s.queued = table_.queued();
    s.running = table_.running();
    s.finished = table_.finished();
    s.commits = group_.commits();
    s.refused = sessions_.refused();
    s.reason = !store_failed_.empty()      ? "the study store failed: " + store_failed_
               : !strategy_failed_.empty() ? "the strategy failed: " + strategy_failed_
               : table_.finished()         ? table_.finish_reason()
                                           : "stopped";
    return s;
  }

 private:
  void restore() {
    const std::vector<search::StoredTrial> stored = store_.trials();
    std::vector<search::Trial> trials;
    trials.reserve(stored.size());
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
    }
    study_.restore(std::move(trials));
    const std::vector<int> running = table_.restore(stored);
    if (!running.empty()) {
      search::StoreBatch batch(store_);
      for (int n : running) store_.requeue(n, "the coordinator restarted while it ran");
      batch.commit();
      spdlog::info("resume: {} trials that were running are queued again", running.size());
    }
  }

  // Sends `message` to `c` once everything before it is committed; replies keep their order.
  void reply(const ConnectionPtr& c, json message) {
    group_.after_commit([this, c, m = std::move(message)] { sessions_.send(c, m); });
  }

  // A failure the study cannot go on after (the store, the strategy): kept in `slot` for the
  // summary, and the coordinator stops.
  void stop_on_failure(std::string& slot, const char* what, const std::string& error) {
    spdlog::critical("{} failed, stopping: {}", what, error);
    slot = error;
    stop_requested_ = true;
  }

  // Whether a new trial may be proposed now: one proposal at a time, and no more trials than
  // the target needs.
  bool can_create() const { return !proposing_ && table_.needs_more(); }

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
      settle(table_.exhaust());
    } else {
      const int n = t->number;
      json params = study_.space().to_params(t->params);
      // Refused once the study finished or stopped: not needed any more, never stored.
      const LeaseStatus added = table_.add(n, params);
      assert(added != LeaseStatus::kOutOfOrder);  // the study numbers trials as the table does
      if (added == LeaseStatus::kOk) {
        group_.mutate([n, p = std::move(params)](search::StudyStore& s) { s.add_trial(n, p); });
      }
    }
    serve_parked();
  }

  void assign(const ConnectionPtr& c) {
    const LeaseTable::Outcome o = table_.lease(c->id, c->worker, Clock::now());
    if (o.status == LeaseStatus::kStudyFinished || o.status == LeaseStatus::kStopped) {
      reply(c, {{"type", "done"},
                {"reason", table_.finished() ? table_.finish_reason() : "stopping"}});
      return;
    }
    if (o.status == LeaseStatus::kQueueEmpty) {
      if (can_create()) start_proposal();  // this request waits for it, parked
      c->parked = true;
      parked_.push_back(c);
      return;
    }
    const int n = o.trial;
    group_.mutate([n, w = c->worker, d = wall_seconds() + o_.lease_seconds](search::StudyStore& s) {
      s.lease(n, w, d);
    });
    reply(c, {{"type", "lease"},
              {"trial", n},
              {"params", table_.params(n)},
              {"seed", o_.seed ^ random::mix64(static_cast<std::uint64_t>(n))},
              {"attempt", table_.attempts(n)},
              {"deadline_seconds", o_.lease_seconds}});
  }

  void serve_parked() {
    while (!parked_.empty() && (table_.finished() || table_.queued() > 0 || can_create())) {
      ConnectionPtr c = parked_.front();
      parked_.pop_front();
      if (c->closed || !c->parked) continue;
      c->parked = false;
      assign(c);
    }
  }

  // Records trial `n`'s end, which the table has accepted (`o`): the store, the study, the
  // callbacks; then whatever the end of the study brings, and parked requests.
  void finish_trial(const LeaseTable::Outcome& o, bool ok, double value, const std::string& message,
                    const json& metrics) {
    const int n = o.trial;
    if (ok) {
      group_.mutate([n, value, metrics](search::StudyStore& s) { s.complete(n, value, metrics); });
      study_.tell(n, value);
    } else {
      group_.mutate([n, message](search::StudyStore& s) { s.fail(n, message); });
      study_.tell_failed(n, message);
    }
    if (!callbacks_.empty()) {
      search::Trial t;
      t.number = n;
      t.params = study_.space().from_params(table_.params(n));
      t.state = ok ? search::TrialState::kComplete : search::TrialState::kFailed;
      t.value = ok ? value : std::nan("");
      t.message = message;
      group_.after_commit([this, t, metrics] {
        for (auto& cb : callbacks_) cb(study_, t, metrics);
      });
    }
    settle(o);
    serve_parked();
  }

  // A lease that ended without a report (`o` from LeaseTable::lose): queued again, or failed.
  void lost(const LeaseTable::Outcome& o, const std::string& reason) {
    if (o.status == LeaseStatus::kFailedOut) {
      finish_trial(o, false, 0, o.message, json());
    } else if (o.status == LeaseStatus::kRequeued) {
      group_.mutate([n = o.trial, reason](search::StudyStore& s) { s.requeue(n, reason); });
      spdlog::info("trial {} queued again: {}", o.trial, reason);
      serve_parked();
    }
  }

  // The study ended in the transition that returned `o`: its revoked leases are queued again
  // in the store too. Workers still connected get `done` on their next request; they get a
  // moment, then the coordinator stops.
  void settle(const LeaseTable::Outcome& o) {
    if (!o.ended) return;
    spdlog::info("study finished: {}", table_.finish_reason());
    group_.mutate([reason = table_.finish_reason()](search::StudyStore& s) {
      s.log("coordinator", {{"event", "finished"}, {"reason", reason}});
    });
    for (int n : o.requeued) {
      group_.mutate([n](search::StudyStore& s) { s.requeue(n, "the study finished first"); });
    }
    serve_parked();
    drain_deadline_ = Clock::now() + std::chrono::seconds(2);
  }

  // Debug builds: the lease table's invariants hold after every message and sweep.
  void check_invariants() const {
#ifndef NDEBUG
    const std::string broken = table_.check_invariants();
    if (!broken.empty()) spdlog::critical("lease table: {}", broken);
    assert(broken.empty());
#endif
  }

  // ---- detail::SessionOwner ------------------------------------------------------------------

  void on_message(const ConnectionPtr& c, const json& m) override {
    const std::string& type = m["type"].get_ref<const std::string&>();
    if (type == "request") {
      if (c->parked) {
        sessions_.close(c, "asked for a second trial while one request was waiting",
                        "request pending");
      } else {
        assign(c);
      }
    } else if (type == "heartbeat") {
      heartbeat(c, m);
    } else if (type == "result" || type == "failure") {
      report(c, type == "result", m);
    } else if (type == "bye") {
      sessions_.close(c, "");
    } else {
      sessions_.close(c, "unexpected '" + type + "' from a worker", "unexpected message");
    }
    check_invariants();
  }

  bool busy(const detail::Connection& c) const override {
    return c.parked || table_.holds_lease(c.id);
  }

  // Re-queues the leases `c` held (none once the table is stopped: they stay running).
  void on_closed(const detail::Connection& c, const std::string& why) override {
    const std::string reason =
        "worker '" + c.worker + "' disconnected" + (why.empty() ? "" : ": " + why);
    for (int n : table_.leases_of(c.id)) {
      // An earlier loss may have ended the study, which took the rest of the leases back.
      lost(table_.lose(n, c.id, reason), reason);
    }
  }

  void heartbeat(const ConnectionPtr& c, const json& m) {
    const int n = m["trial"];
    if (table_.heartbeat(n, c->id, Clock::now()) != LeaseStatus::kOk) {
      reply(c, {{"type", "cancel"}, {"trial", n}, {"reason", "not leased to this worker"}});
      return;
    }
    json progress = json::object();
    for (const char* key : {"progress", "values", "message"}) {
      if (m.contains(key)) progress[key] = m[key];
    }
    group_.mutate(
        [n, w = c->worker, progress](search::StudyStore& s) { s.heartbeat(n, w, progress); });
    reply(c, {{"type", "ack"}, {"trial", n}});
  }

  // A result or failure. The study being over, the trial finished meanwhile (a lost lease
  // completed elsewhere) or unknown: nothing to store, the report is acknowledged as ignored.
  void report(const ConnectionPtr& c, bool ok, const json& m) {
    const int n = m["trial"];
    const LeaseTable::Outcome o = ok ? table_.complete(n, c->id) : table_.fail(n, c->id);
    if (!report_accepted(o.status)) {
      reply(c, {{"type", "ack"}, {"trial", n}, {"ignored", true}});
      return;
    }
    if (ok) {
      finish_trial(o, true, m["value"].get<double>(), "", m.value("metrics", json::object()));
    } else {
      finish_trial(o, false, 0, m["message"].get<std::string>(), json());
    }
    reply(c, {{"type", "ack"}, {"trial", n}});
  }

  // ---- periodic work -------------------------------------------------------------------------

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
    for (const LeaseTable::Expired& e : table_.expired(now)) {
      const std::string reason =
          fmt::format("no heartbeat from worker '{}' for {:g} s", e.worker, o_.lease_seconds);
      // Refused when an earlier expiry ended the study, which took the lease back.
      lost(table_.lose(e.trial, e.connection, reason), reason);
    }
    check_invariants();
    sessions_.log_refusals(now);
    const bool drained =
        table_.finished() && (sessions_.authenticated() == 0 || now >= drain_deadline_);
    if (stopping_ || drained) {
      shutdown();
      return;
    }
    arm_sweep();
  }

  void shutdown() {
    if (stopping_) table_.stop();  // leases stay `running` in the store; resume re-queues them
    sessions_.close_all();
    group_.mutate([detail = json{{"event", stopping_ && !table_.finished() ? "stopped" : "exited"},
                                 {"complete", table_.complete()},
                                 {"failed", table_.failed()}}](search::StudyStore& s) {
      s.log("coordinator", detail);
    });
    io_.stop();
  }

  search::Study& study_;
  search::StudyStore& store_;
  const CoordinatorOptions o_;
  asio::io_context io_;
  LeaseTable table_;
  detail::Sessions sessions_;
  detail::GroupCommit group_;
  asio::steady_timer sweep_;

  std::vector<TrialCallback> callbacks_;
  std::deque<ConnectionPtr> parked_;
  Clock::time_point drain_deadline_;
  std::string store_failed_;
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
