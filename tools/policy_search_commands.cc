// autoaug search: the policy search on one machine. A study directory holds everything:
//
//   DIR/study.json        autoaug.study/v1: data set, training budget, policy space, strategy,
//                         seed, requested trials and the no-augmentation baseline
//   DIR/trials.jsonl      one JSON object per finished trial, appended and flushed to disk as
//                         each trial ends: number, params (by name), state, value (proxy-val
//                         accuracy), message, seconds, images_per_second, per-epoch history
//   DIR/best_policy.json  the best trial's policy (autoaug.policy/v1), rewritten on improvement
//
// Resume is replay: the strategy holds no state beyond its seed and the history, so asking again
// with the stored history reproduces every stored proposal; the search then goes on from there.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/policy_json.h"
#include "augment/policy_space.h"
#include "augment/presets.h"
#include "data/data_source.h"
#include "models/experiment.h"
#include "search/strategy/strategy_factory.h"
#include "search/study.h"
#include "tools/commands.h"
#include "tools/policy_study.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct SearchArgs {
  TrainArgs train;
  std::string study;
  int trials = 16;
  std::string strategy = "rf-random";
  int interleave = 3;
  int subpolicies = 5;
  int steps = 2;
  std::string ops;  // comma-separated; empty: every op but Identity
  int bins = 10;
  std::uint64_t search_seed = 0;
  bool resume = false;
  bool trials_given = false;  // --trials was on the command line
};

std::atomic<int> g_interrupts{0};

extern "C" void on_policy_search_interrupt(int) {
  if (g_interrupts.fetch_add(1) >= 1) _exit(130);
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

// Writes via a temporary file and a rename, so a crash leaves the old or the new file whole.
void write_json_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(tmp.string() + ": write failed");
  }
  fs::rename(tmp, path);
}

// Appends one line and forces it to disk: a completed trial survives a crash right after.
void append_line(const fs::path& path, const std::string& line) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) throw std::runtime_error(path.string() + ": cannot append");
  const bool ok =
      std::fputs((line + "\n").c_str(), f) >= 0 && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!ok) throw std::runtime_error(path.string() + ": write failed");
}

std::vector<std::string> split_ops(const std::string& text) {
  std::vector<std::string> ops;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) ops.push_back(item);
  }
  return ops;
}

json new_study_config(const SearchArgs& a) {
  augment::PolicySpaceOptions o;
  o.subpolicies = a.subpolicies;
  o.steps = a.steps;
  o.ops = split_ops(a.ops);
  o.magnitude_bins = a.bins;
  const augment::PolicySpace space(o);                                           // validates
  search::make_strategy(a.strategy, a.search_seed, a.interleave, "--strategy");  // validates
  if (a.trials < 1) throw std::invalid_argument("--trials: must be at least 1");
  return {{"format", kStudyFormat},
          {"created", now_utc()},
          {"train", train_args_json(a.train)},
          {"space",
           {{"subpolicies", o.subpolicies},
            {"steps", o.steps},
            {"ops", space.ops()},
            {"magnitude_bins", o.magnitude_bins}}},
          {"strategy", a.strategy},
          {"interleave", a.interleave},
          {"seed", a.search_seed},
          {"trials", a.trials}};
}

void print_summary(const json& config, const search::Study& study, const fs::path& dir) {
  const double baseline = config["baseline"]["accuracy"];
  const auto best = study.best();
  int complete = 0, failed = 0;
  for (const search::Trial& t : study.trials()) {
    complete += t.state == search::TrialState::kComplete;
    failed += t.state == search::TrialState::kFailed;
  }
  std::printf("\n%d trials complete, %d failed. Baseline (no augmentation): %.4f\n", complete,
              failed, baseline);
  if (best) {
    std::printf("Best: trial %d, proxy-val accuracy %.4f (%+.2f points over the baseline)\n",
                best->number, best->value, 100.0 * (best->value - baseline));
    std::printf("Best policy: %s\n", (dir / "best_policy.json").c_str());
  }
}

