#pragma once

#include <opencv2/core/mat.hpp>
#include <string>

namespace autoaug::augment {

// Reads an image file as uint8 with 1 channel (grey) or 3 channels in RGB order; an alpha channel
// is dropped. Throws std::invalid_argument naming the file when it is missing, unreadable, corrupt,
// or not 8-bit.
cv::Mat read_image(const std::string& path);

// Writes an RGB or grey uint8 image; the format follows the extension. Throws
// std::invalid_argument naming the file on failure.
void write_image(const std::string& path, const cv::Mat& image);

}  // namespace autoaug::augment
