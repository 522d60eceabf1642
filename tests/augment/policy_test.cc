#include "augment/policy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>

#include "augment/policy_export.h"
#include "augment/policy_json.h"
#include "augment/presets.h"

namespace autoaug::augment {
namespace {

cv::Mat test_image() {
  cv::Mat img(32, 32, CV_8UC3);
  cv::RNG rng(3);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  return img;
}

std::string error_of(const std::string& json) {
  try {
    parse_policy_json(json, "p.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(PolicyJson, RoundTripsEveryPreset) {
  for (const PresetInfo& p : preset_names()) {
    const Policy policy = load_policy(p.name);
    EXPECT_EQ(parse_policy_json(policy_to_json(policy)), policy) << p.name;
  }
}

TEST(PolicyJson, ReadsTheDesignExample) {
  const Policy p = parse_policy_json(R"({"format": "autoaug.policy/v1",
    "semantics": "torchvision-0.14", "magnitude_bins": 10, "fill": [0], "interpolation": "nearest",
    "subpolicies": [[{"op": "Rotate", "prob": 0.7, "magnitude": 2}, {"op": "Equalize", "prob": 0.4}]],
    "provenance": {"study": "s", "trial": 17, "score": 0.912, "created": "2026-11-28T12:00:00Z"}})");
  ASSERT_EQ(p.subpolicies.size(), 1u);
  EXPECT_EQ(p.subpolicies[0][0], (Step{"Rotate", 0.7, 2}));
  EXPECT_EQ(p.subpolicies[0][1].op, "Equalize");
  EXPECT_EQ(p.provenance.trial, 17);
  EXPECT_DOUBLE_EQ(*p.provenance.score, 0.912);
}

TEST(PolicyJson, ImportsTorchvisionListNotation) {
  const Policy p = parse_policy_json(
      R"([[["Invert", 0.1, null], ["Contrast", 0.2, 6]], [["Rotate", 0.7, 2], ["TranslateX", 0.3, 9]]])");
  Policy expected = autoaugment_cifar10();
  expected.subpolicies.resize(2);
  expected.provenance = p.provenance;
  EXPECT_EQ(p, expected);
  EXPECT_NE(error_of(R"([[["Rotate", 0.7, 10]]])").find("[0][0].magnitude: 10 is outside"),
            std::string::npos);
}

struct BadPolicy {
  const char* name;
  const char* json;
  const char* message;  // must appear in the error
};

class BadPolicies : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(BadPolicies, AreRejectedWithTheFieldNamed) {
  const std::string error = error_of(GetParam().json);
  EXPECT_NE(error.find(GetParam().message), std::string::npos) << "error: " << error;
  EXPECT_EQ(error.rfind("p.json: ", 0), 0u) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Policies, BadPolicies,
    ::testing::Values(
        BadPolicy{"NotJson", "{\"format\": ", "not valid JSON"},
        // Found by the policy fuzz target: a number that overflows a double escaped as
        // nlohmann's out_of_range.
        BadPolicy{"NumberOverflow", R"({"format": "autoaug.policy/v1", "magnitude_bins": 1e400})",
                  "not valid JSON ([json.exception.out_of_range.406] number overflow"},
        BadPolicy{"WrongVersion", R"({"format": "autoaug.policy/v2", "subpolicies": []})",
                  "format: \"autoaug.policy/v2\" is not supported"},
        BadPolicy{"MissingFormat", R"({"subpolicies": []})", "format: missing"},
        BadPolicy{"WrongSemantics",
                  R"({"format": "autoaug.policy/v1", "semantics": "pil", "subpolicies": []})",
                  "semantics:"},
        BadPolicy{
            "UnknownOp",
            R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Blur", "prob": 1}]]})",
            "subpolicies[0][0].op: unknown op \"Blur\""},
        BadPolicy{"BinOutOfRange",
                  R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Equalize"}],
                      [{"op": "Rotate", "prob": 0.5, "magnitude": 3},
                       {"op": "Rotate", "prob": 0.5, "magnitude": 12}]]})",
                  "subpolicies[1][1].magnitude: 12 is outside 0..9"},
        BadPolicy{
            "ProbOutOfRange",
            R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Invert", "prob": 1.5}]]})",
            "subpolicies[0][0].prob: 1.5 is outside 0..1"},
        BadPolicy{
            "MissingBin",
            R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Rotate", "prob": 1}]]})",
            "subpolicies[0][0].magnitude: missing"},
        BadPolicy{
            "UnknownKey",
            R"({"format": "autoaug.policy/v1", "subpolicy": [], "subpolicies": [[{"op": "Invert"}]]})",
            "subpolicy: unknown key"},
        BadPolicy{"EmptyPolicy", R"({"format": "autoaug.policy/v1", "subpolicies": []})",
                  "subpolicies: must not be empty"},
        BadPolicy{
            "BadFill",
            R"({"format": "autoaug.policy/v1", "fill": [300], "subpolicies": [[{"op": "Invert"}]]})",
            "fill[0]: must be within 0..255"},
        BadPolicy{
            "BadBins",
            R"({"format": "autoaug.policy/v1", "magnitude_bins": 1, "subpolicies": [[{"op": "Invert"}]]})",
            "magnitude_bins: 1 is outside 2..1000"},
        BadPolicy{
            "ProbNotNumber",
            R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Invert", "prob": "x"}]]})",
            "subpolicies[0][0].prob: expected a number"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PolicyFile, ErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "/bad_policy.json";
  std::ofstream(path) << R"({"format": "autoaug.policy/v1", "subpolicies": [[{"op": "Nope"}]]})";
  try {
    read_policy_file(path);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": subpolicies[0][0].op", 0), 0u) << e.what();
  }
  EXPECT_THROW(load_policy(::testing::TempDir() + "/does_not_exist.json"), std::invalid_argument);
}

