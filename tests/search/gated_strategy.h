#pragma once

// A strategy for tests of what goes on while a proposal is being made: every proposal after the
// first signals `entered`, then waits until `release` is ready.

#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "search/strategy/strategy.h"

namespace autoaug::search {

class GatedStrategy : public Strategy {
 public:
  // Proposes x = 0.1 * (trials so far) in the space's first dimension, others at their low end.
  GatedStrategy(std::promise<void>& entered, std::shared_future<void> release)
      : entered_(entered), release_(std::move(release)) {}
  std::optional<Point> propose(const Space& space,
                               const std::vector<Trial>& history) const override {
    if (!history.empty()) {
      entered_.set_value();
      release_.wait();
    }
    Point p(space.size(), 0.0);
    p[0] = 0.1 * static_cast<double>(history.size());
    return p;
  }
  std::string name() const override { return "gated"; }

 private:
  std::promise<void>& entered_;
  std::shared_future<void> release_;
};

}  // namespace autoaug::search
