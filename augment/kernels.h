#pragma once

// Pure pixel functions behind the ops, one per torchvision 0.14 tensor operation (plus Cutout).
// Inputs are uint8 images with 1 or 3 channels (RGB), continuous or not; outputs are new
// continuous images of the same size and type. Arithmetic follows torchvision's float32 order of
// operations so that results agree with its uint8 tensor path bit for bit where it is possible.
// Every function is thread-safe and never modifies its input.

#include <opencv2/core/mat.hpp>
#include <random>
#include <vector>

namespace autoaug::augment::kernels {

// A 2x3 inverse affine map in torchvision's convention: for an output pixel at centred
// coordinates (x, y) = (col + 0.5 - w/2, row + 0.5 - h/2) the source is
// (m[0] x + m[1] y + m[2], m[3] x + m[4] y + m[5]), centred the same way.
struct AffineMatrix {
  double m[6];
};

// torchvision.transforms.functional._get_inverse_affine_matrix, in double precision.
AffineMatrix inverse_affine_matrix(double center_x, double center_y, double angle_degrees,
                                   double translate_x, double translate_y, double scale,
                                   double shear_x_degrees, double shear_y_degrees);

// Nearest-neighbour warp with the inverse map `matrix`; pixels whose source falls outside the
// image take `fill` (one value or one per channel, rounded to uint8).
cv::Mat warp_affine_nearest(const cv::Mat& in, const AffineMatrix& matrix,
                            const std::vector<double>& fill);

// Shifts the image by whole pixels (positive dx moves content right); uncovered pixels take fill.
cv::Mat translate(const cv::Mat& in, int dx, int dy, const std::vector<double>& fill);

// out = clamp(factor * in + (1 - factor) * other), truncated, where `other` is 0 (Brightness),
// the mean grey level (Contrast), the per-pixel grey level (Color) or the 3x3 smoothed image
// (Sharpness).
cv::Mat adjust_brightness(const cv::Mat& in, double factor);
cv::Mat adjust_contrast(const cv::Mat& in, double factor);
cv::Mat adjust_saturation(const cv::Mat& in, double factor);
cv::Mat adjust_sharpness(const cv::Mat& in, double factor);

// Keeps the top `bits` bits (0..8) of every value.
cv::Mat posterize(const cv::Mat& in, int bits);
// Inverts every value >= threshold (compared in float32).
cv::Mat solarize(const cv::Mat& in, double threshold);
// Stretches each channel to 0..255; a constant channel is left unchanged.
cv::Mat autocontrast(const cv::Mat& in);
// Per-channel histogram equalisation with torchvision's (PIL's) lookup table, not OpenCV's.
cv::Mat equalize(const cv::Mat& in);
cv::Mat invert(const cv::Mat& in);

// Fills a size x size square (clipped at the border) centred at (cx, cy) with `fill`.
cv::Mat cutout(const cv::Mat& in, int size, int cx, int cy, const std::vector<double>& fill);

// Rec. 601 luma as torchvision computes it for a 3-channel uint8 image (float32, truncated).
cv::Mat grayscale(const cv::Mat& in);

}  // namespace autoaug::augment::kernels
