#include "smp/plan/plan.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <map>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "smp/core/errors.h"
#include "smp/image/colour.h"

namespace smp {

namespace chr = std::chrono;

// ---- Dates and money ---------------------------------------------------------------------------

Date parse_date(const std::string& text, const std::string& field) {
  auto bad = [&](const std::string& why) {
    return UsageError(field + " '" + text + "': " + why +
                      " (expected YYYY-MM-DD, e.g. 2026-03-14)");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') throw bad("not a date");
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) throw bad("not a date");
  int y = std::stoi(text.substr(0, 4)), m = std::stoi(text.substr(5, 2)),
      d = std::stoi(text.substr(8, 2));
  if (y < 2000 || y > 2200) throw bad("year out of range 2000-2200");
  chr::year_month_day ymd{chr::year(y), chr::month(static_cast<unsigned>(m)),
                          chr::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) throw bad("no such day");
  return Date(ymd);
}

std::string iso_date(Date d) {
  chr::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

namespace {
std::string strftime_date(Date d, const std::string& pattern) {
  chr::year_month_day ymd(d);
  std::tm tm{};
  tm.tm_year = static_cast<int>(ymd.year()) - 1900;
  tm.tm_mon = static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
  tm.tm_mday = static_cast<int>(static_cast<unsigned>(ymd.day()));
  tm.tm_wday = static_cast<int>(chr::weekday(d).c_encoding());
  tm.tm_isdst = -1;
  char buf[128];
  size_t n = std::strftime(buf, sizeof buf, pattern.c_str(), &tm);
  return n ? std::string(buf, n) : iso_date(d);
}
}  // namespace

std::string format_date(Date d, const QuoteLocale& l) {
  return strftime_date(d, l.date_format);
}
std::string format_short_date(Date d, const QuoteLocale& l) {
  return strftime_date(d, l.short_date_format);
}

std::string format_money(double amount, const QuoteLocale& locale) {
  long long v = std::llround(amount);
  std::string digits = std::to_string(std::llabs(v));
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) grouped += locale.thousands_sep;
    grouped += digits[i];
  }
  if (v < 0) grouped = "-" + grouped;
  if (locale.symbol_after) return grouped + "\u00a0" + locale.currency_symbol;
  return locale.currency_symbol + grouped;
}

Date add_years(Date d, double years) {
  return d + chr::days(static_cast<int>(std::lround(years * 365.25)));
}

// ---- Zones -------------------------------------------------------------------------------------

const char* to_string(Zone z) {
  switch (z) {
    case Zone::kHairline:
      return "hairline";
    case Zone::kFrontal:
      return "frontal";
    case Zone::kMid:
      return "mid";
    case Zone::kCrown:
      return "crown";
    case Zone::kFull:
      return "full";
    case Zone::kScar:
      return "scar";
  }
  return "full";
}

const char* zone_title(Zone z) {
  switch (z) {
    case Zone::kHairline:
      return "Hairline";
    case Zone::kFrontal:
      return "Frontal scalp";
    case Zone::kMid:
      return "Mid scalp";
    case Zone::kCrown:
      return "Crown (vertex)";
    case Zone::kFull:
      return "Full head";
    case Zone::kScar:
      return "Scar camouflage";
  }
  return "";
}

Zone parse_zone(const std::string& n) {
  for (Zone z :
       {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown, Zone::kFull, Zone::kScar})
    if (n == to_string(z)) return z;
  throw UsageError("unknown zone '" + n + "' (hairline, frontal, mid, crown, full, scar)");
}

Bounds plausible_area(Zone z) {
  switch (z) {
    case Zone::kHairline:
      return {10, 120};
    case Zone::kFrontal:
      return {15, 220};
    case Zone::kMid:
      return {15, 220};
    case Zone::kCrown:
      return {10, 200};
    case Zone::kFull:
      return {40, 450};  // Norwood 6-7: about 200-400 cm²
    case Zone::kScar:
      return {0.5, 150};
  }
  return {0, kWholeScalpCm2};
}

double mask_area_cm2(const cv::Mat& mask8, double px_per_mm) {
  SMP_CHECK(mask8.type() == CV_8U);
  SMP_CHECK(px_per_mm > 0);
  return cv::countNonZero(mask8) / (px_per_mm * px_per_mm * 100.0);
}

namespace {

// 1 / cos(angle between the sphere's normal and the view), capped; 0 outside the outline.
inline double area_factor(double dx, double dy) {
  double r2 = dx * dx + dy * dy;
  if (r2 >= 1.0) return 1.0 / kMinCosine;
  return 1.0 / std::max(kMinCosine, std::sqrt(1.0 - r2));
}

}  // namespace

double surface_area_cm2(const cv::Mat& mask8, double px_per_mm, const HeadSphere& sp) {
  SMP_CHECK(mask8.type() == CV_8U);
  SMP_CHECK(px_per_mm > 0 && sp.radius_px > 0);
  double sum = 0;
  for (int y = 0; y < mask8.rows; ++y) {
    const uint8_t* m = mask8.ptr<uint8_t>(y);
    double dy = (y + 0.5 - sp.centre.y) / sp.radius_px;
    for (int x = 0; x < mask8.cols; ++x)
      if (m[x]) sum += area_factor((x + 0.5 - sp.centre.x) / sp.radius_px, dy);
  }
  return sum / (px_per_mm * px_per_mm * 100.0);
}

