#include "models/trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>

#include "models/batch_tensor.h"

namespace autoaug::models {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Warm-up then cosine: lr at optimizer step `step` (0-based) of `total`.
double scheduled_lr(double peak, std::size_t step, std::size_t total, std::size_t warmup) {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double span = static_cast<double>(std::max<std::size_t>(1, total - warmup));
  const double t = static_cast<double>(step - warmup) / span;
  return peak * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace

Trainer::Trainer(Model model, TrainerOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  if (options_.epochs < 1) {
    throw std::invalid_argument("trainer.epochs: " + std::to_string(options_.epochs) +
                                " is not positive");
  }
  if (!(options_.lr > 0.0)) {
    throw std::invalid_argument("trainer.lr: " + std::to_string(options_.lr) + " is not positive");
  }
  if (!(options_.momentum >= 0.0 && options_.momentum < 1.0)) {
    throw std::invalid_argument("trainer.momentum: " + std::to_string(options_.momentum) +
                                " is outside [0, 1)");
  }
  if (!(options_.weight_decay >= 0.0)) {
    throw std::invalid_argument("trainer.weight_decay: " + std::to_string(options_.weight_decay) +
                                " is negative");
  }
  if (!(options_.warmup_epochs >= 0.0)) {
    throw std::invalid_argument("trainer.warmup_epochs: " + std::to_string(options_.warmup_epochs) +
                                " is negative");
  }
  if (!(options_.label_smoothing >= 0.0 && options_.label_smoothing < 1.0)) {
    throw std::invalid_argument("trainer.label_smoothing: " +
                                std::to_string(options_.label_smoothing) + " is outside [0, 1)");
  }
  if (options_.threads < 0 || options_.threads > 1024) {
    throw std::invalid_argument("trainer.threads: " + std::to_string(options_.threads) +
                                " is outside 0..1024");
  }
  if (options_.device == "auto") {
    cuda_ = torch::cuda::is_available();
  } else if (options_.device == "cuda") {
    if (!torch::cuda::is_available()) {
      throw std::invalid_argument(
          "trainer.device: cuda requested, but LibTorch has no CUDA device");
    }
    cuda_ = true;
  } else if (options_.device != "cpu") {
    throw std::invalid_argument("trainer.device: '" + options_.device +
                                "' is not auto, cpu or cuda");
  }
  device_name_ = cuda_ ? "cuda" : "cpu";
  if (options_.threads > 0) at::set_num_threads(options_.threads);
  if (cuda_) model_.ptr->to(torch::kCUDA);
  if (options_.channels_last) to_channels_last(*model_.ptr);
  parameters_ = model_.ptr->parameters();
  optimizer_ = std::make_unique<torch::optim::SGD>(
      parameters_, torch::optim::SGDOptions(options_.lr)
                       .momentum(options_.momentum)
                       .nesterov(options_.nesterov && options_.momentum > 0.0)
                       .weight_decay(options_.weight_decay));
}

torch::Tensor Trainer::prepare(torch::Tensor images) const {
  if (cuda_) images = images.to(torch::kCUDA);
  if (options_.channels_last) images = images.contiguous(torch::MemoryFormat::ChannelsLast);
  return images;
}

Trainer::StepResult Trainer::train_step(torch::Tensor images, torch::Tensor labels, double lr) {
  images = prepare(std::move(images));
  if (cuda_) labels = labels.to(torch::kCUDA);
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
  for (auto& p : parameters_) p.mutable_grad().reset();
  torch::Tensor logits = model_.forward(images);
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      logits, labels,
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options_.label_smoothing));
  StepResult result;
  result.loss = loss.item<double>();
  if (!std::isfinite(result.loss)) return result;
  loss.backward();
  optimizer_->step();
  torch::NoGradGuard no_grad;
  result.correct = logits.argmax(1).eq(labels).sum().item<int64_t>();
  return result;
}

torch::Tensor Trainer::predict(torch::Tensor images) {
  torch::InferenceMode inference;
  model_.ptr->eval();
  return model_.forward(prepare(std::move(images)));
}

