#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "augment/policy.h"

namespace autoaug::augment {

// torchvision 0.14's AutoAugment policies (AutoAugmentPolicy.IMAGENET / CIFAR10 / SVHN), 10 bins.
Policy autoaugment_imagenet();
Policy autoaugment_cifar10();
Policy autoaugment_svhn();

// RandAugment(num_ops, magnitude, num_magnitude_bins) as torchvision 0.14 defines it: every
// ordered choice of `num_ops` of its 14 ops, each with probability 1 at bin `magnitude`, as one
// sub-policy (14^num_ops of them, drawn uniformly: the same distribution). Throws
// std::invalid_argument for num_ops outside 1..3 or magnitude outside 0..bins-1.
Policy randaugment(int num_ops = 2, int magnitude = 9, int bins = 31);
// The most ops a RandAugment policy applies (14^3 sub-policies).
inline constexpr int kMaxRandAugmentOps = 3;
// The same over other ops (each listed once; validated by the policy's users): every ordered
// choice of `num_ops` of `ops`. Throws std::invalid_argument as above, or for no ops.
Policy randaugment(const std::vector<std::string>& ops, int num_ops, int magnitude, int bins);
// RandAugment's 14 ops in torchvision's order (Identity first).
const std::vector<std::string>& randaugment_ops();

// TrivialAugmentWide(num_magnitude_bins): one op of 14 drawn uniformly, a bin drawn uniformly,
// in the wide magnitude space.
Policy trivialaugment_wide(int bins = 31);

// The policy that never changes an image.
Policy no_augmentation();

// Names accepted by load_policy, with a one-line description each.
struct PresetInfo {
  std::string name;
  std::string doc;
};
std::vector<PresetInfo> preset_names();

// A preset by name ("autoaugment-cifar10", "randaugment", "randaugment:N:M[:BINS]",
// "trivialaugment", "none", ...) or else a policy file path (autoaug.policy/v1). Throws
// std::invalid_argument naming the file and field on a bad file, or the unknown name.
Policy load_policy(std::string_view name_or_path);

}  // namespace autoaug::augment
