#include "augment/kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <opencv2/core.hpp>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace autoaug::augment::kernels {
namespace {

using Lut = std::array<uint8_t, 256>;

// float32 -> uint8 as torch's `.clamp(0, 255).to(torch.uint8)` does: clamp, then truncate.
inline uint8_t clamp_trunc(float v) {
  v = std::min(std::max(v, 0.0f), 255.0f);
  return static_cast<uint8_t>(v);
}

cv::Mat apply_lut(const cv::Mat& in, const Lut& lut) {
  cv::Mat out(in.size(), in.type());
  const int n = in.cols * in.channels();
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* src = in.ptr<uint8_t>(j);
    uint8_t* dst = out.ptr<uint8_t>(j);
    for (int i = 0; i < n; ++i) dst[i] = lut[src[i]];
  }
  return out;
}

// One table per channel (1 or 3 tables).
cv::Mat apply_channel_luts(const cv::Mat& in, const std::vector<Lut>& luts) {
  if (luts.size() == 1) return apply_lut(in, luts[0]);
  cv::Mat out(in.size(), in.type());
  const Lut &l0 = luts[0], &l1 = luts[1], &l2 = luts[2];
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* src = in.ptr<uint8_t>(j);
    uint8_t* dst = out.ptr<uint8_t>(j);
    for (int i = 0; i < in.cols * 3; i += 3) {
      dst[i] = l0[src[i]];
      dst[i + 1] = l1[src[i + 1]];
      dst[i + 2] = l2[src[i + 2]];
    }
  }
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

// torchvision's `_blend(img1, img2, ratio)` on a row of uint8 values: out = trunc(clamp(
// f32(ratio) * x + f32(1 - ratio) * other, 0, 255)), both products and the sum rounded to float32
// as torch computes them. The SSE2 path performs the same IEEE operations four at a time.
void blend_row(const uint8_t* x, const uint8_t* other, int n, double ratio, uint8_t* out) {
  const float r = static_cast<float>(ratio);
  const float q = static_cast<float>(1.0 - ratio);
  int i = 0;
#if defined(__SSE2__)
  const __m128 vr = _mm_set1_ps(r);
  const __m128 vq = _mm_set1_ps(q);
  const __m128 lo = _mm_setzero_ps();
  const __m128 hi = _mm_set1_ps(255.0f);
  const __m128i zero = _mm_setzero_si128();
  auto quarter = [&](__m128i x32, __m128i o32) {
    const __m128 v =
        _mm_add_ps(_mm_mul_ps(vr, _mm_cvtepi32_ps(x32)), _mm_mul_ps(vq, _mm_cvtepi32_ps(o32)));
    return _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(v, lo), hi));
  };
  for (; i + 16 <= n; i += 16) {
    const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m128i ov = _mm_loadu_si128(reinterpret_cast<const __m128i*>(other + i));
    const __m128i x_lo = _mm_unpacklo_epi8(xv, zero), x_hi = _mm_unpackhi_epi8(xv, zero);
    const __m128i o_lo = _mm_unpacklo_epi8(ov, zero), o_hi = _mm_unpackhi_epi8(ov, zero);
    const __m128i a = quarter(_mm_unpacklo_epi16(x_lo, zero), _mm_unpacklo_epi16(o_lo, zero));
    const __m128i b = quarter(_mm_unpackhi_epi16(x_lo, zero), _mm_unpackhi_epi16(o_lo, zero));
    const __m128i c = quarter(_mm_unpacklo_epi16(x_hi, zero), _mm_unpacklo_epi16(o_hi, zero));
    const __m128i d = quarter(_mm_unpackhi_epi16(x_hi, zero), _mm_unpackhi_epi16(o_hi, zero));
    const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), packed);
  }
#endif
  for (; i < n; ++i) {
    out[i] = clamp_trunc(r * static_cast<float>(x[i]) + q * static_cast<float>(other[i]));
  }
}

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

// Rounds half to even like nearbyint in the default rounding mode, without a library call so that
// loops over it vectorise: adding and subtracting 1.5 * 2^23 leaves the rounded integer for
// |v| < 2^22. Larger magnitudes (and NaN) are far outside any image and map to a large value.
inline int round_half_even(float v) {
  constexpr float kMagic = 12582912.0f;
  constexpr float kLimit = 4194304.0f;
  v = std::max(-kLimit, std::min(v, kLimit));  // NaN -> -kLimit
  return static_cast<int>((v + kMagic) - kMagic);
}

