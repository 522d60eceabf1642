#pragma once

#include <torch/optim/sgd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/batch_loader.h"
#include "models/model.h"

namespace autoaug::models {

struct TrainerOptions {
  int epochs = 10;
  // Peak learning rate of SGD (for the loader's batch size; not rescaled).
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  // Linear warm-up from lr / steps to lr over this many epochs (fractions allowed; at most a
  // quarter of the run), then cosine decay to zero at the last step.
  double warmup_epochs = 1.0;
  // Cross-entropy label smoothing, 0 (off) to below 1.
  double label_smoothing = 0.0;
  // LibTorch intra-op threads (at::set_num_threads, a process-wide setting); 0 leaves it as is.
  int threads = 1;
  // "auto" (CUDA when LibTorch has it and a GPU is present), "cpu" or "cuda".
  std::string device = "auto";
  // Convert the model and each batch to channels-last memory format.
  bool channels_last = false;
  // Evaluate on the evaluation loader after every epoch (otherwise only after the last).
  bool eval_every_epoch = false;
  // Progress line on stderr, only when stderr is a terminal.
  bool progress = true;
  // When not null and set (from any thread: a cancelled lease, Ctrl-C), fit() ends before its
  // next step with ok = false and an error that starts with "stopped". Not owned.
  const std::atomic<bool>* stop = nullptr;
};

struct EpochMetrics {
  int epoch = 0;    // 1-based
  double lr = 0.0;  // at the end of the epoch
  double train_loss = 0.0;
  double train_accuracy = 0.0;  // on the augmented training batches, in train mode
  double eval_loss = -1.0;      // -1 when not evaluated this epoch
  double eval_accuracy = -1.0;
  double seconds = 0.0;  // training only
  double images_per_second = 0.0;
};

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;
  std::size_t examples = 0;
  double seconds = 0.0;
  double images_per_second = 0.0;
};

// The outcome of fit(). A run that failed (non-finite loss, an exception from the loader or from
// LibTorch) has ok = false and `error` says where and why; the epochs done so far are kept.
struct TrainResult {
  bool ok = false;
  std::string error;
  std::vector<EpochMetrics> epochs;
  bool evaluated = false;  // `eval` holds the final evaluation
  EvalResult eval;
  double seconds = 0.0;  // whole run, evaluation included
  double train_images_per_second = 0.0;
  std::size_t train_images = 0;
};

// Trains a model with SGD (momentum, weight decay, nesterov) under a warm-up + cosine schedule.
// Deterministic: the same model seed, loader seed and thread count give the same result. Owns the
// model; use from one thread.
class Trainer {
 public:
  // Moves the model to the device and sets the thread count. Throws std::invalid_argument naming
  // the field for a bad option (or "cuda" without CUDA).
  Trainer(Model model, TrainerOptions options);

  // Trains for options.epochs on `train`, then evaluates on `eval` when given. Never throws for a
  // failed run: see TrainResult.
  TrainResult fit(data::BatchLoader& train, data::BatchLoader* eval);

  // Accuracy and mean cross-entropy (no smoothing) in eval mode without autograd. Throws what the
  // loader throws.
  EvalResult evaluate(data::BatchLoader& eval);

  // One SGD step at learning rate `lr` on a batch (`images` N x C x H x W float and `labels` N
  // int64, on any device: moved here). The model must be in train mode. Returns the loss
  // (possibly not finite: the step is then skipped) and how many predictions were right.
  struct StepResult {
    double loss = 0.0;
    int64_t correct = 0;
  };
  StepResult train_step(torch::Tensor images, torch::Tensor labels, double lr);

  // Logits for `images` in eval mode without autograd.
  torch::Tensor predict(torch::Tensor images);

  // Saves the weights (LibTorch archive). Throws std::invalid_argument naming the file on failure.
  void save(const std::string& path) const;

  Model& model() { return model_; }
  const std::string& device_name() const { return device_name_; }

 private:
  Model model_;
  TrainerOptions options_;
  std::string device_name_;
  bool cuda_ = false;
  // Moves a batch to the device and memory format of the model.
  torch::Tensor prepare(torch::Tensor images) const;
  // One epoch of SGD steps on `train` (in train mode); `step` counts the run's steps for the
  // learning-rate schedule. `images` gets the number of training images seen. Throws
  // std::runtime_error on a stop request or a loss that is not finite.
  EpochMetrics train_epoch(data::BatchLoader& train, int epoch, std::size_t& step,
                           std::size_t& images, bool tty);

  std::vector<torch::Tensor> parameters_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
};

}  // namespace autoaug::models
