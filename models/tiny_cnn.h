#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace autoaug::models {

struct TinyCnnOptions {
  int in_channels = 3;  // 1 or 3
  int num_classes = 10;
  int64_t base_channels = 16;  // channels of the first conv; doubled twice
  std::uint64_t seed = 0;      // weight initialisation
};

// A three-conv network (conv-BN-ReLU6, max-pool, twice; conv-BN-ReLU6; global average pool;
// linear) for quick tests and smoke runs: a few thousand images per second on one core. Throws
// std::invalid_argument naming the field for a bad option.
class TinyCnnImpl : public torch::nn::Module {
 public:
  explicit TinyCnnImpl(const TinyCnnOptions& options);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Sequential features_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(TinyCnn);

}  // namespace autoaug::models
