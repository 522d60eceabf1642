#include "models/batch_tensor.h"

#include <torch/torch.h>

#include <memory>

namespace autoaug::models {

BatchTensors to_tensors(data::Batch&& batch) {
  auto holder = std::make_shared<data::Batch>(std::move(batch));
  BatchTensors tensors;
  tensors.images = torch::from_blob(
      holder->pixels.data(), {holder->size, holder->channels, holder->height, holder->width},
      [holder](void*) mutable { holder.reset(); }, torch::TensorOptions().dtype(torch::kFloat));
  tensors.labels = torch::from_blob(
      holder->labels.data(), {holder->size}, [holder](void*) mutable { holder.reset(); },
      torch::TensorOptions().dtype(torch::kLong));
  return tensors;
}

}  // namespace autoaug::models
