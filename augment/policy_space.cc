#include "augment/policy_space.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "augment/presets.h"

namespace autoaug::augment {

PolicySpaceKind policy_space_kind(const std::string& name, const std::string& field) {
  if (name == "subpolicies") return PolicySpaceKind::kSubpolicies;
  if (name == "randaugment") return PolicySpaceKind::kRandAugment;
  throw std::invalid_argument(field + ": \"" + name +
                              "\" is not a space kind (subpolicies or randaugment)");
}

const char* policy_space_kind_name(PolicySpaceKind kind) {
  return kind == PolicySpaceKind::kRandAugment ? "randaugment" : "subpolicies";
}

PolicySpace::PolicySpace(PolicySpaceOptions options) : options_(std::move(options)) {
  const bool randaugment = options_.kind == PolicySpaceKind::kRandAugment;
  if (options_.subpolicies < 1 || options_.subpolicies > 64) {
    throw std::invalid_argument("subpolicies: " + std::to_string(options_.subpolicies) +
                                " is outside 1..64");
  }
  if (options_.steps < 1 || options_.steps > 8) {
    throw std::invalid_argument("steps: " + std::to_string(options_.steps) + " is outside 1..8");
  }
  if (options_.ops.empty() && randaugment) options_.ops = randaugment_ops();
  if (options_.ops.empty()) {
    for (const Op& op : builtin_ops().ops()) {
      if (op.name() != "Identity") options_.ops.push_back(op.name());
    }
  }
  for (size_t i = 0; i < options_.ops.size(); ++i) {
    try {
      builtin_ops().at(options_.ops[i]);
    } catch (const std::invalid_argument& e) {
      std::string message = "ops[" + std::to_string(i) + "]: ";
      message += e.what();
      throw std::invalid_argument(message);
    }
    if (std::count(options_.ops.begin(), options_.ops.end(), options_.ops[i]) > 1) {
      throw std::invalid_argument("ops[" + std::to_string(i) + "]: " + options_.ops[i] +
                                  " is listed twice");
    }
  }
  // Validates bins and fill through a policy of the right shape.
  Policy probe;
  probe.magnitude_bins = options_.magnitude_bins;
  probe.space = options_.space;
  probe.fill = options_.fill;
  probe.subpolicies = {{Step{options_.ops.front(), 0.0, 0}}};
  probe.validate();
  if (randaugment) {
    dims_.push_back({"num_ops", PolicyDimension::Kind::kNumOps, 0, 0});
    dims_.push_back({"magnitude", PolicyDimension::Kind::kMagnitude, 0, 0});
  } else {
    add_subpolicy_dimensions();
  }
}

void PolicySpace::add_subpolicy_dimensions() {
  for (int k = 0; k < options_.subpolicies; ++k) {
    for (int j = 0; j < options_.steps; ++j) {
      std::string prefix = "s";
      prefix += std::to_string(k);
      prefix += '.';
      prefix += std::to_string(j);
      prefix += '.';
      dims_.push_back({prefix + "op", PolicyDimension::Kind::kOp, k, j});
      dims_.push_back({prefix + "prob", PolicyDimension::Kind::kProb, k, j});
      dims_.push_back({prefix + "magnitude", PolicyDimension::Kind::kMagnitude, k, j});
    }
  }
}

void PolicySpace::check_value(const PolicyDimension& d, double v) const {
  const bool whole = v == std::floor(v);
  switch (d.kind) {
    case PolicyDimension::Kind::kOp:
      if (!(v >= 0 && v <= static_cast<double>(options_.ops.size() - 1)) || !whole) {
        throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is not an op index");
      }
      break;
    case PolicyDimension::Kind::kProb:
      if (!(v >= 0.0 && v <= 1.0)) {
        throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is outside 0..1");
      }
      break;
    case PolicyDimension::Kind::kMagnitude:
      if (!(v >= 0 && v < options_.magnitude_bins) || !whole) {
        throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is not a bin");
      }
      break;
    case PolicyDimension::Kind::kNumOps:
      if (!(v >= 1 && v <= kMaxRandAugmentOps) || !whole) {
        throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is outside 1.." +
                                    std::to_string(kMaxRandAugmentOps));
      }
      break;
  }
}

