// autoaug search: the policy search. A study directory holds everything:
//
//   DIR/study.db          the SQLite study store (search/README.md): the config (data set,
//                         training budget, policy space, strategy, seed, requested trials, the
//                         no-augmentation baseline), every trial with its metrics, and the event
//                         log
//   DIR/best_policy.json  the best trial's policy (autoaug.policy/v1), rewritten on improvement
//
// Trials run in local worker processes (`--workers N`) and, with `--listen`, remote ones, all
// leased by the coordinator (search/net/coordinator.h). Resume restores the strategy from the
// stored history: the same seed and history give the same proposals.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/policy_json.h"
#include "augment/policy_space.h"
#include "augment/presets.h"
#include "data/data_source.h"
#include "models/experiment.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "search/study.h"
#include "tools/commands.h"
#include "tools/interrupt_handler.h"
#include "tools/policy_study.h"
#include "tools/rescore.h"
#include "tools/search_config.h"
#include "tools/study_runner.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The search command's own arguments. The options of the config's space, search, rescore and
// workers sections are declared by the schema (add_search_config_options) and read into the
// resolved config (requested_config).
struct SearchArgs {
  TrainArgs train;  // bound to the command line; the resolved config decides (see run_search)
  std::string study;
  std::string config;  // YAML file
  bool resume = false;
  CoordinateArgs coordinate;  // --listen and --token-file; the rest from the config
};

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
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

// The stored study config of a new search from its resolved search config.
json new_study_config(const json& cfg) {
  const augment::PolicySpace space(policy_space_options(cfg["space"]));  // validates the ops
  TrainArgs train;
  apply_search_config(cfg, train);
  experiment_options(train);  // validates
  const json& search = cfg["search"];
  const json space_json = {{"kind", augment::policy_space_kind_name(space.options().kind)},
                           {"subpolicies", space.options().subpolicies},
                           {"steps", space.options().steps},
                           {"ops", space.ops()},
                           {"magnitude_bins", space.options().magnitude_bins}};
  return {{"kind", kPolicyStudyKind},
          {"created", now_utc()},
          {"config", cfg},
          {"train", train_args_json(train)},
          {"space", space_json},
          {"search_space", to_search_space(space).to_json()},
          {"strategy", search["strategy"]},
          {"interleave", search["interleave"]},
          {"seed", search["seed"]},
          {"direction", "maximize"},
          {"trials", search["trials"]},
          {"objective",
           {{"kind", "policy"}, {"train", train_args_json(train)}, {"space", space_json}}}};
}

