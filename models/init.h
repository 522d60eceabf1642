#pragma once

#include <torch/nn/module.h>

#include <cstdint>

namespace autoaug::models {

// torchvision's classification-model initialisation over every sub-module, drawn from a generator
// seeded with `seed` (never the global one): Kaiming normal (fan-out, ReLU gain) for conv weights,
// zero conv biases, batch-norm weights 1 and biases 0, linear weights N(0, 0.01) and biases 0.
void init_torchvision_style(torch::nn::Module& module, std::uint64_t seed);

}  // namespace autoaug::models
