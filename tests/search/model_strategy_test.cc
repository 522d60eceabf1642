#include "search/strategy/model_strategy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace autoaug::search {
namespace {

Trial complete(int number, Point p, double value) {
  Trial t;
  t.number = number;
  t.params = std::move(p);
  t.state = TrialState::kComplete;
  t.value = value;
  return t;
}

ModelStrategyOptions trust_region_options() {
  ModelStrategyOptions o;
  o.n_initial = 2;
  o.trust_region = true;
  o.tr_initial = 0.2;
  o.tr_min = 0.04;
  o.tr_patience = 2;
  return o;
}

// The radius is a function of the history: halved after every 2 model proposals in a row that
// did not improve, reset once below tr_min, kept by an improvement.
TEST(ModelStrategyTest, TrustRegionRadiusFollowsTheHistory) {
  const ModelStrategy s(trust_region_options(), 0, "rf-tr");
  std::vector<Trial> h = {complete(0, {0.1}, 5.0), complete(1, {0.9}, 4.0)};
  EXPECT_DOUBLE_EQ(s.trust_region_radius(h), 0.2);
  h.push_back(complete(2, {0.5}, 4.5));
  h.push_back(complete(3, {0.6}, 4.5));
  EXPECT_DOUBLE_EQ(s.trust_region_radius(h), 0.1);
  h.push_back(complete(4, {0.7}, 3.0));  // improvement: no change
  h.push_back(complete(5, {0.71}, 3.5));
  EXPECT_DOUBLE_EQ(s.trust_region_radius(h), 0.1);
  h.push_back(complete(6, {0.72}, 3.5));
  EXPECT_DOUBLE_EQ(s.trust_region_radius(h), 0.05);
  h.push_back(complete(7, {0.73}, 3.5));
  h.push_back(complete(8, {0.74}, 3.5));
  EXPECT_DOUBLE_EQ(s.trust_region_radius(h), 0.2);  // 0.025 < tr_min: back to the start
}

TEST(ModelStrategyTest, TrustRegionProposalsStayNearTheBestPoint) {
  const Space space({Dimension::real("x", 0, 1), Dimension::real("y", 0, 1)});
  std::mt19937_64 rng(4);
  std::vector<Trial> h;
  for (int i = 0; i < 12; ++i) {
    Point p = space.sample(rng);
    h.push_back(complete(i, p, std::hypot(p[0] - 0.3, p[1] - 0.6)));
  }
  size_t best = 0;
  for (size_t i = 1; i < h.size(); ++i) best = h[i].value < h[best].value ? i : best;
  ModelStrategyOptions o = trust_region_options();
  o.n_initial = 10;
  for (SurrogateKind kind : {SurrogateKind::kRandomForest, SurrogateKind::kGaussianProcess}) {
    o.surrogate = kind;
    const ModelStrategy s(o, 1, "tr");
    const double r = s.trust_region_radius(h);
    const auto p = s.propose(space, h);
    ASSERT_TRUE(p);
    EXPECT_LE(std::fabs((*p)[0] - h[best].params[0]), r + 1e-9);
    EXPECT_LE(std::fabs((*p)[1] - h[best].params[1]), r + 1e-9);
  }
}

TEST(ModelStrategyTest, InterleavingAlternatesModelAndRandomTurns) {
  ModelStrategyOptions o;
  o.n_initial = 4;
  o.interleave = 3;
  const ModelStrategy s(o, 0, "rf-random");
  const bool expected[] = {false, false, false, false, true, false, false, true, false};
  for (size_t n = 0; n < 9; ++n) EXPECT_EQ(s.model_turn(n), expected[n]) << n;
}

// The first 2^m - 1 points of the shifted Sobol sequence fall into distinct intervals of width
// 2^-m in every coordinate (the sequence skips its point 0, whose interval is left empty), and
// in those 15 points each of the 4 choices of a categorical dimension appears 3 or 4 times.
TEST(ModelStrategyTest, SobolPointsAreStratifiedInEveryCoordinate) {
  std::vector<Dimension> dims;
  for (int i = 0; i < 5; ++i) dims.push_back(Dimension::real("x" + std::to_string(i), 0, 1));
  dims.push_back(Dimension::categorical("c", {"a", "b", "c", "d"}));
  const Space space(dims);
  for (uint64_t seed : {0, 1, 2}) {
    std::vector<std::vector<int>> bins(6, std::vector<int>(16, 0));
    for (uint64_t j = 0; j < 15; ++j) {
      const Point p = sobol_point(space, seed, j);
      ASSERT_TRUE(space.contains(p));
      for (int i = 0; i < 5; ++i) ++bins[i][static_cast<int>(p[i] * 16)];
      ++bins[5][static_cast<int>(p[5])];
    }
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(*std::max_element(bins[i].begin(), bins[i].end()), 1) << seed << " x" << i;
    }
    EXPECT_EQ(*std::max_element(bins[5].begin(), bins[5].begin() + 4), 4) << seed;
    EXPECT_EQ(*std::min_element(bins[5].begin(), bins[5].begin() + 4), 3) << seed;
  }
  EXPECT_NE(sobol_point(space, 0, 0), sobol_point(space, 1, 0));  // the shift depends on the seed
}