namespace {

// A head of 150-160 mm width: a sphere outside 55-110 mm radius means the outline is wrong.
constexpr double kTypicalHeadRadiusMm = 78;
constexpr double kVertexAboveGlabellaMm = 115;
// Where the crown ends at the fringe, behind the hairline along the top (a 78 mm head).
constexpr double kCrownEndMm = 200;
// Half-width of the treated top of the head, in sphere radii (~55 mm on a 78 mm head).
constexpr double kLateralLimit = 0.7;
// On a sphere the natural hairline sits about 30° above the horizontal through its centre,
// i.e. 60° forward of the top of the head.
constexpr double kHairlineElevationRad = 30.0 * M_PI / 180.0;

Zone zone_at(double behind_hairline_mm, const ZoneGeometry& g) {
  if (behind_hairline_mm < g.hairline_depth_mm) return Zone::kHairline;
  if (behind_hairline_mm < g.frontal_end_mm) return Zone::kFrontal;
  if (behind_hairline_mm < g.mid_end_mm) return Zone::kMid;
  return Zone::kCrown;
}

bool view_shows(View v, Zone z) {
  switch (v) {
    case View::kFront:
      return z == Zone::kHairline || z == Zone::kFrontal;
    case View::kTop:
      return z != Zone::kFull && z != Zone::kScar;
    case View::kSide:
      return z == Zone::kFrontal || z == Zone::kMid || z == Zone::kCrown;
  }
  return false;
}

// Lower is better: which view shows a zone with the least foreshortening.
int view_rank(Zone z, View v) {
  static const std::map<Zone, std::vector<View>> order = {
      {Zone::kHairline, {View::kFront, View::kTop}},
      {Zone::kFrontal, {View::kTop, View::kFront, View::kSide}},
      {Zone::kMid, {View::kTop, View::kSide}},
      {Zone::kCrown, {View::kTop, View::kSide}}};
  auto it = order.find(z);
  if (it == order.end()) return 99;
  auto pos = std::find(it->second.begin(), it->second.end(), v);
  return pos == it->second.end() ? 99 : static_cast<int>(pos - it->second.begin());
}

}  // namespace