void run_search(SearchArgs a) {
  if (a.study.empty()) throw std::invalid_argument("--study: required");
  const fs::path dir(a.study);
  const fs::path config_path = dir / "study.json";
  const fs::path trials_path = dir / "trials.jsonl";
  json config;
  if (a.resume) {
    config = read_json_file(config_path);
    if (config.value("format", "") != kStudyFormat) {
      throw std::invalid_argument(config_path.string() + ": format: expected " + kStudyFormat);
    }
    // --trials may raise the total of a resumed study; everything else is the study's own.
    if (a.trials_given) config["trials"] = a.trials;
    a.train = train_args_from_json(config["train"], config_path.string() + ": train");
  } else {
    if (fs::exists(config_path)) {
      throw std::invalid_argument(a.study +
                                  ": already holds a study (use --resume, or another "
                                  "--study directory)");
    }
    config = new_study_config(a);
    fs::create_directories(dir);
  }
  a.train.proxy = true;
  const models::ExperimentOptions options = experiment_options(a.train);
  const augment::PolicySpace policy_space(policy_space_options(config["space"]));
  search::Study study(to_search_space(policy_space),
                      search::make_strategy(config["strategy"], config["seed"].get<uint64_t>(),
                                            config["interleave"], "strategy"),
                      search::StudyOptions{search::Direction::kMaximize});

  std::printf("autoaug search: %s, %s width %.2f, %d epochs on %zu proxy-train images\n",
              a.train.data.c_str(), a.train.model.c_str(), a.train.width, a.train.epochs,
              a.train.train_size == 0 ? std::size_t{4000} : a.train.train_size);
  models::Experiment experiment(data::open_data_source(a.train.data), options);

  if (!config.contains("baseline")) {
    std::printf("trial baseline (no augmentation)...\n");
    std::fflush(stdout);
    const models::ExperimentResult r = experiment.run(augment::no_augmentation(), a.train.seed);
    if (!r.ok) throw std::runtime_error("the baseline run failed: " + r.error);
    config["baseline"] = {{"accuracy", r.accuracy}, {"seconds", r.train.seconds}};
    std::printf("baseline: proxy-val accuracy %.4f in %.1f s\n", r.accuracy, r.train.seconds);
  }
  write_json_file(config_path, config.dump(2) + "\n");
  const double baseline = config["baseline"]["accuracy"];

  // Replay the stored history: the same seed and history give the same proposals.
  const std::vector<json> stored = read_trials(trials_path);
  for (const json& t : stored) {
    const search::Trial trial = study.ask();
    if (study.space().key(trial.params) !=
        study.space().key(study.space().from_params(t.at("params")))) {
      throw std::invalid_argument(trials_path.string() + ": trial " +
                                  std::to_string(t.value("number", -1)) +
                                  " does not replay (was the study made by another version?)");
    }
    if (t.at("state") == "complete") {
      study.tell(trial.number, t.at("value").get<double>());
    } else {
      study.tell_failed(trial.number, t.value("message", "failed"));
    }
  }
  if (!stored.empty()) std::printf("resumed: %zu trials replayed\n", stored.size());

  std::mutex metrics_mutex;
  std::map<int, json> metrics;  // filled by the objective, written by the callback
  const auto started = std::chrono::steady_clock::now();
  const int total = config["trials"];
  const int done_before = static_cast<int>(stored.size());
  auto objective = [&](const search::Trial& trial) {
    const augment::Policy policy = policy_space.decode(trial.params);
    const models::ExperimentResult r = experiment.run(policy, a.train.seed);
    std::lock_guard<std::mutex> lock(metrics_mutex);
    metrics[trial.number] = {{"seconds", r.train.seconds},
                             {"images_per_second", r.train.train_images_per_second},
                             {"history", epochs_json(r.train)}};
    return r.ok ? search::TrialResult::complete(r.accuracy) : search::TrialResult::failed(r.error);
  };
  study.add_callback([&](const search::Study& s, const search::Trial& t) {
    json line = {{"number", t.number},
                 {"params", s.space().to_params(t.params)},
                 {"state", t.state == search::TrialState::kComplete ? "complete" : "failed"},
                 {"finished", now_utc()}};
    if (t.state == search::TrialState::kComplete) line["value"] = t.value;
    if (!t.message.empty()) line["message"] = t.message;
    {
      std::lock_guard<std::mutex> lock(metrics_mutex);
      line.update(metrics[t.number]);
    }
    append_line(trials_path, line.dump());
    const auto best = s.best();
    if (best && best->number == t.number) {
      augment::Policy policy = policy_space.decode(t.params);
      policy.provenance.study = fs::absolute(dir).string();
      policy.provenance.trial = t.number;
      policy.provenance.score = t.value;
      policy.provenance.created = now_utc();
      write_json_file(dir / "best_policy.json", augment::policy_to_json(policy));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const int done = t.number + 1;
    const int this_run = done - done_before;
    const double eta = this_run > 0 ? elapsed / this_run * (total - done) : 0.0;
    if (t.state == search::TrialState::kComplete) {
      std::printf(
          "trial %d/%d: %.4f  best %.4f (%+.2f pts over baseline)  %.0f s elapsed, ~%.0f s left\n",
          done, total, t.value, best ? best->value : 0.0,
          best ? 100.0 * (best->value - baseline) : 0.0, elapsed, eta);
    } else {
      std::printf("trial %d/%d: failed: %s\n", done, total, t.message.c_str());
    }
    std::fflush(stdout);
    if (g_interrupts.load() > 0) return search::CallbackAction::kStop;
    return search::CallbackAction::kContinue;
  });

  std::signal(SIGINT, on_policy_search_interrupt);
  std::signal(SIGTERM, on_policy_search_interrupt);
  if (done_before < total) study.optimize(objective, total - done_before, 1);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  print_summary(config, study, dir);
  const int finished = static_cast<int>(study.trials().size());
  if (finished < total) {
    std::printf(
        "Stopped after %d of %d trials. Resume with:\n  autoaug search --study %s --resume\n",
        finished, total, a.study.c_str());
  }
}

}  // namespace

