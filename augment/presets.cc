#include "augment/presets.h"

#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "augment/policy_json.h"

namespace autoaug::augment {
namespace {

// (op, prob, bin) pairs as torchvision writes them; bin -1 where torchvision has None.
struct Entry {
  const char* op;
  double prob;
  int bin;
};

Policy from_pairs(std::initializer_list<std::pair<Entry, Entry>> pairs, const char* source) {
  Policy p;
  p.magnitude_bins = 10;
  p.space = MagnitudeSpace::kStandard;
  for (const auto& [a, b] : pairs) {
    p.subpolicies.push_back(
        {Step{a.op, a.prob, a.bin < 0 ? 0 : a.bin}, Step{b.op, b.prob, b.bin < 0 ? 0 : b.bin}});
  }
  p.provenance.source = source;
  return p;
}

// torchvision 0.14 transforms/autoaugment.py, RandAugment and TrivialAugmentWide op order.
constexpr const char* kRandAugmentOps[] = {
    "Identity", "ShearX",   "ShearY",    "TranslateX", "TranslateY", "Rotate",       "Brightness",
    "Color",    "Contrast", "Sharpness", "Posterize",  "Solarize",   "AutoContrast", "Equalize"};

// Steps of ops without a parameter carry bin 0, as policy files write them.
bool uses_magnitude(const std::string& op) { return builtin_ops().at(op).schema().uses_magnitude; }

int parse_int(std::string_view text, std::string_view what, std::string_view spec) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("policy \"" + std::string(spec) + "\": " + std::string(what) +
                                " \"" + std::string(text) + "\" is not an integer");
  }
  return v;
}

}  // namespace

Policy autoaugment_imagenet() {
  return from_pairs({{{"Posterize", 0.4, 8}, {"Rotate", 0.6, 9}},
                     {{"Solarize", 0.6, 5}, {"AutoContrast", 0.6, -1}},
                     {{"Equalize", 0.8, -1}, {"Equalize", 0.6, -1}},
                     {{"Posterize", 0.6, 7}, {"Posterize", 0.6, 6}},
                     {{"Equalize", 0.4, -1}, {"Solarize", 0.2, 4}},
                     {{"Equalize", 0.4, -1}, {"Rotate", 0.8, 8}},
                     {{"Solarize", 0.6, 3}, {"Equalize", 0.6, -1}},
                     {{"Posterize", 0.8, 5}, {"Equalize", 1.0, -1}},
                     {{"Rotate", 0.2, 3}, {"Solarize", 0.6, 8}},
                     {{"Equalize", 0.6, -1}, {"Posterize", 0.4, 6}},
                     {{"Rotate", 0.8, 8}, {"Color", 0.4, 0}},
                     {{"Rotate", 0.4, 9}, {"Equalize", 0.6, -1}},
                     {{"Equalize", 0.0, -1}, {"Equalize", 0.8, -1}},
                     {{"Invert", 0.6, -1}, {"Equalize", 1.0, -1}},
                     {{"Color", 0.6, 4}, {"Contrast", 1.0, 8}},
                     {{"Rotate", 0.8, 8}, {"Color", 1.0, 2}},
                     {{"Color", 0.8, 8}, {"Solarize", 0.8, 7}},
                     {{"Sharpness", 0.4, 7}, {"Invert", 0.6, -1}},
                     {{"ShearX", 0.6, 5}, {"Equalize", 1.0, -1}},
                     {{"Color", 0.4, 0}, {"Equalize", 0.6, -1}},
                     {{"Equalize", 0.4, -1}, {"Solarize", 0.2, 4}},
                     {{"Solarize", 0.6, 5}, {"AutoContrast", 0.6, -1}},
                     {{"Invert", 0.6, -1}, {"Equalize", 1.0, -1}},
                     {{"Color", 0.6, 4}, {"Contrast", 1.0, 8}},
                     {{"Equalize", 0.8, -1}, {"Equalize", 0.6, -1}}},
                    "preset:autoaugment-imagenet");
}

