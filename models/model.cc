#include "models/model.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/mobilenet_v2.h"
#include "models/tiny_cnn.h"

namespace autoaug::models {

Model make_model(const ModelOptions& options) {
  Model model;
  model.options = options;
  if (options.input_size < 8) {
    throw std::invalid_argument("model.input_size: " + std::to_string(options.input_size) +
                                " is below 8");
  }
  if (options.name == "mobilenetv2") {
    MobileNetV2Options o;
    o.width = options.width;
    o.in_channels = options.in_channels;
    o.num_classes = options.num_classes;
    o.stem_stride = options.input_size <= 64 ? 1 : 2;
    o.dropout = options.dropout;
    o.seed = options.seed;
    MobileNetV2 net(o);
    model.ptr = net.ptr();
    model.module = torch::nn::AnyModule(net);
  } else if (options.name == "tinycnn") {
    TinyCnnOptions o;
    o.in_channels = options.in_channels;
    o.num_classes = options.num_classes;
    o.seed = options.seed;
    TinyCnn net(o);
    model.ptr = net.ptr();
    model.module = torch::nn::AnyModule(net);
  } else {
    throw std::invalid_argument("model.name: unknown model '" + options.name +
                                "' (expected mobilenetv2 or tinycnn)");
  }
  return model;
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

}  // namespace autoaug::models