ViewMeasurement measure_view(const Analysis& a, const std::string& source, const ZoneGeometry& g,
                             bool top_forehead_up) {
  ViewMeasurement m;
  m.source = source;
  m.view = a.view;
  m.px_per_mm = a.px_per_mm;
  m.scale_is_estimate = a.scale_is_estimate;
  SMP_CHECK(a.px_per_mm > 0);
  const cv::Mat& bald = a.scalp.bald_mask;
  m.zone_labels = cv::Mat::zeros(a.size, CV_8U);
  if (bald.empty()) return m;
  int y_limit = -1, x_hint = -1;
  if (const Face* f = a.face()) {
    y_limit = static_cast<int>(f->glabella().y);
    x_hint = static_cast<int>(f->glabella().x);
  }
  HeadSphere sp = fit_head_sphere(a.scalp.head_mask.empty() ? bald : a.scalp.head_mask, a.view,
                                  y_limit, x_hint);
  double r_mm = sp.radius_px / a.px_per_mm;
  if (r_mm < 55 || r_mm > 110) {
    m.warnings.push_back(source + ": head outline unclear (radius " + std::to_string(int(r_mm)) +
                         " mm); assumed a typical head");
    sp.radius_px = kTypicalHeadRadiusMm * a.px_per_mm;
    if (const Face* f = a.face())
      sp.centre = f->glabella() -
                  cv::Point2d(0, (80 - kTypicalHeadRadiusMm * std::sin(kHairlineElevationRad)) *
                                     a.px_per_mm);
    r_mm = kTypicalHeadRadiusMm;
  }
  // A head cut off by the top of the frame: the outline's top is the frame, not the vertex, so
  // the sphere would sit too low. Place it from the face instead (vertex ~115 mm above the
  // glabella on adult heads); the zones above the frame then count as not seen.
  const cv::Mat& head_mask = a.scalp.head_mask.empty() ? bald : a.scalp.head_mask;
  if (const Face* f = a.face(); f && a.view != View::kTop && sp.centre.y - sp.radius_px < 3) {
    double centre_y = f->glabella().y - (kVertexAboveGlabellaMm - r_mm) * a.px_per_mm;
    if (centre_y < sp.centre.y) sp.centre.y = centre_y;
  }
  if (a.scale_is_estimate) {
    const std::string assumed =
        a.scale_source == "eyes_estimate" ? "the eyes were assumed to be 63 mm apart"
        : a.view == View::kSide           ? "the head's length was assumed to be 190 mm"
                                          : "the head's width was assumed to be 150 mm";
    m.warnings.push_back(source + ": no face or marker for scale; " + assumed +
                         " (areas are estimates: add a calibration sticker)");
  }
  const double R = sp.radius_px;
  // Hairline elevation per column (front view): the angle, seen from the sphere's centre, of the
  // proposed hairline; pixels below it are forehead and are not treated.
  std::vector<double> hairline_y;
  double hl_x0 = 0, hl_x1 = 0;
  if (a.view == View::kFront && a.hairline && a.hairline->points.size() >= 2) {
    auto pts = a.hairline->points;
    std::sort(pts.begin(), pts.end(), [](auto& p, auto& q) { return p.x < q.x; });
    hl_x0 = pts.front().x, hl_x1 = pts.back().x;
    hairline_y.resize(a.size.width);
    for (int x = 0; x < a.size.width; ++x) {
      double cx = std::clamp(static_cast<double>(x), hl_x0, hl_x1);
      auto it =
          std::lower_bound(pts.begin(), pts.end(), cx, [](auto& p, double v) { return p.x < v; });
      if (it == pts.begin())
        hairline_y[x] = it->y;
      else if (it == pts.end())
        hairline_y[x] = pts.back().y;
      else {
        auto p0 = *(it - 1), p1 = *it;
        double t = p1.x > p0.x ? (cx - p0.x) / (p1.x - p0.x) : 0;
        hairline_y[x] = p0.y + t * (p1.y - p0.y);
      }
    }
  } else if (a.view == View::kFront) {
    m.warnings.push_back(source +
                         ": front view without a proposed hairline; hairline zone from the "
                         "typical position");
  }
  // Which way the face looks in a side view: towards the face box, else assumed image-left.
  double side_sign = 1;  // +1: face towards image left
  if (a.view == View::kSide) {
    if (const Face* f = a.face())
      side_sign = (f->box.x + f->box.width / 2 < sp.centre.x) ? 1 : -1;
    else
      m.warnings.push_back(source + ": side view without a face; assumed the face looks left");
  }
  // Where a point of the image (x, y; may lie outside the frame) falls: its zone, or -1 when it
  // is forehead, temple, below the equator or a zone this view does not show.
  // Where a point of the sphere falls (dx, dy in radii from the centre in the image, dz towards
  // the camera; the far side has dz < 0): its zone, or -1 when it is forehead, temple, below the
  // equator or a zone this view does not show. `behind` receives the arc behind the hairline.
  auto classify_at = [&](double dx, double dy, double z, double* behind = nullptr) -> int {
    double x = sp.centre.x + dx * R;  // image column
    double behind_mm = 0;
    if (a.view == View::kFront) {
      // Elevation of this point and of the hairline above it, on the sagittal arc.
      double elev = std::atan2(-dy, z);
      double hy = hairline_y.empty()
                      ? sp.centre.y - R * std::sin(kHairlineElevationRad)
                      : hairline_y[std::clamp(static_cast<int>(x), 0, a.size.width - 1)];
      double hdy = std::clamp((hy - sp.centre.y) / R, -1.0, 1.0);
      double hz = std::sqrt(std::max(0.0, 1.0 - dx * dx - hdy * hdy));
      double helev = std::atan2(-hdy, std::max(hz, 1e-6));
      behind_mm = (elev - helev) * r_mm;
      // Beside the hairline's ends it is temple: hair-bearing sides are not SMP zones here.
      if (!hairline_y.empty() && (x < hl_x0 - 0.1 * R || x > hl_x1 + 0.1 * R)) return -1;
    } else if (a.view == View::kTop) {
      double forward = top_forehead_up ? -dy : dy;  // towards the forehead
      double from_top = std::atan2(forward, z);
      behind_mm = (M_PI / 2 - kHairlineElevationRad - from_top) * r_mm;
    } else {
      double forward = side_sign * -dx;
      double elev = std::atan2(-dy, forward);  // 0 front, pi/2 top, pi back
      if (elev < 0) return -1;                 // below the head's equator: not scalp we treat
      behind_mm = (elev - kHairlineElevationRad) * r_mm;
    }
    if (behind) *behind = behind_mm;
    if (behind_mm < 0) return -1;  // forehead
    Zone zone = zone_at(behind_mm, g);
    if (!view_shows(a.view, zone)) return -1;
    return static_cast<int>(zone);
  };
  auto classify = [&](int x, int y) -> int {
    double dx = (x + 0.5 - sp.centre.x) / R, dy = (y + 0.5 - sp.centre.y) / R;
    double r2 = dx * dx + dy * dy;
    // Beyond the outline it is a neighbour's head or background segmented as skin, not scalp.
    if (r2 > 1.1) return -1;
    return classify_at(dx, dy, std::max(std::sqrt(std::max(0.0, 1.0 - r2)), 1e-6));
  };
  auto factor_at = [&](int x, int y) {
    return area_factor((x + 0.5 - sp.centre.x) / R, (y + 0.5 - sp.centre.y) / R);
  };
  // Front view: all bare skin behind the proposed hairline is treated, also where the scalp
  // analysis calls it forehead (below its natural hairline): a lowered hairline adds scalp.
  cv::Mat treated = bald;
  if (a.view == View::kFront && !a.parts.empty() && !hairline_y.empty())
    treated = bald | ((a.parts == static_cast<uint8_t>(Part::kSkin)) & head_mask);
  std::map<Zone, double> px_sum;
  for (int y = 0; y < treated.rows; ++y) {
    const uint8_t* b = treated.ptr<uint8_t>(y);
    uint8_t* lab = m.zone_labels.ptr<uint8_t>(y);
    for (int x = 0; x < bald.cols; ++x) {
      if (!b[x]) continue;
      int zi = classify(x, y);
      if (zi < 0) continue;
      px_sum[static_cast<Zone>(zi)] += factor_at(x, y);
      lab[x] = static_cast<uint8_t>(1 + zi);
    }
  }
  // The zones as this view would show them on the whole sphere, inside the frame or not: how
  // much of each the photo holds, and how much of what it holds is bald.
  // The measurement counts what faces the camera (capped near the outline): a surface element
  // dA contributes dA·min(1, cos/kMinCosine). Sampling the whole sphere, inside the frame or not
  // and round the far side, gives each zone's share the photo can show at all (the crown band
  // ends at the fringe, kCrownEndMm behind the hairline).
  std::map<Zone, double> expected, inside, inside_bald;
  {
    constexpr int kSamples = 40000;  // Fibonacci sphere: even spacing, ~0.6 mm on a head
    const double golden = M_PI * (3.0 - std::sqrt(5.0));
    for (int i = 0; i < kSamples; ++i) {
      double dy = 1.0 - 2.0 * (i + 0.5) / kSamples;
      double ring = std::sqrt(1.0 - dy * dy);
      double dx = ring * std::cos(golden * i), dz = ring * std::sin(golden * i);
      // The treated top of the head is about 11 cm wide: beyond, the sides keep their hair
      // (the fringe), so they are no part of a zone's expected surface.
      double lateral = a.view == View::kSide ? dz : dx;
      if (std::abs(lateral) > kLateralLimit) continue;
      double behind = 0;
      int zi = classify_at(dx, dy, dz, &behind);
      if (zi < 0 || behind > kCrownEndMm) continue;
      Zone zone = static_cast<Zone>(zi);
      expected[zone] += 1;
      if (dz <= 0) continue;
      int x = static_cast<int>(std::floor(sp.centre.x + dx * R));
      int y = static_cast<int>(std::floor(sp.centre.y + dy * R));
      if (x < 0 || y < 0 || x >= a.size.width || y >= a.size.height) continue;
      double w = std::min(1.0, dz / kMinCosine);
      inside[zone] += w;
      if (treated.at<uint8_t>(y, x)) inside_bald[zone] += w;
    }
  }
  double px_per_cm2 = a.px_per_mm * a.px_per_mm * 100.0;
  for (Zone z : {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown}) {
    if (!view_shows(a.view, z)) continue;
    double share = expected[z] > 0 ? inside[z] / expected[z] : 0;
    m.visible_share[z] = share;
    m.measured_cm2[z] = px_sum[z] / px_per_cm2;
    m.bare_share[z] = inside[z] > 0 ? inside_bald[z] / inside[z] : 0;
    if (share < kMinVisibleShare) {
      if (expected[z] > 0)
        m.warnings.push_back(source + ": " + (share > 0.05 ? "most of " : "") + "the " +
                             to_string(z) + " zone is out of sight in this " + to_string(a.view) +
                             " view (round the curve of the head or outside the frame)");
      continue;
    }
    m.zones_cm2[z] = m.measured_cm2[z];
  }
  // Hair on the head above the brows (eyebrows are hair in the parts map): none at all means a
  // bald or shaved head, whatever the frame cuts off.
  if (const Face* f = a.face(); f && !a.parts.empty()) {
    int y_end = static_cast<int>(f->glabella().y - 20 * a.px_per_mm);
    const cv::Mat& head = a.scalp.head_mask.empty() ? bald : a.scalp.head_mask;
    double hair = 0, skin = 0;
    for (int y = 0; y < std::min(y_end, a.size.height); ++y)
      for (int x = 0; x < a.size.width; ++x) {
        if (!head.at<uint8_t>(y, x)) continue;
        double dx = (x + 0.5 - sp.centre.x) / R, dy = (y + 0.5 - sp.centre.y) / R;
        if (dx * dx + dy * dy >= 1.1) continue;  // a neighbour's head, the background
        uint8_t p = a.parts.at<uint8_t>(y, x);
        hair += p == static_cast<uint8_t>(Part::kHair);
        skin += p == static_cast<uint8_t>(Part::kSkin);
      }
    if (hair + skin > 0) m.hair_share_above_brows = hair / (hair + skin);
  }
  m.norwood_stage = a.scalp.norwood.stage;
  return m;
}

