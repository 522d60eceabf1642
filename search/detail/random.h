#pragma once

// Internal to search/: seeding and duplicate-free sampling shared by the strategies.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "search/random.h"
#include "search/space.h"
#include "search/trial.h"

namespace autoaug::search::detail {

// The generator for proposal number `n` of a strategy seeded with `seed` (and a stream tag so
// that two uses in one proposal do not share draws).
inline std::mt19937_64 proposal_rng(uint64_t seed, uint64_t n, uint64_t stream = 0) {
  using random::mix64;
  return std::mt19937_64(mix64(mix64(seed) ^ mix64(n * 0x632be59bd9b4e019ULL + stream)));
}

// Keys of every trial in `history`.
std::unordered_set<std::string> history_keys(const Space& space, const std::vector<Trial>& history);

// A uniform random point whose key is not in `taken`; nullopt when the space is finite and every
// point is taken.
std::optional<Point> sample_unique(const Space& space, const std::unordered_set<std::string>& taken,
                                   std::mt19937_64& rng);

}  // namespace autoaug::search::detail
