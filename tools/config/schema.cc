#include "tools/config/schema.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace autoaug::config {

using nlohmann::json;

Key Key::make(std::string section, std::string name, Kind kind, json fallback, std::string option,
              std::string doc) {
  Key k;
  k.section = std::move(section);
  k.name = std::move(name);
  k.kind = kind;
  k.fallback = std::move(fallback);
  k.option = std::move(option);
  k.doc = std::move(doc);
  if (kind == Kind::kUnsigned) k.range(0, kInf);
  return k;
}

Key& Key::range(double lo, double hi, bool lo_open, bool hi_open) {
  min = lo;
  max = hi;
  min_open = lo_open;
  max_open = hi_open;
  return *this;
}

Key& Key::one_of(std::vector<std::string> values) {
  choices = std::move(values);
  return *this;
}

Key& Key::resumable() {
  defines_study = false;
  return *this;
}

Key& Key::list_of(std::string item_name, std::string list_example) {
  kind = Kind::kList;
  item = std::move(item_name);
  example = std::move(list_example);
  return *this;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

namespace {

std::string expected(const Key& k) {
  switch (k.kind) {
    case Kind::kString:
      return "expected a string";
    case Kind::kInt:
    case Kind::kUnsigned:
      return "expected an integer";
    case Kind::kReal:
      return "expected a number";
    case Kind::kBool:
      return "expected true or false";
    case Kind::kList:
      return "expected a list of " + k.item + " names, " + k.example;
  }
  return "";
}

// "an op", "a policy".
std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
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

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// The elements of a list value, checked against the choices; "" when allowed. `bad_index`
// receives the index of the bad element (-1: none).
std::string check_list(const Key& k, const json& v, int* bad_index) {
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string name = v[i].get<std::string>();
    if (bad_index != nullptr) *bad_index = static_cast<int>(i);
    const std::string where = "[" + std::to_string(i) + "]: ";
    if (!k.choices.empty() &&
        std::find(k.choices.begin(), k.choices.end(), name) == k.choices.end()) {
      const std::string guess = nearest(name, k.choices);
      return where + "unknown " + k.item + " '" + name + "'" +
             (guess.empty() ? " (the " + k.item + "s are " + joined(k.choices) + ")"
                            : " (did you mean '" + guess + "'?)");
    }
    if (!seen.insert(name).second) return where + "'" + name + "' is listed twice";
  }
  if (bad_index != nullptr) *bad_index = -1;
  return "";
}

// A number outside the key's range, said the way the range reads.
std::string out_of_range(const Key& k, const json& v) {
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

// The range and the choices; "" when `v` (already of the key's kind) is allowed. `bad_index`
// receives the index of a bad list element.
std::string check_value(const Key& k, const json& v, int* bad_index = nullptr) {
  if (k.kind == Kind::kList) return check_list(k, v, bad_index);
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
  return above && below ? "" : out_of_range(k, v);
}

// An integer written as `text` (already matched as one), as the key's kind; sets `error` when it
// does not fit.
json parse_integer(const Key& k, const std::string& text, std::string& error) {
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

// A scalar as YAML text (plain when !quoted) converted to the key's kind; sets `error` instead
// when it is not of that kind.
json parse_text(const Key& k, const std::string& text, bool quoted, std::string& error) {
  static const std::regex kInteger(R"([-+]?[0-9]+)");
  static const std::regex kReal(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  const std::string shown = quoted ? "the string \"" + text + "\"" : "'" + text + "'";
  switch (k.kind) {
    case Kind::kString:
    case Kind::kList:
      return text;
    case Kind::kBool:
      if (!quoted && (text == "true" || text == "True" || text == "TRUE")) return true;
      if (!quoted && (text == "false" || text == "False" || text == "FALSE")) return false;
      break;
    case Kind::kInt:
    case Kind::kUnsigned:
      if (!quoted && std::regex_match(text, kInteger)) return parse_integer(k, text, error);
      break;
    case Kind::kReal:
      if (!quoted && std::regex_match(text, kReal)) return std::strtod(text.c_str(), nullptr);
      break;
  }
  error = expected(k) + ", got " + shown;
  return nullptr;
}

// A JSON value converted to the key's kind; sets `error` instead when it is not of that kind.
json convert(const Key& k, const json& v, std::string& error) {
  bool ok = false;
  json out = v;
  switch (k.kind) {
    case Kind::kString:
      ok = v.is_string();
      break;
    case Kind::kBool:
      ok = v.is_boolean();
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
    case Kind::kList:
      ok = v.is_array() &&
           std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
      break;
  }
  if (!ok) error = expected(k) + ", got " + v.dump();
  return out;
}

// A key's error: its path, then the message (a list's message starts with the element's index).
std::string keyed(const Key& k, const std::string& error) {
  return k.path() + (k.kind == Kind::kList && error.front() == '[' ? "" : ": ") + error;
}

int line_of(const YAML::Node& node, const YAML::Node& fallback) {
  const int line = node.Mark().line;
  return (line >= 0 ? line : fallback.Mark().line) + 1;
}

// Throws "PATH:LINE: message".
[[noreturn]] void fail_at(const std::string& path, int line, const std::string& message) {
  throw std::invalid_argument(path + ":" + std::to_string(line) + ": " + message);
}

// The names of a list key, checked; errors name the element's line.
json read_list(const std::string& path, const Key& key, const YAML::Node& v,
               const YAML::Node& name_node, int line) {
  json value = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      fail_at(
          path, line_of(v[i], name_node),
          key.path() + "[" + std::to_string(i) + "]: expected " + with_article(key.item) + " name");
    }
    value.push_back(v[i].Scalar());
  }
  int bad = -1;
  const std::string error = check_value(key, value, &bad);
  if (!error.empty()) fail_at(path, bad >= 0 ? line_of(v[bad], v) : line, keyed(key, error));
  return value;
}

// The value of `key` from its node `v`, parsed and range-checked; errors name `line`.
json read_value(const std::string& path, const Key& key, const YAML::Node& v,
                const YAML::Node& name_node, int line) {
  std::string error;
  json value;
  if (v.IsNull()) {
    error = "has no value (leave the key out for the default, " + key.fallback.dump() + ")";
  } else if (key.kind == Kind::kList) {
    if (v.IsSequence()) return read_list(path, key, v, name_node, line);
    error = expected(key);
  } else if (!v.IsScalar()) {
    error = expected(key);
  } else {
    value = parse_text(key, v.Scalar(), v.Tag() == "!", error);
    if (error.empty()) error = check_value(key, value);
  }
  if (!error.empty()) fail_at(path, line, key.path() + ": " + error);
  return value;
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

// Reads the keys of one section's mapping into `config`, each key's line into `lines`.
void read_section(const Schema& schema, const std::string& path, const std::string& section,
                  const YAML::Node& body, json& config, std::map<std::string, int>& lines,
                  const std::function<std::string(const std::string&)>& unknown) {
  std::set<std::string> keys_seen;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const YAML::Node name_node = it->first;
    const YAML::Node v = it->second;
    if (!name_node.IsScalar()) {
      fail_at(path, line_of(name_node, body), section + ": expected a key");
    }
    const std::string name = name_node.Scalar();
    const Key* key = schema.find(section, name);
    if (key == nullptr) fail_at(path, line_of(name_node, body), unknown(name));
    if (!keys_seen.insert(name).second) {
      fail_at(path, line_of(name_node, body), "duplicate key '" + key->path() + "'");
    }
    // A null value has no mark of its own: the key's line.
    const int line = v.IsNull() ? line_of(name_node, body) : line_of(v, name_node);
    config[section][name] = read_value(path, *key, v, name_node, line);
    lines[key->path()] = line;
  }
}

}  // namespace

Schema::Schema(std::vector<std::string> sections, std::vector<Key> keys, Check check)
    : sections_(std::move(sections)), keys_(std::move(keys)), check_(std::move(check)) {
  std::set<std::string> paths;
  for (const Key& k : keys_) {
    if (!is_section(k.section)) throw std::invalid_argument(k.path() + ": not in a section");
    if (!paths.insert(k.path()).second) throw std::invalid_argument(k.path() + ": declared twice");
    std::string error;
    const json value = convert(k, k.fallback, error);
    if (error.empty()) error = check_value(k, value);
    if (!error.empty()) throw std::invalid_argument(keyed(k, "the default: " + error));
  }
}

const Key* Schema::find(const std::string& section, const std::string& name) const {
  for (const Key& k : keys_) {
    if (k.section == section && k.name == name) return &k;
  }
  return nullptr;
}

const Key* Schema::find_path(const std::string& path) const {
  const size_t dot = path.find('.');
  if (dot == std::string::npos) return nullptr;
  return find(path.substr(0, dot), path.substr(dot + 1));
}

bool Schema::is_section(const std::string& name) const {
  return std::find(sections_.begin(), sections_.end(), name) != sections_.end();
}

std::vector<std::string> Schema::names_in(const std::string& section) const {
  std::vector<std::string> names;
  for (const Key& k : keys_) {
    if (k.section == section) names.push_back(k.name);
  }
  return names;
}

// "unknown key 'training.epoch' (did you mean 'training.epochs'?)"
std::string Schema::unknown_key(const std::string& section, const std::string& name) const {
  const std::string path = section.empty() ? name : section + "." + name;
  std::string message = "unknown key '" + path + "'";
  const std::vector<std::string> candidates = section.empty() ? sections_ : names_in(section);
  const std::string guess = nearest(name, candidates);
  if (!guess.empty()) {
    return message + " (did you mean '" + (section.empty() ? "" : section + ".") + guess + "'?)";
  }
  for (const Key& k : keys_) {  // the right key in the wrong place
    if (k.name == name) return message + " (did you mean '" + k.path() + "'?)";
  }
  if (section.empty()) return message + " (the sections are " + joined(sections_) + ")";
  return message + " (the keys of '" + section + "' are " + joined(candidates) + ")";
}

std::optional<CheckFailure> Schema::check_together(const json& config) const {
  return check_ ? check_(config) : std::nullopt;
}

json Schema::defaults() const {
  json config = json::object();
  for (const std::string& s : sections_) config[s] = json::object();
  for (const Key& k : keys_) config[k.section][k.name] = k.fallback;
  return config;
}

json Schema::load_yaml(const std::string& path) const {
  const YAML::Node root = parse_yaml_file(path);
  json config = defaults();
  if (!root.IsDefined() || root.IsNull()) return config;
  if (!root.IsMap()) {
    fail_at(path, line_of(root, root), "expected a mapping with the sections " + joined(sections_));
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
    read_section(*this, path, section, body, config, lines,
                 [&](const std::string& name) { return unknown_key(section, name); });
  }
  if (const std::optional<CheckFailure> failure = check_together(config)) {
    for (const std::string& blamed : failure->paths) {
      const auto found = lines.find(blamed);
      if (found != lines.end()) fail_at(path, found->second, failure->message);
    }
    throw std::invalid_argument(path + ": " + failure->message);
  }
  return config;
}

json Schema::from_json(const json& input, const std::string& origin) const {
  auto fail = [&](const std::string& message) {
    throw std::invalid_argument(origin + ": " + message);
  };
  if (!input.is_object()) fail("expected an object with the sections " + joined(sections_));
  json config = defaults();
  for (const auto& [section, body] : input.items()) {
    if (!is_section(section)) fail(unknown_key("", section));
    if (body.is_null()) continue;
    if (!body.is_object()) fail(section + ": expected an object");
    for (const auto& [name, v] : body.items()) {
      const Key* key = find(section, name);
      if (key == nullptr) fail(unknown_key(section, name));
      std::string error;
      const json value = convert(*key, v, error);
      if (error.empty()) error = check_value(*key, value);
      if (!error.empty()) fail(keyed(*key, error));
      config[section][name] = value;
    }
  }
  if (const std::optional<CheckFailure> failure = check_together(config)) fail(failure->message);
  return config;
}

void Schema::set_text(json& config, const std::string& path, const std::string& text,
                      const std::string& origin) const {
  const Key* key = find_path(path);
  if (key == nullptr) throw std::invalid_argument(origin + ": " + unknown_key("", path));
  std::string error;
  json value;
  if (key->kind == Kind::kList) {
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
    throw std::invalid_argument(origin + (key->kind == Kind::kList ? "" : ": ") + error);
  }
  config[key->section][key->name] = value;
}

void Schema::add_options(CLI::App& cmd, const std::vector<std::string>& sections) const {
  for (const Key& k : keys_) {
    if (k.option.empty() ||
        std::find(sections.begin(), sections.end(), k.section) == sections.end()) {
      continue;
    }
    std::string help = k.doc;
    help[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(help[0])));
    if (k.kind == Kind::kBool) {
      cmd.add_flag(k.option)->description(help);
      continue;
    }
    static const std::map<Kind, std::string> kTypeNames = {{Kind::kString, "TEXT"},
                                                           {Kind::kInt, "INT"},
                                                           {Kind::kUnsigned, "UINT"},
                                                           {Kind::kReal, "FLOAT"}};
    std::string type = k.kind == Kind::kList ? k.item + ",..." : kTypeNames.at(k.kind);
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    CLI::Option* opt = cmd.add_option(k.option)->description(help)->type_name(type);
    if (k.kind != Kind::kList) opt->default_str(value_text(k.fallback));
  }
}

