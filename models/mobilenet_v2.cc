#include "models/mobilenet_v2.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/init.h"

namespace autoaug::models {

namespace nn = torch::nn;

ConvBnReLU6Impl::ConvBnReLU6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t groups) {
  push_back(nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                           .stride(stride)
                           .padding((kernel - 1) / 2)
                           .groups(groups)
                           .bias(false)));
  push_back(nn::BatchNorm2d(out));
  push_back(nn::ReLU6(nn::ReLU6Options().inplace(true)));
}

int64_t make_divisible(double value, int64_t divisor) {
  int64_t rounded = std::max<int64_t>(
      divisor, static_cast<int64_t>(value + static_cast<double>(divisor) / 2) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * value) rounded += divisor;
  return rounded;
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t out, int64_t stride,
                                           int64_t expand_ratio)
    : residual_(stride == 1 && in == out) {
  const int64_t hidden = static_cast<int64_t>(std::lround(static_cast<double>(in * expand_ratio)));
  if (expand_ratio != 1) conv_->push_back(ConvBnReLU6(in, hidden, 1, 1));
  conv_->push_back(ConvBnReLU6(hidden, hidden, 3, stride, hidden));
  conv_->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
  conv_->push_back(nn::BatchNorm2d(out));
  register_module("conv", conv_);
}

torch::Tensor InvertedResidualImpl::forward(torch::Tensor x) {
  if (residual_) return x + conv_->forward(x);
  return conv_->forward(x);
}

MobileNetV2Impl::MobileNetV2Impl(const MobileNetV2Options& options) : options_(options) {
  if (!(options.width >= 0.25 && options.width <= 1.0)) {
    throw std::invalid_argument("model.width: " + std::to_string(options.width) +
                                " is outside 0.25..1.0");
  }
  if (options.in_channels != 1 && options.in_channels != 3) {
    throw std::invalid_argument("model.in_channels: " + std::to_string(options.in_channels) +
                                " is not 1 or 3");
  }
  if (options.num_classes < 2) {
    throw std::invalid_argument("model.num_classes: " + std::to_string(options.num_classes) +
                                " is below 2");
  }
  if (options.stem_stride != 1 && options.stem_stride != 2) {
    throw std::invalid_argument("model.stem_stride: " + std::to_string(options.stem_stride) +
                                " is not 1 or 2");
  }
  struct Stage {
    int64_t expand, channels, repeats, stride;
  };
  static constexpr Stage kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                      {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t input_channel = make_divisible(32 * options.width);
  const int64_t last_channel = make_divisible(1280 * std::max(1.0, options.width));
  features_->push_back(ConvBnReLU6(options.in_channels, input_channel, 3, options.stem_stride));
  for (const Stage& stage : kStages) {
    const int64_t output_channel =
        make_divisible(static_cast<double>(stage.channels) * options.width);
    for (int64_t i = 0; i < stage.repeats; ++i) {
      features_->push_back(
          InvertedResidual(input_channel, output_channel, i == 0 ? stage.stride : 1, stage.expand));
      input_channel = output_channel;
    }
  }
  features_->push_back(ConvBnReLU6(input_channel, last_channel, 1, 1));
  classifier_->push_back(SeededDropout(options.dropout, options.seed ^ 0xD50F));
  classifier_->push_back(nn::Linear(last_channel, options.num_classes));
  register_module("features", features_);
  register_module("classifier", classifier_);
  init_torchvision_style(*this, options.seed);
}

torch::Tensor MobileNetV2Impl::forward(torch::Tensor x) {
  x = features_->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return classifier_->forward(x);
}

}  // namespace autoaug::models
