#include "smp/render/simulate.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "smp/core/errors.h"
#include "smp/image/colour.h"
#include "smp/image/shrink.h"

namespace smp {

namespace {

double luminance_of_L(double L) {
  return L > 8 ? std::pow((L + 16) / 116.0, 3) : L / 903.3;
}

std::string fmt(double v, int prec) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(prec) << v;
  return os.str();
}

// Mean Lab of the photo over the treated area (map resolution).
Lab treated_skin_lab(const cv::Mat& bgr8, const TreatmentMap& map) {
  cv::Mat small;
  cv::resize(bgr8, small, map.treated.size(), 0, 0, cv::INTER_AREA);
  return mean_lab(small, map.treated);
}

// The client's head: the treated area and the face, with a margin, so the sessions' change is
// visible in the strip (a whole collage or room at strip size would hide it).
cv::Rect head_frame(const cv::Mat& bgr8, const std::vector<Impression>& imps, const Analysis& a) {
  cv::Rect2d box;
  for (const auto& i : imps) box |= cv::Rect2d(i.pos_px.x, i.pos_px.y, 1, 1);
  if (const Face* f = a.face()) box = box.area() > 0 ? (box | f->box) : f->box;
  const cv::Rect whole(0, 0, bgr8.cols, bgr8.rows);
  if (box.area() <= 0) return whole;
  const double m = 0.25 * std::max(box.width, box.height);
  cv::Rect r(cvFloor(box.x - m), cvFloor(box.y - m), cvCeil(box.width + 2 * m),
             cvCeil(box.height + 2 * m));
  r &= whole;
  return r.area() > 0 ? r : whole;
}

cv::Mat render_sessions_strip(const cv::Mat& full, const std::vector<Impression>& imps,
                              RenderParams p, int sessions, const cv::Rect& frame) {
  const cv::Mat bgr8 = full(frame);
  double sc = std::min(1.0, 900.0 / bgr8.rows);
  sc = std::min(sc, 4096.0 / (sessions * bgr8.cols));
  cv::Size ps(std::max(1, cvRound(bgr8.cols * sc)), std::max(1, cvRound(bgr8.rows * sc)));
  const int gap = 6;
  cv::Mat strip(ps.height, sessions * ps.width + (sessions - 1) * gap, CV_8UC3,
                cv::Scalar(255, 255, 255));
  for (int k = 1; k <= sessions; ++k) {
    p.max_session = k;
    // Drawn on a copy of the head only (not of a 12 MP photo).
    cv::Mat r = render_impressions_window(full, imps, p, frame), small;
    cv::resize(r, small, ps, 0, 0, sc < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    draw_simulation_label(small, "Session " + std::to_string(k) + " - simulated");
    small.copyTo(strip(cv::Rect((k - 1) * (ps.width + gap), 0, ps.width, ps.height)));
  }
  return strip;
}

// The photo's rectangle under the map cells `cb` (map scale `s`).
cv::Rect photo_rect_of_cells(const cv::Rect& cb, double s, cv::Size photo) {
  const int x0 = std::clamp(cvRound(cb.x / s), 0, photo.width - 1),
            y0 = std::clamp(cvRound(cb.y / s), 0, photo.height - 1);
  const int x1 = std::clamp(cvRound((cb.x + cb.width) / s), x0 + 1, photo.width),
            y1 = std::clamp(cvRound((cb.y + cb.height) / s), y0 + 1, photo.height);
  return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

// Blend with the client's own short hair next to the treated area: difference of mean L* and
// ratio of local contrast (std of L* minus its 1 mm blur). Only the treated area's box grown by
// the band is read, shrunk by an integer factor (OpenCV's fast area path) to about 4 px/mm:
// enough for the texture of 1 mm dots.
nlohmann::json blend_figures(const cv::Mat& after, const Analysis& a, const TreatmentMap& map) {
  nlohmann::json j = {{"hair_band_found", false}};
  if (a.parts.empty() || map.treated.empty()) return j;
  const cv::Rect tb = cv::boundingRect(map.treated);
  if (tb.empty()) return j;
  const int k = std::max(1, cvRound(map.px_per_mm / 4.0));
  const double ppm = map.px_per_mm / k;
  const double sigma = std::max(0.5, ppm);
  // Margin: the 10 mm band, the blur's reach (so the box's border does not bias the high-pass)
  // and a cell.
  const int margin =
      cvCeil(10 * map.px_per_mm) + (cvCeil(4 * sigma) + 2) * k + cvCeil(1 / map.scale);
  const cv::Rect whole(0, 0, after.cols, after.rows);
  cv::Rect roi(cvFloor(tb.x / map.scale) - margin, cvFloor(tb.y / map.scale) - margin,
               cvCeil(tb.width / map.scale) + 2 * margin,
               cvCeil(tb.height / map.scale) + 2 * margin);
  roi &= whole;
  roi.width -= roi.width % k;
  roi.height -= roi.height % k;
  if (roi.width < k || roi.height < k) return j;
  const cv::Size ws(roi.width / k, roi.height / k);
  cv::Mat img;
  if (k > 1)
    cv::resize(after(roi), img, ws, 0, 0, cv::INTER_AREA);
  else
    img = after(roi);
  // The masks on the working grid, each working pixel's centre looked up (nearest, as
  // cv::resize's INTER_NEAREST indexes: floor(x * scale)).
  cv::Mat treated(ws, CV_8U), hair(ws, CV_8U);
  const uint8_t kHair = static_cast<uint8_t>(Part::kHair);
  const double psx = static_cast<double>(a.parts.cols) / after.cols,
               psy = static_cast<double>(a.parts.rows) / after.rows;
  std::vector<int> tx(ws.width), px(ws.width);
  for (int x = 0; x < ws.width; ++x) {
    const double cx = roi.x + x * k + 0.5 * (k - 1);
    tx[x] = std::min(map.treated.cols - 1, static_cast<int>(cx * map.scale));
    px[x] = std::min(a.parts.cols - 1, static_cast<int>(cx * psx));
  }
  for (int y = 0; y < ws.height; ++y) {
    const double cy = roi.y + y * k + 0.5 * (k - 1);
    const uint8_t* tr =
        map.treated.ptr<uint8_t>(std::min(map.treated.rows - 1, static_cast<int>(cy * map.scale)));
    const uint8_t* pr =
        a.parts.ptr<uint8_t>(std::min(a.parts.rows - 1, static_cast<int>(cy * psy)));
    uint8_t* t = treated.ptr<uint8_t>(y);
    uint8_t* h = hair.ptr<uint8_t>(y);
    for (int x = 0; x < ws.width; ++x) {
      t[x] = tr[tx[x]] ? 255 : 0;
      h[x] = pr[px[x]] == kHair ? 255 : 0;
    }
  }
  // Within 10 mm of the treated area: a distance transform (linear time), not a dilation with
  // a band-sized disc (O(band) per pixel: 140 ms on a 12 MP photo).
  cv::Mat dist;
  cv::distanceTransform(~treated, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
  const cv::Mat hair_band = (dist <= std::max(1, cvRound(10 * ppm))) & hair & ~treated;
  if (cv::countNonZero(hair_band) < 50 || cv::countNonZero(treated) < 50) return j;
  // L* from 8-bit sRGB through the linear-light table (only L* is needed).
  const auto& lut = srgb8_to_linear_table();
  cv::Mat L(ws, CV_32F);
  for (int y = 0; y < ws.height; ++y) {
    const cv::Vec3b* in = img.ptr<cv::Vec3b>(y);
    float* l = L.ptr<float>(y);
    for (int x = 0; x < ws.width; ++x) {
      const float Y =
          0.0721750f * lut[in[x][0]] + 0.7151522f * lut[in[x][1]] + 0.2126729f * lut[in[x][2]];
      l[x] = Y > 0.008856f ? 116.0f * std::cbrt(Y) - 16.0f : 903.3f * Y;
    }
  }
  cv::Mat blur, hp;
  cv::GaussianBlur(L, blur, cv::Size(), sigma);
  hp = L - blur;
  cv::Scalar m_t, s_t, m_h, s_h, hm, hs_t, hs_h;
  cv::meanStdDev(L, m_t, s_t, treated);
  cv::meanStdDev(L, m_h, s_h, hair_band);
  cv::meanStdDev(hp, hm, hs_t, treated);
  cv::meanStdDev(hp, hm, hs_h, hair_band);
  j["hair_band_found"] = true;
  j["treated_L"] = m_t[0];
  j["hair_L"] = m_h[0];
  j["delta_L"] = m_t[0] - m_h[0];
  j["local_contrast_treated"] = hs_t[0];
  j["local_contrast_hair"] = hs_h[0];
  j["local_contrast_ratio"] = hs_h[0] > 1e-6 ? hs_t[0] / hs_h[0] : 0.0;
  return j;
}

}  // namespace

ShadeChoice choose_shade(const Analysis& a, const Design& d, const SimulateOptions& opt,
                         const Lab& skin, const Pigment& pig) {
  ShadeChoice s;
  const double od = 0.0722 * pig.od[0] + 0.7152 * pig.od[1] + 0.2126 * pig.od[2];
  std::optional<double> L = opt.shade_L;
  s.source = "user";
  if (!L && d.shade_L) {
    L = d.shade_L;
    s.source = "design";
  }
  if (!L) {
    // A dot reads like a follicle: well darker than the skin. Light skin takes a more diluted
    // shade (a dot core near L* 28 on L* 65 skin), dark skin the full one; the client's own
    // hair, where there is some, pulls the shade towards it (blond or grey hair: lighter dots).
    s.source = "skin";
    double core = 0.35 * skin.L + 5.0;
    const HairShade& hs = a.scalp.hair_shade;
    if (hs.found) {
      // Darker hair: a darker dot. Grey, white or blond hair as light as the skin or lighter:
      // pigment cannot be lighter than the skin, so the most diluted shade that still reads as
      // a dot (skin - 20).
      core = 0.5 * core + 0.5 * (hs.L < skin.L - 8 ? hs.L - 12.0 : skin.L - 20.0);
      s.source = "hair";
    }
    L = std::clamp(core, 12.0, std::max(12.0, skin.L - 20.0));
  }
  // A full-strength dot should read as this L* on this skin: transmittance = Y ratio.
  double t = luminance_of_L(std::min(*L, skin.L - 3)) / std::max(1e-4, luminance_of_L(skin.L));
  s.concentration = std::clamp(-std::log(std::max(1e-4, t)) / od, 0.12, 1.0);
  t = std::max<double>(pig.min_transmittance, std::exp(-od * s.concentration));
  s.target_L = 116.0 * std::cbrt(luminance_of_L(skin.L) * t) - 16.0;
  return s;
}

void check_simulate_options(const SimulateOptions& opt) {
  if (opt.density_per_cm2 && !(*opt.density_per_cm2 >= 40 && *opt.density_per_cm2 <= 200))
    throw UsageError("--density " + fmt(*opt.density_per_cm2, 0) +
                     ": impressions per cm² must be 40-200 (follicular density)");
  if (opt.sessions && (*opt.sessions < 1 || *opt.sessions > 4))
    throw UsageError("--sessions " + std::to_string(*opt.sessions) + ": must be 1-4");
  if (opt.shade_L && !(*opt.shade_L >= 5 && *opt.shade_L <= 80))
    throw UsageError("--shade " + fmt(*opt.shade_L, 1) + ": L* must be 5-80 (or auto)");
}

void draw_simulation_label(cv::Mat& img, const std::string& text) {
  int base = std::min(img.cols, img.rows);
  double scale = std::max(0.35, base / 1400.0);
  int thick = std::max(1, cvRound(scale * 1.6));
  int baseline = 0;
  cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &baseline);
  int pad = std::max(3, cvRound(6 * scale));
  cv::Rect box(img.cols - ts.width - 3 * pad, img.rows - ts.height - baseline - 3 * pad,
               ts.width + 2 * pad, ts.height + baseline + 2 * pad);
  box &= cv::Rect(0, 0, img.cols, img.rows);
  if (box.empty()) return;
  cv::Mat roi = img(box);
  cv::Mat dark(roi.size(), roi.type(), cv::Scalar(20, 20, 20));
  cv::addWeighted(roi, 0.45, dark, 0.55, 0, roi);
  cv::putText(img, text, cv::Point(box.x + pad, box.y + pad + ts.height), cv::FONT_HERSHEY_SIMPLEX,
              scale, cv::Scalar(245, 245, 245), thick, cv::LINE_AA);
}

std::string impressions_csv(const std::vector<Impression>& imps) {
  std::ostringstream os;
  os << "index,session,x_px,y_px,x_mm,y_mm,diameter_mm,density,needles\n";
  os << std::fixed;
  for (size_t i = 0; i < imps.size(); ++i) {
    const Impression& m = imps[i];
    os << i << "," << m.session << "," << std::setprecision(2) << m.pos_px.x << "," << m.pos_px.y
       << "," << m.pos_mm.x << "," << m.pos_mm.y << "," << std::setprecision(3) << m.diameter_mm
       << "," << m.density << "," << m.needles << "\n";
  }
  return os.str();
}

namespace {

// The design's impressions placed for `photo`, which is the analysed photo resized by `f`, and
// the render's parameters: the one path of both simulate() (f = 1) and render_preview(). Fills
// everything but the image, the strip and the report.
void simulate_core(const cv::Mat& photo, double f, const TreatmentBase& base, const Analysis& a,
                   const Design& design, const SimulateOptions& opt, SimulateResult& r, Lab& skin) {
  SMP_CHECK_EQ(photo.type(), CV_8UC3);
  check_simulate_options(opt);
  r.density_per_cm2 = opt.density_per_cm2.value_or(design.density_per_cm2.value_or(100));
  r.sessions = opt.sessions.value_or(design.sessions.value_or(3));
  {
    ScopedTiming t(r.timings, "design");
    TreatmentOptions to;
    to.density_per_cm2 = r.density_per_cm2;
    to.preset = opt.preset;
    to.seed = opt.seed;
    r.map = build_treatment_map(base, a, design, to);
    if (f != 1) r.map = map_for_resized_photo(r.map, f);
  }
  // The skin under the treated area, on the map's grid (the analysed photo shrunk to it).
  skin = base.photo_cells.empty() ? treated_skin_lab(photo, r.map)
                                  : mean_lab(base.photo_cells, r.map.treated);
  r.render.nthreads = opt.nthreads;
  r.shade = choose_shade(a, design, opt, skin, r.render.pigment);
  PlacementOptions po;
  po.sessions = r.sessions;
  po.seed = opt.seed;
  po.nthreads = opt.nthreads;
  po.concentration = r.shade.concentration;
  {
    ScopedTiming t(r.timings, "place");
    r.impressions = place_impressions(r.map, po);
  }
  r.render.treated_mask = r.map.treated;
  {
    ScopedTiming t(r.timings, "camera_blur");
    // Skin texture is not white noise: the estimate runs high, so take part of it.
    r.render.camera_blur_px = 0.7f * estimate_camera_blur(photo, r.map.treated);
  }
  r.render.max_session = r.sessions;
}

}  // namespace

RenderScene prepare_scene(const cv::Mat& bgr8, const Analysis& a, int long_side, unsigned seed) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  SMP_CHECK(long_side > 0);
  RenderScene s;
  s.analysis = a;
  s.photo = bgr8;
  s.scale = std::min(1.0, static_cast<double>(long_side) / std::max(bgr8.cols, bgr8.rows));
  if (s.scale < 1) {
    cv::Size ps(std::max(1, cvRound(bgr8.cols * s.scale)),
                std::max(1, cvRound(bgr8.rows * s.scale)));
    cv::resize(bgr8, s.preview, ps, 0, 0, cv::INTER_AREA);
    // The exact factor of the rounded size, so map cells land where they do on the photo.
    s.scale = static_cast<double>(ps.width) / bgr8.cols;
  } else {
    s.preview = bgr8;
  }
  s.base = prepare_treatment(a, &bgr8, TreatmentOptions{}.cell_mm, seed);
  propose_preset_hairlines(s.base, a, seed);
  return s;
}

SimulateResult render_preview(const RenderScene& scene, const Design& design,
                              const SimulateOptions& opt) {
  SimulateResult r;
  Lab skin;
  simulate_core(scene.preview, scene.scale, scene.base, scene.analysis, design, opt, r, skin);
  {
    ScopedTiming t(r.timings, "render");
    r.image = render_impressions(scene.preview, r.impressions, r.render);
  }
  if (opt.label) {
    ScopedTiming t(r.timings, "label");
    draw_simulation_label(r.image);
  }
  return r;
}

SimulateResult simulate(cv::Mat bgr8, const Analysis& a, const Design& design,
                        const SimulateOptions& opt) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  check_simulate_options(opt);
  SimulateResult r;
  TreatmentBase base;
  {
    ScopedTiming t(r.timings, "design");
    base = prepare_treatment(a, &bgr8, TreatmentOptions{}.cell_mm, opt.seed);
  }
  Lab skin;
  simulate_core(bgr8, 1, base, a, design, opt, r, skin);
  if (opt.strip) {
    ScopedTiming t(r.timings, "strip");
    r.strip = render_sessions_strip(bgr8, r.impressions, r.render, r.sessions,
                                    head_frame(bgr8, r.impressions, a));
  }
  // The darkening's "before": the photo under the full-density cells, kept before the render.
  const cv::Mat full = (r.map.ramp >= 0.999f) & r.map.treated;
  const cv::Rect full_cells = cv::boundingRect(full);
  const cv::Rect full_rect = photo_rect_of_cells(full_cells, r.map.scale, bgr8.size());
  const bool any_full = !full_cells.empty() && cv::countNonZero(full(full_cells)) > 0;
  cv::Mat before;
  if (any_full) {
    ScopedTiming t(r.timings, "blend");  // the darkening's half before the render
    // The photo under the cells shrunk to them (a copy: the photo is drawn on next).
    before = shrink_to(bgr8(full_rect), full_cells.size()).clone();
  }
  {
    ScopedTiming t(r.timings, "render");
    // Pixels handed over (no other header shares them) are drawn on in place.
    const bool owned = bgr8.u && bgr8.u->refcount == 1 && bgr8.isContinuous();
    r.image = owned ? bgr8 : bgr8.clone();
    render_impressions_into(r.image, r.impressions, r.render);
  }
  nlohmann::json blend;
  double darkening_L = 0;
  {
    ScopedTiming t(r.timings, "blend");
    blend = blend_figures(r.image, a, r.map);
    // Before the label is drawn, so no second render is needed.
    // How much the treatment darkens the full-density cells (mean L*, before - after).
    if (any_full)
      darkening_L = mean_lab(before, full(full_cells)).L -
                    mean_lab(shrink_to(r.image(full_rect), full_cells.size()), full(full_cells)).L;
  }
  if (opt.label) {
    ScopedTiming t(r.timings, "label");
    draw_simulation_label(r.image);
  }

