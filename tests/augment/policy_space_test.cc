#include "augment/policy_space.h"

#include <gtest/gtest.h>

#include <random>

#include "augment/presets.h"

namespace autoaug::augment {
namespace {

TEST(PolicySpace, LaysOutOpProbMagnitudePerStep) {
  const PolicySpace space(PolicySpaceOptions{});
  ASSERT_EQ(space.dimensions().size(), 5u * 2u * 3u);
  EXPECT_EQ(space.dimensions()[0].name, "s0.0.op");
  EXPECT_EQ(space.dimensions()[4].name, "s0.1.prob");
  EXPECT_EQ(space.dimensions()[29].name, "s4.1.magnitude");
  EXPECT_EQ(space.ops().size(), 15u);  // every built-in op but Identity
}

TEST(PolicySpace, DecodesAndEncodesRandomVectors) {
  PolicySpaceOptions options;
  options.subpolicies = 3;
  options.ops = {"Rotate", "Equalize", "Cutout"};
  const PolicySpace space(options);
  std::mt19937_64 rng(3);
  for (int t = 0; t < 100; ++t) {
    std::vector<double> v;
    for (const PolicyDimension& d : space.dimensions()) {
      switch (d.kind) {
        case PolicyDimension::Kind::kOp:
          v.push_back(std::uniform_int_distribution<int>(0, 2)(rng));
          break;
        case PolicyDimension::Kind::kProb:
          v.push_back(std::uniform_real_distribution<double>(0, 1)(rng));
          break;
        case PolicyDimension::Kind::kMagnitude:
          v.push_back(std::uniform_int_distribution<int>(0, 9)(rng));
          break;
        case PolicyDimension::Kind::kNumOps:
          FAIL() << "a sub-policy space has no number-of-ops dimension";
      }
    }
    const Policy p = space.decode(v);
    p.validate();
    const std::vector<double> back = space.encode(p);
    for (size_t i = 0; i < v.size(); ++i) {
      // Equalize takes no parameter: its bin is normalised to 0.
      const bool equalize_bin =
          space.dimensions()[i].kind == PolicyDimension::Kind::kMagnitude && v[i - 2] == 1.0;
      EXPECT_EQ(back[i], equalize_bin ? 0.0 : v[i]) << space.dimensions()[i].name;
    }
  }
}

TEST(PolicySpace, RejectsBadShapesAndValues) {
  PolicySpaceOptions bad;
  bad.ops = {"Rotate", "Blur"};
  EXPECT_THROW(PolicySpace{bad}, std::invalid_argument);
  bad.ops = {"Rotate", "Rotate"};
  EXPECT_THROW(PolicySpace{bad}, std::invalid_argument);
  bad.ops = {};
  bad.subpolicies = 0;
  EXPECT_THROW(PolicySpace{bad}, std::invalid_argument);
  const PolicySpace space(PolicySpaceOptions{});
  EXPECT_THROW(space.decode({1.0, 0.5}), std::invalid_argument);
  std::vector<double> v(space.dimensions().size(), 0.0);
  v[1] = 1.5;
  EXPECT_THROW(space.decode(v), std::invalid_argument);
  Policy wrong_shape;
  wrong_shape.subpolicies = {{Step{"Rotate", 1.0, 2}}};
  EXPECT_THROW(space.encode(wrong_shape), std::invalid_argument);
}

TEST(PolicySpace, RandAugmentKindIsTheNumberOfOpsAndOneBin) {
  PolicySpaceOptions options;
  options.kind = PolicySpaceKind::kRandAugment;
  const PolicySpace space(options);
  ASSERT_EQ(space.dimensions().size(), 2u);
  EXPECT_EQ(space.dimensions()[0].name, "num_ops");
  EXPECT_EQ(space.dimensions()[1].name, "magnitude");
  EXPECT_EQ(space.ops(), randaugment_ops());
  const Policy p = space.decode({2.0, 3.0});
  EXPECT_EQ(p.subpolicies, randaugment(2, 3, 10).subpolicies);  // 14^2 ordered pairs at bin 3
  EXPECT_EQ(space.encode(p), (std::vector<double>{2.0, 3.0}));
  EXPECT_EQ(space.summary({2.0, 3.0}), "RandAugment: 2 ops of 14 at bin 3 of 10");
  EXPECT_EQ(PolicySpace(PolicySpaceOptions{}).summary(std::vector<double>(30, 0.0)), "");
}

TEST(PolicySpace, RandAugmentKindTakesItsOwnOpsAndRejectsOtherPolicies) {
  PolicySpaceOptions options;
  options.kind = PolicySpaceKind::kRandAugment;
  options.ops = {"Rotate", "Cutout", "Equalize"};
  const PolicySpace space(options);
  const Policy p = space.decode({1.0, 7.0});
  ASSERT_EQ(p.subpolicies.size(), 3u);
  EXPECT_EQ(p.subpolicies[1], (SubPolicy{Step{"Cutout", 1.0, 7}}));
  EXPECT_EQ(p.subpolicies[2], (SubPolicy{Step{"Equalize", 1.0, 0}}));  // takes no bin
  EXPECT_EQ(space.decode({3.0, 0.0}).subpolicies.size(), 27u);
  EXPECT_THROW(space.decode({0.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(space.decode({4.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(space.decode({2.0, 10.0}), std::invalid_argument);
  EXPECT_THROW(space.encode(randaugment(2, 3, 10)), std::invalid_argument);  // other ops
  Policy edited = p;
  edited.subpolicies[0][0].prob = 0.5;
  EXPECT_THROW(space.encode(edited), std::invalid_argument);
  EXPECT_THROW(policy_space_kind("rand", "space.kind"), std::invalid_argument);
  EXPECT_EQ(policy_space_kind(policy_space_kind_name(PolicySpaceKind::kRandAugment), "k"),
            PolicySpaceKind::kRandAugment);
}

}  // namespace
}  // namespace autoaug::augment
