#pragma once

// The coordinator's side of every trial: which trials are queued (and in what order), which are
// leased to which connection until when, which are finished, and whether the study has ended.
//
// Each trial is in exactly one state at a time (search::StoredState, the store's own four, so no
// mapping is lost between the two): queued, running (leased to one connection), complete or
// failed. Every change is one of the transitions below; each checks its precondition and, when it
// does not hold, changes nothing and says why in the returned status. A refusal is an expected
// answer (a late, duplicate or stale report from a worker), never an exception. The table does no
// I/O: its owner writes each change to the store and answers the worker from the status.
//
// Invariants, checked by check_invariants(): each trial is in one state; the queue holds exactly
// the queued trials, each once; a lease exists exactly for each running trial; the complete and
// failed counts match the states; a finished study has no lease.
//
// Not thread-safe: one owner thread (the coordinator's io thread).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/store/study_store.h"

namespace autoaug::net {

struct LeaseTableOptions {
  int target_complete = 1;  // the study ends when this many trials are complete (>= 1)
  int max_failed = 1;       // ... or when this many have failed (>= 0)
  int max_attempts = 3;     // lost leases before a trial fails (>= 1)
  // A lease lasts this long from when it is granted or last heartbeated (> 0).
  std::chrono::steady_clock::duration lease_duration = std::chrono::seconds(60);
};

// What a transition did, or why it changed nothing. Never stored or sent.
enum class LeaseStatus : int {
  kOk = 0,          // done as asked
  kLate = 1,        // result or failure for a queued trial (its lease was lost): kept
  kTakenOver = 2,   // result or failure from a connection that does not hold the trial's
                    // lease: kept, and the holder's lease revoked
  kRequeued = 3,    // a lost lease: the trial is queued again, first in line
  kFailedOut = 4,   // a lost lease, the last attempt: the trial failed
  kQueueEmpty = 5,  // nothing to lease now
  kUnknownTrial = 6,
  kNotLeased = 7,        // the trial is not running (queued, finished, or its lease revoked)
  kLeasedToAnother = 8,  // the trial is running under another connection's lease
  kTrialFinished = 9,    // the trial is already complete or failed
  kStudyFinished = 10,
  kStopped = 11,     // stop() froze the table
  kOutOfOrder = 12,  // add: not the next trial number
};

// "ok", "late", ... as spelled after the k.
const char* lease_status_name(LeaseStatus s);

// Whether a result or failure with this status was recorded (kOk, kLate, kTakenOver).
bool report_accepted(LeaseStatus s);

class LeaseTable {
 public:
  using Clock = std::chrono::steady_clock;

  // The answer of a transition that may finish a trial or end the study.
  struct Outcome {
    LeaseStatus status = LeaseStatus::kOk;
    int trial = -1;       // the trial concerned (lease: the one granted)
    std::string message;  // kFailedOut: the failure message to record
    bool ended = false;   // this transition ended the study (see finish_reason())
    // When it ended: the trials whose leases the end revoked, queued again in this order at the
    // front of the queue.
    std::vector<int> requeued;
  };

  // A lease whose deadline has passed.
  struct Expired {
    int trial = -1;
    std::uint64_t connection = 0;
    std::string worker;
  };

  // Throws std::invalid_argument naming the field when an option is out of range.
  explicit LeaseTable(LeaseTableOptions options);

  // Fills an empty table from a store's rows (numbers 0..n-1 in order): complete, failed and
  // queued trials as they are; trials that were running (their coordinator stopped) are queued
  // again, before the others, with their attempts kept. Returns those trials' numbers. Throws
  // std::invalid_argument when the table is not empty or a number is out of order.
  std::vector<int> restore(const std::vector<search::StoredTrial>& stored);

  // A new trial (the study's next number, `params` as stored) joins the end of the queue.
  // kOutOfOrder unless number == size(); kStudyFinished, kStopped.
  [[nodiscard]] LeaseStatus add(int number, nlohmann::json params);

  // Leases the first queued trial to `connection` (whose worker is called `worker`) until
  // now + the lease duration; its attempts go up by one. kQueueEmpty, kStudyFinished, kStopped.
  [[nodiscard]] Outcome lease(std::uint64_t connection, const std::string& worker,
                              Clock::time_point now);

