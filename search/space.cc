#include "search/space.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "search/random.h"

namespace autoaug::search {
namespace {

std::string field(size_t i, const char* name) {
  return "dimensions[" + std::to_string(i) + "]." + name;
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument(where + ": " + what);
}

double number_field(const nlohmann::json& d, size_t i, const char* name) {
  if (!d.contains(name)) fail(field(i, name), "missing");
  const auto& v = d.at(name);
  if (!v.is_number()) fail(field(i, name), "must be a number, got " + v.dump());
  return v.get<double>();
}

const char* type_name(DimensionType t) {
  switch (t) {
    case DimensionType::kReal:
      return "real";
    case DimensionType::kInteger:
      return "integer";
    case DimensionType::kCategorical:
      return "categorical";
  }
  return "?";
}

}  // namespace

Dimension Dimension::real(std::string name, double low, double high, bool log) {
  Dimension d;
  d.name = std::move(name);
  d.type = DimensionType::kReal;
  d.low = low;
  d.high = high;
  d.log = log;
  return d;
}

Dimension Dimension::integer(std::string name, int64_t low, int64_t high) {
  Dimension d;
  d.name = std::move(name);
  d.type = DimensionType::kInteger;
  d.low = static_cast<double>(low);
  d.high = static_cast<double>(high);
  return d;
}

Dimension Dimension::categorical(std::string name, std::vector<std::string> choices) {
  Dimension d;
  d.name = std::move(name);
  d.type = DimensionType::kCategorical;
  d.low = 0;
  d.high = static_cast<double>(choices.size()) - 1;
  d.choices = std::move(choices);
  return d;
}

int64_t Dimension::cardinality() const {
  switch (type) {
    case DimensionType::kReal:
      return 0;
    case DimensionType::kInteger:
      return static_cast<int64_t>(high - low) + 1;
    case DimensionType::kCategorical:
      return static_cast<int64_t>(choices.size());
  }
  return 0;
}

Space::Space(std::vector<Dimension> dimensions) : dims_(std::move(dimensions)) {
  if (dims_.empty()) fail("dimensions", "must hold at least one dimension");
  std::set<std::string> names;
  for (size_t i = 0; i < dims_.size(); ++i) {
    Dimension& d = dims_[i];
    if (d.name.empty()) fail(field(i, "name"), "must be a non-empty string");
    if (!names.insert(d.name).second) fail(field(i, "name"), "duplicate name \"" + d.name + "\"");
    switch (d.type) {
      case DimensionType::kReal:
        if (!std::isfinite(d.low)) fail(field(i, "low"), "must be finite");
        if (!std::isfinite(d.high)) fail(field(i, "high"), "must be finite");
        if (!(d.low < d.high)) {
          fail(field(i, "high"), "must be greater than low (" + std::to_string(d.low) + ")");
        }
        if (d.log && d.low <= 0) fail(field(i, "low"), "must be > 0 for a log dimension");
        if (!d.choices.empty())
          fail(field(i, "choices"), "only categorical dimensions have choices");
        break;
      case DimensionType::kInteger:
        if (!std::isfinite(d.low) || d.low != std::floor(d.low) || std::fabs(d.low) > 1e15) {
          fail(field(i, "low"), "must be an integer");
        }
        if (!std::isfinite(d.high) || d.high != std::floor(d.high) || std::fabs(d.high) > 1e15) {
          fail(field(i, "high"), "must be an integer");
        }
        if (d.high < d.low) fail(field(i, "high"), "must be >= low");
        if (d.log) fail(field(i, "log"), "only real dimensions can be log");
        if (!d.choices.empty())
          fail(field(i, "choices"), "only categorical dimensions have choices");
        break;
      case DimensionType::kCategorical: {
        if (d.choices.empty()) fail(field(i, "choices"), "must hold at least one choice");
        std::set<std::string> seen;
        for (size_t c = 0; c < d.choices.size(); ++c) {
          if (!seen.insert(d.choices[c]).second) {
            fail(field(i, "choices") + "[" + std::to_string(c) + "]",
                 "duplicate choice \"" + d.choices[c] + "\"");
          }
        }
        if (d.log) fail(field(i, "log"), "only real dimensions can be log");
        d.low = 0;
        d.high = static_cast<double>(d.choices.size()) - 1;
        break;
      }
      default:
        fail(field(i, "type"), "unknown type");
    }
  }
}

Space Space::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("space", "must be a JSON object with a \"dimensions\" array");
  for (const auto& [k, v] : j.items()) {
    if (k != "dimensions") fail(k, "unknown key (expected \"dimensions\")");
  }
  if (!j.contains("dimensions")) fail("dimensions", "missing");
  const auto& arr = j.at("dimensions");
  if (!arr.is_array()) fail("dimensions", "must be an array");
  std::vector<Dimension> dims;
  for (size_t i = 0; i < arr.size(); ++i) {
    const auto& d = arr[i];
    if (!d.is_object()) fail("dimensions[" + std::to_string(i) + "]", "must be an object");
    static const std::set<std::string> kKeys = {"name", "type", "low", "high", "log", "choices"};
    for (const auto& [k, v] : d.items()) {
      if (!kKeys.count(k)) fail(field(i, k.c_str()), "unknown key");
    }
    if (!d.contains("name") || !d.at("name").is_string()) {
      fail(field(i, "name"), "missing or not a string");
    }
    if (!d.contains("type") || !d.at("type").is_string()) {
      fail(field(i, "type"), "missing or not a string (real, integer or categorical)");
    }
    const std::string name = d.at("name").get<std::string>();
    const std::string type = d.at("type").get<std::string>();
    if (type == "real") {
      bool log = false;
      if (d.contains("log")) {
        if (!d.at("log").is_boolean()) fail(field(i, "log"), "must be true or false");
        log = d.at("log").get<bool>();
      }
      dims.push_back(
          Dimension::real(name, number_field(d, i, "low"), number_field(d, i, "high"), log));
    } else if (type == "integer") {
      Dimension dim;
      dim.name = name;
      dim.type = DimensionType::kInteger;
      dim.low = number_field(d, i, "low");
      dim.high = number_field(d, i, "high");
      if (d.contains("log")) dim.log = !d.at("log").is_boolean() || d.at("log").get<bool>();
      dims.push_back(dim);
    } else if (type == "categorical") {
      if (!d.contains("choices") || !d.at("choices").is_array()) {
        fail(field(i, "choices"), "missing or not an array");
      }
      std::vector<std::string> choices;
      const auto& cs = d.at("choices");
      for (size_t c = 0; c < cs.size(); ++c) {
        if (cs[c].is_string()) {
          choices.push_back(cs[c].get<std::string>());
        } else if (cs[c].is_number() || cs[c].is_boolean()) {
          choices.push_back(cs[c].dump());
        } else {
          fail(field(i, "choices") + "[" + std::to_string(c) + "]", "must be a string or number");
        }
      }
      dims.push_back(Dimension::categorical(name, std::move(choices)));
    } else {
      fail(field(i, "type"), "\"" + type + "\" is not one of real, integer, categorical");
    }
  }
  return Space(std::move(dims));
}

