#include "search/benchmark/problems.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace autoaug::search {
namespace {

TEST(ProblemsTest, MinimaMatchTheReferenceDefinitions) {
  for (const auto& name : benchmark_suite_names()) {
    const BenchmarkProblem p = benchmark_problem(name);
    ASSERT_TRUE(p.space.contains(p.minimiser)) << name;
    EXPECT_NEAR(p.value(p.minimiser), p.f_star, 2e-6) << name;
  }
  EXPECT_NEAR(branin(-M_PI, 12.275), 0.397887, 1e-6);
  EXPECT_NEAR(branin(9.42478, 2.475), 0.397887, 1e-6);
}

TEST(ProblemsTest, RandomPointsAreNotBelowTheMinimum) {
  std::mt19937_64 rng(1);
  for (const auto& name : benchmark_suite_names()) {
    const BenchmarkProblem p = benchmark_problem(name);
    for (int i = 0; i < 2000; ++i) EXPECT_GE(p.value(p.space.sample(rng)), p.f_star - 1e-6);
  }
}

TEST(ProblemsTest, TheSuiteCoversEveryKindAndTheReferenceProblems) {
  std::set<std::string> kinds;
  for (const auto& name : benchmark_suite_names()) kinds.insert(benchmark_problem(name).kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"continuous", "integer", "categorical", "mixed", "noisy",
                                          "policy"}));
  EXPECT_GE(benchmark_suite_names().size(), 15u);
  for (const auto& name : benchmark_problem_names()) {
    EXPECT_NE(std::find(benchmark_suite_names().begin(), benchmark_suite_names().end(), name),
              benchmark_suite_names().end())
        << name;
  }
}

// Local minima are not global ones: no point of a fine grid around each coordinate of the
// minimiser (the functions are separable) goes below f*.
TEST(ProblemsTest, SeparableMinimaHoldOnEachCoordinate) {
  for (const std::string name : {"michalewicz5", "styblinski_tang8", "rastrigin4", "ackley5"}) {
    const BenchmarkProblem p = benchmark_problem(name);
    for (size_t i = 0; i < p.space.size(); ++i) {
      const Dimension& d = p.space.dimension(i);
      for (int k = 0; k <= 20000; ++k) {
        Point x = p.minimiser;
        x[i] = d.low + (d.high - d.low) * k / 20000.0;
        EXPECT_GE(p.value(x), p.f_star - 1e-9) << name << " x" << i << " = " << x[i];
      }
    }
  }
}

// The categorical chain and policy12 are small enough to enumerate: f* is their minimum.
TEST(ProblemsTest, EnumeratedMinimaOfTheDiscreteProblems) {
  const BenchmarkProblem chain = benchmark_problem("cat_chain8");
  double best = INFINITY;
  Point c(8, 0.0);
  for (int index = 0; index < 390625; ++index) {
    for (int i = 0, r = index; i < 8; ++i, r /= 5) c[i] = r % 5;
    best = std::min(best, chain.value(c));
  }
  EXPECT_NEAR(best, chain.f_star, 1e-12);
  // policy12 is separable over its two sub-policies, and bilinear in the probabilities.
  const BenchmarkProblem policy12 = benchmark_problem("policy12");
  double total = 0;
  for (int k = 0; k < 2; ++k) {
    double sub = INFINITY;
    for (int index = 0; index < 16 * 16 * 10 * 10 * 4; ++index) {
      Point v = policy12.minimiser;
      int r = index;
      const double t0 = r % 16, t1 = (r /= 16) % 16, m0 = (r /= 16) % 10, m1 = (r /= 10) % 10;
      const double p0 = (r /= 10) % 2, p1 = r / 2;
      const std::vector<double> op = {t0, p0, m0, t1, p1, m1};
      std::copy(op.begin(), op.end(), v.begin() + 6 * k);
      std::fill(v.begin() + 6 * (1 - k), v.begin() + 6 * (1 - k) + 6, 0.0);
      sub = std::min(sub, policy12.value(v));
    }
    total += sub;
  }
  EXPECT_NEAR(total, policy12.f_star, 1e-12);
}

TEST(ProblemsTest, MixedProblemsDependOnEveryKindOfDimension) {
  const BenchmarkProblem camel = benchmark_problem("mixed_camel");
  Point p = camel.minimiser;
  p[2] = 8;  // k
  EXPECT_NEAR(camel.value(p), camel.f_star + 0.1, 1e-12);
  p = camel.minimiser;
  p[3] = 4;  // c: best k is 5, offset 0.1
  EXPECT_NEAR(camel.value(p), camel.f_star + 0.1 * 4 + 0.1, 1e-12);
  const BenchmarkProblem ackley = benchmark_problem("mixed_ackley8");
  p = ackley.minimiser;
  p[6] = 1;  // (1 + 2 * 0) mod 4 = 1
  EXPECT_NEAR(ackley.value(p), 0.5, 1e-12);
  p[7] = 1;  // (1 + 2) mod 4 = 3
  EXPECT_NEAR(ackley.value(p), 1.5, 1e-12);
  p[6] = 2, p[7] = 1;  // (2 + 2) mod 4 = 0
  EXPECT_NEAR(ackley.value(p), 0.0, 1e-12);
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
  EXPECT_EQ(benchmark_problem("hartmann3_noisy").noise_sd, 0.2);
}

}  // namespace
}  // namespace autoaug::search
