// `autoaug optimize`: black-box optimisation of an external command over a space file.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "search/objective/command_objective.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "search/study.h"
#include "tools/bench_search.h"
#include "tools/commands.h"
#include "tools/interrupt_handler.h"
#include "tools/policy_study.h"
#include "tools/study_runner.h"

namespace autoaug::tools {
namespace {

// Set by SIGINT/SIGTERM during `optimize`: running objectives are killed, the study stops and
// what was found so far is printed.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

struct OptimizeArgs {
  std::string space;
  std::string command;
  int trials = 0;
  std::string strategy = "rf-random";
  int batch = 1;
  int interleave = search::kDefaultInterleave;
  uint64_t seed = 0;
  bool minimize = false;  // the default; the flag exists for explicit scripts
  bool maximize = false;
  double timeout = 0;
  bool json = false;
  bool quiet = false;
  std::string study;  // with a study: stored, coordinated, resumable
  bool resume = false;
  bool trials_given = false;
  CoordinateArgs coordinate;
};

nlohmann::json trial_json(const search::Space& space, const search::Trial& t) {
  nlohmann::json j = {{"number", t.number},
                      {"params", space.to_params(t.params)},
                      {"value", nullptr},
                      {"state", search::trial_state_name(t.state)}};
  if (t.state == search::TrialState::kComplete) j["value"] = t.value;
  if (!t.message.empty()) j["message"] = t.message;
  return j;
}

// Prints the best trial and (with --json) every trial; throws when no trial completed.
void print_result(const search::Study& study, bool as_json) {
  const search::Space& space = study.space();
  const auto trials = study.trials();
  const auto best = study.best();
  int failed = 0;
  for (const auto& t : trials) failed += t.state == search::TrialState::kFailed;
  if (as_json) {
    nlohmann::json out;
    out["best"] = nullptr;
    if (best) {
      out["best"] = {{"params", space.to_params(best->params)},
                     {"value", best->value},
                     {"number", best->number}};
    }
    out["trials"] = nlohmann::json::array();
    for (const auto& t : trials) out["trials"].push_back(trial_json(space, t));
    std::cout << out.dump() << "\n";
  } else if (best) {
    std::printf("best value: %.10g (trial %d; %zu trials, %d failed)\n", best->value, best->number,
                trials.size(), failed);
    std::printf("best params: %s\n", space.to_params(best->params).dump().c_str());
  }
  std::fflush(stdout);
  if (!best && !g_interrupted) {
    std::string last = trials.empty() ? "no trial ran" : trials.back().message;
    throw std::runtime_error("all " + std::to_string(trials.size()) +
                             " trials failed; last: " + last);
  }
}

// `optimize --study DIR`: the study lives in DIR/study.db and runs through the coordinator.
void log_trial(const search::Study& s, const search::Trial& t) {
  const auto best = s.best();
  if (t.state == search::TrialState::kComplete) {
    std::fprintf(stderr, "trial %d: %.10g  (best %.10g, trial %d)\n", t.number, t.value,
                 best->value, best->number);
  } else {
    std::fprintf(stderr, "trial %d: failed: %s\n", t.number, t.message.c_str());
  }
}

void run_optimize_study(const OptimizeArgs& a) {
  const std::filesystem::path dir(a.study);
  const std::filesystem::path db = dir / kStudyDatabase;
  std::optional<search::StudyStore> store;
  if (a.resume) {
    store.emplace(search::StudyStore::open(db.string()));
    if (store->config().value("kind", "") != kOptimizeStudyKind) {
      throw std::invalid_argument(db.string() +
                                  ": not an optimize study; resume it with "
                                  "`autoaug search --study " +
                                  a.study + " --resume`");
    }
    if (a.trials_given) store->update_config({{"trials", a.trials}});
  } else {
    if (a.space.empty() || a.command.empty() || !a.trials_given) {
      throw std::invalid_argument("a new study needs --space, --objective-cmd and --trials");
    }
    if (std::filesystem::exists(db)) {
      throw std::invalid_argument(a.study + ": already holds a study (use --resume)");
    }
    if (a.trials < 1) throw std::invalid_argument("--trials: must be >= 1");
    if (a.timeout < 0) throw std::invalid_argument("--timeout: must be >= 0");
    const search::Space space = search::Space::from_file(a.space);
    search::make_strategy(a.strategy, a.seed, a.interleave, "--strategy");  // validates
    std::filesystem::create_directories(dir);
    store.emplace(search::StudyStore::create(db.string(),
                                             {{"kind", kOptimizeStudyKind},
                                              {"search_space", space.to_json()},
                                              {"strategy", a.strategy},
                                              {"interleave", a.interleave},
                                              {"seed", a.seed},
                                              {"direction", a.maximize ? "maximize" : "minimize"},
                                              {"trials", a.trials},
                                              {"objective",
                                               {{"kind", "command"},
                                                {"command", a.command},
                                                {"timeout_seconds", a.timeout},
                                                {"space", space.to_json()}}}}));
  }
  const nlohmann::json config = store->config();
  std::unique_ptr<search::Study> study = search::study_from_config(config, db.string());
  if (a.quiet) spdlog::set_level(spdlog::level::warn);
  auto progress = [&](const search::Study& s, const search::Trial& t, const nlohmann::json&) {
    if (a.quiet) return;
    log_trial(s, t);
  };
  const net::CoordinatorSummary summary = run_coordinated(
      *study, *store, config.at("objective"), config.at("trials"), a.coordinate, progress);
  g_interrupted = !summary.finished;
  print_result(*study, a.json);
  if (!summary.finished) {
    std::fprintf(stderr,
                 "autoaug: stopped with %d of %d trials complete. Resume with:\n  autoaug optimize "
                 "--study %s --resume\n",
                 summary.complete, config.at("trials").get<int>(), a.study.c_str());
    throw ExitStatus{130};
  }
}

void run_optimize(const OptimizeArgs& a) {
  if (!a.study.empty()) {
    run_optimize_study(a);
    return;
  }
  if (a.resume) throw std::invalid_argument("--resume: needs --study DIR");
  if (a.trials < 1) throw std::invalid_argument("--trials: must be >= 1");
  if (a.batch < 1) throw std::invalid_argument("--batch: must be >= 1");
  if (a.timeout < 0) throw std::invalid_argument("--timeout: must be >= 0");
  search::Space space = search::Space::from_file(a.space);
  auto strategy = search::make_strategy(a.strategy, a.seed, a.interleave, "--strategy");
  search::CommandObjectiveOptions objective_options;
  objective_options.timeout_seconds = a.timeout;
  objective_options.cancel = &g_interrupted;
  search::CommandObjective objective(a.command, space, objective_options);
  search::Study study(space, std::move(strategy),
                      {a.maximize ? search::Direction::kMaximize : search::Direction::kMinimize});

  std::mutex log_mutex;
  if (!a.quiet) {
    study.add_callback([&](const search::Study& s, const search::Trial& t) {
      std::lock_guard lock(log_mutex);
      log_trial(s, t);
      return search::CallbackAction::kContinue;
    });
  }
  study.add_callback([](const search::Study&, const search::Trial&) {
    return g_interrupted ? search::CallbackAction::kStop : search::CallbackAction::kContinue;
  });
  g_interrupted = false;
  {
    const ScopedInterruptHandler interrupts(on_interrupt);
    study.optimize([&](const search::Trial& t) { return objective(t); }, a.trials, a.batch);
  }
  if (g_interrupted) std::fprintf(stderr, "autoaug: interrupted; results so far follow\n");

  print_result(study, a.json);
  if (g_interrupted) throw ExitStatus{130};  // the shell convention for a run ended by SIGINT
}

}  // namespace

void add_search_commands(CLI::App& app, CLI::App& bench) {
  auto args = std::make_shared<OptimizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "optimize",
      "Minimise (or maximise) an external command over a space file. The command gets the "
      "parameters as JSON on stdin and in AUTOAUG_PARAMS and prints the value on its last "
      "stdout line; see search/README.md");
  cmd->add_option("--space", args->space, "Space file (JSON); required unless --resume");
  cmd->add_option("--objective-cmd", args->command,
                  "Shell command run once per trial; required unless --resume");
  CLI::Option* trials = cmd->add_option(
      "--trials", args->trials, "Number of trials (with --study: complete trials in total)");
  cmd->add_option("--strategy", args->strategy,
                  "random, grid, gp, gp-hedge, rf, et, rf-random or et-random")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Trials evaluated at the same time")
      ->capture_default_str();
  cmd->add_option("--interleave", args->interleave,
                  "rf-random/et-random: 1 of every K proposals from the model, K-1 random")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the strategy")->capture_default_str();
  auto* minimize = cmd->add_flag("--minimize", args->minimize, "Minimise the value (default)");
  cmd->add_flag("--maximize", args->maximize, "Maximise the value")->excludes(minimize);
  cmd->add_option("--timeout", args->timeout,
                  "Seconds per trial before its process group is killed (0: none)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the best trial and the history as one JSON object");
  cmd->add_flag("--quiet", args->quiet, "No progress lines on stderr");
  cmd->add_option("--study", args->study,
                  "Study directory: trials stored in DIR/study.db, run by worker processes and "
                  "resumable");
  cmd->add_flag("--resume", args->resume, "Continue the study in --study");
  add_coordinate_options(*cmd, args->coordinate, 1);
  cmd->callback([args, trials] {
    args->trials_given = trials->count() > 0;
    if (args->study.empty() &&
        (args->space.empty() || args->command.empty() || !args->trials_given)) {
      throw std::invalid_argument("--space, --objective-cmd and --trials are required");
    }
    run_optimize(*args);
  });

  add_bench_search_command(bench);
}

}  // namespace autoaug::tools
