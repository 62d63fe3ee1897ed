// Ageing the renderer's impressions: the fading model (fading.h) applied to each dot, so a frame
// at year Y is simply render_impressions() on the aged dots (render.h: "age = edit impressions,
// re-render").
#pragma once
#include <cstdint>
#include <vector>

#include "smp/age/fading.h"
#include "smp/render/render.h"

namespace smp {

// The dot's darkness relative to its year-0 mass: the renderer spreads a dot's coverage over
// pi (R^2 + (softness R)^2) * foreshortening pixels, so this is the area factor of migration.
double migration_area_factor(double softness0, const ImpressionAge& a);

// One impression after `a`: diameter x diameter_scale, softness moved toward 1, tint drifted
// toward blue-grey, and its pigment concentration chosen so that the dot's darkness (area x
// (1 - transmittance) in green, the channel closest to luminance) is `a.visible` times its year-0
// darkness: migration alone does not change the area's mean. At year 0 (a.years == 0) the
// impression is returned unchanged, so year 0 is `smp simulate`'s frame bit for bit.
Impression age_impression(const Impression& imp, const ImpressionAge& a, const Pigment& pigment,
                          const FadingParams& p = {});

// All impressions at `years`: those flagged in `scar` (same length, or empty = none) age as scar
// tissue, the others under `conditions` as given.
std::vector<Impression> age_impressions(const std::vector<Impression>& impressions,
                                        const std::vector<uint8_t>& scar, double years,
                                        const FadingConditions& conditions, const Pigment& pigment,
                                        const FadingParams& p = {});

}  // namespace smp