// The search config a run asks for: the YAML file (or, resuming without one, the study's own),
// then the options given on the command line.
json requested_config(const SearchArgs& a, const CLI::App& cmd, const json* stored) {
  json cfg = !a.config.empty()   ? load_search_config(a.config)
             : stored != nullptr ? *stored
                                 : default_search_config();
  override_search_config(cfg, cmd);
  return cfg;
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

std::atomic<bool> g_baseline_stop{false};
extern "C" void on_baseline_signal(int) { g_baseline_stop = true; }

// Trains the baseline in this process, stopping at the next step on SIGINT or SIGTERM (then
// exits 130: nothing of the baseline is stored, and a new study is not created).
models::ExperimentResult train_baseline(const models::Experiment& experiment, std::uint64_t seed) {
  const models::ExperimentResult r = [&] {
    const ScopedInterruptHandler interrupts(on_baseline_signal);
    std::printf("trial baseline (no augmentation)...\n");
    std::fflush(stdout);
    return experiment.run(augment::no_augmentation(), seed, {}, &g_baseline_stop);
  }();
  if (g_baseline_stop) {
    std::printf("\nStopped during the baseline; nothing of it was stored.\n");
    std::fflush(stdout);
    throw ExitStatus{130};
  }
  return r;
}

// The no-augmentation baseline. Refuses a budget too small to rank policies: a baseline near
// chance level means every policy would score about the same, which the search cannot tell apart.
json run_baseline(const models::Experiment& experiment, const TrainArgs& train) {
  const models::ExperimentResult r = train_baseline(experiment, train.seed);
  if (!r.ok) throw std::runtime_error("the baseline run failed: " + r.error);
  const std::size_t classes = experiment.source().train->classes().size();
  const double chance = 1.0 / static_cast<double>(std::max<std::size_t>(classes, 1));
  if (r.accuracy < chance + 0.05) {
    char why[512];
    std::snprintf(why, sizeof why,
                  "the baseline (no augmentation) scored %.4f on proxy-val, chance level for %zu "
                  "classes is %.4f: %d epochs on %zu images train nothing that could rank "
                  "policies; raise --epochs or --train-size",
                  r.accuracy, classes, chance, train.epochs, experiment.train_examples());
    throw std::invalid_argument(why);
  }
  std::printf("baseline: proxy-val accuracy %.4f in %.1f s\n", r.accuracy, r.train.seconds);
  return {{"accuracy", r.accuracy}, {"seconds", r.train.seconds}};
}

void write_best_policy(const fs::path& dir, augment::Policy policy, int trial, double score,
                       const std::string& source) {
  policy.provenance.study = fs::absolute(dir).string();
  policy.provenance.trial = trial;
  policy.provenance.score = score;
  policy.provenance.source = source;
  policy.provenance.created = now_utc();
  write_json_file(dir / "best_policy.json", augment::policy_to_json(policy));
}

// The re-scoring's progress: one line per finished training.
net::Coordinator::TrialCallback rescore_progress(const json& config) {
  auto done = std::make_shared<int>(0);
  return [config, done](const search::Study&, const search::Trial& t, const json&) {
    const json& job = config.at("jobs").at(static_cast<std::size_t>(t.params.at(0)));
    const json& candidate = config.at("candidates").at(job.at("candidate").get<std::size_t>());
    char outcome[64];
    std::snprintf(outcome, sizeof outcome, "%.4f", t.value);
    std::printf(
        "re-score %d/%d: %s, seed %s: %s\n", ++*done, config.at("trials").get<int>(),
        candidate.at("label").get<std::string>().c_str(), job.at("seed").dump().c_str(),
        t.state == search::TrialState::kComplete ? outcome : ("failed: " + t.message).c_str());
    std::fflush(stdout);
  };
}

// Noise-aware selection after the search (tools/rescore.h): the top trials and the baseline are
// trained again with fresh seeds by the same workers, and best_policy.json becomes the candidate
// with the best re-scored mean. A re-scoring already under way resumes with its own stored
// candidates and seeds. Returns false when it was stopped before the end.
bool run_rescore(const fs::path& dir, const json& cfg, const CoordinateArgs& coordinate) {
  const int top = cfg["rescore"]["top"], seeds = cfg["rescore"]["seeds"];
  const fs::path db = dir / kRescoreDir / kStudyDatabase;
  if ((top == 0 || seeds == 0) && !fs::exists(db)) return true;
  const StudyFiles files = open_study(dir);
  std::optional<search::StudyStore> store;
  if (fs::exists(db)) {
    store.emplace(search::StudyStore::open(db.string()));
    // The search grew since (a resume with more --trials): its top trials may have changed, so
    // the old re-scoring is kept beside a new one.
    const std::size_t after = store->config().value("after_trials", std::size_t{0});
    if (after != files.ranked_by_search().size() && top > 0 && seeds > 0) {
      store.reset();
      const fs::path old = dir / (std::string(kRescoreDir) + "-after-" + std::to_string(after));
      fs::rename(db.parent_path(), old);
      std::printf("\nThe search has grown since its re-scoring; the old one moved to %s\n",
                  old.c_str());
    }
  }
  if (!store) {
    const json config = rescore_config(files, top, seeds);
    fs::create_directories(db.parent_path());
    store.emplace(search::StudyStore::create(db.string(), config));
  }
  const json config = store->config();
  const int total = config.at("trials");
  std::printf(
      "\nRe-scoring the top %zu trials and the baseline with %zu fresh seeds: %d trainings\n",
      config.at("candidates").size() - 1, config.at("seeds").size(), total);
  std::fflush(stdout);
  std::unique_ptr<search::Study> study = search::study_from_config(config, db.string());
  const net::CoordinatorSummary summary = run_coordinated(
      *study, *store, config.at("objective"), total, coordinate, rescore_progress(config));
  store.reset();
  const std::optional<RescoreSummary> r = read_rescore(dir);
  std::printf("\n%s", rescore_text(*r).c_str());
  if (r->complete && r->chosen > 0) {
    const RescoredCandidate& c = r->candidates[r->chosen];
    write_best_policy(dir, augment::parse_policy_json(c.policy.dump(), db.string()), c.trial,
                      c.mean, "re-scored over " + std::to_string(r->seeds.size()) + " seeds");
  }
  return summary.finished;
}

// Reopens the study in `db` for --resume with the config it asks for (the study's own, a file's
// or the command line's). Refuses another kind of study and a config that differs in anything
// but what may change on resume.
search::StudyStore open_resumed(const SearchArgs& a, const CLI::App& cmd, const fs::path& db,
                                json& cfg) {
  search::StudyStore store = search::StudyStore::open(db.string());
  const json config = store.config();
  if (config.value("kind", "") != kPolicyStudyKind) {
    throw std::invalid_argument(db.string() + ": not a policy search (kind '" +
                                config.value("kind", "") + "'); resume it with `autoaug " +
                                "optimize --study " + a.study + " --resume`");
  }
  const json stored = search_config_from_json(config.at("config"), db.string() + ": config");
  cfg = requested_config(a, cmd, &stored);
  const std::vector<std::string> conflicts = search_config_conflicts(stored, cfg);
  if (!conflicts.empty()) {
    std::string why;
    for (const std::string& c : conflicts) why += "\n  " + c;
    throw std::invalid_argument(a.study +
                                ": the study was made with another config; its results cannot "
                                "be mixed with these (use a new --study):" +
                                why);
  }
  // Trials, threads and workers may change on resume; the rest is the study's own. The objective
  // carries the training budget to remote workers, so it takes the new threads too.
  TrainArgs train;
  apply_search_config(cfg, train);
  json objective = config.at("objective");
  objective["train"] = train_args_json(train);
  const json wanted = {{"config", cfg},
                       {"trials", cfg["search"]["trials"]},
                       {"train", objective["train"]},
                       {"objective", objective}};
  json patch = json::object();  // only what changed: the event log keeps every patch
  for (const auto& [key, value] : wanted.items()) {
    if (config.value(key, json()) != value) patch[key] = value;
  }
  if (!patch.empty()) store.update_config(patch);
  return store;
}

// The coordinator's settings from the resolved config's workers section (the command line's
// options are already in it, checked together).
void apply_workers_config(const json& workers, CoordinateArgs& coordinate) {
  coordinate.workers = workers["count"];
  coordinate.lease_seconds = workers["lease_seconds"];
  coordinate.heartbeat_seconds = workers["heartbeat_seconds"];
  coordinate.max_attempts = workers["max_attempts"];
}

// The search's progress after each trial: on a terminal, one status line rewritten in place, with
// a line kept for each new best and each failure; otherwise one plain line per trial, for logs.
// Each new best is written to DIR/best_policy.json.
net::Coordinator::TrialCallback search_progress(const fs::path& dir, const json& config,
                                                int done_before) {
  auto policy_space =
      std::make_shared<const augment::PolicySpace>(policy_space_options(config["space"]));
  const double baseline = config["baseline"]["accuracy"];
  const int total = config["trials"];
  const auto started = std::chrono::steady_clock::now();
  const bool tty = isatty(fileno(stdout)) != 0;
  auto done = std::make_shared<int>(done_before);
  return [=](const search::Study& s, const search::Trial& t, const json&) {
    int complete = 0, failed = 0, running = 0;
    for (const search::Trial& u : s.trials()) {
      complete += u.state == search::TrialState::kComplete;
      failed += u.state == search::TrialState::kFailed;
      running += u.state == search::TrialState::kPending;
    }
    const auto best = s.best();
    const bool improved = best && best->number == t.number;
    if (improved) {
      write_best_policy(dir, policy_space->decode(t.params), t.number, t.value, "best trial");
    }
    const int this_run = ++*done - done_before;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double eta = elapsed / this_run * std::max(0, total - complete);
    char trial_line[512], status[256];
    if (t.state == search::TrialState::kComplete) {
      std::snprintf(trial_line, sizeof trial_line, "trial %d: %.4f%s", t.number, t.value,
                    improved ? " (new best)" : "");
    } else {
      std::snprintf(trial_line, sizeof trial_line, "trial %d: failed: %s", t.number,
                    t.message.c_str());
    }
    std::snprintf(status, sizeof status,
                  "%d/%d complete, %d running, %d failed | best %.4f (%+.2f pts over baseline) | "
                  "%.0f s elapsed, ~%.0f s left",
                  complete, total, running, failed, best ? best->value : baseline,
                  best ? 100.0 * (best->value - baseline) : 0.0, elapsed, eta);
    if (!tty) {
      std::printf("%s | %s\n", trial_line, status);
    } else if (improved || t.state != search::TrialState::kComplete) {
      std::printf("\r\033[K%s\n\r\033[K%s", trial_line, status);
    } else {
      std::printf("\r\033[K%s", status);
    }
    std::fflush(stdout);
  };
}

void run_search(SearchArgs a, const CLI::App& cmd) {
  if (a.study.empty()) throw std::invalid_argument("--study: required");
  const fs::path dir(a.study);
  const fs::path db = dir / kStudyDatabase;
  std::optional<search::StudyStore> store;
  std::optional<models::Experiment> experiment;
  json cfg;
  if (a.resume) {
    store.emplace(open_resumed(a, cmd, db, cfg));
    apply_search_config(cfg, a.train);
  } else {
    if (fs::exists(db)) {
      throw std::invalid_argument(a.study +
                                  ": already holds a study (use --resume, or another "
                                  "--study directory)");
    }
    cfg = requested_config(a, cmd, nullptr);
    json config = new_study_config(cfg);
    // Opens the data set (an unknown name or an empty folder is an error) and trains the
    // baseline before anything is written.
    apply_search_config(cfg, a.train);
    experiment.emplace(data::open_data_source(a.train.data), experiment_options(a.train));
    config["baseline"] = run_baseline(*experiment, a.train);
    fs::create_directories(dir);
    store.emplace(search::StudyStore::create(db.string(), config));
  }
  apply_workers_config(cfg["workers"], a.coordinate);
  spdlog::set_level(spdlog::level::warn);  // progress lines below say what matters
  json config = store->config();
  std::unique_ptr<search::Study> study = search::study_from_config(config, db.string());

  std::printf(
      "autoaug search: %s, %s width %.2f, %d epochs on %zu proxy-train images, %d workers\n",
      a.train.data.c_str(), a.train.model.c_str(), a.train.width, a.train.epochs,
      a.train.train_size == 0 ? std::size_t{4000} : a.train.train_size, a.coordinate.workers);
  if (!config.contains("baseline")) {  // a study whose first run stopped during its baseline
    if (!experiment) {
      experiment.emplace(data::open_data_source(a.train.data), experiment_options(a.train));
    }
    store->update_config({{"baseline", run_baseline(*experiment, a.train)}});
    config = store->config();
  }
  const int total = config["trials"];
  const auto counts = store->counts();
  const int done =
      counts.at(search::StoredState::kComplete) + counts.at(search::StoredState::kFailed);
  if (done > 0) std::printf("resumed: %d trials already finished\n", done);

  // Threads may differ on resume: workers train with the requested number.
  CoordinateArgs coordinate = a.coordinate;
  coordinate.worker_threads = a.train.threads;
  const net::CoordinatorSummary summary = run_coordinated(
      *study, *store, config["objective"], total, coordinate, search_progress(dir, config, done));
  if (isatty(fileno(stdout)) != 0) std::printf("\n");
  print_summary(config, *study, dir);
  const bool finished = summary.finished && run_rescore(dir, cfg, coordinate);
  if (!finished) {
    std::printf(
        "Stopped with %d of %d trials complete%s. Resume with:\n  autoaug search --study %s "
        "--resume\n",
        summary.complete, total, summary.finished ? " (re-scoring not finished)" : "",
        a.study.c_str());
    std::fflush(stdout);
    throw ExitStatus{130};
  }
}

}  // namespace

void add_policy_search_commands(CLI::App& app) {
  auto a = std::make_shared<SearchArgs>();
  apply_search_config(default_search_config(), a->train);  // the defaults --help shows
  CLI::App* cmd = app.add_subcommand(
      "search",
      "Search augmentation policies with the proxy objective (Ctrl-C stops cleanly). Options "
      "override --config; tools/search.yaml documents every key and default");
  add_train_options(*cmd, a->train);
  cmd->add_option("--config", a->config, "YAML search config (see tools/search.yaml)");
  cmd->add_option("--study", a->study, "Study directory (created; with --resume, reopened)")
      ->required();
  cmd->add_flag("--resume", a->resume, "Continue the study in --study");
  add_search_config_options(*cmd, {"search", "space", "rescore", "workers"});
  add_listen_options(*cmd, a->coordinate);
  cmd->callback([a, cmd] { run_search(*a, *cmd); });
}

}  // namespace autoaug::tools
