#include "tools/rescore.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

#include "augment/policy.h"
#include "augment/policy_json.h"
#include "augment/presets.h"
#include "data/data_source.h"
#include "models/experiment.h"
#include "search/space.h"
#include "search/store/study_store.h"
#include "tools/policy_study.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

json policy_object(augment::Policy policy, const std::string& label) {
  policy.provenance.source = label;
  return json::parse(augment::policy_to_json(policy));
}

// Mean and standard error of the mean of the finite values.
std::pair<double, double> mean_and_error(const std::vector<double>& xs, int& n) {
  double sum = 0.0, squares = 0.0;
  n = 0;
  for (double x : xs) {
    if (!std::isfinite(x)) continue;
    sum += x;
    ++n;
  }
  if (n == 0) return {0.0, 0.0};
  const double mean = sum / n;
  for (double x : xs) {
    if (std::isfinite(x)) squares += (x - mean) * (x - mean);
  }
  const double error = n > 1 ? std::sqrt(squares / (n - 1) / n) : 0.0;
  return {mean, error};
}

RescoredCandidate candidate_of(const json& c, std::size_t seeds) {
  RescoredCandidate r;
  r.label = c.at("label");
  r.trial = c.at("trial");
  r.search_value = c.at("search_value");
  r.policy = c.at("policy");
  r.values.assign(seeds, kNaN);
  return r;
}

// Fills means, errors and paired gains, picks the best non-baseline candidate.
void conclude(RescoreSummary& s) {
  const RescoredCandidate& base = s.candidates.front();
  for (RescoredCandidate& c : s.candidates) {
    std::tie(c.mean, c.standard_error) = mean_and_error(c.values, c.scored);
    std::vector<double> diffs;
    for (std::size_t k = 0; k < c.values.size(); ++k) {
      if (std::isfinite(c.values[k]) && std::isfinite(base.values[k])) {
        diffs.push_back(c.values[k] - base.values[k]);
      }
    }
    std::tie(c.gain, c.gain_error) = mean_and_error(diffs, c.paired);
  }
  for (std::size_t i = 1; i < s.candidates.size(); ++i) {
    const RescoredCandidate& c = s.candidates[i];
    if (c.scored == 0) continue;
    if (s.chosen < 0 || c.mean > s.candidates[s.chosen].mean) s.chosen = static_cast<int>(i);
  }
  if (s.chosen > 0) {
    const RescoredCandidate& c = s.candidates[s.chosen];
    s.beyond_noise = c.paired >= 2 && c.gain > 2.0 * c.gain_error;
  }
}

// The objective's candidates as policies: a policy as it is, or a point of the study's space.
std::vector<augment::Policy> rescore_policies(const json& spec) {
  std::vector<augment::Policy> out;
  if (!spec.contains("candidates")) return out;
  const augment::PolicySpace space(policy_space_options(spec.at("space")));
  const search::Space points = to_search_space(space);
  for (const json& c : spec.at("candidates")) {
    out.push_back(c.contains("policy")
                      ? augment::parse_policy_json(c.at("policy").dump(), "objective.candidates")
                      : space.decode(points.from_params(c.at("params"))));
  }
  return out;
}

}  // namespace

