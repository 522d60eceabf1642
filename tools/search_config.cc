#include "tools/search_config.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "augment/op.h"
#include "search/strategy/strategy_factory.h"
#include "tools/config/schema.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

using config::Key;
using config::Kind;
using nlohmann::json;

const std::vector<std::string> kSections = {"data",   "training", "space",
                                            "search", "rescore",  "workers"};

// The training defaults of `autoaug search` (add_policy_search_commands): TrainArgs' own, with
// the proxy budget of the search.
TrainArgs search_train_defaults() {
  TrainArgs t;
  t.epochs = 4;
  t.train_size = 2000;
  t.val_size = 1000;
  t.threads = 2;
  t.proxy = true;
  return t;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const augment::Op& op : augment::builtin_ops().ops()) names.push_back(op.name());
  return names;
}

// Builds the schema: keys in file order.
struct KeyTable {
  std::vector<Key> keys;

  // A key of the search command's own, with its default.
  Key& own(const char* section, const char* name, Kind kind, json fallback, const char* option,
           const char* field, const char* doc) {
    keys.push_back(Key::make(section, name, kind, std::move(fallback), option, doc));
    keys.back().field = field;
    return keys.back();
  }
};

// The data and training sections: the training options (tools/train_options.h), with the
// search's defaults.
void add_training_keys(KeyTable& b) {
  const TrainArgs defaults = search_train_defaults();
  for (const TrainOption& o : train_options()) {
    b.keys.push_back(o.key);
    b.keys.back().fallback = o.get(defaults);
  }
}

// The space, search, rescore and workers sections: the search command's own.
void add_search_keys(KeyTable& b) {
  b.own("space", "kind", Kind::kString, "subpolicies", "--space",
        "augment::PolicySpaceOptions::kind",
        "subpolicies: K sub-policies of steps {op, probability, bin}; randaugment: RandAugment's "
        "number of ops (1..3) and their one bin")
      .one_of({"subpolicies", "randaugment"});
  b.own("space", "subpolicies", Kind::kInt, 5, "--subpolicies",
        "augment::PolicySpaceOptions::subpolicies", "sub-policies per policy (K)")
      .range(1, 64);
  b.own("space", "steps", Kind::kInt, 2, "--steps", "augment::PolicySpaceOptions::steps",
        "steps per sub-policy")
      .range(1, 8);
  b.own("space", "ops", Kind::kList, json::array(), "--ops",
        "augment::PolicySpaceOptions::ops (comma-joined)",
        "candidate ops ([]: every op but Identity; RandAugment's 14 for kind randaugment)")
      .list_of("op", "e.g. [Rotate, Color] ([] for all but Identity)")
      .one_of(op_names());
  b.own("space", "magnitude_bins", Kind::kInt, 10, "--bins",
        "augment::PolicySpaceOptions::magnitude_bins",
        "magnitude bins (10 as AutoAugment, 31 as RandAugment's wide space)")
      .range(2, 1000);

  b.own("search", "strategy", Kind::kString, "rf-random", "--strategy",
        "the study's strategy (search::make_strategy)",
        "the strategy: random, grid, gp, gp-hedge, rf, et, rf-random or et-random")
      .one_of(search::strategy_names());
  b.own("search", "interleave", Kind::kInt, search::kDefaultInterleave, "--interleave",
        "the study's interleave (search::make_strategy)",
        "for rf-random and et-random: 1 of every k proposals from the forest, k-1 random")
      .range(1, 1000);
  b.own("search", "seed", Kind::kUnsigned, json(std::uint64_t{0}), "--search-seed",
        "the study's seed", "seed of the strategy");
  b.own("search", "trials", Kind::kInt, 16, "--trials", "the study's trials",
        "trials in total, the baseline not counted (a resumed study runs up to this)")
      .range(1, 1000000)
      .resumable();

  b.own("rescore", "top", Kind::kInt, 3, "--rescore-top",
        "the re-scoring's candidates (tools/rescore.h)",
        "after the trials, re-score this many of the best policies and the baseline with fresh "
        "seeds and choose by the mean (0: keep the single best trial)")
      .range(0, 100)
      .resumable();
  b.own("rescore", "seeds", Kind::kInt, 3, "--rescore-seeds",
        "the re-scoring's seeds (tools/rescore.h)",
        "fresh training seeds per re-scored candidate (0: no re-scoring)")
      .range(0, 100)
      .resumable();

  b.own("workers", "count", Kind::kInt, 1, "--workers", "CoordinateArgs::workers",
        "local worker processes training trials in parallel (0: remote ones only, --listen)")
      .range(0, 1024)
      .resumable();
  b.own("workers", "lease_seconds", Kind::kReal, 60.0, "--lease-seconds",
        "net::CoordinatorOptions::lease_seconds",
        "a trial whose worker sends no heartbeat for this long is handed out again")
      .range(0, 1e6, true)
      .resumable();
  b.own("workers", "heartbeat_seconds", Kind::kReal, 5.0, "--heartbeat-seconds",
        "net::CoordinatorOptions::heartbeat_seconds",
        "how often workers send heartbeats (less than lease_seconds)")
      .range(0, 1e6, true)
      .resumable();
  b.own("workers", "max_attempts", Kind::kInt, 3, "--max-attempts",
        "net::CoordinatorOptions::max_attempts", "lost leases before a trial counts as failed")
      .range(1, 100)
      .resumable();
}

// Leases must outlive the time between heartbeats.
std::optional<config::CheckFailure> check_heartbeat(const json& config) {
  const json& w = config.at("workers");
  if (w.at("heartbeat_seconds").get<double>() < w.at("lease_seconds").get<double>()) {
    return std::nullopt;
  }
  return config::CheckFailure{
      "workers.heartbeat_seconds: " + config::value_text(w.at("heartbeat_seconds")) +
          " is not less than workers.lease_seconds (" + config::value_text(w.at("lease_seconds")) +
          "): leases would expire between heartbeats",
      {"workers.heartbeat_seconds", "workers.lease_seconds"}};
}

const config::Schema& schema() {
  static const config::Schema table = [] {
    KeyTable b;
    add_training_keys(b);
    add_search_keys(b);
    return config::Schema(kSections, std::move(b.keys), check_heartbeat);
  }();
  return table;
}

}  // namespace

json default_search_config() { return schema().defaults(); }

const std::vector<SearchConfigKey>& search_config_keys() {
  static const std::vector<SearchConfigKey> out = [] {
    std::vector<SearchConfigKey> v;
    for (const Key& k : schema().keys()) {
      v.push_back({k.path(), k.option, k.field, k.defines_study, k.fallback, k.doc});
    }
    return v;
  }();
  return out;
}

json load_search_config(const std::string& path) { return schema().load_yaml(path); }

json search_config_from_json(const json& input, const std::string& origin) {
  return schema().from_json(input, origin);
}

void set_search_config_value(json& config, const std::string& path, const std::string& text,
                             const std::string& origin) {
  schema().set_text(config, path, text, origin);
}

void add_search_config_options(CLI::App& cmd, const std::vector<std::string>& sections) {
  schema().add_options(cmd, sections);
}

void override_search_config(json& config, const CLI::App& cmd) {
  schema().override_from(config, cmd);
}

void apply_search_config(const json& config, TrainArgs& train) {
  for (const TrainOption& o : train_options()) {
    o.set(train, config.at(o.key.section).at(o.key.name));
  }
  train.proxy = true;
}

std::vector<std::string> search_config_conflicts(const json& stored, const json& requested) {
  return schema().conflicts(stored, requested);
}

}  // namespace autoaug::tools
