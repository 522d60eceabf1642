#pragma once

#include <ATen/core/Tensor.h>

#include "data/batch_loader.h"

namespace autoaug::models {

// A batch as tensors without copying the pixels: `images` (N x C x H x W float) keeps the batch's
// buffer alive for as long as any view of it lives; `labels` (N, int64).
struct BatchTensors {
  at::Tensor images;
  at::Tensor labels;
};
BatchTensors to_tensors(data::Batch&& batch);

}  // namespace autoaug::models