// Byte offset of source pixel (ix, iy), or -1 when it lies outside the image.
inline int source_offset(int ix, int iy, int w, int h, int step, int channels) {
  const bool inside = static_cast<unsigned>(ix) < static_cast<unsigned>(w) &&
                      static_cast<unsigned>(iy) < static_cast<unsigned>(h);
  return inside ? iy * step + ix * channels : -1;
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
  // Byte offsets of each output pixel's source in the row being built, -1 outside.
  std::vector<int> src(w);
  const uint8_t* base = in.ptr<uint8_t>(0);
  const int step = static_cast<int>(in.step[0]);
  for (int j = 0; j < h; ++j) {
    const float bx = ys[j] * r[1];
    const float by = ys[j] * r[4];
    uint8_t* dst = out.ptr<uint8_t>(j);
    int i = 0;
#if defined(__SSE2__)
    // cvtps2dq rounds half to even (the default MXCSR mode) and turns NaN and overflow into
    // INT_MIN, which the range check rejects.
    const __m128 vbx = _mm_set1_ps(bx), vby = _mm_set1_ps(by);
    const __m128 vr2 = _mm_set1_ps(r[2]), vr5 = _mm_set1_ps(r[5]);
    const __m128 one = _mm_set1_ps(1.0f), half = _mm_set1_ps(0.5f);
    const __m128 vsw = _mm_set1_ps(sw), vsh = _mm_set1_ps(sh);
    // Offsets iy * step + ix * C are computed in float, exact while below 2^24 bytes.
    const bool exact = static_cast<double>(in.rows) * step < 16777216.0;
    const __m128i minus_one = _mm_set1_epi32(-1);
    const __m128i vw = _mm_set1_epi32(w), vh = _mm_set1_epi32(h);
    const __m128 vstep = _mm_set1_ps(static_cast<float>(step));
    const __m128 vc = _mm_set1_ps(static_cast<float>(C));
    for (; exact && i + 4 <= w; i += 4) {
      const __m128 gx = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(&ax[i]), vbx), vr2);
      const __m128 gy = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(&ay[i]), vby), vr5);
      const __m128i ix = _mm_cvtps_epi32(_mm_sub_ps(_mm_mul_ps(_mm_add_ps(gx, one), vsw), half));
      const __m128i iy = _mm_cvtps_epi32(_mm_sub_ps(_mm_mul_ps(_mm_add_ps(gy, one), vsh), half));
      const __m128i inside =
          _mm_and_si128(_mm_and_si128(_mm_cmpgt_epi32(ix, minus_one), _mm_cmplt_epi32(ix, vw)),
                        _mm_and_si128(_mm_cmpgt_epi32(iy, minus_one), _mm_cmplt_epi32(iy, vh)));
      const __m128i offset = _mm_cvtps_epi32(
          _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(iy), vstep), _mm_mul_ps(_mm_cvtepi32_ps(ix), vc)));
      const __m128i result =
          _mm_or_si128(_mm_and_si128(inside, offset), _mm_andnot_si128(inside, minus_one));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(&src[i]), result);
    }
#endif
    for (; i < w; ++i) {
      const float gx = (ax[i] + bx) + r[2];
      const float gy = (ay[i] + by) + r[5];
      const int ix = round_half_even((gx + 1.0f) * sw - 0.5f);
      const int iy = round_half_even((gy + 1.0f) * sh - 0.5f);
      src[i] = source_offset(ix, iy, w, h, step, C);
    }
    for (int i = 0; i < w; ++i) {
      const int s = src[i];
      copy_pixel<C>(dst + i * C, s < 0 ? fv.data() : base + s);
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
  cv::Mat out(in.size(), in.type());
  std::vector<uint8_t> gray3(in.cols * 3);
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* g = gray.ptr<uint8_t>(j);
    for (int i = 0; i < in.cols; ++i) gray3[3 * i] = gray3[3 * i + 1] = gray3[3 * i + 2] = g[i];
    blend_row(in.ptr<uint8_t>(j), gray3.data(), in.cols * 3, factor, out.ptr<uint8_t>(j));
  }
  return out;
}

