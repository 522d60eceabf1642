#include "tools/train_options.h"

#include <CLI/CLI.hpp>
#include <stdexcept>

#include "data/data_source.h"
#include "models/experiment.h"

namespace autoaug::tools {

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

namespace {

template <typename T>
void read_field(const nlohmann::json& j, const char* key, T& out, const std::string& origin) {
  if (!j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(origin + "." + key + ": " + j.at(key).dump() +
                                " has the wrong type");
  }
}

}  // namespace

nlohmann::json train_args_json(const TrainArgs& a) {
  return {{"data", a.data},
          {"model", a.model},
          {"width", a.width},
          {"epochs", a.epochs},
          {"train_size", a.train_size},
          {"val_size", a.val_size},
          {"proxy", a.proxy},
          {"seed", a.seed},
          {"split_seed", a.split_seed},
          {"threads", a.threads},
          {"loader_threads", a.loader_threads},
          {"batch_size", a.batch_size},
          {"lr", a.lr},
          {"weight_decay", a.weight_decay},
          {"warmup_epochs", a.warmup_epochs},
          {"label_smoothing", a.label_smoothing},
          {"channels_last", a.channels_last},
          {"device", a.device}};
}

TrainArgs train_args_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw std::invalid_argument(origin + ": expected an object");
  TrainArgs a;
  read_field(j, "data", a.data, origin);
  read_field(j, "model", a.model, origin);
  read_field(j, "width", a.width, origin);
  read_field(j, "epochs", a.epochs, origin);
  read_field(j, "train_size", a.train_size, origin);
  read_field(j, "val_size", a.val_size, origin);
  read_field(j, "proxy", a.proxy, origin);
  read_field(j, "seed", a.seed, origin);
  read_field(j, "split_seed", a.split_seed, origin);
  read_field(j, "threads", a.threads, origin);
  read_field(j, "loader_threads", a.loader_threads, origin);
  read_field(j, "batch_size", a.batch_size, origin);
  read_field(j, "lr", a.lr, origin);
  read_field(j, "weight_decay", a.weight_decay, origin);
  read_field(j, "warmup_epochs", a.warmup_epochs, origin);
  read_field(j, "label_smoothing", a.label_smoothing, origin);
  read_field(j, "channels_last", a.channels_last, origin);
  read_field(j, "device", a.device, origin);
  return a;
}

}  // namespace autoaug::tools
