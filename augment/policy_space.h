#pragma once

#include <string>
#include <vector>

#include "augment/policy.h"

namespace autoaug::augment {

// What a policy vector stands for.
enum class PolicySpaceKind : int {
  // `subpolicies` sub-policies of `steps` steps, each step an op, a probability and a bin
  // (AutoAugment's space).
  kSubpolicies = 0,
  // RandAugment's two numbers: how many ops each image gets (1..3, drawn uniformly from `ops`
  // with replacement, each applied) and the one bin they all use; `subpolicies` and `steps` are
  // not used.
  kRandAugment = 1,
};

// "subpolicies" or "randaugment"; throws std::invalid_argument naming `field` otherwise.
PolicySpaceKind policy_space_kind(const std::string& name, const std::string& field);
const char* policy_space_kind_name(PolicySpaceKind kind);

// The shape of the policies a search explores.
struct PolicySpaceOptions {
  PolicySpaceKind kind = PolicySpaceKind::kSubpolicies;
  int subpolicies = 5;  // K, 1..64
  int steps = 2;        // steps per sub-policy, 1..8
  // Candidate ops; empty means every built-in op except Identity (a step with probability 0
  // already expresses "nothing"), or RandAugment's 14 (Identity included) for kRandAugment.
  std::vector<std::string> ops;
  int magnitude_bins = 10;
  MagnitudeSpace space = MagnitudeSpace::kStandard;
  std::vector<double> fill = {0.0};
};

// One coordinate of a policy vector.
struct PolicyDimension {
  enum class Kind : int { kOp = 0, kProb = 1, kMagnitude = 2, kNumOps = 3 };
  // "s0.1.op", "s0.1.prob", "s0.1.magnitude"; RandAugment's "num_ops" and "magnitude"
  std::string name;
  Kind kind = Kind::kOp;
  int subpolicy = 0;
  int step = 0;
};

// Maps plain vectors to policies and back; the search engine sees only the vectors. Coordinates
// are ordered for each sub-policy, for each step: op index (into ops()), probability in [0, 1],
// magnitude bin in [0, bins - 1]; for kRandAugment: number of ops in [1, 3], then the bin.
// Immutable; thread-safe.
class PolicySpace {
 public:
  // Throws std::invalid_argument naming the field (unknown op, sizes out of range).
  explicit PolicySpace(PolicySpaceOptions options);

  const std::vector<PolicyDimension>& dimensions() const { return dims_; }
  const std::vector<std::string>& ops() const { return options_.ops; }
  const PolicySpaceOptions& options() const { return options_; }

  // Builds the policy a vector stands for. Throws std::invalid_argument on a wrong length or a
  // value out of range.
  Policy decode(const std::vector<double>& values) const;
  // The vector of a policy of this shape (ops from ops(), bins within range); throws
  // std::invalid_argument otherwise.
  std::vector<double> encode(const Policy& policy) const;
  // A short description of a vector's policy, e.g. "RandAugment: 2 ops at bin 3 of 10" (for
  // kRandAugment, whose policies hold up to 14^3 sub-policies); "" for kSubpolicies.
  std::string summary(const std::vector<double>& values) const;

 private:
  void add_subpolicy_dimensions();
  void check_value(const PolicyDimension& d, double v) const;
  std::vector<double> encode_randaugment(const Policy& policy) const;

  PolicySpaceOptions options_;
  std::vector<PolicyDimension> dims_;
};

}  // namespace autoaug::augment
