#include "augment/op.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "augment/detail/format.h"

namespace autoaug::augment {
using detail::format_number;

Op::Op(OpSchema schema, OpKernel kernel, BinMapping mapping)
    : schema_(std::move(schema)), kernel_(kernel), mapping_(mapping) {
  if (schema_.name.empty() || kernel_ == nullptr || mapping_ == nullptr) {
    throw std::invalid_argument("Op: name, kernel and bin mapping are required");
  }
}

cv::Mat Op::apply(const cv::Mat& in, double value, const OpContext& ctx) const {
  if (in.empty()) throw std::invalid_argument(name() + ": the image is empty");
  if (in.depth() != CV_8U) throw std::invalid_argument(name() + ": the image must be uint8");
  bool channels_ok = false;
  for (int c : schema_.channels) channels_ok = channels_ok || c == in.channels();
  if (!channels_ok) {
    throw std::invalid_argument(name() + ": " + std::to_string(in.channels()) +
                                " channels are not supported (1 or 3)");
  }
  if (schema_.uses_magnitude &&
      (!std::isfinite(value) || value < schema_.min_value || value > schema_.max_value)) {
    throw std::invalid_argument(name() + ": value " + format_number(value) + " is outside " +
                                format_number(schema_.min_value) + ".." +
                                format_number(schema_.max_value));
  }
  if (ctx.fill.empty() ||
      (ctx.fill.size() != 1 && static_cast<int>(ctx.fill.size()) != in.channels())) {
    throw std::invalid_argument(name() + ": a fill of " + std::to_string(ctx.fill.size()) +
                                " values does not fit a " + std::to_string(in.channels()) +
                                "-channel image (give 1 value, or 1 per channel)");
  }
  return kernel_(in, value, ctx);
}

double Op::bin_value(int bin, int bins, MagnitudeSpace space, int height, int width) const {
  if (bins < 2) throw std::invalid_argument(name() + ": magnitude bins must be at least 2");
  if (bin < 0 || bin >= bins) {
    throw std::invalid_argument(name() + ": magnitude bin " + std::to_string(bin) +
                                " is outside 0.." + std::to_string(bins - 1));
  }
  return mapping_(bin, bins, space, height, width);
}

void OpRegistry::add(Op op) {
  if (find(op.name()) != nullptr) {
    throw std::invalid_argument("op " + op.name() + " is already registered");
  }
  ops_.push_back(std::move(op));
}

const Op* OpRegistry::find(std::string_view name) const {
  for (const Op& op : ops_) {
    if (op.name() == name) return &op;
  }
  return nullptr;
}

const Op& OpRegistry::at(std::string_view name) const {
  if (const Op* op = find(name)) return *op;
  std::string known;
  for (const Op& op : ops_) known += (known.empty() ? "" : ", ") + op.name();
  throw std::invalid_argument("unknown op \"" + std::string(name) + "\" (known: " + known + ")");
}

const OpRegistry& builtin_ops() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_builtin_ops(r);
    return r;
  }();
  return registry;
}

MagnitudeSpace parse_magnitude_space(std::string_view name) {
  if (name == "standard") return MagnitudeSpace::kStandard;
  if (name == "wide") return MagnitudeSpace::kWide;
  throw std::invalid_argument("magnitude space \"" + std::string(name) +
                              "\" is not one of standard, wide");
}

std::string_view to_string(MagnitudeSpace space) {
  return space == MagnitudeSpace::kWide ? "wide" : "standard";
}

}  // namespace autoaug::augment
