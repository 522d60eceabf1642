#include "models/experiment.h"

#include <stdexcept>

#include "data/random.h"
#include "data/split.h"
#include "data/subset_dataset.h"

namespace autoaug::models {

Experiment::Experiment(data::DataSource source, ExperimentOptions options)
    : source_(std::move(source)), options_(std::move(options)) {
  const std::size_t n = source_.train->size();
  if (options_.proxy) {
    const std::size_t train_size = options_.train_size ? options_.train_size : 4000;
    const std::size_t val_size = options_.val_size ? options_.val_size : 1000;
    if (train_size + val_size > n) {
      throw std::invalid_argument("train-size + val-size: " + std::to_string(train_size) + " + " +
                                  std::to_string(val_size) + " exceeds the " + std::to_string(n) +
                                  " training examples of " + source_.spec);
    }
    data::Split split = data::stratified_split(data::all_labels(*source_.train), train_size,
                                               val_size, options_.split_seed);
    train_ = std::make_shared<data::SubsetDataset>(source_.train, std::move(split.train),
                                                   source_.spec + " proxy-train");
    scored_ = std::make_shared<data::SubsetDataset>(source_.train, std::move(split.val),
                                                    source_.spec + " proxy-val");
  } else {
    if (!source_.test) {
      throw std::invalid_argument(source_.spec + ": has no test set; train with --proxy");
    }
    if (options_.train_size > n) {
      throw std::invalid_argument("train-size: " + std::to_string(options_.train_size) +
                                  " exceeds the " + std::to_string(n) + " training examples of " +
                                  source_.spec);
    }
    if (options_.train_size == 0 || options_.train_size == n) {
      train_ = source_.train;
    } else {
      data::Split split = data::stratified_split(data::all_labels(*source_.train),
                                                 options_.train_size, 0, options_.split_seed);
      train_ = std::make_shared<data::SubsetDataset>(source_.train, std::move(split.train),
                                                     source_.spec + " train subset");
    }
    scored_ = source_.test;
  }
}

ExperimentResult Experiment::run(const augment::Policy& policy, std::uint64_t seed,
                                 const std::string& save_path,
                                 const std::atomic<bool>* stop) const {
  ExperimentResult result;
  result.scored_on = options_.proxy ? "proxy-val" : "test";
  result.train_examples = train_->size();
  result.scored_examples = scored_->size();
  std::shared_ptr<const augment::Augmenter> augmenter;
  if (!policy.subpolicies.empty()) augmenter = std::make_shared<augment::Augmenter>(policy);

  data::LoaderOptions train_options;
  train_options.batch_size = options_.batch_size;
  train_options.workers = options_.loader_workers;
  train_options.prefetch = options_.prefetch;
  train_options.train = true;
  train_options.pad = options_.pad;
  train_options.flip = source_.flip && !options_.no_flip;
  train_options.height = source_.height;
  train_options.width = source_.width;
  train_options.channels = source_.channels;
  train_options.mean = source_.mean;
  train_options.std = source_.std;
  train_options.seed = data::derive_seed(seed, 2, 0);
  data::LoaderOptions eval_options = train_options;
  eval_options.train = false;
  eval_options.batch_size = std::max(options_.batch_size, 256);
  data::BatchLoader train_loader(train_, augmenter, train_options);
  data::BatchLoader eval_loader(scored_, nullptr, eval_options);

  ModelOptions model_options = options_.model;
  model_options.in_channels = source_.channels;
  model_options.num_classes = static_cast<int>(source_.train->classes().size());
  model_options.input_size = std::max(source_.height, source_.width);
  model_options.seed = data::derive_seed(seed, 1, 0);
  TrainerOptions trainer_options = options_.trainer;
  trainer_options.stop = stop;
  Trainer trainer(make_model(model_options), trainer_options);
  result.train = trainer.fit(train_loader, &eval_loader);
  result.ok = result.train.ok;
  result.error = result.train.error;
  if (result.ok) {
    result.accuracy = result.train.eval.accuracy;
    if (!save_path.empty()) trainer.save(save_path);
  }
  return result;
}

}  // namespace autoaug::models
