#include "smp/design/hairline.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/core/errors.h"
#include "smp/core/rect.h"
#include "smp/image/shrink.h"

namespace smp {

namespace {

// Per preset (index: HairlinePreset): the mid-frontal height along the forehead, how far the
// temples sit back (a share of the mid height) and the transition zone's depth.
struct PresetRule {
  double mid_mm, temple_recess, transition_mm;
};
constexpr PresetRule kPresetRules[] = {
    {80, 0.18, 8},   // natural
    {90, 0.24, 9},   // mature
    {73, 0.10, 6},   // youthful
    {82, 0.20, 10},  // broken
};

double deg(double d) {
  return d * M_PI / 180.0;
}

}  // namespace

cv::Mat head_outline(const cv::Mat& head8, int open_radius_px) {
  cv::Mat out = cv::Mat::zeros(head8.size(), CV_8U), head = head8 > 0;
  if (open_radius_px > 0) {
    int k = open_radius_px;
    cv::morphologyEx(head, head, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * k + 1, 2 * k + 1)));
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(head, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return out;
  size_t best = 0;
  for (size_t i = 1; i < contours.size(); ++i)
    if (cv::contourArea(contours[i]) > cv::contourArea(contours[best])) best = i;
  std::vector<cv::Point> hull;
  cv::convexHull(contours[best], hull);
  cv::fillConvexPoly(out, hull, cv::Scalar(255));
  return out;
}

ShrunkOutline shrunk_head_outline(const cv::Mat& head_mask, double scale, int open_radius_px,
                                  int pad_px) {
  SMP_CHECK(head_mask.type() == CV_8U);
  ShrunkOutline o;
  o.scale = scale;
  const cv::Rect whole(0, 0, head_mask.cols, head_mask.rows);
  o.crop = cv::boundingRect(head_mask);
  if (o.crop.empty())
    o.crop = whole;
  else
    o.crop = padded(o.crop, pad_px, whole);
  // The size cv::resize(fx = fy = scale) gives, by a whole factor first (OpenCV's general area
  // path took ~30 ms of a 12 MP close-up's head).
  const cv::Size size(cv::saturate_cast<int>(o.crop.width * scale),
                      cv::saturate_cast<int>(o.crop.height * scale));
  const cv::Mat small = shrink_to(head_mask(o.crop), size);
  o.outline = head_outline(small > 127, open_radius_px);
  return o;
}

HairlinePreset parse_hairline_preset(const std::string& n) {
  if (n == "natural") return HairlinePreset::kNatural;
  if (n == "mature") return HairlinePreset::kMature;
  if (n == "youthful") return HairlinePreset::kYouthful;
  if (n == "broken") return HairlinePreset::kBroken;
  throw UsageError("unknown hairline preset '" + n + "' (natural, mature, youthful, broken)");
}

const char* to_string(HairlinePreset p) {
  switch (p) {
    case HairlinePreset::kNatural:
      return "natural";
    case HairlinePreset::kMature:
      return "mature";
    case HairlinePreset::kYouthful:
      return "youthful";
    case HairlinePreset::kBroken:
      return "broken";
  }
  return "natural";
}

FaceFrame face_frame(const Face& face) {
  return {face.landmarks[36], face.landmarks[45], face.glabella(), face.landmarks[33]};
}

Hairline propose_hairline(const Face& face, double px_per_mm, const Pose& pose,
                          const cv::Mat& head_mask, const HairlineOptions& opt) {
  return propose_hairline(face_frame(face), px_per_mm, pose, head_mask, opt);
}

Hairline propose_hairline(const FaceFrame& face, double px_per_mm, const Pose& pose,
                          const cv::Mat& head_mask, const HairlineOptions& opt) {
  SMP_CHECK(px_per_mm > 0);
  Hairline h;
  h.preset = opt.preset;
  // Along the forehead, as a practitioner measures it with a tape from the glabella: about 8 cm,
  // 7-10 cm (higher is more conservative: it suits the client as he ages). The face's own middle
  // third (glabella -> below the nose) nudges it by up to 10 %, since the thirds of a face are
  // about equal.
  const PresetRule& rule = kPresetRules[static_cast<int>(opt.preset)];
  const double preset_mm = rule.mid_mm, temple_recess = rule.temple_recess;
  h.transition_mm = rule.transition_mm;
  cv::Point2d le = face.outer_eye_left, re = face.outer_eye_right;
  cv::Point2d ex = (re - le) / std::max(1e-9, cv::norm(re - le));
  cv::Point2d up(ex.y, -ex.x);  // perpendicular, pointing up the face
  cv::Point2d g = face.glabella;
  double mid_mm = preset_mm;
  const double cos_p = std::cos(deg(std::clamp(pose.pitch, -35.0, 35.0)));
  const double middle_third_mm =
      face.nose_tip ? (g - *face.nose_tip).dot(-up) / px_per_mm / cos_p : 0;
  // A typical adult middle third is about 65 mm.
  if (middle_third_mm > 35 && middle_third_mm < 90)
    mid_mm = std::clamp(preset_mm * std::clamp(middle_third_mm / 65.0, 0.9, 1.1), 70.0, 100.0);
  if (opt.mid_frontal_mm > 0) mid_mm = opt.mid_frontal_mm;
  h.mid_frontal_mm = mid_mm;

  // Face frame: x along the eye line, heights up the face. Temporal points just outside the
  // outer eye corners.
  double half_w = cv::norm(re - le) * 0.5 * 1.08;
  double gx = (g - le).dot(ex) - cv::norm(re - le) * 0.5;  // glabella offset from eye-line centre
  std::mt19937 rng(opt.seed);
  std::normal_distribution<double> jitter(0.0, 0.45 * px_per_mm);
  const int n = 25;
  std::vector<double> us(n), hs(n);
  for (int i = 0; i < n; ++i) {
    double t = -1.0 + 2.0 * i / (n - 1);  // -1 left temple .. 1 right temple
    // Rounded front with recessed temples (frontotemporal angle); slight asymmetry.
    double shape = 1.0 - temple_recess * std::pow(std::abs(t), 2.2) + 0.015 * t;
    double s = mid_mm * shape;
    if (opt.preset == HairlinePreset::kBroken) s += 2.0 * std::sin(9.0 * t + 0.7);
    us[i] = gx + t * half_w;
    hs[i] = projected_forehead_mm(s, pose.pitch) * px_per_mm;
  }

  // Inside the head: a line above the skull's top (or in the background) is lowered as a whole,
  // keeping its shape, until it sits a few mm inside the outline.
  if (!head_mask.empty()) {
    const int margin = std::max(1, static_cast<int>(std::lround(8 * px_per_mm)));
    // Work at about 1 px per mm (plenty for a margin of 8 mm), on the head's box padded past
    // the opening's and the margin's reach.
    const double sc = std::min(1.0, 1.0 / px_per_mm);
    const cv::Rect whole(0, 0, head_mask.cols, head_mask.rows);
    const ShrunkOutline so =
        shrunk_head_outline(head_mask, sc, static_cast<int>(std::lround(12 * px_per_mm * sc)),
                            static_cast<int>(std::ceil((12 + 8 + 4) * px_per_mm)));
    const cv::Rect& crop = so.crop;
    cv::Mat inner;
    int k = std::max(1, static_cast<int>(std::lround(margin * sc)));
    // Erosion treats outside the photo as head: a head cut off by the frame is still a head.
    cv::erode(so.outline, inner,
              cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * k + 1, 2 * k + 1)));
    auto inside = [&](double f) {
      // The middle of the line: the temples of a turned head sit near its silhouette anyway.
      for (int i = n / 4; i < n - n / 4; ++i) {
        cv::Point2d p = g + ex * (us[i] - gx) + up * (hs[i] * f);
        // Past the photo's edge: as inside as the edge is (a head the frame cuts off goes on;
        // a line above a head whose top shows is too high).
        p.x = std::clamp(p.x, 0.0, whole.width - 1.0);
        p.y = std::clamp(p.y, 0.0, whole.height - 1.0);
        if (!crop.contains(cv::Point(static_cast<int>(p.x), static_cast<int>(p.y)))) return false;
        const cv::Point2d q = so.to_outline(p);
        int x = std::clamp(static_cast<int>(std::lround(q.x)), 0, inner.cols - 1);
        int y = std::clamp(static_cast<int>(std::lround(q.y)), 0, inner.rows - 1);
        if (!inner.at<uint8_t>(y, x)) return false;
      }
      return true;
    };
    double f = 1.0;
    while (f > 0.5 && !inside(f)) f -= 0.02;
    for (double& v : hs) v *= f;
  }
  for (int i = 0; i < n; ++i) {
    cv::Point2d p = g + ex * (us[i] - gx) + up * hs[i];
    if (i != 0 && i != n - 1) p += cv::Point2d(jitter(rng), jitter(rng));
    h.points.push_back(p);
  }
  return h;
}

Hairline propose_hairline(const Face& face, double px_per_mm, const HairlineOptions& opt) {
  return propose_hairline(face, px_per_mm, Pose{}, cv::Mat(), opt);
}

}  // namespace smp
