#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "augment/policy.h"
#include "data/dataset.h"

namespace autoaug::data {

struct LoaderOptions {
  // Examples per batch; the last batch of an epoch may be smaller unless drop_last.
  int batch_size = 128;
  bool drop_last = false;
  // Worker threads that read, augment and pack; 0 builds each batch in the thread calling next().
  int workers = 1;
  // Most batches being built or waiting ahead of the consumer (the bounded queue); at least 1.
  int prefetch = 4;
  // true: a new seeded order every epoch, random pad-and-crop, flips, and the policy.
  // false (evaluation): data set order, no randomness, no policy.
  bool train = true;
  // Zero padding on each side before the random crop back to the image size; 0 disables it.
  int pad = 4;
  // Horizontal flip with probability 1/2 (training only).
  bool flip = false;
  // Size every image is brought to (resized with INTER_AREA, grey <-> RGB converted);
  // 0 takes the first image's.
  int height = 0;
  int width = 0;
  int channels = 0;
  // Normalisation: (pixel / 255 - mean) / std, one value for all channels or one per channel.
  std::vector<float> mean = {0.0f};
  std::vector<float> std = {1.0f};
  // Seed of the epoch orders and of every random choice per example.
  std::uint64_t seed = 0;
};

// One batch, ready for a tensor: float pixels in NCHW order, normalised.
struct Batch {
  std::size_t index = 0;  // batch number within the epoch
  std::int64_t size = 0;
  std::int64_t channels = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::vector<float> pixels;         // size * channels * height * width
  std::vector<std::int64_t> labels;  // size
};

// Reads, augments and packs batches on worker threads ahead of the consumer.
//
// Training order: epoch e visits the examples in a permutation drawn from (seed, e). Each example
// gets its own generator seeded from (seed, e, example index), which draws the crop offset, the
// flip, then the policy's choices (one sub-policy per example per epoch): batches are identical
// whatever the number of workers. Per training example: pad-and-crop, flip, policy, normalise.
//
// One consumer thread calls start_epoch() and next(); the loader owns its workers and joins them
// on destruction. An exception from a worker (an unreadable image) is rethrown by next().
class BatchLoader {
 public:
  // `augmenter` may be null (no policy). Throws std::invalid_argument naming the field for bad
  // options or an empty data set.
  BatchLoader(std::shared_ptr<const Dataset> dataset,
              std::shared_ptr<const augment::Augmenter> augmenter, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  std::size_t batches_per_epoch() const;
  std::size_t examples_per_epoch() const;
  const LoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return *dataset_; }

  // Starts (or restarts) epoch `epoch`; batches still in flight from before are dropped.
  void start_epoch(int epoch);

  // The next batch of the current epoch in order, or nullopt at its end. Blocks while the batch is
  // being built; rethrows a worker's exception.
  std::optional<Batch> next();

  // Builds batch `b` of `epoch` in the calling thread, exactly as the workers would.
  Batch make_batch(int epoch, std::size_t b) const;

 private:
  std::vector<std::size_t> epoch_order(int epoch) const;
  Batch build(const std::vector<std::size_t>& order, int epoch, std::size_t b) const;
  void fill_example(std::size_t example, int epoch, float* out) const;
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const augment::Augmenter> augmenter_;
  LoaderOptions options_;
  std::vector<std::vector<float>> lut_;  // per channel: byte -> normalised value

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable ready_cv_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  int epoch_ = -1;
  std::shared_ptr<const std::vector<std::size_t>> order_;
  std::size_t num_batches_ = 0;
  std::size_t next_claim_ = 0;
  std::size_t next_deliver_ = 0;
  std::map<std::size_t, Batch> ready_;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace autoaug::data
