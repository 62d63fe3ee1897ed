// How SMP fades: a per-impression model of pigment over the years, pure functions, no images.
//
// SMP is permanent but not constant. Three things happen to every impression (dot):
//  1. Its visible density (the share of light the dot absorbs, relative to year 0) falls in two
//     phases that one exponential cannot fit:
//     - healing (first ~6 months): the epidermis sheds and macrophages clear loose pigment;
//       about 10 % of the visible density is lost, almost all of it by month 6;
//     - then a slow yearly exponential decay: macrophage clearance (independent of the sun)
//       plus UV photodegradation of the pigment (scaled by sun exposure, shielded by melanin,
//       so lighter Fitzpatrick types fade faster). Scar tissue holds pigment poorly: more is
//       lost while healing and the yearly rate is higher.
//     The model works on visible density, not on pigment mass, because the clinical figures
//     (10 % while healing, a touch-up after 4-6 years) are about what people see, whatever the
//     ink's dilution; ageing.h turns it back into the renderer's pigment concentration through
//     Beer-Lambert.
//  2. It spreads: pigment migrates, the dot's diameter grows and its edge softens, slowly and
//     with a ceiling. Migration redistributes a dot's darkness over a larger, softer disc without
//     changing its total: the area's mean does not move, the dots look blurrier.
//  3. Its colour drifts slightly toward blue-grey (carbon pigment deeper in the dermis scatters
//     blue back, the Tyndall effect): the render's tint lowers blue's optical density most.
// A touch-up at year Y re-deposits pigment in the same dots: visible density and colour start a
// new cycle (including a new healing loss); migration is irreversible and keeps its own clock.
// The contrast share curve therefore has the saw-tooth of a real maintenance plan.
//
// Defaults are calibrated so that, with moderate sun on a Fitzpatrick III scalp without scars,
// the visible contrast falls below 70 % of year 0 at about 5 years (clinics quote 4-6 years),
// earlier with high sun or on scars. The figures are a documented model, not a clinical study:
// every parameter is in FadingParams and in the README (smp age).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "smp/image/colour.h"

