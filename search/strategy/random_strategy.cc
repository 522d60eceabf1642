#include "search/strategy/random_strategy.h"

#include "search/detail/random.h"

namespace autoaug::search {

std::optional<Point> RandomStrategy::propose(const Space& space,
                                             const std::vector<Trial>& history) const {
  auto rng = detail::proposal_rng(seed_, history.size());
  return detail::sample_unique(space, detail::history_keys(space, history), rng);
}

}  // namespace autoaug::search
