#include "search/study.h"

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include "search/strategy/random_strategy.h"
#include "tests/search/gated_strategy.h"

namespace autoaug::search {
namespace {

Space line() { return Space({Dimension::real("x", -1, 1)}); }

TEST(StudyTest, AskTellAndBestInBothDirections) {
  for (Direction dir : {Direction::kMinimize, Direction::kMaximize}) {
    Study study(line(), std::make_unique<RandomStrategy>(1), {dir});
    const Trial a = study.ask();
    const Trial b = study.ask();
    const Trial c = study.ask();
    EXPECT_EQ(a.number, 0);
    EXPECT_EQ(c.number, 2);
    study.tell(a.number, 1.0);
    study.tell(b.number, 3.0);
    study.tell_failed(c.number, "boom");
    const auto best = study.best();
    ASSERT_TRUE(best.has_value());
    EXPECT_EQ(best->number, dir == Direction::kMinimize ? 0 : 1);
    const auto trials = study.trials();
    EXPECT_EQ(trials[2].state, TrialState::kFailed);
    EXPECT_EQ(trials[2].message, "boom");
    EXPECT_THROW(study.tell(a.number, 2.0), std::invalid_argument);
    EXPECT_THROW(study.tell(17, 2.0), std::invalid_argument);
  }
}

TEST(StudyTest, NonFiniteValueIsAFailedTrial) {
  Study study(line(), std::make_unique<RandomStrategy>(1));
  const Trial t = study.ask();
  study.tell(t.number, std::nan(""));
  EXPECT_EQ(study.trials()[0].state, TrialState::kFailed);
  EXPECT_FALSE(study.best().has_value());
}

TEST(StudyTest, CallbackCanStopTheLoop) {
  Study study(line(), std::make_unique<RandomStrategy>(2));
  int seen = 0;
  study.add_callback([&](const Study& s, const Trial& t) {
    ++seen;
    EXPECT_EQ(s.trials().size(), static_cast<size_t>(t.number + 1));  // callbacks may use the study
    return t.number == 4 ? CallbackAction::kStop : CallbackAction::kContinue;
  });
  const int n =
      study.optimize([](const Trial& t) { return TrialResult::complete(t.params[0]); }, 50);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(seen, 5);
}

// A callback that tells another trial and adds a callback: before, both deadlocked on the
// callback lock held while callbacks ran.
TEST(StudyTest, CallbacksMayTellAndAddCallbacks) {
  Study study(line(), std::make_unique<RandomStrategy>(4));
  const Trial first = study.ask();
  const Trial second = study.ask();
  int added_calls = 0;
  study.add_callback([&](const Study&, const Trial& t) {
    if (t.number == first.number) {
      study.add_callback([&](const Study&, const Trial&) {
        ++added_calls;
        return CallbackAction::kContinue;
      });
      study.tell(second.number, 2.0);
    }
    return CallbackAction::kContinue;
  });
  study.tell(first.number, 1.0);
  EXPECT_EQ(study.trials()[1].state, TrialState::kComplete);
  EXPECT_EQ(added_calls, 1);  // ran for the second trial, told from inside the first's callback
}

// stop() before optimize is not lost: optimize used to clear it and run every trial.
TEST(StudyTest, StopBeforeOptimizeIsKept) {
  Study study(line(), std::make_unique<RandomStrategy>(5));
  study.stop();
  EXPECT_EQ(study.optimize([](const Trial& t) { return TrialResult::complete(t.params[0]); }, 10),
            0);
  EXPECT_TRUE(study.trials().empty());
}

TEST(StudyTest, ObjectiveFailuresAreRecordedAndTheSearchGoesOn) {
  Study study(line(), std::make_unique<RandomStrategy>(3));
  study.optimize(
      [](const Trial& t) -> TrialResult {
        if (t.number % 3 == 0) throw std::runtime_error("no gpu");
        if (t.number % 3 == 1) return TrialResult::failed("diverged");
        return TrialResult::complete(t.params[0] * t.params[0]);
      },
      9);
  const auto trials = study.trials();
  ASSERT_EQ(trials.size(), 9u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  EXPECT_NE(trials[0].message.find("no gpu"), std::string::npos);
  EXPECT_EQ(trials[1].message, "diverged");
  EXPECT_EQ(trials[2].state, TrialState::kComplete);
}

TEST(StudyTest, ConcurrentWorkersGetDistinctPointsAndNumbers) {
  Study study(line(), std::make_unique<RandomStrategy>(4));
  std::atomic<int> calls{0};
  const int n = study.optimize(
      [&](const Trial& t) {
        ++calls;
        return TrialResult::complete(t.params[0]);
      },
      200, 4);
  EXPECT_EQ(n, 200);
  EXPECT_EQ(calls, 200);
  std::set<std::string> keys;
  const auto trials = study.trials();
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int>(i));
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
    keys.insert(study.space().key(trials[i].params));
  }
  EXPECT_EQ(keys.size(), 200u);
}

// A tell, and reads of the study, go on while another thread's ask is inside the strategy.
TEST(StudyTest, TellsDoNotWaitForAProposal) {
  std::promise<void> entered, release;
  Study study(line(), std::make_unique<GatedStrategy>(entered, release.get_future().share()));
  const Trial first = study.ask();
  auto second = std::async(std::launch::async, [&] { return study.ask(); });
  entered.get_future().wait();  // the second ask is proposing now
  study.tell(first.number, 0.5);
  EXPECT_EQ(study.best()->value, 0.5);
  EXPECT_EQ(study.trials().size(), 1u);
  release.set_value();
  EXPECT_EQ(second.get().number, 1);
  EXPECT_EQ(study.trials().size(), 2u);
}

TEST(StudyTest, ExhaustedSpaceEndsOptimizeCleanly) {
  Study study(Space({Dimension::integer("k", 0, 4)}), std::make_unique<RandomStrategy>(5));
  EXPECT_EQ(study.optimize([](const Trial& t) { return TrialResult::complete(t.params[0]); }, 10),
            5);
  EXPECT_THROW(study.ask(), SearchExhausted);
}

}  // namespace
}  // namespace autoaug::search
