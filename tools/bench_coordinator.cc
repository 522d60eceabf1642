// `autoaug bench coordinator`: completed trials per second through the coordinator, with a
// trivial in-process objective and local worker processes over loopback. Every result is
// acknowledged only after its group commit, so the figure counts durable results.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/benchmark/problems.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tools/commands.h"
#include "tools/policy_study.h"
#include "tools/study_runner.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct BenchCoordinatorArgs {
  int workers = 16;
  int trials = 20000;
  int repeats = 3;
  std::string dir;
  bool json = false;
};

struct Run {
  double seconds = 0;  // first lease to last completion, from the store's event times
  int complete = 0;
  double trials_per_second = 0;
  std::uint64_t commits = 0;
};

Run run_once(const BenchCoordinatorArgs& a, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const search::BenchmarkProblem problem = search::benchmark_problem("branin");
  const json config = {{"kind", kOptimizeStudyKind},
                       {"search_space", problem.space.to_json()},
                       {"strategy", "random"},
                       {"interleave", 3},
                       {"seed", 0},
                       {"direction", "minimize"},
                       {"trials", a.trials},
                       {"objective", {{"kind", "problem"}, {"name", "branin"}}}};
  search::StudyStore store = search::StudyStore::create((dir / kStudyDatabase).string(), config);
  auto study = search::study_from_config(config, "bench");
  CoordinateArgs c;
  c.workers = a.workers;
  const net::CoordinatorSummary s =
      run_coordinated(*study, store, config["objective"], a.trials, c, {});
  double first = 0, last = 0;
  for (const auto& t : store.trials()) {
    if (t.state != search::StoredState::kComplete) continue;
    first = first == 0 ? t.started : std::min(first, t.started);
    last = std::max(last, t.finished);
  }
  Run r;
  r.complete = s.complete;
  r.commits = s.commits;
  r.seconds = last - first;
  r.trials_per_second = r.seconds > 0 ? r.complete / r.seconds : 0;
  return r;
}

void run_bench(const BenchCoordinatorArgs& a) {
  if (a.workers < 1 || a.trials < 1 || a.repeats < 1) {
    throw std::invalid_argument("--workers, --trials and --repeats must be at least 1");
  }
  const fs::path base =
      a.dir.empty()
          ? fs::temp_directory_path() / ("autoaug_bench_coordinator_" + std::to_string(getpid()))
          : fs::path(a.dir);
  spdlog::set_level(spdlog::level::warn);
  std::vector<Run> runs;
  for (int i = 0; i < a.repeats; ++i) {
    runs.push_back(run_once(a, base / ("run" + std::to_string(i))));
    if (!a.json) {
      std::fprintf(stderr, "run %d: %d trials in %.3f s: %.0f trials/s, %llu commits\n", i,
                   runs.back().complete, runs.back().seconds, runs.back().trials_per_second,
                   static_cast<unsigned long long>(runs.back().commits));
    }
  }
  if (a.dir.empty()) fs::remove_all(base);
  std::vector<double> rates;
  for (const Run& r : runs) rates.push_back(r.trials_per_second);
  std::sort(rates.begin(), rates.end());
  const double median = rates[rates.size() / 2];
  if (a.json) {
    json out = {{"workers", a.workers},
                {"trials", a.trials},
                {"objective", "branin, in the worker process"},
                {"strategy", "random"},
                {"median_trials_per_second", median},
                {"runs", json::array()}};
    for (const Run& r : runs) {
      out["runs"].push_back({{"complete", r.complete},
                             {"seconds", r.seconds},
                             {"trials_per_second", r.trials_per_second},
                             {"commits", r.commits}});
    }
    std::cout << out.dump() << "\n";
  } else {
    std::printf("median: %.0f durable completed trials/s with %d workers (%d runs)\n", median,
                a.workers, a.repeats);
  }
}

}  // namespace

void add_bench_coordinator_command(CLI::App& bench) {
  auto a = std::make_shared<BenchCoordinatorArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "coordinator",
      "Completed trials per second through the coordinator with a trivial objective (each "
      "result durable before it is acknowledged)");
  cmd->add_option("--workers", a->workers, "Local worker processes")->capture_default_str();
  cmd->add_option("--trials", a->trials, "Trials per run")->capture_default_str();
  cmd->add_option("--repeats", a->repeats, "Runs; the median is reported")->capture_default_str();
  cmd->add_option("--dir", a->dir, "Keep the study databases here (default: a removed temp dir)");
  cmd->add_flag("--json", a->json, "One JSON object");
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace autoaug::tools
