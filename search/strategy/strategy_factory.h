#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/strategy/model_strategy.h"
#include "search/strategy/strategy.h"
#include "search/study.h"

namespace autoaug::search {

// Names accepted by make_strategy, in the order the documentation lists them: random, grid, gp,
// gp-hedge, rf, et, rf-random, et-random.
const std::vector<std::string>& strategy_names();

// RF + random's default k: 1 of every 2 proposals from the model. Chosen on the benchmark suite
// (search/README.md): k = 3 left the forest too few proposals at 20-100 evaluations.
inline constexpr int kDefaultInterleave = 2;

// A strategy by name with its default options. "rf-random" is RF + random with k = `interleave`
// (1 of every k proposals from the forest's EI, k-1 random: points of a Sobol sequence). Throws
// std::invalid_argument naming `field` for an unknown name or interleave < 1.
std::unique_ptr<Strategy> make_strategy(const std::string& name, uint64_t seed,
                                        int interleave = kDefaultInterleave,
                                        const std::string& field = "strategy");

// The default options of a model-based strategy by name (gp, gp-hedge, rf, et, rf-random,
// et-random), for callers that adjust a field before constructing a ModelStrategy. Throws
// std::invalid_argument naming `field` for any other name.
ModelStrategyOptions model_strategy_options(const std::string& name,
                                            int interleave = kDefaultInterleave,
                                            const std::string& field = "strategy");

// The study a stored config describes (search/README.md, the study store): its "search_space",
// "strategy", "interleave", "seed" and "direction" ("minimize" or "maximize"). Throws
// std::invalid_argument prefixed with `origin` and naming the field.
std::unique_ptr<Study> study_from_config(const nlohmann::json& config, const std::string& origin);

}  // namespace autoaug::search
