#include "smp/age/age.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "smp/age/ageing.h"
#include "smp/core/errors.h"

namespace smp {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::vector<double> sorted_years(const std::vector<double>& years) {
  std::vector<double> y = years;
  std::sort(y.begin(), y.end());
  y.erase(
      std::unique(y.begin(), y.end(), [](double a, double b) { return std::abs(a - b) < 1e-9; }),
      y.end());
  return y;
}

// Touch-up year, every crossing, the fine curve and the sentence, from the contrast model.
void finish(AgeResult& r, const ContrastModel& model, const AgeOptions& opt) {
  Stopwatch sw;
  auto share = [&](double t) { return model.share(t); };
  r.touch_up_year = first_crossing(share, opt.threshold, opt.horizon_years);
  r.touch_up_due = all_crossings(share, opt.threshold, opt.horizon_years);
  double last =
      std::max(opt.horizon_years,
               opt.years.empty() ? 0.0 : *std::max_element(opt.years.begin(), opt.years.end()));
  // Weekly-ish steps, plus both sides of every touch-up so the saw-tooth's jumps are vertical.
  std::vector<double> ts;
  for (double t = 0; t < last; t += 1.0 / 26) ts.push_back(t);
  ts.push_back(last);
  for (double y : opt.conditions.touch_ups)
    if (y <= last) {
      ts.push_back(std::max(0.0, y - 1e-6));
      ts.push_back(y);
    }
  std::sort(ts.begin(), ts.end());
  r.curve.clear();
  for (double t : ts) r.curve.emplace_back(t, share(t));
  for (const AgeFrame& f : r.frames)
    r.max_model_error = std::max(r.max_model_error, std::abs(f.share_model - f.share));
  std::string pct = fmt("%.0f %%", opt.threshold * 100);
  if (r.touch_up_year)
    r.message = "touch-up due at " + fmt("%.1f", *r.touch_up_year) +
                " years: the visible contrast falls below " + pct + " of year 0";
  else
    r.message = "no touch-up due within " + fmt("%.0f", opt.horizon_years) +
                " years: the visible contrast stays above " + pct + " of year 0";
  r.timings["model"] += sw.elapsed_ms();
}

// Width of the strip's close-up on the skin (at most): some 25 dots across at ~1 mm spacing,
// enough to see the stipple and how it softens, small enough to magnify a low-resolution photo.
constexpr double kCloseupMm = 25.0;

// The strip's head view and close-up. The head view is the treated area together with the
// client's face (or head outline), with a margin, never narrower than 3:4 so a thin hairline
// band still comes with the face under it. The close-up is centred on the treated pixel farthest
// from the treated area's edge, so it shows treated scalp even for a narrow band.
void frame_for_strip(AgeResult& r, const cv::Mat& photo, const cv::Mat& mask,
                     const StripFraming& framing, double px_per_mm) {
  const cv::Rect& subject = framing.subject;
  const cv::Rect all(0, 0, photo.cols, photo.rows);
  const double sx = static_cast<double>(photo.cols) / mask.cols,
               sy = static_cast<double>(photo.rows) / mask.rows;
  cv::Rect m = cv::boundingRect(mask);
  cv::Rect box(cvFloor(m.x * sx), cvFloor(m.y * sy), cvCeil(m.width * sx), cvCeil(m.height * sy));
  bool with_face = !(subject & all).empty();
  if (with_face) box |= (subject & all);
  double w = box.width, h = box.height;
  double margin = 0.08 * std::max(w, h);
  double x0 = box.x - margin, x1 = box.x + w + margin, y0 = box.y - margin, y1 = box.y + h + margin;
  if (!with_face) y1 += 0.5 * h;  // no face known: the face is usually below the scalp
  // Keep the view between 3:4 (portrait) and 4:3 (landscape).
  if (x1 - x0 < 0.75 * (y1 - y0)) {
    double grow = 0.75 * (y1 - y0) - (x1 - x0);
    x0 -= grow / 2;
    x1 += grow / 2;
  } else if (y1 - y0 < 0.75 * (x1 - x0)) {
    double grow = 0.75 * (x1 - x0) - (y1 - y0);
    if (with_face) {
      y0 -= grow / 2;
      y1 += grow / 2;
    } else {
      y1 += grow;
    }
  }
  r.crop = cv::Rect(cv::Point(cvFloor(x0), cvFloor(y0)), cv::Point(cvCeil(x1), cvCeil(y1))) & all;

  cv::Mat bin = mask > 0, dist;
  if (!framing.head.empty()) {
    cv::Mat head;
    cv::resize(framing.head, head, bin.size(), 0, 0, cv::INTER_NEAREST);
    cv::Mat on_head = bin & (head > 0);
    if (cv::countNonZero(on_head) > 0) bin = on_head;  // else the treated area as it is
  }
  cv::copyMakeBorder(bin, bin, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);  // the photo's edge is an edge
  cv::distanceTransform(bin, dist, cv::DIST_L2, 3);
  // The middle of the deepest ridge (an ellipse's deepest points form a segment).
  double deepest = 0;
  cv::minMaxLoc(dist, nullptr, &deepest);
  cv::Moments mo = cv::moments(dist >= 0.9 * deepest, true);
  cv::Point2d c((mo.m10 / mo.m00 - 1 + 0.5) * sx, (mo.m01 / mo.m00 - 1 + 0.5) * sy);
  double ppm = px_per_mm > 0 ? px_per_mm : 1.0;
  // A narrow treated band (a hairline) gets a smaller close-up that stays inside it, down to
  // 10 mm (a few dots across); 3:2 like the wide one.
  double inscribed = 2.0 * deepest * std::min(sx, sy);  // diameter of the largest disc inside
  double cwide = std::clamp(1.5 * inscribed, 10.0 * ppm, kCloseupMm * ppm);
  int cw = std::clamp(cvRound(cwide), 8, photo.cols),
      ch = std::clamp(cvRound(cwide * 2 / 3), 6, photo.rows);
  int cx = std::clamp(cvRound(c.x - cw / 2.0), 0, photo.cols - cw),
      cy = std::clamp(cvRound(c.y - ch / 2.0), 0, photo.rows - ch);
  r.closeup = cv::Rect(cx, cy, cw, ch);
  r.closeup_mm = cw / ppm;
  r.before = photo;
}

// The photo's box of the treated area and of every impression, with a margin of a few px.
cv::Rect treated_box(const cv::Mat& bgr8, const cv::Mat& mask,
                     const std::vector<Impression>& imps) {
  const double sx = static_cast<double>(bgr8.cols) / mask.cols,
               sy = static_cast<double>(bgr8.rows) / mask.rows;
  const cv::Rect m = cv::boundingRect(mask);
  cv::Rect box(cvFloor(m.x * sx) - 3, cvFloor(m.y * sy) - 3, cvCeil(m.width * sx) + 6,
               cvCeil(m.height * sy) + 6);
  for (const auto& i : imps)
    box |= cv::Rect(cvFloor(i.pos_px.x) - 2, cvFloor(i.pos_px.y) - 2, 5, 5);
  return box & cv::Rect(0, 0, bgr8.cols, bgr8.rows);
}

// Overlap at which the model's share at `years` is `measured`: the share rises with the overlap,
// so bisection; clamped to the ends when the measurement lies outside.
double fit_overlap(ContrastModel& m, double years, double measured) {
  if (!(measured > 0)) return m.overlap();
  double lo = 0, hi = m.max_overlap();
  m.set_overlap(lo);
  if (m.share(years) >= measured) return lo;
  m.set_overlap(hi);
  if (m.share(years) <= measured) return hi;
  for (int i = 0; i < 30; ++i) {
    double mid = 0.5 * (lo + hi);
    m.set_overlap(mid);
    (m.share(years) < measured ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

cv::Mat nonempty_mask(const SimulateResult& sim) {
  if (!sim.render.treated_mask.empty()) return sim.render.treated_mask;
  if (!sim.map.treated.empty()) return sim.map.treated;
  return {};
}

}  // namespace

std::vector<double> parse_years(const std::string& list) {
  std::vector<double> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(item, &used);
      if (used != item.size()) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw UsageError("--years: '" + item + "' is not a number of years");
    }
    if (!std::isfinite(v) || v < 0 || v > kMaxAgeYears)
      throw UsageError("--years: " + item + " is outside 0 to " + fmt("%.0f", kMaxAgeYears) +
                       " years after the treatment");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError("--years: no year given (e.g. --years 0,1,2,4,6,8)");
  return out;
}

void check_age_options(const AgeOptions& opt) {
  if (opt.years.empty()) throw UsageError("--years: no year given (e.g. --years 0,1,2,4,6,8)");
  for (double y : opt.years)
    if (!std::isfinite(y) || y < 0 || y > kMaxAgeYears)
      throw UsageError("--years: " + fmt("%g", y) + " is outside 0 to " +
                       fmt("%.0f", kMaxAgeYears) + " years after the treatment");
  if (!(opt.threshold > 0 && opt.threshold < 1))
    throw UsageError("--threshold " + fmt("%g", opt.threshold) +
                     ": the share of year-0 contrast must be between 0 and 1 (e.g. 0.7)");
  if (!(opt.horizon_years > 0 && opt.horizon_years <= 100))
    throw UsageError("horizon " + fmt("%g", opt.horizon_years) + " years: must be 0-100");
  validate(opt.conditions);
}

std::vector<uint8_t> scar_flags(const std::vector<Impression>& impressions, const Design& design) {
  std::vector<uint8_t> flags(impressions.size(), 0);
  std::vector<std::vector<cv::Point2f>> scars;
  for (const DesignZone& z : design.zones)
    if (z.kind == ZoneKind::kScar && z.polygon.size() >= 3) {
      std::vector<cv::Point2f> poly;
      for (auto& p : z.polygon) poly.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
      scars.push_back(std::move(poly));
    }
  if (scars.empty()) return flags;
  for (size_t i = 0; i < impressions.size(); ++i)
    for (const auto& poly : scars)
      if (cv::pointPolygonTest(poly, impressions[i].pos_px, false) >= 0) {
        flags[i] = 1;
        break;
      }
  return flags;
}

SkinTypeChoice choose_skin_type(const std::string& user, const Analysis* photo) {
  SkinTypeChoice c;
  // The tone is measured only when the photo shows skin (scalp.cpp leaves the category empty).
  if (photo && !photo->scalp.skin_tone.category.empty()) c.photo_ita = photo->scalp.skin_tone.ita;
  if (!user.empty()) {
    c.type = parse_skin_type(user);
    c.source = "user";
  } else if (c.photo_ita) {
    c.type = skin_type_from_ita(*c.photo_ita);
    c.source = "photo";
  }
  return c;
}

FadingFit fit_fading(const cv::Mat& bgr8, const SimulateResult& sim,
                     const std::vector<uint8_t>& scar, const FadingConditions& conditions,
                     const FadingParams& params, const cv::Rect& window_in) {
  validate(conditions);
  SMP_CHECK(scar.empty() || scar.size() == sim.impressions.size());
  Timings t;
  cv::Mat mask = nonempty_mask(sim);
  if (mask.empty()) throw InputError("treated area", "the simulation treated no pixel");
  // Frames are drawn and measured on a window holding the treated area and every impression,
  // not on copies of a whole 12 MP photo (37 MB each).
  const cv::Rect window = window_in | treated_box(bgr8, mask, sim.impressions);
  const cv::Mat bare = bgr8(window);
  cv::Mat year0, cal;
  {
    ScopedTiming st(t, "render");
    year0 = render_impressions_window(bgr8, sim.impressions, sim.render, window);
  }
  AreaContrast c0;
  {
    ScopedTiming st(t, "measure");
    c0 = measure_contrast(bare, year0, mask, window, bgr8.size());
  }
  // How much the dots' darkening overlaps depends on the renderer's halos and the density: fitted
  // on a frame at kCalibrationYears without touch-ups, so the touch-up year depends neither on
  // the --years a report shows nor on which command asks.
  FadingConditions plain = conditions;
  plain.touch_ups.clear();
  double measured = -1;
  if (c0.delta_e > 0) {
    {
      ScopedTiming st(t, "render");
      cal = render_impressions_window(bgr8,
                                      age_impressions(sim.impressions, scar, kCalibrationYears,
                                                      plain, sim.render.pigment, params),
                                      sim.render, window);
    }
    ScopedTiming st(t, "measure");
    measured = measure_contrast(bare, cal, mask, window, bgr8.size()).delta_e / c0.delta_e;
  }
  Stopwatch sw;
  ContrastModel fit(sim.impressions, scar, plain, sim.render, c0.bare_linear, c0.treated_linear,
                    params);
  const double overlap = fit_overlap(fit, kCalibrationYears, measured);
  ContrastModel model(sim.impressions, scar, conditions, sim.render, c0.bare_linear,
                      c0.treated_linear, params);
  model.set_overlap(overlap);
  t["model"] += sw.elapsed_ms();
  return FadingFit{mask, window, year0, cal, c0, measured > 0 ? measured : 1.0, std::move(model),
                   t};
}

namespace {
// What the fading fit decides in a result, for the strip and the quote alike.
AgeResult result_of(const FadingFit& fit, const std::vector<uint8_t>& scar) {
  AgeResult r;
  r.scar_impressions = static_cast<size_t>(std::count(scar.begin(), scar.end(), 1));
  r.timings = fit.timings;
  r.delta_e0 = fit.contrast0.delta_e;
  r.overlap = fit.model.overlap();
  return r;
}
}  // namespace

AgeResult age_simulation(const cv::Mat& bgr8, const SimulateResult& sim,
                         const std::vector<uint8_t>& scar, const AgeOptions& opt,
                         const StripFraming& framing) {
  check_age_options(opt);
  // What the strip shows first: the frames are drawn on that window only (with the treated
  // area), or on the whole photo when they are written whole.
  AgeResult strip;
  const cv::Mat mask = nonempty_mask(sim);
  if (mask.empty()) throw InputError("treated area", "the simulation treated no pixel");
  Timings framing_t;
  {
    ScopedTiming st(framing_t, "framing");
    frame_for_strip(strip, bgr8, mask, framing, sim.map.px_per_mm);
  }
  const cv::Rect window =
      opt.full_frames ? cv::Rect(0, 0, bgr8.cols, bgr8.rows) : (strip.crop | strip.closeup);
  const FadingFit fit = fit_fading(bgr8, sim, scar, opt.conditions, opt.params, window);
  AgeResult r = result_of(fit, scar);
  r.timings["framing"] += framing_t["framing"];
  r.crop = strip.crop;
  r.closeup = strip.closeup;
  r.closeup_mm = strip.closeup_mm;
  r.before = strip.before;
  const cv::Mat bare = bgr8(fit.window);
  const bool reuse_calibration = opt.conditions.touch_ups.empty() && !fit.calibration.empty();
  for (double y : sorted_years(opt.years)) {
    AgeFrame f;
    f.year = y;
    f.state = age_at(y, opt.conditions, opt.params);
    if (y == 0) {
      f.unlabelled = fit.year0;
      f.measured = fit.contrast0;
    } else {
      if (reuse_calibration && std::abs(y - kCalibrationYears) < 1e-9) {
        f.unlabelled = fit.calibration;
      } else {
        ScopedTiming st(r.timings, "render");
        f.unlabelled =
            render_impressions_window(bgr8,
                                      age_impressions(sim.impressions, scar, y, opt.conditions,
                                                      sim.render.pigment, opt.params),
                                      sim.render, fit.window);
      }
      ScopedTiming st(r.timings, "measure");
      f.measured = measure_contrast(bare, f.unlabelled, fit.mask, fit.window, bgr8.size());
    }
    f.window = fit.window;
    f.share = r.delta_e0 > 0 ? f.measured.delta_e / r.delta_e0 : 0.0;
    f.share_model = fit.model.share(y);
    r.frames.push_back(std::move(f));
  }
  finish(r, fit.model, opt);
  return r;
}

AgeResult forecast_fading(const cv::Mat& bgr8, const SimulateResult& sim,
                          const std::vector<uint8_t>& scar, const AgeOptions& opt) {
  check_age_options(opt);
  const FadingFit fit = fit_fading(bgr8, sim, scar, opt.conditions, opt.params);
  AgeResult r = result_of(fit, scar);
  finish(r, fit.model, opt);
  return r;
}

cv::Mat frame_image(const AgeFrame& f, const AgeOptions& opt) {
  cv::Mat img = f.unlabelled.clone();
  if (opt.label) draw_simulation_label(img);  // exactly as simulate() labels its result
  return img;
}

AgeResult age_reference(const AgeOptions& opt) {
  check_age_options(opt);
  AgeResult r;
  r.model_only = true;
  ContrastModel model = reference_contrast_model(opt.conditions, opt.params);
  r.delta_e0 = model.delta_e0();
  r.overlap = model.overlap();
  for (double y : sorted_years(opt.years)) {
    AgeFrame f;
    f.year = y;
    f.state = age_at(y, opt.conditions, opt.params);
    f.share_model = f.share = model.share(y);
    f.measured.delta_e = model.delta_e(y);
    f.measured.bare_linear = lab_to_linear_bgr(reference_skin(opt.conditions.skin_type));
    f.measured.treated_linear = model.treated_linear(y);
    f.measured.bare = linear_bgr_to_lab(f.measured.bare_linear);
    f.measured.treated = linear_bgr_to_lab(f.measured.treated_linear);
    r.frames.push_back(std::move(f));
  }
  finish(r, model, opt);
  return r;
}

StripFraming strip_framing(const Analysis& a) {
  StripFraming f;
  const bool head = !a.scalp.head_mask.empty() && cv::countNonZero(a.scalp.head_mask) > 0;
  if (head) f.head = a.scalp.head_mask;
  if (const Face* face = a.face()) {
    f.subject = cv::Rect(cvFloor(face->box.x), cvFloor(face->box.y), cvCeil(face->box.width),
                         cvCeil(face->box.height));
    // The detector's box runs from the brows to the chin: add the chin's margin below.
    f.subject.height += f.subject.height / 8;
  } else if (head) {
    f.subject = cv::boundingRect(a.scalp.head_mask);
  }
  return f;
}

std::string describe_conditions(const AgeOptions& opt) {
  const FadingConditions& c = opt.conditions;
  // No brackets: the quote quotes this line inside its own.
  const std::string from = opt.skin_type_source == "photo"  ? " from the photo"
                           : opt.skin_type_source == "user" ? ""
                                                            : " assumed";
  return std::string(to_string(c.sun)) + " sun, skin type " + skin_type_roman(c.skin_type) + from +
         (c.scar ? ", scar tissue" : "");
}

std::optional<double> touch_up_year(const FadingConditions& conditions, double threshold,
                                    double horizon_years, const FadingParams& params) {
  SMP_CHECK(threshold > 0 && threshold < 1);
  AgeOptions opt;
  opt.years = {0};
  opt.conditions = conditions;
  opt.threshold = threshold;
  opt.horizon_years = horizon_years;
  opt.params = params;
  return age_reference(opt).touch_up_year;
}

namespace {

// Text centred in [x0, x0 + width) with its baseline at y; returns the line's height.
int centred_text(cv::Mat& img, const std::string& s, int x0, int width, int y, int font,
                 double scale, cv::Scalar colour, int thick) {
  int base = 0;
  cv::Size ts = cv::getTextSize(s, font, scale, thick, &base);
  cv::putText(img, s, cv::Point(x0 + (width - ts.width) / 2, y), font, scale, colour, thick,
              cv::LINE_AA);
  return ts.height;
}

cv::Mat fit(const cv::Mat& src, cv::Size size) {
  cv::Mat out;
  bool up = size.width > src.cols || size.height > src.rows;
  // Cubic when magnifying: the dots stay round instead of turning into pixel squares.
  cv::resize(src, out, size, 0, 0, up ? cv::INTER_CUBIC : cv::INTER_AREA);
  return out;
}

// A small caption box in a picture's top-left corner.
void corner_tag(cv::Mat& img, const std::string& s) {
  int base = 0;
  double scale = 0.5;
  cv::Size ts = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base);
  cv::Rect box(4, 4, ts.width + 10, ts.height + base + 8);
  box &= cv::Rect(0, 0, img.cols, img.rows);
  cv::Mat roi = img(box);
  cv::addWeighted(roi, 0.35, cv::Mat(roi.size(), roi.type(), cv::Scalar(20, 20, 20)), 0.65, 0, roi);
  cv::putText(img, s, cv::Point(9, 8 + ts.height), cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

}  // namespace

cv::Mat make_age_strip(const AgeResult& r, const AgeOptions& opt) {
  SMP_CHECK(!r.frames.empty() && !r.frames[0].unlabelled.empty());
  // The frames hold `all` of the photo (photo px; the whole photo, or the strip's window).
  const cv::Rect all = r.frames[0].window.empty() ? cv::Rect(0, 0, r.frames[0].unlabelled.cols,
                                                             r.frames[0].unlabelled.rows)
                                                  : r.frames[0].window;
  const cv::Rect crop = (r.crop & all).empty() ? all : (r.crop & all);
  const cv::Rect closeup = (r.closeup & all).empty() ? crop : (r.closeup & all);
  const bool with_before =
      !r.before.empty() && (all & cv::Rect(0, 0, r.before.cols, r.before.rows)) == all;
  const int n = static_cast<int>(r.frames.size()) + (with_before ? 1 : 0);
  // Columns about 440 px tall and at most 480 px wide: a head a client recognises and a caption
  // that stays readable when the strip is shown as a thumbnail; narrower when there are many.
  const int gap = 10, inner = 6, caption = 100;
  double sc = 440.0 / crop.height;
  sc = std::min(sc, 480.0 / crop.width);
  sc = std::min(sc, (4800.0 - (n - 1) * gap) / (n * static_cast<double>(crop.width)));
  // The title: what this is, under which conditions, and the answer, on the right when there is
  // room beside the title, else on a third line.
  const std::string heading = "How the SMP fades over the years";
  const std::string answer =
      r.touch_up_year ? "touch-up due at " + fmt("%.1f", *r.touch_up_year) + " years"
                      : "no touch-up due within " + fmt("%.0f", opt.horizon_years) + " years";
  int base = 0;
  const int heading_w = cv::getTextSize(heading, cv::FONT_HERSHEY_DUPLEX, 0.9, 1, &base).width,
            answer_w = cv::getTextSize(answer, cv::FONT_HERSHEY_DUPLEX, 0.9, 1, &base).width;
  const cv::Size head(std::max(1, cvRound(crop.width * sc)),
                      std::max(1, cvRound(crop.height * sc)));
  const int cw = head.width;
  const cv::Size close(
      cw, std::max(1, cvRound(cw * static_cast<double>(closeup.height) / closeup.width)));
  const int col_h = head.height + inner + close.height;
  const int width = n * cw + (n - 1) * gap;
  const bool beside = 8 + heading_w + 40 + answer_w + 8 <= width;
  const int title = beside ? 64 : 92;
  cv::Mat strip(title + col_h + caption, width, CV_8UC3, cv::Scalar(255, 255, 255));

  const FadingConditions& c = opt.conditions;
  std::string cond = describe_conditions(opt);
  for (size_t i = 0; i < c.touch_ups.size(); ++i)
    cond += (i == 0 ? ", touch-up at year " : ", ") + fmt("%g", c.touch_ups[i]);
  const cv::Scalar ink(30, 30, 30), grey(80, 80, 80), due(30, 30, 200), redone(40, 130, 40);
  cv::putText(strip, heading, cv::Point(8, 30), cv::FONT_HERSHEY_DUPLEX, 0.9, ink, 1, cv::LINE_AA);
  cv::putText(strip, cond, cv::Point(8, 54), cv::FONT_HERSHEY_SIMPLEX, 0.6, grey, 1, cv::LINE_AA);
  cv::putText(strip, answer, beside ? cv::Point(width - answer_w - 8, 30) : cv::Point(8, 84),
              cv::FONT_HERSHEY_DUPLEX, 0.9, r.touch_up_year ? due : redone, 1, cv::LINE_AA);

  const double zoom = static_cast<double>(cw) / closeup.width;
  // `src` holds the photo from `origin` on (photo px).
  auto column = [&](int i, const cv::Mat& src, cv::Point origin, bool simulated,
                    const std::vector<std::pair<std::string, cv::Scalar>>& lines) {
    const int x0 = i * (cw + gap);
    cv::Mat h = fit(src(crop - origin), head), z = fit(src(closeup - origin), close);
    if (!simulated) {
      // Where the close-up comes from, on the client's own photo.
      cv::Rect2d box((closeup.x - crop.x) * sc, (closeup.y - crop.y) * sc, closeup.width * sc,
                     closeup.height * sc);
      cv::rectangle(h, box, cv::Scalar(20, 20, 20), 3, cv::LINE_AA);
      cv::rectangle(h, box, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
      corner_tag(z, "close-up, " + fmt("%.1f", r.closeup_mm / 10) + " cm wide" +
                        (zoom > 1.05 ? " (x" + fmt("%.0f", zoom) + ")" : ""));
    } else if (opt.label) {
      draw_simulation_label(h);
      draw_simulation_label(z);
    }
    h.copyTo(strip(cv::Rect(x0, title, cw, head.height)));
    z.copyTo(strip(cv::Rect(x0, title + head.height + inner, cw, close.height)));
    int y = title + col_h + 8;
    for (size_t k = 0; k < lines.size(); ++k) {
      bool big = k == 0;
      y += (big ? 26 : 26);
      centred_text(strip, lines[k].first, x0, cw, y,
                   big ? cv::FONT_HERSHEY_DUPLEX : cv::FONT_HERSHEY_SIMPLEX, big ? 0.95 : 0.7,
                   lines[k].second, big ? 2 : (k == 2 ? 2 : 1));
    }
  };

  int col = 0;
  if (with_before)
    column(col++, r.before, cv::Point(0, 0), false, {{"Before", ink}, {"your photo", grey}});
  for (const AgeFrame& f : r.frames) {
    // Year, contrast share (rounded down, so 69.6 % never reads as the 70 % threshold) and, past
    // the threshold, "touch-up due"; right after a planned touch-up, "touched up".
    std::vector<std::pair<std::string, cv::Scalar>> lines = {
        {"Year " + fmt("%g", std::round(f.year * 100) / 100), ink},
        {"contrast " + fmt("%.0f %%", std::floor(f.share * 100 + 1e-9)), grey}};
    // Due when the model (which dates the touch-up) or the frame itself is past the threshold.
    if (f.share < opt.threshold || f.share_model < opt.threshold)
      lines.emplace_back("touch-up due", due);
    else if (f.state.since_touch_up + 1e-9 < f.year)
      lines.emplace_back("touched up at " + fmt("%g", f.year - f.state.since_touch_up), redone);
    column(col++, f.unlabelled, all.tl(), true, lines);
  }
  return strip;
}

ContrastPlot make_age_plot(const AgeResult& r, const AgeOptions& opt) {
  ContrastPlot p;
  p.title = r.model_only ? "How SMP fades (reference scalp)" : "How this SMP fades";
  const FadingConditions& c = opt.conditions;
  p.subtitle = describe_conditions(opt) + (r.scar_impressions ? ", scar zones in the design" : "");
  for (size_t i = 0; i < c.touch_ups.size(); ++i)
    p.subtitle += (i == 0 ? "; touch-ups planned at " : ", ") + fmt("%g", c.touch_ups[i]) +
                  (i + 1 == c.touch_ups.size() ? " y" : "");
  p.curve = r.curve;
  for (const AgeFrame& f : r.frames)
    if (!r.model_only) p.frames.emplace_back(f.year, f.share);
  p.touch_ups = c.touch_ups;
  p.threshold = opt.threshold;
  p.touch_up_year = r.touch_up_year;
  double x = 8;
  for (const AgeFrame& f : r.frames) x = std::max(x, f.year);
  for (double t : c.touch_ups) x = std::max(x, t + 2);
  if (r.touch_up_year) x = std::max(x, *r.touch_up_year + 2);
  p.x_max = std::min(std::ceil(x), std::max(opt.horizon_years, kMaxAgeYears));
  // The curve stops at the model's horizon; do not draw an empty tail beyond it.
  if (!r.curve.empty()) p.x_max = std::min(p.x_max, std::ceil(r.curve.back().x));
  return p;
}

nlohmann::json to_json(const FadingParams& p) {
  return {{"healing_loss", p.healing_loss},
          {"healing_tau_years", p.healing_tau_years},
          {"clearance_per_year", p.clearance_per_year},
          {"uv_per_year", p.uv_per_year},
          {"sun_factor", {{"low", p.sun_low}, {"moderate", p.sun_moderate}, {"high", p.sun_high}}},
          {"skin_uv_factor", std::vector<double>(p.skin_uv, p.skin_uv + 6)},
          {"scar_extra_healing_loss", p.scar_extra_healing_loss},
          {"scar_rate_factor", p.scar_rate_factor},
          {"spread_max", p.spread_max},
          {"soften_max", p.soften_max},
          {"spread_tau_years", p.spread_tau_years},
          {"scar_spread_factor", p.scar_spread_factor},
          {"tint_drift_bgr", {p.tint_drift[0], p.tint_drift[1], p.tint_drift[2]}},
          {"drift_tau_years", p.drift_tau_years}};
}

namespace {
double r4(double v) {
  return std::round(v * 1e4) / 1e4;
}
}  // namespace

nlohmann::json forecast_json(const AgeResult& r, const AgeOptions& opt) {
  using nlohmann::json;
  const FadingConditions& c = opt.conditions;
  json due = json::array();
  for (double t : r.touch_up_due) due.push_back(r4(t));
  return {{"conditions",
           {{"sun", to_string(c.sun)},
            {"skin_type", skin_type_roman(c.skin_type)},
            {"skin_type_source", opt.skin_type_source},
            {"scar", c.scar},
            {"scar_zone_impressions", r.scar_impressions},
            {"touch_ups_at", c.touch_ups},
            {"decay_rate_per_year", r4(decay_rate_per_year(c, opt.params))},
            {"healing_loss", r4(healing_loss(c, opt.params))}}},
          {"fitted_on", r.model_only ? "reference scalp" : "simulated photo"},
          {"threshold", opt.threshold},
          {"horizon_years", opt.horizon_years},
          {"touch_up_year", r.touch_up_year ? json(r4(*r.touch_up_year)) : json(nullptr)},
          {"touch_up_due", due},
          {"message", r.message}};
}

nlohmann::json to_json(const AgeResult& r, const AgeOptions& opt) {
  using nlohmann::json;
  auto lab = [&](const Lab& l) { return json::array({r4(l.L), r4(l.a), r4(l.b)}); };
  json years = json::array();
  for (const AgeFrame& f : r.frames) {
    json y = {{"year", f.year},
              {"delta_e2000", r4(f.measured.delta_e)},
              {"contrast_share", r4(f.share)},
              {"contrast_share_model", r4(f.share_model)},
              {"below_threshold", f.share < opt.threshold || f.share_model < opt.threshold},
              {"treated_lab", lab(f.measured.treated)},
              {"bare_lab", lab(f.measured.bare)},
              {"visible_density", r4(f.state.visible)},
              {"diameter_scale", r4(f.state.diameter_scale)},
              {"edge_soften", r4(f.state.soften)},
              {"colour_drift", r4(f.state.colour_drift)},
              {"years_since_touch_up", r4(f.state.since_touch_up)}};
    years.push_back(y);
  }
  json j = forecast_json(r, opt);
  j["model_only"] = r.model_only;
  j["contrast_model_overlap"] = r4(r.overlap);
  j["delta_e2000_year0"] = r4(r.delta_e0);
  j["years"] = years;
  j["model_check"] = {{"max_share_error", r4(r.max_model_error)}};
  j["model"] = to_json(opt.params);
  j["timings_ms"] = r.timings;
  return j;
}

}  // namespace smp
