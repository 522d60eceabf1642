#pragma once

// The objectives `autoaug worker` can run, built from the `objective` object of a coordinator's
// welcome (search/net/PROTOCOL.md):
//   {"kind": "command", "command": "...", "timeout_seconds": 0, "space": {...}}
//       an external command (search/objective/command_objective.h)
//   {"kind": "problem", "name": "branin", "space": {...}}
//       a benchmark function evaluated in-process (tests and the coordinator benchmark)
//   {"kind": "policy", "train": {...}, "space": {...}}
//       autoaug's proxy training of the decoded augmentation policy (the policy search)

#include <nlohmann/json.hpp>

#include "search/net/worker_client.h"

namespace autoaug::tools {

// `threads` > 0 overrides the policy objective's training threads. A `command` objective (a shell
// command chosen by the coordinator) is built only when `allow_command` is true; otherwise the
// factory throws std::invalid_argument naming --allow-command, before anything runs.
net::ObjectiveFactory worker_objective_factory(int threads, bool allow_command);

}  // namespace autoaug::tools