Policy autoaugment_cifar10() {
  return from_pairs({{{"Invert", 0.1, -1}, {"Contrast", 0.2, 6}},
                     {{"Rotate", 0.7, 2}, {"TranslateX", 0.3, 9}},
                     {{"Sharpness", 0.8, 1}, {"Sharpness", 0.9, 3}},
                     {{"ShearY", 0.5, 8}, {"TranslateY", 0.7, 9}},
                     {{"AutoContrast", 0.5, -1}, {"Equalize", 0.9, -1}},
                     {{"ShearY", 0.2, 7}, {"Posterize", 0.3, 7}},
                     {{"Color", 0.4, 3}, {"Brightness", 0.6, 7}},
                     {{"Sharpness", 0.3, 9}, {"Brightness", 0.7, 9}},
                     {{"Equalize", 0.6, -1}, {"Equalize", 0.5, -1}},
                     {{"Contrast", 0.6, 7}, {"Sharpness", 0.6, 5}},
                     {{"Color", 0.7, 7}, {"TranslateX", 0.5, 8}},
                     {{"Equalize", 0.3, -1}, {"AutoContrast", 0.4, -1}},
                     {{"TranslateY", 0.4, 3}, {"Sharpness", 0.2, 6}},
                     {{"Brightness", 0.9, 6}, {"Color", 0.2, 8}},
                     {{"Solarize", 0.5, 2}, {"Invert", 0.0, -1}},
                     {{"Equalize", 0.2, -1}, {"AutoContrast", 0.6, -1}},
                     {{"Equalize", 0.2, -1}, {"Equalize", 0.6, -1}},
                     {{"Color", 0.9, 9}, {"Equalize", 0.6, -1}},
                     {{"AutoContrast", 0.8, -1}, {"Solarize", 0.2, 8}},
                     {{"Brightness", 0.1, 3}, {"Color", 0.7, 0}},
                     {{"Solarize", 0.4, 5}, {"AutoContrast", 0.9, -1}},
                     {{"TranslateY", 0.9, 9}, {"TranslateY", 0.7, 9}},
                     {{"AutoContrast", 0.9, -1}, {"Solarize", 0.8, 3}},
                     {{"Equalize", 0.8, -1}, {"Invert", 0.1, -1}},
                     {{"TranslateY", 0.7, 9}, {"AutoContrast", 0.9, -1}}},
                    "preset:autoaugment-cifar10");
}

Policy autoaugment_svhn() {
  return from_pairs({{{"ShearX", 0.9, 4}, {"Invert", 0.2, -1}},
                     {{"ShearY", 0.9, 8}, {"Invert", 0.7, -1}},
                     {{"Equalize", 0.6, -1}, {"Solarize", 0.6, 6}},
                     {{"Invert", 0.9, -1}, {"Equalize", 0.6, -1}},
                     {{"Equalize", 0.6, -1}, {"Rotate", 0.9, 3}},
                     {{"ShearX", 0.9, 4}, {"AutoContrast", 0.8, -1}},
                     {{"ShearY", 0.9, 8}, {"Invert", 0.4, -1}},
                     {{"ShearY", 0.9, 5}, {"Solarize", 0.2, 6}},
                     {{"Invert", 0.9, -1}, {"AutoContrast", 0.8, -1}},
                     {{"Equalize", 0.6, -1}, {"Rotate", 0.9, 3}},
                     {{"ShearX", 0.9, 4}, {"Solarize", 0.3, 3}},
                     {{"ShearY", 0.8, 8}, {"Invert", 0.7, -1}},
                     {{"Equalize", 0.9, -1}, {"TranslateY", 0.6, 6}},
                     {{"Invert", 0.9, -1}, {"Equalize", 0.6, -1}},
                     {{"Contrast", 0.3, 3}, {"Rotate", 0.8, 4}},
                     {{"Invert", 0.8, -1}, {"TranslateY", 0.0, 2}},
                     {{"ShearY", 0.7, 6}, {"Solarize", 0.4, 8}},
                     {{"Invert", 0.6, -1}, {"Rotate", 0.8, 4}},
                     {{"ShearY", 0.3, 7}, {"TranslateX", 0.9, 3}},
                     {{"ShearX", 0.1, 6}, {"Invert", 0.6, -1}},
                     {{"Solarize", 0.7, 2}, {"TranslateY", 0.6, 7}},
                     {{"ShearY", 0.8, 4}, {"Invert", 0.8, -1}},
                     {{"ShearX", 0.7, 9}, {"TranslateY", 0.8, 3}},
                     {{"ShearY", 0.8, 5}, {"AutoContrast", 0.7, -1}},
                     {{"ShearX", 0.7, 2}, {"Invert", 0.1, -1}}},
                    "preset:autoaugment-svhn");
}

const std::vector<std::string>& randaugment_ops() {
  static const std::vector<std::string> ops(std::begin(kRandAugmentOps), std::end(kRandAugmentOps));
  return ops;
}

