#include "search/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>

namespace autoaug::search {
namespace {

Space mixed_space() {
  return Space::from_json(nlohmann::json::parse(R"({"dimensions": [
      {"name": "x", "type": "real", "low": -5, "high": 10, "log": false},
      {"name": "lr", "type": "real", "low": 1e-4, "high": 1, "log": true},
      {"name": "k", "type": "integer", "low": 0, "high": 9},
      {"name": "op", "type": "categorical", "choices": ["a", "b", "c"]}]})"));
}

std::string error_of(const std::string& text) {
  try {
    Space::from_json(nlohmann::json::parse(text));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(SpaceTest, ParsesTheDocumentedFormatAndRoundTrips) {
  const Space s = mixed_space();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.dimension(1).log, true);
  EXPECT_EQ(s.dimension(3).choices.size(), 3u);
  EXPECT_EQ(Space::from_json(s.to_json()).to_json(), s.to_json());
  EXPECT_EQ(s.categories(), (std::vector<int>{0, 0, 0, 3}));
  EXPECT_EQ(s.cardinality(), 0u);
}

TEST(SpaceTest, MalformedFilesNameTheField) {
  EXPECT_NE(error_of(R"({"dims": []})").find("dims: unknown key"), std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "x", "type": "real", "low": 3, "high": 1}]})")
                .find("dimensions[0].high"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "x", "type": "real", "low": 1, "high": 3},
                                        {"name": "x", "type": "integer", "low": 0, "high": 2}]})")
                .find("dimensions[1].name: duplicate"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "x", "type": "float", "low": 0, "high": 1}]})")
                .find("dimensions[0].type"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "c", "type": "categorical", "choices": []}]})")
                .find("dimensions[0].choices"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "x", "type": "real", "low": 0, "high": 1,
                                         "log": true}]})")
                .find("dimensions[0].low"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "k", "type": "integer", "low": 0.5, "high": 3}]})")
                .find("dimensions[0].low"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dimensions": [{"name": "x", "type": "real", "high": 1}]})")
                .find("dimensions[0].low: missing"),
            std::string::npos);
}

TEST(SpaceTest, SamplesInsideTheSpaceAndCoversIt) {
  const Space s = mixed_space();
  std::mt19937_64 rng(7);
  std::set<double> ks, ops;
  int small_lr = 0;
  for (int i = 0; i < 2000; ++i) {
    const Point p = s.sample(rng);
    ASSERT_TRUE(s.contains(p));
    ks.insert(p[2]);
    ops.insert(p[3]);
    small_lr += p[1] < 1e-2;  // log-uniform: half the draws are below 1e-2
  }
  EXPECT_EQ(ks.size(), 10u);
  EXPECT_EQ(ops.size(), 3u);
  EXPECT_NEAR(small_lr / 2000.0, 0.5, 0.05);
}

TEST(SpaceTest, UnitCoordinatesRoundTripAndClip) {
  const Space s = mixed_space();
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) {
    const Point p = s.sample(rng);
    const Point q = s.from_unit(s.to_unit(p));
    for (size_t d = 0; d < p.size(); ++d) EXPECT_NEAR(p[d], q[d], 1e-9 * (1 + std::fabs(p[d])));
  }
  const Point clipped = s.from_unit(std::vector<double>{-1.0, 2.0, 1.0, 7.0});
  EXPECT_TRUE(s.contains(clipped));
  EXPECT_EQ(clipped[2], 9);
  EXPECT_EQ(clipped[3], 2);
}

TEST(SpaceTest, KeysIdentifyConfigurations) {
  const Space s = mixed_space();
  EXPECT_EQ(s.key({1.0, 0.1, 3, 2}), s.key({1.0 + 1e-15, 0.1, 3, 2}));
  EXPECT_NE(s.key({1.0, 0.1, 3, 2}), s.key({1.0, 0.1, 3, 1}));
  EXPECT_NE(s.key({1.0, 0.1, 3, 2}), s.key({1.001, 0.1, 3, 2}));
}

TEST(SpaceTest, ParamsByNameRoundTrip) {
  const Space s = mixed_space();
  const Point p{2.5, 0.01, 4, 1};
  const auto j = s.to_params(p);
  EXPECT_EQ(j.at("op"), "b");
  EXPECT_EQ(j.at("k"), 4);
  EXPECT_EQ(s.from_params(j), p);
  EXPECT_THROW(s.from_params(nlohmann::json{{"x", 1}}), std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::search
