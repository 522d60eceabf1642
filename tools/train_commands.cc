// autoaug train | evaluate: final training with a policy, and the comparison of policies under
// one budget and the same seeds.

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/presets.h"
#include "data/data_source.h"
#include "models/experiment.h"
#include "tools/commands.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

std::vector<std::string> split_list(const std::string& text, const char* option) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty())
      throw std::invalid_argument(std::string(option) + ": empty item in '" + text + "'");
    items.push_back(item);
  }
  if (items.empty()) throw std::invalid_argument(std::string(option) + ": no items");
  return items;
}

void run_train(const TrainArgs& a, const std::string& policy_name, const std::string& save) {
  const models::ExperimentOptions options = experiment_options(a);
  const augment::Policy policy = augment::load_policy(policy_name);
  models::Experiment experiment(data::open_data_source(a.data), options);
  const models::ExperimentResult r = experiment.run(policy, a.seed, save);
  const std::string key = a.proxy ? "val_accuracy" : "test_accuracy";
  if (a.json) {
    nlohmann::json out = {{"ok", r.ok},
                          {"data", a.data},
                          {"policy", policy_name},
                          {"model", a.model},
                          {"width", a.width},
                          {"epochs", a.epochs},
                          {"seed", a.seed},
                          {"threads", a.threads},
                          {"train_examples", r.train_examples},
                          {"scored_on", r.scored_on},
                          {"scored_examples", r.scored_examples},
                          {"seconds", r.train.seconds},
                          {"images_per_second", r.train.train_images_per_second},
                          {"history", epochs_json(r.train)}};
    if (r.ok) {
      out[key] = r.accuracy;
      out[a.proxy ? "val_loss" : "test_loss"] = r.train.eval.loss;
    } else {
      out["error"] = r.error;
    }
    if (!save.empty() && r.ok) out["saved"] = save;
    std::printf("%s\n", out.dump().c_str());
  } else if (r.ok) {
    std::printf("%s %.4f (%zu images) after %d epochs on %zu images: %.1f s, %.0f train images/s\n",
                a.proxy ? "proxy-val accuracy" : "test accuracy", r.accuracy, r.scored_examples,
                a.epochs, r.train_examples, r.train.seconds, r.train.train_images_per_second);
    if (!save.empty()) std::printf("saved %s\n", save.c_str());
  }
  if (!r.ok) throw std::runtime_error("training failed: " + r.error);
}

// One training of an evaluation: policy `policy` (an index) with seed `seed`.
struct Run {
  std::size_t policy = 0;
  std::uint64_t seed = 0;
};

struct RunResult {
  bool ok = false;
  double accuracy = 0.0;
  double seconds = 0.0;
  std::string error;
};

RunResult run_one(const models::Experiment& experiment, const augment::Policy& policy,
                  std::uint64_t seed) {
  const models::ExperimentResult r = experiment.run(policy, seed);
  return {r.ok, r.accuracy, r.train.seconds, r.error};
}

