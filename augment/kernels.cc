#include "augment/kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <opencv2/core.hpp>
#include <stdexcept>

namespace autoaug::augment::kernels {
namespace {

using Lut = std::array<uint8_t, 256>;

// float32 -> uint8 as torch's `.clamp(0, 255).to(torch.uint8)` does: clamp, then truncate.
inline uint8_t clamp_trunc(float v) {
  v = std::min(std::max(v, 0.0f), 255.0f);
  return static_cast<uint8_t>(v);
}

cv::Mat apply_lut(const cv::Mat& in, const Lut& lut) {
  cv::Mat table(1, 256, CV_8U, const_cast<uint8_t*>(lut.data()));
  cv::Mat out;
  cv::LUT(in, table, out);
  return out;
}

// One table per channel (the table has as many channels as the image).
cv::Mat apply_channel_luts(const cv::Mat& in, const std::vector<Lut>& luts) {
  if (luts.size() == 1) return apply_lut(in, luts[0]);
  cv::Mat table(1, 256, CV_8UC3);
  auto* t = table.ptr<uint8_t>();
  for (int v = 0; v < 256; ++v) {
    for (int c = 0; c < 3; ++c) t[v * 3 + c] = luts[c][v];
  }
  cv::Mat out;
  cv::LUT(in, table, out);
  return out;
}

std::array<uint8_t, 3> fill_pixel(const std::vector<double>& fill, int channels) {
  std::array<uint8_t, 3> px{0, 0, 0};
  for (int c = 0; c < channels; ++c) {
    const double f = fill.empty() ? 0.0 : fill[fill.size() == 1 ? 0 : c];
    px[c] = static_cast<uint8_t>(std::lround(std::clamp(f, 0.0, 255.0)));
  }
  return px;
}

// The blend of torchvision's `_blend(img1, img2, ratio)` with img2 given per pixel: both
// products are float32 as torch computes them, the sum is clamped and truncated.
struct Blend {
  std::array<float, 256> a;  // ratio * v
  std::array<float, 256> b;  // (1 - ratio) * v
  explicit Blend(double ratio) {
    const float r = static_cast<float>(ratio);
    const float q = static_cast<float>(1.0 - ratio);
    for (int v = 0; v < 256; ++v) {
      a[v] = r * static_cast<float>(v);
      b[v] = q * static_cast<float>(v);
    }
  }
  uint8_t operator()(uint8_t x, uint8_t other) const { return clamp_trunc(a[x] + b[other]); }
};

// Centred pixel coordinates as torch.linspace(-n/2 + 0.5, n/2 - 0.5, n) computes them in float32.
std::vector<float> centred_coordinates(int n) {
  std::vector<float> out(n);
  const float start = static_cast<float>(-n * 0.5 + 0.5);
  const float end = static_cast<float>(n * 0.5 + 0.5 - 1);
  if (n == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / static_cast<float>(n - 1);
  const int halfway = n / 2;
  for (int i = 0; i < n; ++i) {
    out[i] = i < halfway ? start + step * static_cast<float>(i)
                         : end - step * static_cast<float>(n - i - 1);
  }
  return out;
}

template <int C>
void copy_pixel(uint8_t* dst, const uint8_t* src) {
  for (int c = 0; c < C; ++c) dst[c] = src[c];
}

template <int C>
void warp_rows(const cv::Mat& in, cv::Mat& out, const float r[6],
               const std::array<uint8_t, 3>& fv) {
  const int w = in.cols;
  const int h = in.rows;
  const std::vector<float> xs = centred_coordinates(w);
  const std::vector<float> ys = centred_coordinates(h);
  // Grid as torchvision's _gen_affine_grid: g = (x * r0 + y * r1) + r2, then grid_sample's
  // unnormalisation (g + 1) * size / 2 - 0.5, rounded half to even; all in float32.
  std::vector<float> ax(w), ay(w);
  for (int i = 0; i < w; ++i) {
    ax[i] = xs[i] * r[0];
    ay[i] = xs[i] * r[3];
  }
  const float sw = static_cast<float>(w) / 2.0f;
  const float sh = static_cast<float>(h) / 2.0f;
  std::vector<int> src(w);
  for (int j = 0; j < h; ++j) {
    const float bx = ys[j] * r[1];
    const float by = ys[j] * r[4];
    uint8_t* dst = out.ptr<uint8_t>(j);
    for (int i = 0; i < w; ++i) {
      const float gx = (ax[i] + bx) + r[2];
      const float gy = (ay[i] + by) + r[5];
      const float fx = (gx + 1.0f) * sw - 0.5f;
      const float fy = (gy + 1.0f) * sh - 0.5f;
      const long ix = std::lrint(fx);
      const long iy = std::lrint(fy);
      // Out-of-range (including NaN from a degenerate map, which lrint turns into LONG_MIN).
      src[i] = (ix >= 0 && ix < w && iy >= 0 && iy < h) ? static_cast<int>(iy * w + ix) : -1;
    }
    const uint8_t* base = in.ptr<uint8_t>(0);
    const size_t step = in.step[0];
    for (int i = 0; i < w; ++i) {
      const int s = src[i];
      if (s < 0) {
        copy_pixel<C>(dst + i * C, fv.data());
      } else {
        copy_pixel<C>(dst + i * C, base + (s / w) * step + (s % w) * C);
      }
    }
  }
}

}  // namespace

AffineMatrix inverse_affine_matrix(double center_x, double center_y, double angle_degrees,
                                   double translate_x, double translate_y, double scale,
                                   double shear_x_degrees, double shear_y_degrees) {
  // Python's math.radians(x) is x * (pi / 180).
  constexpr double kDegToRad = std::numbers::pi / 180.0;
  const double rot = angle_degrees * kDegToRad;
  const double sx = shear_x_degrees * kDegToRad;
  const double sy = shear_y_degrees * kDegToRad;
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  AffineMatrix out{{d, -b, 0.0, -c, a, 0.0}};
  for (double& v : out.m) v /= scale;
  out.m[2] += out.m[0] * (-center_x - translate_x) + out.m[1] * (-center_y - translate_y);
  out.m[5] += out.m[3] * (-center_x - translate_x) + out.m[4] * (-center_y - translate_y);
  out.m[2] += center_x;
  out.m[5] += center_y;
  return out;
}

cv::Mat warp_affine_nearest(const cv::Mat& in, const AffineMatrix& matrix,
                            const std::vector<double>& fill) {
  const int channels = in.channels();
  cv::Mat out(in.size(), in.type());
  // torchvision builds theta in float32 and divides its columns by (w/2, h/2).
  const float hw = static_cast<float>(0.5 * in.cols);
  const float hh = static_cast<float>(0.5 * in.rows);
  const float r[6] = {static_cast<float>(matrix.m[0]) / hw, static_cast<float>(matrix.m[1]) / hw,
                      static_cast<float>(matrix.m[2]) / hw, static_cast<float>(matrix.m[3]) / hh,
                      static_cast<float>(matrix.m[4]) / hh, static_cast<float>(matrix.m[5]) / hh};
  const auto fv = fill_pixel(fill, channels);
  if (channels == 1) {
    warp_rows<1>(in, out, r, fv);
  } else {
    warp_rows<3>(in, out, r, fv);
  }
  return out;
}

cv::Mat translate(const cv::Mat& in, int dx, int dy, const std::vector<double>& fill) {
  const auto fv = fill_pixel(fill, in.channels());
  cv::Mat out(in.size(), in.type(), cv::Scalar(fv[0], fv[1], fv[2]));
  const int w = in.cols;
  const int h = in.rows;
  // Destination rectangle [x0, x1) x [y0, y1) receives source shifted by (-dx, -dy).
  const int x0 = std::clamp(dx, 0, w);
  const int x1 = std::clamp(w + dx, 0, w);
  const int y0 = std::clamp(dy, 0, h);
  const int y1 = std::clamp(h + dy, 0, h);
  if (x1 > x0 && y1 > y0) {
    const cv::Rect dst(x0, y0, x1 - x0, y1 - y0);
    const cv::Rect src(x0 - dx, y0 - dy, x1 - x0, y1 - y0);
    in(src).copyTo(out(dst));
  }
  return out;
}

cv::Mat grayscale(const cv::Mat& in) {
  std::array<float, 256> r, g, b;
  for (int v = 0; v < 256; ++v) {
    r[v] = 0.2989f * static_cast<float>(v);
    g[v] = 0.587f * static_cast<float>(v);
    b[v] = 0.114f * static_cast<float>(v);
  }
  cv::Mat out(in.size(), CV_8UC1);
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    uint8_t* d = out.ptr<uint8_t>(j);
    for (int i = 0; i < in.cols; ++i, s += 3) {
      d[i] = static_cast<uint8_t>((r[s[0]] + g[s[1]]) + b[s[2]]);
    }
  }
  return out;
}

cv::Mat adjust_brightness(const cv::Mat& in, double factor) {
  const float r = static_cast<float>(factor);
  Lut lut;
  for (int v = 0; v < 256; ++v) lut[v] = clamp_trunc(r * static_cast<float>(v));
  return apply_lut(in, lut);
}

cv::Mat adjust_contrast(const cv::Mat& in, double factor) {
  const cv::Mat gray = in.channels() == 3 ? grayscale(in) : in;
  // torch.mean over float32 values: the sum of integers, then one division.
  const double total = cv::sum(gray)[0];
  const float mean = static_cast<float>(total) / static_cast<float>(gray.total());
  const float other = static_cast<float>(1.0 - factor) * mean;
  const float r = static_cast<float>(factor);
  Lut lut;
  for (int v = 0; v < 256; ++v) lut[v] = clamp_trunc(r * static_cast<float>(v) + other);
  return apply_lut(in, lut);
}

cv::Mat adjust_saturation(const cv::Mat& in, double factor) {
  if (in.channels() == 1) return in.clone();
  const cv::Mat gray = grayscale(in);
  const Blend blend(factor);
  cv::Mat out(in.size(), in.type());
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    const uint8_t* g = gray.ptr<uint8_t>(j);
    uint8_t* d = out.ptr<uint8_t>(j);
    for (int i = 0; i < in.cols; ++i) {
      for (int c = 0; c < 3; ++c) d[i * 3 + c] = blend(s[i * 3 + c], g[i]);
    }
  }
  return out;
}

