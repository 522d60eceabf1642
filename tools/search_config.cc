#include "tools/search_config.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "augment/op.h"
#include "search/strategy/strategy_factory.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Kind { kString, kInt, kUnsigned, kReal, kBool, kOps };

const char* expected(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "expected a string";
    case Kind::kInt:
    case Kind::kUnsigned:
      return "expected an integer";
    case Kind::kReal:
      return "expected a number";
    case Kind::kBool:
      return "expected true or false";
    case Kind::kOps:
      return "expected a list of op names, e.g. [Rotate, Color] ([] for all but Identity)";
  }
  return "";
}

// Sets and reads one TrainArgs field.
struct TrainBinding {
  std::function<void(TrainArgs&, const json&)> set;
  std::function<json(const TrainArgs&)> get;
};

template <typename T>
TrainBinding bind_field(T TrainArgs::*member) {
  return {[member](TrainArgs& a, const json& v) { a.*member = v.get<T>(); },
          [member](const TrainArgs& a) { return json(a.*member); }};
}

struct Key {
  std::string section;
  std::string name;
  Kind kind = Kind::kString;
  json fallback;
  double min = -kInf, max = kInf;
  bool min_open = false;             // min itself is not allowed (lr > 0)
  bool max_open = false;             // max itself is not allowed (label_smoothing < 1)
  std::vector<std::string> choices;  // strings and ops: the allowed values (empty: any)
  std::string option;
  std::string field;
  bool defines_study = true;
  std::string doc;
  TrainBinding train;  // empty for the search command's own keys

  std::string path() const { return section + "." + name; }
  Key& range(double lo, double hi, bool lo_open = false, bool hi_open = false) {
    min = lo;
    max = hi;
    min_open = lo_open;
    max_open = hi_open;
    return *this;
  }
  Key& one_of(std::vector<std::string> values) {
    choices = std::move(values);
    return *this;
  }
  Key& resumable() {
    defines_study = false;
    return *this;
  }
};

const std::vector<std::string> kSections = {"data",   "training", "space",
                                            "search", "rescore",  "workers"};

// The training defaults of `autoaug search` (add_policy_search_commands): TrainArgs' own, with
// the proxy budget of the search.
TrainArgs search_train_defaults() {
  TrainArgs t;
  t.epochs = 4;
  t.train_size = 2000;
  t.val_size = 1000;
  t.threads = 2;
  t.proxy = true;
  return t;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const augment::Op& op : augment::builtin_ops().ops()) names.push_back(op.name());
  return names;
}

// Builds the schema: keys in file order.
struct KeyTable {
  std::vector<Key> keys;
  TrainArgs defaults = search_train_defaults();

  // A key of the search command's own, with its default.
  Key& own(const char* section, const char* name, Kind kind, json fallback, const char* option,
           const char* field, const char* doc) {
    Key key;
    key.section = section;
    key.name = name;
    key.kind = kind;
    key.fallback = std::move(fallback);
    key.option = option;
    key.field = field;
    key.doc = doc;
    if (kind == Kind::kUnsigned) key.range(0, kInf);
    keys.push_back(std::move(key));
    return keys.back();
  }
  // A TrainArgs field; its default is the search command's.
  template <typename T>
  Key& train(const char* section, const char* name, Kind kind, T TrainArgs::*member,
             const char* option, const char* field, const char* doc) {
    Key& key = own(section, name, kind, nullptr, option, field, doc);
    key.train = bind_field(member);
    key.fallback = key.train.get(defaults);
    return key;
  }
};

constexpr double kMaxCount = 1e12;