// Runs one training in a forked child, which sends its result back as JSON through a pipe. The
// parent has run no training yet (LibTorch has started no threads), so fork is safe.
std::pair<pid_t, int> fork_run(const models::Experiment& experiment, const augment::Policy& policy,
                               std::uint64_t seed) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    RunResult r;
    try {
      r = run_one(experiment, policy, seed);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    const std::string out = nlohmann::json{
        {"ok", r.ok},
        {"accuracy", r.accuracy},
        {"seconds", r.seconds},
        {"error", r.error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const bool sent = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
    ::_exit(sent ? 0 : 1);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads what a finished child sent; a child that died or sent nothing is a failed run.
RunResult collect_run(int fd, int status) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(fd);
  if (WIFSIGNALED(status)) {
    return {false, 0, 0, "training process killed by signal " + std::to_string(WTERMSIG(status))};
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    return {j.at("ok"), j.at("accuracy"), j.at("seconds"), j.at("error")};
  } catch (const nlohmann::json::exception&) {
    return {false, 0, 0,
            "training process exited with status " + std::to_string(WEXITSTATUS(status)) +
                " and no result"};
  }
}

// Runs every run, `jobs` at a time in child processes (jobs 1: here, one after the other).
// Results come back in the order of `runs`, whatever order they finish in: each run is a
// function of its policy and seed alone, so any `jobs` gives the same numbers. `done` is called
// in this process after each run with its index.
std::vector<RunResult> run_all(const models::Experiment& experiment,
                               const std::vector<augment::Policy>& policies,
                               const std::vector<Run>& runs, int jobs,
                               const std::function<void(std::size_t, const RunResult&)>& done) {
  std::vector<RunResult> results(runs.size());
  if (jobs == 1) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      results[i] = run_one(experiment, policies[runs[i].policy], runs[i].seed);
      done(i, results[i]);
    }
    return results;
  }
  std::map<pid_t, std::pair<std::size_t, int>> running;  // pid -> (run, pipe)
  std::size_t next = 0;
  while (next < runs.size() || !running.empty()) {
    while (next < runs.size() && running.size() < static_cast<std::size_t>(jobs)) {
      const auto [pid, fd] = fork_run(experiment, policies[runs[next].policy], runs[next].seed);
      running[pid] = {next++, fd};
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto [index, fd] = it->second;
    running.erase(it);
    results[index] = collect_run(fd, status);
    done(index, results[index]);
  }
  return results;
}

struct PolicySummary {
  std::vector<double> accuracies;
  std::vector<std::string> errors;
  double seconds = 0.0;
  double mean = 0.0;
  double std_dev = 0.0;
};

std::vector<PolicySummary> summarise(const std::vector<Run>& runs,
                                     const std::vector<RunResult>& results, std::size_t n) {
  std::vector<PolicySummary> out(n);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    PolicySummary& s = out[runs[i].policy];
    s.seconds += results[i].seconds;
    if (results[i].ok) {
      s.accuracies.push_back(results[i].accuracy);
    } else {
      s.errors.push_back("seed " + std::to_string(runs[i].seed) + ": " + results[i].error);
    }
  }
  for (PolicySummary& s : out) {
    double var = 0.0;
    for (double x : s.accuracies) s.mean += x;
    if (!s.accuracies.empty()) s.mean /= static_cast<double>(s.accuracies.size());
    for (double x : s.accuracies) var += (x - s.mean) * (x - s.mean);
    s.std_dev =
        s.accuracies.size() > 1 ? std::sqrt(var / static_cast<double>(s.accuracies.size() - 1)) : 0;
  }
  return out;
}

void print_table(const TrainArgs& a, const std::vector<std::string>& names,
                 const std::vector<PolicySummary>& summaries, std::size_t train_examples,
                 int num_seeds) {
  if (a.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t p = 0; p < names.size(); ++p) {
      const PolicySummary& s = summaries[p];
      nlohmann::json item = {{"policy", names[p]},
                             {"mean", s.mean},
                             {"std", s.std_dev},
                             {"accuracies", s.accuracies},
                             {"runs", s.accuracies.size()},
                             {"seconds", s.seconds}};
      if (!s.errors.empty()) item["errors"] = s.errors;
      results.push_back(item);
    }
    const nlohmann::json out = {{"data", a.data},     {"model", a.model},
                                {"width", a.width},   {"epochs", a.epochs},
                                {"seeds", num_seeds}, {"scored_on", a.proxy ? "proxy-val" : "test"},
                                {"results", results}};
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf("%s accuracy, %s, width %.2f, %d epochs on %zu images, %d seeds\n",
              a.proxy ? "proxy-val" : "test", a.model.c_str(), a.width, a.epochs, train_examples,
              num_seeds);
  std::printf("%-28s %8s %8s %6s %9s\n", "policy", "mean", "std", "runs", "seconds");
  for (std::size_t p = 0; p < names.size(); ++p) {
    const PolicySummary& s = summaries[p];
    std::printf("%-28s %8.4f %8.4f %6zu %9.1f\n", names[p].c_str(), s.mean, s.std_dev,
                s.accuracies.size(), s.seconds);
    for (const std::string& e : s.errors) std::printf("  failed: %s\n", e.c_str());
  }
}

