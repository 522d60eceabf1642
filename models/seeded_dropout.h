#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace autoaug::models {

// Dropout whose masks come from its own generator (seeded here) rather than LibTorch's global
// one, so that training is reproducible without global random state. Masks are drawn on the CPU
// and moved to the input's device. Identity in eval mode or with p = 0.
class SeededDropoutImpl : public torch::nn::Module {
 public:
  // Throws std::invalid_argument when p is outside [0, 1).
  SeededDropoutImpl(double p, std::uint64_t seed);
  torch::Tensor forward(torch::Tensor x);

 private:
  double p_;
  at::Generator generator_;
};
TORCH_MODULE(SeededDropout);

}  // namespace autoaug::models