json rescore_config(const StudyFiles& study, int top, int seeds) {
  const std::vector<json> ranked = study.ranked_by_search();
  if (ranked.empty()) {
    throw std::invalid_argument(study.dir.string() + ": no complete trial to re-score");
  }
  const std::uint64_t base_seed = study.config.at("train").value("seed", std::uint64_t{0});
  json candidates = json::array();
  candidates.push_back({{"label", "baseline"},
                        {"trial", -1},
                        {"search_value", study.config.at("baseline").at("accuracy")},
                        {"policy", policy_object(augment::no_augmentation(), "baseline")}});
  for (int i = 0; i < top && i < static_cast<int>(ranked.size()); ++i) {
    const int trial = ranked[i].at("number");
    const std::string label = "trial " + std::to_string(trial);
    candidates.push_back({{"label", label},
                          {"trial", trial},
                          {"search_value", ranked[i].at("value")},
                          {"policy", policy_object(study.policy_of(ranked[i]), label)}});
  }
  json seed_list = json::array();
  for (int k = 1; k <= seeds; ++k) seed_list.push_back(base_seed + static_cast<std::uint64_t>(k));
  // Workers get each trial's point in the study's space, not its policy: a RandAugment policy
  // of 3 ops is 2,744 sub-policies, and the objective has to fit in one frame.
  json objective_candidates = json::array({{{"policy", candidates[0]["policy"]}}});
  for (int i = 0; i + 1 < static_cast<int>(candidates.size()); ++i) {
    objective_candidates.push_back({{"params", ranked[i].at("params")}});
  }
  json jobs = json::array();
  std::vector<std::string> choices;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    for (const json& seed : seed_list) {
      choices.push_back(std::to_string(jobs.size()));
      jobs.push_back({{"candidate", c}, {"seed", seed}});
    }
  }
  const search::Space space({search::Dimension::categorical("job", choices)});
  return {{"kind", kRescoreKind},
          {"candidates", candidates},
          {"seeds", seed_list},
          {"jobs", jobs},
          {"search_space", space.to_json()},
          {"strategy", "grid"},
          {"interleave", 1},
          {"seed", 0},
          {"direction", "maximize"},
          {"trials", jobs.size()},
          {"after_trials", ranked.size()},
          {"objective",
           {{"kind", "rescore"},
            {"train", study.config.at("train")},
            {"space", study.config.at("space")},
            {"candidates", objective_candidates},
            {"jobs", jobs}}}};
}

std::optional<RescoreSummary> read_rescore(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kRescoreDir / kStudyDatabase;
  if (!std::filesystem::exists(path)) return std::nullopt;
  const search::StudyStore store = search::StudyStore::open(path.string(), /*read_only=*/true);
  const json config = store.config();
  if (config.value("kind", "") != kRescoreKind) {
    throw std::invalid_argument(path.string() + ": not a re-scoring study (kind '" +
                                config.value("kind", "") + "')");
  }
  RescoreSummary s;
  try {
    for (const json& seed : config.at("seeds")) s.seeds.push_back(seed);
    for (const json& c : config.at("candidates")) {
      s.candidates.push_back(candidate_of(c, s.seeds.size()));
    }
    const json& jobs = config.at("jobs");
    s.jobs = static_cast<int>(jobs.size());
    for (const search::StoredTrial& t : store.trials()) {
      if (t.state != search::StoredState::kComplete && t.state != search::StoredState::kFailed) {
        continue;
      }
      ++s.finished;
      if (t.state != search::StoredState::kComplete) continue;
      const json& job = jobs.at(std::stoul(t.params.at("job").get<std::string>()));
      std::size_t k = 0;
      while (k < s.seeds.size() && s.seeds[k] != job.at("seed").get<std::uint64_t>()) ++k;
      s.candidates.at(job.at("candidate").get<std::size_t>()).values.at(k) = t.value;
    }
  } catch (const std::exception& e) {
    throw std::invalid_argument(path.string() + ": " + e.what());
  }
  if (s.candidates.empty()) throw std::invalid_argument(path.string() + ": no candidates");
  s.complete = s.finished == s.jobs;
  conclude(s);
  return s;
}

