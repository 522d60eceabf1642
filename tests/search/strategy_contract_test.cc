#include <gtest/gtest.h>

#include <set>

#include "search/strategy/strategy.h"
#include "search/strategy/strategy_factory.h"
#include "search/study.h"

namespace autoaug::search {
namespace {

Space mixed_space() {
  return Space({Dimension::real("x", -2, 2), Dimension::real("lr", 1e-3, 1, true),
                Dimension::integer("k", 0, 4), Dimension::categorical("op", {"a", "b", "c", "d"})});
}

double objective(const Point& p) {
  return (p[0] - 0.5) * (p[0] - 0.5) + std::log10(p[1]) * 0.1 + (p[2] - 2) * (p[2] - 2) * 0.1 +
         (p[3] == 2 ? -0.5 : 0.0);
}

// Every strategy inherits this suite: proposals inside the space, no duplicates of evaluated,
// failed or pending points, the same proposal for the same seed and history.
class StrategyContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Strategy> make(uint64_t seed) const { return make_strategy(GetParam(), seed); }
};

TEST_P(StrategyContract, ProposalsAreInsideTheSpaceAndNeverRepeat) {
  Study study(mixed_space(), make(11));
  std::set<std::string> keys;
  for (int i = 0; i < 24; ++i) {
    // Three in flight at a time: pending points must not be proposed again.
    const Trial a = study.ask();
    const Trial b = study.ask();
    const Trial c = study.ask();
    for (const Trial* t : {&a, &b, &c}) {
      ASSERT_TRUE(study.space().contains(t->params)) << study.space().key(t->params);
      ASSERT_TRUE(keys.insert(study.space().key(t->params)).second) << "duplicate at " << t->number;
    }
    study.tell(a.number, objective(a.params));
    study.tell_failed(b.number, "crashed");
    study.tell(c.number, objective(c.params));
    if (keys.size() >= 30) break;
  }
  const auto trials = study.trials();
  EXPECT_EQ(trials[1].state, TrialState::kFailed);
  EXPECT_EQ(trials[1].message, "crashed");
}

TEST_P(StrategyContract, SameSeedAndHistoryGiveTheSameProposal) {
  Study study(mixed_space(), make(5));
  study.optimize([](const Trial& t) { return TrialResult::complete(objective(t.params)); }, 14);
  auto history = study.trials();
  history.push_back(history.back());  // a pending trial too
  history.back().number = static_cast<int>(history.size()) - 1;
  history.back().state = TrialState::kPending;
  std::mt19937_64 rng(99);
  history.back().params = mixed_space().sample(rng);
  const auto first = make(5)->propose(mixed_space(), history);
  const auto again = make(5)->propose(mixed_space(), history);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(*first, *again);

  // And a whole study replays identically.
  Study replay(mixed_space(), make(5));
  replay.optimize([](const Trial& t) { return TrialResult::complete(objective(t.params)); }, 14);
  const auto a = study.trials(), b = replay.trials();
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(a[i].params, b[i].params) << "trial " << i;
}

TEST_P(StrategyContract, FiniteSpaceIsExhaustedWithoutRepeats) {
  const Space small({Dimension::integer("k", 0, 2), Dimension::categorical("c", {"x", "y"})});
  Study study(small, make(3));
  const int n =
      study.optimize([](const Trial& t) { return TrialResult::complete(t.params[0]); }, 20);
  EXPECT_EQ(n, 6);
  std::set<std::string> keys;
  for (const Trial& t : study.trials()) keys.insert(small.key(t.params));
  EXPECT_EQ(keys.size(), 6u);
}

// More choices than the grid's levels per dimension: every choice is still proposed once.
TEST_P(StrategyContract, ManyChoicesAreAllProposed) {
  std::vector<std::string> choices;
  for (int i = 0; i < 12; ++i) choices.push_back(std::to_string(i));
  const Space jobs({Dimension::categorical("job", choices)});
  Study study(jobs, make(5));
  EXPECT_EQ(study.optimize([](const Trial& t) { return TrialResult::complete(t.params[0]); }, 30),
            12);
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, StrategyContract, ::testing::ValuesIn(strategy_names()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

TEST(StrategyFactoryTest, UnknownNameNamesTheField) {
  try {
    make_strategy("annealing", 0, 3, "--strategy");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--strategy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rf-random"), std::string::npos);
  }
}

}  // namespace
}  // namespace autoaug::search