cv::Mat adjust_sharpness(const cv::Mat& in, double factor) {
  if (in.cols <= 2 || in.rows <= 2) return in.clone();
  const int c = in.channels();
  const Blend blend(factor);
  cv::Mat out(in.size(), in.type());
  // The "degenerate" image is the 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 on the interior, rounded;
  // (s + 5 v) / 13 is never exactly halfway, so integer rounding equals torch's float rounding.
  // Border pixels are their own degenerate value, so blending leaves them unchanged.
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    uint8_t* d = out.ptr<uint8_t>(j);
    if (j == 0 || j == in.rows - 1) {
      for (int i = 0; i < in.cols * c; ++i) d[i] = blend(s[i], s[i]);
      continue;
    }
    const uint8_t* up = in.ptr<uint8_t>(j - 1);
    const uint8_t* down = in.ptr<uint8_t>(j + 1);
    for (int k = 0; k < c; ++k) {
      d[k] = blend(s[k], s[k]);
      const int last = (in.cols - 1) * c + k;
      d[last] = blend(s[last], s[last]);
    }
    for (int i = c; i < (in.cols - 1) * c; ++i) {
      const int ring =
          up[i - c] + up[i] + up[i + c] + s[i - c] + s[i + c] + down[i - c] + down[i] + down[i + c];
      const int total = ring + 5 * s[i];
      const int degenerate = (2 * total + 13) / 26;
      d[i] = blend(s[i], static_cast<uint8_t>(degenerate));
    }
  }
  return out;
}

