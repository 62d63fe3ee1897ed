// A two-label segmentation of a pixel grid by minimum cut: dlib's Potts-model solver (a
// Boykov-Kolmogorov max-flow on the 4-connected grid), compiled in face/dlib_adapter.cpp, the
// one file that includes dlib.
#pragma once
#include <opencv2/core.hpp>

namespace smp {

// The labelling (CV_8U, 1 or 0 per pixel) that maximises the sum of `gain` over the pixels
// labelled 1 minus the sum of the costs of the neighbour pairs labelled differently.
// `gain`: CV_64F, what labelling the pixel 1 rather than 0 is worth (+/- infinity fixes it);
// `cost_right`, `cost_down`: CV_64F >= 0, the pair of a pixel and its right / lower neighbour
// (the last column's and row's are not read). All three of one size, at least 3 x 3.
cv::Mat min_cut_labels(const cv::Mat& gain, const cv::Mat& cost_right, const cv::Mat& cost_down);

}  // namespace smp
