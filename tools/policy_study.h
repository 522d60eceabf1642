#pragma once

// A policy-search study directory as `autoaug search` writes it (see policy_search_commands.cc):
// study.db (the SQLite study store, search/README.md) and best_policy.json. Readers for export
// and report.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "augment/policy.h"
#include "augment/policy_space.h"
#include "search/space.h"
#include "tools/rescore.h"

namespace autoaug::search {
struct StoredTrial;
}  // namespace autoaug::search

namespace autoaug::tools {

inline constexpr const char* kStudyDatabase = "study.db";
// The "kind" in a stored config: a policy search (`autoaug search`) or any space (`optimize`).
inline constexpr const char* kPolicyStudyKind = "policy";
inline constexpr const char* kOptimizeStudyKind = "optimize";
// The kind of the re-scoring study in DIR/rescore (tools/rescore.h).
inline constexpr const char* kRescoreKind = "rescore";

// The policy space stored in a policy study config's "space" object.
augment::PolicySpaceOptions policy_space_options(const nlohmann::json& space);

// The search engine's view of a policy space: categorical op, real probability, integer bin, in
// PolicySpace's coordinate order.
search::Space to_search_space(const augment::PolicySpace& space);

// A stored trial as one JSON object: its metrics (seconds, images_per_second, history) with
// number, params, state, attempts and, where set, value, message, worker and finished.
nlohmann::json trial_json(const search::StoredTrial& t);

// A study opened for reading.
struct StudyFiles {
  std::filesystem::path dir;
  nlohmann::json config;               // the stored config
  std::vector<nlohmann::json> trials;  // trial_json of every trial, in number order
  augment::PolicySpace space;
  std::optional<RescoreSummary> rescore;  // DIR/rescore, when the search has been re-scored

  // The policy of a stored trial's "params". Throws std::invalid_argument naming the trial.
  augment::Policy policy_of(const nlohmann::json& trial) const;
  // PolicySpace::summary of a trial's policy ("" for sub-policy spaces, shown as tables).
  std::string summary_of(const nlohmann::json& trial) const;
  // Completed trials, best first by their search score.
  std::vector<nlohmann::json> ranked_by_search() const;
  // Completed trials, best first: once the re-scoring is complete, its candidates first, by
  // re-scored mean (each with "rescored_mean", "rescored_standard_error", "rescored_gain" and
  // "rescored_gain_standard_error"), then the other trials by search score. Otherwise as
  // ranked_by_search.
  std::vector<nlohmann::json> ranked() const;
};

// Opens DIR; throws std::invalid_argument naming the file and field when it is not a study.
StudyFiles open_study(const std::filesystem::path& dir);

}  // namespace autoaug::tools
