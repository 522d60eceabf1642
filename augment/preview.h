#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

namespace autoaug::augment {

// Tiles images (uint8, all of one size; grey ones are shown as RGB) into a rows x cols grid with
// a 2-pixel white gap, each tile enlarged by an integer factor (nearest neighbour) so that it is
// at least `min_tile` pixels on its shorter side. Missing tiles stay white. Throws
// std::invalid_argument for an empty list or mixed sizes.
cv::Mat make_grid(const std::vector<cv::Mat>& images, int rows, int cols, int min_tile = 96);

}  // namespace autoaug::augment
