#pragma once

// A policy as the code a training pipeline loads: autoaug.policy/v1 JSON, a torchvision 0.14
// Python module (torchvision's own ops and magnitude tables, Cutout added), or a C++ header that
// builds an Augmenter. `autoaug export` writes these.

#include <string>
#include <string_view>

#include "augment/policy.h"

namespace autoaug::augment {

// `policy` in `format`: "json", "torchvision" or "cpp". Throws std::invalid_argument naming an
// unknown format and the known ones.
std::string export_policy(const Policy& policy, std::string_view format);

}  // namespace autoaug::augment
