// PNG pictures of a search on a 2-D benchmark problem (`autoaug bench search --plot DIR`).

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

#include "tools/bench_search.h"

namespace autoaug::tools {

void plot_search(const std::string& path, const search::BenchmarkProblem& problem,
                 const std::vector<search::Point>& points, const std::vector<double>& observed) {
  if (problem.space.size() != 2) throw std::invalid_argument("--plot: only 2-D problems");
  constexpr int kSize = 600;
  const auto& dx = problem.space.dimension(0);
  const auto& dy = problem.space.dimension(1);
  auto to_pixel = [&](const search::Point& p) {
    return cv::Point(
        static_cast<int>(std::lround((p[0] - dx.low) / (dx.high - dx.low) * (kSize - 1))),
        static_cast<int>(std::lround((1 - (p[1] - dy.low) / (dy.high - dy.low)) * (kSize - 1))));
  };
  // Heat map of the noise-free function; log scale above the minimum so that wide ranges
  // (Branin spans 0.4..300) keep their structure.
  cv::Mat values(kSize, kSize, CV_64F);
  for (int r = 0; r < kSize; ++r) {
    for (int c = 0; c < kSize; ++c) {
      const search::Point p = {dx.low + (dx.high - dx.low) * c / (kSize - 1.0),
                               dy.high - (dy.high - dy.low) * r / (kSize - 1.0)};
      values.at<double>(r, c) = std::log1p(problem.value(p) - problem.f_star);
    }
  }
  cv::Mat gray, image;
  cv::normalize(values, gray, 0, 255, cv::NORM_MINMAX, CV_8U);
  cv::applyColorMap(gray, image, cv::COLORMAP_VIRIDIS);

  size_t best = 0;
  for (size_t i = 1; i < observed.size(); ++i) best = observed[i] < observed[best] ? i : best;
  for (size_t i = 0; i < points.size(); ++i) {
    const cv::Point q = to_pixel(points[i]);
    cv::circle(image, q, 3, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
    cv::putText(image, std::to_string(i), q + cv::Point(4, -3), cv::FONT_HERSHEY_PLAIN, 0.8,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  if (!points.empty()) {  // the pick: point with the best observation, red ring
    cv::circle(image, to_pixel(points[best]), 9, cv::Scalar(0, 0, 255), 2, cv::LINE_AA);
  }
  // The true minimiser: a red cross.
  cv::drawMarker(image, to_pixel(problem.minimiser), cv::Scalar(0, 0, 255), cv::MARKER_CROSS, 18, 2,
                 cv::LINE_AA);
  if (!cv::imwrite(path, image)) throw std::runtime_error(path + ": cannot write the PNG");
}

}  // namespace autoaug::tools