// The random turns of a Sobol design take the sequence's points in order: point j is the j-th
// random proposal of the study, whichever proposals came from the model in between.
TEST(ModelStrategyTest, RandomTurnsFollowTheSobolSequence) {
  const Space space({Dimension::real("x", -5, 10), Dimension::integer("k", 0, 9)});
  ModelStrategyOptions o;
  o.n_initial = 3;
  o.interleave = 2;
  o.design = RandomDesign::kSobol;
  const ModelStrategy s(o, 5, "rf-random");
  std::vector<Trial> h;
  std::vector<uint64_t> random_turns;
  for (int n = 0; n < 9; ++n) {
    const Point p = *s.propose(space, h);
    if (!s.model_turn(n)) {
      EXPECT_EQ(p, sobol_point(space, 5, random_turns.size())) << n;
      random_turns.push_back(n);
    }
    h.push_back(complete(n, p, std::fabs(p[0] - 1) + p[1]));
  }
  EXPECT_EQ(random_turns, (std::vector<uint64_t>{0, 1, 2, 4, 6, 8}));
}

// A pending random proposal is not fitted at the liar value: where it lies does not change the
// next model proposal. A pending model proposal is (the lie spreads concurrent model proposals).
TEST(ModelStrategyTest, PendingRandomProposalsDoNotEnterTheModel) {
  const Space space({Dimension::real("x", 0, 1), Dimension::real("y", 0, 1)});
  ModelStrategyOptions o;
  o.n_initial = 10;
  o.interleave = 3;  // model turns 10, 13, 16, ...
  const ModelStrategy s(o, 3, "rf-random");
  std::mt19937_64 rng(2);
  std::vector<Trial> h;
  for (int i = 0; i < 13; ++i) {
    Point p = space.sample(rng);
    h.push_back(complete(i, p, std::hypot(p[0] - 0.3, p[1] - 0.6)));
  }
  auto pending = [](int number, Point p) {
    Trial t;
    t.number = number;
    t.params = std::move(p);
    return t;
  };
  std::vector<Trial> a(h.begin(), h.begin() + 11), b = a;
  a.push_back(pending(11, {0.05, 0.05}));
  a.push_back(pending(12, {0.95, 0.10}));
  b.push_back(pending(11, {0.50, 0.95}));
  b.push_back(pending(12, {0.90, 0.90}));
  ASSERT_TRUE(s.model_turn(13));
  EXPECT_EQ(s.propose(space, a), s.propose(space, b));

  // Trial 10 was a model proposal: pending, it is fitted at the best value, which moves the
  // model (and so, almost surely, the proposal) with it.
  std::vector<Trial> c(h.begin(), h.begin() + 10), e = c;
  c.push_back(pending(10, {0.05, 0.05}));
  e.push_back(pending(10, {0.95, 0.95}));
  for (int i = 11; i < 13; ++i) {
    c.push_back(h[i]);
    e.push_back(h[i]);
  }
  EXPECT_NE(s.propose(space, c), s.propose(space, e));
}

TEST(ModelStrategyTest, BadOptionsNameTheField) {
  ModelStrategyOptions o;
  o.interleave = 0;
  try {
    ModelStrategy(o, 0, "rf-random");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rf-random.interleave"), std::string::npos);
  }
  o = {};
  o.forest.n_trees = 0;
  EXPECT_THROW(ModelStrategy(o, 0, "rf"), std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::search