NorwoodRange norwood_from_views(const std::vector<ViewMeasurement>& views) {
  for (const auto& v : views)
    if (v.view == View::kTop && v.norwood_stage > 0)
      return {v.norwood_stage, v.norwood_stage, "top photo " + v.source};
  for (const auto& v : views) {
    if (v.view == View::kTop || v.norwood_stage <= 0) continue;
    // No hair even at the temples: the fringe is low (7) or the head is shaved.
    if (v.hair_share_above_brows >= 0 && v.hair_share_above_brows < 0.05)
      return {6, 7,
              "no hair visible on the head in " + v.source + "; a shaved head looks the same"};
    if (v.norwood_stage >= 5)
      return {5, 7, "read from " + v.source + "; a front photo cannot tell 5, 6 and 7 apart"};
    return {v.norwood_stage, v.norwood_stage, "read from " + v.source};
  }
  return {};
}

Bounds typical_zone_area(Zone z) {
  // The zone bands of ZoneGeometry on a 150-160 mm wide head, between the temples / the fringe.
  switch (z) {
    case Zone::kHairline:
      return {35, 45};
    case Zone::kFrontal:
      return {70, 90};
    case Zone::kMid:
      return {75, 95};
    case Zone::kCrown:
      return {80, 120};
    case Zone::kFull:
      return {260, 350};
    case Zone::kScar:
      return {0, 0};
  }
  return {0, 0};
}

Bounds norwood_bald_share(int stage, Zone z) {
  // Share of each zone that is bald at a stage (Hamilton-Norwood drawings): the hairline recedes
  // first (2-3), the frontal scalp and the vertex follow (4-5), the bridge goes (6), and at 7
  // the horseshoe fringe sits lower so the crown is larger than its typical band.
  static const std::map<Zone, std::array<Bounds, 8>> table = {
      {Zone::kHairline, {{{0, 0}, {0, 0}, {0.2, 0.4}, {0.5, 0.8}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}}},
      {Zone::kFrontal,
       {{{0, 0}, {0, 0}, {0, 0}, {0.1, 0.3}, {0.5, 0.8}, {0.8, 1}, {1, 1}, {1, 1}}}},
      {Zone::kMid, {{{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0.1, 0.3}, {0.4, 0.7}, {0.9, 1}, {1, 1}}}},
      {Zone::kCrown,
       {{{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0.3, 0.6}, {0.6, 0.9}, {0.9, 1}, {1, 1.2}}}}};
  auto it = table.find(z);
  if (it == table.end()) return {0, 0};
  return it->second[std::clamp(stage, 0, 7)];
}