// The data and training sections: TrainArgs fields.
void add_training_keys(KeyTable& b) {
  b.train("data", "name", Kind::kString, &TrainArgs::data, "--data", "TrainArgs::data",
          "fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR or folder:DIR");
  b.train("data", "train_size", Kind::kUnsigned, &TrainArgs::train_size, "--train-size",
          "TrainArgs::train_size", "proxy-train images, a stratified subset (0: 4000)")
      .range(0, kMaxCount);
  b.train("data", "val_size", Kind::kUnsigned, &TrainArgs::val_size, "--val-size",
          "TrainArgs::val_size", "proxy-val images, held out from the training set (0: 1000)")
      .range(0, kMaxCount);
  b.train("data", "split_seed", Kind::kUnsigned, &TrainArgs::split_seed, "--split-seed",
          "TrainArgs::split_seed", "seed of the stratified subsets");

  b.train("training", "model", Kind::kString, &TrainArgs::model, "--model", "TrainArgs::model",
          "the proxy network: mobilenetv2 or tinycnn")
      .one_of({"mobilenetv2", "tinycnn"});
  b.train("training", "width", Kind::kReal, &TrainArgs::width, "--width", "TrainArgs::width",
          "MobileNetV2 width multiplier, 0.25..1.0")
      .range(0.25, 1.0);
  b.train("training", "epochs", Kind::kInt, &TrainArgs::epochs, "--epochs", "TrainArgs::epochs",
          "training epochs per trial")
      .range(1, 100000);
  b.train("training", "batch_size", Kind::kInt, &TrainArgs::batch_size, "--batch-size",
          "TrainArgs::batch_size", "batch size")
      .range(1, 65536);
  b.train("training", "lr", Kind::kReal, &TrainArgs::lr, "--lr", "TrainArgs::lr",
          "peak learning rate (SGD, nesterov momentum 0.9)")
      .range(0, kInf, true);
  b.train("training", "weight_decay", Kind::kReal, &TrainArgs::weight_decay, "--weight-decay",
          "TrainArgs::weight_decay", "weight decay")
      .range(0, kInf);
  b.train("training", "warmup_epochs", Kind::kReal, &TrainArgs::warmup_epochs, "--warmup-epochs",
          "TrainArgs::warmup_epochs", "linear warm-up before the cosine decay, in epochs")
      .range(0, 100000);
  b.train("training", "label_smoothing", Kind::kReal, &TrainArgs::label_smoothing,
          "--label-smoothing", "TrainArgs::label_smoothing", "label smoothing, in [0, 1)")
      .range(0, 1, false, true);
  b.train("training", "seed", Kind::kUnsigned, &TrainArgs::seed, "--seed", "TrainArgs::seed",
          "seed of the initialisation, order and augmentation of every trial");
  b.train("training", "threads", Kind::kInt, &TrainArgs::threads, "--threads", "TrainArgs::threads",
          "LibTorch intra-op threads per worker")
      .range(1, 1024)
      .resumable();
  b.train("training", "loader_threads", Kind::kInt, &TrainArgs::loader_threads, "--loader-threads",
          "TrainArgs::loader_threads", "loader threads per worker (augmentation)")
      .range(0, 256)
      .resumable();
  b.train("training", "channels_last", Kind::kBool, &TrainArgs::channels_last, "--channels-last",
          "TrainArgs::channels_last", "channels-last memory format")
      .resumable();
  b.train("training", "device", Kind::kString, &TrainArgs::device, "--device", "TrainArgs::device",
          "auto, cpu or cuda")
      .one_of({"auto", "cpu", "cuda"})
      .resumable();
}

