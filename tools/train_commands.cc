// autoaug train | evaluate: final training with a policy, and the comparison of policies under
// one budget and the same seeds.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
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

void run_evaluate(const TrainArgs& a, const std::string& policies_text, int num_seeds) {
  if (num_seeds < 1 || num_seeds > 1000) {
    throw std::invalid_argument("--seeds: " + std::to_string(num_seeds) + " is outside 1..1000");
  }
  const models::ExperimentOptions options = experiment_options(a);
  const std::vector<std::string> names = split_list(policies_text, "--policies");
  std::vector<augment::Policy> policies;
  for (const std::string& name : names) policies.push_back(augment::load_policy(name));
  models::Experiment experiment(data::open_data_source(a.data), options);
  nlohmann::json results = nlohmann::json::array();
  if (!a.json) {
    std::printf("%s accuracy, %s, width %.2f, %d epochs on %zu images, %d seeds\n",
                a.proxy ? "proxy-val" : "test", a.model.c_str(), a.width, a.epochs,
                experiment.train_examples(), num_seeds);
    std::printf("%-28s %8s %8s %6s %9s\n", "policy", "mean", "std", "runs", "seconds");
  }
  for (std::size_t p = 0; p < policies.size(); ++p) {
    std::vector<double> accuracies;
    std::vector<std::string> errors;
    double seconds = 0.0;
    for (int k = 0; k < num_seeds; ++k) {
      const models::ExperimentResult r =
          experiment.run(policies[p], a.seed + static_cast<std::uint64_t>(k));
      seconds += r.train.seconds;
      if (r.ok) {
        accuracies.push_back(r.accuracy);
      } else {
        errors.push_back("seed " + std::to_string(a.seed + k) + ": " + r.error);
      }
    }
    double mean = 0.0, var = 0.0;
    for (double x : accuracies) mean += x;
    if (!accuracies.empty()) mean /= static_cast<double>(accuracies.size());
    for (double x : accuracies) var += (x - mean) * (x - mean);
    const double std_dev =
        accuracies.size() > 1 ? std::sqrt(var / static_cast<double>(accuracies.size() - 1)) : 0.0;
    if (a.json) {
      nlohmann::json item = {{"policy", names[p]},
                             {"mean", mean},
                             {"std", std_dev},
                             {"accuracies", accuracies},
                             {"runs", accuracies.size()},
                             {"seconds", seconds}};
      if (!errors.empty()) item["errors"] = errors;
      results.push_back(item);
    } else {
      std::printf("%-28s %8.4f %8.4f %6zu %9.1f\n", names[p].c_str(), mean, std_dev,
                  accuracies.size(), seconds);
      for (const std::string& e : errors) std::printf("  failed: %s\n", e.c_str());
      std::fflush(stdout);
    }
  }
  if (a.json) {
    nlohmann::json out = {{"data", a.data},     {"model", a.model},
                          {"width", a.width},   {"epochs", a.epochs},
                          {"seeds", num_seeds}, {"scored_on", a.proxy ? "proxy-val" : "test"},
                          {"results", results}};
    std::printf("%s\n", out.dump().c_str());
  }
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
  evaluate->callback([=] { run_evaluate(*eval_args, *policies, *seeds); });

  add_bench_train_command(bench);
}

}  // namespace autoaug::tools
