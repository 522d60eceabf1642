#include "augment/preview.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace autoaug::augment {

cv::Mat make_grid(const std::vector<cv::Mat>& images, int rows, int cols, int min_tile) {
  if (images.empty()) throw std::invalid_argument("grid: no images");
  if (rows < 1 || cols < 1) throw std::invalid_argument("grid: rows and cols must be positive");
  const cv::Size size = images.front().size();
  const int shorter = std::max(1, std::min(size.width, size.height));
  const int zoom = std::max(1, (min_tile + shorter - 1) / shorter);
  const int gap = 2;
  const cv::Size tile(size.width * zoom, size.height * zoom);
  cv::Mat grid(rows * tile.height + (rows + 1) * gap, cols * tile.width + (cols + 1) * gap, CV_8UC3,
               cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < images.size() && static_cast<int>(i) < rows * cols; ++i) {
    const cv::Mat& img = images[i];
    if (img.size() != size || img.depth() != CV_8U) {
      throw std::invalid_argument("grid: image " + std::to_string(i) + " differs in size or type");
    }
    cv::Mat rgb = img;
    if (img.channels() == 1) cv::cvtColor(img, rgb, cv::COLOR_GRAY2RGB);
    cv::Mat big;
    cv::resize(rgb, big, tile, 0, 0, cv::INTER_NEAREST);
    const int r = static_cast<int>(i) / cols;
    const int c = static_cast<int>(i) % cols;
    big.copyTo(grid(cv::Rect(gap + c * (tile.width + gap), gap + r * (tile.height + gap),
                             tile.width, tile.height)));
  }
  return grid;
}

}  // namespace autoaug::augment
