// `autoaug bench search`: regret of each strategy on the reference problems or on the whole suite
// (against uniform random search and Optuna's TPE), suggestion latency, and the original GP / RF /
// RF + random experiment on noisy peaks. `autoaug bench problem`: one problem as a line-oriented
// evaluator, through which the TPE reference script evaluates the same definitions.

#include "tools/bench_search.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "search/benchmark/problems.h"
#include "search/benchmark/runner.h"
#include "search/benchmark/suite.h"
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
  bool suite = false;    // the whole suite at 20, 40 and 100 evaluations, with the summary
  bool tpe = false;      // run the TPE reference script (suite only)
  std::string tpe_json;  // or read its output from this file
  std::string tpe_script = "search/benchmark/tpe_reference.py";
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
            problem, search::make_strategy(strategy, s, search::kDefaultInterleave, "--strategies"),
            a.evaluations, 1, s));
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
      // Rounds of 3 by definition: k = 3 whatever the default.
      search::ModelStrategyOptions o = search::model_strategy_options(strategy, 3);
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
          problem, search::make_strategy(strategy, 0, search::kDefaultInterleave, "--strategies"),
          a.evaluations, 1, 0);
      const std::string path = a.plot + "/" + name + "_" + strategy + ".png";
      plot_search(path, problem, run.points, run.observed);
      if (!a.json) std::cout << "wrote " << path << "\n";
    }
  }
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string joined(const std::vector<std::string>& names) {
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ",") + n;
  return all;
}

// The TPE reference's output: read from --tpe-json, or made by running the reference script,
// which evaluates its points through `autoaug bench problem`, i.e. this executable.
nlohmann::json tpe_output(const BenchArgs& a) {
  if (!a.tpe_json.empty()) {
    std::ifstream in(a.tpe_json);
    if (!in) throw std::invalid_argument("--tpe-json: cannot read " + a.tpe_json);
    return nlohmann::json::parse(in);
  }
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe");
  const std::string cmd = "/usr/bin/python3 " + shell_quote(a.tpe_script) + " --autoaug " +
                          shell_quote(exe) + " --problems " + joined(a.problems) + " --seeds " +
                          std::to_string(a.seeds) + " --evaluations " +
                          std::to_string(a.evaluations);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + cmd);
  std::string text;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  if (pclose(pipe) != 0) throw std::runtime_error("the TPE reference failed: " + cmd);
  return nlohmann::json::parse(text);
}

