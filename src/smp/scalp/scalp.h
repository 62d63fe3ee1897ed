// The scalp: the bald / thinning region, its area in cm², the client's hair shade and skin tone,
// and a Norwood stage estimate.
//
// Front views: the bald scalp is skin inside the head outline above where a natural hairline
// would sit (ScalpOptions::natural_hairline_mm above the glabella, perpendicular to the eye line),
// so a forehead is never scalp and a full head of hair reports next to no bald area. Top views:
// the skin island of the head. Norwood: front views from the bare scalp area (cm²) above the
// natural hairline, top views from the bare share of the head.
#pragma once
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "smp/face/face.h"
#include "smp/image/colour.h"

namespace smp {

enum class View { kFront, kSide, kTop };
const char* to_string(View v);

struct HairShade {
  cv::Vec3b srgb{0, 0, 0};  // R, G, B (not OpenCV order): for JSON and people
  double L = 0;             // CIELAB L*
  bool found = false;       // false when there is (almost) no hair to measure
};

struct SkinTone {
  Lab lab;
  double ita = 0;  // ITA°
  std::string category;
};

struct NorwoodEstimate {
  int stage = 1;          // 1..7
  double confidence = 0;  // 0..1
};

struct Scalp {
  cv::Mat bald_mask;  // CV_8U 0/255, photo size: bald / thinning scalp skin
  cv::Mat head_mask;  // CV_8U 0/255: the head (hair + scalp + face)
  double bald_area_cm2 = 0;
  HairShade hair_shade;
  SkinTone skin_tone;
  NorwoodEstimate norwood;
  double bald_share = 0;  // bald scalp / head pixels (what a top view's Norwood is read from)
};

struct ScalpOptions {
  // Where a natural hairline sits above the glabella: skin below it is forehead, not scalp.
  double natural_hairline_mm = 65;
  // Bare islands smaller than this are forehead / parting specks, not bald scalp.
  double min_island_cm2 = 1.0;
};

struct ScalpInput {
  const cv::Mat& bgr8;
  const cv::Mat& parts;  // labels from segment_parts
  const Face* face;      // null for top / back views
  double px_per_mm;
  View view;
  ScalpOptions options = {};
};

Scalp analyze_scalp(const ScalpInput& in);

// Norwood stage from a front view's bare scalp area and from a top view's bare share.
NorwoodEstimate norwood_from_front_area(double bald_area_cm2);
NorwoodEstimate norwood_from_top_share(double bald_share);

}  // namespace smp
