// `autoaug bench search`: regret of each strategy on the reference problems, suggestion latency,
// and the original GP / RF / RF + random experiment on noisy peaks.

#include "tools/bench_search.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "search/benchmark/problems.h"
#include "search/benchmark/runner.h"
#include "search/strategy/model_strategy.h"
#include "search/strategy/strategy_factory.h"
#include "search/study.h"

namespace autoaug::tools {
namespace {

using search::BenchmarkProblem;
using search::Point;

struct BenchArgs {
  bool json = false;
  int seeds = 5;
  int evaluations = 100;
  std::vector<std::string> problems = search::benchmark_problem_names();
  std::vector<std::string> strategies = {"random", "gp", "rf", "rf-random"};
  bool skip_regret = false;
  bool skip_latency = false;
  bool skip_experiment = false;
  int experiment_seeds = 3;
  std::string plot;
};

std::string fmt(double v) {
  char buf[32];
  if (v != 0 && std::fabs(v) < 0.01) {
    std::snprintf(buf, sizeof(buf), "%.1e", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  }
  return buf;
}

std::string fmt_time(double s) {
  char buf[32];
  if (s >= 1) {
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f us", s * 1e6);
  }
  return buf;
}

void regret(const BenchArgs& a, nlohmann::json& out) {
  const int checkpoints[] = {25, 50, 100};
  out["regret"] = nlohmann::json::array();
  out["regret_oracle"] = nlohmann::json::array();
  out["run_seconds"] = nlohmann::json::array();
  for (const auto& name : a.problems) {
    const BenchmarkProblem problem = search::benchmark_problem(name, "--problems");
    std::ostringstream table;
    table << "\n"
          << name << " (f* = " << problem.f_star << "): median [q25, q75] of regret over "
          << a.seeds << " seeds" << (problem.noise_sd > 0 ? ", obs | oracle" : "") << "\n";
    for (const auto& strategy : a.strategies) {
      std::vector<search::BenchmarkRun> runs;
      for (int s = 0; s < a.seeds; ++s) {
        runs.push_back(search::run_benchmark(
            problem, search::make_strategy(strategy, s, 3, "--strategies"), a.evaluations, 1, s));
      }
      std::vector<double> times;
      for (const search::BenchmarkRun& r : runs) times.push_back(r.seconds);
      out["run_seconds"].push_back(
          {{"problem", name}, {"strategy", strategy}, {"median", search::percentile(times, 0.5)}});
      table << "  " << strategy << std::string(std::max<int>(1, 12 - strategy.size()), ' ');
      for (int c : checkpoints) {
        if (c > a.evaluations) continue;
        for (int oracle = 0; oracle < (problem.noise_sd > 0 ? 2 : 1); ++oracle) {
          std::vector<double> v;
          for (const search::BenchmarkRun& r : runs)
            v.push_back(oracle ? r.oracle[c - 1] : r.obs[c - 1]);
          const nlohmann::json cell = {{"problem", name},
                                       {"strategy", strategy},
                                       {"evaluations", c},
                                       {"median", search::percentile(v, 0.5)},
                                       {"q25", search::percentile(v, 0.25)},
                                       {"q75", search::percentile(v, 0.75)}};
          out[oracle ? "regret_oracle" : "regret"].push_back(cell);
          table << (oracle ? " | " : "  @" + std::to_string(c) + " ")
                << fmt(search::percentile(v, 0.5)) << " [" << fmt(search::percentile(v, 0.25))
                << ", " << fmt(search::percentile(v, 0.75)) << "]";
        }
      }
      table << "   (" << fmt_time(search::percentile(times, 0.5)) << " / run)\n";
      if (!a.json) std::cout << table.str() << std::flush;
      table.str("");
    }
  }
}

void latency(const BenchArgs& a, nlohmann::json& out) {
  const int observations[] = {10, 50, 100, 200};
  out["latency"] = nlohmann::json::array();
  if (!a.json)
    std::cout << "\nsuggestion latency (fit + acquisition, thread CPU time), median of 3\n";
  for (const auto& name : a.problems) {
    const BenchmarkProblem problem = search::benchmark_problem(name, "--problems");
    for (const auto& strategy : a.strategies) {
      if (strategy == "grid") continue;
      if (!a.json) std::cout << "  " << name << " " << strategy << ":";
      for (int n : observations) {
        std::vector<double> t;
        for (uint64_t r = 0; r < 3; ++r)
          t.push_back(search::suggestion_seconds(problem, strategy, n, r));
        const double ms = search::percentile(t, 0.5) * 1e3;
        out["latency"].push_back(
            {{"problem", name}, {"strategy", strategy}, {"observations", n}, {"suggest_ms", ms}});
        if (!a.json) std::cout << "  @" << n << " " << fmt_time(ms / 1e3);
      }
      if (!a.json) std::cout << "\n" << std::flush;
    }
  }
}

// The original exercise: GP and RF with EI, 5 initial points, 100 evaluations; RF + random in
// rounds of 3 (1 from RF-EI, 2 random, told together), 90 evaluations; noisy peaks, seeds 0..2
// (0..N-1 with --experiment-seeds N).
// Converged: the point with the best noisy observation within 0.2 of the true minimiser.
void experiment(const BenchArgs& a, nlohmann::json& out) {
  const BenchmarkProblem problem = search::benchmark_problem("peaks");
  out["experiment"] = nlohmann::json::array();
  if (!a.json) std::cout << "\noriginal experiment: noisy peaks, converged = within 0.2\n";
  for (const std::string strategy : {"gp", "rf", "rf-random"}) {
    int converged = 0;
    for (int r = 0; r < a.experiment_seeds; ++r) {
      search::ModelStrategyOptions o = search::model_strategy_options(strategy);
      o.n_initial = 5;
      const int evaluations = strategy == "rf-random" ? 90 : 100;
      const search::BenchmarkRun run =
          search::run_benchmark(problem, std::make_unique<search::ModelStrategy>(o, r, strategy),
                                evaluations, strategy == "rf-random" ? 3 : 1, r);
      const size_t best =
          std::min_element(run.observed.begin(), run.observed.end()) - run.observed.begin();
      auto dist = [&](const Point& p) {
        return std::hypot(p[0] - problem.minimiser[0], p[1] - problem.minimiser[1]);
      };
      const double d = dist(run.points[best]);
      int within = 0;
      double best_z = INFINITY;
      for (const Point& p : run.points) {
        within += dist(p) <= 0.2;
        best_z = std::min(best_z, problem.value(p));
      }
      converged += d <= 0.2;
      out["experiment"].push_back({{"strategy", strategy},
                                   {"seed", r},
                                   {"evaluations", evaluations},
                                   {"x", run.points[best]},
                                   {"distance", d},
                                   {"converged", d <= 0.2},
                                   {"z", problem.value(run.points[best])},
                                   {"best_evaluated_z", best_z},
                                   {"fraction_within", static_cast<double>(within) / evaluations}});
      if (!a.json) {
        std::printf(
            "  %-10s r=%d  x=(%.3f, %.3f)  dist %.3f  %s  z %.3f  best z %.3f  within %d%%\n",
            strategy.c_str(), r, run.points[best][0], run.points[best][1], d,
            d <= 0.2 ? "yes" : "no ", problem.value(run.points[best]), best_z,
            100 * within / evaluations);
      }
    }
    if (!a.json) {
      std::printf("  %s converged %d/%d\n", strategy.c_str(), converged, a.experiment_seeds);
    }
    std::fflush(stdout);
  }
}

// One run (seed 0) per strategy on each selected 2-D problem, drawn to DIR/PROBLEM_STRATEGY.png.
void plot(const BenchArgs& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.plot, ec);
  if (ec) throw std::invalid_argument("--plot: cannot create " + a.plot + ": " + ec.message());
  for (const auto& name : a.problems) {
    const BenchmarkProblem problem = search::benchmark_problem(name, "--problems");
    if (problem.space.size() != 2) continue;
    for (const auto& strategy : a.strategies) {
      const search::BenchmarkRun run = search::run_benchmark(
          problem, search::make_strategy(strategy, 0, 3, "--strategies"), a.evaluations, 1, 0);
      const std::string path = a.plot + "/" + name + "_" + strategy + ".png";
      plot_search(path, problem, run.points, run.observed);
      if (!a.json) std::cout << "wrote " << path << "\n";
    }
  }
}

void run_bench(const BenchArgs& a) {
  if (a.seeds < 1) throw std::invalid_argument("--seeds: must be >= 1");
  if (a.evaluations < 1) throw std::invalid_argument("--evaluations: must be >= 1");
  if (a.experiment_seeds < 1) throw std::invalid_argument("--experiment-seeds: must be >= 1");
  for (const auto& p : a.problems) search::benchmark_problem(p, "--problems");
  for (const auto& s : a.strategies) search::make_strategy(s, 0, 3, "--strategies");
  nlohmann::json out = nlohmann::json::object();
  if (!a.plot.empty()) plot(a);
  if (!a.skip_regret) regret(a, out);
  if (!a.skip_latency) latency(a, out);
  if (!a.skip_experiment) experiment(a, out);
  if (a.json) std::cout << out.dump() << "\n";
}

}  // namespace

void add_bench_search_command(CLI::App& bench) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "search", "Optimizer benchmark: regret on peaks/branin/hartmann6/policy30, latency");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_option("--seeds", args->seeds, "Seeds per problem and strategy")->capture_default_str();
  cmd->add_option("--evaluations", args->evaluations, "Evaluations per run")->capture_default_str();
  cmd->add_option("--problems", args->problems, "Problems to run")->delimiter(',');
  cmd->add_option("--strategies", args->strategies, "Strategies to compare")->delimiter(',');
  cmd->add_flag("--no-regret", args->skip_regret, "Skip the regret runs");
  cmd->add_flag("--no-latency", args->skip_latency, "Skip the latency measurements");
  cmd->add_flag("--no-experiment", args->skip_experiment, "Skip the original noisy-peaks runs");
  cmd->add_option("--experiment-seeds", args->experiment_seeds,
                  "Seeds of the original noisy-peaks runs (0..N-1)")
      ->capture_default_str();
  cmd->add_option("--plot", args->plot, "Directory for PNG plots of the 2-D problems");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace autoaug::tools
