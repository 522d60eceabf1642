#include "search/detail/random.h"

#include "search/detail/grid.h"
#include "search/random.h"

namespace autoaug::search::detail {

std::unordered_set<std::string> history_keys(const Space& space,
                                             const std::vector<Trial>& history) {
  std::unordered_set<std::string> keys;
  keys.reserve(history.size() * 2);
  for (const Trial& t : history) keys.insert(space.key(t.params));
  return keys;
}

std::optional<Point> sample_unique(const Space& space, const std::unordered_set<std::string>& taken,
                                   std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 256; ++attempt) {
    Point p = space.sample(rng);
    if (!taken.count(space.key(p))) return p;
  }
  const uint64_t n = space.cardinality();
  if (n == 0 || n > 4'000'000) return std::nullopt;
  // Small finite space, nearly full: pick uniformly among the points still free.
  const auto levels = grid_levels(space, static_cast<int>(n));
  std::vector<uint64_t> free;
  for (uint64_t index = 0; index < n; ++index) {
    if (!taken.count(space.key(grid_point(levels, index)))) free.push_back(index);
  }
  if (free.empty()) return std::nullopt;
  return grid_point(levels, free[random::uniform_int<size_t>(rng, 0, free.size() - 1)]);
}

}  // namespace autoaug::search::detail