// The space, search, rescore and workers sections: the search command's own.
void add_search_keys(KeyTable& b) {
  b.own("space", "kind", Kind::kString, "subpolicies", "--space",
        "augment::PolicySpaceOptions::kind",
        "subpolicies: K sub-policies of steps {op, probability, bin}; randaugment: RandAugment's "
        "number of ops (1..3) and their one bin")
      .one_of({"subpolicies", "randaugment"});
  b.own("space", "subpolicies", Kind::kInt, 5, "--subpolicies",
        "augment::PolicySpaceOptions::subpolicies", "sub-policies per policy (K)")
      .range(1, 64);
  b.own("space", "steps", Kind::kInt, 2, "--steps", "augment::PolicySpaceOptions::steps",
        "steps per sub-policy")
      .range(1, 8);
  b.own("space", "ops", Kind::kOps, json::array(), "--ops",
        "augment::PolicySpaceOptions::ops (comma-joined)",
        "candidate ops ([]: every op but Identity; RandAugment's 14 for kind randaugment)")
      .one_of(op_names());
  b.own("space", "magnitude_bins", Kind::kInt, 10, "--bins",
        "augment::PolicySpaceOptions::magnitude_bins",
        "magnitude bins (10 as AutoAugment, 31 as RandAugment's wide space)")
      .range(2, 1000);

  b.own("search", "strategy", Kind::kString, "rf-random", "--strategy",
        "the study's strategy (search::make_strategy)",
        "the strategy: random, grid, gp, gp-hedge, rf, et, rf-random or et-random")
      .one_of(search::strategy_names());
  b.own("search", "interleave", Kind::kInt, search::kDefaultInterleave, "--interleave",
        "the study's interleave (search::make_strategy)",
        "for rf-random and et-random: 1 of every k proposals from the forest, k-1 random")
      .range(1, 1000);
  b.own("search", "seed", Kind::kUnsigned, json(std::uint64_t{0}), "--search-seed",
        "the study's seed", "seed of the strategy");
  b.own("search", "trials", Kind::kInt, 16, "--trials", "the study's trials",
        "trials in total, the baseline not counted (a resumed study runs up to this)")
      .range(1, 1000000)
      .resumable();

  b.own("rescore", "top", Kind::kInt, 3, "--rescore-top",
        "the re-scoring's candidates (tools/rescore.h)",
        "after the trials, re-score this many of the best policies and the baseline with fresh "
        "seeds and choose by the mean (0: keep the single best trial)")
      .range(0, 100)
      .resumable();
  b.own("rescore", "seeds", Kind::kInt, 3, "--rescore-seeds",
        "the re-scoring's seeds (tools/rescore.h)",
        "fresh training seeds per re-scored candidate (0: no re-scoring)")
      .range(0, 100)
      .resumable();

  b.own("workers", "count", Kind::kInt, 1, "--workers", "CoordinateArgs::workers",
        "local worker processes training trials in parallel (0: remote ones only, --listen)")
      .range(0, 1024)
      .resumable();
  b.own("workers", "lease_seconds", Kind::kReal, 60.0, "--lease-seconds",
        "net::CoordinatorOptions::lease_seconds",
        "a trial whose worker sends no heartbeat for this long is handed out again")
      .range(0, 1e6, true)
      .resumable();
  b.own("workers", "heartbeat_seconds", Kind::kReal, 5.0, "--heartbeat-seconds",
        "net::CoordinatorOptions::heartbeat_seconds",
        "how often workers send heartbeats (less than lease_seconds)")
      .range(0, 1e6, true)
      .resumable();
  b.own("workers", "max_attempts", Kind::kInt, 3, "--max-attempts",
        "net::CoordinatorOptions::max_attempts", "lost leases before a trial counts as failed")
      .range(1, 100)
      .resumable();
}

// The schema, and the mapping from each key to its command-line option and the field it sets.
const std::vector<Key>& keys() {
  static const std::vector<Key> table = [] {
    KeyTable b;
    add_training_keys(b);
    add_search_keys(b);
    return std::move(b.keys);
  }();
  return table;
}

const Key* find_key(const std::string& section, const std::string& name) {
  for (const Key& k : keys()) {
    if (k.section == section && k.name == name) return &k;
  }
  return nullptr;
}

const Key* find_path(const std::string& path) {
  const size_t dot = path.find('.');
  if (dot == std::string::npos) return nullptr;
  return find_key(path.substr(0, dot), path.substr(dot + 1));
}