  // Renews `connection`'s lease of `trial` to now + the lease duration, also after its deadline
  // as long as lose() has not taken it. kUnknownTrial, kNotLeased, kLeasedToAnother, kStopped.
  [[nodiscard]] LeaseStatus heartbeat(int trial, std::uint64_t connection, Clock::time_point now);

  // A result (complete) or failure (fail) for `trial` from `connection`. The first report for a
  // trial that is not finished is kept: from the holder (kOk), for a queued trial (kLate), or
  // from another connection (kTakenOver: the holder's lease is revoked, and the holder learns it
  // from its next heartbeat). Refused: kStudyFinished, kUnknownTrial, kTrialFinished, kStopped.
  // A kept report may end the study.
  [[nodiscard]] Outcome complete(int trial, std::uint64_t connection);
  [[nodiscard]] Outcome fail(int trial, std::uint64_t connection);

  // `connection`'s lease of `trial` ended without a report (`reason`: its connection closed,
  // its deadline passed). The trial is queued again first in line (kRequeued), or, when it has
  // had max_attempts leases, fails (kFailedOut, with the message to record), which may end the
  // study. Refused: kUnknownTrial, kNotLeased, kLeasedToAnother, kStopped.
  [[nodiscard]] Outcome lose(int trial, std::uint64_t connection, const std::string& reason);

  // The strategy has no new point left. The study ends once nothing is queued or leased.
  [[nodiscard]] Outcome exhaust();

  // Ends the study if it is due: target_complete trials complete, max_failed failed, or the space
  // exhausted with nothing queued or leased. The end revokes every lease and queues those
  // trials again (a resume gives them out). kStudyFinished when it had ended before, kStopped.
  // complete, fail, lose and exhaust call it; call it once more for a freshly restored study.
  [[nodiscard]] Outcome end_if_due();

  // Freezes the table: every later transition is refused with kStopped, so running trials stay
  // running (as in the store) and the next resume queues them again.
  void stop();

  // The leases whose deadline is at or before `now`, in trial order. Taking each away is lose().
  std::vector<Expired> expired(Clock::time_point now) const;
  // The trials `connection` holds leases of, in trial order.
  std::vector<int> leases_of(std::uint64_t connection) const;
  bool holds_lease(std::uint64_t connection) const;

  // Whether the study wants another trial proposed: the space is not exhausted and complete,
  // running and queued trials together are fewer than target_complete.
  bool needs_more() const;

  int size() const { return static_cast<int>(trials_.size()); }
  // Trial `number`'s state, parameters and lease count; `number` must be below size().
  search::StoredState state(int number) const { return trials_.at(number).state; }
  const nlohmann::json& params(int number) const { return trials_.at(number).params; }
  int attempts(int number) const { return trials_.at(number).attempts; }

  int queued() const { return static_cast<int>(queue_.size()); }
  int running() const { return static_cast<int>(leases_.size()); }
  int complete() const { return complete_; }
  int failed() const { return failed_; }
  bool finished() const { return finished_; }
  bool stopped() const { return stopped_; }
  // Why the study ended ("" until it has).
  const std::string& finish_reason() const { return finish_reason_; }

  // "" when every invariant above holds, otherwise the first one broken, naming the trial.
  std::string check_invariants() const;

 private:
  struct Entry {
    nlohmann::json params;
    int attempts = 0;
    search::StoredState state = search::StoredState::kQueued;
  };
  struct Lease {
    std::uint64_t connection = 0;
    std::string worker;
    Clock::time_point deadline;
  };

  // The checks report() and lose() share; kOk when `trial` may change.
  LeaseStatus refuse_report(int trial) const;
  Outcome report(int trial, std::uint64_t connection, search::StoredState to);
  void finish(int trial, search::StoredState to);
  void unqueue(int trial);

  LeaseTableOptions options_;
  std::vector<Entry> trials_;  // by number
  std::deque<int> queue_;      // the queued trials, next to lease first
  std::map<int, Lease> leases_;
  int complete_ = 0;
  int failed_ = 0;
  bool exhausted_ = false;
  bool finished_ = false;
  bool stopped_ = false;
  std::string finish_reason_;
};

}  // namespace autoaug::net
