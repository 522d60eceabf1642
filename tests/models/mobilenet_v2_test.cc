#include "models/mobilenet_v2.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <sstream>

#include "models/model.h"
#include "models/tiny_cnn.h"

namespace autoaug::models {
namespace {

std::string shape_string(const torch::Tensor& t) {
  std::string s;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d > 0) s += 'x';
    s += std::to_string(t.size(d));
  }
  return s;
}

// Every parameter and buffer of torchvision's network (golden file written by
// torchvision_mobilenet_v2_shapes.py) exists here with the same name and shape, and nothing else.
void expect_matches_torchvision(double width, int channels, const std::string& golden) {
  MobileNetV2Options options;
  options.width = width;
  options.in_channels = channels;
  MobileNetV2 net(options);
  std::map<std::string, std::string> ours;
  for (const auto& p : net->named_parameters()) ours[p.key()] = shape_string(p.value());
  for (const auto& b : net->named_buffers()) {
    if (b.key().find("num_batches_tracked") == std::string::npos) {
      ours[b.key()] = shape_string(b.value());
    }
  }
  std::ifstream in("tests/models/golden/" + golden);
  ASSERT_TRUE(in) << golden;
  std::map<std::string, std::string> theirs;
  std::string name, shape;
  while (in >> name >> shape) theirs[name] = shape;
  EXPECT_EQ(theirs.size(), 262u);
  EXPECT_EQ(ours, theirs);
}

TEST(MobileNetV2, SameLayersAsTorchvision) {
  expect_matches_torchvision(0.5, 1, "mobilenet_v2_w0.5_c1.txt");
  expect_matches_torchvision(0.25, 3, "mobilenet_v2_w0.25_c3.txt");
  expect_matches_torchvision(1.0, 3, "mobilenet_v2_w1.0_c3.txt");
}

TEST(MobileNetV2, ParameterCountsMatchTorchvision) {
  // sum(p.numel() for p in model.parameters()) of the torchvision network with the same stem.
  ModelOptions options;
  options.width = 0.5;
  options.in_channels = 1;
  EXPECT_EQ(parameter_count(*make_model(options).ptr), 700202);
  options.width = 0.25;
  options.in_channels = 3;
  EXPECT_EQ(parameter_count(*make_model(options).ptr), 250922);
}

TEST(MobileNetV2, ForwardAndBackwardOnCpu) {
  for (int channels : {1, 3}) {
    ModelOptions options;
    options.width = 0.25;
    options.in_channels = channels;
    options.input_size = channels == 1 ? 28 : 32;
    Model model = make_model(options);
    model.ptr->train();
    torch::Tensor x = torch::randn({4, channels, options.input_size, options.input_size});
    torch::Tensor logits = model.forward(x);
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{4, 10}));
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, torch::tensor({0, 1, 2, 3}));
    loss.backward();
    int with_grad = 0;
    for (const auto& p : model.ptr->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      with_grad += p.grad().abs().sum().item<double>() > 0;
    }
    EXPECT_EQ(with_grad, static_cast<int>(model.ptr->parameters().size()));
  }
}

TEST(MobileNetV2, SeededInitialisation) {
  ModelOptions options;
  options.seed = 5;
  Model a = make_model(options);
  Model b = make_model(options);
  options.seed = 6;
  Model c = make_model(options);
  const auto pa = a.ptr->parameters(), pb = b.ptr->parameters(), pc = c.ptr->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) ASSERT_TRUE(pa[i].equal(pb[i])) << i;
  EXPECT_FALSE(pa[0].equal(pc[0]));
  // Kaiming normal, fan-out: the stem conv (16 x 1 x 3 x 3) has std sqrt(2 / (16 * 9)).
  EXPECT_NEAR(pa[0].std().item<double>(), std::sqrt(2.0 / 144), 0.03);
}

TEST(MobileNetV2, OptionsOutOfRangeNameTheField) {
  MobileNetV2Options options;
  options.width = 1.5;
  try {
    MobileNetV2 net(options);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("model.width"), std::string::npos) << e.what();
  }
  ModelOptions model;
  model.name = "resnet";
  EXPECT_THROW(make_model(model), std::invalid_argument);
}

TEST(MobileNetV2, MakeDivisibleFollowsTorchvision) {
  EXPECT_EQ(make_divisible(32 * 0.25), 8);
  EXPECT_EQ(make_divisible(24 * 0.25), 8);
  EXPECT_EQ(make_divisible(96 * 0.5), 48);
  EXPECT_EQ(make_divisible(1280 * 1.0), 1280);
  EXPECT_EQ(make_divisible(320 * 0.35), 112);
}

TEST(TinyCnn, ForwardAndBackward) {
  ModelOptions options;
  options.name = "tinycnn";
  options.in_channels = 3;
  Model model = make_model(options);
  torch::Tensor logits = model.forward(torch::randn({2, 3, 16, 16}));
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10}));
  logits.sum().backward();
  EXPECT_TRUE(model.ptr->parameters()[0].grad().defined());
}

}  // namespace
}  // namespace autoaug::models
