#include "smp/age/ageing.h"

#include <algorithm>
#include <cmath>

#include "smp/core/errors.h"

namespace smp {

double migration_area_factor(double softness0, const ImpressionAge& a) {
  double s0 = std::max(0.0, softness0), s1 = aged_softness(s0, a.soften);
  return a.diameter_scale * a.diameter_scale * (1.0 + s1 * s1) / (1.0 + s0 * s0);
}

Impression age_impression(const Impression& imp, const ImpressionAge& a, const Pigment& pigment,
                          const FadingParams& p) {
  if (a.years <= 0) return imp;
  Impression out = imp;
  out.diameter_mm = static_cast<float>(imp.diameter_mm * a.diameter_scale);
  out.softness = static_cast<float>(aged_softness(imp.softness, a.soften));
  cv::Vec3d drift = drift_tint(a.colour_drift, p);
  for (int c = 0; c < 3; ++c) out.tint[c] = static_cast<float>(imp.tint[c] * drift[c]);
  // Beer-Lambert, inverted in green: the year-0 core absorbs alpha0 of the light; the aged dot
  // must absorb alpha0 * visible / area_factor over its larger footprint.
  const double od = pigment.od[1] * imp.tint[1];
  const double tmin = pigment.min_transmittance;
  if (od <= 0 || imp.density <= 0) return out;
  double alpha0 = 1.0 - std::max(tmin, std::exp(-od * imp.density));
  double alpha = alpha0 * std::clamp(a.visible, 0.0, 1.0) / migration_area_factor(imp.softness, a);
  alpha = std::clamp(alpha, 0.0, 1.0 - tmin);
  out.density = static_cast<float>(-std::log(1.0 - alpha) / od);
  return out;
}

std::vector<Impression> age_impressions(const std::vector<Impression>& impressions,
                                        const std::vector<uint8_t>& scar, double years,
                                        const FadingConditions& conditions, const Pigment& pigment,
                                        const FadingParams& p) {
  SMP_CHECK(scar.empty() || scar.size() == impressions.size());
  FadingConditions scarred = conditions;
  scarred.scar = true;
  ImpressionAge normal = age_at(years, conditions, p), on_scar = age_at(years, scarred, p);
  std::vector<Impression> out;
  out.reserve(impressions.size());
  for (size_t i = 0; i < impressions.size(); ++i)
    out.push_back(
        age_impression(impressions[i], !scar.empty() && scar[i] ? on_scar : normal, pigment, p));
  return out;
}

}  // namespace smp
