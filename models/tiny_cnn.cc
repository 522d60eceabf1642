#include "models/tiny_cnn.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/init.h"
#include "models/mobilenet_v2.h"

namespace autoaug::models {

namespace nn = torch::nn;

TinyCnnImpl::TinyCnnImpl(const TinyCnnOptions& options) {
  if (options.in_channels != 1 && options.in_channels != 3) {
    throw std::invalid_argument("model.in_channels: " + std::to_string(options.in_channels) +
                                " is not 1 or 3");
  }
  if (options.num_classes < 2) {
    throw std::invalid_argument("model.num_classes: " + std::to_string(options.num_classes) +
                                " is below 2");
  }
  if (options.base_channels < 1) {
    throw std::invalid_argument("model.base_channels: " + std::to_string(options.base_channels) +
                                " is not positive");
  }
  const int64_t c = options.base_channels;
  auto block = [](int64_t in, int64_t out) {
    ConvBnReLU6 conv(in, out, 3, 1);
    return conv;
  };
  features_->push_back(block(options.in_channels, c));
  features_->push_back(nn::MaxPool2d(2));
  features_->push_back(block(c, 2 * c));
  features_->push_back(nn::MaxPool2d(2));
  features_->push_back(block(2 * c, 4 * c));
  classifier_ = nn::Linear(4 * c, options.num_classes);
  register_module("features", features_);
  register_module("classifier", classifier_);
  init_torchvision_style(*this, options.seed);
}

torch::Tensor TinyCnnImpl::forward(torch::Tensor x) {
  x = features_->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return classifier_->forward(x);
}

}  // namespace autoaug::models
