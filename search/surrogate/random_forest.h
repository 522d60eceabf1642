#pragma once

#include <cstdint>

#include "search/surrogate/surrogate.h"

namespace autoaug::search {

struct RandomForestOptions {
  int n_trees = 20;           // >= 1
  int min_samples_leaf = 3;   // >= 1; counted with bootstrap multiplicity
  double max_features = 0.5;  // fraction of the features tried at each split, in (0, 1]
  bool bootstrap = true;      // resample the data for each tree (off: every tree sees all of it)
  bool extra_trees = false;   // random thresholds / category subsets (Extremely Randomized Trees)
  int max_depth = 0;          // 0: unlimited
  // Add the mean within-leaf variance to the variance across trees (law of total variance, as
  // scikit-optimize's forests do); off gives the variance of the tree means only.
  bool within_leaf_variance = true;
  // Fit log(y - min(y) + 1) instead of y: compresses a heavy upper tail. Predictions are in the
  // transformed scale, which keeps the order of means.
  bool log_transform = false;
};

// Regression forest with proper categorical splits (categories ordered by their mean response at
// the node, which finds the best binary partition for squared error). Thread safety as Surrogate.
class RandomForest : public Surrogate {
 public:
  // Throws std::invalid_argument naming the field of a bad option.
  RandomForest(std::vector<int> categories, RandomForestOptions options = {});
  void fit(const Matrix& x, const Vector& y, std::mt19937_64& rng) override;
  void predict(const Matrix& x, Vector& mean, Vector& variance) const override;
  std::string name() const override { return options_.extra_trees ? "extra-trees" : "forest"; }

 private:
  struct Node {
    int feature = -1;      // -1: leaf
    double threshold = 0;  // continuous: go left when x <= threshold
    uint32_t mask = 0;     // categorical: offset of the left-category bitmask in masks_
    int right = 0;         // left child is the next node
    double mean = 0;
    double variance = 0;
  };
  struct Tree {
    std::vector<Node> nodes;
  };
  class Builder;

  std::vector<int> categories_;
  RandomForestOptions options_;
  std::vector<Tree> trees_;
  std::vector<uint64_t> masks_;
  double y_shift_ = 0;
  bool fitted_ = false;
};

}  // namespace autoaug::search
