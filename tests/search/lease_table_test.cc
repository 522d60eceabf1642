// The coordinator's lease table without sockets: every transition, every way a study ends, and
// the reports a worker may send too late, twice, or after losing its lease.

#include "search/net/lease_table.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>

namespace autoaug::net {

// Statuses by name in failure messages.
void PrintTo(LeaseStatus s, std::ostream* os) { *os << lease_status_name(s); }

namespace {

using search::StoredState;
using Clock = LeaseTable::Clock;
using std::chrono::seconds;

// The table never reads the clock: every test runs on this fixed origin.
const Clock::time_point t0{};

constexpr std::uint64_t kA = 1, kB = 2, kC = 3;  // connections

LeaseTableOptions options(int target = 3, int max_failed = 2, int max_attempts = 2) {
  LeaseTableOptions o;
  o.target_complete = target;
  o.max_failed = max_failed;
  o.max_attempts = max_attempts;
  o.lease_duration = seconds(10);
  return o;
}

// A table holding `n` queued trials with params {"i": number}.
LeaseTable with_trials(int n, LeaseTableOptions o = options()) {
  LeaseTable t(o);
  for (int i = 0; i < n; ++i) EXPECT_EQ(t.add(i, {{"i", i}}), LeaseStatus::kOk);
  return t;
}

// Leases the next trial to `connection` and returns its number.
int lease(LeaseTable& t, std::uint64_t connection, Clock::time_point now = t0) {
  std::string worker = "w";
  worker += std::to_string(connection);
  const LeaseTable::Outcome o = t.lease(connection, worker, now);
  EXPECT_EQ(o.status, LeaseStatus::kOk);
  return o.trial;
}

search::StoredTrial stored(int number, StoredState state, int attempts) {
  search::StoredTrial st;
  st.number = number;
  st.params = {{"i", number}};
  st.state = state;
  st.attempts = attempts;
  return st;
}

TEST(LeaseTable, OptionsOutOfRangeAreRefused) {
  LeaseTableOptions o = options();
  o.target_complete = 0;
  EXPECT_THROW(LeaseTable{o}, std::invalid_argument);
  o = options();
  o.max_attempts = 0;
  EXPECT_THROW(LeaseTable{o}, std::invalid_argument);
  o = options();
  o.lease_duration = Clock::duration::zero();
  EXPECT_THROW(LeaseTable{o}, std::invalid_argument);
}

TEST(LeaseTable, TrialsAreLeasedInOrderOfArrival) {
  LeaseTable t = with_trials(2);
  EXPECT_EQ(lease(t, kA), 0);
  EXPECT_EQ(lease(t, kB), 1);
  EXPECT_EQ(t.lease(kC, "wc", t0).status, LeaseStatus::kQueueEmpty);
  EXPECT_EQ(t.state(0), StoredState::kRunning);
  EXPECT_EQ(t.attempts(0), 1);
  EXPECT_EQ(t.params(1), (nlohmann::json{{"i", 1}}));
  EXPECT_EQ(t.leases_of(kA), std::vector<int>{0});
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, AddRefusesANumberOutOfOrder) {
  LeaseTable t(options());
  EXPECT_EQ(t.add(1, {}), LeaseStatus::kOutOfOrder);
  EXPECT_EQ(t.add(0, {}), LeaseStatus::kOk);
  EXPECT_EQ(t.add(0, {}), LeaseStatus::kOutOfOrder);
  EXPECT_EQ(t.size(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, HeartbeatRenewsOnlyTheHoldersLease) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.heartbeat(n, kB, t0 + seconds(5)), LeaseStatus::kLeasedToAnother);
  EXPECT_EQ(t.heartbeat(1, kA, t0 + seconds(5)), LeaseStatus::kNotLeased);  // queued
  EXPECT_EQ(t.heartbeat(7, kA, t0 + seconds(5)), LeaseStatus::kUnknownTrial);
  EXPECT_EQ(t.heartbeat(n, kA, t0 + seconds(5)), LeaseStatus::kOk);
  EXPECT_TRUE(t.expired(t0 + seconds(10)).empty());  // renewed to t0 + 15 s
  const std::vector<LeaseTable::Expired> late = t.expired(t0 + seconds(15));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].trial, n);
  EXPECT_EQ(late[0].connection, kA);
  EXPECT_EQ(late[0].worker, "w1");
}

