#pragma once

namespace CLI {
class App;
}

namespace autoaug::tools {

// Each function adds one area's subcommands to `app` and its benchmarks under `bench`
// (`autoaug bench NAME`). A command signals bad input by throwing std::invalid_argument (exit
// code 2, one line on stderr); other exceptions exit with 1.
void add_augment_commands(CLI::App& app, CLI::App& bench);
void add_search_commands(CLI::App& app, CLI::App& bench);
void add_train_commands(CLI::App& app, CLI::App& bench);
void add_policy_search_commands(CLI::App& app);
void add_export_command(CLI::App& app);
void add_report_command(CLI::App& app);
// `autoaug worker`, `serve` and `study show`, and `autoaug bench coordinator`.
void add_net_commands(CLI::App& app, CLI::App& bench);
void add_bench_coordinator_command(CLI::App& bench);

// `autoaug bench augment`, added by add_augment_commands.
void add_bench_augment_command(CLI::App& bench);

// `autoaug bench train`, added by add_train_commands.
void add_bench_train_command(CLI::App& bench);

}  // namespace autoaug::tools
