#include "models/init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace autoaug::models {

void init_torchvision_style(torch::nn::Module& module, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(seed);
  for (const auto& sub : module.modules(/*include_self=*/false)) {
    if (auto* conv = sub->as<torch::nn::Conv2d>()) {
      const auto& w = conv->weight;
      const double fan_out = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
      w.normal_(0.0, std::sqrt(2.0 / fan_out), generator);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* bn = sub->as<torch::nn::BatchNorm2d>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    } else if (auto* linear = sub->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, 0.01, generator);
      if (linear->bias.defined()) linear->bias.zero_();
    }
  }
}

}  // namespace autoaug::models
