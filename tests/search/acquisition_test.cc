#include "search/acquisition/acquisition.h"

#include <gtest/gtest.h>

#include <cmath>

#include "search/acquisition/acquisition_optimizer.h"

namespace autoaug::search {
namespace {

TEST(AcquisitionTest, FarCandidatesStillRankWhereEiUnderflows) {
  Vector mean(3), var(3), s;
  mean << 40.0, 50.0, 60.0;
  var << 1.0, 1.0, 1.0;
  acquisition_scores(AcquisitionKind::kExpectedImprovement, mean, var, 0.0, 0.0, 0, s);
  EXPECT_TRUE(s.allFinite());
  EXPECT_GT(s[0], s[1]);
  EXPECT_GT(s[1], s[2]);
  // The asymptotic branch joins the direct one smoothly at z = -20.
  Vector m2(2), v2(2), s2;
  m2 << 19.999999, 20.000001;
  v2 << 1.0, 1.0;
  acquisition_scores(AcquisitionKind::kExpectedImprovement, m2, v2, 0.0, 0.0, 0, s2);
  EXPECT_NEAR(s2[0], s2[1], 1e-4);  // the slope alone accounts for 4e-5
  acquisition_scores(AcquisitionKind::kProbabilityOfImprovement, m2, v2, 0.0, 0.0, 0, s2);
  EXPECT_NEAR(s2[0], s2[1], 1e-4);  // the slope alone accounts for 4e-5
}

TEST(AcquisitionTest, ClosedFormValues) {
  Vector mean(3), var(3), s;
  mean << 0.0, 1.0, -1.0;
  var << 1.0, 4.0, 0.0;
  // Scores are log EI and log PI.
  acquisition_scores(AcquisitionKind::kExpectedImprovement, mean, var, 0.0, 0.0, 0, s);
  EXPECT_NEAR(std::exp(s[0]), 1 / std::sqrt(2 * M_PI), 1e-12);  // EI at z = 0 is sd * phi(0)
  // improvement -1, sd 2: -1 * Phi(-0.5) + 2 * phi(-0.5)
  EXPECT_NEAR(std::exp(s[1]), -0.3085375387259869 + 2 * 0.3520653267642995, 1e-12);
  EXPECT_NEAR(std::exp(s[2]), 1.0, 1e-9);  // no uncertainty: the improvement itself
  acquisition_scores(AcquisitionKind::kProbabilityOfImprovement, mean, var, 0.0, 0.0, 0, s);
  EXPECT_NEAR(std::exp(s[0]), 0.5, 1e-12);
  EXPECT_NEAR(std::exp(s[1]), 0.3085375387259869, 1e-12);
  acquisition_scores(AcquisitionKind::kLowerConfidenceBound, mean, var, 0.0, 0.0, 2.0, s);
  EXPECT_NEAR(s[1], -(1.0 - 2.0 * 2.0), 1e-12);
  EXPECT_THROW(parse_acquisition("ucb", "acq"), std::invalid_argument);
}

// A known maximiser in a mixed space: real 0.3141 (unit), integer 7 of 0..9, category 2.
TEST(AcquisitionOptimizerTest, FindsTheMaximumOfAMixedFunction) {
  const Space space({Dimension::real("x", 0, 1), Dimension::integer("k", 0, 9),
                     Dimension::categorical("c", {"a", "b", "c", "d"})});
  auto scorer = [&](const Matrix& u, Vector& s) {
    s.resize(u.rows());
    for (Eigen::Index r = 0; r < u.rows(); ++r) {
      const Point p = space.from_unit(u.row(r).data());
      s[r] = -std::pow(p[0] - 0.3141, 2) - 0.01 * std::pow(p[1] - 7, 2) + (p[2] == 2 ? 0.1 : 0);
    }
  };
  std::mt19937_64 rng(5);
  AcquisitionOptimizerOptions o;
  o.n_random = 50;
  const auto out = maximize_acquisition(space, scorer, {}, o, rng);
  ASSERT_FALSE(out.empty());
  const Point best = space.from_unit(out.front().unit);
  EXPECT_NEAR(best[0], 0.3141, 1e-4);
  EXPECT_EQ(best[1], 7);
  EXPECT_EQ(best[2], 2);
  for (size_t i = 1; i < out.size(); ++i) EXPECT_GE(out[i - 1].score, out[i].score);
}

}  // namespace
}  // namespace autoaug::search
