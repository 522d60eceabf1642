#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "search/random.h"

namespace autoaug::data {

// A seed derived from (seed, a, b): independent streams per epoch and per example.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  using random::mix64;
  return mix64(mix64(mix64(seed) ^ a) ^ b);
}

// Uniform integer in [0, n) from a 64-bit generator by rejection and remainder, identical on
// every standard library. n must be positive. Not random::uniform_int (another algorithm): the
// data split and the loader's order were fixed with this one, so it stays.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % n;
}

// Fisher-Yates shuffle with uniform_below: the same permutation on every platform (and not
// random::shuffle's, for the same reason).
template <typename T>
void shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[uniform_below(rng, i)]);
  }
}

}  // namespace autoaug::data
