#pragma once

// The policy file format, autoaug.policy/v1: self-describing JSON.
//
//   {"format": "autoaug.policy/v1",      required, exact
//    "semantics": "torchvision-0.14",    optional; when present, must be this
//    "magnitude_bins": 10,               optional, default 10, 2..1000
//    "magnitude_space": "standard",      optional, "standard" (AutoAugment) or "wide"
//                                        (TrivialAugmentWide)
//    "fill": [0],                        optional, default [0]: one value or one per channel,
//                                        each 0..255
//    "interpolation": "nearest",         optional; only "nearest"
//    "subpolicies": [[{"op": "Rotate", "prob": 0.7, "magnitude": 2},
//                     {"op": "Equalize", "prob": 0.4}]],
//                                        required, non-empty; each a non-empty list of steps;
//                                        "magnitude" is an integer bin, or "random" (a bin drawn
//                                        per application); omitted for ops without magnitude
//    "provenance": {"study": "...", "trial": 17, "score": 0.912, "created": "...",
//                   "source": "..."}}    optional
//
// Unknown top-level or step keys are rejected, so a typo never passes silently. Readers of later
// versions keep reading v1 unchanged.
//
// Also accepted on input: torchvision's own list notation (AutoAugment._get_policies), a JSON list
// of sub-policies of [op, prob, bin-or-null] steps, read with 10 bins of the standard space.

#include <string>
#include <string_view>

#include "augment/policy.h"

namespace autoaug::augment {

inline constexpr std::string_view kPolicyFormat = "autoaug.policy/v1";
inline constexpr std::string_view kPolicySemantics = "torchvision-0.14";

// Parses and validates a policy document. `origin` (a file name) prefixes every error message:
// "policy.json: subpolicies[2][0].prob: 1.5 is outside 0..1". Throws std::invalid_argument.
Policy parse_policy_json(std::string_view text, std::string_view origin = "policy");

// Reads a policy file; errors name the file (std::invalid_argument).
Policy read_policy_file(const std::string& path);

// Serialises a policy (2-space indented JSON, one step list per line is not guaranteed).
std::string policy_to_json(const Policy& policy);

// Writes a policy file; throws std::runtime_error naming the file on I/O failure.
void write_policy_file(const Policy& policy, const std::string& path);

}  // namespace autoaug::augment
