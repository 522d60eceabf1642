// autoaug export: a policy (a file, a preset, or a study's best) as an autoaug.policy/v1 file, a
// torchvision Python module, or a C++ header.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "augment/policy_export.h"
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

void run_export(const ExportArgs& a) {
  if (a.study.empty() == a.policy.empty()) {
    throw std::invalid_argument("export: give --study DIR or --policy P (not both)");
  }
  if (a.top < 1) throw std::invalid_argument("--top: must be at least 1");
  const aug::Policy policy =
      a.study.empty() ? aug::load_policy(a.policy) : study_policy(a.study, a.top);
  std::string text;
  try {
    text = aug::export_policy(policy, a.format);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--format: ") + e.what());
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
