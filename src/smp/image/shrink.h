// Shrinking by a whole factor: OpenCV's area resize then takes its fast block-mean path (its
// general path costs ~3x more; ~40 ms on a 12 MP photo).
#pragma once
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

}  // namespace smp
