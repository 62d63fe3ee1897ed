// Minimum cut of an 8-connected pixel grid: the Boykov-Kolmogorov max-flow (IEEE PAMI 2004, the
// algorithm of cv::grabCut's cut and of dlib's) with the grid's neighbours implicit, so a node
// is a few arrays' entries rather than a list of arcs.
//
// Written here because neither library offers it: OpenCV's graph is private to cv::grabCut, dlib
// solves the 4-connected grid (face/graph_cut.h) or a general graph ~2x slower than OpenCV. The
// front view's head outline was tuned with 8 neighbours (4 cut a client's curls off), and its
// GrabCut is the largest single step of a 12 MP simulation.
#pragma once
#include <memory>
#include <opencv2/core.hpp>

namespace smp {

// The labelling (CV_8U, 1 or 0 per pixel) that maximises the sum of `gain` over the pixels
// labelled 1 minus the costs of the neighbour pairs labelled differently. `gain`: CV_64F, what
// labelling the pixel 1 rather than 0 is worth (+/- infinity fixes it). `costs`: four CV_64F
// planes >= 0 of gain's size, a pixel's pair with its neighbour to the right, below-right,
// below and below-left (what lies outside the grid is not read). Pixels that neither side
// reaches (any label costs the same) are 1.
cv::Mat grid_min_cut8(const cv::Mat& gain, const cv::Mat (&costs)[4]);

// The same for a sequence of gains on one grid (GrabCut's iterations): each solve starts from
// the flow of the one before, so only what the new gains change is pushed.
class GridMinCut8 {
 public:
  explicit GridMinCut8(const cv::Mat (&costs)[4]);
  ~GridMinCut8();
  cv::Mat solve(const cv::Mat& gain);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smp
