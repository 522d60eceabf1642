#include "search/detail/grid.h"

#include <cmath>

namespace autoaug::search::detail {

std::vector<std::vector<double>> grid_levels(const Space& space, int levels) {
  std::vector<std::vector<double>> out(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    const Dimension& d = space.dimension(i);
    const int64_t card = d.cardinality();
    if (card > 0 && (card <= levels || d.type == DimensionType::kCategorical)) {
      for (int64_t v = 0; v < card; ++v) out[i].push_back(d.low + static_cast<double>(v));
      continue;
    }
    std::vector<double> u(space.size(), 0.0);
    for (int l = 0; l < levels; ++l) {
      const double t = levels == 1 ? 0.5 : static_cast<double>(l) / (levels - 1);
      u[i] = d.type == DimensionType::kInteger ? (t * (card - 1) + 0.5) / card : t;
      const double v = space.from_unit(u)[i];
      if (out[i].empty() || out[i].back() != v) out[i].push_back(v);
    }
  }
  return out;
}

uint64_t grid_size(const std::vector<std::vector<double>>& levels) {
  constexpr uint64_t kMax = uint64_t{1} << 62;
  uint64_t n = 1;
  for (const auto& l : levels) {
    if (n > kMax / l.size()) return kMax;
    n *= l.size();
  }
  return n;
}

Point grid_point(const std::vector<std::vector<double>>& levels, uint64_t index) {
  Point p(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    p[i] = levels[i][index % levels[i].size()];
    index /= levels[i].size();
  }
  return p;
}

}  // namespace autoaug::search::detail
