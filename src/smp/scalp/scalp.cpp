#include "smp/scalp/scalp.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "smp/scalp/parts.h"

namespace smp {

namespace {

constexpr uint8_t kSkin = static_cast<uint8_t>(Part::kSkin);
constexpr uint8_t kHair = static_cast<uint8_t>(Part::kHair);
constexpr uint8_t kBg = static_cast<uint8_t>(Part::kBackground);

// Pixels on the scalp side of a line: the natural hairline, perpendicular to the face's up
// direction (so a tilted head is handled), `mm` above the glabella.
cv::Mat above_line(cv::Size size, const Face& f, double px_per_mm, double mm) {
  cv::Point2d eyes = f.right_pupil() - f.left_pupil();
  double n = std::max(1e-6, cv::norm(eyes));
  cv::Point2d up(eyes.y / n, -eyes.x / n);  // eyes rotated by -90°: towards the top of the head
  cv::Point2d o = f.glabella() + up * (mm * px_per_mm);
  cv::Mat m(size, CV_8U);
  for (int y = 0; y < size.height; ++y) {
    uint8_t* p = m.ptr<uint8_t>(y);
    // (p - o) . up > 0  <=>  above the line
    double base = (y - o.y) * up.y - o.x * up.x;
    for (int x = 0; x < size.width; ++x) p[x] = base + x * up.x > 0 ? 255 : 0;
  }
  return m;
}

// Removes islands smaller than `min_px` (parting lines, specks of forehead through a fringe).
cv::Mat drop_small(const cv::Mat& mask, double min_px) {
  cv::Mat cc, stats, cent;
  int n = cv::connectedComponentsWithStats(mask, cc, stats, cent, 8, CV_32S);
  std::vector<uint8_t> keep(n, 0);
  for (int i = 1; i < n; ++i) keep[i] = stats.at<int>(i, cv::CC_STAT_AREA) >= min_px;
  cv::Mat out(mask.size(), CV_8U);
  for (int y = 0; y < mask.rows; ++y) {
    const int* c = cc.ptr<int>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) o[x] = keep[c[x]] ? 255 : 0;
  }
  return out;
}

// Mean colour of the middle of the L* distribution under a mask: highlights and deep shadows
// are lighting, not the hair's or the skin's own colour.
Lab robust_mean_lab(const cv::Mat& bgr8, const cv::Mat& mask) {
  cv::Mat lab;
  cv::cvtColor(bgr8, lab, cv::COLOR_BGR2Lab);
  int hist[256] = {};
  long n = 0;
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const cv::Vec3b* p = lab.ptr<cv::Vec3b>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (m[x]) hist[p[x][0]]++, ++n;
  }
  int lo = 0, hi = 255;
  long acc = 0;
  for (int v = 0; v < 256; ++v)
    if ((acc += hist[v]) >= 0.15 * n) { lo = v; break; }
  acc = 0;
  for (int v = 255; v >= 0; --v)
    if ((acc += hist[v]) >= 0.15 * n) { hi = v; break; }
  cv::Mat mid(mask.size(), CV_8U, cv::Scalar(0));
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const cv::Vec3b* p = lab.ptr<cv::Vec3b>(y);
    uint8_t* o = mid.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) o[x] = m[x] && p[x][0] >= lo && p[x][0] <= hi ? 255 : 0;
  }
  return mean_lab(bgr8, cv::countNonZero(mid) > 0 ? mid : mask);
}

// Confidence from how far inside its bin a value lies (1 at the centre, 0.35 at an edge).
NorwoodEstimate from_bins(double v, const double (&edges)[6], double scale) {
  NorwoodEstimate e;
  int k = 0;
  while (k < 6 && v >= edges[k]) ++k;
  e.stage = k + 1;
  double lo = k == 0 ? 0 : edges[k - 1];
  double hi = k == 6 ? edges[5] * 1.5 : edges[k];
  double half = std::max(1e-9, (hi - lo) / 2);
  double inside = std::clamp(1.0 - std::abs(v - (lo + hi) / 2) / half, 0.0, 1.0);
  e.confidence = std::clamp(scale * (0.35 + 0.65 * inside), 0.0, 1.0);
  return e;
}

}  // namespace

