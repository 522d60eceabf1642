// `autoaug bench coordinator`: completed trials per second through the coordinator, with a
// trivial objective and worker threads of this process over loopback, and how long workers wait
// for the acknowledgement of a result. Every result is acknowledged only after its group commit,
// so the figure counts durable results.

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
#include <thread>
#include <vector>

#include "search/benchmark/problems.h"
#include "search/benchmark/runner.h"
#include "search/net/auth.h"
#include "search/net/coordinator.h"
#include "search/net/worker_client.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tools/commands.h"
#include "tools/policy_study.h"
#include "tools/worker_objectives.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct BenchCoordinatorArgs {
  int workers = 16;
  int trials = 20000;
  int repeats = 3;
  std::string strategy = "random";
  std::string dir;
  bool json = false;
};

struct Run {
  double seconds = 0;  // first lease to last completion, from the store's event times
  int complete = 0;
  double trials_per_second = 0;
  std::uint64_t commits = 0;
  double ack_p50 = 0, ack_p99 = 0, ack_max = 0;  // seconds, over every worker's results
};

// The coordinator serving `study` to `workers` worker threads (net::run_worker, the problem
// objective) until `trials` are complete; each worker's summary, with its reply times.
std::vector<net::WorkerSummary> serve_with_worker_threads(search::Study& study,
                                                          search::StudyStore& store,
                                                          const json& objective, int workers,
                                                          int trials,
                                                          net::CoordinatorSummary& summary) {
  net::CoordinatorOptions o;
  o.token = net::random_token_hex();
  o.target_complete = trials;
  net::Coordinator coordinator(study, store, objective, o);
  const net::ObjectiveFactory factory = worker_objective_factory(1, false);
  std::vector<net::WorkerSummary> summaries(static_cast<std::size_t>(workers));
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      net::WorkerOptions w;
      w.host = o.host;
      w.port = coordinator.port();
      w.token = o.token;
      w.name = "bench-" + std::to_string(i);
      summaries[static_cast<std::size_t>(i)] = net::run_worker(w, factory);
    });
  }
  summary = coordinator.run();
  for (std::thread& t : threads) t.join();
  return summaries;
}

Run run_once(const BenchCoordinatorArgs& a, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const search::BenchmarkProblem problem = search::benchmark_problem("branin");
  const json config = {{"kind", kOptimizeStudyKind},
                       {"search_space", problem.space.to_json()},
                       {"strategy", a.strategy},
                       {"interleave", 3},
                       {"seed", 0},
                       {"direction", "minimize"},
                       {"trials", a.trials},
                       {"objective", {{"kind", "problem"}, {"name", "branin"}}}};
  search::StudyStore store = search::StudyStore::create((dir / kStudyDatabase).string(), config);
  auto study = search::study_from_config(config, "bench");
  net::CoordinatorSummary s;
  const std::vector<net::WorkerSummary> workers =
      serve_with_worker_threads(*study, store, config["objective"], a.workers, a.trials, s);
  std::vector<double> acks;
  for (const net::WorkerSummary& w : workers) {
    acks.insert(acks.end(), w.reply_seconds.begin(), w.reply_seconds.end());
  }
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
  if (!acks.empty()) {
    r.ack_p50 = search::percentile(acks, 0.5);
    r.ack_p99 = search::percentile(acks, 0.99);
    r.ack_max = *std::max_element(acks.begin(), acks.end());
  }
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
  search::make_strategy(a.strategy, 0, 3, "--strategy");  // validates the name
  std::vector<Run> runs;
  for (int i = 0; i < a.repeats; ++i) {
    runs.push_back(run_once(a, base / ("run" + std::to_string(i))));
    const Run& r = runs.back();
    if (!a.json) {
      std::fprintf(stderr,
                   "run %d: %d trials in %.3f s: %.0f trials/s, %llu commits; result "
                   "acknowledged in %.2f ms (median), %.2f ms (99th percentile), %.2f ms (max)\n",
                   i, r.complete, r.seconds, r.trials_per_second,
                   static_cast<unsigned long long>(r.commits), 1e3 * r.ack_p50, 1e3 * r.ack_p99,
                   1e3 * r.ack_max);
    }
  }
  if (a.dir.empty()) fs::remove_all(base);
  auto median_of = [&](double Run::*field) {
    std::vector<double> v;
    for (const Run& r : runs) v.push_back(r.*field);
    return search::percentile(v, 0.5);
  };
  const double median = median_of(&Run::trials_per_second);
  if (a.json) {
    json out = {{"workers", a.workers},
                {"trials", a.trials},
                {"objective", "branin, in worker threads of this process"},
                {"strategy", a.strategy},
                {"median_trials_per_second", median},
                {"median_ack_p50_ms", 1e3 * median_of(&Run::ack_p50)},
                {"median_ack_p99_ms", 1e3 * median_of(&Run::ack_p99)},
                {"runs", json::array()}};
    for (const Run& r : runs) {
      out["runs"].push_back({{"complete", r.complete},
                             {"seconds", r.seconds},
                             {"trials_per_second", r.trials_per_second},
                             {"commits", r.commits},
                             {"ack_p50_ms", 1e3 * r.ack_p50},
                             {"ack_p99_ms", 1e3 * r.ack_p99},
                             {"ack_max_ms", 1e3 * r.ack_max}});
    }
    std::cout << out.dump() << "\n";
  } else {
    std::printf(
        "median: %.0f durable completed trials/s with %d workers (%d runs, strategy %s); result "
        "acknowledged in %.2f ms (median), %.2f ms (99th percentile)\n",
        median, a.workers, a.repeats, a.strategy.c_str(), 1e3 * median_of(&Run::ack_p50),
        1e3 * median_of(&Run::ack_p99));
  }
}

}  // namespace

void add_bench_coordinator_command(CLI::App& bench) {
  auto a = std::make_shared<BenchCoordinatorArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "coordinator",
      "Completed trials per second through the coordinator with a trivial objective (each "
      "result durable before it is acknowledged)");
  cmd->add_option("--workers", a->workers, "Worker threads, each with its own connection")
      ->capture_default_str();
  cmd->add_option("--trials", a->trials, "Trials per run")->capture_default_str();
  cmd->add_option("--repeats", a->repeats, "Runs; the median is reported")->capture_default_str();
  cmd->add_option("--strategy", a->strategy,
                  "Strategy proposing the trials (gp: proposals that take tens of ms)")
      ->capture_default_str();
  cmd->add_option("--dir", a->dir, "Keep the study databases here (default: a removed temp dir)");
  cmd->add_flag("--json", a->json, "One JSON object");
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace autoaug::tools