  // Report: counts per session, achieved density over the full-density area.
  using nlohmann::json;
  double area = map_area_cm2(r.map, r.map.treated);
  double full_area = map_area_cm2(r.map, full);
  std::vector<int> per_session(r.sessions, 0), full_per_session(r.sessions, 0);
  for (const auto& imp : r.impressions) {
    per_session[imp.session - 1]++;
    int x = static_cast<int>((imp.pos_px.x + 0.5) * r.map.scale),
        y = static_cast<int>((imp.pos_px.y + 0.5) * r.map.scale);
    if (x >= 0 && y >= 0 && x < full.cols && y < full.rows && full.at<uint8_t>(y, x))
      full_per_session[imp.session - 1]++;
  }
  json sessions = json::array();
  int cum = 0, cum_full = 0;
  PlacementOptions defaults;
  const Pigment& pig = r.render.pigment;
  for (int k = 0; k < r.sessions; ++k) {
    cum += per_session[k];
    cum_full += full_per_session[k];
    double conc = r.shade.concentration * defaults.session_concentration[k];
    cv::Vec3d lin = lab_to_linear_bgr(skin);
    for (int c = 0; c < 3; ++c)
      lin[c] *= std::max<double>(pig.min_transmittance, std::exp(-pig.od[c] * conc));
    Lab core = linear_bgr_to_lab(lin);
    cv::Vec3d srgb(linear_to_srgb(std::clamp(lin[2], 0.0, 1.0)) * 255,
                   linear_to_srgb(std::clamp(lin[1], 0.0, 1.0)) * 255,
                   linear_to_srgb(std::clamp(lin[0], 0.0, 1.0)) * 255);
    sessions.push_back(
        {{"session", k + 1},
         {"impressions", per_session[k]},
         {"cumulative_impressions", cum},
         {"target_share", defaults.session_share[k]},
         {"density_per_cm2", full_area > 0 ? cum_full / full_area : 0.0},
         {"pigment_concentration", conc},
         {"dot_core_L", core.L},
         {"dot_core_srgb", {std::lround(srgb[0]), std::lround(srgb[1]), std::lround(srgb[2])}}});
  }
  json hl = nullptr;
  if (auto h = effective_hairline(a, design, {r.density_per_cm2, opt.preset, opt.seed}))
    hl = {{"points", h->points.size()},
          {"transition_mm", h->transition_mm},
          {"source", !design.hairline.empty()                                 ? "design"
                     : (opt.preset || design.preset || design.mid_frontal_mm) ? "preset"
                                                                              : "analysis"}};
  // Read as a top view, a profile or a face the analysis did not find would be treated: say so
  // when the treated area runs to the photo's bottom, where such a face or neck continues.
  json warnings = json::array();
  if (!a.face() && !a.tilted_face && a.view == View::kTop) {
    const cv::Rect tb = cv::boundingRect(r.map.treated);
    if (tb.br().y >= 0.97 * r.map.treated.rows)
      warnings.push_back(
          "no face or eyes were found and the treated area runs to the bottom of the photo: "
          "if it is a side view, give --view side; otherwise draw the area with --design zones");
  }
  r.report = {
      {"warnings", warnings},
      {"treated_area_cm2", area},
      {"full_density_area_cm2", full_area},
      {"target_density_per_cm2", r.density_per_cm2},
      {"mean_density_per_cm2", full_area > 0 ? cum_full / full_area : 0.0},
      {"sessions", r.sessions},
      {"impressions", static_cast<int>(r.impressions.size())},
      {"per_session", sessions},
      {"px_per_mm", a.px_per_mm},
      {"scale_source", a.scale_source},
      {"shade",
       {{"source", r.shade.source},
        {"concentration", r.shade.concentration},
        {"dot_core_L", r.shade.target_L}}},
      {"skin_L", skin.L},
      {"darkening_L", darkening_L},
      {"camera_blur_px", r.render.camera_blur_px},
      {"hairline", hl},
      {"blend", blend},
      {"seed", opt.seed},
  };
  return r;
}

}  // namespace smp
