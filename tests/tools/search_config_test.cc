// The YAML config of `autoaug search`: the documented example is the defaults, and bad input names
// the file, the key and the line.

#include "tools/search_config.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Writes `text` to a file named `name` in a fresh temporary directory and returns its path. The
// directory is per process: CTest runs the cases of this file as parallel processes.
std::string write_config(const std::string& text, const std::string& name = "search.yaml") {
  static int counter = 0;
  const fs::path dir =
      fs::path(::testing::TempDir()) /
      ("search_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// The message load_search_config throws for `text`, or "" when it loads.
std::string load_error(const std::string& text) {
  const std::string path = write_config(text);
  try {
    load_search_config(path);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    // Every message names the file; the tests below check what follows it.
    EXPECT_EQ(message.rfind(path, 0), 0u) << message;
    return message.substr(
        std::min(message.size(), fs::path(path).parent_path().string().size() + 1));
  }
  return "";
}

TEST(SearchConfig, DocumentedExampleIsTheDefaults) {
  const std::string path = AUTOAUG_SOURCE_DIR "/tools/search.yaml";
  EXPECT_EQ(load_search_config(path), default_search_config());
  // ... and lists every key, so a key added to the schema must be documented there too.
  const YAML::Node root = YAML::LoadFile(path);
  for (const SearchConfigKey& key : search_config_keys()) {
    const std::string section = key.path.substr(0, key.path.find('.'));
    const std::string name = key.path.substr(key.path.find('.') + 1);
    EXPECT_TRUE(root[section] && root[section][name]) << key.path << " is not in " << path;
  }
}

TEST(SearchConfig, DefaultsAreTheSearchCommandsDefaults) {
  const json d = default_search_config();
  EXPECT_EQ(d["data"]["name"], "fashion-mnist");
  EXPECT_EQ(d["data"]["train_size"], 2000);
  EXPECT_EQ(d["data"]["val_size"], 1000);
  EXPECT_EQ(d["training"]["model"], "mobilenetv2");
  EXPECT_EQ(d["training"]["width"], 0.5);
  EXPECT_EQ(d["training"]["epochs"], 4);
  EXPECT_EQ(d["training"]["threads"], 2);
  EXPECT_EQ(d["training"]["weight_decay"], 5e-4);
  EXPECT_EQ(d["space"]["ops"], json::array());
  EXPECT_EQ(d["search"]["strategy"], "rf-random");
  EXPECT_EQ(d["search"]["trials"], 16);
  EXPECT_EQ(d["rescore"]["top"], 3);
  EXPECT_EQ(d["rescore"]["seeds"], 3);
  EXPECT_EQ(d["workers"]["count"], 1);
  EXPECT_EQ(d["workers"]["lease_seconds"], 60.0);
  EXPECT_EQ(d["workers"]["heartbeat_seconds"], 5.0);
  EXPECT_EQ(d["workers"]["max_attempts"], 3);

  std::set<std::string> paths, options;
  for (const SearchConfigKey& key : search_config_keys()) {
    EXPECT_TRUE(paths.insert(key.path).second) << key.path;
    if (!key.option.empty()) {
      EXPECT_TRUE(options.insert(key.option).second) << key.option;
    }
    EXPECT_FALSE(key.field.empty()) << key.path;
    EXPECT_FALSE(key.doc.empty()) << key.path;
    EXPECT_EQ(d[json::json_pointer("/" + key.path.substr(0, key.path.find('.')) + "/" +
                                   key.path.substr(key.path.find('.') + 1))],
              key.fallback);
  }
}

TEST(SearchConfig, EmptyFileIsTheDefaults) {
  EXPECT_EQ(load_search_config(write_config("")), default_search_config());
  EXPECT_EQ(load_search_config(write_config("# nothing set\n\n")), default_search_config());
  EXPECT_EQ(load_search_config(write_config("training:\n")), default_search_config());
}

TEST(SearchConfig, SetsWhatTheFileSets) {
  const json c = load_search_config(
      write_config("data:\n  name: folder:/srv/images\n  train_size: 500\n"
                   "training:\n  model: tinycnn\n  epochs: 2\n  lr: 1\n  channels_last: true\n"
                   "  seed: 18446744073709551615\n"
                   "space:\n  ops:\n    - Rotate\n    - Color\n  magnitude_bins: 31\n"
                   "search: {strategy: gp, trials: 40}\n"
                   "workers:\n  count: 4\n  lease_seconds: 30\n"));
  json expected = default_search_config();
  expected["data"]["name"] = "folder:/srv/images";
  expected["data"]["train_size"] = 500;
  expected["training"]["model"] = "tinycnn";
  expected["training"]["epochs"] = 2;
  expected["training"]["lr"] = 1.0;
  expected["training"]["channels_last"] = true;
  expected["training"]["seed"] = std::uint64_t{18446744073709551615u};
  expected["space"]["ops"] = {"Rotate", "Color"};
  expected["space"]["magnitude_bins"] = 31;
  expected["search"]["strategy"] = "gp";
  expected["search"]["trials"] = 40;
  expected["workers"]["count"] = 4;
  expected["workers"]["lease_seconds"] = 30.0;
  EXPECT_EQ(c, expected);
  EXPECT_TRUE(c["training"]["lr"].is_number_float());

  TrainArgs train;
  apply_search_config(c, train);
  EXPECT_EQ(train.data, "folder:/srv/images");
  EXPECT_EQ(train.train_size, 500u);
  EXPECT_EQ(train.val_size, 1000u);
  EXPECT_EQ(train.model, "tinycnn");
  EXPECT_EQ(train.epochs, 2);
  EXPECT_EQ(train.lr, 1.0);
  EXPECT_EQ(train.threads, 2);
  EXPECT_TRUE(train.channels_last);
  EXPECT_TRUE(train.proxy);
  EXPECT_EQ(train.seed, 18446744073709551615u);
}

TEST(SearchConfig, UnknownKeysAreNamedWithALineAndASuggestion) {
  EXPECT_EQ(load_error("data:\n  name: fashion-mnist\n\n# the budget\ntrainng:\n  epochs: 2\n"),
            "search.yaml:5: unknown key 'trainng' (did you mean 'training'?)");
  EXPECT_EQ(load_error("training:\n  model: tinycnn\n  epoch: 2\n"),
            "search.yaml:3: unknown key 'training.epoch' (did you mean 'training.epochs'?)");
  EXPECT_EQ(load_error("training:\n  batch-size: 64\n"),
            "search.yaml:2: unknown key 'training.batch-size' (did you mean "
            "'training.batch_size'?)");
  // The right key in the wrong section.
  EXPECT_EQ(load_error("training:\n  train_size: 500\n"),
            "search.yaml:2: unknown key 'training.train_size' (did you mean 'data.train_size'?)");
  EXPECT_EQ(load_error("epochs: 3\n"),
            "search.yaml:1: unknown key 'epochs' (did you mean 'training.epochs'?)");
  // Nothing close: the known keys are listed.
  const std::string far = load_error("space:\n  flavour: 1\n");
  EXPECT_EQ(far.rfind("search.yaml:2: unknown key 'space.flavour' (the keys of 'space' are ", 0),
            0u)
      << far;
  EXPECT_EQ(load_error("search:\n  seed: 1\n  seed: 2\n"),
            "search.yaml:3: duplicate key 'search.seed'");
}

TEST(SearchConfig, WrongTypesAreNamedWithALine) {
  EXPECT_EQ(load_error("training:\n  epochs: ten\n"),
            "search.yaml:2: training.epochs: expected an integer, got 'ten'");
  EXPECT_EQ(load_error("training:\n  epochs: 2.5\n"),
            "search.yaml:2: training.epochs: expected an integer, got '2.5'");
  EXPECT_EQ(load_error("training:\n  epochs: \"4\"\n"),
            "search.yaml:2: training.epochs: expected an integer, got the string \"4\"");
  EXPECT_EQ(load_error("training:\n  lr: fast\n"),
            "search.yaml:2: training.lr: expected a number, got 'fast'");
  EXPECT_EQ(load_error("training:\n  channels_last: yes\n"),
            "search.yaml:2: training.channels_last: expected true or false, got 'yes'");
  EXPECT_EQ(load_error("training:\n  epochs: [1, 2]\n"),
            "search.yaml:2: training.epochs: expected an integer");
  EXPECT_EQ(load_error("space:\n  ops: Rotate\n"),
            "search.yaml:2: space.ops: expected a list of op names, e.g. [Rotate, Color] ([] for "
            "all but Identity)");
  EXPECT_EQ(load_error("training: 4\n"),
            "search.yaml:1: training: expected a mapping of keys (model, width, epochs, "
            "batch_size, lr, weight_decay, warmup_epochs, label_smoothing, seed, threads, "
            "loader_threads, channels_last, device)");
  EXPECT_EQ(load_error("- data\n"),
            "search.yaml:1: expected a mapping with the sections data, training, space, search, "
            "rescore, workers");
  EXPECT_EQ(load_error("training:\n  epochs:\n"),
            "search.yaml:2: training.epochs: has no value (leave the key out for the default, 4)");
}

TEST(SearchConfig, OutOfRangeValuesAreNamedWithALine) {
  EXPECT_EQ(load_error("training:\n  epochs: -1\n"),
            "search.yaml:2: training.epochs: -1 is outside 1..100000");
  EXPECT_EQ(load_error("training:\n  lr: 0\n"), "search.yaml:2: training.lr: 0.0 is not positive");
  EXPECT_EQ(load_error("training:\n  label_smoothing: 1\n"),
            "search.yaml:2: training.label_smoothing: 1.0 is outside [0, 1)");
  EXPECT_EQ(load_error("training:\n  width: 2\n"),
            "search.yaml:2: training.width: 2.0 is outside 0.25..1");
  EXPECT_EQ(load_error("data:\n  train_size: -5\n"),
            "search.yaml:2: data.train_size: -5 is outside 0..1000000000000");
  EXPECT_EQ(load_error("search:\n  seed: -1\n"), "search.yaml:2: search.seed: -1 is negative");
  EXPECT_EQ(load_error("search:\n  seed: 18446744073709551616\n"),
            "search.yaml:2: search.seed: 18446744073709551616 is out of range");
  EXPECT_EQ(load_error("training:\n  model: mobilenetv3\n"),
            "search.yaml:2: training.model: 'mobilenetv3' is not one of mobilenetv2, tinycnn "
            "(did you mean 'mobilenetv2'?)");
  EXPECT_EQ(load_error("search:\n  strategy: bayes\n"),
            "search.yaml:2: search.strategy: 'bayes' is not one of random, grid, gp, gp-hedge, "
            "rf, et, rf-random, et-random");
  EXPECT_EQ(load_error("space:\n  ops:\n    - Rotate\n    - Colour\n"),
            "search.yaml:4: space.ops[1]: unknown op 'Colour' (did you mean 'Color'?)");
  EXPECT_EQ(load_error("space:\n  ops: [Rotate, Rotate]\n"),
            "search.yaml:2: space.ops[1]: 'Rotate' is listed twice");
  EXPECT_EQ(load_error("workers:\n  lease_seconds: 10\n  heartbeat_seconds: 10\n"),
            "search.yaml:3: workers.heartbeat_seconds: 10.0 is not less than "
            "workers.lease_seconds (10.0): leases would expire between heartbeats");
}

TEST(SearchConfig, BadYamlNamesTheFileAndLine) {
  const std::string message = load_error("training:\n  epochs: 2\n  ops: [Rotate, Color\n");
  EXPECT_EQ(message.rfind("search.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  const std::string tabs = load_error("training:\n  epochs: 2\n lr: 0.1\n");
  EXPECT_EQ(tabs.rfind("search.yaml:3: not valid YAML", 0), 0u) << tabs;
}

TEST(SearchConfig, MissingFileIsNamed) {
  const std::string path = (fs::path(::testing::TempDir()) / "no_such_search.yaml").string();
  try {
    load_search_config(path);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open");
  }
}

TEST(SearchConfig, CommandLineOverridesTheFile) {
  json config = load_search_config(
      write_config("training:\n  epochs: 2\n  model: tinycnn\nspace:\n  ops: [Rotate]\n"));
  CLI::App app;
  int epochs = 10;
  std::string ops, model = "mobilenetv2", strategy = "rf-random";
  bool channels_last = false;
  app.add_option("--epochs", epochs);
  app.add_option("--ops", ops);
  app.add_option("--model", model)->capture_default_str();
  app.add_option("--strategy", strategy);
  app.add_flag("--channels-last", channels_last);
  app.parse(std::vector<std::string>{"Color,Cutout", "--ops", "3", "--epochs", "--channels-last"});
  override_search_config(config, app);
  EXPECT_EQ(config["training"]["epochs"], 3);
  EXPECT_EQ(config["training"]["model"], "tinycnn");  // not given: the file's value stays
  EXPECT_EQ(config["training"]["channels_last"], true);
  EXPECT_EQ(config["space"]["ops"], json({"Color", "Cutout"}));
  EXPECT_EQ(config["search"]["strategy"], "rf-random");

  CLI::App bad;
  bad.add_option("--epochs", epochs);
  bad.parse(std::vector<std::string>{"0", "--epochs"});
  try {
    override_search_config(config, bad);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "--epochs: 0 is outside 1..100000");
  }
  EXPECT_THROW(set_search_config_value(config, "space.ops", "Rotate,Blur", "--ops"),
               std::invalid_argument);
  set_search_config_value(config, "search.trials", "99", "--trials");
  EXPECT_EQ(config["search"]["trials"], 99);
}

TEST(SearchConfig, StoredConfigIsCheckedAndCompared) {
  const json loaded = load_search_config(write_config("training:\n  epochs: 2\n"));
  const json stored = json::parse(loaded.dump());  // as a study stores it
  EXPECT_EQ(search_config_from_json(stored, "study.db: config"), loaded);
  EXPECT_EQ(search_config_from_json(json::object(), "x"), default_search_config());

  json typo = stored;
  typo["training"]["epoch"] = 3;
  try {
    search_config_from_json(typo, "study.db: config");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "study.db: config: unknown key 'training.epoch' (did you mean 'training.epochs'?)");
  }
  json wrong = stored;
  wrong["training"]["epochs"] = "2";
  EXPECT_THROW(search_config_from_json(wrong, "x"), std::invalid_argument);

  // Budget and space define a study; trials, threads and workers may change on resume.
  json requested = loaded;
  requested["search"]["trials"] = 100;
  requested["training"]["threads"] = 8;
  requested["workers"]["count"] = 4;
  EXPECT_TRUE(search_config_conflicts(stored, requested).empty());
  requested["training"]["epochs"] = 4;
  requested["space"]["ops"] = {"Rotate"};
  EXPECT_EQ(search_config_conflicts(stored, requested),
            (std::vector<std::string>{"training.epochs: 2 in the study, 4 requested",
                                      "space.ops: [] in the study, [\"Rotate\"] requested"}));
}

}  // namespace
}  // namespace autoaug::tools
