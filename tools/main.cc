#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"autoaug: search image-augmentation policies", "autoaug"};
  app.require_subcommand(1);
  CLI::App* bench = app.add_subcommand("bench", "Measure throughput; --json prints one object");
  bench->require_subcommand(1);
  autoaug::tools::add_augment_commands(app, *bench);
  autoaug::tools::add_search_commands(app, *bench);
  try {
    app.parse(argc, argv);
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