Policy PolicySpace::decode(const std::vector<double>& values) const {
  if (values.size() != dims_.size()) {
    throw std::invalid_argument("policy vector: " + std::to_string(values.size()) +
                                " values, expected " + std::to_string(dims_.size()));
  }
  for (size_t i = 0; i < dims_.size(); ++i) check_value(dims_[i], values[i]);
  if (options_.kind == PolicySpaceKind::kRandAugment) {
    Policy policy = randaugment(options_.ops, static_cast<int>(values[0]),
                                static_cast<int>(values[1]), options_.magnitude_bins);
    policy.space = options_.space;
    policy.fill = options_.fill;
    policy.provenance = {};
    return policy;
  }
  Policy policy;
  policy.magnitude_bins = options_.magnitude_bins;
  policy.space = options_.space;
  policy.fill = options_.fill;
  policy.subpolicies.assign(options_.subpolicies, SubPolicy(options_.steps));
  for (size_t i = 0; i < dims_.size(); ++i) {
    const PolicyDimension& d = dims_[i];
    Step& step = policy.subpolicies[d.subpolicy][d.step];
    if (d.kind == PolicyDimension::Kind::kOp)
      step.op = options_.ops[static_cast<size_t>(values[i])];
    if (d.kind == PolicyDimension::Kind::kProb) step.prob = values[i];
    if (d.kind == PolicyDimension::Kind::kMagnitude) step.magnitude = static_cast<int>(values[i]);
  }
  // Ops without a parameter carry bin 0, as policy files write them.
  for (SubPolicy& sub : policy.subpolicies) {
    for (Step& s : sub) {
      if (!builtin_ops().at(s.op).schema().uses_magnitude) s.magnitude = 0;
    }
  }
  return policy;
}

std::vector<double> PolicySpace::encode_randaugment(const Policy& policy) const {
  const std::string not_ours = "policy: not a RandAugment policy of this space";
  if (policy.subpolicies.empty() || policy.magnitude_bins != options_.magnitude_bins) {
    throw std::invalid_argument(not_ours);
  }
  const int num_ops = static_cast<int>(policy.subpolicies.front().size());
  // The bin of the first step whose op takes one (decode checks that every step agrees).
  int magnitude = 0;
  for (const SubPolicy& sub : policy.subpolicies) {
    const auto s = std::find_if(sub.begin(), sub.end(), [](const Step& step) {
      return builtin_ops().at(step.op).schema().uses_magnitude;
    });
    if (s == sub.end()) continue;
    magnitude = s->magnitude;
    break;
  }
  const std::vector<double> values{static_cast<double>(num_ops), static_cast<double>(magnitude)};
  try {
    for (size_t i = 0; i < dims_.size(); ++i) check_value(dims_[i], values[i]);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(not_ours + " (" + e.what() + ")");
  }
  if (decode(values).subpolicies != policy.subpolicies) throw std::invalid_argument(not_ours);
  return values;
}

std::vector<double> PolicySpace::encode(const Policy& policy) const {
  if (options_.kind == PolicySpaceKind::kRandAugment) return encode_randaugment(policy);
  if (static_cast<int>(policy.subpolicies.size()) != options_.subpolicies) {
    throw std::invalid_argument("policy: " + std::to_string(policy.subpolicies.size()) +
                                " sub-policies, the space has " +
                                std::to_string(options_.subpolicies));
  }
  std::vector<double> values;
  for (size_t k = 0; k < policy.subpolicies.size(); ++k) {
    const SubPolicy& sub = policy.subpolicies[k];
    if (static_cast<int>(sub.size()) != options_.steps) {
      throw std::invalid_argument("subpolicies[" + std::to_string(k) +
                                  "]: " + std::to_string(sub.size()) + " steps, the space has " +
                                  std::to_string(options_.steps));
    }
    for (size_t j = 0; j < sub.size(); ++j) {
      const auto it = std::find(options_.ops.begin(), options_.ops.end(), sub[j].op);
      if (it == options_.ops.end()) {
        throw std::invalid_argument("subpolicies[" + std::to_string(k) + "][" + std::to_string(j) +
                                    "].op: " + sub[j].op + " is not in the space");
      }
      if (sub[j].magnitude < 0 || sub[j].magnitude >= options_.magnitude_bins) {
        throw std::invalid_argument("subpolicies[" + std::to_string(k) + "][" + std::to_string(j) +
                                    "].magnitude: outside the space");
      }
      values.push_back(static_cast<double>(it - options_.ops.begin()));
      values.push_back(sub[j].prob);
      values.push_back(sub[j].magnitude);
    }
  }
  return values;
}

std::string PolicySpace::summary(const std::vector<double>& values) const {
  if (options_.kind != PolicySpaceKind::kRandAugment) return "";
  if (values.size() != dims_.size()) {
    throw std::invalid_argument("policy vector: " + std::to_string(values.size()) +
                                " values, expected " + std::to_string(dims_.size()));
  }
  const int n = static_cast<int>(values[0]);
  return "RandAugment: " + std::to_string(n) + (n == 1 ? " op" : " ops") + " of " +
         std::to_string(options_.ops.size()) + " at bin " +
         std::to_string(static_cast<int>(values[1])) + " of " +
         std::to_string(options_.magnitude_bins);
}

}  // namespace autoaug::augment