cv::Mat adjust_sharpness(const cv::Mat& in, double factor) {
  if (in.cols <= 2 || in.rows <= 2) return in.clone();
  const int c = in.channels();
  const int n = in.cols * c;
  cv::Mat out(in.size(), in.type());
  // The "degenerate" image is the 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 on the interior, rounded;
  // (s + 5 v) / 13 is never exactly halfway, so integer rounding equals torch's float rounding.
  // Border pixels are their own degenerate value, so blending leaves them unchanged.
  std::vector<uint8_t> degenerate(n);
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    if (j == 0 || j == in.rows - 1) {
      blend_row(s, s, n, factor, out.ptr<uint8_t>(j));
      continue;
    }
    const uint8_t* up = in.ptr<uint8_t>(j - 1);
    const uint8_t* down = in.ptr<uint8_t>(j + 1);
    uint8_t* d = degenerate.data();
    for (int k = 0; k < c; ++k) {
      d[k] = s[k];
      d[n - c + k] = s[n - c + k];
    }
    for (int i = c; i < n - c; ++i) {
      const uint16_t total =
          static_cast<uint16_t>(up[i - c] + up[i] + up[i + c] + s[i - c] + s[i + c] + down[i - c] +
                                down[i] + down[i + c] + 5 * s[i]);
      d[i] = static_cast<uint8_t>(static_cast<uint16_t>(2 * total + 13) / 26);
    }
    blend_row(s, d, n, factor, out.ptr<uint8_t>(j));
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
  std::array<uint8_t, 3> lo{255, 255, 255}, hi{0, 0, 0};
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* src = in.ptr<uint8_t>(j);
    const int n = in.cols * channels;
    int i = 0;
#if defined(__SSE2__)
    // 48 bytes at a time: byte k of accumulator a holds channel (16 a + k) % channels.
    if (n >= 48) {
      __m128i mn[3], mx[3];
      for (int a = 0; a < 3; ++a) {
        mn[a] = mx[a] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * a));
      }
      for (i = 48; i + 48 <= n; i += 48) {
        for (int a = 0; a < 3; ++a) {
          const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16 * a));
          mn[a] = _mm_min_epu8(mn[a], v);
          mx[a] = _mm_max_epu8(mx[a], v);
        }
      }
      alignas(16) uint8_t bytes_min[48], bytes_max[48];
      for (int a = 0; a < 3; ++a) {
        _mm_store_si128(reinterpret_cast<__m128i*>(bytes_min + 16 * a), mn[a]);
        _mm_store_si128(reinterpret_cast<__m128i*>(bytes_max + 16 * a), mx[a]);
      }
      for (int k = 0; k < 48; ++k) {
        lo[k % channels] = std::min(lo[k % channels], bytes_min[k]);
        hi[k % channels] = std::max(hi[k % channels], bytes_max[k]);
      }
    }
#endif
    for (; i < n; ++i) {
      lo[i % channels] = std::min(lo[i % channels], src[i]);
      hi[i % channels] = std::max(hi[i % channels], src[i]);
    }
  }
  std::vector<Lut> luts(channels);
  for (int c = 0; c < channels; ++c) {
    Lut& lut = luts[c];
    if (hi[c] == lo[c]) {
      for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v);
      continue;
    }
    const float minimum = static_cast<float>(lo[c]);
    // Python's `bound / t` is t.reciprocal() * bound.
    const float scale = (1.0f / (static_cast<float>(hi[c]) - minimum)) * 255.0f;
    for (int v = 0; v < 256; ++v) lut[v] = clamp_trunc((static_cast<float>(v) - minimum) * scale);
  }
  return apply_channel_luts(in, luts);
}

cv::Mat equalize(const cv::Mat& in) {
  const int channels = in.channels();
  // Two sets of counters for alternating pixels: runs of equal values (common in photos) would
  // otherwise serialise on one counter.
  std::vector<std::array<uint32_t, 512>> counts(channels);
  for (auto& h : counts) h.fill(0);
  for (int j = 0; j < in.rows; ++j) {
    const uint8_t* s = in.ptr<uint8_t>(j);
    int i = 0;
    const int n = in.cols * channels;
    for (; i + 2 * channels <= n; i += 2 * channels) {
      for (int c = 0; c < channels; ++c) {
        ++counts[c][s[i + c]];
        ++counts[c][256 + s[i + channels + c]];
      }
    }
    for (; i < n; i += channels) {
      for (int c = 0; c < channels; ++c) ++counts[c][s[i + c]];
    }
  }
  std::vector<std::array<int64_t, 256>> hist(channels);
  for (int c = 0; c < channels; ++c) {
    for (int v = 0; v < 256; ++v) hist[c][v] = int64_t{counts[c][v]} + counts[c][256 + v];
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
