#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "augment/policy.h"
#include "data/data_source.h"
#include "models/model.h"
#include "models/trainer.h"

namespace autoaug::models {

struct ExperimentOptions {
  // true: train on proxy-train and score on proxy-val, both drawn from the training set (the test
  // set is never read); false: train on the training set (or `train_size` of it) and score on the
  // test set.
  bool proxy = false;
  // Training examples; 0 means all (proxy: 4000). A stratified subset otherwise.
  std::size_t train_size = 0;
  // Proxy-val examples (proxy only); 0 means 1000.
  std::size_t val_size = 0;
  // Seed of the stratified split, fixed across trials so that every policy sees the same subsets.
  std::uint64_t split_seed = 0;
  // Network; in_channels, num_classes and input_size are taken from the data set.
  ModelOptions model;
  TrainerOptions trainer;
  int batch_size = 128;
  // Loader worker threads (augmentation runs there) and the bound on batches built ahead.
  int loader_workers = 1;
  int prefetch = 4;
  // Pad-and-crop padding; horizontal flips follow the data set (DataSource::flip) unless
  // `no_flip`.
  int pad = 4;
  bool no_flip = false;
};

struct ExperimentResult {
  bool ok = false;
  std::string error;
  double accuracy = 0.0;  // on `scored_on`
  std::string scored_on;  // "proxy-val" or "test"
  std::size_t train_examples = 0;
  std::size_t scored_examples = 0;
  TrainResult train;  // loss and accuracy per epoch, seconds, images/s
};

// One training recipe on one data source: trains a fresh model with a policy and a seed and
// scores it. The data set and split are prepared once; run() may be called many times (from one
// thread at a time: LibTorch's thread count is process-wide). A failed run (non-finite loss,
// unreadable image) is a result with ok = false, not an exception.
class Experiment {
 public:
  // Throws std::invalid_argument naming the field when sizes exceed the data set, or there is no
  // test set outside proxy mode.
  Experiment(data::DataSource source, ExperimentOptions options);

  // Model and loader seeds are derived from `seed`. Saves the weights to `save_path` when it is
  // not empty (std::invalid_argument naming the file on failure). `stop` (not owned, may be
  // null) ends the training early as a failed result (TrainerOptions::stop).
  ExperimentResult run(const augment::Policy& policy, std::uint64_t seed,
                       const std::string& save_path = {},
                       const std::atomic<bool>* stop = nullptr) const;

  const data::DataSource& source() const { return source_; }
  const ExperimentOptions& options() const { return options_; }
  std::size_t train_examples() const { return train_->size(); }
  std::size_t scored_examples() const { return scored_->size(); }

 private:
  data::DataSource source_;
  ExperimentOptions options_;
  std::shared_ptr<const data::Dataset> train_;
  std::shared_ptr<const data::Dataset> scored_;
};

}  // namespace autoaug::models
