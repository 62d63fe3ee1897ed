// Minimum cut of a pixel grid, 4- or 8-connected: the Boykov-Kolmogorov max-flow (IEEE PAMI
// 2004, the algorithm of cv::grabCut's cut and of dlib's) with the grid's neighbours implicit, so
// a node is a few arrays' entries rather than a list of arcs, and a sequence of cuts of one grid
// (GrabCut's iterations) each starting from the flow of the one before.
//
// Written here because neither library offers it: OpenCV's graph is private to cv::grabCut,
// dlib solves the 4-connected grid afresh each time, or a general graph ~2x slower than
// OpenCV. The front view's head outline was tuned with 8 neighbours (4 cut a client's curls
// off), and GrabCut is the largest single step of the analysis of both views.
#pragma once
#include <memory>
#include <opencv2/core.hpp>

namespace smp {

// The labelling (CV_8U, 1 or 0 per pixel) that maximises the sum of `gain` over the pixels
// labelled 1 minus the costs of the neighbour pairs labelled differently. `gain`: CV_64F, what
// labelling the pixel 1 rather than 0 is worth (+/- infinity fixes it). `costs`: CV_64F planes
// >= 0 of gain's size, a pixel's pair with its neighbour to the right, below-right, below and
// below-left (4 neighbours: right and below only, the diagonal planes are not read; what lies
// outside the grid is not read). Pixels that neither side reaches (any label costs the same)
// are 1.
cv::Mat grid_min_cut(const cv::Mat& gain, const cv::Mat (&costs)[4], int neighbours);

// The same for a sequence of gains on one grid: each solve starts from the flow of the one
// before (Kohli & Torr's dynamic graph cuts), so only what the new gains change is pushed.
class GridMinCut {
 public:
  GridMinCut(const cv::Mat (&costs)[4], int neighbours);
  ~GridMinCut();
  cv::Mat solve(const cv::Mat& gain);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smp
