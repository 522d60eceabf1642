#pragma once

namespace CLI {
class App;
}

namespace autoaug::tools {

// Thrown by a command to end the program with exit status `code` once the stack has unwound
// (stores closed, workers reaped): 130 for a run stopped by Ctrl-C, the shell's convention.
struct ExitStatus {
  int code;
};

// Each function adds one area's subcommands to `app` and its benchmarks under `bench`
// (`autoaug bench NAME`). A command signals bad input by throwing std::invalid_argument (exit
// code 2, one line on stderr); other exceptions exit with 1, ExitStatus with its code.
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
