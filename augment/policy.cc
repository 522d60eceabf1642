#include "augment/policy.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "augment/detail/format.h"
#include "search/random.h"

namespace autoaug::augment {
namespace {

std::string step_path(size_t k, size_t j) {
  return "subpolicies[" + std::to_string(k) + "][" + std::to_string(j) + "]";
}

}  // namespace

void Policy::validate(const OpRegistry& registry) const {
  if (magnitude_bins < 2 || magnitude_bins > 1000) {
    throw std::invalid_argument("magnitude_bins: " + std::to_string(magnitude_bins) +
                                " is outside 2..1000");
  }
  if (fill.empty() || (fill.size() != 1 && fill.size() != 3)) {
    throw std::invalid_argument("fill: needs 1 value or 3 (one per channel), got " +
                                std::to_string(fill.size()));
  }
  for (size_t i = 0; i < fill.size(); ++i) {
    if (!std::isfinite(fill[i]) || fill[i] < 0 || fill[i] > 255) {
      throw std::invalid_argument("fill[" + std::to_string(i) + "]: must be within 0..255");
    }
  }
  if (subpolicies.empty()) throw std::invalid_argument("subpolicies: must not be empty");
  for (size_t k = 0; k < subpolicies.size(); ++k) {
    if (subpolicies[k].empty()) {
      throw std::invalid_argument("subpolicies[" + std::to_string(k) + "]: must not be empty");
    }
    for (size_t j = 0; j < subpolicies[k].size(); ++j) {
      const Step& s = subpolicies[k][j];
      const std::string path = step_path(k, j);
      const Op* op = nullptr;
      try {
        op = &registry.at(s.op);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ".op: " + e.what());
      }
      if (!std::isfinite(s.prob) || s.prob < 0.0 || s.prob > 1.0) {
        throw std::invalid_argument(path + ".prob: " + detail::format_number(s.prob) +
                                    " is outside 0..1");
      }
      if (op->schema().uses_magnitude && s.magnitude != kRandomMagnitude &&
          (s.magnitude < 0 || s.magnitude >= magnitude_bins)) {
        throw std::invalid_argument(path + ".magnitude: " + std::to_string(s.magnitude) +
                                    " is outside 0.." + std::to_string(magnitude_bins - 1));
      }
    }
  }
}

Augmenter::Augmenter(Policy policy, const OpRegistry& registry) : policy_(std::move(policy)) {
  policy_.validate(registry);
  resolved_.reserve(policy_.subpolicies.size());
  for (const SubPolicy& sub : policy_.subpolicies) {
    std::vector<ResolvedStep> steps;
    steps.reserve(sub.size());
    for (const Step& s : sub) steps.push_back({&registry.at(s.op), s.prob, s.magnitude});
    resolved_.push_back(std::move(steps));
  }
}

cv::Mat Augmenter::apply(const cv::Mat& image, std::mt19937_64& rng) const {
  OpContext ctx;
  ctx.fill = policy_.fill;
  ctx.rng = &rng;
  cv::Mat current = image;
  const auto& steps = resolved_[random::uniform_int<size_t>(rng, 0, resolved_.size() - 1)];
  for (const ResolvedStep& s : steps) {
    if (!(random::canonical(rng) < s.prob)) continue;
    const OpSchema& schema = s.op->schema();
    double value = 0.0;
    if (schema.uses_magnitude) {
      const int bin = s.magnitude == kRandomMagnitude
                          ? random::uniform_int(rng, 0, policy_.magnitude_bins - 1)
                          : s.magnitude;
      value =
          s.op->bin_value(bin, policy_.magnitude_bins, policy_.space, current.rows, current.cols);
      if (schema.is_signed && random::bernoulli(rng, 0.5)) value = -value;
    }
    current = s.op->apply(current, value, ctx);
  }
  return current;
}

double signed_bin_value(const Op& op, int bin, int bins, MagnitudeSpace space, bool negative,
                        int height, int width) {
  if (!op.schema().uses_magnitude) return 0.0;
  const double v = op.bin_value(bin, bins, space, height, width);
  return negative && op.schema().is_signed ? -v : v;
}

}  // namespace autoaug::augment