const char* to_string(View v) {
  switch (v) {
    case View::kFront: return "front";
    case View::kSide: return "side";
    case View::kTop: return "top";
  }
  return "front";
}

NorwoodEstimate norwood_from_front_area(double a) {
  // Bare scalp seen from the front above a natural hairline: a receding temple shows a few
  // cm², a fully bald dome (stage 7) some 60-100 cm² in projection.
  static const double edges[6] = {4, 10, 18, 28, 40, 55};
  return from_bins(a, edges, 0.8);
}

NorwoodEstimate norwood_from_top_share(double s) {
  // Share of the head seen from above that is bare skin.
  static const double edges[6] = {0.06, 0.14, 0.26, 0.38, 0.5, 0.62};
  return from_bins(s, edges, 0.7);
}

Scalp analyze_scalp(const ScalpInput& in) {
  Scalp s;
  const ScalpOptions& o = in.options;
  cv::Mat skin = in.parts == kSkin;
  cv::Mat hair = in.parts == kHair;
  s.head_mask = in.parts != kBg;
  double px_per_cm2 = in.px_per_mm * in.px_per_mm * 100.0;
  double min_px = std::max(4.0, o.min_island_cm2 * px_per_cm2);
  cv::Mat face_skin;
  cv::Mat head_hair = hair.clone();
  if (in.face) {
    const Face& f = *in.face;
    s.bald_mask = drop_small(skin & above_line(skin.size(), f, in.px_per_mm, o.natural_hairline_mm), min_px);
    // Face skin: the cheeks and nose from the landmarks.
    face_skin = cv::Mat::zeros(skin.size(), CV_8U);
    std::vector<cv::Point> cheeks;
    for (int i : {1, 2, 3, 4, 31, 33, 35, 12, 13, 14, 15, 28}) cheeks.push_back(cv::Point(f.landmarks[i]));
    std::vector<cv::Point> hull;
    cv::convexHull(cheeks, hull);
    cv::fillConvexPoly(face_skin, hull, 255);
    face_skin &= skin;
    // Hair on the head, not the brows or a beard: above the brows by a quarter of the eyes'
    // distance (roll-aware).
    double brow_mm = 0.25 * f.interpupillary_px() / std::max(1e-6, in.px_per_mm);
    head_hair = hair & above_line(skin.size(), f, in.px_per_mm, brow_mm);
  } else {
    s.bald_mask = drop_small(skin, min_px);
    face_skin = skin;
  }
  s.bald_area_cm2 = px_per_cm2 > 0 ? cv::countNonZero(s.bald_mask) / px_per_cm2 : 0;
  int head_px = cv::countNonZero(s.head_mask);
  s.bald_share = head_px > 0 ? double(cv::countNonZero(s.bald_mask)) / head_px : 0;

  // Hair shade: prefer hair on the head; a bald man with a beard still has a shade to match.
  const int min_hair = std::max(30, static_cast<int>(0.05 * px_per_cm2));
  cv::Mat shade_src = cv::countNonZero(head_hair) >= min_hair ? head_hair : hair;
  if (cv::countNonZero(shade_src) >= min_hair) {
    Lab lab = robust_mean_lab(in.bgr8, shade_src);
    cv::Vec3d lin = lab_to_linear_bgr(lab);
    auto enc = [](double v) {
      return static_cast<uint8_t>(std::clamp(std::lround(linear_to_srgb(std::clamp(v, 0.0, 1.0)) * 255), 0L, 255L));
    };
    s.hair_shade.srgb = cv::Vec3b(enc(lin[2]), enc(lin[1]), enc(lin[0]));
    s.hair_shade.L = lab.L;
    s.hair_shade.found = true;
  }
  cv::Mat tone_src = cv::countNonZero(face_skin) > 20 ? face_skin : skin;
  if (cv::countNonZero(tone_src) > 0) {
    s.skin_tone.lab = robust_mean_lab(in.bgr8, tone_src);
    s.skin_tone.ita = ita_degrees(s.skin_tone.lab);
    s.skin_tone.category = ita_category(s.skin_tone.ita);
  }
  s.norwood = in.face && in.view != View::kTop ? norwood_from_front_area(s.bald_area_cm2)
                                               : norwood_from_top_share(s.bald_share);
  return s;
}

}  // namespace smp
