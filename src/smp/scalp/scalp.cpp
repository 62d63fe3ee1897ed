#include "smp/scalp/scalp.h"

#include <opencv2/imgproc.hpp>

#include "smp/scalp/parts.h"

namespace smp {

const char* to_string(View v) {
  switch (v) {
    case View::kFront: return "front";
    case View::kSide: return "side";
    case View::kTop: return "top";
  }
  return "front";
}

Scalp analyze_scalp(const ScalpInput& in) {
  Scalp s;
  cv::Mat skin = in.parts == static_cast<uint8_t>(Part::kSkin);
  cv::Mat hair = in.parts == static_cast<uint8_t>(Part::kHair);
  s.head_mask = in.parts != static_cast<uint8_t>(Part::kBackground);
  s.bald_mask = cv::Mat::zeros(in.parts.size(), CV_8U);
  if (in.face) {
    // Scalp starts where a natural hairline would sit: ~ 6 cm above the glabella (forehead is not
    // scalp), limited to the head above the brows.
    double y_line = in.face->glabella().y - 60.0 * in.px_per_mm;
    cv::Mat above = cv::Mat::zeros(in.parts.size(), CV_8U);
    int y1 = std::clamp(static_cast<int>(y_line), 0, in.parts.rows);
    above.rowRange(0, y1).setTo(255);
    s.bald_mask = skin & above;
  } else {
    s.bald_mask = skin.clone();
  }
  double px_per_cm2 = in.px_per_mm * in.px_per_mm * 100.0;
  s.bald_area_cm2 = px_per_cm2 > 0 ? cv::countNonZero(s.bald_mask) / px_per_cm2 : 0;
  if (cv::countNonZero(hair) > 50) {
    Lab lab = mean_lab(in.bgr8, hair);
    cv::Vec3d lin = lab_to_linear_bgr(lab);
    s.hair_shade.srgb = cv::Vec3b(static_cast<uint8_t>(std::lround(linear_to_srgb(lin[2]) * 255)),
                                  static_cast<uint8_t>(std::lround(linear_to_srgb(lin[1]) * 255)),
                                  static_cast<uint8_t>(std::lround(linear_to_srgb(lin[0]) * 255)));
    s.hair_shade.L = lab.L;
    s.hair_shade.found = true;
  }
  s.skin_tone.lab = mean_lab(in.bgr8, skin);
  s.skin_tone.ita = ita_degrees(s.skin_tone.lab);
  s.skin_tone.category = ita_category(s.skin_tone.ita);
  // Norwood from the bald area (baseline; refined later).
  double a = s.bald_area_cm2;
  s.norwood.stage = a < 5 ? 1 : a < 20 ? 2 : a < 45 ? 3 : a < 80 ? 4 : a < 120 ? 5 : a < 170 ? 6 : 7;
  s.norwood.confidence = 0.3;
  return s;
}

}  // namespace smp
