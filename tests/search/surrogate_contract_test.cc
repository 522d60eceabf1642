#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "search/surrogate/gaussian_process.h"
#include "search/surrogate/random_forest.h"
#include "search/surrogate/surrogate.h"

namespace autoaug::search {
namespace {

// One factory per surrogate configuration; the contract suite runs over all of them.
struct ForestFactory {
  static std::unique_ptr<Surrogate> make(std::vector<int> c) {
    return std::make_unique<RandomForest>(std::move(c));
  }
};
struct ExtraTreesFactory {
  static std::unique_ptr<Surrogate> make(std::vector<int> c) {
    RandomForestOptions o;
    o.extra_trees = true;
    o.bootstrap = false;
    return std::make_unique<RandomForest>(std::move(c), o);
  }
};
struct GaussianProcessFactory {
  static std::unique_ptr<Surrogate> make(std::vector<int> c) {
    return std::make_unique<GaussianProcess>(std::move(c));
  }
};

// f(x, c) on [0,1] x {0,1,2}: smooth in x, category 1 is much lower.
double f(double x, int c) { return std::sin(6 * x) + (c == 1 ? -2.0 : 0.0); }

void data(int n, Matrix& x, Vector& y, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  x.resize(n, 2);
  y.resize(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = u(rng);
    x(i, 1) = i % 3;
    y[i] = f(x(i, 0), i % 3);
  }
}

template <typename T>
class SurrogateContract : public ::testing::Test {};
using Factories = ::testing::Types<ForestFactory, ExtraTreesFactory, GaussianProcessFactory>;
TYPED_TEST_SUITE(SurrogateContract, Factories);

TYPED_TEST(SurrogateContract, LearnsAMixedFunction) {
  Matrix x, xt;
  Vector y, yt, mean, var;
  data(90, x, y, 1);
  data(300, xt, yt, 2);
  auto s = TypeParam::make({0, 3});
  std::mt19937_64 rng(0);
  s->fit(x, y, rng);
  s->predict(xt, mean, var);
  const double rmse = std::sqrt((mean - yt).squaredNorm() / yt.size());
  const double spread = std::sqrt((yt.array() - yt.mean()).square().mean());
  EXPECT_LT(rmse, 0.3 * spread) << s->name();
  EXPECT_TRUE((var.array() >= 0).all());
  EXPECT_TRUE(mean.allFinite() && var.allFinite());
}

TYPED_TEST(SurrogateContract, SameRngGivesTheSameModel) {
  Matrix x;
  Vector y, m1, v1, m2, v2;
  data(40, x, y, 3);
  auto a = TypeParam::make({0, 3});
  auto b = TypeParam::make({0, 3});
  std::mt19937_64 r1(9), r2(9);
  a->fit(x, y, r1);
  b->fit(x, y, r2);
  a->predict(x, m1, v1);
  b->predict(x, m2, v2);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(v1, v2);
}

TYPED_TEST(SurrogateContract, PredictBeforeFitThrows) {
  auto s = TypeParam::make({0});
  Matrix x(1, 1);
  x << 0.5;
  Vector m, v;
  EXPECT_THROW(s->predict(x, m, v), std::logic_error);
}

}  // namespace
}  // namespace autoaug::search
