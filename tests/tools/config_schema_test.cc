// The config engine on a schema of its own (no search keys): each kind read from YAML, JSON and
// the command line, checked the same way, errors that name the origin, key and line, typo
// suggestions, the cross-key check, conflicts, and schemas that are themselves wrong.

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "tools/config/schema.h"

namespace autoaug::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Key key(const char* section, const char* name, Kind kind, json fallback, const char* option = "") {
  return Key::make(section, name, kind, std::move(fallback), option, "the " + std::string(name));
}

// A small schema: a run section and a paint section, and "low below high" across keys.
Schema toy() {
  std::vector<Key> keys = {
      key("run", "name", Kind::kString, "first", "--name"),
      key("run", "steps", Kind::kInt, 10, "--steps").range(1, 100),
      key("run", "seed", Kind::kUnsigned, json(std::uint64_t{0}), "--seed").range(0, kInf),
      key("run", "rate", Kind::kReal, 0.5, "--rate").range(0, 1, true, false),
      key("run", "fast", Kind::kBool, false, "--fast").resumable(),
      key("paint", "colors", Kind::kList, json::array(), "--colors")
          .list_of("color", "e.g. [red, blue]")
          .one_of({"red", "green", "blue"}),
      key("paint", "mode", Kind::kString, "flat", "--mode").one_of({"flat", "gloss"}),
      key("paint", "low", Kind::kReal, 1.0),
      key("paint", "high", Kind::kReal, 2.0)};
  return Schema(
      {"run", "paint"}, std::move(keys), [](const json& c) -> std::optional<CheckFailure> {
        if (c["paint"]["low"].get<double>() < c["paint"]["high"].get<double>()) return std::nullopt;
        return CheckFailure{"paint.low is not below paint.high", {"paint.low", "paint.high"}};
      });
}

