#include "smp/scalp/parts.h"

#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"

namespace smp {

namespace {
constexpr uint8_t kBg = static_cast<uint8_t>(Part::kBackground);
constexpr uint8_t kSkin = static_cast<uint8_t>(Part::kSkin);
constexpr uint8_t kHair = static_cast<uint8_t>(Part::kHair);
}  // namespace

// Baseline: a head ellipse from the landmarks (or the photo's centre blob without a face), skin
// by colour distance to the face's own skin, hair for darker non-skin pixels inside the head.
cv::Mat segment_parts(const cv::Mat& bgr8, const Face* face, const PartsOptions& opt) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  double s = std::min(1.0, double(opt.work_long_side) / std::max(bgr8.cols, bgr8.rows));
  cv::Mat small;
  cv::resize(bgr8, small, cv::Size(), s, s, cv::INTER_AREA);
  cv::Mat lab;
  cv::cvtColor(small, lab, cv::COLOR_BGR2Lab);
  cv::Mat head(small.size(), CV_8U, cv::Scalar(0));
  cv::Mat skin_seed(small.size(), CV_8U, cv::Scalar(0));
  if (face) {
    const auto& l = face->landmarks;
    double fw = cv::norm(l[16] - l[0]);
    cv::Point2d c = (l[0] + l[16]) * 0.5;
    double chin = l[8].y;
    double top = face->glabella().y - 1.05 * fw;
    cv::ellipse(head, cv::Point(cv::Point2d(c.x * s, (top + chin) * 0.5 * s)),
                cv::Size(int(0.62 * fw * s), int((chin - top) * 0.55 * s)), 0, 0, 360, 255, -1);
    std::vector<cv::Point> cheeks;
    for (int i : {1, 2, 3, 31, 33, 35, 13, 14, 15, 28}) cheeks.push_back(cv::Point(l[i] * s));
    cv::fillConvexPoly(skin_seed, cheeks, 255);
  } else {
    cv::ellipse(head, cv::Point(small.cols / 2, small.rows / 2),
                cv::Size(small.cols * 0.4, small.rows * 0.42), 0, 0, 360, 255, -1);
    cv::ellipse(skin_seed, cv::Point(small.cols / 2, small.rows / 2),
                cv::Size(small.cols * 0.12, small.rows * 0.12), 0, 0, 360, 255, -1);
  }
  cv::Scalar mean, stddev;
  cv::meanStdDev(lab, mean, stddev, skin_seed);
  cv::Mat labels(small.size(), CV_8U, cv::Scalar(kBg));
  for (int y = 0; y < small.rows; ++y) {
    const cv::Vec3b* p = lab.ptr<cv::Vec3b>(y);
    const uint8_t* h = head.ptr<uint8_t>(y);
    uint8_t* o = labels.ptr<uint8_t>(y);
    for (int x = 0; x < small.cols; ++x) {
      if (!h[x]) continue;
      double dl = (p[x][0] - mean[0]) / std::max(8.0, 2.5 * stddev[0]);
      double da = (p[x][1] - mean[1]) / std::max(4.0, 2.5 * stddev[1]);
      double db = (p[x][2] - mean[2]) / std::max(4.0, 2.5 * stddev[2]);
      bool skin = dl * dl + da * da + db * db < 1.0 || (dl > 0 && da * da + db * db < 1.0);
      o[x] = skin ? kSkin : kHair;
    }
  }
  cv::medianBlur(labels, labels, 5);
  cv::Mat full;
  cv::resize(labels, full, bgr8.size(), 0, 0, cv::INTER_NEAREST);
  return full;
}

cv::Mat parts_to_colour(const cv::Mat& labels) {
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* l = labels.ptr<uint8_t>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < labels.cols; ++x)
      o[x] = l[x] == kHair ? cv::Vec3b(0, 0, 255) : l[x] == kSkin ? cv::Vec3b(0, 255, 0) : cv::Vec3b(255, 0, 0);
  }
  return out;
}

cv::Mat parts_from_colour(const cv::Mat& bgr8) {
  cv::Mat out(bgr8.size(), CV_8U);
  for (int y = 0; y < bgr8.rows; ++y) {
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < bgr8.cols; ++x) {
      int b = p[x][0], g = p[x][1], r = p[x][2];
      o[x] = (r >= g && r >= b) ? kHair : (g >= b ? kSkin : kBg);
    }
  }
  return out;
}

}  // namespace smp
