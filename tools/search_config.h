#pragma once

// The YAML config of `autoaug search` (tools/search.yaml documents every key): five sections,
//
//   data:     the data set and the proxy split        (TrainArgs)
//   training: the proxy network and its budget        (TrainArgs)
//   space:    the policy space                        (the study's "space" object)
//   search:   the strategy and the number of trials   (the search command)
//   workers:  local workers and the coordinator       (the search command, CoordinatorOptions)
//
// Every key is optional: a key left out takes its default, an unknown key is an error that names
// it. The key table is declared here once, for the engine in tools/config/schema.h. The command
// line overrides the file (override_search_config); the resolved config, a JSON object of the same
// shape, is what a study stores.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace autoaug::tools {

struct TrainArgs;

// Reads a YAML search config into a JSON object with the same nested keys, every key present
// (defaults for those the file leaves out). Every key is checked against the schema: an unknown
// key throws std::invalid_argument naming the file, the key path and its line ("search.yaml:7:
// unknown key 'trainng' (did you mean 'training'?)"); a wrong type or an out-of-range value names
// the key and line too. A missing file, or one that is not YAML, names the file (and the line).
// An empty file resolves to the defaults.
nlohmann::json load_search_config(const std::string& path);

// The defaults, as the same JSON shape (what a config that sets nothing resolves to).
nlohmann::json default_search_config();

// Checks a config held as JSON (the one a study stores) against the same schema; missing keys
// take their defaults. Errors are std::invalid_argument prefixed with `origin` and the key path.
nlohmann::json search_config_from_json(const nlohmann::json& config, const std::string& origin);

// One key of the schema and where its value goes.
struct SearchConfigKey {
  std::string path;         // "training.epochs"
  std::string option;       // the command-line option that overrides it ("" when none)
  std::string field;        // where the value goes, e.g. "TrainArgs::epochs"
  bool defines_study;       // false for keys a resumed study may change (trials, threads, workers)
  nlohmann::json fallback;  // the default
  std::string doc;          // one line
};

// The schema in file order: the mapping from config keys to options and fields.
const std::vector<SearchConfigKey>& search_config_keys();

// Sets the key at `path` ("training.epochs") from text as a command line gives it (a list as
// comma-separated names), checked as a value in the file is. Errors are std::invalid_argument
// prefixed with `origin`.
void set_search_config_value(nlohmann::json& config, const std::string& path,
                             const std::string& text, const std::string& origin);

// Adds to `cmd` the command-line option of every key in `sections` ("space", "search", ...)
// that has one, with the schema's type, default and doc as its help: each such option is declared
// once, in the schema. override_search_config reads them.
void add_search_config_options(CLI::App& cmd, const std::vector<std::string>& sections);

// The command line wins: every option of search_config_keys() that was given on `cmd` (count() >
// 0) replaces its key in `config`, checked (errors name the option). Options `cmd` lacks are
// skipped.
void override_search_config(nlohmann::json& config, const CLI::App& cmd);

// Sets the training fields (the data and training sections) of `train` from a resolved config,
// and proxy = true (a search always scores on proxy-val).
void apply_search_config(const nlohmann::json& config, TrainArgs& train);

// Why two resolved configs cannot share a study: one line per key that defines the study and
// differs, "training.epochs: 4 in the study, 2 requested". Empty when they can.
std::vector<std::string> search_config_conflicts(const nlohmann::json& stored,
                                                 const nlohmann::json& requested);

}  // namespace autoaug::tools