namespace smp {

enum class SunExposure { kLow, kModerate, kHigh };
SunExposure parse_sun_exposure(const std::string& s);  // "low|moderate|high", throws UsageError
const char* to_string(SunExposure s);

// Fitzpatrick skin type 1..6; parses "I".."VI" (any case) or "1".."6", throws UsageError.
int parse_skin_type(const std::string& s);
const char* skin_type_roman(int type);
// The usual Fitzpatrick type for an ITA° skin tone (Del Bino's categories), for when the clinic
// does not say: > 55 -> I, > 41 -> II, > 28 -> III, > 10 -> IV, > -30 -> V, else VI.
int skin_type_from_ita(double ita);

struct FadingParams {
  // Phase 1, healing: share of the visible density lost while healing, and the time constant of
  // that loss in years (0.125 y ≈ 6.5 weeks: 98 % of the loss has happened by month 6).
  double healing_loss = 0.10;
  double healing_tau_years = 0.125;
  // Phase 2, yearly exponential decay of the visible density:
  //   rate = (clearance + uv * sun * skin_uv[type]) * (scar ? scar_rate_factor : 1)  per year.
  // Calibrated (with the drift below) on the reference area of contrast.h: the contrast share
  // crosses 0.70 at 4.9 years for moderate sun, Fitzpatrick III (rendered photos: 4.1-5.9).
  double clearance_per_year = 0.0242;  // macrophage clearance, independent of the sun
  double uv_per_year = 0.0242;         // UV photodegradation at moderate sun, Fitzpatrick III
  double sun_low = 0.55, sun_moderate = 1.0, sun_high = 1.8;  // UV dose relative to moderate
  // Melanin shielding of the pigment from UV, Fitzpatrick I..VI, relative to III.
  double skin_uv[6] = {1.30, 1.15, 1.00, 0.90, 0.80, 0.70};
  // Scar tissue: extra healing loss (absolute, added to healing_loss) and yearly-rate factor.
  double scar_extra_healing_loss = 0.08;
  double scar_rate_factor = 1.5;
  // Migration: the diameter grows by up to `spread_max` (fraction) with time constant
  // `spread_tau_years`; the edge softness moves toward 1 by up to `soften_max` of the way on the
  // same clock. Scars spread a bit more (looser collagen): factor on both ceilings.
  double spread_max = 0.30;
  double soften_max = 0.40;
  double spread_tau_years = 10.0;
  double scar_spread_factor = 1.3;
  // Colour drift toward blue-grey: the render's per-channel tint on the pigment's optical density
  // (B, G, R) becomes 1 - drift * tint_drift; blue is absorbed least, so the dot turns cool and a
  // little paler. The drift fraction rises to 1 with time constant `drift_tau_years`.
  cv::Vec3d tint_drift{0.30, 0.12, 0.04};
  double drift_tau_years = 10.0;
};

struct FadingConditions {
  SunExposure sun = SunExposure::kModerate;
  int skin_type = 3;  // Fitzpatrick 1..6
  bool scar = false;
  std::vector<double> touch_ups;  // years at which pigment is restored (> 0), any order
};

// Checks ranges and the touch-up years; throws UsageError with a clear message.
void validate(const FadingConditions& c);

// The state of an impression at a given year, relative to year 0.
struct ImpressionAge {
  double years = 0;
  double visible = 1;         // visible density relative to year 0 (0..1]
  double diameter_scale = 1;  // diameter(t) / diameter(0), >= 1
  double soften = 0;          // fraction of the way the edge softness has moved toward 1
  double colour_drift = 0;    // 0..1, fraction of the blue-grey drift
  double since_touch_up = 0;  // years since the last restoration (or since year 0)
};

// Yearly decay rate of phase 2 under these conditions (per year).
double decay_rate_per_year(const FadingConditions& c, const FadingParams& p = {});
// Total healing loss (phase 1) under these conditions.
double healing_loss(const FadingConditions& c, const FadingParams& p = {});

// The state at `years` (>= 0): the fresh-cycle curve restarted at every touch-up <= years.
ImpressionAge age_at(double years, const FadingConditions& c, const FadingParams& p = {});

// The render's tint (B, G, R factor on the pigment's optical density) after `drift` (0..1).
cv::Vec3d drift_tint(double drift, const FadingParams& p = {});

// Softness after ageing: moves the render's softness (scatter halo, share of the radius) up by
// `soften` of the way to 1 (never down).
inline double aged_softness(double softness, double soften) {
  return softness < 1.0 ? softness + (1.0 - softness) * soften : softness;
}

// The first time in (0, horizon] at which share(t) falls below `threshold`, as a real number of
// years: a weekly scan for the first bracket, then bisection to 1e-4 years. nullopt when the share
// stays above the threshold up to the horizon. `share` may jump up (touch-ups) but must be
// continuous between jumps.
template <typename F>
std::optional<double> first_crossing(F&& share, double threshold, double horizon_years,
                                     double from_years = 0.0) {
  const double step = 1.0 / 52.0;
  double t0 = from_years;
  if (share(t0) < threshold) return t0;
  while (t0 < horizon_years) {
    double t1 = std::min(horizon_years, t0 + step);
    if (share(t1) < threshold) {
      double lo = t0, hi = t1;  // share(lo) >= threshold > share(hi)
      while (hi - lo > 1e-4) {
        double mid = 0.5 * (lo + hi);
        (share(mid) < threshold ? hi : lo) = mid;
      }
      return hi;
    }
    t0 = t1;
  }
  return std::nullopt;
}

// Every time the share falls below the threshold within the horizon (after each touch-up the
// share rises again; the next crossing is searched from there).
template <typename F>
std::vector<double> all_crossings(F&& share, double threshold, double horizon_years) {
  std::vector<double> out;
  double from = 0;
  while (from < horizon_years) {
    auto c = first_crossing(share, threshold, horizon_years, from);
    if (!c) break;
    out.push_back(*c);
    // Skip forward while it stays below (until a touch-up lifts it back up).
    double t = *c;
    const double step = 1.0 / 52.0;
    while (t < horizon_years && share(t) < threshold) t += step;
    if (t >= horizon_years) break;
    // Refine the jump back above to the week; exact placement does not matter for the next scan.
    from = t;
  }
  return out;
}

}  // namespace smp
