#pragma once

// The training options that train, evaluate and search share: the data set, the network and the
// budget, as command-line options and as JSON (stored in a study).

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace CLI {
class App;
}

namespace autoaug::models {
struct ExperimentOptions;
struct TrainResult;
}  // namespace autoaug::models

namespace autoaug::tools {

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

// Adds the options above to `cmd`, bound to `a` (which must outlive the parse).
void add_train_options(CLI::App& cmd, TrainArgs& a);

// Validates the arguments (std::invalid_argument naming the option) and builds the options.
models::ExperimentOptions experiment_options(const TrainArgs& a);

// Per-epoch history as JSON: epoch, lr, train_loss, train_accuracy, seconds, images_per_second
// and, when evaluated, eval_loss and eval_accuracy.
nlohmann::json epochs_json(const models::TrainResult& r);

// TrainArgs to JSON and back (every field; missing fields keep their defaults). `origin` prefixes
// errors: std::invalid_argument naming the field.
nlohmann::json train_args_json(const TrainArgs& a);
TrainArgs train_args_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace autoaug::tools
