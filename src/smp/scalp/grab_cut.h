// GrabCut (Rother, Kolmogorov & Blake 2004) with a faster cut: a head told from its backdrop by
// the photo's own colours. cv::grabCut's max-flow takes ~100 ms a cut on a 320 px top view; this
// one fits the same colour models and cuts with a max-flow on the pixel grid itself
// (scalp/grid_max_flow.h), each iteration's cut starting from the one before: 4 neighbours for
// top views, or 8 with cv::grabCut's own graph (front views, whose head extent was tuned on it).
// Same mask convention as OpenCV's (cv::GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD).
#pragma once
#include <opencv2/core.hpp>

namespace smp {

struct GrabCutOptions {
  // 4: a pixel and its row and column neighbours; 8: the diagonal ones too, at 1/sqrt(2) of
  // the cost (cv::grabCut's graph).
  int neighbours = 4;
  // The cost of a cut between two pixels of the same colour (GrabCut's 50 for 8 neighbours is
  // about 120 for 4).
  double smoothness = 120.0;
  // k-means seeds the colour models from every k-th pixel of a side, at most this many, and
  // every pixel then joins its nearest centre; 0: from all of them, with k-means' own labels
  // (cv::grabCut's way).
  // (4000, was 20000: a 12 MP top view's parts 100 -> 91 ms, Norwood and the chin-down eyes
  // unchanged.)
  size_t kmeans_samples = 4000;
};

// cv::grabCut's choices: 8 neighbours, smoothness 50, every pixel clustered. The same models and
// the same minimum cut (ties aside), several times faster.
inline GrabCutOptions opencv_grab_cut() {
  return {8, 50.0, 0};
}

// Relabels the probable pixels of `mask` (CV_8U, the size of `bgr8`, at least 3 x 3) as probable
// head or backdrop; the sure ones stay. Colour models: five Gaussians a side, seeded by
// k-means++ from cv::theRNG() (reset it for a repeatable result), refitted before each of
// `iterations` cuts.
void grab_cut(const cv::Mat& bgr8, cv::Mat& mask, int iterations, const GrabCutOptions& opt);

}  // namespace smp
