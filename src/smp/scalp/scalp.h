// The scalp: the bald / thinning region, its area in cm², the client's hair shade and skin tone,
// and a Norwood stage estimate.
//
// Front views: the bald scalp is skin inside the head outline above where a natural hairline
// would sit (ScalpOptions::natural_hairline_mm along the forehead above the glabella, projected
// with the head's pitch, recessed at the temples), so a forehead is never scalp and a full head
// of hair reports next to no bald area. Areas are on the dome, not in projection: the cranium is
// modelled as a sphere fitted to the head's outline, and a pixel near the silhouette counts for
// the larger patch of skin it shows. Top views:
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
  // Bald scalp / scalp above the natural hairline (front views; top views: / head).
  double scalp_share = 0;
};

// Height (mm, in the face plane) at which a point `surface_mm` above the glabella along the
// forehead's midline appears on a photo of a head pitched by `pitch_deg` (> 0 chin up turns the
// top of the head away and brings the hairline down on the photo). The scalp's natural hairline
// and the designed hairline both stand on it.
double projected_forehead_mm(double surface_mm, double pitch_deg);

struct ScalpOptions {
  // Where a natural hairline sits above the glabella, measured along the forehead (projected
  // with the head's pitch and the forehead's curve): skin below it is forehead, not scalp.
  double natural_hairline_mm = 65;
  // Bare islands smaller than this are forehead / parting specks, not bald scalp.
  double min_island_cm2 = 1.0;
  // Front views: bare strips narrower than this are a seam between hair and backdrop.
  double min_strip_mm = 6;
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

// The bounding box of a parts map's head (every label but background); empty when there is none.
cv::Rect head_box(const cv::Mat& parts);

// Norwood stage from a front view's bare scalp area (cm² on the dome), from a front view's area
// and bare share of the scalp above the natural hairline, and from a top view's bare share.
NorwoodEstimate norwood_from_front_area(double bald_area_cm2);
NorwoodEstimate norwood_from_front(double bald_area_cm2, double scalp_share);
NorwoodEstimate norwood_from_top_share(double bald_share);

}  // namespace smp
