#pragma once

// A typed config schema and everything derived from it: a YAML file read with its line numbers,
// the same config held as JSON (what a study stores), command-line options and their overrides,
// and the keys in which two configs differ. Each key is declared once, with its section, name,
// kind, default, range or choices, command-line option and one line of help; every error names
// the file (or origin), the key path and, for a file, the line, and suggests the nearest key or
// value when a name looks like a typo ("search.yaml:7: unknown key 'trainng' (did you mean
// 'training'?)").
//
// Owns: no knowledge of any particular config (tools/search_config.h holds the search's). May
// include: nlohmann_json, yaml-cpp, CLI11 (the last two only in schema.cc).

#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace autoaug::config {

constexpr double kInf = std::numeric_limits<double>::infinity();

// kList: a list of names, each one of the key's choices, none twice.
enum class Kind { kString, kInt, kUnsigned, kReal, kBool, kList };

struct Key {
  std::string section;
  std::string name;
  Kind kind = Kind::kString;
  nlohmann::json fallback;  // the default
  double min = -kInf, max = kInf;
  bool min_open = false;             // min itself is not allowed (lr > 0)
  bool max_open = false;             // max itself is not allowed (label_smoothing < 1)
  std::vector<std::string> choices;  // strings and lists: the allowed values (empty: any)
  std::string option;                // the command-line option that overrides it ("" when none)
  std::string field;                 // where the value goes, for the documentation
  bool defines_study = true;         // false for keys a resumed study may change
  std::string doc;                   // one line
  // Lists: what one element is called in messages ("op") and an example of the whole list.
  std::string item = "item";
  std::string example;

  // A key with its option and help; an unsigned key's range starts at 0.
  static Key make(std::string section, std::string name, Kind kind, nlohmann::json fallback,
                  std::string option, std::string doc);

  std::string path() const { return section + "." + name; }
  Key& range(double lo, double hi, bool lo_open = false, bool hi_open = false);
  Key& one_of(std::vector<std::string> values);
  Key& resumable();
  Key& list_of(std::string item_name, std::string list_example);
};

// What a check across keys found: the message, and the keys it concerns, the one to blame
// first (a file's error names the line of the first of them that the file sets).
struct CheckFailure {
  std::string message;
  std::vector<std::string> paths;
};
// A check across keys of a resolved config: nullopt when it holds.
using Check = std::function<std::optional<CheckFailure>(const nlohmann::json& config)>;

class Schema {
 public:
  // `sections` in file order; every key's section must be one of them. Throws
  // std::invalid_argument for a key in no section, a duplicate key or a default the key's own
  // checks refuse.
  Schema(std::vector<std::string> sections, std::vector<Key> keys, Check check = {});

  const std::vector<std::string>& sections() const { return sections_; }
  const std::vector<Key>& keys() const { return keys_; }
  const Key* find(const std::string& section, const std::string& name) const;
  // "training.epochs"; nullptr when there is no such key.
  const Key* find_path(const std::string& path) const;

  // Every section with every key at its default.
  nlohmann::json defaults() const;

  // Reads a YAML file into the defaults' shape. Every key is checked; an unknown key, a wrong
  // type or an out-of-range value throws std::invalid_argument "PATH:LINE: message". A missing
  // file, or one that is not YAML, names the file (and the line). An empty file: the defaults.
  nlohmann::json load_yaml(const std::string& path) const;

  // Checks a config held as JSON; missing keys take their defaults. Errors are
  // std::invalid_argument prefixed with `origin` and naming the key path.
  nlohmann::json from_json(const nlohmann::json& config, const std::string& origin) const;

  // Sets the key at `path` from text as a command line gives it (a list as comma-separated
  // names), checked as a value in a file is. Errors are std::invalid_argument prefixed with
  // `origin`.
  void set_text(nlohmann::json& config, const std::string& path, const std::string& text,
                const std::string& origin) const;

  // Adds to `cmd` the option of every key in `sections` that has one, with its type, default and
  // doc as its help; a boolean key's option is a flag.
  void add_options(CLI::App& cmd, const std::vector<std::string>& sections) const;

  // Every option of the schema given on `cmd` (count() > 0) replaces its key in `config`,
  // checked (errors name the option); then the cross-key check. Options `cmd` lacks are skipped.
  void override_from(nlohmann::json& config, const CLI::App& cmd) const;

  // One line per key that defines the study and differs ("training.epochs: 4 in the study, 2
  // requested"); a key missing from either side counts as its default.
  std::vector<std::string> conflicts(const nlohmann::json& stored,
                                     const nlohmann::json& requested) const;

 private:
  bool is_section(const std::string& name) const;
  std::vector<std::string> names_in(const std::string& section) const;
  std::string unknown_key(const std::string& section, const std::string& name) const;
  std::optional<CheckFailure> check_together(const nlohmann::json& config) const;

  std::vector<std::string> sections_;
  std::vector<Key> keys_;
  Check check_;
};

// The value of a key as text: a string as it is, anything else as JSON.
std::string value_text(const nlohmann::json& v);

// `v` converted to the key's kind (an integer for a real, say); sets `error` ("expected an
// integer, got 1.5") when it is not of that kind.
nlohmann::json typed_value(const Key& k, const nlohmann::json& v, std::string& error);

// What is wrong with `v`, already of the key's kind: outside its range or not one of its choices
// ("0 is outside 1..100000"); "" when it is allowed. For a list, the message starts with the
// element's index ("[1]: ...").
std::string value_problem(const Key& k, const nlohmann::json& v);

}  // namespace autoaug::config
