// The hairline an SMP practitioner would draw: mid-frontal point about 8 cm above the glabella
// (7-10 cm), temporal points on the line of the outer eye corners, a soft transition zone, never
// straight and never symmetric to the pixel.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "smp/face/face.h"

namespace smp {

enum class HairlinePreset { kNatural, kMature, kYouthful, kBroken };
HairlinePreset parse_hairline_preset(const std::string& name);  // throws UsageError
const char* to_string(HairlinePreset p);

struct Hairline {
  std::vector<cv::Point2d> points;  // left temple -> mid-frontal -> right temple, image px
  double mid_frontal_mm = 80;       // height of the mid-frontal point above the glabella
  double transition_mm = 7;         // depth of the soft front zone
  HairlinePreset preset = HairlinePreset::kNatural;
};

struct HairlineOptions {
  HairlinePreset preset = HairlinePreset::kNatural;
  double mid_frontal_mm = 0;  // 0: the preset's height
  unsigned seed = 1;
};

// From a face (landmarks), the scale and the head roll.
Hairline propose_hairline(const Face& face, double px_per_mm, const HairlineOptions& opt = {});

}  // namespace smp