TEST(PolicyFile, WritesWhatItReads) {
  const std::string path = ::testing::TempDir() + "/policy_roundtrip.json";
  Policy p = autoaugment_svhn();
  p.fill = {10, 20, 30};
  p.provenance.trial = 4;
  write_policy_file(p, path);
  EXPECT_EQ(load_policy(path), p);
}

// Each format carries the policy whole: the C++ header's and the Python module's embedded
// JSON parse back to the same policy.
TEST(PolicyExport, EveryFormatCarriesThePolicy) {
  Policy p = autoaugment_cifar10();
  p.fill = {1, 2, 3};
  EXPECT_EQ(export_policy(p, "json"), policy_to_json(p));
  auto embedded = [](const std::string& text, const std::string& open, const std::string& close) {
    const size_t begin = text.find(open);
    const size_t end = text.find(close, begin + open.size());
    EXPECT_NE(begin, std::string::npos) << text;
    EXPECT_NE(end, std::string::npos) << text;
    return text.substr(begin + open.size(), end - begin - open.size());
  };
  const std::string header = export_policy(p, "cpp");
  EXPECT_EQ(parse_policy_json(embedded(header, "R\"autoaug(", ")autoaug\""), "header"), p);
  EXPECT_NE(header.find("inline autoaug::augment::Augmenter exported_policy()"), std::string::npos);
  const std::string module = export_policy(p, "torchvision");
  EXPECT_EQ(parse_policy_json(embedded(module, "POLICY = json.loads(r\"\"\"", "\"\"\")"), "module"),
            p);
  try {
    export_policy(p, "onnx");
    ADD_FAILURE() << "an unknown format was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"onnx\" is not json, torchvision or cpp"),
              std::string::npos)
        << e.what();
  }
}

TEST(Presets, MatchTorchvisionShapes) {
  EXPECT_EQ(autoaugment_imagenet().subpolicies.size(), 25u);
  EXPECT_EQ(autoaugment_cifar10().subpolicies.size(), 25u);
  EXPECT_EQ(autoaugment_svhn().subpolicies.size(), 25u);
  EXPECT_EQ(autoaugment_cifar10().subpolicies[1][1], (Step{"TranslateX", 0.3, 9}));
  const Policy ra = randaugment(2, 9, 31);
  EXPECT_EQ(ra.subpolicies.size(), 14u * 14u);
  EXPECT_EQ(ra.magnitude_bins, 31);
  const Policy ta = trivialaugment_wide();
  EXPECT_EQ(ta.space, MagnitudeSpace::kWide);
  EXPECT_EQ(ta.subpolicies.size(), 14u);
  EXPECT_EQ(load_policy("randaugment:3:5:11").subpolicies.size(), 14u * 14u * 14u);
  EXPECT_THROW(load_policy("randaugment:2:31"), std::invalid_argument);
  EXPECT_THROW(load_policy("randaugment:x:1"), std::invalid_argument);
}

TEST(Augmenter, SameSeedSameImage) {
  const Augmenter a(autoaugment_cifar10());
  const cv::Mat img = test_image();
  int differing = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 r1(seed), r2(seed);
    const cv::Mat x = a.apply(img, r1);
    const cv::Mat y = a.apply(img, r2);
    ASSERT_EQ(cv::norm(x, y, cv::NORM_INF), 0) << seed;
    differing += cv::norm(x, img, cv::NORM_INF) > 0;
  }
  // Most draws change the image (some sub-policies are no-ops with their probabilities).
  EXPECT_GT(differing, 25);
}

TEST(Augmenter, AppliesStepsWithTheirProbability) {
  Policy p;
  p.subpolicies = {{Step{"Invert", 0.3, 0}}};
  const Augmenter a(p);
  const cv::Mat img = test_image();
  std::mt19937_64 rng(42);
  int inverted = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) inverted += cv::norm(a.apply(img, rng), img, cv::NORM_INF) > 0;
  // Binomial(4000, 0.3): sd 29; 5 sd either side.
  EXPECT_NEAR(inverted, 0.3 * n, 145);
}

TEST(Augmenter, DrawsSubPoliciesUniformlyAndSignsBothWays) {
  Policy p;
  p.subpolicies = {{Step{"TranslateX", 1.0, 9}}, {Step{"Invert", 1.0, 0}}};
  const Augmenter a(p);
  cv::Mat img(4, 32, CV_8UC1);
  for (int x = 0; x < 32; ++x) img.col(x).setTo(x + 1);
  std::mt19937_64 rng(7);
  std::map<int, int> outcome;  // 0 left shift, 1 right shift, 2 invert
  for (int i = 0; i < 3000; ++i) {
    const cv::Mat out = a.apply(img, rng);
    if (out.at<uint8_t>(0, 0) == 255 - 1) {
      ++outcome[2];
    } else {
      ++outcome[out.at<uint8_t>(0, 0) == 0 ? 1 : 0];
    }
  }
  EXPECT_NEAR(outcome[2], 1500, 150);
  EXPECT_NEAR(outcome[0], 750, 120);
  EXPECT_NEAR(outcome[1], 750, 120);
}

TEST(Augmenter, RejectsAnInvalidPolicyAtConstruction) {
  Policy p;
  p.subpolicies = {{Step{"Rotate", 1.0, 10}}};
  EXPECT_THROW(Augmenter{p}, std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::augment
