#include "tools/train_options.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <utility>

#include "data/data_source.h"

namespace autoaug::tools {

namespace {

using config::Key;
using config::Kind;
using config::kInf;
using nlohmann::json;

constexpr double kMaxCount = 1e12;

template <typename T>
TrainOption declare(const char* section, const char* name, Kind kind, T TrainArgs::*member,
                    const char* field, const char* flag, const char* doc) {
  TrainOption o;
  o.key = Key::make(section, name, kind, nullptr, flag, doc);
  o.key.field = std::string("TrainArgs::") + field;
  o.field = field;
  o.set = [member](TrainArgs& a, const json& v) { a.*member = v.get<T>(); };
  o.get = [member](const TrainArgs& a) { return json(a.*member); };
  return o;
}

// The declarations, in the search config's order.
std::vector<TrainOption> declarations() {
  std::vector<TrainOption> v;
  auto add = [&v](TrainOption o) -> Key& { return v.emplace_back(std::move(o)).key; };
  add(declare("data", "name", Kind::kString, &TrainArgs::data, "data", "--data",
              "the data set: fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR or folder:DIR"));
  add(declare("data", "train_size", Kind::kUnsigned, &TrainArgs::train_size, "train_size",
              "--train-size",
              "training images, a stratified subset (0: all; with --proxy, and in a search: "
              "4000)"))
      .range(0, kMaxCount);
  add(declare("data", "val_size", Kind::kUnsigned, &TrainArgs::val_size, "val_size", "--val-size",
              "proxy-val images, held out from the training set (0: 1000)"))
      .range(0, kMaxCount);
  add(declare("data", "split_seed", Kind::kUnsigned, &TrainArgs::split_seed, "split_seed",
              "--split-seed", "seed of the stratified subsets"));
  add(declare("training", "model", Kind::kString, &TrainArgs::model, "model", "--model",
              "the network: mobilenetv2 or tinycnn"))
      .one_of({"mobilenetv2", "tinycnn"});
  add(declare("training", "width", Kind::kReal, &TrainArgs::width, "width", "--width",
              "MobileNetV2 width multiplier, 0.25..1.0"))
      .range(0.25, 1.0);
  add(declare("training", "epochs", Kind::kInt, &TrainArgs::epochs, "epochs", "--epochs",
              "training epochs (of each trial, in a search)"))
      .range(1, 100000);
  add(declare("training", "batch_size", Kind::kInt, &TrainArgs::batch_size, "batch_size",
              "--batch-size", "batch size"))
      .range(1, 65536);
  add(declare("training", "lr", Kind::kReal, &TrainArgs::lr, "lr", "--lr",
              "peak learning rate (SGD, nesterov momentum 0.9)"))
      .range(0, kInf, true);
  add(declare("training", "weight_decay", Kind::kReal, &TrainArgs::weight_decay, "weight_decay",
              "--weight-decay", "weight decay"))
      .range(0, kInf);
  add(declare("training", "warmup_epochs", Kind::kReal, &TrainArgs::warmup_epochs, "warmup_epochs",
              "--warmup-epochs", "linear warm-up before the cosine decay, in epochs"))
      .range(0, 100000);
  add(declare("training", "label_smoothing", Kind::kReal, &TrainArgs::label_smoothing,
              "label_smoothing", "--label-smoothing", "label smoothing, in [0, 1)"))
      .range(0, 1, false, true);
  add(declare("training", "seed", Kind::kUnsigned, &TrainArgs::seed, "seed", "--seed",
              "seed of the initialisation, order and augmentation (of every trial, in a "
              "search)"));
  add(declare("training", "threads", Kind::kInt, &TrainArgs::threads, "threads", "--threads",
              "LibTorch intra-op threads (per worker, in a search)"))
      .range(1, 1024)
      .resumable();
  add(declare("training", "loader_threads", Kind::kInt, &TrainArgs::loader_threads,
              "loader_threads", "--loader-threads",
              "loader threads (augmentation; per worker, in a search)"))
      .range(0, 256)
      .resumable();
  add(declare("training", "channels_last", Kind::kBool, &TrainArgs::channels_last, "channels_last",
              "--channels-last", "channels-last memory format"))
      .resumable();
  add(declare("training", "device", Kind::kString, &TrainArgs::device, "device", "--device",
              "auto, cpu or cuda"))
      .one_of({"auto", "cpu", "cuda"})
      .resumable();
  return v;
}

// The training options as a schema whose defaults are a's values.
config::Schema schema_with_defaults(const TrainArgs& a) {
  std::vector<Key> keys;
  for (const TrainOption& o : train_options()) {
    keys.push_back(o.key);
    keys.back().fallback = o.get(a);
  }
  return config::Schema({"data", "training"}, std::move(keys));
}

}  // namespace

const std::vector<TrainOption>& train_options() {
  static const std::vector<TrainOption> options = declarations();
  return options;
}

void add_train_options(CLI::App& cmd, TrainArgs& a) {
  auto schema = std::make_shared<const config::Schema>(schema_with_defaults(a));
  schema->add_options(cmd, schema->sections());
  cmd.get_option("--data")->description("Data set:\n" + data::data_source_help());
  cmd.add_flag("--proxy", a.proxy,
               "Score on proxy-val (held out from the training set) instead of the test set");
  cmd.add_flag("--json", a.json, "Print one JSON object");
  cmd.parse_complete_callback([schema, &cmd, &a] {
    json given = schema->defaults();
    schema->override_from(given, cmd);
    for (const TrainOption& o : train_options()) o.set(a, given[o.key.section][o.key.name]);
  });
}

void check_train_args(const TrainArgs& a) {
  for (const TrainOption& o : train_options()) {
    const std::string problem = config::value_problem(o.key, o.get(a));
    if (!problem.empty()) throw std::invalid_argument(o.key.option + ": " + problem);
  }
}

nlohmann::json train_args_json(const TrainArgs& a) {
  nlohmann::json j = {{"proxy", a.proxy}};
  for (const TrainOption& o : train_options()) j[o.field] = o.get(a);
  return j;
}

TrainArgs train_args_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw std::invalid_argument(origin + ": expected an object");
  TrainArgs a;
  if (j.contains("proxy")) {
    if (!j["proxy"].is_boolean()) {
      throw std::invalid_argument(origin + ".proxy: expected true or false, got " +
                                  j["proxy"].dump());
    }
    a.proxy = j["proxy"];
  }
  for (const TrainOption& o : train_options()) {
    if (!j.contains(o.field)) continue;
    std::string error;
    const nlohmann::json v = config::typed_value(o.key, j.at(o.field), error);
    if (!error.empty()) throw std::invalid_argument(origin + "." + o.field + ": " + error);
    o.set(a, v);
  }
  return a;
}

}  // namespace autoaug::tools
