#pragma once

// Random draws that replay on every toolchain. The engine, std::mt19937_64, is specified exactly
// by the standard; the std:: distributions and std::shuffle are not, so their outputs differ
// between standard libraries. The functions here are libstdc++ 12's algorithms written out
// (bits/uniform_int_dist.h, bits/random.h, bits/random.tcc, bits/stl_algo.h), so every result
// measured with GCC 12 is reproduced bit for bit, here and with any other standard library.
// tests/search/random_test.cc pins draws of each function to literal values and, on libstdc++,
// compares them with the std:: counterparts.
//
// Domain-free and header-only (CMake target `autoaug_random`, no dependencies): augment/, data/
// and search/ all use it. Functions are thread-safe for distinct engines; an engine, a Normal or
// a Discrete is not safe to share between threads without a lock.
//
// Floating point: each product is rounded before it is added (separate statements), so a compiler
// that fuses a*b+c within one expression (clang's default -ffp-contract=on on FMA targets) cannot
// change a draw. The one exception to exact replay: Normal calls std::log, which no standard
// requires to be correctly rounded, so under another maths library a normal deviate can differ in
// its last bits (sqrt, + - * / and the integer paths are exact everywhere).

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

namespace autoaug::random {

// A generator of uniform 64-bit words, such as std::mt19937_64: every algorithm here assumes one
// draw holds 64 random bits (libstdc++ takes other paths for narrower engines).
template <typename G>
constexpr bool kFull64Bits = G::min() == 0 && G::max() == std::numeric_limits<std::uint64_t>::max();
template <typename G>
concept Bits64 = std::uniform_random_bit_generator<G> && kFull64Bits<G>;

// The integer types of uniform_int: those of at most 64 bits, bool excepted.
template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool> && sizeof(T) <= sizeof(std::uint64_t);

// SplitMix64 finaliser: a well-mixed 64-bit hash, used to derive independent seeds from nearby
// ones.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace detail {

// The high and low halves of the 128-bit product a * b, without a 128-bit type.
struct Product {
  std::uint64_t high;
  std::uint64_t low;
};

constexpr Product multiply(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t mask = 0xffffffffULL;
  const std::uint64_t lo_lo = (a & mask) * (b & mask);
  const std::uint64_t hi_lo = (a >> 32) * (b & mask);
  const std::uint64_t lo_hi = (a & mask) * (b >> 32);
  const std::uint64_t hi_hi = (a >> 32) * (b >> 32);
  const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & mask) + lo_hi;
  return {hi_hi + (hi_lo >> 32) + (cross >> 32), (cross << 32) | (lo_lo & mask)};
}

// Uniform in [0, n), n >= 1: Lemire's nearly divisionless method (ACM TOMACS 29(1), 2019), as
// libstdc++'s uniform_int_distribution::_S_nd for a 64-bit engine.
template <Bits64 G>
std::uint64_t below(G& rng, std::uint64_t n) {
  Product p = multiply(rng(), n);
  if (p.low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (p.low < threshold) p = multiply(rng(), n);
  }
  return p.high;
}

// a * b + c with the product rounded first, whatever the compiler's -ffp-contract.
inline double multiply_add(double a, double b, double c) {
  const double product = a * b;
  return product + c;
}

}  // namespace detail

// Uniform integer in [lo, hi], lo <= hi: std::uniform_int_distribution<T>(lo, hi)(rng).
template <Integer T, Bits64 G>
T uniform_int(G& rng, T lo, T hi) {
  const std::uint64_t range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t offset = range == ~std::uint64_t{0} ? rng() : detail::below(rng, range + 1);
  return static_cast<T>(offset + static_cast<std::uint64_t>(lo));
}

// Uniform double in [0, 1) from one draw: std::generate_canonical<double, 53>(rng), the same
// value as uniform_real(rng, 0.0, 1.0). The rare draw that rounds to 1 becomes the largest double
// below 1.
template <Bits64 G>
double canonical(G& rng) {
  const double u = static_cast<double>(rng()) / 18446744073709551616.0;  // 2^64
  return u >= 1.0 ? std::nextafter(1.0, 0.0) : u;
}

