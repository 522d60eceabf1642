#include "augment/policy_export.h"

#include <sstream>
#include <stdexcept>

#include "augment/policy_json.h"

namespace autoaug::augment {
namespace {

// The Python module around the policy's JSON: its docstring and imports up to the opening of
// the JSON string, then the rest.
constexpr const char* kModuleHead =
    R"PY("""Augmentation policy exported by autoaug (autoaug.policy/v1, torchvision 0.14 semantics).

    from this_module import build_transform
    transform = build_transform()   # callable on a PIL image or a uint8 tensor [..., C, H, W]
    augmented = transform(image)

Ops, magnitude tables and signs are torchvision's own (transforms.autoaugment._apply_op and
_augmentation_space); Cutout, autoaug's addition, fills a square at a random centre. Randomness
comes from torch's global generator, as in torchvision's AutoAugment.
"""
import json

import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F
from torchvision.transforms.autoaugment import AutoAugment, TrivialAugmentWide, _apply_op

POLICY = json.loads(r""")PY";

constexpr const char* kModuleTail = R"PY(""")


def _table(bins, space, height, width):
    if space == "wide":
        return TrivialAugmentWide()._augmentation_space(bins)
    return AutoAugment()._augmentation_space(bins, (height, width))


def _cutout(img, size, fill):
    channels, height, width = F.get_dimensions(img)
    cy = int(torch.randint(height, (1,)).item())
    cx = int(torch.randint(width, (1,)).item())
    y0, x0 = max(cy - size // 2, 0), max(cx - size // 2, 0)
    y1, x1 = min(cy - size // 2 + size, height), min(cx - size // 2 + size, width)
    if size <= 0 or y1 <= y0 or x1 <= x0:
        return img
    values = [int(round(f)) for f in fill]
    if isinstance(img, torch.Tensor):
        img = img.clone()
        img[..., y0:y1, x0:x1] = torch.tensor(values, dtype=img.dtype).view(-1, 1, 1)
        return img
    from PIL import ImageDraw
    img = img.copy()
    ImageDraw.Draw(img).rectangle([x0, y0, x1 - 1, y1 - 1],
                                  fill=values[0] if channels == 1 else tuple(values))
    return img


class Policy(torch.nn.Module):
    """One sub-policy drawn uniformly per image; each step applied with its probability."""

    def __init__(self, policy=POLICY):
        super().__init__()
        self.bins = policy.get("magnitude_bins", 10)
        self.space = policy.get("magnitude_space", "standard")
        self.fill = [float(f) for f in policy.get("fill", [0])]
        self.subpolicies = [[(s["op"], s.get("prob", 1.0), s.get("magnitude")) for s in sub]
                            for sub in policy["subpolicies"]]

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = self.fill * channels if len(self.fill) == 1 else self.fill
        table = _table(self.bins, self.space, height, width)
        sub = self.subpolicies[int(torch.randint(len(self.subpolicies), (1,)).item())]
        for op, prob, magnitude_bin in sub:
            if not torch.rand(1).item() < prob:
                continue
            if magnitude_bin == "random":
                magnitude_bin = int(torch.randint(self.bins, (1,)).item())
            if op == "Cutout":
                side = torch.linspace(0.0, 0.5 * min(height, width), self.bins)[magnitude_bin]
                img = _cutout(img, int(round(float(side))), fill)
                continue
            if op == "Identity":
                continue
            magnitudes, signed = table[op]
            magnitude = float(magnitudes[magnitude_bin].item()) if magnitudes.ndim > 0 else 0.0
            if signed and torch.randint(2, (1,)).item():
                magnitude = -magnitude
            img = _apply_op(img, op, magnitude, interpolation=InterpolationMode.NEAREST, fill=fill)
        return img


def build_transform():
    return Policy()
)PY";

std::string torchvision_module(const Policy& p) {
  return kModuleHead + policy_to_json(p) + kModuleTail;
}

std::string cpp_header(const Policy& p) {
  std::ostringstream out;
  out << "// Augmentation policy exported by autoaug (autoaug.policy/v1).\n"
         "//\n"
         "//   #include \"this_header.h\"\n"
         "//   const autoaug::augment::Augmenter augment = exported_policy();\n"
         "//   std::mt19937_64 rng(seed);  // one per thread\n"
         "//   cv::Mat out = augment.apply(rgb_or_grey_uint8, rng);\n"
         "//\n"
         "// Link autoaug_augment. In LibTorch training, apply it per image in the data set's "
         "get().\n"
         "#pragma once\n\n"
         "#include \"augment/policy.h\"\n"
         "#include \"augment/policy_json.h\"\n\n"
         "inline constexpr const char* kExportedPolicy = R\"autoaug(" +
             policy_to_json(p) +
             ")autoaug\";\n\n"
             "inline autoaug::augment::Augmenter exported_policy() {\n"
             "  return autoaug::augment::Augmenter(\n"
             "      autoaug::augment::parse_policy_json(kExportedPolicy, \"exported policy\"));\n"
             "}\n";
  return out.str();
}

}  // namespace

std::string export_policy(const Policy& policy, std::string_view format) {
  if (format == "json") return policy_to_json(policy);
  if (format == "torchvision") return torchvision_module(policy);
  if (format == "cpp") return cpp_header(policy);
  throw std::invalid_argument("\"" + std::string(format) + "\" is not json, torchvision or cpp");
}

}  // namespace autoaug::augment
