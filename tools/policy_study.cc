#include "tools/policy_study.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "augment/presets.h"
#include "search/store/study_store.h"

namespace autoaug::tools {

using nlohmann::json;

augment::PolicySpaceOptions policy_space_options(const json& s) {
  augment::PolicySpaceOptions o;
  try {
    // Studies made before the RandAugment space have no kind: theirs is sub-policies.
    o.kind = augment::policy_space_kind(s.value("kind", "subpolicies"), "space.kind");
    o.subpolicies = s.at("subpolicies");
    o.steps = s.at("steps");
    o.ops = s.at("ops").get<std::vector<std::string>>();
    o.magnitude_bins = s.at("magnitude_bins");
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("space: ") + e.what());
  }
  return o;
}

search::Space to_search_space(const augment::PolicySpace& p) {
  std::vector<search::Dimension> dims;
  for (const augment::PolicyDimension& d : p.dimensions()) {
    switch (d.kind) {
      case augment::PolicyDimension::Kind::kOp:
        dims.push_back(search::Dimension::categorical(d.name, p.ops()));
        break;
      case augment::PolicyDimension::Kind::kProb:
        dims.push_back(search::Dimension::real(d.name, 0.0, 1.0));
        break;
      case augment::PolicyDimension::Kind::kMagnitude:
        dims.push_back(search::Dimension::integer(d.name, 0, p.options().magnitude_bins - 1));
        break;
      case augment::PolicyDimension::Kind::kNumOps:
        dims.push_back(search::Dimension::integer(d.name, 1, augment::kMaxRandAugmentOps));
        break;
    }
  }
  return search::Space(std::move(dims));
}

augment::Policy StudyFiles::policy_of(const json& trial) const {
  const search::Space s = to_search_space(space);
  try {
    return space.decode(s.from_params(trial.at("params")));
  } catch (const std::exception& e) {
    throw std::invalid_argument((dir / kStudyDatabase).string() + ": trial " +
                                std::to_string(trial.value("number", -1)) + ": " + e.what());
  }
}

std::string StudyFiles::summary_of(const json& trial) const {
  return space.summary(to_search_space(space).from_params(trial.at("params")));
}

std::vector<json> StudyFiles::ranked_by_search() const {
  std::vector<json> done;
  for (const json& t : trials) {
    if (t.value("state", "") == "complete") done.push_back(t);
  }
  std::stable_sort(done.begin(), done.end(), [](const json& a, const json& b) {
    return a.at("value").get<double>() > b.at("value").get<double>();
  });
  return done;
}

std::vector<json> StudyFiles::ranked() const {
  std::vector<json> by_search = ranked_by_search();
  if (!rescore || !rescore->complete || rescore->chosen < 0) return by_search;
  std::vector<const RescoredCandidate*> order;
  for (std::size_t i = 1; i < rescore->candidates.size(); ++i) {
    if (rescore->candidates[i].scored > 0) order.push_back(&rescore->candidates[i]);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->mean > b->mean; });
  std::vector<json> out;
  for (const RescoredCandidate* c : order) {
    for (json& t : by_search) {
      if (t.is_null() || t.at("number") != c->trial) continue;
      t["rescored_mean"] = c->mean;
      t["rescored_standard_error"] = c->standard_error;
      t["rescored_gain"] = c->gain;
      t["rescored_gain_standard_error"] = c->gain_error;
      out.push_back(std::move(t));
      t = nullptr;
    }
  }
  for (json& t : by_search) {
    if (!t.is_null()) out.push_back(std::move(t));
  }
  return out;
}

json trial_json(const search::StoredTrial& t) {
  json j = t.metrics.is_object() ? t.metrics : json::object();
  j["number"] = t.number;
  j["params"] = t.params;
  j["state"] = search::stored_state_name(t.state);
  j["attempts"] = t.attempts;
  if (t.state == search::StoredState::kComplete) j["value"] = t.value;
  if (!t.message.empty()) j["message"] = t.message;
  if (!t.worker.empty()) j["worker"] = t.worker;
  if (t.finished > 0) j["finished"] = t.finished;
  return j;
}

StudyFiles open_study(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kStudyDatabase;
  if (!std::filesystem::exists(path)) {
    throw std::invalid_argument(path.string() + ": no such file (not a study directory?)");
  }
  const search::StudyStore store = search::StudyStore::open(path.string(), /*read_only=*/true);
  json config = store.config();
  if (config.value("kind", "") != kPolicyStudyKind) {
    throw std::invalid_argument(path.string() + ": not a policy search (kind '" +
                                config.value("kind", "") + "')");
  }
  augment::PolicySpace space = [&] {
    try {
      return augment::PolicySpace(policy_space_options(config.at("space")));
    } catch (const std::exception& e) {
      throw std::invalid_argument(path.string() + ": " + e.what());
    }
  }();
  std::vector<json> trials;
  for (const search::StoredTrial& t : store.trials()) trials.push_back(trial_json(t));
  return StudyFiles{dir, std::move(config), std::move(trials), std::move(space), read_rescore(dir)};
}

}  // namespace autoaug::tools
