// From an analysis and a design to a treatment map: where to tattoo, how densely, where the
// hairline's soft front is, and how the head's curvature foreshortens the dots.
#pragma once
#include <optional>

#include "smp/analysis/analysis.h"
#include "smp/design/design.h"
#include "smp/render/render.h"

namespace smp {

struct TreatmentOptions {
  double density_per_cm2 = 100;          // target after session 3 (40-200)
  std::optional<HairlinePreset> preset;  // re-propose the hairline with this preset
  unsigned seed = 1;
  double cell_mm = 0.25;  // design map resolution
  // The photo (8-bit BGR), to tell a highlight on the scalp from background; may be null.
  const cv::Mat* photo = nullptr;
};

// Throws InputError when nothing is left to treat (no scalp found, design outside the photo).
TreatmentMap build_treatment_map(const Analysis& a, const Design& design,
                                 const TreatmentOptions& opt);

// The hairline actually used (design points > preset > analysis), if any.
std::optional<Hairline> effective_hairline(const Analysis& a, const Design& design,
                                           const TreatmentOptions& opt);

// Area in cm² (foreshortening corrected) of map cells where `mask` is set.
double map_area_cm2(const TreatmentMap& map, const cv::Mat& mask8);

}  // namespace smp
