#include "augment/policy_json.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "augment/detail/format.h"

namespace autoaug::augment {
namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view origin, const std::string& field, const std::string& msg) {
  throw std::invalid_argument(std::string(origin) + ": " + field + ": " + msg);
}

void reject_unknown_keys(std::string_view origin, const std::string& field, const json& object,
                         const std::set<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (!known.contains(key)) {
      fail(origin, field.empty() ? key : field + "." + key, "unknown key");
    }
  }
}

const char* type_name(const json& v) { return v.type_name(); }

double number_field(std::string_view origin, const std::string& field, const json& v) {
  if (!v.is_number()) fail(origin, field, std::string("expected a number, got ") + type_name(v));
  return v.get<double>();
}

long long integer_field(std::string_view origin, const std::string& field, const json& v) {
  if (!v.is_number_integer() &&
      !(v.is_number_float() && v.get<double>() == std::floor(v.get<double>()))) {
    fail(origin, field, std::string("expected an integer, got ") + v.dump());
  }
  return v.get<long long>();
}

std::string string_field(std::string_view origin, const std::string& field, const json& v) {
  if (!v.is_string()) fail(origin, field, std::string("expected a string, got ") + type_name(v));
  return v.get<std::string>();
}

Step parse_step(std::string_view origin, const std::string& path, const json& v) {
  if (!v.is_object()) {
    fail(origin, path,
         std::string("expected an object {\"op\", \"prob\", \"magnitude\"}, got ") + type_name(v));
  }
  reject_unknown_keys(origin, path, v, {"op", "prob", "magnitude"});
  Step step;
  if (!v.contains("op")) fail(origin, path + ".op", "missing");
  step.op = string_field(origin, path + ".op", v["op"]);
  step.prob = v.contains("prob") ? number_field(origin, path + ".prob", v["prob"]) : 1.0;
  if (v.contains("magnitude") && !v["magnitude"].is_null()) {
    const json& m = v["magnitude"];
    if (m.is_string()) {
      if (m.get<std::string>() != "random") {
        fail(origin, path + ".magnitude", "expected a bin or \"random\", got " + m.dump());
      }
      step.magnitude = kRandomMagnitude;
    } else {
      const long long bin = integer_field(origin, path + ".magnitude", m);
      if (bin < 0 || bin > 1000000) {
        fail(origin, path + ".magnitude", std::to_string(bin) + " is not a bin");
      }
      step.magnitude = static_cast<int>(bin);
    }
  }
  return step;
}

// torchvision's own notation, as in AutoAugment._get_policies: [[["Rotate", 0.7, 2],
// ["Equalize", 0.4, null]], ...], 10 bins of the standard space.
Policy parse_torchvision_list(const json& doc, std::string_view origin) {
  Policy policy;
  for (size_t k = 0; k < doc.size(); ++k) {
    const std::string path = "[" + std::to_string(k) + "]";
    if (!doc[k].is_array()) fail(origin, path, "expected a list of [op, prob, bin] steps");
    SubPolicy sub;
    for (size_t j = 0; j < doc[k].size(); ++j) {
      const std::string step_path = path + "[" + std::to_string(j) + "]";
      const json& s = doc[k][j];
      if (!s.is_array() || s.size() != 3) fail(origin, step_path, "expected [op, prob, bin]");
      Step step;
      step.op = string_field(origin, step_path + "[0]", s[0]);
      step.prob = number_field(origin, step_path + "[1]", s[1]);
      step.magnitude =
          s[2].is_null() ? 0 : static_cast<int>(integer_field(origin, step_path + "[2]", s[2]));
      sub.push_back(std::move(step));
    }
    policy.subpolicies.push_back(std::move(sub));
  }
  policy.provenance.source = "torchvision-list";
  try {
    policy.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(origin) + ": " + e.what());
  }
  return policy;
}

// "format" (required), "semantics" and "interpolation": what this reader can honour.
void check_header(std::string_view origin, const json& doc) {
  if (!doc.contains("format")) fail(origin, "format", "missing (expected \"autoaug.policy/v1\")");
  const std::string format = string_field(origin, "format", doc["format"]);
  if (format != kPolicyFormat) {
    fail(origin, "format",
         "\"" + format + "\" is not supported (this reader reads \"" + std::string(kPolicyFormat) +
             "\")");
  }
  if (doc.contains("semantics")) {
    const std::string semantics = string_field(origin, "semantics", doc["semantics"]);
    if (semantics != kPolicySemantics) {
      fail(origin, "semantics",
           "\"" + semantics + "\" is not supported (expected \"" + std::string(kPolicySemantics) +
               "\")");
    }
  }
  if (doc.contains("interpolation")) {
    const std::string interpolation = string_field(origin, "interpolation", doc["interpolation"]);
    if (interpolation != "nearest") {
      fail(origin, "interpolation",
           "\"" + interpolation + "\" is not supported (only \"nearest\")");
    }
  }
}

// magnitude_bins, magnitude_space and fill, when given.
void parse_settings(std::string_view origin, const json& doc, Policy& policy) {
  if (doc.contains("magnitude_bins")) {
    const long long bins = integer_field(origin, "magnitude_bins", doc["magnitude_bins"]);
    if (bins < 2 || bins > 1000)
      fail(origin, "magnitude_bins", std::to_string(bins) + " is outside 2..1000");
    policy.magnitude_bins = static_cast<int>(bins);
  }
  if (doc.contains("magnitude_space")) {
    try {
      policy.space =
          parse_magnitude_space(string_field(origin, "magnitude_space", doc["magnitude_space"]));
    } catch (const std::invalid_argument& e) {
      fail(origin, "magnitude_space", e.what());
    }
  }
  if (doc.contains("fill")) {
    const json& f = doc["fill"];
    policy.fill.clear();
    if (f.is_number()) {
      policy.fill.push_back(number_field(origin, "fill", f));
    } else if (f.is_array()) {
      for (size_t i = 0; i < f.size(); ++i) {
        policy.fill.push_back(number_field(origin, "fill[" + std::to_string(i) + "]", f[i]));
      }
    } else {
      fail(origin, "fill", std::string("expected a number or a list, got ") + type_name(f));
    }
  }
}

