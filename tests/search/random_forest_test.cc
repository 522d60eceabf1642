#include "search/surrogate/random_forest.h"

#include <gtest/gtest.h>

#include <cmath>

namespace autoaug::search {
namespace {

// Categories {1, 4, 6} are low and the rest high: one categorical split separates them, which
// no threshold on the index can do.
TEST(RandomForestTest, OneCategoricalSplitSeparatesInterleavedCategories) {
  const int n = 80;
  Matrix x(n, 1);
  Vector y(n), mean, var;
  for (int i = 0; i < n; ++i) {
    x(i, 0) = i % 8;
    const int c = i % 8;
    y[i] = (c == 1 || c == 4 || c == 6) ? 0.0 : 1.0;
  }
  RandomForestOptions o;
  o.n_trees = 1;
  o.bootstrap = false;
  o.max_depth = 1;
  RandomForest forest({8}, o);
  std::mt19937_64 rng(0);
  forest.fit(x, y, rng);
  forest.predict(x, mean, var);
  EXPECT_LT((mean - y).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(RandomForestTest, WithinLeafVarianceAddsToTheSpread) {
  std::mt19937_64 data_rng(3);
  std::normal_distribution<double> noise(0, 1);
  Matrix x(60, 1);
  Vector y(60);
  for (int i = 0; i < 60; ++i) {
    x(i, 0) = i / 60.0;
    y[i] = x(i, 0) + noise(data_rng);
  }
  RandomForestOptions with, without;
  without.within_leaf_variance = false;
  without.min_samples_leaf = with.min_samples_leaf = 5;
  RandomForest a({0}, with), b({0}, without);
  std::mt19937_64 r1(1), r2(1);
  a.fit(x, y, r1);
  b.fit(x, y, r2);
  Vector ma, va, mb, vb;
  a.predict(x, ma, va);
  b.predict(x, mb, vb);
  EXPECT_EQ(ma, mb);
  EXPECT_TRUE((va.array() > vb.array()).all());
}

TEST(RandomForestTest, MinSamplesPerLeafBoundsTheLeaves) {
  Matrix x(30, 1);
  Vector y(30), mean, var;
  for (int i = 0; i < 30; ++i) {
    x(i, 0) = i;
    y[i] = i;
  }
  RandomForestOptions o;
  o.n_trees = 1;
  o.bootstrap = false;
  o.min_samples_leaf = 10;
  RandomForest forest({0}, o);
  std::mt19937_64 rng(0);
  forest.fit(x, y, rng);
  forest.predict(x, mean, var);
  // The best split is in the middle; halves of 15 cannot split again into leaves of >= 10.
  EXPECT_DOUBLE_EQ(mean[0], 7.0);
  EXPECT_DOUBLE_EQ(mean[29], 22.0);
}

TEST(RandomForestTest, LogTransformKeepsTheOrderOfMeans) {
  Matrix x(40, 1);
  Vector y(40), mean, var;
  for (int i = 0; i < 40; ++i) {
    x(i, 0) = i / 40.0;
    y[i] = std::exp(8 * x(i, 0));
  }
  RandomForestOptions o;
  o.log_transform = true;
  o.bootstrap = false;
  RandomForest forest({0}, o);
  std::mt19937_64 rng(0);
  forest.fit(x, y, rng);
  forest.predict(x, mean, var);
  EXPECT_LT(mean[0], mean[20]);
  EXPECT_LT(mean[20], mean[39]);
  EXPECT_LT(mean[39], 10.0);  // log scale
}

TEST(RandomForestTest, BadOptionsNameTheField) {
  RandomForestOptions o;
  o.max_features = 0;
  try {
    RandomForest({0}, o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("forest.max_features"), std::string::npos);
  }
  o = {};
  o.min_samples_leaf = 0;
  EXPECT_THROW(RandomForest({0}, o), std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::search
