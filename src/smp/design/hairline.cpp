#include "smp/design/hairline.h"

#include <cmath>
#include <random>

#include "smp/core/errors.h"

namespace smp {

HairlinePreset parse_hairline_preset(const std::string& n) {
  if (n == "natural") return HairlinePreset::kNatural;
  if (n == "mature") return HairlinePreset::kMature;
  if (n == "youthful") return HairlinePreset::kYouthful;
  if (n == "broken") return HairlinePreset::kBroken;
  throw UsageError("unknown hairline preset '" + n + "' (natural, mature, youthful, broken)");
}

const char* to_string(HairlinePreset p) {
  switch (p) {
    case HairlinePreset::kNatural: return "natural";
    case HairlinePreset::kMature: return "mature";
    case HairlinePreset::kYouthful: return "youthful";
    case HairlinePreset::kBroken: return "broken";
  }
  return "natural";
}

Hairline propose_hairline(const Face& face, double px_per_mm, const HairlineOptions& opt) {
  Hairline h;
  h.preset = opt.preset;
  double mid_mm = 80;          // conservative default, within 70-100 mm
  double temple_recess = 0.18;  // how far the temples sit back, as a share of mid height
  switch (opt.preset) {
    case HairlinePreset::kNatural: mid_mm = 80; temple_recess = 0.18; break;
    case HairlinePreset::kMature: mid_mm = 88; temple_recess = 0.28; break;
    case HairlinePreset::kYouthful: mid_mm = 74; temple_recess = 0.10; break;
    case HairlinePreset::kBroken: mid_mm = 82; temple_recess = 0.20; break;
  }
  if (opt.mid_frontal_mm > 0) mid_mm = opt.mid_frontal_mm;
  h.mid_frontal_mm = mid_mm;
  // Softer fronts read more natural; a mature line is softer, a youthful one crisper.
  switch (opt.preset) {
    case HairlinePreset::kNatural: h.transition_mm = 8; break;
    case HairlinePreset::kMature: h.transition_mm = 9; break;
    case HairlinePreset::kYouthful: h.transition_mm = 6; break;
    case HairlinePreset::kBroken: h.transition_mm = 10; break;
  }
  // Face frame: x along the eye line, y up the face (against image y).
  cv::Point2d le = face.landmarks[36], re = face.landmarks[45];
  cv::Point2d ex = (re - le) / cv::norm(re - le);
  cv::Point2d up(ex.y, -ex.x);  // perpendicular, pointing up the face
  cv::Point2d g = face.glabella();
  double mid = mid_mm * px_per_mm;
  double half_w = cv::norm(re - le) * 0.5 * 1.08;  // temporal points just outside the eye corners
  double gx = (g - le).dot(ex) - cv::norm(re - le) * 0.5;  // glabella offset from eye-line centre
  std::mt19937 rng(opt.seed);
  std::normal_distribution<double> jitter(0.0, 0.9 * px_per_mm);
  const int n = 25;
  for (int i = 0; i < n; ++i) {
    double t = -1.0 + 2.0 * i / (n - 1);  // -1 left temple .. 1 right temple
    double x = gx + t * half_w;
    // Rounded front with recessed temples (frontotemporal angle); slight asymmetry.
    double shape = 1.0 - temple_recess * std::pow(std::abs(t), 2.2) + 0.015 * t;
    double y = mid * shape;
    if (opt.preset == HairlinePreset::kBroken) y += 2.0 * px_per_mm * std::sin(9.0 * t + 0.7);
    cv::Point2d p = g + ex * (x - gx) + up * y;
    if (i != 0 && i != n - 1) p += cv::Point2d(jitter(rng), jitter(rng)) * 0.5;
    h.points.push_back(p);
  }
  return h;
}

}  // namespace smp