std::optional<ZoneArea> estimate_zone(Zone z, const NorwoodRange& n) {
  if (!n.known()) return std::nullopt;
  Bounds typ = typical_zone_area(z);
  double lo = 1e9, hi = 0;
  for (int s = n.low; s <= n.high; ++s) {
    Bounds share = norwood_bald_share(s, z);
    lo = std::min(lo, typ.low * share.low);
    hi = std::max(hi, typ.high * share.high);
  }
  if (hi < 1.0) return std::nullopt;
  ZoneArea e;
  e.zone = z;
  e.estimated = true;
  e.low_cm2 = std::round(lo);
  e.high_cm2 = std::round(hi);
  e.area_cm2 = std::round((lo + hi) / 2);
  std::string stage = n.low == n.high ? std::to_string(n.low)
                                      : std::to_string(n.low) + "-" + std::to_string(n.high);
  e.source = "estimate: Norwood " + stage + ", typical head";
  return e;
}

namespace {

std::string round_cm2(double v) {
  return std::to_string(std::lround(v));
}

std::string ask_for_view(Zone z) {
  return std::string("add a ") + (z == Zone::kHairline ? "front" : "top") +
         " photo or give --area-cm2 " + to_string(z) + "=X";
}

}  // namespace

std::vector<ZoneArea> pick_zones(const std::vector<ViewMeasurement>& views,
                                 const std::vector<Zone>& wanted,
                                 std::vector<std::string>& warnings, const NorwoodRange& norwood) {
  std::vector<ZoneArea> measured;
  for (Zone z : {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown}) {
    const ViewMeasurement* best = nullptr;
    for (const auto& v : views) {
      if (!v.zones_cm2.count(z)) continue;
      // Best view first; then the one holding more of the zone in its frame; then scale.
      auto key = [&](const ViewMeasurement& m) {
        double share = m.visible_share.count(z) ? m.visible_share.at(z) : 1.0;
        return std::make_tuple(view_rank(z, m.view), share < kFullyVisibleShare ? 1 : 0,
                               m.scale_is_estimate ? 1 : 0, -m.px_per_mm);
      };
      if (!best || key(v) < key(*best)) best = &v;
    }
    if (!best) continue;
    ZoneArea za{z, best->zones_cm2.at(z),
                std::string(to_string(best->view)) + " photo " + best->source};
    double share = best->visible_share.count(z) ? best->visible_share.at(z) : 1.0;
    if (share < kFullyVisibleShare) {
      // Part of the zone is outside the frame: assume the unseen part like the seen part.
      za.estimated = true;
      za.low_cm2 = za.area_cm2;
      za.area_cm2 = za.area_cm2 / std::max(share, kMinVisibleShare);
      za.high_cm2 = za.area_cm2;
      za.source += " (" + std::to_string(std::lround(share * 100)) + " % in sight, extrapolated)";
      warnings.push_back(
          std::string(zone_title(z)) + ": only " + std::to_string(std::lround(share * 100)) +
          " % of it can be seen in " + best->source + "; " + round_cm2(za.low_cm2) + "-" +
          round_cm2(za.high_cm2) + " cm² extrapolated (the rest assumed like the part seen; " +
          (z == Zone::kHairline ? "a front" : "a top") + " photo of the whole head measures it)");
    }
    measured.push_back(za);
  }
  auto find = [&](Zone z) -> const ZoneArea* {
    for (auto& m : measured)
      if (m.zone == z) return &m;
    return nullptr;
  };
  std::string stage_text = norwood.low == norwood.high ? "Norwood " + std::to_string(norwood.low)
                                                       : "Norwood " + std::to_string(norwood.low) +
                                                             "-" + std::to_string(norwood.high);
  // A zone no photo shows: estimated when the stage (or the client's request) says it is
  // treated; always with a warning that names the photo that would measure it.
  auto estimate_missing = [&](Zone z, bool asked) -> std::optional<ZoneArea> {
    std::optional<ZoneArea> e = estimate_zone(z, norwood);
    if (!e && asked) {
      Bounds typ = typical_zone_area(z);
      e = ZoneArea{
          z,       std::round((typ.low + typ.high) / 2), "estimate: typical area", true, typ.low,
          typ.high};
    }
    if (e) {
      warnings.push_back(std::string(zone_title(z)) + ": not shown by the photos; ESTIMATED at " +
                         round_cm2(e->low_cm2) + "-" + round_cm2(e->high_cm2) + " cm² from " +
                         (norwood.known() && e->source.rfind("estimate: Norwood", 0) == 0
                              ? stage_text + " (" + norwood.reason + ")"
                              : std::string("a typical head")) +
                         ", not measured: " + ask_for_view(z));
    } else if (z == Zone::kCrown || !norwood.known()) {
      warnings.push_back(std::string(zone_title(z)) + ": not visible in the photos" +
                         (norwood.known() ? " and not expected bald at " + stage_text : "") +
                         ", so not quoted; a top photo shows whether it thins too (" +
                         ask_for_view(z) + ")");
    }
    return e;
  };
  // A measurement far below what the stage implies is more likely a segmentation slip (shine
  // on a bald dome read as hair) than a small zone: say so rather than quote it quietly.
  for (const auto& m : measured)
    if (auto e = estimate_zone(m.zone, norwood); e && m.high() < 0.4 * e->low_cm2)
      warnings.push_back(std::string(zone_title(m.zone)) + ": measured " + round_cm2(m.high()) +
                         " cm², but " + stage_text + " implies " + round_cm2(e->low_cm2) + "-" +
                         round_cm2(e->high_cm2) +
                         " cm² (check the bald area on the photo, or give --area-cm2 " +
                         to_string(m.zone) + "=X); this is outside the usual range");
  std::vector<ZoneArea> out;
  bool want_full = std::find(wanted.begin(), wanted.end(), Zone::kFull) != wanted.end();
  if (want_full) {
    ZoneArea full{Zone::kFull, 0, ""};
    std::string parts;
    for (Zone z : {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown}) {
      std::optional<ZoneArea> part;
      if (const ZoneArea* m = find(z))
        part = *m;
      else
        part = estimate_missing(z, true);
      if (!part) continue;
      full.area_cm2 += part->area_cm2;
      full.low_cm2 += part->low();
      full.high_cm2 += part->high();
      full.estimated |= part->estimated;
      parts += (parts.empty() ? "" : " + ") + std::string(to_string(z)) +
               (part->estimated ? " (estimated)" : "");
    }
    full.source = "sum of " + (parts.empty() ? std::string("nothing") : parts);
    if (!full.estimated) full.low_cm2 = full.high_cm2 = 0;
    out.push_back(full);
  }
  for (auto& m : measured) {
    if (want_full) break;
    bool asked = std::find(wanted.begin(), wanted.end(), m.zone) != wanted.end();
    if (wanted.empty() ? m.area_cm2 >= 1.0 : asked) out.push_back(m);
  }
  if (wanted.empty() && !views.empty()) {
    for (Zone z : {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown})
      if (!find(z))
        if (auto e = estimate_missing(z, false)) out.push_back(*e);
  }
  for (Zone z : wanted) {
    if (z == Zone::kFull) continue;
    if (want_full && z != Zone::kScar) continue;
    if (z == Zone::kScar) {
      warnings.push_back(
          "scar: a scar cannot be measured from the photos; give its area with "
          "--area-cm2 scar=X");
      continue;
    }
    if (!find(z))
      if (auto e = estimate_missing(z, true)) out.push_back(*e);
  }
  // In head order, front to back.
  std::stable_sort(out.begin(), out.end(),
                   [](const ZoneArea& p, const ZoneArea& q) { return p.zone < q.zone; });
  return out;
}

