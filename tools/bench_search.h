#pragma once

#include <string>
#include <vector>

#include "search/benchmark/problems.h"

namespace CLI {
class App;
}

namespace autoaug::tools {

// `autoaug bench search`: the optimizer benchmark suite (regret and suggestion latency).
void add_bench_search_command(CLI::App& bench);

// Writes a PNG of a search on a 2-D problem to `path`: the noise-free function as a heat map
// (log scale above the minimum), the evaluated points numbered in order, the point with the best
// observation ringed and the true minimiser crossed, both in red. Throws std::runtime_error when
// the file cannot be written.
void plot_search(const std::string& path, const search::BenchmarkProblem& problem,
                 const std::vector<search::Point>& points, const std::vector<double>& observed);

}  // namespace autoaug::tools