EpochMetrics Trainer::train_epoch(data::BatchLoader& train, int epoch, std::size_t& step,
                                  std::size_t& images, bool tty) {
  const std::size_t steps_per_epoch = train.batches_per_epoch();
  const std::size_t total_steps = steps_per_epoch * static_cast<std::size_t>(options_.epochs);
  const std::size_t warmup_steps = std::min(
      total_steps / 4, static_cast<std::size_t>(std::llround(
                           options_.warmup_epochs * static_cast<double>(steps_per_epoch))));
  model_.ptr->train();
  const auto epoch_start = Clock::now();
  auto last_report = epoch_start;
  train.start_epoch(epoch);
  double loss_sum = 0.0;
  int64_t correct = 0;
  std::size_t seen = 0;
  std::size_t batch_in_epoch = 0;
  double lr = options_.lr;
  while (auto batch = train.next()) {
    const auto where = [&] {
      return "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(batch_in_epoch + 1);
    };
    if (options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed)) {
      throw std::runtime_error("stopped at " + where());
    }
    BatchTensors t = to_tensors(std::move(*batch));
    lr = scheduled_lr(options_.lr, step, total_steps, warmup_steps);
    const StepResult r = train_step(t.images, t.labels, lr);
    if (!std::isfinite(r.loss)) {
      throw std::runtime_error(where() + ": the loss is " + std::to_string(r.loss) + " (lr " +
                               std::to_string(lr) + ")");
    }
    correct += r.correct;
    const std::size_t n = static_cast<std::size_t>(t.labels.size(0));
    loss_sum += r.loss * static_cast<double>(n);
    seen += n;
    ++step;
    ++batch_in_epoch;
    if (tty && seconds_since(last_report) > 0.25) {
      last_report = Clock::now();
      std::fprintf(stderr, "\repoch %d/%d  %3zu%%  loss %.4f  %.0f img/s   ", epoch + 1,
                   options_.epochs, 100 * batch_in_epoch / steps_per_epoch,
                   loss_sum / static_cast<double>(seen),
                   static_cast<double>(seen) / seconds_since(epoch_start));
    }
  }
  EpochMetrics metrics;
  metrics.epoch = epoch + 1;
  metrics.lr = lr;
  metrics.seconds = seconds_since(epoch_start);
  metrics.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
  metrics.train_accuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0;
  metrics.images_per_second = static_cast<double>(seen) / std::max(metrics.seconds, 1e-9);
  images = seen;
  return metrics;
}

TrainResult Trainer::fit(data::BatchLoader& train, data::BatchLoader* eval) {
  TrainResult result;
  const auto run_start = Clock::now();
  const bool tty = options_.progress && isatty(fileno(stderr));
  double train_seconds = 0.0;
  std::size_t step = 0;
  try {
    for (int epoch = 0; epoch < options_.epochs; ++epoch) {
      std::size_t seen = 0;
      EpochMetrics metrics = train_epoch(train, epoch, step, seen, tty);
      train_seconds += metrics.seconds;
      result.train_images += seen;
      const bool last = epoch + 1 == options_.epochs;
      if (eval && (options_.eval_every_epoch || last)) {
        result.eval = evaluate(*eval);
        result.evaluated = true;
        metrics.eval_loss = result.eval.loss;
        metrics.eval_accuracy = result.eval.accuracy;
      }
      if (tty) {
        std::fprintf(stderr, "\repoch %d/%d  loss %.4f  train acc %.4f", epoch + 1, options_.epochs,
                     metrics.train_loss, metrics.train_accuracy);
        if (metrics.eval_accuracy >= 0) {
          std::fprintf(stderr, "  eval acc %.4f", metrics.eval_accuracy);
        }
        std::fprintf(stderr, "  %.0f img/s  %.1f s\n", metrics.images_per_second, metrics.seconds);
      }
      result.epochs.push_back(metrics);
    }
  } catch (const std::exception& e) {
    if (tty) std::fputc('\n', stderr);
    result.error = e.what();
    result.seconds = seconds_since(run_start);
    return result;
  }
  result.ok = true;
  result.seconds = seconds_since(run_start);
  result.train_images_per_second =
      static_cast<double>(result.train_images) / std::max(train_seconds, 1e-9);
  return result;
}

EvalResult Trainer::evaluate(data::BatchLoader& eval) {
  const auto start = Clock::now();
  torch::InferenceMode inference;
  model_.ptr->eval();
  eval.start_epoch(0);
  double loss_sum = 0.0;
  int64_t correct = 0;
  std::size_t seen = 0;
  while (auto batch = eval.next()) {
    BatchTensors t = to_tensors(std::move(*batch));
    torch::Tensor x = prepare(t.images);
    torch::Tensor y = cuda_ ? t.labels.to(torch::kCUDA) : t.labels;
    torch::Tensor logits = model_.forward(x);
    loss_sum +=
        torch::nn::functional::cross_entropy(
            logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    seen += static_cast<std::size_t>(y.size(0));
  }
  EvalResult result;
  result.examples = seen;
  result.loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
  result.accuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  result.seconds = seconds_since(start);
  result.images_per_second = static_cast<double>(seen) / std::max(result.seconds, 1e-9);
  return result;
}

void Trainer::save(const std::string& path) const {
  try {
    torch::serialize::OutputArchive archive;
    model_.ptr->save(archive);
    archive.save_to(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(path + ": cannot save the model: " + e.what());
  }
}

}  // namespace autoaug::models
