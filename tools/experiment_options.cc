// The trainer's options from the training options (tools/train_options.h), and its history as
// JSON: the part of the training options that needs LibTorch's headers.

#include "models/experiment.h"
#include "tools/train_options.h"

namespace autoaug::tools {

models::ExperimentOptions experiment_options(const TrainArgs& a) {
  check_train_args(a);
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

}  // namespace autoaug::tools
