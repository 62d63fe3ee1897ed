// Rectangles of the working boxes that keep per-pixel work off the parts of a photo it cannot
// change.
#pragma once
#include <opencv2/core/types.hpp>

namespace smp {

// `r` grown by `pad` on every side and clipped to `bounds`: the box a neighbourhood operation
// (a blur, a dilation, a distance transform) must read to give, inside `r`, what it gives on
// the whole image.
inline cv::Rect padded(const cv::Rect& r, int pad, const cv::Rect& bounds) {
  return cv::Rect(r.x - pad, r.y - pad, r.width + 2 * pad, r.height + 2 * pad) & bounds;
}

}  // namespace smp
