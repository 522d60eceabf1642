#include <malloc.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "tools/commands.h"

int main(int argc, char** argv) {
  // Augmentation allocates and frees image-sized buffers at a high rate; by default glibc hands
  // them back to the kernel after each image and page-faults them in again (a third of the time
  // at 224x224). Keep freed memory in the process instead.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Log lines (the coordinator's and workers') go to stderr: stdout carries results and JSON.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("autoaug"));
  CLI::App app{"autoaug: search image-augmentation policies", "autoaug"};
  app.require_subcommand(1);
  CLI::App* bench = app.add_subcommand("bench", "Measure throughput; --json prints one object");
  bench->require_subcommand(1);
  autoaug::tools::add_augment_commands(app, *bench);
  autoaug::tools::add_search_commands(app, *bench);
  autoaug::tools::add_train_commands(app, *bench);
  autoaug::tools::add_policy_search_commands(app);
  autoaug::tools::add_export_command(app);
  autoaug::tools::add_report_command(app);
  autoaug::tools::add_net_commands(app, *bench);
  try {
    app.parse(argc, argv);
  } catch (const autoaug::tools::ExitStatus& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "autoaug: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "autoaug: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
