// autoaug export: a policy (a file, a preset, or a study's best) as an autoaug.policy/v1 file, a
// torchvision Python module, or a C++ header.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "augment/policy_json.h"
#include "augment/presets.h"
#include "tools/commands.h"
#include "tools/policy_study.h"

namespace autoaug::tools {
namespace {

namespace aug = autoaug::augment;

struct ExportArgs {
  std::string study;
  std::string policy;
  std::string format = "json";
  int top = 1;
  std::string output;
};

// The best trial's policy, or the union of the sub-policies of the best `top` trials (as
// AutoAugment merges its top policies). Once the search is re-scored, "best" is by re-scored mean
// (StudyFiles::ranked).
aug::Policy study_policy(const std::string& dir, int top) {
  const StudyFiles study = open_study(dir);
  const std::vector<nlohmann::json> ranked = study.ranked();
  if (ranked.empty()) throw std::invalid_argument(dir + ": the study has no completed trial yet");
  aug::Policy merged = study.policy_of(ranked.front());
  for (int i = 1; i < top && i < static_cast<int>(ranked.size()); ++i) {
    const aug::Policy next = study.policy_of(ranked[i]);
    merged.subpolicies.insert(merged.subpolicies.end(), next.subpolicies.begin(),
                              next.subpolicies.end());
  }
  const nlohmann::json& best = ranked.front();
  const bool rescored = best.contains("rescored_mean");
  merged.provenance.study = dir;
  merged.provenance.trial = best.at("number").get<long long>();
  merged.provenance.score = rescored ? best.at("rescored_mean") : best.at("value");
  merged.provenance.source = (top > 1 ? "top " + std::to_string(top) + " trials" : "best trial") +
                             std::string(rescored ? ", by re-scored mean" : "");
  if (study.rescore && study.rescore->complete && !study.rescore->beyond_noise) {
    std::fprintf(stderr,
                 "autoaug export: warning: %s: no re-scored policy beats no augmentation by more "
                 "than the noise (see `autoaug study show %s`)\n",
                 dir.c_str(), dir.c_str());
  }
  return merged;
}

std::string torchvision_module(const aug::Policy& p) {
  std::ostringstream out;
  const std::string json_text = aug::policy_to_json(p);
  out << R"PY("""Augmentation policy exported by autoaug (autoaug.policy/v1, torchvision 0.14 semantics).

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

POLICY = json.loads(r""")PY"
      << json_text << R"PY(""")


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
  return out.str();
}

std::string cpp_header(const aug::Policy& p) {
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
             aug::policy_to_json(p) +
             ")autoaug\";\n\n"
             "inline autoaug::augment::Augmenter exported_policy() {\n"
             "  return autoaug::augment::Augmenter(\n"
             "      autoaug::augment::parse_policy_json(kExportedPolicy, \"exported policy\"));\n"
             "}\n";
  return out.str();
}

void run_export(const ExportArgs& a) {
  if (a.study.empty() == a.policy.empty()) {
    throw std::invalid_argument("export: give --study DIR or --policy P (not both)");
  }
  if (a.top < 1) throw std::invalid_argument("--top: must be at least 1");
  const aug::Policy policy =
      a.study.empty() ? aug::load_policy(a.policy) : study_policy(a.study, a.top);
  std::string text;
  if (a.format == "json") {
    text = aug::policy_to_json(policy);
  } else if (a.format == "torchvision") {
    text = torchvision_module(policy);
  } else if (a.format == "cpp") {
    text = cpp_header(policy);
  } else {
    throw std::invalid_argument("--format: \"" + a.format + "\" is not json, torchvision or cpp");
  }
  std::ofstream out(a.output, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::invalid_argument(a.output + ": cannot write");
  std::printf("%s: %zu sub-policies as %s\n", a.output.c_str(), policy.subpolicies.size(),
              a.format.c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a policy as autoaug.policy/v1 JSON, a torchvision module or a C++ header");
  cmd->add_option("--study", a->study, "Study directory: its best trial (or --top K merged)");
  cmd->add_option("--policy", a->policy, "Policy file or preset name");
  cmd->add_option("--format", a->format, "json, torchvision or cpp")->capture_default_str();
  cmd->add_option("--top", a->top, "Merge the sub-policies of the best K trials")
      ->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Output file")->required();
  cmd->callback([a] { run_export(*a); });
}

}  // namespace autoaug::tools
