#pragma once

#include <deque>
#include <opencv2/core/mat.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace autoaug::augment {

// Which table of magnitude ranges a bin is mapped through. kStandard is torchvision 0.14's
// AutoAugment and RandAugment space; kWide is TrivialAugmentWide's. Values are stored in policy
// files by name ("standard", "wide"); the numbers are never reused.
enum class MagnitudeSpace { kStandard = 0, kWide = 1 };

// Everything a kernel needs beyond the image and its parameter. `fill` holds one value for all
// channels or one per channel. `rng` is used only by ops that draw positions (Cutout); it must be
// non-null for them.
struct OpContext {
  std::vector<double> fill = {0.0};
  std::mt19937_64* rng = nullptr;
};

// A pure pixel function: returns a new image of the same size and type as `in`, which is uint8
// with 1 or 3 channels in RGB order. `value` is the parameter in torchvision's units (the
// `magnitude` argument of torchvision.transforms.autoaugment._apply_op).
using OpKernel = cv::Mat (*)(const cv::Mat& in, double value, const OpContext& ctx);

// Maps a magnitude bin (0 <= bin < bins) to the unsigned parameter, exactly as torchvision 0.14
// builds its `_augmentation_space` (float32 linspace, rounding of Posterize), for an image of the
// given size.
using BinMapping = double (*)(int bin, int bins, MagnitudeSpace space, int height, int width);

// The declaration of one op: drives validation, `autoaug ops`, and the docs.
struct OpSchema {
  std::string name;
  std::string doc;             // one line
  std::string unit;            // unit of the parameter, e.g. "degrees"; empty when unused
  bool uses_magnitude = true;  // false: the parameter is ignored (Identity, Equalize, ...)
  bool is_signed = false;      // a random sign is drawn when the value comes from a bin
  double min_value = 0.0;      // parameter range accepted by `apply` (after the sign)
  double max_value = 0.0;
  std::string standard_range;  // human-readable bin range in the standard space
  std::string wide_range;      // human-readable bin range in the wide space
  std::vector<int> channels = {1, 3};
  bool in_torchvision = true;  // false for our additions (Cutout)
};

// An op: its schema, its kernel and its bin mapping. Immutable and safe to share across threads.
class Op {
 public:
  Op(OpSchema schema, OpKernel kernel, BinMapping mapping);

  const OpSchema& schema() const { return schema_; }
  const std::string& name() const { return schema_.name; }

  // Applies the op with parameter `value`. Throws std::invalid_argument when `value` is outside
  // the schema's range or the image is not uint8 with an accepted channel count.
  cv::Mat apply(const cv::Mat& in, double value, const OpContext& ctx) const;

  // The unsigned parameter for `bin` of `bins`. Throws std::invalid_argument when the bin is out
  // of range or bins < 2.
  double bin_value(int bin, int bins, MagnitudeSpace space, int height, int width) const;

 private:
  OpSchema schema_;
  OpKernel kernel_;
  BinMapping mapping_;
};

// A name -> op table. Not thread-safe while being filled; safe to read concurrently afterwards.
class OpRegistry {
 public:
  // Adds an op. Throws std::invalid_argument if the name is taken.
  void add(Op op);
  // Returns the op or nullptr.
  const Op* find(std::string_view name) const;
  // Returns the op or throws std::invalid_argument naming the unknown op and listing the known.
  const Op& at(std::string_view name) const;
  // In registration order.
  const std::deque<Op>& ops() const { return ops_; }

 private:
  std::deque<Op> ops_;  // deque: pointers stay valid as ops are added
};

// Adds Identity, ShearX, ShearY, TranslateX, TranslateY, Rotate, Brightness, Color, Contrast,
// Sharpness, Posterize, Solarize, AutoContrast, Equalize, Invert and Cutout.
void register_builtin_ops(OpRegistry& registry);

// A registry holding the built-in ops, filled on first use (thread-safe).
const OpRegistry& builtin_ops();

// Parses "standard" / "wide"; throws std::invalid_argument otherwise.
MagnitudeSpace parse_magnitude_space(std::string_view name);
std::string_view to_string(MagnitudeSpace space);

}  // namespace autoaug::augment
