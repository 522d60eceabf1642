#include "search/net/lease_table.h"

#include <algorithm>
#include <stdexcept>

namespace autoaug::net {
namespace {

using search::StoredState;

// The answer of a transition that changed nothing, or changed one trial and not the study.
LeaseTable::Outcome said(LeaseStatus status, int trial = -1) {
  LeaseTable::Outcome o;
  o.status = status;
  o.trial = trial;
  return o;
}

}  // namespace

const char* lease_status_name(LeaseStatus s) {
  switch (s) {
    case LeaseStatus::kOk:
      return "ok";
    case LeaseStatus::kLate:
      return "late";
    case LeaseStatus::kTakenOver:
      return "taken over";
    case LeaseStatus::kRequeued:
      return "requeued";
    case LeaseStatus::kFailedOut:
      return "failed out";
    case LeaseStatus::kQueueEmpty:
      return "queue empty";
    case LeaseStatus::kUnknownTrial:
      return "unknown trial";
    case LeaseStatus::kNotLeased:
      return "not leased";
    case LeaseStatus::kLeasedToAnother:
      return "leased to another";
    case LeaseStatus::kTrialFinished:
      return "trial finished";
    case LeaseStatus::kStudyFinished:
      return "study finished";
    case LeaseStatus::kStopped:
      return "stopped";
    case LeaseStatus::kOutOfOrder:
      return "out of order";
  }
  return "unknown";
}

bool report_accepted(LeaseStatus s) {
  return s == LeaseStatus::kOk || s == LeaseStatus::kLate || s == LeaseStatus::kTakenOver;
}

LeaseTable::LeaseTable(LeaseTableOptions options) : options_(options) {
  if (options_.target_complete < 1) {
    throw std::invalid_argument("lease table: target_complete must be at least 1");
  }
  if (options_.max_failed < 0) {
    throw std::invalid_argument("lease table: max_failed must be at least 0");
  }
  if (options_.max_attempts < 1) {
    throw std::invalid_argument("lease table: max_attempts must be at least 1");
  }
  if (options_.lease_duration <= Clock::duration::zero()) {
    throw std::invalid_argument("lease table: lease_duration must be positive");
  }
}

std::vector<int> LeaseTable::restore(const std::vector<search::StoredTrial>& stored) {
  if (!trials_.empty()) throw std::invalid_argument("lease table: restore into a non-empty table");
  std::vector<int> running;
  for (const search::StoredTrial& st : stored) {
    if (st.number != size()) {
      throw std::invalid_argument("lease table: restored trial " + std::to_string(st.number) +
                                  " where " + std::to_string(size()) + " was due");
    }
    Entry e{st.params, st.attempts, st.state};
    if (e.state == StoredState::kRunning) {
      e.state = StoredState::kQueued;
      running.push_back(st.number);
    } else if (e.state == StoredState::kQueued) {
      queue_.push_back(st.number);
    } else if (e.state == StoredState::kComplete) {
      ++complete_;
    } else if (e.state == StoredState::kFailed) {
      ++failed_;
    } else {
      throw std::invalid_argument("lease table: restored trial " + std::to_string(st.number) +
                                  " has state " + std::to_string(static_cast<int>(e.state)));
    }
    trials_.push_back(std::move(e));
  }
  // They are the oldest: they go first.
  queue_.insert(queue_.begin(), running.begin(), running.end());
  return running;
}

LeaseStatus LeaseTable::add(int number, nlohmann::json params) {
  if (stopped_) return LeaseStatus::kStopped;
  if (finished_) return LeaseStatus::kStudyFinished;
  if (number != size()) return LeaseStatus::kOutOfOrder;
  trials_.push_back({std::move(params), 0, StoredState::kQueued});
  queue_.push_back(number);
  return LeaseStatus::kOk;
}

LeaseTable::Outcome LeaseTable::lease(std::uint64_t connection, const std::string& worker,
                                      Clock::time_point now) {
  if (stopped_) return said(LeaseStatus::kStopped);
  if (finished_) return said(LeaseStatus::kStudyFinished);
  if (queue_.empty()) return said(LeaseStatus::kQueueEmpty);
  const int n = queue_.front();
  queue_.pop_front();
  Entry& e = trials_[n];
  ++e.attempts;
  e.state = StoredState::kRunning;
  leases_[n] = {connection, worker, now + options_.lease_duration};
  return said(LeaseStatus::kOk, n);
}

LeaseStatus LeaseTable::heartbeat(int trial, std::uint64_t connection, Clock::time_point now) {
  if (stopped_) return LeaseStatus::kStopped;
  if (trial < 0 || trial >= size()) return LeaseStatus::kUnknownTrial;
  const auto it = leases_.find(trial);
  if (it == leases_.end()) return LeaseStatus::kNotLeased;
  if (it->second.connection != connection) return LeaseStatus::kLeasedToAnother;
  it->second.deadline = now + options_.lease_duration;
  return LeaseStatus::kOk;
}

LeaseStatus LeaseTable::refuse_report(int trial) const {
  if (stopped_) return LeaseStatus::kStopped;
  if (finished_) return LeaseStatus::kStudyFinished;
  if (trial < 0 || trial >= size()) return LeaseStatus::kUnknownTrial;
  const StoredState s = trials_[trial].state;
  if (s == StoredState::kComplete || s == StoredState::kFailed) {
    return LeaseStatus::kTrialFinished;
  }
  return LeaseStatus::kOk;
}

LeaseTable::Outcome LeaseTable::complete(int trial, std::uint64_t connection) {
  return report(trial, connection, StoredState::kComplete);
}

LeaseTable::Outcome LeaseTable::fail(int trial, std::uint64_t connection) {
  return report(trial, connection, StoredState::kFailed);
}

LeaseTable::Outcome LeaseTable::report(int trial, std::uint64_t connection, StoredState to) {
  const LeaseStatus refusal = refuse_report(trial);
  if (refusal != LeaseStatus::kOk) return said(refusal, trial);
  LeaseStatus status = LeaseStatus::kOk;
  if (trials_[trial].state == StoredState::kQueued) {
    status = LeaseStatus::kLate;
  } else if (leases_.at(trial).connection != connection) {
    status = LeaseStatus::kTakenOver;
  }
  finish(trial, to);
  Outcome o = end_if_due();
  o.status = status;
  o.trial = trial;
  return o;
}

LeaseTable::Outcome LeaseTable::lose(int trial, std::uint64_t connection,
                                     const std::string& reason) {
  if (stopped_) return said(LeaseStatus::kStopped, trial);
  if (trial < 0 || trial >= size()) return said(LeaseStatus::kUnknownTrial, trial);
  const auto it = leases_.find(trial);
  if (it == leases_.end()) return said(LeaseStatus::kNotLeased, trial);
  if (it->second.connection != connection) return said(LeaseStatus::kLeasedToAnother, trial);
  leases_.erase(it);
  Entry& e = trials_[trial];
  if (e.attempts >= options_.max_attempts) {
    finish(trial, StoredState::kFailed);
    Outcome o = end_if_due();
    o.status = LeaseStatus::kFailedOut;
    o.trial = trial;
    o.message = "lost " + std::to_string(e.attempts) + " leases; last: " + reason;
    return o;
  }
  e.state = StoredState::kQueued;
  queue_.push_front(trial);
  return said(LeaseStatus::kRequeued, trial);
}

LeaseTable::Outcome LeaseTable::exhaust() {
  exhausted_ = true;
  return end_if_due();
}

LeaseTable::Outcome LeaseTable::end_if_due() {
  if (stopped_) return said(LeaseStatus::kStopped);
  if (finished_) return said(LeaseStatus::kStudyFinished);
  if (complete_ >= options_.target_complete) {
    finish_reason_ = std::to_string(complete_) + " trials complete";
  } else if (failed_ >= options_.max_failed) {
    finish_reason_ = std::to_string(failed_) + " trials failed";
  } else if (exhausted_ && leases_.empty() && queue_.empty()) {
    finish_reason_ = "the space has no new point left";
  } else {
    return said(LeaseStatus::kOk);
  }
  finished_ = true;
  Outcome o;
  o.ended = true;
  for (const auto& [n, lease] : leases_) {
    trials_[n].state = StoredState::kQueued;
    o.requeued.push_back(n);
  }
  leases_.clear();
  queue_.insert(queue_.begin(), o.requeued.begin(), o.requeued.end());
  return o;
}

void LeaseTable::stop() { stopped_ = true; }

void LeaseTable::finish(int trial, StoredState to) {
  if (trials_[trial].state == StoredState::kQueued) unqueue(trial);
  leases_.erase(trial);
  trials_[trial].state = to;
  if (to == StoredState::kComplete) {
    ++complete_;
  } else {
    ++failed_;
  }
}

void LeaseTable::unqueue(int trial) {
  const auto it = std::find(queue_.begin(), queue_.end(), trial);
  if (it != queue_.end()) queue_.erase(it);
}

std::vector<LeaseTable::Expired> LeaseTable::expired(Clock::time_point now) const {
  std::vector<Expired> out;
  for (const auto& [n, lease] : leases_) {
    if (lease.deadline <= now) out.push_back({n, lease.connection, lease.worker});
  }
  return out;
}

std::vector<int> LeaseTable::leases_of(std::uint64_t connection) const {
  std::vector<int> out;
  for (const auto& [n, lease] : leases_) {
    if (lease.connection == connection) out.push_back(n);
  }
  return out;
}

bool LeaseTable::holds_lease(std::uint64_t connection) const {
  return std::any_of(leases_.begin(), leases_.end(),
                     [connection](const auto& l) { return l.second.connection == connection; });
}

bool LeaseTable::needs_more() const {
  return !exhausted_ && complete_ + running() + queued() < options_.target_complete;
}

std::string LeaseTable::check_invariants() const {
  std::vector<int> in_queue(trials_.size(), 0);
  for (int n : queue_) {
    if (n < 0 || n >= size()) return "the queue holds unknown trial " + std::to_string(n);
    ++in_queue[n];
  }
  for (const auto& [n, lease] : leases_) {
    if (n < 0 || n >= size()) return "a lease of unknown trial " + std::to_string(n);
  }
  int complete = 0;
  int failed = 0;
  for (int n = 0; n < size(); ++n) {
    const StoredState s = trials_[n].state;
    const std::string trial = "trial " + std::to_string(n) + " (" + stored_state_name(s) + ")";
    if (in_queue[n] != (s == StoredState::kQueued ? 1 : 0)) {
      return trial + " is in the queue " + std::to_string(in_queue[n]) + " times";
    }
    if (leases_.count(n) != (s == StoredState::kRunning ? 1u : 0u)) {
      return trial + (leases_.count(n) ? " has a lease" : " has no lease");
    }
    complete += s == StoredState::kComplete;
    failed += s == StoredState::kFailed;
  }
  if (complete != complete_ || failed != failed_) {
    return "counted " + std::to_string(complete_) + " complete and " + std::to_string(failed_) +
           " failed; the trials say " + std::to_string(complete) + " and " + std::to_string(failed);
  }
  if (finished_ && !leases_.empty()) return "the study finished with trials still leased";
  return {};
}

}  // namespace autoaug::net