void Schema::override_from(json& config, const CLI::App& cmd) const {
  for (const Key& k : keys_) {
    if (k.option.empty()) continue;
    const CLI::Option* opt = cmd.get_option_no_throw(k.option);
    if (opt == nullptr || opt->count() == 0) continue;
    std::string text;
    if (k.kind == Kind::kBool) {
      text = opt->as<bool>() ? "true" : "false";
    } else {
      for (const std::string& r : opt->results()) text += (text.empty() ? "" : ",") + r;
    }
    set_text(config, k.path(), text, k.option);
  }
  if (const std::optional<CheckFailure> failure = check_together(config)) {
    throw std::invalid_argument(failure->message);
  }
}

std::vector<std::string> Schema::conflicts(const json& stored, const json& requested) const {
  std::vector<std::string> out;
  auto value = [](const json& config, const Key& k) {
    const json* section = config.contains(k.section) ? &config.at(k.section) : nullptr;
    if (section != nullptr && section->is_object() && section->contains(k.name)) {
      return section->at(k.name);
    }
    return k.fallback;
  };
  for (const Key& k : keys_) {
    if (!k.defines_study) continue;
    const json a = value(stored, k);
    const json b = value(requested, k);
    if (a != b) {
      out.push_back(k.path() + ": " + a.dump() + " in the study, " + b.dump() + " requested");
    }
  }
  return out;
}

json typed_value(const Key& k, const json& v, std::string& error) { return convert(k, v, error); }

std::string value_problem(const Key& k, const json& v) { return check_value(k, v); }

}  // namespace autoaug::config