bool is_section(const std::string& name) {
  return std::find(kSections.begin(), kSections.end(), name) != kSections.end();
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The candidate nearest to `word` when it is close enough to be a typo, else "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(lowercase(word), lowercase(c));
    if (d < best_distance && d < std::max(word.size(), c.size())) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> names_in(const std::string& section) {
  std::vector<std::string> names;
  for (const Key& k : keys()) {
    if (k.section == section) names.push_back(k.name);
  }
  return names;
}

// "unknown key 'training.epoch' (did you mean 'training.epochs'?)"
std::string unknown_key(const std::string& section, const std::string& name) {
  const std::string path = section.empty() ? name : section + "." + name;
  std::string message = "unknown key '" + path + "'";
  const std::vector<std::string> candidates = section.empty() ? kSections : names_in(section);
  const std::string guess = nearest(name, candidates);
  if (!guess.empty()) {
    return message + " (did you mean '" + (section.empty() ? "" : section + ".") + guess + "'?)";
  }
  for (const Key& k : keys()) {  // the right key in the wrong place
    if (k.name == name) return message + " (did you mean '" + k.path() + "'?)";
  }
  if (section.empty()) return message + " (the sections are " + joined(kSections) + ")";
  return message + " (the keys of '" + section + "' are " + joined(candidates) + ")";
}

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The range and the choices; "" when `v` (already of the key's kind) is allowed. `bad_index`
// receives the index of a bad list element.
std::string check_value(const Key& k, const json& v, int* bad_index = nullptr) {
  if (k.kind == Kind::kOps) {
    std::set<std::string> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string op = v[i].get<std::string>();
      if (bad_index != nullptr) *bad_index = static_cast<int>(i);
      const std::string where = "[" + std::to_string(i) + "]: ";
      if (std::find(k.choices.begin(), k.choices.end(), op) == k.choices.end()) {
        const std::string guess = nearest(op, k.choices);
        return where + "unknown op '" + op + "'" +
               (guess.empty() ? " (the ops are " + joined(k.choices) + ")"
                              : " (did you mean '" + guess + "'?)");
      }
      if (!seen.insert(op).second) return where + "'" + op + "' is listed twice";
    }
    if (bad_index != nullptr) *bad_index = -1;
    return "";
  }
  if (k.kind == Kind::kString) {
    const std::string s = v.get<std::string>();
    if (s.empty()) return "is empty";
    if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), s) == k.choices.end()) {
      const std::string guess = nearest(s, k.choices);
      return "'" + s + "' is not one of " + joined(k.choices) +
             (guess.empty() ? "" : " (did you mean '" + guess + "'?)");
    }
    return "";
  }
  if (k.kind == Kind::kBool) return "";
  const double x = v.get<double>();
  const bool above = k.min_open ? x > k.min : x >= k.min;
  const bool below = k.max_open ? x < k.max : x <= k.max;
  if (above && below) return "";
  const std::string text = value_text(v);
  if (k.max == kInf) {
    if (k.min == 0) return text + (k.min_open ? " is not positive" : " is negative");
    return text + " is less than " + number_text(k.min);
  }
  if (!k.min_open && !k.max_open) {
    return text + " is outside " + number_text(k.min) + ".." + number_text(k.max);
  }
  return text + " is outside " + (k.min_open ? "(" : "[") + number_text(k.min) + ", " +
         number_text(k.max) + (k.max_open ? ")" : "]");
}