cv::Mat posterize(const cv::Mat& in, int bits) {
  if (bits < 0 || bits > 8) throw std::invalid_argument("posterize: bits must be within 0..8");
  const int mask = bits == 0 ? 0 : (0xFF << (8 - bits)) & 0xFF;
  Lut lut;
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v & mask);
  return apply_lut(in, lut);
}

cv::Mat solarize(const cv::Mat& in, double threshold) {
  const float t = static_cast<float>(threshold);
  Lut lut;
  for (int v = 0; v < 256; ++v) {
    lut[v] = static_cast<float>(v) >= t ? static_cast<uint8_t>(255 - v) : static_cast<uint8_t>(v);
  }
  return apply_lut(in, lut);
}

cv::Mat autocontrast(const cv::Mat& in) {
  const int channels = in.channels();
  std::vector<Lut> luts(channels);
  std::vector<cv::Mat> planes;
  cv::split(in, planes);
  for (int c = 0; c < channels; ++c) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(planes[c], &lo, &hi);
    Lut& lut = luts[c];
    if (hi == lo) {
      for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v);
      continue;
    }
    const float minimum = static_cast<float>(lo);
    // Python's `bound / t` is t.reciprocal() * bound.
    const float scale = (1.0f / (static_cast<float>(hi) - minimum)) * 255.0f;
    for (int v = 0; v < 256; ++v) lut[v] = clamp_trunc((static_cast<float>(v) - minimum) * scale);
  }
  return apply_channel_luts(in, luts);
}

