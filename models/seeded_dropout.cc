#include "models/seeded_dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace autoaug::models {

SeededDropoutImpl::SeededDropoutImpl(double p, std::uint64_t seed)
    : p_(p), generator_(at::detail::createCPUGenerator(seed)) {
  if (!(p >= 0.0 && p < 1.0)) {
    throw std::invalid_argument("dropout: " + std::to_string(p) + " is outside [0, 1)");
  }
}

torch::Tensor SeededDropoutImpl::forward(torch::Tensor x) {
  if (!is_training() || p_ == 0.0) return x;
  torch::Tensor mask = torch::empty(x.sizes(), torch::kFloat).bernoulli_(1.0 - p_, generator_);
  mask.div_(1.0 - p_);
  return x * mask.to(x.device(), x.scalar_type());
}

}  // namespace autoaug::models
