#include "smp/age/fading.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "smp/core/errors.h"

namespace smp {

SunExposure parse_sun_exposure(const std::string& s) {
  std::string l = s;
  for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (l == "low") return SunExposure::kLow;
  if (l == "moderate") return SunExposure::kModerate;
  if (l == "high") return SunExposure::kHigh;
  throw UsageError("--sun: '" + s + "' is not a sun exposure (low, moderate or high)");
}

const char* to_string(SunExposure s) {
  switch (s) {
    case SunExposure::kLow:
      return "low";
    case SunExposure::kModerate:
      return "moderate";
    case SunExposure::kHigh:
      return "high";
  }
  return "moderate";
}

int parse_skin_type(const std::string& s) {
  static const char* kRoman[] = {"I", "II", "III", "IV", "V", "VI"};
  std::string u = s;
  for (auto& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (int i = 0; i < 6; ++i)
    if (u == kRoman[i] || u == std::to_string(i + 1)) return i + 1;
  throw UsageError("--skin-type: '" + s + "' is not a Fitzpatrick skin type (I to VI)");
}

const char* skin_type_roman(int type) {
  static const char* kRoman[] = {"I", "II", "III", "IV", "V", "VI"};
  SMP_CHECK(type >= 1 && type <= 6);
  return kRoman[type - 1];
}

int skin_type_from_ita(double ita) {
  if (ita > 55) return 1;
  if (ita > 41) return 2;
  if (ita > 28) return 3;
  if (ita > 10) return 4;
  if (ita > -30) return 5;
  return 6;
}

void validate(const FadingConditions& c) {
  if (c.skin_type < 1 || c.skin_type > 6)
    throw UsageError("--skin-type: " + std::to_string(c.skin_type) +
                     " is not a Fitzpatrick skin type (I to VI)");
  for (double y : c.touch_ups)
    if (!std::isfinite(y) || y <= 0 || y > 100)
      throw UsageError("--touch-up-at: " + std::to_string(y) +
                       " is not a year after the treatment (0 < Y <= 100)");
}

double decay_rate_per_year(const FadingConditions& c, const FadingParams& p) {
  double sun = c.sun == SunExposure::kLow    ? p.sun_low
               : c.sun == SunExposure::kHigh ? p.sun_high
                                             : p.sun_moderate;
  double skin = p.skin_uv[std::clamp(c.skin_type, 1, 6) - 1];
  double rate = p.clearance_per_year + p.uv_per_year * sun * skin;
  return c.scar ? rate * p.scar_rate_factor : rate;
}

double healing_loss(const FadingConditions& c, const FadingParams& p) {
  return std::clamp(p.healing_loss + (c.scar ? p.scar_extra_healing_loss : 0.0), 0.0, 0.95);
}

ImpressionAge age_at(double years, const FadingConditions& c, const FadingParams& p) {
  SMP_CHECK(years >= 0);
  ImpressionAge a;
  a.years = years;
  // The pigment cycle restarts at the last touch-up at or before `years`.
  double start = 0;
  for (double y : c.touch_ups)
    if (y <= years) start = std::max(start, y);
  double t = years - start;
  a.since_touch_up = t;
  double heal = healing_loss(c, p) * (1.0 - std::exp(-t / p.healing_tau_years));
  a.visible = (1.0 - heal) * std::exp(-decay_rate_per_year(c, p) * t);
  // Migration keeps the treatment's own clock: re-deposited pigment goes into dots that have
  // already spread.
  double mig = 1.0 - std::exp(-years / p.spread_tau_years);
  double scar = c.scar ? p.scar_spread_factor : 1.0;
  a.diameter_scale = 1.0 + p.spread_max * scar * mig;
  a.soften = std::min(1.0, p.soften_max * scar * mig);
  // Fresh pigment sits on top of the drifted one and dominates the colour again.
  a.colour_drift = 1.0 - std::exp(-t / p.drift_tau_years);
  return a;
}

cv::Vec3d drift_tint(double drift, const FadingParams& p) {
  drift = std::clamp(drift, 0.0, 1.0);
  return {1.0 - drift * p.tint_drift[0], 1.0 - drift * p.tint_drift[1],
          1.0 - drift * p.tint_drift[2]};
}

}  // namespace smp
