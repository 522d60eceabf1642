#pragma once

// A policy-search study directory as `autoaug search` writes it (see policy_search_commands.cc):
// study.json (autoaug.study/v1), trials.jsonl, best_policy.json. Readers for export and report.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "augment/policy.h"
#include "augment/policy_space.h"
#include "search/space.h"

namespace autoaug::tools {

inline constexpr const char* kStudyFormat = "autoaug.study/v1";

// The policy space stored in study.json's "space" object.
augment::PolicySpaceOptions policy_space_options(const nlohmann::json& space);

// The search engine's view of a policy space: categorical op, real probability, integer bin, in
// PolicySpace's coordinate order.
search::Space to_search_space(const augment::PolicySpace& space);

// The stored trials; a torn last line (a crash in mid-write) is dropped with a warning on
// stderr. Throws std::invalid_argument naming the file and line for any other bad line.
std::vector<nlohmann::json> read_trials(const std::filesystem::path& path);

// A study opened for reading.
struct StudyFiles {
  std::filesystem::path dir;
  nlohmann::json config;               // study.json
  std::vector<nlohmann::json> trials;  // trials.jsonl, in order
  augment::PolicySpace space;

  // The policy of a stored trial's "params". Throws std::invalid_argument naming the trial.
  augment::Policy policy_of(const nlohmann::json& trial) const;
  // Completed trials, best first.
  std::vector<nlohmann::json> ranked() const;
};

// Opens DIR; throws std::invalid_argument naming the file and field when it is not a study.
StudyFiles open_study(const std::filesystem::path& dir);

}  // namespace autoaug::tools
