#include "augment/image_io.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace autoaug::augment {

cv::Mat read_image(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw std::invalid_argument(path + ": no such image file");
  }
  cv::Mat raw;
  try {
    raw = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw std::invalid_argument(path + ": cannot decode the image (" + e.err + ")");
  }
  if (raw.empty()) {
    throw std::invalid_argument(path + ": cannot decode the image (corrupt or unknown format)");
  }
  if (raw.depth() != CV_8U) {
    throw std::invalid_argument(path + ": only 8-bit images are supported");
  }
  cv::Mat out;
  switch (raw.channels()) {
    case 1:
      return raw;
    case 3:
      cv::cvtColor(raw, out, cv::COLOR_BGR2RGB);
      return out;
    case 4:
      cv::cvtColor(raw, out, cv::COLOR_BGRA2RGB);
      return out;
    default:
      throw std::invalid_argument(path + ": " + std::to_string(raw.channels()) +
                                  " channels are not supported (1, 3 or 4)");
  }
}

void write_image(const std::string& path, const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3)) {
    throw std::invalid_argument(path + ": can only write uint8 images with 1 or 3 channels");
  }
  cv::Mat bgr = image;
  if (image.channels() == 3) cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  bool ok = false;
  try {
    ok = cv::imwrite(path, bgr);
  } catch (const cv::Exception& e) {
    throw std::invalid_argument(path + ": cannot write the image (" + e.err + ")");
  }
  if (!ok) throw std::invalid_argument(path + ": cannot write the image");
}

}  // namespace autoaug::augment