Policy randaugment(const std::vector<std::string>& ops, int num_ops, int magnitude, int bins) {
  if (num_ops < 1 || num_ops > kMaxRandAugmentOps) {
    throw std::invalid_argument("randaugment: num_ops " + std::to_string(num_ops) +
                                " is outside 1.." + std::to_string(kMaxRandAugmentOps));
  }
  if (bins < 2 || bins > 1000) {
    throw std::invalid_argument("randaugment: bins " + std::to_string(bins) +
                                " is outside 2..1000");
  }
  if (magnitude < 0 || magnitude >= bins) {
    throw std::invalid_argument("randaugment: magnitude " + std::to_string(magnitude) +
                                " is outside 0.." + std::to_string(bins - 1));
  }
  if (ops.empty()) throw std::invalid_argument("randaugment: no ops");
  const int n_ops = static_cast<int>(ops.size());
  Policy p;
  p.magnitude_bins = bins;
  p.space = MagnitudeSpace::kStandard;
  int count = 1;
  for (int i = 0; i < num_ops; ++i) count *= n_ops;
  for (int code = 0; code < count; ++code) {
    SubPolicy sub;
    int rest = code;
    for (int i = 0; i < num_ops; ++i) {
      const std::string& op = ops[rest % n_ops];
      sub.push_back(Step{op, 1.0, uses_magnitude(op) ? magnitude : 0});
      rest /= n_ops;
    }
    p.subpolicies.push_back(std::move(sub));
  }
  p.provenance.source = "preset:randaugment:" + std::to_string(num_ops) + ":" +
                        std::to_string(magnitude) + ":" + std::to_string(bins);
  return p;
}

Policy randaugment(int num_ops, int magnitude, int bins) {
  return randaugment(randaugment_ops(), num_ops, magnitude, bins);
}

Policy trivialaugment_wide(int bins) {
  if (bins < 2 || bins > 1000) {
    throw std::invalid_argument("trivialaugment: bins " + std::to_string(bins) +
                                " is outside 2..1000");
  }
  Policy p;
  p.magnitude_bins = bins;
  p.space = MagnitudeSpace::kWide;
  for (const char* op : kRandAugmentOps) {
    p.subpolicies.push_back({Step{op, 1.0, uses_magnitude(op) ? kRandomMagnitude : 0}});
  }
  p.provenance.source = "preset:trivialaugment:" + std::to_string(bins);
  return p;
}

Policy no_augmentation() {
  Policy p;
  p.subpolicies.push_back({Step{"Identity", 1.0, 0}});
  p.provenance.source = "preset:none";
  return p;
}

std::vector<PresetInfo> preset_names() {
  return {
      {"none", "no augmentation (Identity)"},
      {"autoaugment-imagenet", "torchvision AutoAugment, ImageNet policy (25 sub-policies)"},
      {"autoaugment-cifar10", "torchvision AutoAugment, CIFAR-10 policy (25 sub-policies)"},
      {"autoaugment-svhn", "torchvision AutoAugment, SVHN policy (25 sub-policies)"},
      {"randaugment", "torchvision RandAugment, 2 ops at bin 9 of 31; randaugment:N:M[:BINS]"},
      {"trivialaugment", "torchvision TrivialAugmentWide, 31 bins; trivialaugment:BINS"},
  };
}

Policy load_policy(std::string_view spec) {
  const std::string s(spec);
  if (s == "none" || s == "identity") return no_augmentation();
  if (s == "autoaugment-imagenet" || s == "autoaugment") return autoaugment_imagenet();
  if (s == "autoaugment-cifar10") return autoaugment_cifar10();
  if (s == "autoaugment-svhn") return autoaugment_svhn();
  if (s == "trivialaugment" || s == "trivialaugmentwide") return trivialaugment_wide();
  if (s.starts_with("trivialaugment:")) {
    return trivialaugment_wide(parse_int(spec.substr(15), "bins", spec));
  }
  if (s == "randaugment") return randaugment();
  if (s.starts_with("randaugment:")) {
    std::vector<int> args;
    std::string_view rest = spec.substr(12);
    while (true) {
      const size_t colon = rest.find(':');
      args.push_back(parse_int(rest.substr(0, colon), "argument", spec));
      if (colon == std::string_view::npos) break;
      rest = rest.substr(colon + 1);
    }
    if (args.size() < 2 || args.size() > 3) {
      throw std::invalid_argument("policy \"" + s +
                                  "\": expected randaugment:N:M or randaugment:N:M:BINS");
    }
    return randaugment(args[0], args[1], args.size() == 3 ? args[2] : 31);
  }
  if (!std::filesystem::exists(s)) {
    std::string names;
    for (const PresetInfo& p : preset_names()) names += (names.empty() ? "" : ", ") + p.name;
    throw std::invalid_argument("policy \"" + s + "\" is neither a preset (" + names +
                                ") nor an existing policy file");
  }
  return read_policy_file(s);
}

}  // namespace autoaug::augment