json rescore_json(const RescoreSummary& s) {
  json candidates = json::array();
  for (const RescoredCandidate& c : s.candidates) {
    json values = json::array();
    for (double v : c.values) values.push_back(std::isfinite(v) ? json(v) : json(nullptr));
    candidates.push_back({{"label", c.label},
                          {"trial", c.trial},
                          {"search_value", c.search_value},
                          {"values", values},
                          {"mean", c.mean},
                          {"standard_error", c.standard_error},
                          {"gain", c.gain},
                          {"gain_standard_error", c.gain_error},
                          {"paired_seeds", c.paired}});
  }
  json out = {{"seeds", s.seeds},         {"jobs", s.jobs},
              {"finished", s.finished},   {"complete", s.complete},
              {"candidates", candidates}, {"beyond_noise", s.beyond_noise}};
  if (s.chosen > 0) out["chosen"] = s.candidates[s.chosen].label;
  return out;
}

std::string rescore_text(const RescoreSummary& s) {
  std::string out;
  char line[256];
  std::snprintf(
      line, sizeof line,
      "Re-scored with %zu fresh seeds (%d of %d trainings done):\n  %-10s %8s %16s %18s\n",
      s.seeds.size(), s.finished, s.jobs, "candidate", "search", "mean +- s.e.", "gain (points)");
  out += line;
  for (std::size_t i = 0; i < s.candidates.size(); ++i) {
    const RescoredCandidate& c = s.candidates[i];
    char gain[64] = "";
    if (i > 0 && c.paired > 0) {
      std::snprintf(gain, sizeof gain, "%+.2f +- %.2f", 100 * c.gain, 100 * c.gain_error);
    }
    std::snprintf(line, sizeof line, "  %-10s %8.4f %9.4f +- %.4f %18s%s\n", c.label.c_str(),
                  c.search_value, c.mean, c.standard_error, gain,
                  static_cast<int>(i) == s.chosen ? "  <- chosen" : "");
    std::string text = line;
    text.erase(text.find_last_not_of(" \n") + 1);
    out += text + "\n";
  }
  if (s.chosen < 0) return out + "No candidate was scored.\n";
  const RescoredCandidate& c = s.candidates[s.chosen];
  if (s.beyond_noise) {
    std::snprintf(line, sizeof line,
                  "%s beats no augmentation by %.2f points, more than twice its standard error "
                  "(%.2f).\n",
                  c.label.c_str(), 100 * c.gain, 100 * c.gain_error);
  } else {
    std::snprintf(line, sizeof line,
                  "No candidate beats no augmentation by more than the noise: the best, %s, is "
                  "%+.2f points, standard error %.2f over %d seeds.\n",
                  c.label.c_str(), 100 * c.gain, 100 * c.gain_error, c.paired);
  }
  return out + line;
}

net::WorkerObjective rescore_objective(const json& spec, int threads) {
  TrainArgs train = train_args_from_json(spec.at("train"), "objective.train");
  if (threads > 0) train.threads = threads;
  train.proxy = true;
  auto jobs = std::make_shared<std::vector<std::pair<augment::Policy, std::uint64_t>>>();
  const std::vector<augment::Policy> policies = rescore_policies(spec);
  for (const json& job : spec.at("jobs")) {
    // Re-scorings made before the candidates were sent once carry each job's policy.
    jobs->emplace_back(job.contains("policy")
                           ? augment::parse_policy_json(job.at("policy").dump(), "objective.jobs")
                           : policies.at(job.at("candidate").get<std::size_t>()),
                       job.at("seed").get<std::uint64_t>());
  }
  auto experiment = std::make_shared<models::Experiment>(data::open_data_source(train.data),
                                                         experiment_options(train));
  return [=](const net::Lease& lease, const std::atomic<bool>& cancel) {
    const std::size_t job = std::stoul(lease.params.at("job").get<std::string>());
    const auto& [policy, seed] = jobs->at(job);
    const models::ExperimentResult r = experiment->run(policy, seed, {}, &cancel);
    net::TrialOutcome out;
    out.result =
        r.ok ? search::TrialResult::complete(r.accuracy) : search::TrialResult::failed(r.error);
    out.metrics = {{"seconds", r.train.seconds}, {"history", epochs_json(r.train)}};
    return out;
  };
}

}  // namespace autoaug::tools
