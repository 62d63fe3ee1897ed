// The head seen as a sphere: the cranium's outline circle in a photo. The plan measures areas
// on it; the renderer keeps a side view's treatment on its upper part.
#pragma once
#include <opencv2/core.hpp>

#include "smp/scalp/scalp.h"  // View

namespace smp {

struct HeadSphere {
  cv::Point2d centre;
  double radius_px = 0;
};
// y_limit: lowest row of the cranium to consider (the brows), -1 none; x_hint: a column through
// the head (the glabella), -1 none.
HeadSphere fit_head_sphere(const cv::Mat& head_mask8, View view, int y_limit = -1, int x_hint = -1);

}  // namespace smp
