#include "tools/policy_study.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace autoaug::tools {

using nlohmann::json;

augment::PolicySpaceOptions policy_space_options(const json& s) {
  augment::PolicySpaceOptions o;
  try {
    o.subpolicies = s.at("subpolicies");
    o.steps = s.at("steps");
    o.ops = s.at("ops").get<std::vector<std::string>>();
    o.magnitude_bins = s.at("magnitude_bins");
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("space: ") + e.what());
  }
  return o;
}

search::Space to_search_space(const augment::PolicySpace& p) {
  std::vector<search::Dimension> dims;
  for (const augment::PolicyDimension& d : p.dimensions()) {
    switch (d.kind) {
      case augment::PolicyDimension::Kind::kOp:
        dims.push_back(search::Dimension::categorical(d.name, p.ops()));
        break;
      case augment::PolicyDimension::Kind::kProb:
        dims.push_back(search::Dimension::real(d.name, 0.0, 1.0));
        break;
      case augment::PolicyDimension::Kind::kMagnitude:
        dims.push_back(search::Dimension::integer(d.name, 0, p.options().magnitude_bins - 1));
        break;
    }
  }
  return search::Space(std::move(dims));
}

std::vector<json> read_trials(const std::filesystem::path& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      out.push_back(json::parse(line));
    } catch (const json::parse_error&) {
      if (in.peek() != EOF) {
        throw std::invalid_argument(path.string() + ": line " + std::to_string(number) +
                                    " is not a JSON object");
      }
      std::fprintf(stderr, "autoaug: %s: dropping a torn last line (%d)\n", path.c_str(), number);
    }
  }
  return out;
}

augment::Policy StudyFiles::policy_of(const json& trial) const {
  const search::Space s = to_search_space(space);
  try {
    return space.decode(s.from_params(trial.at("params")));
  } catch (const std::exception& e) {
    throw std::invalid_argument((dir / "trials.jsonl").string() + ": trial " +
                                std::to_string(trial.value("number", -1)) + ": " + e.what());
  }
}

std::vector<json> StudyFiles::ranked() const {
  std::vector<json> done;
  for (const json& t : trials) {
    if (t.value("state", "") == "complete") done.push_back(t);
  }
  std::stable_sort(done.begin(), done.end(), [](const json& a, const json& b) {
    return a.at("value").get<double>() > b.at("value").get<double>();
  });
  return done;
}

StudyFiles open_study(const std::filesystem::path& dir) {
  const std::filesystem::path config_path = dir / "study.json";
  std::ifstream in(config_path);
  if (!in) throw std::invalid_argument(config_path.string() + ": cannot open (not a study?)");
  json config;
  try {
    config = json::parse(in);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(config_path.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (config.value("format", "") != kStudyFormat) {
    throw std::invalid_argument(config_path.string() + ": format: expected " + kStudyFormat);
  }
  augment::PolicySpace space = [&] {
    try {
      return augment::PolicySpace(policy_space_options(config.at("space")));
    } catch (const std::exception& e) {
      throw std::invalid_argument(config_path.string() + ": " + e.what());
    }
  }();
  return StudyFiles{dir, std::move(config), read_trials(dir / "trials.jsonl"), std::move(space)};
}

}  // namespace autoaug::tools