// A scalar as YAML text (plain when !quoted) converted to the key's kind; sets `error` instead
// when it is not of that kind.
json parse_text(const Key& k, const std::string& text, bool quoted, std::string& error) {
  static const std::regex kInteger(R"([-+]?[0-9]+)");
  static const std::regex kReal(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  const std::string shown = quoted ? "the string \"" + text + "\"" : "'" + text + "'";
  switch (k.kind) {
    case Kind::kString:
    case Kind::kOps:
      return text;
    case Kind::kBool:
      if (!quoted && (text == "true" || text == "True" || text == "TRUE")) return true;
      if (!quoted && (text == "false" || text == "False" || text == "FALSE")) return false;
      error = std::string(expected(k.kind)) + ", got " + shown;
      return nullptr;
    case Kind::kInt:
    case Kind::kUnsigned: {
      if (quoted || !std::regex_match(text, kInteger)) {
        error = std::string(expected(k.kind)) + ", got " + shown;
        return nullptr;
      }
      const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
      const char* end = text.data() + text.size();
      if (text[0] != '-') {
        std::uint64_t u = 0;
        if (std::from_chars(begin, end, u).ec == std::errc()) {
          if (k.kind == Kind::kUnsigned) return u;
          if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(u);
          }
        }
      } else {
        std::int64_t i = 0;
        if (std::from_chars(begin, end, i).ec == std::errc()) return i;
      }
      error = text + " is out of range";
      return nullptr;
    }
    case Kind::kReal:
      if (quoted || !std::regex_match(text, kReal)) {
        error = std::string(expected(k.kind)) + ", got " + shown;
        return nullptr;
      }
      return std::strtod(text.c_str(), nullptr);
  }
  return nullptr;
}

// A JSON value converted to the key's kind; sets `error` instead when it is not of that kind.
json from_json_value(const Key& k, const json& v, std::string& error) {
  bool ok = false;
  json out;
  switch (k.kind) {
    case Kind::kString:
      ok = v.is_string();
      out = v;
      break;
    case Kind::kBool:
      ok = v.is_boolean();
      out = v;
      break;
    case Kind::kInt:
      ok = v.is_number_integer() &&
           (!v.is_number_unsigned() ||
            v.get<std::uint64_t>() <=
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
      if (ok) out = v.get<std::int64_t>();
      break;
    case Kind::kUnsigned:  // a negative value stays signed, for the range check to name
      ok = v.is_number_integer();
      if (ok) {
        out = v.is_number_unsigned() || v.get<std::int64_t>() >= 0 ? json(v.get<std::uint64_t>())
                                                                   : json(v.get<std::int64_t>());
      }
      break;
    case Kind::kReal:
      ok = v.is_number();
      if (ok) out = v.get<double>();
      break;
    case Kind::kOps:
      ok = v.is_array() &&
           std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
      out = v;
      break;
  }
  if (!ok) error = std::string(expected(k.kind)) + ", got " + v.dump();
  return out;
}

// Checks across keys; "" when the config is consistent, else the message and the path it names.
std::pair<std::string, std::string> check_together(const json& config) {
  const json& w = config.at("workers");
  if (!(w.at("heartbeat_seconds").get<double>() < w.at("lease_seconds").get<double>())) {
    return {"workers.heartbeat_seconds",
            "workers.heartbeat_seconds: " + value_text(w.at("heartbeat_seconds")) +
                " is not less than workers.lease_seconds (" + value_text(w.at("lease_seconds")) +
                "): leases would expire between heartbeats"};
  }
  return {"", ""};
}

int line_of(const YAML::Node& node, const YAML::Node& fallback) {
  const int line = node.Mark().line;
  return (line >= 0 ? line : fallback.Mark().line) + 1;
}

// Throws "PATH:LINE: message".
[[noreturn]] void fail_at(const std::string& path, int line, const std::string& message) {
  throw std::invalid_argument(path + ":" + std::to_string(line) + ": " + message);
}

// The op names of an ops key, checked; errors name the element's line.
json read_ops(const std::string& path, const Key& key, const YAML::Node& v,
              const YAML::Node& name_node, int line) {
  json value = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      fail_at(path, line_of(v[i], name_node),
              key.path() + "[" + std::to_string(i) + "]: expected an op name");
    }
    value.push_back(v[i].Scalar());
  }
  int bad = -1;
  const std::string error = check_value(key, value, &bad);
  if (!error.empty()) fail_at(path, bad >= 0 ? line_of(v[bad], v) : line, key.path() + error);
  return value;
}

