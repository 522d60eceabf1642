#pragma once

// The training options that train, evaluate and search share: the data set, the network and the
// budget. Each is declared once (train_options()): its command-line option, its key in the search
// config, its type, range, help and the TrainArgs field it sets; the options of train, evaluate
// and search, the search config's data and training sections, the validation and the JSON stored
// in a study are all derived from that declaration.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/config/schema.h"

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

// One training option: its key (section "data" or "training" of the search config; its
// fallback is unset, TrainArgs' default stands) and the TrainArgs field it reads and writes,
// whose name is also its JSON name.
struct TrainOption {
  config::Key key;
  std::string field;
  std::function<void(TrainArgs&, const nlohmann::json&)> set;
  std::function<nlohmann::json(const TrainArgs&)> get;
};

// Every training option, in the search config's order.
const std::vector<TrainOption>& train_options();

// Adds every training option to `cmd` (with a's values as the defaults shown), and --proxy and
// --json; once `cmd` is parsed, the options given are checked (std::invalid_argument naming the
// option) and written into `a`, which must outlive the parse.
void add_train_options(CLI::App& cmd, TrainArgs& a);

// Checks every field against its option's range and choices: std::invalid_argument naming the
// option ("--epochs: 0 is outside 1..100000").
void check_train_args(const TrainArgs& a);

// check_train_args, then the trainer's options (tools/experiment_options.cc).
models::ExperimentOptions experiment_options(const TrainArgs& a);

// Per-epoch history as JSON: epoch, lr, train_loss, train_accuracy, seconds, images_per_second
// and, when evaluated, eval_loss and eval_accuracy.
nlohmann::json epochs_json(const models::TrainResult& r);

// TrainArgs to JSON and back (every field; missing fields keep their defaults). `origin` prefixes
// errors: std::invalid_argument naming the field.
nlohmann::json train_args_json(const TrainArgs& a);
TrainArgs train_args_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace autoaug::tools