TEST(LeaseTable, AResultFromTheHolderCompletesTheTrial) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  const LeaseTable::Outcome o = t.complete(n, kA);
  EXPECT_EQ(o.status, LeaseStatus::kOk);
  EXPECT_FALSE(o.ended);
  EXPECT_EQ(t.state(n), StoredState::kComplete);
  EXPECT_EQ(t.complete(), 1);
  EXPECT_FALSE(t.holds_lease(kA));
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, AFailureFromTheHolderFailsTheTrial) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.fail(n, kA).status, LeaseStatus::kOk);
  EXPECT_EQ(t.state(n), StoredState::kFailed);
  EXPECT_EQ(t.failed(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, ADuplicateOrUnknownReportIsRefused) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.complete(n, kA).status, LeaseStatus::kOk);
  EXPECT_EQ(t.complete(n, kA).status, LeaseStatus::kTrialFinished);
  EXPECT_EQ(t.fail(n, kA).status, LeaseStatus::kTrialFinished);
  EXPECT_EQ(t.complete(5, kA).status, LeaseStatus::kUnknownTrial);
  EXPECT_EQ(t.fail(-1, kA).status, LeaseStatus::kUnknownTrial);
  EXPECT_EQ(t.complete(), 1);
  EXPECT_EQ(t.failed(), 0);
  EXPECT_EQ(t.check_invariants(), "");
}