void parse_subpolicies(std::string_view origin, const json& doc, Policy& policy) {
  if (!doc.contains("subpolicies")) fail(origin, "subpolicies", "missing");
  const json& subs = doc["subpolicies"];
  if (!subs.is_array()) fail(origin, "subpolicies", "expected a list of lists of steps");
  for (size_t k = 0; k < subs.size(); ++k) {
    const std::string path = "subpolicies[" + std::to_string(k) + "]";
    if (!subs[k].is_array()) fail(origin, path, "expected a list of steps");
    SubPolicy sub;
    for (size_t j = 0; j < subs[k].size(); ++j) {
      sub.push_back(parse_step(origin, path + "[" + std::to_string(j) + "]", subs[k][j]));
    }
    policy.subpolicies.push_back(std::move(sub));
  }
}

void parse_provenance(std::string_view origin, const json& doc, Policy& policy) {
  const json& p = doc["provenance"];
  if (!p.is_object()) fail(origin, "provenance", "expected an object");
  reject_unknown_keys(origin, "provenance", p, {"study", "trial", "score", "created", "source"});
  if (p.contains("study"))
    policy.provenance.study = string_field(origin, "provenance.study", p["study"]);
  if (p.contains("trial") && !p["trial"].is_null()) {
    policy.provenance.trial = integer_field(origin, "provenance.trial", p["trial"]);
  }
  if (p.contains("score") && !p["score"].is_null()) {
    policy.provenance.score = number_field(origin, "provenance.score", p["score"]);
  }
  if (p.contains("created")) {
    policy.provenance.created = string_field(origin, "provenance.created", p["created"]);
  }
  if (p.contains("source")) {
    policy.provenance.source = string_field(origin, "provenance.source", p["source"]);
  }
}

// A missing bin would silently mean bin 0; only ops without a parameter may omit it.
void check_bins_given(std::string_view origin, const json& subs, const Policy& policy) {
  for (size_t k = 0; k < subs.size(); ++k) {
    for (size_t j = 0; j < subs[k].size(); ++j) {
      const Op& op = builtin_ops().at(policy.subpolicies[k][j].op);
      if (op.schema().uses_magnitude && !subs[k][j].contains("magnitude")) {
        fail(origin, "subpolicies[" + std::to_string(k) + "][" + std::to_string(j) + "].magnitude",
             "missing (" + op.name() + " needs a bin)");
      }
    }
  }
}

}  // namespace

Policy parse_policy_json(std::string_view text, std::string_view origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw std::invalid_argument(std::string(origin) + ": not valid JSON (" + e.what() + ")");
  }
  if (doc.is_array()) return parse_torchvision_list(doc, origin);
  if (!doc.is_object()) fail(origin, "(document)", "expected a JSON object");
  reject_unknown_keys(origin, "", doc,
                      {"format", "semantics", "magnitude_bins", "magnitude_space", "fill",
                       "interpolation", "subpolicies", "provenance"});
  check_header(origin, doc);
  Policy policy;
  parse_settings(origin, doc, policy);
  parse_subpolicies(origin, doc, policy);
  if (doc.contains("provenance")) parse_provenance(origin, doc, policy);
  try {
    policy.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(origin) + ": " + e.what());
  }
  check_bins_given(origin, doc["subpolicies"], policy);
  return policy;
}

Policy read_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot open the policy file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_policy_json(text.str(), path);
}

std::string policy_to_json(const Policy& policy) {
  const OpRegistry& ops = builtin_ops();
  json doc;
  doc["format"] = kPolicyFormat;
  doc["semantics"] = kPolicySemantics;
  doc["magnitude_bins"] = policy.magnitude_bins;
  doc["magnitude_space"] = to_string(policy.space);
  doc["fill"] = policy.fill;
  doc["interpolation"] = "nearest";
  json subs = json::array();
  for (const SubPolicy& sub : policy.subpolicies) {
    json steps = json::array();
    for (const Step& s : sub) {
      json step = {{"op", s.op}, {"prob", s.prob}};
      const Op* op = ops.find(s.op);
      if (op == nullptr || op->schema().uses_magnitude) {
        step["magnitude"] = s.magnitude == kRandomMagnitude ? json("random") : json(s.magnitude);
      }
      steps.push_back(std::move(step));
    }
    subs.push_back(std::move(steps));
  }
  doc["subpolicies"] = std::move(subs);
  const Provenance& p = policy.provenance;
  json prov = json::object();
  if (!p.study.empty()) prov["study"] = p.study;
  if (p.trial) prov["trial"] = *p.trial;
  if (p.score) prov["score"] = *p.score;
  if (!p.created.empty()) prov["created"] = p.created;
  if (!p.source.empty()) prov["source"] = p.source;
  if (!prov.empty()) doc["provenance"] = std::move(prov);
  return doc.dump(2) + "\n";
}

void write_policy_file(const Policy& policy, const std::string& path) {
  const std::string text = policy_to_json(policy);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot write the policy file");
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path + ": writing the policy file failed");
}

}  // namespace autoaug::augment