void add_policy_search_commands(CLI::App& app) {
  auto a = std::make_shared<SearchArgs>();
  a->train.epochs = 4;
  a->train.train_size = 2000;
  a->train.val_size = 1000;
  a->train.threads = 2;
  CLI::App* cmd = app.add_subcommand(
      "search", "Search augmentation policies with the proxy objective (Ctrl-C stops cleanly)");
  add_train_options(*cmd, a->train);
  cmd->add_option("--study", a->study, "Study directory (created; with --resume, reopened)")
      ->required();
  CLI::Option* trials =
      cmd->add_option("--trials", a->trials, "Trials in total (a resumed study runs up to this)")
          ->capture_default_str();
  cmd->add_option("--strategy", a->strategy, "random, gp, gp-hedge, rf, et, rf-random or et-random")
      ->capture_default_str();
  cmd->add_option("--interleave", a->interleave,
                  "rf-random: 1 of every k proposals from the forest, k-1 random")
      ->capture_default_str();
  cmd->add_option("--subpolicies", a->subpolicies, "Sub-policies per policy (K)")
      ->capture_default_str();
  cmd->add_option("--steps", a->steps, "Steps per sub-policy")->capture_default_str();
  cmd->add_option("--ops", a->ops, "Comma-separated candidate ops (default: all but Identity)");
  cmd->add_option("--bins", a->bins, "Magnitude bins")->capture_default_str();
  cmd->add_option("--search-seed", a->search_seed, "Seed of the strategy")->capture_default_str();
  cmd->add_flag("--resume", a->resume, "Continue the study in --study");
  cmd->callback([a, trials] {
    a->trials_given = trials->count() > 0;
    run_search(*a);
  });
}

}  // namespace autoaug::tools