// ---- Sessions ----------------------------------------------------------------------------------

namespace {

std::string grey_hex(double L) {
  L = std::clamp(L, 5.0, 90.0);
  double fy = (L + 16) / 116.0;
  double Y = fy > 6.0 / 29 ? fy * fy * fy : 3 * (6.0 / 29) * (6.0 / 29) * (fy - 4.0 / 29);
  int v = static_cast<int>(std::lround(std::clamp(linear_to_srgb(Y), 0.0, 1.0) * 255));
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", v, v, v);
  return buf;
}

double round_quarter(double h) {
  return std::round(h * 4) / 4;
}

}  // namespace

SessionPlan plan_sessions(double area_cm2, const ClientFactors& f, const PriceBook& book) {
  if (!(area_cm2 > 0)) throw UsageError("treated area must be more than 0 cm²");
  if (area_cm2 > 2 * kWholeScalpCm2)
    throw UsageError("treated area " + std::to_string(std::lround(area_cm2)) +
                     " cm² is more than a whole scalp (about 775 cm²)");
  SessionPlan p;
  p.area_cm2 = area_cm2;
  p.total_impressions = area_cm2 * book.impressions_per_cm2;
  int n = 3;
  if (area_cm2 < kSmallAreaCm2) {
    n = 2;
    p.reasons.push_back("small area (< 50 cm²): 2 sessions");
  } else {
    p.reasons.push_back("typical area: 3 sessions");
  }
  if (f.scar || f.alopecia || f.very_light_skin) {
    n += 1;
    p.reasons.push_back(std::string("+1 session for ") +
                        (f.scar       ? "scar tissue"
                         : f.alopecia ? "alopecia"
                                      : "very light skin") +
                        " (pigment is built up in more, lighter layers)");
  }
  // Session 1 lays the foundation (most impressions); each later one fewer, finer points.
  auto weights = [](int k) {
    std::vector<double> w(k);
    double sum = 0;
    for (int i = 0; i < k; ++i) sum += w[i] = 1.0 + 0.5 * (k - 1 - i) / std::max(1, k - 1);
    for (double& x : w) x /= sum;
    return w;
  };
  auto hours_for = [&](double impressions) {
    return std::max(1.0,
                    round_quarter(impressions / book.placement_rate_per_hour + kSessionSetupHours));
  };
  int base = n;
  while (hours_for(p.total_impressions * weights(n)[0]) > book.max_session_hours && n < 20) ++n;
  if (n > base)
    p.reasons.push_back("split into " + std::to_string(n) + " sessions so none exceeds " +
                        std::to_string(static_cast<int>(book.max_session_hours)) + " hours");
  // Pigment: a neutral grey near the client's hair lightness (SMP pigments are carbon dilutions),
  // lighter on very light skin, lighter first and deeper last.
  double target_L = 25;
  if (f.hair_srgb) {
    cv::Vec3b bgr((*f.hair_srgb)[2], (*f.hair_srgb)[1], (*f.hair_srgb)[0]);
    target_L = std::clamp(srgb8_to_lab(bgr).L, 15.0, 45.0);
  }
  if (f.very_light_skin) target_L += 5;
  auto w = weights(n);
  double cumulative = 0;
  for (int i = 0; i < n; ++i) {
    Session s;
    s.number = i + 1;
    s.impressions = p.total_impressions * w[i];
    s.hours = hours_for(s.impressions);
    s.density_per_cm2 = s.impressions / area_cm2;
    cumulative += s.density_per_cm2;
    s.cumulative_density = cumulative;
    if (i == 0) {
      s.shade = "foundation: 1-2 shades lighter than the target, even spread";
      s.shade_hex = grey_hex(target_L + 12);
    } else if (i == n - 1) {
      s.shade = "target shade, darker accents for depth and definition";
      s.shade_hex = grey_hex(target_L - 5);
    } else {
      s.shade = "target shade: build density between the first impressions";
      s.shade_hex = grey_hex(target_L);
    }
    p.total_hours += s.hours;
    p.sessions.push_back(s);
  }
  return p;
}

