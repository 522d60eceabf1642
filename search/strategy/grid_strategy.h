#pragma once

#include <cstdint>

#include "search/strategy/strategy.h"

namespace autoaug::search {

struct GridStrategyOptions {
  // Values per real dimension (and per integer dimension with more values than this); every
  // choice of a categorical dimension is used. Must be >= 1.
  int levels = 5;
  // Visit the grid in a seeded pseudo-random order (a full-period affine permutation of the grid
  // index) rather than in index order, so a truncated grid search still covers the space.
  bool shuffle = true;
};

// Grid search: the next grid point not already in the history. Throws std::invalid_argument from
// `propose` when the grid has more than 2^62 points. Returns nullopt once every point was tried.
class GridStrategy : public Strategy {
 public:
  explicit GridStrategy(GridStrategyOptions options = {}, uint64_t seed = 0);
  std::optional<Point> propose(const Space& space,
                               const std::vector<Trial>& history) const override;
  std::string name() const override { return "grid"; }

 private:
  GridStrategyOptions options_;
  uint64_t seed_;
};

}  // namespace autoaug::search
