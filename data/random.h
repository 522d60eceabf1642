#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace autoaug::data {

// SplitMix64 finaliser: a well-mixed 64-bit hash, used to derive independent seeds.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A seed derived from (seed, a, b): independent streams per epoch and per example.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  return mix64(mix64(mix64(seed) ^ a) ^ b);
}

// Uniform integer in [0, n) from a 64-bit generator, identical on every standard library (unlike
// std::uniform_int_distribution). n must be positive.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % n;
}

// Fisher-Yates shuffle with uniform_below: the same permutation on every platform.
template <typename T>
void shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[uniform_below(rng, i)]);
  }
}

}  // namespace autoaug::data
