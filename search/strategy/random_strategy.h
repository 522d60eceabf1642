#pragma once

#include <cstdint>

#include "search/strategy/strategy.h"

namespace autoaug::search {

// Uniform random search (log-uniform on log dimensions), never repeating a point of the history.
class RandomStrategy : public Strategy {
 public:
  explicit RandomStrategy(uint64_t seed = 0) : seed_(seed) {}
  std::optional<Point> propose(const Space& space,
                               const std::vector<Trial>& history) const override;
  std::string name() const override { return "random"; }

 private:
  uint64_t seed_;
};

}  // namespace autoaug::search
