#pragma once

// Internal to search/: the points of a grid over a space, addressed by a mixed-radix index.

#include <cstdint>
#include <vector>

#include "search/space.h"

namespace autoaug::search::detail {

// Values each dimension takes on the grid: every choice of a categorical dimension; every value
// of an integer one, or `levels` evenly spaced ones when it has more; `levels` evenly spaced
// values (log-spaced for log dimensions) of a real one.
std::vector<std::vector<double>> grid_levels(const Space& space, int levels);

// Number of grid points, saturating at 2^62.
uint64_t grid_size(const std::vector<std::vector<double>>& levels);

// The grid point with mixed-radix `index` (first dimension varies fastest).
Point grid_point(const std::vector<std::vector<double>>& levels, uint64_t index);

}  // namespace autoaug::search::detail
