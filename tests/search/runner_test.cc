// The benchmark runner (search/benchmark/runner.h): the regret curves `autoaug bench search`
// reports, checked against their definitions on the run's own points.

#include "search/benchmark/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

}  // namespace
}  // namespace autoaug::search
