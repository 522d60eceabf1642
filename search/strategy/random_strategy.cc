#include "search/strategy/random_strategy.h"

#include <algorithm>
#include <cmath>

#include "search/detail/random.h"

namespace autoaug::search {
namespace {

// True when `a` and `b` could have the same key: equal integers and categories, reals within a
// relative 1e-9 (keys compare reals to 12 significant digits, a much tighter test).
bool may_collide(const Space& space, const Point& a, const Point& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (space.dimension(i).type != DimensionType::kReal) {
      if (a[i] != b[i]) return false;
      continue;
    }
    const double scale = std::max({std::abs(a[i]), std::abs(b[i]), 1e-300});
    if (std::abs(a[i] - b[i]) > 1e-9 * scale) return false;
  }
  return true;
}

bool taken(const Space& space, const Point& p, const std::vector<Trial>& history) {
  std::string key;
  for (const Trial& t : history) {
    if (!may_collide(space, p, t.params)) continue;
    if (key.empty()) key = space.key(p);
    if (space.key(t.params) == key) return true;
  }
  return false;
}

}  // namespace

// The same proposal as sample_unique over the history's keys, without formatting a key for every
// trial of a long history on every ask: the coordinator asks thousands of times per second.
std::optional<Point> RandomStrategy::propose(const Space& space,
                                             const std::vector<Trial>& history) const {
  auto rng = detail::proposal_rng(seed_, history.size());
  const auto start = rng;
  for (int attempt = 0; attempt < 256; ++attempt) {
    Point p = space.sample(rng);
    if (!taken(space, p, history)) return p;
  }
  rng = start;
  return detail::sample_unique(space, detail::history_keys(space, history), rng);
}

}  // namespace autoaug::search
