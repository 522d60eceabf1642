#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <random>

#include "augment/kernels.h"
#include "augment/op.h"

namespace autoaug::augment {
namespace {

cv::Mat random_image(int rows, int cols, int channels, uint64_t seed) {
  cv::Mat img(rows, cols, CV_8UC(channels));
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  return img;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

// A value in the op's standard space at bin 7 of 10: inside the range and not a no-op.
double typical_value(const Op& op, const cv::Mat& img) {
  return op.bin_value(7, 10, MagnitudeSpace::kStandard, img.rows, img.cols);
}

class EveryOp : public ::testing::TestWithParam<std::string> {
 protected:
  const Op& op() const { return builtin_ops().at(GetParam()); }
};

TEST_P(EveryOp, KeepsSizeAndTypeForGreyAndColour) {
  for (int channels : {1, 3}) {
    const cv::Mat in = random_image(19, 27, channels, 1);
    std::mt19937_64 rng(5);
    OpContext ctx;
    ctx.rng = &rng;
    const cv::Mat out = op().apply(in, typical_value(op(), in), ctx);
    EXPECT_EQ(out.size(), in.size());
    EXPECT_EQ(out.type(), in.type());
  }
}

TEST_P(EveryOp, LeavesItsInputAloneAndIsDeterministic) {
  const cv::Mat in = random_image(24, 24, 3, 2);
  const cv::Mat copy = in.clone();
  std::mt19937_64 rng_a(9), rng_b(9);
  OpContext a, b;
  a.rng = &rng_a;
  b.rng = &rng_b;
  const cv::Mat out_a = op().apply(in, typical_value(op(), in), a);
  const cv::Mat out_b = op().apply(in, typical_value(op(), in), b);
  EXPECT_TRUE(same(in, copy));
  EXPECT_TRUE(same(out_a, out_b));
}

TEST_P(EveryOp, ReadsRegionsOfInterestLikeContiguousImages) {
  const cv::Mat big = random_image(40, 50, 3, 3);
  const cv::Mat roi = big(cv::Rect(5, 7, 30, 21));
  ASSERT_FALSE(roi.isContinuous());
  std::mt19937_64 rng_a(4), rng_b(4);
  OpContext a, b;
  a.rng = &rng_a;
  b.rng = &rng_b;
  const double v = typical_value(op(), roi);
  EXPECT_TRUE(same(op().apply(roi, v, a), op().apply(roi.clone(), v, b)));
}

TEST_P(EveryOp, RejectsUnsupportedImagesAndValues) {
  OpContext ctx;
  std::mt19937_64 rng(1);
  ctx.rng = &rng;
  EXPECT_THROW(op().apply(random_image(8, 8, 4, 1), 0.0, ctx), std::invalid_argument);
  EXPECT_THROW(op().apply(cv::Mat(8, 8, CV_16UC3, cv::Scalar(1)), 0.0, ctx), std::invalid_argument);
  EXPECT_THROW(op().apply(cv::Mat(), 0.0, ctx), std::invalid_argument);
  if (op().schema().uses_magnitude) {
    EXPECT_THROW(op().apply(random_image(8, 8, 3, 1), op().schema().max_value + 1, ctx),
                 std::invalid_argument);
  }
  EXPECT_THROW(op().bin_value(10, 10, MagnitudeSpace::kStandard, 8, 8), std::invalid_argument);
  EXPECT_THROW(op().bin_value(-1, 10, MagnitudeSpace::kStandard, 8, 8), std::invalid_argument);
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const Op& op : builtin_ops().ops()) names.push_back(op.name());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Builtin, EveryOp, ::testing::ValuesIn(op_names()),
                         [](const auto& info) { return info.param; });

TEST(Registry, HasTheDocumentedOpsInOrder) {
  EXPECT_EQ(op_names(), (std::vector<std::string>{"Identity", "ShearX", "ShearY", "TranslateX",
                                                  "TranslateY", "Rotate", "Brightness", "Color",
                                                  "Contrast", "Sharpness", "Posterize", "Solarize",
                                                  "AutoContrast", "Equalize", "Invert", "Cutout"}));
}

TEST(Registry, UnknownOpErrorListsTheKnownOnes) {
  try {
    builtin_ops().at("Rotat");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"Rotat\""), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Rotate"), std::string::npos);
  }
}

TEST(Registry, RefusesADuplicateName) {
  OpRegistry r;
  register_builtin_ops(r);
  EXPECT_THROW(register_builtin_ops(r), std::invalid_argument);
}

TEST(Kernels, TranslateShiftsContentAndFillsTheRest) {
  const cv::Mat in = random_image(6, 9, 1, 4);
  const cv::Mat out = kernels::translate(in, 2, -1, {7});
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 9; ++x) {
      const int sx = x - 2, sy = y + 1;
      const bool inside = sx >= 0 && sx < 9 && sy >= 0 && sy < 6;
      ASSERT_EQ(out.at<uint8_t>(y, x), inside ? in.at<uint8_t>(sy, sx) : 7) << x << "," << y;
    }
  }
}

TEST(Kernels, RotationByAQuarterTurnIsExact) {
  const cv::Mat in = random_image(16, 16, 3, 5);
  const auto m = kernels::inverse_affine_matrix(0, 0, -90.0, 0, 0, 1, 0, 0);
  cv::Mat expected;
  cv::rotate(in, expected, cv::ROTATE_90_COUNTERCLOCKWISE);
  EXPECT_TRUE(same(kernels::warp_affine_nearest(in, m, {0}), expected));
}

TEST(Kernels, CutoutFillsAClippedSquare) {
  const cv::Mat in(10, 10, CV_8UC3, cv::Scalar(1, 2, 3));
  const cv::Mat out = kernels::cutout(in, 4, 0, 9, {9, 8, 7});
  // Square [-2, 2) x [7, 11) clipped to [0, 2) x [7, 10): 6 pixels.
  cv::Mat mask;
  cv::inRange(out, cv::Scalar(9, 8, 7), cv::Scalar(9, 8, 7), mask);
  EXPECT_EQ(cv::countNonZero(mask), 6);
  EXPECT_EQ(out.at<cv::Vec3b>(8, 1), cv::Vec3b(9, 8, 7));
}

TEST(Kernels, EqualizeAndAutoContrastLeaveAConstantImage) {
  const cv::Mat in(8, 8, CV_8UC1, cv::Scalar(77));
  EXPECT_TRUE(same(kernels::equalize(in), in));
  EXPECT_TRUE(same(kernels::autocontrast(in), in));
}

TEST(Kernels, AutoContrastStretchesEachChannel) {
  cv::Mat in(1, 2, CV_8UC3);
  in.at<cv::Vec3b>(0, 0) = {10, 0, 50};
  in.at<cv::Vec3b>(0, 1) = {20, 255, 60};
  const cv::Mat out = kernels::autocontrast(in);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 255, 255));
}

TEST(Kernels, ColorIsANoOpOnGreyImages) {
  const cv::Mat in = random_image(5, 5, 1, 6);
  EXPECT_TRUE(same(kernels::adjust_saturation(in, 0.1), in));
}

}  // namespace
}  // namespace autoaug::augment
