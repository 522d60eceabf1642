#pragma once

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <memory>
#include <string>

namespace autoaug::models {

// Which network to build and for what input.
struct ModelOptions {
  // "mobilenetv2" or "tinycnn".
  std::string name = "mobilenetv2";
  // MobileNetV2 width multiplier, 0.25 to 1.0.
  double width = 0.5;
  int in_channels = 1;
  int num_classes = 10;
  // Input height/width; MobileNetV2's stem has stride 1 up to 64 px and 2 above.
  int input_size = 28;
  double dropout = 0.2;
  // Weight initialisation (and dropout masks).
  std::uint64_t seed = 0;
};

// A classifier: N x C x H x W float in, N x classes logits out.
struct Model {
  torch::nn::AnyModule module;
  std::shared_ptr<torch::nn::Module> ptr;  // the same module, for parameters()/train()/to()
  ModelOptions options;

  torch::Tensor forward(const torch::Tensor& x) { return module.forward(x); }
};

// Builds a freshly initialised model. Throws std::invalid_argument naming the field for an unknown
// name or an option out of range.
Model make_model(const ModelOptions& options);

// Number of trainable scalars.
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace autoaug::models
