// The built-in ops: schema, kernel and bin mapping side by side. Parameters and bin tables follow
// torchvision 0.14 (transforms/autoaugment.py: _apply_op and each class's _augmentation_space).

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "augment/kernels.h"
#include "augment/op.h"
#include "search/random.h"

namespace autoaug::augment {
namespace {

// torch.linspace(start, end, bins)[bin] in float32, exactly as LibTorch 1.13's CPU kernel
// computes it on AVX2 machines: the scalar path evaluates start + step * i (first half) or
// end - step * (bins - 1 - i) (second half) with a fused multiply-add; runs of 16 elements go
// through the vector path, which computes a base that way and adds k * step (k < 8) unfused.
// Checked against torchvision for every table it builds (tests/augment/golden).
double linspace32(double start, double end, int bins, int bin) {
  const float s = static_cast<float>(start);
  const float e = static_cast<float>(end);
  const float step = (e - s) / static_cast<float>(bins - 1);
  const int halfway = bins / 2;
  auto scalar = [&](int i) {
    return i < halfway ? std::fmaf(step, static_cast<float>(i), s)
                       : std::fmaf(-step, static_cast<float>(bins - i - 1), e);
  };
  const int vectorised = bins / 16 * 16;
  if (bin >= vectorised) return scalar(bin);
  const int base_index = bin / 8 * 8;
  const float base = scalar(base_index);
  const float offset = static_cast<float>(bin - base_index) * step;
  return base + offset;
}

double no_magnitude(int, int, MagnitudeSpace, int, int) { return 0.0; }

double shear_bins(int bin, int bins, MagnitudeSpace space, int, int) {
  return linspace32(0.0, space == MagnitudeSpace::kWide ? 0.99 : 0.3, bins, bin);
}
double translate_x_bins(int bin, int bins, MagnitudeSpace space, int, int width) {
  return linspace32(0.0, space == MagnitudeSpace::kWide ? 32.0 : 150.0 / 331.0 * width, bins, bin);
}
double translate_y_bins(int bin, int bins, MagnitudeSpace space, int height, int) {
  return linspace32(0.0, space == MagnitudeSpace::kWide ? 32.0 : 150.0 / 331.0 * height, bins, bin);
}
double rotate_bins(int bin, int bins, MagnitudeSpace space, int, int) {
  return linspace32(0.0, space == MagnitudeSpace::kWide ? 135.0 : 30.0, bins, bin);
}
double enhance_bins(int bin, int bins, MagnitudeSpace space, int, int) {
  return linspace32(0.0, space == MagnitudeSpace::kWide ? 0.99 : 0.9, bins, bin);
}
// 8 - (arange(bins) / ((bins - 1) / k)).round(), k = 4 (standard) or 6 (wide), float32 division
// and round-half-to-even as torch does.
double posterize_bins(int bin, int bins, MagnitudeSpace space, int, int) {
  const double k = space == MagnitudeSpace::kWide ? 6.0 : 4.0;
  const float q = static_cast<float>(bin) / static_cast<float>((bins - 1) / k);
  return 8.0 - std::nearbyint(q);
}
double solarize_bins(int bin, int bins, MagnitudeSpace, int, int) {
  return linspace32(255.0, 0.0, bins, bin);
}
// Cutout (not in torchvision): square side from 0 to half the shorter image side.
double cutout_bins(int bin, int bins, MagnitudeSpace, int height, int width) {
  return linspace32(0.0, 0.5 * std::min(height, width), bins, bin);
}

cv::Mat identity(const cv::Mat& in, double, const OpContext&) { return in.clone(); }

cv::Mat shear_x(const cv::Mat& in, double v, const OpContext& ctx) {
  // torchvision: F.affine(shear=[degrees(atan(v)), 0], center=[0, 0]); math.degrees divides by
  // pi/180 and math.radians multiplies by it, so the round trip is kept as written.
  constexpr double kDegToRad = std::numbers::pi / 180.0;
  const double shear = std::atan(v) / kDegToRad;
  const auto m = kernels::inverse_affine_matrix(-0.5 * in.cols, -0.5 * in.rows, 0.0, 0.0, 0.0, 1.0,
                                                shear, 0.0);
  return kernels::warp_affine_nearest(in, m, ctx.fill);
}

cv::Mat shear_y(const cv::Mat& in, double v, const OpContext& ctx) {
  constexpr double kDegToRad = std::numbers::pi / 180.0;
  const double shear = std::atan(v) / kDegToRad;
  const auto m = kernels::inverse_affine_matrix(-0.5 * in.cols, -0.5 * in.rows, 0.0, 0.0, 0.0, 1.0,
                                                0.0, shear);
  return kernels::warp_affine_nearest(in, m, ctx.fill);
}

// torchvision translates by int(v) pixels: truncation toward zero.
cv::Mat translate_x(const cv::Mat& in, double v, const OpContext& ctx) {
  return kernels::translate(in, static_cast<int>(v), 0, ctx.fill);
}
cv::Mat translate_y(const cv::Mat& in, double v, const OpContext& ctx) {
  return kernels::translate(in, 0, static_cast<int>(v), ctx.fill);
}

cv::Mat rotate(const cv::Mat& in, double v, const OpContext& ctx) {
  // F.rotate uses the affine matrix of angle -v about the centre.
  const auto m = kernels::inverse_affine_matrix(0.0, 0.0, -v, 0.0, 0.0, 1.0, 0.0, 0.0);
  return kernels::warp_affine_nearest(in, m, ctx.fill);
}

cv::Mat brightness(const cv::Mat& in, double v, const OpContext&) {
  return kernels::adjust_brightness(in, 1.0 + v);
}
cv::Mat color(const cv::Mat& in, double v, const OpContext&) {
  return kernels::adjust_saturation(in, 1.0 + v);
}
cv::Mat contrast(const cv::Mat& in, double v, const OpContext&) {
  return kernels::adjust_contrast(in, 1.0 + v);
}
cv::Mat sharpness(const cv::Mat& in, double v, const OpContext&) {
  return kernels::adjust_sharpness(in, 1.0 + v);
}
cv::Mat posterize(const cv::Mat& in, double v, const OpContext&) {
  return kernels::posterize(in, static_cast<int>(v));
}
cv::Mat solarize(const cv::Mat& in, double v, const OpContext&) { return kernels::solarize(in, v); }
cv::Mat autocontrast(const cv::Mat& in, double, const OpContext&) {
  return kernels::autocontrast(in);
}
cv::Mat equalize(const cv::Mat& in, double, const OpContext&) { return kernels::equalize(in); }
cv::Mat invert(const cv::Mat& in, double, const OpContext&) { return kernels::invert(in); }

cv::Mat cutout(const cv::Mat& in, double v, const OpContext& ctx) {
  if (ctx.rng == nullptr) throw std::invalid_argument("Cutout: needs a random generator");
  const int cx = random::uniform_int(*ctx.rng, 0, in.cols - 1);
  const int cy = random::uniform_int(*ctx.rng, 0, in.rows - 1);
  return kernels::cutout(in, static_cast<int>(std::lround(v)), cx, cy, ctx.fill);
}

OpSchema schema(std::string name, std::string doc, std::string unit, bool uses_magnitude,
                bool is_signed, double lo, double hi, std::string standard, std::string wide,
                bool in_torchvision = true) {
  OpSchema s;
  s.name = std::move(name);
  s.doc = std::move(doc);
  s.unit = std::move(unit);
  s.uses_magnitude = uses_magnitude;
  s.is_signed = is_signed;
  s.min_value = lo;
  s.max_value = hi;
  s.standard_range = std::move(standard);
  s.wide_range = std::move(wide);
  s.in_torchvision = in_torchvision;
  return s;
}

}  // namespace

void register_builtin_ops(OpRegistry& r) {
  r.add(Op(schema("Identity", "Returns the image unchanged.", "", false, false, 0, 0, "-", "-"),
           identity, no_magnitude));
  r.add(Op(schema("ShearX", "Shears along x about the top-left corner: x' = x + v*y.",
                  "shear factor", true, true, -10, 10, "0..0.3", "0..0.99"),
           shear_x, shear_bins));
  r.add(Op(schema("ShearY", "Shears along y about the top-left corner: y' = y + v*x.",
                  "shear factor", true, true, -10, 10, "0..0.3", "0..0.99"),
           shear_y, shear_bins));
  r.add(Op(schema("TranslateX", "Shifts right by int(v) pixels (left when negative).", "pixels",
                  true, true, -100000, 100000, "0..150/331*width", "0..32"),
           translate_x, translate_x_bins));
  r.add(Op(schema("TranslateY", "Shifts down by int(v) pixels (up when negative).", "pixels", true,
                  true, -100000, 100000, "0..150/331*height", "0..32"),
           translate_y, translate_y_bins));
  r.add(Op(schema("Rotate", "Rotates counter-clockwise by v degrees about the centre.", "degrees",
                  true, true, -360, 360, "0..30", "0..135"),
           rotate, rotate_bins));
  r.add(Op(schema("Brightness", "Scales intensities by 1+v.", "enhancement delta", true, true, -1,
                  10, "0..0.9", "0..0.99"),
           brightness, enhance_bins));
  r.add(Op(schema("Color", "Blends with the grey image by 1+v (saturation); grey images unchanged.",
                  "enhancement delta", true, true, -1, 10, "0..0.9", "0..0.99"),
           color, enhance_bins));
  r.add(Op(schema("Contrast", "Blends with the mean grey level by 1+v.", "enhancement delta", true,
                  true, -1, 10, "0..0.9", "0..0.99"),
           contrast, enhance_bins));
  r.add(Op(schema("Sharpness", "Blends with a 3x3 smoothed image by 1+v (border kept).",
                  "enhancement delta", true, true, -1, 10, "0..0.9", "0..0.99"),
           sharpness, enhance_bins));
  r.add(Op(schema("Posterize", "Keeps the top int(v) bits of each value.", "bits", true, false, 0,
                  8, "8..4", "8..2"),
           posterize, posterize_bins));
  r.add(Op(schema("Solarize", "Inverts every value >= v.", "threshold", true, false, 0, 255,
                  "255..0", "255..0"),
           solarize, solarize_bins));
  r.add(Op(schema("AutoContrast", "Stretches each channel to the full 0..255 range.", "", false,
                  false, 0, 0, "-", "-"),
           autocontrast, no_magnitude));
  r.add(Op(schema("Equalize", "Equalises each channel's histogram (PIL's lookup table).", "", false,
                  false, 0, 0, "-", "-"),
           equalize, no_magnitude));
  r.add(Op(schema("Invert", "Replaces each value v by 255-v.", "", false, false, 0, 0, "-", "-"),
           invert, no_magnitude));
  r.add(Op(schema("Cutout",
                  "Fills a v x v square at a random centre with the fill value (autoaug's "
                  "addition; not in torchvision).",
                  "pixels", true, false, 0, 100000, "0..min(height,width)/2",
                  "0..min(height,width)/2", false),
           cutout, cutout_bins));
}

}  // namespace autoaug::augment
