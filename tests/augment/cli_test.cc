// The augment commands through the real `autoaug` binary (path in AUTOAUG_BIN).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <string>

#include "augment/image_io.h"
#include "augment/op.h"
#include "tests/run_autoaug.h"

namespace autoaug::augment {
namespace {

namespace fs = std::filesystem;

using autoaug::testing::run_autoaug;
using Result = autoaug::testing::RunResult;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cv::Mat img(20, 30, CV_8UC3);
    cv::RNG(1).fill(img, cv::RNG::UNIFORM, 0, 256);
    image_ = path("in.png");
    write_image(image_, img);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  // Bad input: exit code 2 and exactly one line that names `what`.
  void expect_input_error(const std::string& args, const std::string& what) {
    const Result r = run_autoaug(args);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(what), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  fs::path dir_;
  std::string image_;
};

TEST_F(Cli, AugmentByBinMatchesTheLibrary) {
  const std::string out = path("out.png");
  ASSERT_EQ(run_autoaug("augment --op Rotate --bin 9 --negative " + image_ + " " + out).code, 0);
  const cv::Mat in = read_image(image_);
  const cv::Mat expected = builtin_ops().at("Rotate").apply(in, -30.0, OpContext{});
  EXPECT_EQ(cv::norm(read_image(out), expected, cv::NORM_INF), 0);
}

TEST_F(Cli, ApplyIsReproducibleUnderASeed) {
  ASSERT_EQ(run_autoaug("apply --policy autoaugment-cifar10 --seed 3 --repeat 4 " + image_ +
                        " -o " + path("a"))
                .code,
            0);
  ASSERT_EQ(run_autoaug("apply --policy autoaugment-cifar10 --seed 3 --repeat 4 " + image_ +
                        " -o " + path("b"))
                .code,
            0);
  for (int k = 0; k < 4; ++k) {
    const std::string name = "in_" + std::to_string(k) + ".png";
    EXPECT_EQ(cv::norm(read_image(path("a/" + name)), read_image(path("b/" + name)), cv::NORM_INF),
              0);
  }
}

TEST_F(Cli, PreviewDrawsTheGrid) {
  const std::string out = path("grid.png");
  ASSERT_EQ(
      run_autoaug("preview --policy trivialaugment --seed 1 --grid 2x3 " + image_ + " -o " + out)
          .code,
      0);
  const cv::Mat grid = read_image(out);
  // Tiles are 20x30 enlarged 5x (shorter side >= 96) with 2-pixel gaps.
  EXPECT_EQ(grid.rows, 2 * 100 + 3 * 2);
  EXPECT_EQ(grid.cols, 3 * 150 + 4 * 2);
}

TEST_F(Cli, OpsListsEveryOpAsJson) {
  const Result r = run_autoaug("ops --json");
  ASSERT_EQ(r.code, 0);
  for (const Op& op : builtin_ops().ops()) {
    EXPECT_NE(r.output.find("\"" + op.name() + "\""), std::string::npos) << op.name();
  }
}

TEST_F(Cli, CorruptImageIsAnInputError) {
  const std::string bad = write("corrupt.png", "\x89PNG\r\n\x1a\nthis is not a png");
  expect_input_error("augment --op Invert --value 0 " + bad + " " + path("o.png"), bad);
}

TEST_F(Cli, MissingImageIsAnInputError) {
  expect_input_error("apply --policy none --seed 1 " + path("nope.png") + " -o " + path("o"),
                     path("nope.png"));
}

TEST_F(Cli, UnknownOpIsAnInputError) {
  expect_input_error("augment --op Blur --value 1 " + image_ + " " + path("o.png"),
                     "unknown op \"Blur\"");
}

TEST_F(Cli, BinOutOfRangeIsAnInputError) {
  expect_input_error("augment --op Rotate --bin 10 " + image_ + " " + path("o.png"),
                     "bin 10 is outside 0..9");
}

TEST_F(Cli, MalformedPolicyIsAnInputError) {
  const std::string p = write("p.json", R"({"format": "autoaug.policy/v1", "subpolicies": [[)");
  expect_input_error("apply --policy " + p + " --seed 1 " + image_ + " -o " + path("o"), p);
}

TEST_F(Cli, WrongVersionPolicyIsAnInputError) {
  const std::string p =
      write("p.json", R"({"format": "autoaug.policy/v9", "subpolicies": [[{"op": "Invert"}]]})");
  expect_input_error("preview --policy " + p + " --seed 1 " + image_ + " -o " + path("g.png"),
                     p + ": format:");
}

TEST_F(Cli, BadFieldInPolicyIsNamed) {
  const std::string p = write("p.json", R"({"format": "autoaug.policy/v1",
      "subpolicies": [[{"op": "Rotate", "prob": 0.5, "magnitude": 14}]]})");
  expect_input_error("apply --policy " + p + " --seed 1 " + image_ + " -o " + path("o"),
                     "subpolicies[0][0].magnitude: 14 is outside 0..9");
}

TEST_F(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(run_autoaug("augment --op Rotate " + image_ + " " + path("o.png")).code, 2);
  EXPECT_EQ(run_autoaug("frobnicate").code, 2);
}

}  // namespace
}  // namespace autoaug::augment