// Uniform double in [lo, hi): std::uniform_real_distribution<double>(lo, hi)(rng).
template <Bits64 G>
double uniform_real(G& rng, double lo, double hi) {
  return detail::multiply_add(canonical(rng), hi - lo, lo);
}

// True with probability p: std::bernoulli_distribution(p)(rng).
template <Bits64 G>
bool bernoulli(G& rng, double p) {
  return canonical(rng) < p;
}

// Normal deviates: std::normal_distribution<double>(mean, stddev). Marsaglia's polar method makes
// two deviates per accepted pair and keeps the second for the next call, so a Normal has state:
// use one object for a sequence, as with the std:: distribution.
class Normal {
 public:
  explicit Normal(double mean = 0.0, double stddev = 1.0) : mean_(mean), stddev_(stddev) {}

  template <Bits64 G>
  double operator()(G& rng) {
    double z;
    if (saved_available_) {
      saved_available_ = false;
      z = saved_;
    } else {
      double x, y, r2;
      do {
        x = detail::multiply_add(2.0, canonical(rng), -1.0);
        y = detail::multiply_add(2.0, canonical(rng), -1.0);
        const double xx = x * x;
        r2 = detail::multiply_add(y, y, xx);
      } while (r2 > 1.0 || r2 == 0.0);
      const double mult = std::sqrt(-2.0 * std::log(r2) / r2);
      saved_ = x * mult;
      saved_available_ = true;
      z = y * mult;
    }
    return detail::multiply_add(z, stddev_, mean_);
  }

 private:
  double mean_;
  double stddev_;
  double saved_ = 0.0;
  bool saved_available_ = false;
};

// Index i drawn with probability weights[i] / sum: std::discrete_distribution<size_t>. Weights
// must be non-negative, finite, with a positive sum. Fewer than two weights always give 0 and
// draw nothing, as libstdc++ does.
class Discrete {
 public:
  explicit Discrete(const std::vector<double>& weights) {
    if (weights.size() < 2) return;
    double sum = 0.0;
    for (double w : weights) sum += w;
    double partial = 0.0;
    cumulative_.reserve(weights.size());
    for (double w : weights) {
      partial += w / sum;
      cumulative_.push_back(partial);
    }
    cumulative_.back() = 1.0;
  }

  template <Bits64 G>
  std::size_t operator()(G& rng) const {
    if (cumulative_.empty()) return 0;
    const double u = canonical(rng);
    return static_cast<std::size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u) -
                                    cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

// Uniform random permutation of [first, last): std::shuffle(first, last, rng). One draw places
// two elements while n * n fits in 64 bits (the draw is split by division), one draw per element
// otherwise.
template <std::random_access_iterator It, Bits64 G>
void shuffle(It first, It last, G& rng) {
  if (first == last) return;
  using Distance = typename std::iterator_traits<It>::difference_type;
  const std::uint64_t n = static_cast<std::uint64_t>(last - first);
  const auto at = [first](std::uint64_t k) { return first + static_cast<Distance>(k); };
  if (~std::uint64_t{0} / n >= n) {
    It i = first + 1;
    if (n % 2 == 0) std::iter_swap(i++, at(uniform_int<std::uint64_t>(rng, 0, 1)));
    while (i != last) {
      const std::uint64_t range = static_cast<std::uint64_t>(i - first) + 1;
      const std::uint64_t both = uniform_int<std::uint64_t>(rng, 0, range * (range + 1) - 1);
      std::iter_swap(i++, at(both / (range + 1)));
      std::iter_swap(i++, at(both % (range + 1)));
    }
    return;
  }
  for (It i = first + 1; i != last; ++i) {
    std::iter_swap(i,
                   at(uniform_int<std::uint64_t>(rng, 0, static_cast<std::uint64_t>(i - first))));
  }
}

}  // namespace autoaug::random