void run_evaluate(const TrainArgs& a, const std::string& policies_text, int num_seeds, int jobs) {
  if (num_seeds < 1 || num_seeds > 1000) {
    throw std::invalid_argument("--seeds: " + std::to_string(num_seeds) + " is outside 1..1000");
  }
  if (jobs < 1 || jobs > 1024) {
    throw std::invalid_argument("--jobs: " + std::to_string(jobs) + " is outside 1..1024");
  }
  models::ExperimentOptions options = experiment_options(a);
  options.trainer.progress = !a.json && jobs == 1;  // runs side by side would garble it
  const std::vector<std::string> names = split_list(policies_text, "--policies");
  std::vector<augment::Policy> policies;
  for (const std::string& name : names) policies.push_back(augment::load_policy(name));
  const models::Experiment experiment(data::open_data_source(a.data), options);
  std::vector<Run> runs;
  for (std::size_t p = 0; p < policies.size(); ++p) {
    for (int k = 0; k < num_seeds; ++k) runs.push_back({p, a.seed + static_cast<std::uint64_t>(k)});
  }
  const auto started = std::chrono::steady_clock::now();
  std::size_t finished = 0;
  const std::vector<RunResult> results =
      run_all(experiment, policies, runs, jobs, [&](std::size_t i, const RunResult& r) {
        if (a.json) return;
        ++finished;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double left =
            elapsed / static_cast<double>(finished) * static_cast<double>(runs.size() - finished);
        char outcome[64];
        std::snprintf(outcome, sizeof outcome, r.ok ? "%.4f" : "failed", r.accuracy);
        std::fprintf(stderr,
                     "run %zu of %zu done: %s, seed %llu: %s; %.0f s elapsed, ~%.0f s left\n",
                     finished, runs.size(), names[runs[i].policy].c_str(),
                     static_cast<unsigned long long>(runs[i].seed), outcome, elapsed, left);
      });
  print_table(a, names, summarise(runs, results, names.size()), experiment.train_examples(),
              num_seeds);
}

}  // namespace

void add_train_commands(CLI::App& app, CLI::App& bench) {
  auto train_args = std::make_shared<TrainArgs>();
  auto policy = std::make_shared<std::string>("none");
  auto save = std::make_shared<std::string>();
  CLI::App* train = app.add_subcommand(
      "train", "Train a model with a policy; prints test (or --proxy: proxy-val) accuracy");
  add_train_options(*train, *train_args);
  train->add_option("--policy", *policy, "Policy file, preset name, or none")
      ->capture_default_str();
  train->add_option("--save", *save, "Write the trained weights (LibTorch archive) here");
  train->callback([=] { run_train(*train_args, *policy, *save); });

  auto eval_args = std::make_shared<TrainArgs>();
  auto policies =
      std::make_shared<std::string>("none,randaugment,trivialaugment,autoaugment-cifar10");
  auto seeds = std::make_shared<int>(3);
  CLI::App* evaluate = app.add_subcommand(
      "evaluate", "Train each policy with the same budget and seeds; table of mean and std");
  add_train_options(*evaluate, *eval_args);
  evaluate->add_option("--policies", *policies, "Comma-separated policy files or preset names")
      ->capture_default_str();
  evaluate->add_option("--seeds", *seeds, "Runs per policy, seeds --seed, --seed+1, ...")
      ->capture_default_str();
  auto jobs = std::make_shared<int>(1);
  evaluate
      ->add_option("--jobs", *jobs,
                   "Trainings run side by side in child processes (same numbers as 1)")
      ->capture_default_str();
  evaluate->callback([=] { run_evaluate(*eval_args, *policies, *seeds, *jobs); });

  add_bench_train_command(bench);
}

}  // namespace autoaug::tools