Space Space::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open the space file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": not valid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

nlohmann::json Space::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : dims_) {
    nlohmann::json o = {{"name", d.name}, {"type", type_name(d.type)}};
    if (d.type == DimensionType::kCategorical) {
      o["choices"] = d.choices;
    } else if (d.type == DimensionType::kInteger) {
      o["low"] = static_cast<int64_t>(d.low);
      o["high"] = static_cast<int64_t>(d.high);
    } else {
      o["low"] = d.low;
      o["high"] = d.high;
      o["log"] = d.log;
    }
    arr.push_back(o);
  }
  return {{"dimensions", arr}};
}

std::vector<int> Space::categories() const {
  std::vector<int> out(dims_.size(), 0);
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i].type == DimensionType::kCategorical) {
      out[i] = static_cast<int>(dims_[i].choices.size());
    }
  }
  return out;
}

uint64_t Space::cardinality() const {
  constexpr uint64_t kMax = uint64_t{1} << 62;
  uint64_t n = 1;
  for (const auto& d : dims_) {
    const auto c = static_cast<uint64_t>(d.cardinality());
    if (c == 0) return 0;
    if (n > kMax / c) return kMax;
    n *= c;
  }
  return n;
}

Point Space::sample(std::mt19937_64& rng) const {
  std::vector<double> u(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i].type == DimensionType::kCategorical) {
      u[i] = static_cast<double>(random::uniform_int<size_t>(rng, 0, dims_[i].choices.size() - 1));
    } else {
      u[i] = random::canonical(rng);
    }
  }
  return from_unit(u);
}

