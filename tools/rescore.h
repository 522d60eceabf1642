#pragma once

// Noise-aware selection for a policy search. Every search trial trains from the same seed, so
// its score carries that seed's luck, and the best of many noisy scores is biased upwards (the
// winner's curse). After the search, its top K policies and the baseline (no augmentation) are
// trained again with R fresh seeds, the same seeds for every candidate, and the choice is the
// candidate with the best mean over those seeds alone. Its gain over the baseline is the mean of
// the paired per-seed differences, with their standard error.
//
// The re-scoring is a study of its own in DIR/rescore/study.db (the same store and coordinator as
// the search; a grid over the job list, so it resumes after a crash with nothing lost and
// nothing run twice):
//   config.kind        "rescore"
//   config.candidates  [{"label": "baseline" | "trial N", "trial": N (-1: baseline),
//                        "search_value": the search's score, "policy": autoaug.policy/v1}]
//   config.seeds       the R training seeds
//   config.jobs        [{"candidate": index, "seed": S}], one trial each (param "job")
//   config.after_trials the search's complete trials when the candidates were taken
//   config.objective   {"kind": "rescore", "train": {...}, "space": {...}, "candidates":
//                       [{"policy"} for the baseline, {"params"} for a trial], "jobs":
//                       [{"candidate", "seed"}]} (re-scorings made before this carry
//                       "jobs": [{"policy", "seed"}])

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "search/net/worker_client.h"

namespace autoaug::tools {

struct StudyFiles;

inline constexpr const char* kRescoreDir = "rescore";

// One candidate's re-scored values and what they say.
struct RescoredCandidate {
  std::string label;  // "baseline" or "trial N"
  int trial = -1;     // the search trial; -1 for the baseline
  double search_value = 0.0;
  nlohmann::json policy;        // autoaug.policy/v1 object
  std::vector<double> values;   // per seed, in config.seeds order; NaN: not (yet) scored
  int scored = 0;               // values that are numbers
  double mean = 0.0;            // over the scored seeds
  double standard_error = 0.0;  // of the mean; 0 with fewer than two seeds
  double gain = 0.0;            // mean paired difference to the baseline (0 for the baseline)
  double gain_error = 0.0;      // its standard error
  int paired = 0;               // seeds scored for both this candidate and the baseline
};

struct RescoreSummary {
  std::vector<RescoredCandidate> candidates;  // the baseline first
  std::vector<std::uint64_t> seeds;
  int jobs = 0;
  int finished = 0;  // jobs complete or failed
  int chosen = -1;   // index of the best non-baseline candidate by mean; -1: none scored
  bool complete = false;
  // The chosen candidate's gain exceeds twice its standard error (with at least two seeds).
  bool beyond_noise = false;
};

// The stored config of a new re-scoring study for `study`: its baseline and its best `top`
// complete trials, each to be trained with `seeds` fresh seeds (the search's training seed plus
// 1..seeds). Throws std::invalid_argument when the study has no complete trial.
nlohmann::json rescore_config(const StudyFiles& study, int top, int seeds);

// The re-scoring state of study directory `dir`; nullopt when it has none. Throws
// std::invalid_argument naming the file when DIR/rescore/study.db is not a re-scoring study.
std::optional<RescoreSummary> read_rescore(const std::filesystem::path& dir);

// The summary as JSON (for --json outputs and the report) and as the lines a terminal shows.
nlohmann::json rescore_json(const RescoreSummary& s);
std::string rescore_text(const RescoreSummary& s);

// The worker objective of a re-scoring study: trains job `params.job` of `spec.jobs` (a policy
// and a seed) with the search's training recipe, `threads` > 0 overriding its threads.
net::WorkerObjective rescore_objective(const nlohmann::json& spec, int threads);

}  // namespace autoaug::tools