// The value of `key` from its node `v`, parsed and range-checked; errors name `line`.
json read_value(const std::string& path, const Key& key, const YAML::Node& v,
                const YAML::Node& name_node, int line) {
  std::string error;
  json value;
  if (v.IsNull()) {
    error = "has no value (leave the key out for the default, " + key.fallback.dump() + ")";
  } else if (key.kind == Kind::kOps) {
    if (v.IsSequence()) return read_ops(path, key, v, name_node, line);
    error = expected(key.kind);
  } else if (!v.IsScalar()) {
    error = expected(key.kind);
  } else {
    value = parse_text(key, v.Scalar(), v.Tag() == "!", error);
    if (error.empty()) error = check_value(key, value);
  }
  if (!error.empty()) fail_at(path, line, key.path() + ": " + error);
  return value;
}

// Reads the keys of one section's mapping into `config`, each key's line into `lines`.
void read_section(const std::string& path, const std::string& section, const YAML::Node& body,
                  json& config, std::map<std::string, int>& lines) {
  std::set<std::string> keys_seen;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const YAML::Node name_node = it->first;
    const YAML::Node v = it->second;
    if (!name_node.IsScalar())
      fail_at(path, line_of(name_node, body), section + ": expected a key");
    const std::string name = name_node.Scalar();
    const Key* key = find_key(section, name);
    if (key == nullptr) fail_at(path, line_of(name_node, body), unknown_key(section, name));
    if (!keys_seen.insert(name).second) {
      fail_at(path, line_of(name_node, body), "duplicate key '" + key->path() + "'");
    }
    // A null value has no mark of its own: the key's line.
    const int line = v.IsNull() ? line_of(name_node, body) : line_of(v, name_node);
    config[section][name] = read_value(path, *key, v, name_node, line);
    lines[key->path()] = line;
  }
}

YAML::Node parse_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(path + ": cannot read");
  try {
    return YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    fail_at(path, e.mark.line + 1, "not valid YAML: " + e.msg);
  }
}

}  // namespace

json default_search_config() {
  json config = json::object();
  for (const std::string& s : kSections) config[s] = json::object();
  for (const Key& k : keys()) config[k.section][k.name] = k.fallback;
  return config;
}

const std::vector<SearchConfigKey>& search_config_keys() {
  static const std::vector<SearchConfigKey> out = [] {
    std::vector<SearchConfigKey> v;
    for (const Key& k : keys()) {
      v.push_back({k.path(), k.option, k.field, k.defines_study, k.fallback, k.doc});
    }
    return v;
  }();
  return out;
}

json load_search_config(const std::string& path) {
  const YAML::Node root = parse_yaml_file(path);
  json config = default_search_config();
  if (!root.IsDefined() || root.IsNull()) return config;
  if (!root.IsMap()) {
    fail_at(path, line_of(root, root), "expected a mapping with the sections " + joined(kSections));
  }
  std::map<std::string, int> lines;  // key path -> line of its value
  std::set<std::string> sections_seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node section_key = it->first;
    const YAML::Node body = it->second;
    const int line = line_of(section_key, body);
    if (!section_key.IsScalar()) fail_at(path, line, "expected a section name");
    const std::string section = section_key.Scalar();
    if (!is_section(section)) fail_at(path, line, unknown_key("", section));
    if (!sections_seen.insert(section).second) {
      fail_at(path, line, "duplicate key '" + section + "'");
    }
    if (body.IsNull()) continue;  // "training:" with nothing under it
    if (!body.IsMap()) {
      fail_at(path, line_of(body, section_key),
              section + ": expected a mapping of keys (" + joined(names_in(section)) + ")");
    }
    read_section(path, section, body, config, lines);
  }
  const auto [where, message] = check_together(config);
  if (!message.empty()) {
    const auto found = lines.find(where);
    if (found != lines.end()) fail_at(path, found->second, message);
    const auto lease = lines.find("workers.lease_seconds");
    if (lease != lines.end()) fail_at(path, lease->second, message);
    throw std::invalid_argument(path + ": " + message);
  }
  return config;
}

