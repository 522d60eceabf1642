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

namespace autoaug::tools {
namespace {

// What train and evaluate share: the data set, the network and the budget.
struct TrainArgs {
  std::string data = "fashion-mnist";
  std::string model = "mobilenetv2";
  double width = 0.5;
  int epochs = 10;
  std::size_t train_size = 0;
  std::size_t val_size = 0;
  bool proxy = false;
  std::uint64_t seed = 0;
  std::uint64_t split_seed = 0;
  int threads = 1;
  int loader_threads = 1;
  int batch_size = 128;
  double lr = 0.1;
  double weight_decay = 5e-4;
  double warmup_epochs = 1.0;
  double label_smoothing = 0.0;
  bool channels_last = false;
  std::string device = "auto";
  bool json = false;
};

void add_train_options(CLI::App& cmd, TrainArgs& a) {
  cmd.add_option("--data", a.data, "Data set:\n" + data::data_source_help())->capture_default_str();
  cmd.add_option("--model", a.model, "mobilenetv2 or tinycnn")->capture_default_str();
  cmd.add_option("--width", a.width, "MobileNetV2 width multiplier, 0.25..1.0")
      ->capture_default_str();
  cmd.add_option("--epochs", a.epochs, "Training epochs")->capture_default_str();
  cmd.add_option("--train-size", a.train_size,
                 "Training examples, a stratified subset (0: all; with --proxy: 4000)")
      ->capture_default_str();
  cmd.add_option("--val-size", a.val_size, "Proxy-val examples with --proxy (0: 1000)")
      ->capture_default_str();
  cmd.add_flag("--proxy", a.proxy,
               "Score on proxy-val (held out from the training set) instead of the test set");
  cmd.add_option("--seed", a.seed, "Seed of the initialisation, order and augmentation")
      ->capture_default_str();
  cmd.add_option("--split-seed", a.split_seed, "Seed of the stratified subsets")
      ->capture_default_str();
  cmd.add_option("--threads", a.threads, "LibTorch intra-op threads")->capture_default_str();
  cmd.add_option("--loader-threads", a.loader_threads, "Loader worker threads (augmentation)")
      ->capture_default_str();
  cmd.add_option("--batch-size", a.batch_size, "Batch size")->capture_default_str();
  cmd.add_option("--lr", a.lr, "Peak learning rate (SGD, nesterov momentum 0.9)")
      ->capture_default_str();
  cmd.add_option("--weight-decay", a.weight_decay, "Weight decay")->capture_default_str();
  cmd.add_option("--warmup-epochs", a.warmup_epochs, "Linear warm-up before the cosine decay")
      ->capture_default_str();
  cmd.add_option("--label-smoothing", a.label_smoothing, "Label smoothing, 0..1")
      ->capture_default_str();
  cmd.add_flag("--channels-last", a.channels_last, "Channels-last memory format");
  cmd.add_option("--device", a.device, "auto, cpu or cuda")->capture_default_str();
  cmd.add_flag("--json", a.json, "Print one JSON object");
}

models::ExperimentOptions experiment_options(const TrainArgs& a) {
  if (a.epochs < 1 || a.epochs > 100000) {
    throw std::invalid_argument("--epochs: " + std::to_string(a.epochs) + " is outside 1..100000");
  }
  if (a.threads < 1 || a.threads > 1024) {
    throw std::invalid_argument("--threads: " + std::to_string(a.threads) + " is outside 1..1024");
  }
  if (a.loader_threads < 0 || a.loader_threads > 256) {
    throw std::invalid_argument("--loader-threads: " + std::to_string(a.loader_threads) +
                                " is outside 0..256");
  }
  if (a.batch_size < 1 || a.batch_size > 65536) {
    throw std::invalid_argument("--batch-size: " + std::to_string(a.batch_size) +
                                " is outside 1..65536");
  }
  models::ExperimentOptions o;
  o.proxy = a.proxy;
  o.train_size = a.train_size;
  o.val_size = a.val_size;
  o.split_seed = a.split_seed;
  o.model.name = a.model;
  o.model.width = a.width;
  o.trainer.epochs = a.epochs;
  o.trainer.lr = a.lr;
  o.trainer.weight_decay = a.weight_decay;
  o.trainer.warmup_epochs = a.warmup_epochs;
  o.trainer.label_smoothing = a.label_smoothing;
  o.trainer.threads = a.threads;
  o.trainer.device = a.device;
  o.trainer.channels_last = a.channels_last;
  o.trainer.progress = !a.json;
  o.batch_size = a.batch_size;
  o.loader_workers = a.loader_threads;
  // Validate the network before opening the data set: a typo fails at once.
  models::ModelOptions probe = o.model;
  if (probe.name != "mobilenetv2" && probe.name != "tinycnn") {
    throw std::invalid_argument("--model: unknown model '" + probe.name +
                                "' (expected mobilenetv2 or tinycnn)");
  }
  if (!(a.width >= 0.25 && a.width <= 1.0)) {
    throw std::invalid_argument("--width: " + std::to_string(a.width) + " is outside 0.25..1.0");
  }
  return o;
}

nlohmann::json epochs_json(const models::TrainResult& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const models::EpochMetrics& e : r.epochs) {
    nlohmann::json item = {
        {"epoch", e.epoch},           {"lr", e.lr},
        {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy},
        {"seconds", e.seconds},       {"images_per_second", e.images_per_second}};
    if (e.eval_accuracy >= 0) {
      item["eval_loss"] = e.eval_loss;
      item["eval_accuracy"] = e.eval_accuracy;
    }
    out.push_back(item);
  }
  return out;
}

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
