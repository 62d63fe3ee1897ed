// Shrinking by a whole factor: OpenCV's area resize then takes its fast block-mean path (its
// general path costs ~3x more; ~40 ms on a 12 MP photo).
#pragma once
#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace smp {

// `m` shrunk `n` times: each output pixel the mean of an n x n block (or, with
// cv::INTER_NEAREST, one of its pixels). The last columns and rows that do not fill a block are
// dropped, so the result is exactly (cols / n) x (rows / n).
inline cv::Mat shrink_whole(const cv::Mat& m, int n, int interpolation = cv::INTER_AREA) {
  if (n <= 1) return m;
  cv::Mat out;
  cv::resize(m(cv::Rect(0, 0, m.cols / n * n, m.rows / n * n)), out,
             cv::Size(m.cols / n, m.rows / n), 0, 0, interpolation);
  return out;
}

// `m` area-shrunk to `size` (no larger than m): by the largest whole factor within first
// (shrink_whole: the fast path), then OpenCV's general area resize for the rest, on the smaller
// image. May share m's pixels when size is m's own.
inline cv::Mat shrink_to(const cv::Mat& m, cv::Size size) {
  const int n = std::max(1, std::min(m.cols / size.width, m.rows / size.height));
  cv::Mat part = shrink_whole(m, n);
  if (part.size() == size) return part;
  cv::Mat out;
  cv::resize(part, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

}  // namespace smp