// The TPE runs of the selected problems, seeds 0..seeds-1; every one must be there.
std::vector<search::SuiteCell> tpe_cells(const BenchArgs& a) {
  const nlohmann::json out = tpe_output(a);
  std::vector<search::SuiteCell> cells;
  for (const auto& name : a.problems) {
    search::SuiteCell cell{name, "tpe", {}, {}};
    for (const auto& r : out.at("runs")) {
      if (r.at("problem") != name || r.at("seed").get<int>() >= a.seeds) continue;
      cell.regret.push_back(r.at("regret").get<std::vector<double>>());
      cell.seconds.push_back(r.at("seconds").get<double>());
      if (static_cast<int>(cell.regret.back().size()) < a.evaluations) cell.regret.pop_back();
    }
    if (static_cast<int>(cell.regret.size()) != a.seeds) {
      throw std::invalid_argument(
          "TPE reference: " + name + " has " + std::to_string(cell.regret.size()) + " runs of " +
          std::to_string(a.evaluations) + " evaluations, need " + std::to_string(a.seeds));
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

// One markdown table: the median regret over seeds of every strategy on every problem.
void print_suite_table(const std::vector<search::SuiteCell>& cells,
                       const std::vector<std::string>& columns, int evaluations) {
  std::cout << "\nmedian regret over seeds at " << evaluations << " evaluations\n\n| problem |";
  for (const auto& c : columns) std::cout << " " << c << " |";
  std::cout << "\n|---|";
  for (size_t i = 0; i < columns.size(); ++i) std::cout << "---|";
  std::string problem;
  for (const search::SuiteCell& cell : cells) {
    if (cell.problem != problem) {
      problem = cell.problem;
      std::cout << "\n| " << problem << " |";
      for (const auto& c : columns) {
        for (const search::SuiteCell& other : cells) {
          if (other.problem == problem && other.strategy == c) {
            std::cout << " " << fmt(search::median_regret(other, evaluations)) << " |";
          }
        }
      }
    }
  }
  std::cout << "\n";
}

void print_suite_summary(const std::vector<search::SuiteSummary>& summary) {
  std::cout << "\nsummary (median regret over seeds; normalised by random search at "
            << summary.front().evaluations << " evaluations)\n\n";
  for (const search::SuiteSummary& s : summary) {
    std::printf(
        "  %-10s @%-3d beats random %2d/%d (ties %d), beats tpe %2d/%d (ties %d), "
        "mean normalised regret %.3f",
        s.strategy.c_str(), s.evaluations, s.beats_random, s.problems, s.ties_random,
        s.beats_reference, s.reference_problems, s.ties_reference, s.mean_normalised);
    if (!s.worse_than_random.empty())
      std::printf("; worse than random: %s", joined(s.worse_than_random).c_str());
    std::printf("\n");
  }
  std::fflush(stdout);
}

// Every selected strategy on every selected problem (seeds 0..seeds-1), the TPE reference when
// asked for, the tables at 20, 40 and 100 evaluations and the summary.
void suite(const BenchArgs& a, nlohmann::json& out) {
  const std::vector<int> budgets = {20, 40, 100};
  // The reference first: a missing or short --tpe-json fails before the long runs, not after.
  std::vector<search::SuiteCell> cells;
  std::vector<std::string> columns = a.strategies;
  if (a.tpe || !a.tpe_json.empty()) {
    cells = tpe_cells(a);
    columns.insert(columns.begin() + (columns.front() == "random" ? 1 : 0), "tpe");
  }
  for (const auto& name : a.problems) {
    const BenchmarkProblem problem = search::benchmark_problem(name, "--problems");
    for (const auto& strategy : a.strategies) {
      search::SuiteCell cell{name, strategy, {}, {}};
      for (int s = 0; s < a.seeds; ++s) {
        search::BenchmarkRun run = search::run_benchmark(
            problem, search::make_strategy(strategy, s, search::kDefaultInterleave, "--strategies"),
            a.evaluations, 1, s);
        cell.regret.push_back(std::move(run.obs));
        cell.seconds.push_back(run.seconds);
      }
      cells.push_back(std::move(cell));
    }
    std::cerr << "suite: " << name << " done\n";
  }
  std::stable_sort(cells.begin(), cells.end(), [&](const auto& x, const auto& y) {
    return std::find(a.problems.begin(), a.problems.end(), x.problem) <
           std::find(a.problems.begin(), a.problems.end(), y.problem);
  });
  const auto summary = search::summarise_suite(cells, budgets);
  out["suite"] = nlohmann::json::array();
  for (int b : budgets) {
    for (const search::SuiteCell& c : cells) {
      std::vector<double> v;
      for (const auto& curve : c.regret) v.push_back(curve[b - 1]);
      out["suite"].push_back({{"problem", c.problem},
                              {"strategy", c.strategy},
                              {"evaluations", b},
                              {"median", search::percentile(v, 0.5)},
                              {"q25", search::percentile(v, 0.25)},
                              {"q75", search::percentile(v, 0.75)},
                              {"run_seconds", search::percentile(c.seconds, 0.5)}});
    }
    if (!a.json) print_suite_table(cells, columns, b);
  }
  out["suite_summary"] = nlohmann::json::array();
  for (const auto& s : summary) {
    out["suite_summary"].push_back({{"strategy", s.strategy},
                                    {"evaluations", s.evaluations},
                                    {"problems", s.problems},
                                    {"beats_random", s.beats_random},
                                    {"ties_random", s.ties_random},
                                    {"beats_tpe", s.beats_reference},
                                    {"ties_tpe", s.ties_reference},
                                    {"mean_normalised_regret", s.mean_normalised},
                                    {"worse_than_random", s.worse_than_random}});
  }
  if (!a.json) print_suite_summary(summary);
}

// `autoaug bench problem`: the observation noise is the stream of run_benchmark's run with the
// same seed, drawn in evaluation order.
void serve_problem(const std::string& name, uint64_t seed) {
  const BenchmarkProblem problem = search::benchmark_problem(name, "name");
  std::mt19937_64 noise = search::observation_noise(seed);
  std::cout << nlohmann::json{{"space", problem.space.to_json()},
                              {"f_star", problem.f_star},
                              {"noise_sd", problem.noise_sd}}
                   .dump()
            << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    const Point p = problem.space.from_params(nlohmann::json::parse(line));
    const double y = problem.observe(p, noise);
    std::cout
        << nlohmann::json{{"observed", y}, {"regret", problem.value(p) - problem.f_star}}.dump()
        << std::endl;
  }
}

void run_bench(const BenchArgs& a) {
  if (a.seeds < 1) throw std::invalid_argument("--seeds: must be >= 1");
  if (a.evaluations < 1) throw std::invalid_argument("--evaluations: must be >= 1");
  if (a.experiment_seeds < 1) throw std::invalid_argument("--experiment-seeds: must be >= 1");
  if (a.suite && a.evaluations < 100) {
    throw std::invalid_argument("--evaluations: the suite reads 100 evaluations, got " +
                                std::to_string(a.evaluations));
  }
  for (const auto& p : a.problems) search::benchmark_problem(p, "--problems");
  for (const auto& s : a.strategies)
    search::make_strategy(s, 0, search::kDefaultInterleave, "--strategies");
  nlohmann::json out = nlohmann::json::object();
  if (!a.plot.empty()) plot(a);
  if (!a.skip_regret) a.suite ? suite(a, out) : regret(a, out);
  if (!a.skip_latency) latency(a, out);
  if (!a.skip_experiment) experiment(a, out);
  if (a.json) std::cout << out.dump() << "\n";
}

}  // namespace

void add_bench_search_command(CLI::App& bench) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "search", "Optimizer benchmark: regret on the reference problems or the suite, latency");
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
  cmd->add_flag("--suite", args->suite,
                "Every problem (or --problems) at 20, 40 and 100 evaluations, 10 seeds unless "
                "--seeds, with a summary against random search (and TPE with --tpe/--tpe-json)");
  cmd->add_flag("--tpe", args->tpe, "Suite: run Optuna's TPE as the reference (--tpe-script)");
  cmd->add_option("--tpe-json", args->tpe_json, "Suite: read the TPE reference from this file");
  cmd->add_option("--tpe-script", args->tpe_script, "The TPE reference script")
      ->capture_default_str();
  cmd->callback([args, cmd] {
    BenchArgs a = *args;
    if (a.suite && cmd->count("--problems") == 0) a.problems = search::benchmark_suite_names();
    if (a.suite && cmd->count("--seeds") == 0) a.seeds = 10;
    if (a.suite && cmd->count("--strategies") == 0) a.strategies = {"random", "gp", "rf-random"};
    run_bench(a);
  });

  auto problem = std::make_shared<std::pair<std::string, uint64_t>>("", 0);
  CLI::App* eval = bench.add_subcommand(
      "problem",
      "One benchmark problem as an evaluator: prints {\"space\", \"f_star\", \"noise_sd\"}, "
      "then for each line of parameters (JSON by name) on stdin {\"observed\", \"regret\"}");
  eval->add_option("name", problem->first, "The problem")->required();
  eval->add_option("--seed", problem->second, "Seed of the observation noise")
      ->capture_default_str();
  eval->callback([problem] { serve_problem(problem->first, problem->second); });
}

}  // namespace autoaug::tools
