// libFuzzer target for policy JSON (augment/policy_json.h): arbitrary bytes through
// parse_policy_json. Only std::invalid_argument may come out. A policy that parses must survive
// policy_to_json -> parse unchanged, and an Augmenter built from it must apply to a colour image,
// and to a grey one unless its fill has a value per colour channel (every op, magnitude and
// probability the parser accepts). Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "augment/policy.h"
#include "augment/policy_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autoaug::augment;
  Policy policy;
  try {
    policy = parse_policy_json(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const std::string text = policy_to_json(policy);
  if (policy_to_json(parse_policy_json(text, "round trip")) != text) std::abort();
  const Augmenter augmenter(policy);
  std::mt19937_64 rng(size);
  cv::Mat grey(9, 7, CV_8UC1, cv::Scalar(100));
  cv::Mat colour(6, 11, CV_8UC3, cv::Scalar(10, 120, 250));
  // A fill of one value per colour channel does not fit a grey image: ops that fill refuse it.
  const bool grey_fits = policy.fill.size() == 1;
  for (int i = 0; i < 4; ++i) {
    const cv::Mat b = augmenter.apply(colour, rng);
    if (b.size() != colour.size() || b.type() != colour.type()) std::abort();
    try {
      const cv::Mat a = augmenter.apply(grey, rng);
      if (a.size() != grey.size() || a.type() != grey.type()) std::abort();
    } catch (const std::invalid_argument& e) {
      if (grey_fits ||
          std::string(e.what()).find("does not fit a 1-channel") == std::string::npos) {
        std::abort();
      }
    }
  }
  return 0;
}