// A worker whose lease was lost still finished the work: its result is kept and the trial
// leaves the queue.
TEST(LeaseTable, ALateResultForARequeuedTrialIsKept) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.lose(n, kA, "gone").status, LeaseStatus::kRequeued);
  EXPECT_EQ(t.queued(), 2);
  EXPECT_EQ(t.complete(n, kA).status, LeaseStatus::kLate);
  EXPECT_EQ(t.queued(), 1);
  EXPECT_EQ(lease(t, kB), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

// The trial was leased again to B after A lost it; A's result arrives first and is kept. B's
// lease is revoked: its heartbeat is refused (the coordinator answers `cancel`), and so is its
// result.
TEST(LeaseTable, AResultFromAWorkerThatNoLongerHoldsTheLeaseRevokesTheHolder) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.lose(n, kA, "gone").status, LeaseStatus::kRequeued);
  EXPECT_EQ(lease(t, kB), n);
  EXPECT_EQ(t.attempts(n), 2);
  EXPECT_EQ(t.complete(n, kA).status, LeaseStatus::kTakenOver);
  EXPECT_FALSE(t.holds_lease(kB));
  EXPECT_EQ(t.heartbeat(n, kB, t0), LeaseStatus::kNotLeased);
  EXPECT_EQ(t.complete(n, kB).status, LeaseStatus::kTrialFinished);
  EXPECT_EQ(t.complete(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

// The study ends while B trains: B's heartbeat is refused (`cancel`), and what it reports after
// the cancel is ignored; its trial stays queued.
TEST(LeaseTable, AReportAfterCancelIsIgnored) {
  LeaseTable t = with_trials(2, options(/*target=*/1));
  const int a = lease(t, kA);
  const int b = lease(t, kB);
  EXPECT_TRUE(t.complete(a, kA).ended);
  EXPECT_EQ(t.heartbeat(b, kB, t0), LeaseStatus::kNotLeased);
  EXPECT_EQ(t.complete(b, kB).status, LeaseStatus::kStudyFinished);
  EXPECT_EQ(t.fail(b, kB).status, LeaseStatus::kStudyFinished);
  EXPECT_EQ(t.state(b), StoredState::kQueued);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, AnExpiredLeaseIsQueuedAgainThenFailsAfterMaxAttempts) {
  LeaseTable t = with_trials(2, options(3, 2, /*max_attempts=*/2));
  const int n = lease(t, kA, t0);
  const std::vector<LeaseTable::Expired> first = t.expired(t0 + seconds(10));
  ASSERT_EQ(first.size(), 1u);
  const LeaseTable::Outcome requeued = t.lose(n, first[0].connection, "no heartbeat");
  EXPECT_EQ(requeued.status, LeaseStatus::kRequeued);
  EXPECT_EQ(lease(t, kB, t0 + seconds(10)), n);  // first in line again
  const std::vector<LeaseTable::Expired> second = t.expired(t0 + seconds(20));
  ASSERT_EQ(second.size(), 1u);
  const LeaseTable::Outcome failed = t.lose(n, second[0].connection, "no heartbeat");
  EXPECT_EQ(failed.status, LeaseStatus::kFailedOut);
  EXPECT_EQ(failed.message, "lost 2 leases; last: no heartbeat");
  EXPECT_EQ(t.state(n), StoredState::kFailed);
  EXPECT_EQ(t.failed(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, LoseRefusesALeaseTheConnectionDoesNotHold) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  EXPECT_EQ(t.lose(n, kB, "x").status, LeaseStatus::kLeasedToAnother);
  EXPECT_EQ(t.lose(1, kA, "x").status, LeaseStatus::kNotLeased);
  EXPECT_EQ(t.lose(9, kA, "x").status, LeaseStatus::kUnknownTrial);
  EXPECT_EQ(t.running(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, AClosedConnectionLosesEveryLeaseItHolds) {
  LeaseTable t = with_trials(3);
  lease(t, kA);
  lease(t, kA);
  lease(t, kB);
  EXPECT_EQ(t.leases_of(kA), (std::vector<int>{0, 1}));
  for (int n : t.leases_of(kA)) EXPECT_EQ(t.lose(n, kA, "closed").status, LeaseStatus::kRequeued);
  EXPECT_FALSE(t.holds_lease(kA));
  EXPECT_TRUE(t.holds_lease(kB));
  EXPECT_EQ(t.queued(), 2);
  EXPECT_EQ(t.check_invariants(), "");
}

// The leases still out when the target is reached are revoked and queued first; nothing is
// leased or added after the end, and late reports are refused.
TEST(LeaseTable, TheStudyEndsAtItsTargetAndQueuesTheOutstandingLeases) {
  LeaseTable t = with_trials(4, options(/*target=*/1));
  const int a = lease(t, kA);
  lease(t, kB);
  lease(t, kC);
  const LeaseTable::Outcome o = t.complete(a, kA);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.requeued, (std::vector<int>{1, 2}));
  EXPECT_TRUE(t.finished());
  EXPECT_EQ(t.finish_reason(), "1 trials complete");
  EXPECT_EQ(t.queued(), 3);
  EXPECT_EQ(t.running(), 0);
  EXPECT_EQ(t.lease(kA, "wa", t0).status, LeaseStatus::kStudyFinished);
  EXPECT_EQ(t.add(4, {}), LeaseStatus::kStudyFinished);
  EXPECT_EQ(t.end_if_due().status, LeaseStatus::kStudyFinished);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, TheStudyEndsAfterMaxFailed) {
  LeaseTable t = with_trials(2, options(3, /*max_failed=*/1));
  lease(t, kA);
  const LeaseTable::Outcome o = t.fail(1, kB);  // a late failure for a queued trial counts too
  EXPECT_EQ(o.status, LeaseStatus::kLate);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.requeued, std::vector<int>{0});
  EXPECT_EQ(t.finish_reason(), "1 trials failed");
  EXPECT_EQ(t.check_invariants(), "");
}

// Failing a trial out of attempts can end the study; the connection's other lease was taken
// back by that end, so losing it next is refused (the coordinator's close loop relies on it).
TEST(LeaseTable, ALostLastAttemptCanEndTheStudy) {
  LeaseTable t = with_trials(2, options(3, /*max_failed=*/1, /*max_attempts=*/1));
  lease(t, kA);
  lease(t, kA);
  const LeaseTable::Outcome o = t.lose(0, kA, "closed");
  EXPECT_EQ(o.status, LeaseStatus::kFailedOut);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.requeued, std::vector<int>{1});
  EXPECT_EQ(t.lose(1, kA, "closed").status, LeaseStatus::kNotLeased);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, TheStudyEndsWhenTheSpaceIsExhaustedAndNothingIsLeft) {
  LeaseTable t = with_trials(2, options(/*target=*/5));
  const int a = lease(t, kA);
  EXPECT_TRUE(t.needs_more());
  EXPECT_FALSE(t.exhaust().ended);
  EXPECT_FALSE(t.needs_more());
  EXPECT_FALSE(t.complete(a, kA).ended);  // trial 1 is still queued
  const int b = lease(t, kB);
  const LeaseTable::Outcome o = t.complete(b, kB);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(t.finish_reason(), "the space has no new point left");
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, ExhaustingAnIdleStudyEndsItAtOnce) {
  LeaseTable t(options());
  EXPECT_TRUE(t.exhaust().ended);
  EXPECT_EQ(t.finish_reason(), "the space has no new point left");
}

// Stopping keeps every lease as it is (running in the store; the next resume queues them).
TEST(LeaseTable, StopFreezesEveryLease) {
  LeaseTable t = with_trials(2);
  const int n = lease(t, kA);
  t.stop();
  EXPECT_EQ(t.lose(n, kA, "closed").status, LeaseStatus::kStopped);
  EXPECT_EQ(t.lease(kB, "wb", t0).status, LeaseStatus::kStopped);
  EXPECT_EQ(t.heartbeat(n, kA, t0), LeaseStatus::kStopped);
  EXPECT_EQ(t.complete(n, kA).status, LeaseStatus::kStopped);
  EXPECT_EQ(t.add(2, {}), LeaseStatus::kStopped);
  EXPECT_EQ(t.end_if_due().status, LeaseStatus::kStopped);
  EXPECT_EQ(t.running(), 1);
  EXPECT_EQ(t.state(n), StoredState::kRunning);
  EXPECT_EQ(t.check_invariants(), "");
}

// Trials that were running when the previous coordinator stopped are queued again, before the
// queued ones, with their attempts kept.
TEST(LeaseTable, RestoreQueuesRunningTrialsFirst) {
  LeaseTable t(options(/*target=*/10));
  const std::vector<int> requeued =
      t.restore({stored(0, StoredState::kComplete, 1), stored(1, StoredState::kQueued, 0),
                 stored(2, StoredState::kRunning, 1), stored(3, StoredState::kFailed, 2),
                 stored(4, StoredState::kRunning, 2)});
  EXPECT_EQ(requeued, (std::vector<int>{2, 4}));
  EXPECT_EQ(t.complete(), 1);
  EXPECT_EQ(t.failed(), 1);
  EXPECT_EQ(t.running(), 0);
  EXPECT_EQ(lease(t, kA), 2);
  EXPECT_EQ(t.attempts(2), 2);
  EXPECT_EQ(lease(t, kA), 4);
  EXPECT_EQ(lease(t, kA), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, RestoreRefusesATableInUseOrNumbersOutOfOrder) {
  LeaseTable gap(options());
  EXPECT_THROW(gap.restore({stored(1, StoredState::kQueued, 0)}), std::invalid_argument);
  LeaseTable used = with_trials(1);
  EXPECT_THROW(used.restore({stored(0, StoredState::kQueued, 0)}), std::invalid_argument);
}

TEST(LeaseTable, ARestoredStudyAtItsTargetEndsOnTheFirstCheck) {
  LeaseTable t(options(/*target=*/1));
  t.restore({stored(0, StoredState::kComplete, 1), stored(1, StoredState::kRunning, 1)});
  const LeaseTable::Outcome o = t.end_if_due();
  EXPECT_TRUE(o.ended);
  EXPECT_TRUE(o.requeued.empty());  // the running trial was queued by the restore
  EXPECT_EQ(t.queued(), 1);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(LeaseTable, NeedsMoreCountsCompleteRunningAndQueuedTrials) {
  LeaseTable t(options(/*target=*/2));
  EXPECT_TRUE(t.needs_more());
  EXPECT_EQ(t.add(0, {}), LeaseStatus::kOk);
  lease(t, kA);
  EXPECT_EQ(t.add(1, {}), LeaseStatus::kOk);
  EXPECT_FALSE(t.needs_more());
  EXPECT_EQ(t.fail(0, kA).status, LeaseStatus::kOk);
  EXPECT_TRUE(t.needs_more());
}

// Any sequence of transitions, refused or not, keeps the invariants (a seeded random walk over
// four connections and a clock that moves forward, until the study ends).
TEST(LeaseTable, RandomTransitionsKeepTheInvariants) {
  std::mt19937_64 rng(20240611);
  LeaseTable t(options(/*target=*/300, /*max_failed=*/100, /*max_attempts=*/3));
  Clock::time_point now = t0;
  std::string broken;
  for (int step = 0; step < 5000 && broken.empty() && !t.finished(); ++step) {
    const std::uint64_t c = 1 + rng() % 4;
    const int n = static_cast<int>(rng() % static_cast<std::uint64_t>(t.size() + 2)) - 1;
    now += std::chrono::milliseconds(rng() % 3000);
    switch (rng() % 7) {
      case 0:
        (void)t.add(t.size(), {});
        break;
      case 1:
        (void)t.lease(c, "w", now);
        break;
      case 2:
        (void)t.heartbeat(n, c, now);
        break;
      case 3:
        (void)(rng() % 4 == 0 ? t.fail(n, c) : t.complete(n, c));
        break;
      case 4:
        (void)t.lose(n, c, "closed");
        break;
      case 5:
        for (const LeaseTable::Expired& e : t.expired(now))
          (void)t.lose(e.trial, e.connection, "x");
        break;
      case 6:
        if (rng() % 50 == 0) (void)t.exhaust();
        break;
    }
    broken = t.check_invariants();
    if (!broken.empty()) broken = "step " + std::to_string(step) + ": " + broken;
  }
  EXPECT_EQ(broken, "");
}

}  // namespace
}  // namespace autoaug::net