json search_config_from_json(const json& input, const std::string& origin) {
  auto fail = [&](const std::string& message) {
    throw std::invalid_argument(origin + ": " + message);
  };
  if (!input.is_object()) fail("expected an object with the sections " + joined(kSections));
  json config = default_search_config();
  for (const auto& [section, body] : input.items()) {
    if (!is_section(section)) fail(unknown_key("", section));
    if (body.is_null()) continue;
    if (!body.is_object()) fail(section + ": expected an object");
    for (const auto& [name, v] : body.items()) {
      const Key* key = find_key(section, name);
      if (key == nullptr) fail(unknown_key(section, name));
      std::string error;
      const json value = from_json_value(*key, v, error);
      if (error.empty()) error = check_value(*key, value);
      if (!error.empty()) fail(key->path() + (key->kind == Kind::kOps ? "" : ": ") + error);
      config[section][name] = value;
    }
  }
  const auto [where, message] = check_together(config);
  if (!message.empty()) fail(message);
  return config;
}

void set_search_config_value(json& config, const std::string& path, const std::string& text,
                             const std::string& origin) {
  const Key* key = find_path(path);
  if (key == nullptr) throw std::invalid_argument(origin + ": " + unknown_key("", path));
  std::string error;
  json value;
  if (key->kind == Kind::kOps) {
    value = json::array();
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) value.push_back(item);
    }
    error = check_value(*key, value);
  } else {
    value = parse_text(*key, text, false, error);
    if (error.empty()) error = check_value(*key, value);
  }
  if (!error.empty()) {
    throw std::invalid_argument(origin + (key->kind == Kind::kOps ? "" : ": ") + error);
  }
  config[key->section][key->name] = value;
}

void add_search_config_options(CLI::App& cmd, const std::vector<std::string>& sections) {
  static const std::map<Kind, const char*> kTypeNames = {
      {Kind::kString, "TEXT"}, {Kind::kInt, "INT"},   {Kind::kUnsigned, "UINT"},
      {Kind::kReal, "FLOAT"},  {Kind::kBool, "BOOL"}, {Kind::kOps, "OP,..."}};
  for (const Key& k : keys()) {
    if (k.option.empty() ||
        std::find(sections.begin(), sections.end(), k.section) == sections.end()) {
      continue;
    }
    std::string help = k.doc;
    help[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(help[0])));
    CLI::Option* opt =
        cmd.add_option(k.option)->description(help)->type_name(kTypeNames.at(k.kind));
    if (k.kind != Kind::kOps) opt->default_str(value_text(k.fallback));
  }
}

void override_search_config(json& config, const CLI::App& cmd) {
  for (const Key& k : keys()) {
    if (k.option.empty()) continue;
    const CLI::Option* opt = cmd.get_option_no_throw(k.option);
    if (opt == nullptr || opt->count() == 0) continue;
    std::string text;
    if (k.kind == Kind::kBool) {
      text = opt->as<bool>() ? "true" : "false";
    } else {
      for (const std::string& r : opt->results()) text += (text.empty() ? "" : ",") + r;
    }
    set_search_config_value(config, k.path(), text, k.option);
  }
  const auto [where, message] = check_together(config);
  if (!message.empty()) throw std::invalid_argument(message);
}

void apply_search_config(const json& config, TrainArgs& train) {
  for (const Key& k : keys()) {
    if (k.train.set) k.train.set(train, config.at(k.section).at(k.name));
  }
  train.proxy = true;
}

std::vector<std::string> search_config_conflicts(const json& stored, const json& requested) {
  std::vector<std::string> out;
  auto value = [](const json& config, const Key& k) {
    const json* section = config.contains(k.section) ? &config.at(k.section) : nullptr;
    if (section != nullptr && section->is_object() && section->contains(k.name)) {
      return section->at(k.name);
    }
    return k.fallback;
  };
  for (const Key& k : keys()) {
    if (!k.defines_study) continue;
    const json a = value(stored, k);
    const json b = value(requested, k);
    if (a != b) {
      out.push_back(k.path() + ": " + a.dump() + " in the study, " + b.dump() + " requested");
    }
  }
  return out;
}

}  // namespace autoaug::tools
