#pragma once

#include <string>
#include <vector>

#include "augment/policy.h"

namespace autoaug::augment {

// The shape of the policies a search explores: `subpolicies` sub-policies of `steps` steps, each
// step an op from `ops`, a probability and a magnitude bin.
struct PolicySpaceOptions {
  int subpolicies = 5;  // K, 1..64
  int steps = 2;        // steps per sub-policy, 1..8
  // Candidate ops; empty means every built-in op except Identity (a step with probability 0
  // already expresses "nothing").
  std::vector<std::string> ops;
  int magnitude_bins = 10;
  MagnitudeSpace space = MagnitudeSpace::kStandard;
  std::vector<double> fill = {0.0};
};

// One coordinate of a policy vector.
struct PolicyDimension {
  enum class Kind : int { kOp = 0, kProb = 1, kMagnitude = 2 };
  std::string name;  // "s0.1.op", "s0.1.prob", "s0.1.magnitude"
  Kind kind = Kind::kOp;
  int subpolicy = 0;
  int step = 0;
};

// Maps plain vectors to policies and back; the search engine sees only the vectors. Coordinates
// are ordered for each sub-policy, for each step: op index (into ops()), probability in [0, 1],
// magnitude bin in [0, bins - 1]. Immutable; thread-safe.
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

 private:
  PolicySpaceOptions options_;
  std::vector<PolicyDimension> dims_;
};

}  // namespace autoaug::augment
