#include "search/strategy/grid_strategy.h"

#include <numeric>
#include <stdexcept>

#include "search/detail/grid.h"
#include "search/detail/random.h"
#include "search/random.h"

namespace autoaug::search {

GridStrategy::GridStrategy(GridStrategyOptions options, uint64_t seed)
    : options_(options), seed_(seed) {
  if (options_.levels < 1) throw std::invalid_argument("grid.levels: must be >= 1");
}

std::optional<Point> GridStrategy::propose(const Space& space,
                                           const std::vector<Trial>& history) const {
  const auto levels = detail::grid_levels(space, options_.levels);
  const uint64_t n = detail::grid_size(levels);
  if (n >= (uint64_t{1} << 62)) {
    throw std::invalid_argument("grid: the space has more than 2^62 grid points; use fewer levels");
  }
  // index -> (a * index + c) mod n is a bijection when gcd(a, n) == 1.
  uint64_t a = 1, c = 0;
  if (options_.shuffle && n > 1) {
    a = random::mix64(seed_) % n;
    while (std::gcd(a, n) != 1) a = (a + 1) % n;
    c = random::mix64(seed_ + 1) % n;
  }
  const auto taken = detail::history_keys(space, history);
  for (uint64_t i = 0; i < n; ++i) {
    const auto index = static_cast<uint64_t>((static_cast<unsigned __int128>(a) * i + c) % n);
    Point p = detail::grid_point(levels, index);
    if (!taken.count(space.key(p))) return p;
  }
  return std::nullopt;
}

}  // namespace autoaug::search
