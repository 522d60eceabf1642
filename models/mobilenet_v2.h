#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/seeded_dropout.h"

namespace autoaug::models {

struct MobileNetV2Options {
  // Width multiplier on every layer's channels, 0.25 to 1.0 (torchvision's width_mult).
  double width = 0.5;
  // 1 (grey) or 3 (RGB).
  int in_channels = 3;
  int num_classes = 10;
  // Stride of the stem conv: 1 for small inputs (28 to 64 px), 2 as in torchvision for larger.
  int stem_stride = 1;
  // Dropout before the classifier (torchvision: 0.2).
  double dropout = 0.2;
  // Seeds the weight initialisation and the dropout masks.
  std::uint64_t seed = 0;
};

// torchvision's Conv2dNormActivation with ReLU6: conv (no bias, "same" padding), batch norm,
// ReLU6, as a Sequential named "0", "1", "2".
class ConvBnReLU6Impl : public torch::nn::SequentialImpl {
 public:
  ConvBnReLU6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1);
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(ConvBnReLU6);

// One inverted-residual block of MobileNetV2: optional 1x1 expansion, 3x3 depthwise, 1x1 linear
// projection, identity shortcut when the stride is 1 and the widths match.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio);
  torch::Tensor forward(torch::Tensor x);

 private:
  bool residual_;
  torch::nn::Sequential conv_;
};
TORCH_MODULE(InvertedResidual);

// torchvision 0.14's mobilenet_v2(width_mult=width, num_classes=num_classes), layer for layer
// and with its initialisation (Kaiming normal fan-out for convs, N(0, 0.01) for the classifier),
// except the stem: a 3x3 conv from `in_channels` with stride `stem_stride`. Parameter names
// follow torchvision ("features.0.0.weight", "classifier.1.weight") so weights map one to one.
// Throws std::invalid_argument naming the field for an option out of range. Not thread-safe
// (a module, like any torch::nn::Module, is used from one thread at a time).
class MobileNetV2Impl : public torch::nn::Module {
 public:
  explicit MobileNetV2Impl(const MobileNetV2Options& options);
  // x: N x in_channels x H x W float; returns N x num_classes logits.
  torch::Tensor forward(torch::Tensor x);

  const MobileNetV2Options& options() const { return options_; }

 private:
  MobileNetV2Options options_;
  torch::nn::Sequential features_;
  torch::nn::Sequential classifier_;
};
TORCH_MODULE(MobileNetV2);

// torchvision's _make_divisible: `value` rounded to the nearest multiple of `divisor`, at least
// `divisor`, and never more than 10% below `value`.
int64_t make_divisible(double value, int64_t divisor = 8);

}  // namespace autoaug::models