cv::Mat equalize(const cv::Mat& in) {
  const int channels = in.channels();
  std::vector<std::array<int64_t, 256>> hist(channels);
  for (auto& h : hist) h.fill(0);
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    for (int i = 0; i < in.cols * channels; i += channels) {
      for (int c = 0; c < channels; ++c) ++hist[c][s[i + c]];
    }
  }
  std::vector<Lut> luts(channels);
  for (int c = 0; c < channels; ++c) {
    // torchvision's _scale_channel: step = (sum of non-zero bins but the last) // 255.
    int64_t last_nonzero = 0;
    int64_t total = 0;
    for (int v = 0; v < 256; ++v) {
      if (hist[c][v] != 0) last_nonzero = hist[c][v];
      total += hist[c][v];
    }
    const int64_t step = (total - last_nonzero) / 255;
    Lut& lut = luts[c];
    if (step == 0) {
      for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v);
      continue;
    }
    // lut[v] = (cumsum[v - 1] + step // 2) // step, lut[0] = 0, clamped to 0..255.
    int64_t cumulative = 0;
    for (int v = 0; v < 256; ++v) {
      const int64_t value = v == 0 ? 0 : (cumulative + step / 2) / step;
      lut[v] = static_cast<uint8_t>(std::clamp<int64_t>(value, 0, 255));
      cumulative += hist[c][v];
    }
  }
  return apply_channel_luts(in, luts);
}

cv::Mat invert(const cv::Mat& in) {
  Lut lut;
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(255 - v);
  return apply_lut(in, lut);
}

cv::Mat cutout(const cv::Mat& in, int size, int cx, int cy, const std::vector<double>& fill) {
  cv::Mat out = in.clone();
  if (size <= 0) return out;
  const int x0 = std::clamp(cx - size / 2, 0, in.cols);
  const int y0 = std::clamp(cy - size / 2, 0, in.rows);
  const int x1 = std::clamp(cx - size / 2 + size, 0, in.cols);
  const int y1 = std::clamp(cy - size / 2 + size, 0, in.rows);
  if (x1 > x0 && y1 > y0) {
    const auto fv = fill_pixel(fill, in.channels());
    out(cv::Rect(x0, y0, x1 - x0, y1 - y0)).setTo(cv::Scalar(fv[0], fv[1], fv[2]));
  }
  return out;
}

}  // namespace autoaug::augment::kernels