std::string write_yaml(const std::string& text) {
  static int counter = 0;
  const fs::path path =
      fs::path(::testing::TempDir()) / ("config_schema_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter++) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

// What load_yaml throws for `text`, without the file's path; "" when it loads.
std::string yaml_error(const std::string& text) {
  const std::string path = write_yaml(text);
  try {
    toy().load_yaml(path);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message.substr(path.size() + 1);
  }
  return "";
}

std::string json_error(const json& config) {
  try {
    toy().from_json(config, "stored");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigSchema, YamlSetsEachKindAndLeavesTheRestAtTheirDefaults) {
  const json c = toy().load_yaml(write_yaml(
      "run:\n  name: second\n  steps: 20\n  seed: 18446744073709551615\n  rate: 1\n  fast: "
      "true\npaint:\n  colors: [blue, red]\n"));
  json expected = toy().defaults();
  expected["run"] = {{"name", "second"},
                     {"steps", 20},
                     {"seed", std::uint64_t{18446744073709551615u}},
                     {"rate", 1.0},
                     {"fast", true}};
  expected["paint"]["colors"] = {"blue", "red"};
  EXPECT_EQ(c, expected);
  EXPECT_EQ(toy().load_yaml(write_yaml("")), toy().defaults());
}

TEST(ConfigSchema, YamlErrorsNameTheKeyAndLine) {
  EXPECT_EQ(yaml_error("run:\n  stepz: 3\n"),
            "2: unknown key 'run.stepz' (did you mean 'run.steps'?)");
  EXPECT_EQ(yaml_error("runn:\n  steps: 3\n"), "1: unknown key 'runn' (did you mean 'run'?)");
  EXPECT_EQ(yaml_error("paint:\n  steps: 3\n"),
            "2: unknown key 'paint.steps' (did you mean 'run.steps'?)");
  EXPECT_EQ(yaml_error("run:\n  name: a\n  steps: 0\n"), "3: run.steps: 0 is outside 1..100");
  EXPECT_EQ(yaml_error("run:\n  rate: 0\n"), "2: run.rate: 0.0 is outside (0, 1]");
  EXPECT_EQ(yaml_error("run:\n  seed: -1\n"), "2: run.seed: -1 is negative");
  EXPECT_EQ(yaml_error("run:\n  steps: \"3\"\n"),
            "2: run.steps: expected an integer, got the string \"3\"");
  EXPECT_EQ(yaml_error("run:\n  fast: yes\n"), "2: run.fast: expected true or false, got 'yes'");
  EXPECT_EQ(yaml_error("run:\n  steps:\n"),
            "2: run.steps: has no value (leave the key out for the default, 10)");
  EXPECT_EQ(yaml_error("paint:\n  colors:\n    - red\n    - bleu\n"),
            "4: paint.colors[1]: unknown color 'bleu' (did you mean 'blue'?)");
  EXPECT_EQ(yaml_error("paint:\n  colors: [red, red]\n"),
            "2: paint.colors[1]: 'red' is listed twice");
  EXPECT_EQ(yaml_error("paint:\n  colors: red\n"),
            "2: paint.colors: expected a list of color names, e.g. [red, blue]");
  EXPECT_EQ(yaml_error("paint:\n  mode: glos\n"),
            "2: paint.mode: 'glos' is not one of flat, gloss (did you mean 'gloss'?)");
  EXPECT_EQ(yaml_error("run:\n  steps: 1\nrun:\n  steps: 2\n"), "3: duplicate key 'run'");
  EXPECT_EQ(yaml_error("run: [\n"), "2: not valid YAML: end of sequence flow not found");
}

TEST(ConfigSchema, TheCrossKeyCheckBlamesTheFirstKeyTheFileSets) {
  EXPECT_EQ(yaml_error("paint:\n  mode: flat\n  low: 3\n"), "3: paint.low is not below paint.high");
  EXPECT_EQ(yaml_error("paint:\n  high: 0.5\n"), "2: paint.low is not below paint.high");
}

TEST(ConfigSchema, JsonIsCheckedAsYamlIs) {
  EXPECT_EQ(toy().from_json({{"run", {{"steps", 7}}}}, "stored")["run"]["steps"], 7);
  EXPECT_EQ(json_error({{"run", {{"steps", 700}}}}), "stored: run.steps: 700 is outside 1..100");
  EXPECT_EQ(json_error({{"run", {{"steps", 1.5}}}}),
            "stored: run.steps: expected an integer, got 1.5");
  EXPECT_EQ(json_error({{"paint", {{"colors", "red"}}}}),
            "stored: paint.colors: expected a list of color names, e.g. [red, blue], got \"red\"");
  EXPECT_EQ(json_error({{"paint", {{"colors", {"red", "pink"}}}}}),
            "stored: paint.colors[1]: unknown color 'pink' (the colors are red, green, blue)");
  EXPECT_EQ(json_error({{"walk", json::object()}}),
            "stored: unknown key 'walk' (the sections are run, paint)");
  EXPECT_EQ(json_error({{"paint", {{"low", 5}}}}), "stored: paint.low is not below paint.high");
}

TEST(ConfigSchema, CommandLineOptionsOverrideTheFileAndAreCheckedTheSameWay) {
  const Schema schema = toy();
  CLI::App app;
  schema.add_options(app, {"run", "paint"});
  app.parse(std::vector<std::string>{"blue,green", "--colors", "2", "--steps"});  // reversed
  json c = schema.defaults();
  schema.override_from(c, app);
  EXPECT_EQ(c["run"]["steps"], 2);
  EXPECT_EQ(c["paint"]["colors"], json({"blue", "green"}));
  EXPECT_EQ(c["run"]["name"], "first");  // not given: kept

  CLI::App bad;
  schema.add_options(bad, {"run"});
  bad.parse(std::vector<std::string>{"101", "--steps"});
  try {
    schema.override_from(c, bad);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--steps: 101 is outside 1..100");
  }
  EXPECT_NE(bad.help().find("--steps INT=10"), std::string::npos) << bad.help();
}

TEST(ConfigSchema, ConflictsListTheKeysThatDefineAStudy) {
  const Schema schema = toy();
  json stored = schema.defaults();
  json requested = stored;
  requested["run"]["steps"] = 20;
  requested["run"]["fast"] = true;  // resumable: not a conflict
  stored["paint"].erase("mode");    // missing: its default
  EXPECT_EQ(schema.conflicts(stored, requested),
            std::vector<std::string>{"run.steps: 10 in the study, 20 requested"});
}

TEST(ConfigSchema, ASchemaThatIsItselfWrongIsRefused) {
  auto refused = [](std::vector<Key> keys) {
    try {
      Schema({"run"}, std::move(keys));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(refused({key("walk", "steps", Kind::kInt, 1)}), "walk.steps: not in a section");
  EXPECT_EQ(refused({key("run", "steps", Kind::kInt, 1), key("run", "steps", Kind::kInt, 1)}),
            "run.steps: declared twice");
  EXPECT_EQ(refused({key("run", "steps", Kind::kInt, 0).range(1, 9)}),
            "run.steps: the default: 0 is outside 1..9");
}

}  // namespace
}  // namespace autoaug::config
