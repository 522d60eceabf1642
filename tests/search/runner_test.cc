// The benchmark runner (search/benchmark/runner.h): the regret curves `autoaug bench search`
// reports, checked against their definitions on the run's own points.

#include "search/benchmark/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "search/benchmark/suite.h"
#include "search/strategy/strategy_factory.h"

namespace autoaug::search {
namespace {

// Regret after n evaluations, recomputed from the points: `obs` is the noise-free regret of the
// point with the lowest observation among the first n, `oracle` the lowest noise-free regret.
TEST(BenchmarkRunner, CurvesFollowTheirDefinitions) {
  const BenchmarkProblem peaks = benchmark_problem("peaks");  // noisy: obs and oracle differ
  ASSERT_GT(peaks.noise_sd, 0.0);
  const BenchmarkRun run = run_benchmark(peaks, make_strategy("rf-random", 4), 30, 3, 4);
  ASSERT_EQ(run.points.size(), 30u);
  ASSERT_EQ(run.obs.size(), 30u);
  ASSERT_EQ(run.oracle.size(), 30u);
  bool differ = false;
  for (std::size_t n = 1; n <= run.points.size(); ++n) {
    const auto best_obs = std::min_element(run.observed.begin(), run.observed.begin() + n);
    double oracle = INFINITY;
    for (std::size_t i = 0; i < n; ++i) oracle = std::min(oracle, peaks.value(run.points[i]));
    EXPECT_DOUBLE_EQ(run.obs[n - 1],
                     peaks.value(run.points[best_obs - run.observed.begin()]) - peaks.f_star);
    EXPECT_DOUBLE_EQ(run.oracle[n - 1], oracle - peaks.f_star);
    EXPECT_GE(run.obs[n - 1], run.oracle[n - 1]);
    differ = differ || run.obs[n - 1] != run.oracle[n - 1];
  }
  EXPECT_TRUE(differ) << "with noise, the best observed point is not always the best one";
}

// Seeded: the same strategy seed and noise seed give the same run; another noise seed does not.
TEST(BenchmarkRunner, RunsReplay) {
  const BenchmarkProblem p = benchmark_problem("peaks");
  const BenchmarkRun a = run_benchmark(p, make_strategy("gp", 1), 12, 1, 7);
  const BenchmarkRun b = run_benchmark(p, make_strategy("gp", 1), 12, 1, 7);
  const BenchmarkRun c = run_benchmark(p, make_strategy("gp", 1), 12, 1, 8);
  EXPECT_EQ(a.points, b.points);
  EXPECT_EQ(a.observed, b.observed);
  EXPECT_NE(a.observed, c.observed);
}

// A batch larger than what is left asks only for what is left.
TEST(BenchmarkRunner, TheLastBatchStopsAtTheBudget) {
  const BenchmarkProblem p = benchmark_problem("branin");
  EXPECT_EQ(run_benchmark(p, make_strategy("random", 0), 10, 4, 0).points.size(), 10u);
}

TEST(BenchmarkRunner, SuggestionCostIsMeasured) {
  const BenchmarkProblem p = benchmark_problem("branin");
  EXPECT_GT(suggestion_seconds(p, "gp", 20, 0), 0.0);
}

TEST(BenchmarkRunner, PercentileInterpolatesAsNumpy) {
  // numpy.percentile([4, 1, 3, 2], [0, 25, 50, 75, 100]) = 1, 1.75, 2.5, 3.25, 4.
  const std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile(v, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(percentile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(percentile(v, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(percentile(v, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(percentile({5}, 0.3), 5.0);
}

// Regret curves that stay at `v` from the first evaluation on, one per seed.
SuiteCell flat_cell(const std::string& problem, const std::string& strategy,
                    const std::vector<double>& v) {
  SuiteCell c{problem, strategy, {}, {}};
  for (double x : v) c.regret.push_back(std::vector<double>(100, x));
  return c;
}

TEST(BenchmarkSuite, SummaryCountsWinsTiesAndNormalisesByRandom) {
  std::vector<SuiteCell> cells = {
      flat_cell("a", "random", {1, 2, 3}),   flat_cell("a", "tpe", {0.5, 0.5, 0.5}),
      flat_cell("a", "mine", {0.1, 0.2, 9}), flat_cell("b", "random", {4, 4, 4}),
      flat_cell("b", "tpe", {0, 0, 0}),      flat_cell("b", "mine", {0, 0, 0}),
      flat_cell("c", "random", {1, 1, 1}),   flat_cell("c", "mine", {2, 2, 2})};
  // Random improves from 20 to 40 evaluations on problem a: the scale stays at 20.
  for (auto& curve : cells[0].regret) std::fill(curve.begin() + 39, curve.end(), 0.5);
  const auto summary = summarise_suite(cells, {20, 40});
  ASSERT_EQ(summary.size(), 6u);  // random, tpe, mine at 20 and 40
  const SuiteSummary& mine20 = summary[2];
  EXPECT_EQ(mine20.strategy, "mine");
  EXPECT_EQ(mine20.evaluations, 20);
  EXPECT_EQ(mine20.problems, 3);
  EXPECT_EQ(mine20.beats_random, 2);  // a: 0.2 < 2; b: 0 < 4; c: 2 > 1
  EXPECT_EQ(mine20.ties_random, 0);
  EXPECT_EQ(mine20.worse_than_random, std::vector<std::string>{"c"});
  EXPECT_EQ(mine20.reference_problems, 2);
  EXPECT_EQ(mine20.beats_reference, 1);  // a: 0.2 < 0.5
  EXPECT_EQ(mine20.ties_reference, 1);   // b: both at the optimum
  EXPECT_DOUBLE_EQ(mine20.mean_normalised, (0.2 / 2 + 0 / 4.0 + 2 / 1.0) / 3);
  const SuiteSummary& mine40 = summary[5];
  EXPECT_EQ(mine40.beats_random, 2);  // a: 0.2 < 0.5
  EXPECT_EQ(summary[3].strategy, "random");
  EXPECT_EQ(summary[3].ties_random, 3);
  EXPECT_DOUBLE_EQ(summary[3].mean_normalised, (0.5 / 2 + 1 + 1) / 3);
  EXPECT_DOUBLE_EQ(median_regret(cells[2], 20), 0.2);
}

}  // namespace
}  // namespace autoaug::search
