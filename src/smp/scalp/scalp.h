// The scalp: the bald / thinning region, its area in cm², the client's hair shade and skin tone,
// and a Norwood stage estimate.
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
  int stage = 1;  // 1..7
  double confidence = 0;  // 0..1
};

struct Scalp {
  cv::Mat bald_mask;    // CV_8U 0/255, photo size: bald / thinning scalp skin
  cv::Mat head_mask;    // CV_8U 0/255: the head (hair + scalp + face)
  double bald_area_cm2 = 0;
  HairShade hair_shade;
  SkinTone skin_tone;
  NorwoodEstimate norwood;
};

struct ScalpInput {
  const cv::Mat& bgr8;
  const cv::Mat& parts;  // labels from segment_parts
  const Face* face;      // null for top / back views
  double px_per_mm;
  View view;
};

Scalp analyze_scalp(const ScalpInput& in);

}  // namespace smp