// ---- Cost --------------------------------------------------------------------------------------

Quote make_quote(const std::vector<ZoneArea>& zones, int sessions, const PriceBook& book,
                 const std::string& experience, Date issued) {
  Quote q;
  q.currency = book.currency;
  q.experience = experience;
  auto it = book.experience.find(experience);
  if (it == book.experience.end()) {
    std::string known;
    for (auto& [k, v] : book.experience) known += (known.empty() ? "" : ", ") + k;
    throw UsageError("--experience '" + experience + "': the price book knows " + known);
  }
  q.multiplier = it->second;
  PriceRange sum = book.base_fee;
  if (book.base_fee.high > 0)
    q.lines.push_back({"Consultation, design and patch test", book.base_fee});
  for (const auto& z : zones) {
    PriceRange rate = book.per_cm2, price;
    auto zp = book.zones.find(to_string(z.zone));
    std::string what = std::string(zone_title(z.zone)) + ", " +
                       (z.estimated ? std::to_string(std::lround(z.low())) + "-" +
                                          std::to_string(std::lround(z.high())) + " cm² (estimated)"
                                    : std::to_string(std::lround(z.area_cm2)) + " cm²");
    if (zp != book.zones.end() && zp->second.flat) {
      price = *zp->second.flat;
    } else {
      if (zp != book.zones.end() && zp->second.per_cm2) rate = *zp->second.per_cm2;
      // An estimated area quotes its whole range: low rate on the low area, high on the high.
      price = {rate.low * z.low(), rate.high * z.high()};
    }
    // Each line in round figures too, rounded outwards, so the lines add up to the subtotal.
    price = {std::floor(price.low / book.round_to) * book.round_to,
             std::ceil(price.high / book.round_to) * book.round_to};
    q.lines.push_back({what, price});
    sum.low += price.low;
    sum.high += price.high;
  }
  double floor = book.session_floor * sessions;
  q.subtotal.low = std::max(sum.low * q.multiplier, floor);
  q.subtotal.high = std::max(sum.high * q.multiplier, floor);
  // Rounded outwards: a range in round figures, never a fake-precise one.
  double r = book.round_to;
  q.subtotal.low = std::floor(q.subtotal.low / r) * r;
  q.subtotal.high = std::ceil(q.subtotal.high / r) * r;
  q.tax_rate = book.tax_rate;
  q.tax = {q.subtotal.low * book.tax_rate, q.subtotal.high * book.tax_rate};
  q.total = {q.subtotal.low + q.tax.low, q.subtotal.high + q.tax.high};
  q.deposit = {std::round(q.total.low * book.deposit_percent / 100.0),
               std::round(q.total.high * book.deposit_percent / 100.0)};
  q.touch_up = {std::floor(book.touch_up.low * q.multiplier / r) * r,
                std::ceil(book.touch_up.high * q.multiplier / r) * r};
  q.issued = issued;
  q.valid_until = issued + chr::days(book.quote_valid_days);
  return q;
}

// ---- The plan ----------------------------------------------------------------------------------

Plan make_plan(const PlanInput& in, const PriceBook& book) {
  Plan p;
  Stopwatch sw;
  p.client_name = in.client_name;
  p.zones = in.zones;
  p.warnings = in.warnings;
  p.norwood = in.norwood;
  for (const auto& z : p.zones) p.has_estimates |= z.estimated;
  if (p.zones.empty())
    throw UsageError(
        "nothing to plan: no treated zone (give photos showing the bald scalp, or "
        "--area-cm2)");
  ClientFactors f = in.factors;
  for (const auto& z : p.zones) {
    p.total_area_cm2 += z.area_cm2;
    if (z.zone == Zone::kScar) f.scar = true;
    Bounds b = plausible_area(z.zone);
    if (z.area_cm2 < b.low || z.area_cm2 > b.high)
      p.warnings.push_back(std::string(zone_title(z.zone)) + ": " +
                           std::to_string(std::lround(z.area_cm2)) + " cm² is outside the usual " +
                           std::to_string(static_cast<int>(b.low)) + "-" +
                           std::to_string(static_cast<int>(b.high)) +
                           " cm²; check the photos' scale before quoting");
  }
  if (p.total_area_cm2 > kWholeScalpCm2)
    p.warnings.push_back("total " + std::to_string(std::lround(p.total_area_cm2)) +
                         " cm² is more than a whole scalp (about 775 cm²); an area is counted "
                         "twice or the scale is wrong");
  // What changes the quote first (estimates, implausible areas), then notes on the photos.
  std::stable_partition(p.warnings.begin(), p.warnings.end(), [](const std::string& w) {
    return w.find("ESTIMATED") != std::string::npos ||
           w.find("extrapolated") != std::string::npos ||
           w.find("outside the usual") != std::string::npos ||
           w.find("whole scalp") != std::string::npos;
  });
  p.sessions = plan_sessions(p.total_area_cm2, f, book);
  p.timings["sessions"] = sw.elapsed_ms();
  sw.restart();
  // Schedule: consultation and patch test today, session 1 once the patch test has been read.
  Date start = in.start;
  p.schedule.push_back(
      {"consultation", start, std::nullopt, "Consultation: photos, hairline design, quote", 0});
  Date first = start + chr::days(book.patch_test_days_before);
  p.schedule.push_back({"patch_test", start, std::nullopt,
                        "Patch test: a few impressions behind the ear, checked before session 1",
                        0});
  Date d = first;
  for (auto& s : p.sessions.sessions) {
    s.date = d;
    std::ostringstream what;
    what << "Session " << s.number << " of " << p.sessions.sessions.size() << " (about " << s.hours
         << " h)";
    p.schedule.push_back({"session", d, std::nullopt, what.str(), s.number});
    for (const auto& r : book.aftercare)
      p.aftercare.push_back({s.number, r.text, d + chr::days(r.from_day), d + chr::days(r.to_day),
                             r.from_day, r.to_day});
    d += chr::days(book.session_interval_days);
  }
  Date last = p.sessions.sessions.back().date;
  auto years = in.touch_up_years.value_or(std::make_pair(4.0, 6.0));
  p.touch_up_source = in.touch_up_years
                          ? (in.touch_up_source.empty() ? "fading model" : in.touch_up_source)
                          : "typical fading (4-6 years)";
  p.touch_up_from = add_years(last, years.first);
  p.touch_up_to = add_years(last, years.second);
  p.schedule.push_back(
      {"touch_up", p.touch_up_from, p.touch_up_to,
       "Touch-up session when the impressions have faded (" + p.touch_up_source + ")", 0});
  p.quote =
      make_quote(p.zones, static_cast<int>(p.sessions.sessions.size()), book, in.experience, start);
  p.timings["schedule_quote"] = sw.elapsed_ms();
  return p;
}

