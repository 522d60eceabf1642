#include "augment/policy_space.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace autoaug::augment {

PolicySpace::PolicySpace(PolicySpaceOptions options) : options_(std::move(options)) {
  if (options_.subpolicies < 1 || options_.subpolicies > 64) {
    throw std::invalid_argument("subpolicies: " + std::to_string(options_.subpolicies) +
                                " is outside 1..64");
  }
  if (options_.steps < 1 || options_.steps > 8) {
    throw std::invalid_argument("steps: " + std::to_string(options_.steps) + " is outside 1..8");
  }
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

Policy PolicySpace::decode(const std::vector<double>& values) const {
  if (values.size() != dims_.size()) {
    throw std::invalid_argument("policy vector: " + std::to_string(values.size()) +
                                " values, expected " + std::to_string(dims_.size()));
  }
  Policy policy;
  policy.magnitude_bins = options_.magnitude_bins;
  policy.space = options_.space;
  policy.fill = options_.fill;
  policy.subpolicies.assign(options_.subpolicies, SubPolicy(options_.steps));
  const double max_op = static_cast<double>(options_.ops.size() - 1);
  for (size_t i = 0; i < dims_.size(); ++i) {
    const PolicyDimension& d = dims_[i];
    const double v = values[i];
    Step& step = policy.subpolicies[d.subpolicy][d.step];
    switch (d.kind) {
      case PolicyDimension::Kind::kOp:
        if (!(v >= 0 && v <= max_op) || v != std::floor(v)) {
          throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is not an op index");
        }
        step.op = options_.ops[static_cast<size_t>(v)];
        break;
      case PolicyDimension::Kind::kProb:
        if (!(v >= 0.0 && v <= 1.0)) {
          throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is outside 0..1");
        }
        step.prob = v;
        break;
      case PolicyDimension::Kind::kMagnitude:
        if (!(v >= 0 && v < options_.magnitude_bins) || v != std::floor(v)) {
          throw std::invalid_argument(d.name + ": " + std::to_string(v) + " is not a bin");
        }
        step.magnitude = static_cast<int>(v);
        break;
    }
  }
  // Ops without a parameter carry bin 0, as policy files write them.
  for (SubPolicy& sub : policy.subpolicies) {
    for (Step& s : sub) {
      if (!builtin_ops().at(s.op).schema().uses_magnitude) s.magnitude = 0;
    }
  }
  return policy;
}

std::vector<double> PolicySpace::encode(const Policy& policy) const {
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

}  // namespace autoaug::augment
