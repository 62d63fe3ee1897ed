#include "smp/analysis/analysis.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"

namespace smp {

namespace {

// A round sticker of known diameter: the most circular, evenly coloured blob found by Hough.
std::optional<double> find_marker_px_per_mm(const cv::Mat& bgr8, double marker_mm) {
  cv::Mat gray;
  cv::cvtColor(bgr8, gray, cv::COLOR_BGR2GRAY);
  double scale = std::min(1.0, 1000.0 / std::max(gray.cols, gray.rows));
  cv::Mat small;
  cv::resize(gray, small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(5, 5), 1.5);
  std::vector<cv::Vec3f> circles;
  cv::HoughCircles(small, circles, cv::HOUGH_GRADIENT_ALT, 1.5, 20, 300, 0.9, 5,
                   std::max(small.cols, small.rows) / 8);
  if (circles.empty()) return std::nullopt;
  double diameter_px = 2.0 * circles[0][2] / scale;
  return diameter_px / marker_mm;
}

View view_from_pose(const Pose& p) {
  if (std::abs(p.yaw) > 50) return View::kSide;
  return View::kFront;
}

}  // namespace

Analysis analyze(const cv::Mat& bgr8, const FaceModel& model, const AnalyzeOptions& opt,
                 const std::string& name) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  Analysis a;
  a.size = bgr8.size();
  {
    ScopedTiming t(a.timings, "faces");
    a.faces = model.detect(bgr8, opt.detect);
  }
  if (!a.faces.empty()) {
    if (opt.face_index >= static_cast<int>(a.faces.size()))
      throw UsageError("--face " + std::to_string(opt.face_index) + ": the photo has only " +
                       std::to_string(a.faces.size()) + " face(s)");
    a.face_index = std::max(0, opt.face_index);
  } else if (opt.face_index > 0) {
    throw UsageError("--face " + std::to_string(opt.face_index) + ": no face found in the photo");
  }
  const Face* face = a.face();
  {
    ScopedTiming t(a.timings, "pose");
    if (face) {
      a.pose = estimate_pose(*face, a.size);
      a.view = view_from_pose(a.pose);
    } else {
      a.view = View::kTop;
    }
  }
  {
    ScopedTiming t(a.timings, "parts");
    a.parts = segment_parts(bgr8, face, opt.parts);
  }
  {
    ScopedTiming t(a.timings, "scale");
    std::optional<double> marker;
    if (opt.marker_mm) marker = find_marker_px_per_mm(bgr8, *opt.marker_mm);
    if (opt.px_per_mm) {
      a.px_per_mm = *opt.px_per_mm;
      a.scale_source = "user";
    } else if (marker) {
      a.px_per_mm = *marker;
      a.scale_source = "marker";
    } else if (face) {
      // Foreshortening: the pupils' distance shrinks with cos(yaw).
      double cos_yaw = std::max(0.3, std::cos(a.pose.yaw * M_PI / 180.0));
      a.px_per_mm = face->interpupillary_px() / cos_yaw / opt.ipd_mm;
      a.scale_source = "ipd";
    } else {
      // Top view without a marker: an adult head is about 150 mm wide.
      cv::Mat head = a.parts != static_cast<uint8_t>(Part::kBackground);
      cv::Rect r = cv::boundingRect(head);
      if (r.width < 8) throw InputError(name, "no head found in the photo");
      a.px_per_mm = r.width / 150.0;
      a.scale_source = "head_width_estimate";
      a.scale_is_estimate = true;
    }
  }
  {
    ScopedTiming t(a.timings, "scalp");
    a.scalp = analyze_scalp({bgr8, a.parts, face, a.px_per_mm, a.view});
    if (!face && cv::countNonZero(a.scalp.head_mask) < 0.01 * a.size.area())
      throw InputError(name, "no head found in the photo");
  }
  if (face) {
    ScopedTiming t(a.timings, "hairline");
    a.hairline = propose_hairline(*face, a.px_per_mm, opt.hairline);
  }
  return a;
}

nlohmann::json to_json(const Analysis& a) {
  using nlohmann::json;
  json j;
  j["image"] = {{"width", a.size.width}, {"height", a.size.height}};
  j["view"] = to_string(a.view);
  json faces = json::array();
  for (const auto& f : a.faces)
    faces.push_back({{"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
                     {"score", f.detector_score}});
  j["faces"] = faces;
  j["face_index"] = a.face_index >= 0 ? json(a.face_index) : json(nullptr);
  json lm = json::array();
  if (const Face* f = a.face())
    for (const auto& p : f->landmarks) lm.push_back({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10});
  j["landmarks"] = lm;
  j["px_per_mm"] = a.px_per_mm;
  j["scale_source"] = a.scale_source;
  j["scale_is_estimate"] = a.scale_is_estimate;
  j["pose"] = {{"yaw", a.pose.yaw}, {"pitch", a.pose.pitch}, {"roll", a.pose.roll}};
  const Scalp& s = a.scalp;
  json shade = nullptr;
  if (s.hair_shade.found)
    shade = {{"srgb", {s.hair_shade.srgb[0], s.hair_shade.srgb[1], s.hair_shade.srgb[2]}},
             {"L", s.hair_shade.L}};
  j["scalp"] = {{"bald_area_cm2", s.bald_area_cm2},
                {"hair_shade", shade},
                {"skin_tone",
                 {{"L", s.skin_tone.lab.L},
                  {"a", s.skin_tone.lab.a},
                  {"b", s.skin_tone.lab.b},
                  {"ita", s.skin_tone.ita},
                  {"category", s.skin_tone.category}}}};
  j["norwood"] = {{"stage", s.norwood.stage}, {"confidence", s.norwood.confidence}};
  json hl = nullptr;
  if (a.hairline) {
    hl = json::array();
    for (const auto& p : a.hairline->points) hl.push_back({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10});
  }
  j["hairline"] = hl;
  j["timings_ms"] = a.timings;
  return j;
}

cv::Mat draw_overlay(const cv::Mat& bgr8, const Analysis& a) {
  cv::Mat out = bgr8.clone();
  int thick = std::max(1, static_cast<int>(std::lround(std::max(out.cols, out.rows) / 700.0)));
  // Scalp region: tinted.
  if (!a.scalp.bald_mask.empty()) {
    cv::Mat tint(out.size(), CV_8UC3, cv::Scalar(255, 160, 0));
    cv::Mat blended;
    cv::addWeighted(out, 0.6, tint, 0.4, 0, blended);
    blended.copyTo(out, a.scalp.bald_mask);
  }
  // Parts boundaries.
  for (uint8_t part : {static_cast<uint8_t>(Part::kHair), static_cast<uint8_t>(Part::kSkin)}) {
    cv::Mat m = a.parts == part;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::Scalar col = part == static_cast<uint8_t>(Part::kHair) ? cv::Scalar(40, 40, 230) : cv::Scalar(60, 200, 60);
    cv::drawContours(out, contours, -1, col, thick, cv::LINE_AA);
  }
  if (const Face* f = a.face()) {
    cv::rectangle(out, f->box, cv::Scalar(200, 200, 200), thick, cv::LINE_AA);
    for (const auto& p : f->landmarks) cv::circle(out, p, thick + 1, cv::Scalar(0, 255, 255), -1, cv::LINE_AA);
  }
  if (a.hairline) {
    std::vector<cv::Point> pts;
    for (const auto& p : a.hairline->points) pts.push_back(p);
    cv::polylines(out, pts, false, cv::Scalar(255, 0, 255), thick + 1, cv::LINE_AA);
  }
  return out;
}

}  // namespace smp
