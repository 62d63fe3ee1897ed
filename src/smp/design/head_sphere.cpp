#include "smp/design/head_sphere.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"

namespace smp {

HeadSphere fit_head_sphere(const cv::Mat& head, View view, int y_limit, int x_hint) {
  SMP_CHECK(head.type() == CV_8U);
  HeadSphere s;
  cv::Rect box = cv::boundingRect(head);
  if (box.area() == 0) {
    s.centre = cv::Point2d(head.cols / 2.0, head.rows / 2.0);
    s.radius_px = std::max(1, std::min(head.cols, head.rows) / 2);
    return s;
  }
  if (view == View::kTop) {
    // Seen from above the head is round: its outline is the sphere's.
    s.centre = cv::Point2d(box.x + box.width / 2.0, box.y + box.height / 2.0);
    s.radius_px = (box.width + box.height) / 4.0;
    return s;
  }
  // Front / side: the cranium is the top of the head outline. Its widest row between the top and
  // `y_limit` (the brows when a face is known: below them ears and shoulders widen the outline)
  // gives the radius; the centre sits one radius below the top. Rows are read as the run of head
  // pixels through `x_hint` so a neighbour's head or the background does not join in.
  int y_top = box.y;
  int y_end = std::min(head.rows, y_limit > 0 ? y_limit : y_top + box.width);
  if (x_hint >= 0) {
    // The top of *this* head: the first head row over the hint column.
    for (int y = 0; y < head.rows; ++y)
      if (head.at<uint8_t>(y, std::clamp(x_hint, 0, head.cols - 1))) {
        y_top = y;
        break;
      }
  }
  int best_w = 0, best_l = box.x, best_r = box.x + box.width;
  for (int y = y_top; y < y_end; ++y) {
    const uint8_t* row = head.ptr<uint8_t>(y);
    int l = -1, r = -1;
    if (x_hint >= 0) {
      int c = std::clamp(x_hint, 0, head.cols - 1);
      if (!row[c]) continue;
      l = r = c;
      while (l > 0 && row[l - 1]) --l;
      while (r + 1 < head.cols && row[r + 1]) ++r;
    } else {
      for (int x = 0; x < head.cols; ++x)
        if (row[x]) {
          if (l < 0) l = x;
          r = x;
        }
    }
    if (l >= 0 && r - l + 1 > best_w) best_w = r - l + 1, best_l = l, best_r = r;
  }
  s.radius_px = std::max(1.0, best_w / 2.0);
  s.centre = cv::Point2d((best_l + best_r + 1) / 2.0, y_top + s.radius_px);
  return s;
}

}  // namespace smp
