#include "smp/age/contrast.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <tuple>

#include "smp/age/ageing.h"
#include "smp/core/errors.h"

namespace smp {

AreaContrast measure_contrast(const cv::Mat& bare8, const cv::Mat& rendered8,
                              const cv::Mat& mask8) {
  return measure_contrast(bare8, rendered8, mask8, cv::Rect(0, 0, bare8.cols, bare8.rows),
                          bare8.size());
}

AreaContrast measure_contrast(const cv::Mat& bare8, const cv::Mat& rendered8, const cv::Mat& mask8,
                              const cv::Rect& window, cv::Size photo) {
  SMP_CHECK_EQ(bare8.type(), CV_8UC3);
  SMP_CHECK_EQ(rendered8.type(), CV_8UC3);
  SMP_CHECK(bare8.size() == rendered8.size() && bare8.size() == window.size());
  SMP_CHECK(!mask8.empty() && mask8.type() == CV_8U);
  const auto& lut = srgb8_to_linear_table();
  const int W = photo.width, H = photo.height;
  const double sx = static_cast<double>(mask8.cols) / W, sy = static_cast<double>(mask8.rows) / H;
  cv::Vec3d sb(0, 0, 0), st(0, 0, 0);
  long n = 0;
  // Only the photo pixels whose mask cell can be set: the mask's box, scaled, with a margin for
  // the rounding (the same pixels, summed in the same order, as a scan of the whole photo).
  const cv::Rect mb = cv::boundingRect(mask8);
  const int x0 = std::max(0, cvFloor(mb.x / sx) - 2), y0 = std::max(0, cvFloor(mb.y / sy) - 2);
  const int x1 = std::min(W, cvCeil((mb.x + mb.width) / sx) + 2),
            y1 = std::min(H, cvCeil((mb.y + mb.height) / sy) + 2);
  for (int y = y0; y < y1; ++y) {
    const uint8_t* m =
        mask8.ptr<uint8_t>(std::min(mask8.rows - 1, static_cast<int>((y + 0.5) * sy)));
    const bool row_in = y >= window.y && y < window.y + window.height;
    const cv::Vec3b* b = row_in ? bare8.ptr<cv::Vec3b>(y - window.y) : nullptr;
    const cv::Vec3b* r = row_in ? rendered8.ptr<cv::Vec3b>(y - window.y) : nullptr;
    for (int x = x0; x < x1; ++x) {
      if (!m[std::min(mask8.cols - 1, static_cast<int>((x + 0.5) * sx))]) continue;
      // A treated pixel outside the window: the caller's window is too small.
      SMP_CHECK(row_in && x >= window.x && x < window.x + window.width);
      for (int c = 0; c < 3; ++c) {
        sb[c] += lut[b[x - window.x][c]];
        st[c] += lut[r[x - window.x][c]];
      }
      ++n;
    }
  }
  if (n == 0) throw InputError("treated area", "no pixel of the photo is treated");
  AreaContrast a;
  a.pixels = n;
  a.bare_linear = sb / static_cast<double>(n);
  a.treated_linear = st / static_cast<double>(n);
  a.bare = linear_bgr_to_lab(a.bare_linear);
  a.treated = linear_bgr_to_lab(a.treated_linear);
  a.delta_e = delta_e2000(a.treated, a.bare);
  return a;
}

namespace {
double dot_mass(const Impression& imp) {
  double R = 0.5 * imp.diameter_mm * imp.px_per_mm, s = std::max(0.0f, imp.softness);
  return M_PI * R * R * (1.0 + s * s) * std::clamp(imp.foreshortening, 0.1f, 1.0f);
}
cv::Vec3d dot_alpha(const Impression& imp, const Pigment& pig) {
  cv::Vec3d a;
  for (int c = 0; c < 3; ++c)
    a[c] = 1.0 - std::max<double>(pig.min_transmittance,
                                  std::exp(-double(pig.od[c]) * imp.density * imp.tint[c]));
  return a;
}
bool drawn(const Impression& imp, int max_session) {
  return imp.session <= max_session && imp.density > 0 && imp.diameter_mm > 0 && imp.px_per_mm > 0;
}
}  // namespace

cv::Vec3d summed_darkness(const std::vector<Impression>& impressions, const Pigment& pigment,
                          int max_session) {
  cv::Vec3d s(0, 0, 0);
  for (const auto& imp : impressions)
    if (drawn(imp, max_session)) s += dot_mass(imp) * dot_alpha(imp, pigment);
  return s;
}

ContrastModel::ContrastModel(const std::vector<Impression>& impressions,
                             const std::vector<uint8_t>& scar, const FadingConditions& conditions,
                             const RenderParams& render, const cv::Vec3d& bare_linear,
                             const cv::Vec3d& treated0_linear, const FadingParams& p)
    : cond_(conditions),
      pigment_(render.pigment),
      p_(p),
      bare_(bare_linear),
      treated0_(treated0_linear) {
  SMP_CHECK(scar.empty() || scar.size() == impressions.size());
  // Group by everything that ages the darkness differently; the mass (diameter, scale,
  // foreshortening) only adds up. Concentration and softness are grouped in steps of 1/256 and
  // 1/32 and averaged by mass inside a group: far below what shows in the area's mean.
  std::map<std::tuple<long, long, long, long, long, bool>, Group> g;
  for (size_t i = 0; i < impressions.size(); ++i) {
    const Impression& imp = impressions[i];
    if (!drawn(imp, render.max_session)) continue;
    auto q = [](double v, double steps) { return std::lround(v * steps); };
    bool sc = !scar.empty() && scar[i];
    auto key = std::make_tuple(q(imp.density, 256), q(imp.softness, 32), q(imp.tint[0], 256),
                               q(imp.tint[1], 256), q(imp.tint[2], 256), sc);
    Group& gr = g[key];
    double m = dot_mass(imp);
    gr.density += m * imp.density;  // mass-weighted sums, divided below
    gr.softness += m * imp.softness;
    gr.tint = cv::Vec3d(imp.tint[0], imp.tint[1], imp.tint[2]);
    gr.scar = sc;
    gr.mass0 += m;
  }
  for (auto& [k, v] : g) {
    if (v.mass0 <= 0) continue;
    v.density /= v.mass0;
    v.softness /= v.mass0;
  }
  for (auto& [k, v] : g)
    if (v.mass0 > 0) groups_.push_back(v);
  s0_ = darkness(0);
  // d/df of the blend at f = 1 is <= 0 while overlap <= (1 - T0) / ((1 - T0) + T0 ln T0).
  for (int c = 0; c < 3; ++c) {
    double t0 = bare_[c] > 0 ? std::clamp(treated0_[c] / bare_[c], 1e-6, 1.0) : 1.0;
    double den = (1.0 - t0) + t0 * std::log(t0);
    if (t0 < 1.0 && den > 1e-12) max_overlap_ = std::min(max_overlap_, (1.0 - t0) / den);
  }
  bare_lab_ = linear_bgr_to_lab(bare_);
  de0_ = delta_e2000(linear_bgr_to_lab(treated0_), bare_lab_);
}

cv::Vec3d ContrastModel::darkness(double years) const {
  FadingConditions scarred = cond_;
  scarred.scar = true;
  ImpressionAge normal = age_at(years, cond_, p_), on_scar = age_at(years, scarred, p_);
  cv::Vec3d s(0, 0, 0);
  for (const Group& g : groups_) {
    Impression imp;  // a representative dot of unit mass, aged exactly as the renderer's dots are
    imp.density = static_cast<float>(g.density);
    imp.softness = static_cast<float>(g.softness);
    imp.tint = cv::Vec3f(g.tint[0], g.tint[1], g.tint[2]);
    const ImpressionAge& a = g.scar ? on_scar : normal;
    Impression aged = age_impression(imp, a, pigment_, p_);
    double area = years > 0 ? migration_area_factor(g.softness, a) : 1.0;
    s += g.mass0 * area * dot_alpha(aged, pigment_);
  }
  return s;
}

cv::Vec3d ContrastModel::treated_linear(double years) const {
  cv::Vec3d s = darkness(years), out;
  for (int c = 0; c < 3; ++c) {
    double f = s0_[c] > 0 ? s[c] / s0_[c] : 0.0;
    // Transmitted share of the bare skin's light at year 0 (0 < t0 <= 1).
    double t0 = bare_[c] > 0 ? std::clamp(treated0_[c] / bare_[c], 1e-6, 1.0) : 1.0;
    double apart = 1.0 - (1.0 - t0) * f, overlapping = std::pow(t0, f);
    out[c] = bare_[c] * ((1.0 - overlap_) * apart + overlap_ * overlapping);
  }
  return out;
}

double ContrastModel::delta_e(double years) const {
  return delta_e2000(linear_bgr_to_lab(treated_linear(years)), bare_lab_);
}

double ContrastModel::share(double years) const {
  return de0_ > 0 ? delta_e(years) / de0_ : 0.0;
}

double ContrastModel::visible(double years) const {
  FadingConditions scarred = cond_;
  scarred.scar = true;
  double vn = age_at(years, cond_, p_).visible, vs = age_at(years, scarred, p_).visible;
  double num = 0, den = 0;
  for (const Group& g : groups_) {
    Impression imp;
    imp.density = static_cast<float>(g.density);
    double w = g.mass0 * dot_alpha(imp, pigment_)[1];
    num += w * (g.scar ? vs : vn);
    den += w;
  }
  return den > 0 ? num / den : 0.0;
}

Lab reference_skin(int skin_type) {
  // Typical CIELAB of a bare scalp / forehead per Fitzpatrick type, in the middle of each ITA°
  // band of skin_type_from_ita (ITA ≈ 62, 48, 35, 20, -8, -45).
  static const Lab kSkin[6] = {{72, 8, 12},  {67, 10, 15}, {62, 11, 17},
                               {56, 12, 18}, {47, 12, 17}, {35, 10, 15}};
  return kSkin[std::clamp(skin_type, 1, 6) - 1];
}

ContrastModel reference_contrast_model(const FadingConditions& c, const FadingParams& p) {
  // 1 cm² at 10 px/mm: 100 dots of 0.36 mm.
  const double px_per_mm = 10;
  std::vector<Impression> dots;
  const int counts[3] = {30, 40, 30};
  const float conc[3] = {0.55f, 0.85f, 1.0f};
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < counts[s]; ++i) {
      Impression imp;
      imp.diameter_mm = 0.36f;
      imp.px_per_mm = static_cast<float>(px_per_mm);
      imp.density = conc[s];
      imp.session = s + 1;
      dots.push_back(imp);
    }
  // The reference's own ink (carbon through skin, blue absorbed least), fixed here so that the
  // calibration does not move when the renderer's pigment is retuned.
  RenderParams rp;
  rp.pigment.od = cv::Vec3f(1.95f, 2.10f, 2.20f);
  rp.pigment.min_transmittance = 0.08f;
  // The area's year-0 darkening is a fixed figure, not the renderer's of the day: green loses
  // kReferenceDarkening of the bare skin's light, the other channels in the pigment's proportion.
  cv::Vec3d bare = lab_to_linear_bgr(reference_skin(c.skin_type));
  cv::Vec3d dark = summed_darkness(dots, rp.pigment, rp.max_session), treated0;
  for (int ch = 0; ch < 3; ++ch)
    treated0[ch] = bare[ch] * (1.0 - kReferenceDarkening * dark[ch] / dark[1]);
  ContrastModel m(dots, {}, c, rp, bare, treated0, p);
  m.set_overlap(kReferenceOverlap);
  return m;
}

}  // namespace smp