nlohmann::json to_json(const Plan& p, const PriceBook& book) {
  using nlohmann::json;
  auto r1 = [](double v) { return std::round(v * 10) / 10; };
  auto range = [](const PriceRange& r) { return json{{"low", r.low}, {"high", r.high}}; };
  json j;
  j["client"] = p.client_name;
  json zones = json::array();
  for (const auto& z : p.zones) {
    json zj = {{"name", to_string(z.zone)},
               {"title", zone_title(z.zone)},
               {"area_cm2", r1(z.area_cm2)},
               {"estimated", z.estimated},
               {"source", z.source}};
    if (z.estimated) {
      zj["low_cm2"] = r1(z.low());
      zj["high_cm2"] = r1(z.high());
    }
    zones.push_back(zj);
  }
  j["zones"] = zones;
  j["total_area_cm2"] = r1(p.total_area_cm2);
  j["area_is_estimate"] = p.has_estimates;
  if (p.norwood.known())
    j["norwood"] = {{"low", p.norwood.low}, {"high", p.norwood.high}, {"reason", p.norwood.reason}};
  json sessions = json::array();
  for (const auto& s : p.sessions.sessions)
    sessions.push_back({{"number", s.number},
                        {"date", iso_date(s.date)},
                        {"hours", s.hours},
                        {"impressions", std::lround(s.impressions / 100.0) * 100},
                        {"target_density_per_cm2", r1(s.density_per_cm2)},
                        {"cumulative_density_per_cm2", r1(s.cumulative_density)},
                        {"shade", s.shade},
                        {"shade_hex", s.shade_hex}});
  j["sessions"] = sessions;
  j["session_rules"] = {
      {"reasons", p.sessions.reasons},
      {"total_hours", p.sessions.total_hours},
      {"total_impressions", std::lround(p.sessions.total_impressions / 100.0) * 100},
      {"impressions_per_cm2", book.impressions_per_cm2},
      {"placement_rate_per_hour", book.placement_rate_per_hour},
      {"interval_days", book.session_interval_days}};
  const Quote& q = p.quote;
  json lines = json::array();
  for (const auto& l : q.lines)
    lines.push_back({{"what", l.what}, {"low", l.price.low}, {"high", l.price.high}});
  j["cost"] = {{"low", q.total.low},
               {"high", q.total.high},
               {"currency", q.currency},
               {"text", format_money(q.total.low, book.locale) + " - " +
                            format_money(q.total.high, book.locale)},
               {"subtotal", range(q.subtotal)},
               {"tax_rate", q.tax_rate},
               {"tax", range(q.tax)},
               {"deposit", range(q.deposit)},
               {"touch_up", range(q.touch_up)},
               {"experience", q.experience},
               {"experience_multiplier", q.multiplier},
               {"lines", lines},
               {"issued", iso_date(q.issued)},
               {"valid_until", iso_date(q.valid_until)}};
  json sched = json::array();
  for (const auto& e : p.schedule) {
    json ev = {{"kind", e.kind}, {"date", iso_date(e.date)}, {"what", e.what}};
    if (e.until) ev["until"] = iso_date(*e.until);
    if (e.session) ev["session"] = e.session;
    sched.push_back(ev);
  }
  json after = json::array();
  for (const auto& a : p.aftercare)
    after.push_back({{"session", a.session},
                     {"text", a.text},
                     {"from", iso_date(a.from)},
                     {"to", iso_date(a.to)},
                     {"from_day", a.from_day},
                     {"to_day", a.to_day}});
  j["schedule"] = {{"events", sched},
                   {"aftercare", after},
                   {"touch_up",
                    {{"from", iso_date(p.touch_up_from)},
                     {"to", iso_date(p.touch_up_to)},
                     {"source", p.touch_up_source}}}};
  j["clinic"] = {{"name", book.clinic_name}, {"price_book", book.source}};
  j["warnings"] = p.warnings;
  j["timings_ms"] = p.timings;
  return j;
}

}  // namespace smp