bool Space::contains(const Point& p) const {
  if (p.size() != dims_.size()) return false;
  for (size_t i = 0; i < dims_.size(); ++i) {
    const double v = p[i];
    if (!std::isfinite(v) || v < dims_[i].low || v > dims_[i].high) return false;
    if (dims_[i].type != DimensionType::kReal && v != std::floor(v)) return false;
  }
  return true;
}

std::vector<double> Space::to_unit(const Point& p) const {
  std::vector<double> u(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    const Dimension& d = dims_[i];
    switch (d.type) {
      case DimensionType::kReal:
        u[i] = d.log ? (std::log(p[i]) - std::log(d.low)) / (std::log(d.high) - std::log(d.low))
                     : (p[i] - d.low) / (d.high - d.low);
        break;
      case DimensionType::kInteger:
        u[i] = (p[i] - d.low + 0.5) / (d.high - d.low + 1.0);
        break;
      case DimensionType::kCategorical:
        u[i] = p[i];
        break;
    }
  }
  return u;
}

Point Space::from_unit(const double* u) const {
  Point p(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    const Dimension& d = dims_[i];
    const double x = std::isfinite(u[i]) ? u[i] : 0.0;
    switch (d.type) {
      case DimensionType::kReal: {
        const double c = std::clamp(x, 0.0, 1.0);
        double v = d.log ? std::exp(std::log(d.low) + c * (std::log(d.high) - std::log(d.low)))
                         : d.low + c * (d.high - d.low);
        p[i] = std::clamp(v, d.low, d.high);
        break;
      }
      case DimensionType::kInteger: {
        const double n = d.high - d.low + 1.0;
        p[i] = std::clamp(d.low + std::floor(std::clamp(x, 0.0, 1.0) * n), d.low, d.high);
        break;
      }
      case DimensionType::kCategorical:
        p[i] = std::clamp(std::round(x), 0.0, d.high);
        break;
    }
  }
  return p;
}

std::string Space::key(const Point& p) const {
  std::string out;
  out.reserve(dims_.size() * 8);
  char buf[40];
  for (size_t i = 0; i < dims_.size() && i < p.size(); ++i) {
    const auto r =
        dims_[i].type == DimensionType::kReal
            ? std::to_chars(buf, buf + sizeof(buf), p[i] == 0.0 ? 0.0 : p[i],
                            std::chars_format::general, 12)
            : std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(std::llround(p[i])));
    out.append(buf, r.ptr);
    out += ';';
  }
  return out;
}

nlohmann::json Space::to_params(const Point& p) const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < dims_.size(); ++i) {
    const Dimension& d = dims_[i];
    switch (d.type) {
      case DimensionType::kReal:
        j[d.name] = p[i];
        break;
      case DimensionType::kInteger:
        j[d.name] = static_cast<int64_t>(std::llround(p[i]));
        break;
      case DimensionType::kCategorical:
        j[d.name] = d.choices.at(static_cast<size_t>(p[i]));
        break;
    }
  }
  return j;
}

Point Space::from_params(const nlohmann::json& params) const {
  if (!params.is_object()) throw std::invalid_argument("params: must be a JSON object");
  Point p(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    const Dimension& d = dims_[i];
    const std::string where = "params." + d.name;
    if (!params.contains(d.name)) throw std::invalid_argument(where + ": missing");
    const auto& v = params.at(d.name);
    if (d.type == DimensionType::kCategorical) {
      const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      const auto it = std::find(d.choices.begin(), d.choices.end(), s);
      if (it == d.choices.end()) throw std::invalid_argument(where + ": not a choice: " + s);
      p[i] = static_cast<double>(it - d.choices.begin());
    } else {
      if (!v.is_number()) throw std::invalid_argument(where + ": must be a number");
      p[i] = v.get<double>();
    }
  }
  if (!contains(p)) throw std::invalid_argument("params: a value is outside the space");
  return p;
}

}  // namespace autoaug::search
