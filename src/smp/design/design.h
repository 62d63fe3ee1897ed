// A treatment design as a practitioner draws it: the hairline, the target density, the shade,
// and zones (scar, thinning area, areas to leave alone). Read from DESIGN.json; every field is
// optional and photo coordinates are pixels of the photo the design was drawn on.
//
// Schema (the README repeats it for clinics):
// {
//   "hairline": {                       // all optional
//     "preset": "natural|mature|youthful|broken",
//     "mid_frontal_mm": 80,             // 60-110, height above the glabella
//     "transition_mm": 8,               // 3-20, depth of the soft front zone
//     "points": [[x, y], ...]           // >= 3 points, left temple -> right temple, photo px
//   },
//   "density_per_cm2": 100,             // 40-200
//   "shade_L": 28,                      // pigment shade as CIELAB L* 5-80, or "auto"
//   "sessions": 3,                      // 1-4
//   "whorl": [x, y],                    // crown whorl, photo px
//   "zones": [                          // drawn areas
//     {"kind": "scar|thinning|treat|exclude", "polygon": [[x, y], ...],
//      "density_per_cm2": 120}          // density optional (not for "exclude")
//   ]
// }
#pragma once
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/design/hairline.h"

namespace smp {

enum class ZoneKind { kTreat, kScar, kThinning, kExclude };
const char* to_string(ZoneKind k);

struct DesignZone {
  ZoneKind kind = ZoneKind::kTreat;
  std::vector<cv::Point2d> polygon;  // photo px
  double density_per_cm2 = 0;        // 0: the design's density
};

struct Design {
  std::optional<HairlinePreset> preset;
  std::optional<double> mid_frontal_mm;
  std::optional<double> transition_mm;
  std::vector<cv::Point2d> hairline;  // photo px; empty: from the analysis / preset
  std::optional<double> density_per_cm2;
  std::optional<double> shade_L;  // empty: auto
  std::optional<int> sessions;
  std::optional<cv::Point2d> whorl;
  std::vector<DesignZone> zones;
};

// Parses DESIGN.json text; throws InputError(source, "field 'hairline.points[2]': ...") naming
// the field and what is wrong.
Design parse_design(const std::string& json_text, const std::string& source);
// Reads and parses a design file (InputError naming the file when missing or malformed).
Design read_design(const std::string& path);

// A hairline drawn by hand: points in photo px, left temple -> right temple.
Hairline hairline_from_points(const std::vector<cv::Point2d>& points, double transition_mm);

}  // namespace smp
