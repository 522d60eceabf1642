#include "search/benchmark/problems.h"

#include <gtest/gtest.h>

#include <cmath>

namespace autoaug::search {
namespace {

TEST(ProblemsTest, MinimaMatchTheReferenceDefinitions) {
  for (const auto& name : benchmark_problem_names()) {
    const BenchmarkProblem p = benchmark_problem(name);
    ASSERT_TRUE(p.space.contains(p.minimiser)) << name;
    EXPECT_NEAR(p.value(p.minimiser), p.f_star, 2e-6) << name;
  }
  EXPECT_NEAR(branin(-M_PI, 12.275), 0.397887, 1e-6);
  EXPECT_NEAR(branin(9.42478, 2.475), 0.397887, 1e-6);
}

TEST(ProblemsTest, RandomPointsAreNotBelowTheMinimum) {
  std::mt19937_64 rng(1);
  for (const auto& name : benchmark_problem_names()) {
    const BenchmarkProblem p = benchmark_problem(name);
    for (int i = 0; i < 2000; ++i) EXPECT_GE(p.value(p.space.sample(rng)), p.f_star - 1e-6);
  }
}

TEST(ProblemsTest, Policy30MatchesTheWorkedSubScores) {
  // Sub-policy 0 of the optimum alone scores 1.731540; the other four are switched off (p = 0).
  std::vector<double> v(30, 0.0);
  v[0] = 11, v[1] = 1, v[2] = 7, v[3] = 12, v[4] = 1, v[5] = 2;
  EXPECT_NEAR(-policy30(v.data()), 1.731540, 1e-6);
  // A harmful op with p = 1 lowers the score.
  std::vector<double> w(30, 0.0);
  w[0] = 6, w[1] = 1, w[2] = 0;
  EXPECT_NEAR(-policy30(w.data()), -0.90 * std::exp(-1.0 / 32.0), 1e-12);  // m 0 vs MU-1
}

TEST(ProblemsTest, PeaksObservationsAreNoisy) {
  const BenchmarkProblem p = benchmark_problem("peaks");
  std::mt19937_64 rng(2);
  double sum = 0, sq = 0;
  for (int i = 0; i < 4000; ++i) {
    const double e = p.observe(p.minimiser, rng) - p.f_star;
    sum += e;
    sq += e * e;
  }
  EXPECT_NEAR(sum / 4000, 0.0, 0.06);
  EXPECT_NEAR(std::sqrt(sq / 4000), 1.0, 0.05);
  EXPECT_THROW(benchmark_problem("rosenbrock"), std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::search
