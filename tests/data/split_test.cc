#include "data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace autoaug::data {
namespace {

std::vector<int> unbalanced_labels() {
  std::vector<int> labels;
  for (int i = 0; i < 1000; ++i) labels.push_back(i % 10 < 5 ? 0 : (i % 10 < 8 ? 1 : 2));
  return labels;  // 50% class 0, 30% class 1, 20% class 2
}

TEST(StratifiedSplit, KeepsClassSharesAndIsDisjoint) {
  const std::vector<int> labels = unbalanced_labels();
  const Split split = stratified_split(labels, 400, 100, 7);
  ASSERT_EQ(split.train.size(), 400u);
  ASSERT_EQ(split.val.size(), 100u);
  std::map<int, int> train_counts, val_counts;
  for (std::size_t i : split.train) ++train_counts[labels[i]];
  for (std::size_t i : split.val) ++val_counts[labels[i]];
  EXPECT_EQ(train_counts, (std::map<int, int>{{0, 200}, {1, 120}, {2, 80}}));
  EXPECT_EQ(val_counts, (std::map<int, int>{{0, 50}, {1, 30}, {2, 20}}));
  std::set<std::size_t> all(split.train.begin(), split.train.end());
  all.insert(split.val.begin(), split.val.end());
  EXPECT_EQ(all.size(), 500u);
  EXPECT_TRUE(std::is_sorted(split.train.begin(), split.train.end()));
}

TEST(StratifiedSplit, SeededAndReproducible) {
  const std::vector<int> labels = unbalanced_labels();
  const Split a = stratified_split(labels, 300, 200, 1);
  const Split b = stratified_split(labels, 300, 200, 1);
  const Split c = stratified_split(labels, 300, 200, 2);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_NE(a.train, c.train);
}

TEST(StratifiedSplit, SizesThatDoNotFitAreAnError) {
  EXPECT_THROW(stratified_split(unbalanced_labels(), 900, 101, 0), std::invalid_argument);
  const Split whole = stratified_split(unbalanced_labels(), 900, 100, 0);
  EXPECT_EQ(whole.train.size() + whole.val.size(), 1000u);
}

TEST(StratifiedSplit, RoundsSharesToTheExactTotal) {
  std::vector<int> labels = {0, 0, 0, 1, 1, 1, 2, 2, 2};
  const Split split = stratified_split(labels, 4, 2, 3);
  EXPECT_EQ(split.train.size(), 4u);
  EXPECT_EQ(split.val.size(), 2u);
}

}  // namespace
}  // namespace autoaug::data
