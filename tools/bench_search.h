#pragma once

namespace CLI {
class App;
}

namespace autoaug::tools {

// `autoaug bench search`: the optimizer benchmark suite (regret and suggestion latency).
void add_bench_search_command(CLI::App& bench);

}  // namespace autoaug::tools
