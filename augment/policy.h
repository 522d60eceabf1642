#pragma once

#include <opencv2/core/mat.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "augment/op.h"

namespace autoaug::augment {

// The bin value that means "draw a bin uniformly per application" (TrivialAugmentWide).
inline constexpr int kRandomMagnitude = -1;

// One step of a sub-policy: apply `op` with probability `prob` at magnitude bin `magnitude`
// (0 <= magnitude < Policy::magnitude_bins, or kRandomMagnitude). `magnitude` is ignored by ops
// that take no parameter.
struct Step {
  std::string op;
  double prob = 1.0;
  int magnitude = 0;

  friend bool operator==(const Step&, const Step&) = default;
};

using SubPolicy = std::vector<Step>;

// Where a policy came from; every field optional. Written to and read from policy files.
struct Provenance {
  std::string study;
  std::optional<long long> trial;
  std::optional<double> score;
  std::string created;  // ISO 8601 UTC
  std::string source;   // e.g. "preset:autoaugment-cifar10"

  friend bool operator==(const Provenance&, const Provenance&) = default;
};

// A policy: one sub-policy is drawn uniformly per image and its steps applied in order, each with
// its probability. Plain data; validate() checks it against a registry.
struct Policy {
  std::vector<SubPolicy> subpolicies;
  int magnitude_bins = 10;
  MagnitudeSpace space = MagnitudeSpace::kStandard;
  std::vector<double> fill = {0.0};  // one value, or one per channel
  Provenance provenance;

  // Throws std::invalid_argument naming the first bad field, e.g.
  // "subpolicies[3][1].magnitude: 12 is outside 0..9".
  void validate(const OpRegistry& registry = builtin_ops()) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

// Applies a validated policy. Immutable after construction; apply() is thread-safe as long as
// each thread passes its own RNG. Every random choice (sub-policy, whether each step fires, bin
// for kRandomMagnitude, sign, Cutout position) comes from `rng`, in that order, so the same seed
// and image give the same output.
class Augmenter {
 public:
  // Validates the policy (std::invalid_argument on failure) and resolves its ops.
  explicit Augmenter(Policy policy, const OpRegistry& registry = builtin_ops());

  // `image`: uint8, 1 or 3 channels (RGB), any size. Returns a new image or `image` itself
  // (shared data) when no step fired.
  cv::Mat apply(const cv::Mat& image, std::mt19937_64& rng) const;

  const Policy& policy() const { return policy_; }

 private:
  struct ResolvedStep {
    const Op* op;
    double prob;
    int magnitude;
  };
  Policy policy_;
  std::vector<std::vector<ResolvedStep>> resolved_;
};

// The value an op gets at `bin` (kRandomMagnitude not allowed here) with the given sign, for an
// image of the given size: what `autoaug augment --bin` applies.
double signed_bin_value(const Op& op, int bin, int bins, MagnitudeSpace space, bool negative,
                        int height, int width);

}  // namespace autoaug::augment
