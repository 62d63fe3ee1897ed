#include "smp/plan/report.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "smp/core/errors.h"
#include "smp/core/text.h"
#include "smp/image/image_io.h"

namespace smp {

namespace {

constexpr const char* kNotGuarantee = "Simulated result, not a guarantee";
constexpr const char* kAreaEstimateNote =
    "Part of this area is an ESTIMATE, not a measurement: the photos do not show the whole "
    "scalp. A photo from above (or the areas measured at the consultation) makes the quote "
    "firm.";

// "18 cm²", or "70-90 cm²" for an estimated zone: the range the quote is built on.
std::string area_text(const ZoneArea& z) {
  if (!z.estimated) return std::to_string(std::lround(z.area_cm2)) + " cm²";
  return std::to_string(std::lround(z.low())) + "-" + std::to_string(std::lround(z.high())) +
         " cm²";
}
constexpr const char* kEstimateNote =
    "Areas, sessions and prices are estimates from photographs. The final plan and price are "
    "confirmed in person after the patch test.";

std::string to_text(double v, int decimals) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(decimals);
  os << v;
  return os.str();
}

std::string hours_text(double h) {
  // Quarter hours: "1.5 h", "2.25 h".
  std::string s = to_text(h, 2);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " h";
}

std::string money_range(const PriceRange& r, const QuoteLocale& l) {
  return format_money(r.low, l) + " \u2013 " + format_money(r.high, l);
}

std::string days_text(int from, int to) {
  if (from == to) return "day " + std::to_string(from);
  return "days " + std::to_string(from) + "\u2013" + std::to_string(to);
}

std::string date_span(Date a, Date b, const QuoteLocale& l) {
  return a == b ? format_short_date(a, l)
                : format_short_date(a, l) + "\u2013" + format_short_date(b, l);
}

// Shrinks a picture for the report: the page never needs more than ~180 dpi.
cv::Mat fit_pixels(const cv::Mat& bgr, double max_w, double max_h) {
  double s = std::min({1.0, max_w / bgr.cols, max_h / bgr.rows});
  if (s >= 1.0) return bgr;
  cv::Mat out;
  cv::resize(bgr, out, cv::Size(), s, s, cv::INTER_AREA);
  return out;
}

std::string css_colour(const cv::Scalar& bgr) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", int(bgr[2]), int(bgr[1]), int(bgr[0]));
  return buf;
}

const std::vector<Zone> kPhotoZones = {Zone::kHairline, Zone::kFrontal, Zone::kMid, Zone::kCrown};

}  // namespace

// ---- Shared pieces -----------------------------------------------------------------------------

FadingCurve generic_fading_curve(double touch_up_years, double x_max) {
  FadingCurve c;
  c.source = "typical fading (clinics' 4-6 years); not a model of this client";
  // share(t) = (1 - 0.10 (1 - e^{-t/0.125})) e^{-k t}, k so that share(touch_up_years) = 0.70.
  double heal = 0.10, tau = 0.125;
  double healed = 1 - heal * (1 - std::exp(-touch_up_years / tau));
  double k = std::log(healed / c.threshold) / touch_up_years;
  for (int i = 0; i <= 200; ++i) {
    double t = x_max * i / 200.0;
    c.points.push_back({t, (1 - heal * (1 - std::exp(-t / tau))) * std::exp(-k * t)});
  }
  return c;
}

cv::Scalar zone_colour(Zone z) {
  switch (z) {
    case Zone::kHairline:
      return {40, 150, 245};  // amber
    case Zone::kFrontal:
      return {160, 170, 30};  // teal
    case Zone::kMid:
      return {210, 120, 40};  // blue
    case Zone::kCrown:
      return {170, 60, 150};  // purple
    case Zone::kFull:
      return {120, 120, 120};
    case Zone::kScar:
      return {60, 60, 200};
  }
  return {128, 128, 128};
}

cv::Rect report_crop(const Analysis& a) {
  cv::Rect all(0, 0, a.size.width, a.size.height);
  const Face* f = a.face();
  if (!f) return all;
  // A head is about 2.2 face boxes tall above the chin line; keep the shoulders out.
  double w = f->box.width, h = f->box.height;
  cv::Rect r(static_cast<int>(f->box.x - 0.75 * w), static_cast<int>(f->box.y - 1.25 * h),
             static_cast<int>(2.5 * w), static_cast<int>(2.6 * h));
  r &= all;
  return r.area() > 0 ? r : all;
}

cv::Mat draw_zone_overlay(const cv::Mat& bgr8, const ViewMeasurement& m, const Analysis& a) {
  SMP_CHECK(bgr8.type() == CV_8UC3);
  cv::Mat out = bgr8.clone();
  if (!m.zone_labels.empty() && m.zone_labels.size() == bgr8.size()) {
    for (Zone z : kPhotoZones) {
      cv::Mat mask = m.zone_labels == (1 + static_cast<int>(z));
      if (!cv::countNonZero(mask)) continue;
      cv::Mat tint(out.size(), CV_8UC3, zone_colour(z)), blended;
      cv::addWeighted(out, 0.55, tint, 0.45, 0, blended);
      blended.copyTo(out, mask);
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
      int thick = std::max(1, static_cast<int>(std::lround(std::max(out.cols, out.rows) / 900.0)));
      cv::drawContours(out, contours, -1, zone_colour(z), thick, cv::LINE_AA);
    }
  }
  if (a.hairline) {
    std::vector<cv::Point> pts;
    for (const auto& p : a.hairline->points) pts.emplace_back(cvRound(p.x), cvRound(p.y));
    int thick = std::max(2, static_cast<int>(std::lround(std::max(out.cols, out.rows) / 450.0)));
    cv::polylines(out, pts, false, cv::Scalar(255, 255, 255), thick + 2, cv::LINE_AA);
    cv::polylines(out, pts, false, cv::Scalar(180, 40, 200), thick, cv::LINE_AA);
  }
  return out;
}

// ---- HTML --------------------------------------------------------------------------------------

namespace {

std::string data_uri(const cv::Mat& bgr) {
  cv::Mat small = fit_pixels(bgr, 900, 900);
  return "data:image/jpeg;base64," + base64(encode_image(small, "jpg", {.jpeg_quality = 88}));
}

std::string fading_svg(const FadingCurve& c, const Plan& p) {
  const double W = 640, H = 220, L = 46, R = 14, T = 14, B = 34;
  double x_max = c.points.empty() ? 10 : c.points.back().x;
  auto X = [&](double t) { return L + (W - L - R) * t / x_max; };
  auto Y = [&](double s) { return T + (H - T - B) * (1 - s); };
  auto years_after = [&](Date d) { return (d - p.sessions.sessions.back().date).count() / 365.25; };
  std::ostringstream o;
  o << "<svg viewBox='0 0 " << W << " " << H << "' width='100%' role='img' "
    << "aria-label='Fading over the years'>";
  double t0 = years_after(p.touch_up_from), t1 = years_after(p.touch_up_to);
  o << "<rect x='" << X(t0) << "' y='" << T << "' width='" << X(t1) - X(t0) << "' height='"
    << H - T - B << "' fill='#f6e7c8'/>";
  for (int i = 0; i <= 4; ++i) {
    double s = i * 0.25;
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(s) << "' y2='" << Y(s)
      << "' stroke='#e3e3e3'/><text x='" << L - 6 << "' y='" << Y(s) + 4
      << "' font-size='11' text-anchor='end' fill='#666'>" << i * 25 << "%</text>";
  }
  for (int y = 0; y <= static_cast<int>(x_max); y += 2)
    o << "<text x='" << X(y) << "' y='" << H - B + 16 << "' font-size='11' text-anchor='middle' "
      << "fill='#666'>" << y << "</text>";
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 4
    << "' font-size='11' text-anchor='middle' fill='#444'>years after the last session</text>";
  o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(c.threshold) << "' y2='"
    << Y(c.threshold) << "' stroke='#b5651d' stroke-dasharray='5,4'/>";
  o << "<text x='" << W - R - 4 << "' y='" << Y(c.threshold) - 5
    << "' font-size='11' text-anchor='end' fill='#b5651d'>touch-up due below "
    << static_cast<int>(std::lround(c.threshold * 100)) << "%</text>";
  o << "<polyline fill='none' stroke='#1f6f78' stroke-width='2.5' points='";
  for (const auto& pt : c.points) o << X(pt.x) << "," << Y(std::clamp(pt.y, 0.0, 1.0)) << " ";
  o << "'/></svg>";
  return o.str();
}

}  // namespace

std::string render_html(const Plan& p, const PriceBook& book, const ReportImages& img,
                        const FadingCurve& fading) {
  const QuoteLocale& l = book.locale;
  const Quote& q = p.quote;
  std::ostringstream o;
  auto e = html_escape;
  o << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
    << "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    << "<title>SMP consultation" << (p.client_name.empty() ? "" : " \u2013 " + e(p.client_name))
    << "</title><style>"
    << "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;max-width:820px;"
       "margin:24px auto;padding:0 18px;line-height:1.4;font-size:14px}"
    << "header{display:flex;justify-content:space-between;border-bottom:2px solid #1f6f78;"
       "padding-bottom:8px;margin-bottom:14px}"
    << "h1{font-size:22px;margin:0;color:#1f6f78}h2{font-size:16px;color:#1f6f78;"
       "border-bottom:1px solid #ddd;padding-bottom:3px;margin-top:22px}"
    << ".muted{color:#666;font-size:12px}.right{text-align:right}"
    << ".photos{display:flex;gap:12px}.photos figure{flex:1;margin:0}"
    << ".photos img{width:100%;border-radius:4px;display:block}"
    << "figcaption{font-size:12px;color:#444;margin-top:4px}"
    << ".warn-label{color:#a33;font-weight:bold}"
    << "table{border-collapse:collapse;width:100%}td,th{padding:5px 8px;border-bottom:1px solid "
       "#e5e5e5;text-align:left;vertical-align:top}th{background:#f3f7f7;font-size:13px}"
    << "td.num,th.num{text-align:right}.cost{font-size:24px;font-weight:bold;color:#1f6f78}"
    << ".swatch{display:inline-block;width:14px;height:14px;border-radius:50%;"
       "vertical-align:middle;margin-right:6px;border:1px solid #999}"
    << ".warnings{background:#fff6dc;border:1px solid #e8c66a;padding:8px 12px;border-radius:4px}"
    << ".estimate-note{background:#fff6dc;border-left:4px solid #c0392b;padding:6px 10px}"
    << ".est{color:#c0392b;font-size:75%;letter-spacing:.05em}"
    << "ul.check{list-style:none;padding-left:0}ul.check li{margin:6px 0}"
    << "ul.check li:before{content:'\\2610';margin-right:8px;font-size:16px}"
    << ".legend span{display:inline-block;margin-right:12px;font-size:12px}"
    << "footer{margin-top:26px;border-top:1px solid #ddd;padding-top:8px;font-size:12px;color:#555}"
    << "@media print{body{margin:0}h2{break-after:avoid}.page2{break-before:page}}"
    << "</style></head><body>\n";
  // Header
  o << "<header><div><h1>" << e(book.clinic_name.empty() ? "SMP consultation" : book.clinic_name)
    << "</h1><div class='muted'>";
  for (const auto* s : {&book.clinic_address, &book.clinic_phone, &book.clinic_email})
    if (!s->empty()) o << e(*s) << "<br>";
  o << "</div></div><div class='right'><strong>Scalp micropigmentation: consultation &amp; "
       "quote</strong><br>";
  if (!p.client_name.empty()) o << "Client: " << e(p.client_name) << "<br>";
  o << "Date: " << e(format_date(q.issued, l))
    << "<br>Valid until: " << e(format_date(q.valid_until, l)) << "</div></header>\n";
  // Photos
  o << "<section class='photos'>";
  if (!img.before.empty())
    o << "<figure><img alt='Before' src='" << data_uri(img.before)
      << "'><figcaption>Before</figcaption></figure>";
  if (!img.after.empty())
    o << "<figure><img alt='Simulated result' src='" << data_uri(img.after)
      << "'><figcaption><span class='warn-label'>" << kNotGuarantee
      << "</span></figcaption></figure>";
  if (!img.overlay.empty()) {
    o << "<figure><img alt='Proposed hairline and zones' src='" << data_uri(img.overlay)
      << "'><figcaption>Proposed hairline and treatment zones"
      << (img.after.empty() ? " (no simulation made)" : "") << "<div class='legend'>";
    for (Zone z : kPhotoZones)
      o << "<span><i class='swatch' style='background:" << css_colour(zone_colour(z)) << "'></i>"
        << zone_title(z) << "</span>";
    o << "</div></figcaption></figure>";
  }
  o << "</section>\n";
  // Zones
  o << "<h2>Treatment zones</h2>";
  if (p.has_estimates) o << "<p class='estimate-note'>" << e(kAreaEstimateNote) << "</p>";
  o << "<table><tr><th>Zone</th><th class='num'>Area</th><th>Measured from</th></tr>";
  for (const auto& z : p.zones)
    o << "<tr><td>" << zone_title(z.zone) << (z.estimated ? " <b class='est'>ESTIMATE</b>" : "")
      << "</td><td class='num'>" << e(area_text(z)) << "</td><td class='muted'>" << e(z.source)
      << "</td></tr>";
  o << "<tr><th>Total</th><th class='num'>" << (p.has_estimates ? "about " : "")
    << std::lround(p.total_area_cm2) << " cm²</th><th></th></tr></table>\n";
  // Cost
  o << "<h2>Estimated cost</h2><div class='cost'>" << e(money_range(q.total, l)) << "</div>"
    << "<div class='muted'>"
    << (q.tax_rate > 0 ? "including " + to_text(q.tax_rate * 100, 1) + " % tax" : "no tax applied")
    << "; practitioner level: " << e(q.experience) << "</div><table>";
  for (const auto& line : q.lines)
    o << "<tr><td>" << e(line.what) << "</td><td class='num'>" << e(money_range(line.price, l))
      << "</td></tr>";
  if (q.multiplier != 1.0)
    o << "<tr><td>Practitioner level (" << e(q.experience) << ")</td><td class='num'>\u00d7 "
      << to_text(q.multiplier, 2) << "</td></tr>";
  if (q.tax_rate > 0)
    o << "<tr><td>Tax " << to_text(q.tax_rate * 100, 1) << " %</td><td class='num'>"
      << e(money_range(q.tax, l)) << "</td></tr>";
  if (q.deposit.high > 0)
    o << "<tr><td>Deposit to book</td><td class='num'>" << e(money_range(q.deposit, l))
      << "</td></tr>";
  o << "<tr><td>Touch-up later (priced separately)</td><td class='num'>"
    << e(money_range(q.touch_up, l)) << "</td></tr></table>\n";
  if (!p.warnings.empty()) {
    o << "<h2>Please note</h2><div class='warnings'><ul>";
    for (const auto& w : p.warnings) o << "<li>" << e(w) << "</li>";
    o << "</ul></div>\n";
  }
  // Sessions
  o << "<div class='page2'><h2>Your sessions</h2><table><tr><th>Session</th><th>Date</th>"
       "<th class='num'>Duration</th><th class='num'>Impressions per cm²</th><th>Pigment "
       "shade</th></tr>";
  for (const auto& s : p.sessions.sessions)
    o << "<tr><td>" << s.number << "</td><td>" << e(format_date(s.date, l))
      << "</td><td class='num'>" << hours_text(s.hours) << "</td><td class='num'>"
      << std::lround(s.density_per_cm2) << " (total " << std::lround(s.cumulative_density)
      << ")</td><td><i class='swatch' style='background:" << s.shade_hex << "'></i>" << e(s.shade)
      << "</td></tr>";
  o << "</table><p class='muted'>About " << hours_text(p.sessions.total_hours)
    << " in all; sessions " << book.session_interval_days << " days apart. " << e([&] {
         std::string r;
         for (const auto& x : p.sessions.reasons) r += (r.empty() ? "" : "; ") + x;
         return r;
       }())
    << ".</p>\n";
  // Schedule
  o << "<h2>Schedule</h2><table>";
  for (const auto& ev : p.schedule)
    o << "<tr><td style='white-space:nowrap'>" << e(format_date(ev.date, l))
      << (ev.until ? " \u2013 " + e(format_date(*ev.until, l)) : "") << "</td><td>" << e(ev.what)
      << "</td></tr>";
  o << "</table>\n";
  // Aftercare
  o << "<h2>Aftercare after each session</h2><ul class='check'>";
  for (const auto& rule : book.aftercare) {
    o << "<li><strong>" << e(rule.text) << "</strong> <span class='muted'>("
      << days_text(rule.from_day, rule.to_day) << " after each session: ";
    bool first = true;
    for (const auto& a : p.aftercare)
      if (a.text == rule.text) {
        o << (first ? "" : ", ") << "S" << a.session << " " << e(date_span(a.from, a.to, l));
        first = false;
      }
    o << ")</span></li>";
  }
  o << "</ul>\n";
  // Fading
  o << "<h2>How the pigment fades</h2>" << fading_svg(fading, p) << "<p class='muted'>"
    << e(fading.source) << ". Touch-up expected " << e(format_date(p.touch_up_from, l))
    << " \u2013 " << e(format_date(p.touch_up_to, l)) << " (shaded).</p></div>\n";
  o << "<footer><strong>" << kNotGuarantee << ".</strong> " << kEstimateNote << " Prices in "
    << e(q.currency) << ", valid until " << e(format_date(q.valid_until, l))
    << ".</footer>\n</body></html>\n";
  return o.str();
}

// ---- PDF (Cairo) -------------------------------------------------------------------------------

namespace {

constexpr double kPageW = 595.276, kPageH = 841.89, kMargin = 42;
constexpr double kContentW = kPageW - 2 * kMargin;
const char* const kFont = "DejaVu Sans";

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.13, 0.13, 0.13}, kMuted{0.42, 0.42, 0.42}, kAccent{0.12, 0.435, 0.47},
    kRule{0.85, 0.85, 0.85}, kRed{0.65, 0.18, 0.18}, kHeadBg{0.95, 0.97, 0.97},
    kEstimateRed{0.75, 0.22, 0.17};

class Page {
 public:
  explicit Page(cairo_t* cr) : cr_(cr) {}
  void colour(Rgb c) { cairo_set_source_rgb(cr_, c.r, c.g, c.b); }
  void font(double size, bool bold = false) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    size_ = size;
  }
  double width(const std::string& s) {
    cairo_text_extents_t ex;
    cairo_text_extents(cr_, s.c_str(), &ex);
    return ex.x_advance;
  }
  // Baseline at y.
  void text(double x, double y, const std::string& s) {
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, s.c_str());
  }
  void text_right(double x_right, double y, const std::string& s) {
    text(x_right - width(s), y, s);
  }
  void text_centre(double xc, double y, const std::string& s) { text(xc - width(s) / 2, y, s); }
  // Word-wrapped paragraph from baseline y; returns the baseline after the last line.
  double para(double x, double y, double w, const std::string& s, double lead = 0) {
    if (lead <= 0) lead = size_ * 1.3;
    std::istringstream in(s);
    std::string word, line;
    while (in >> word) {
      std::string cand = line.empty() ? word : line + " " + word;
      if (!line.empty() && width(cand) > w) {
        text(x, y, line);
        y += lead;
        line = word;
      } else {
        line = cand;
      }
    }
    if (!line.empty()) {
      text(x, y, line);
      y += lead;
    }
    return y;
  }
  void rect(double x, double y, double w, double h, Rgb c) {
    colour(c);
    cairo_rectangle(cr_, x, y, w, h);
    cairo_fill(cr_);
  }
  void line(double x0, double y0, double x1, double y1, Rgb c, double width = 0.6) {
    colour(c);
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x1, y1);
    cairo_stroke(cr_);
  }
  void heading(double& y, const std::string& s) {
    y += 8;
    font(12.5, true);
    colour(kAccent);
    text(kMargin, y, s);
    line(kMargin, y + 4, kMargin + kContentW, y + 4, kRule);
    y += 18;
  }
  // The picture, scaled to fit (x, y, w, h) and centred; returns the rectangle used.
  cv::Rect2d image(const cv::Mat& bgr, double x, double y, double w, double h) {
    double s = std::min(w / bgr.cols, h / bgr.rows);
    double dw = bgr.cols * s, dh = bgr.rows * s;
    double dx = x + (w - dw) / 2, dy = y + (h - dh) / 2;
    // ~180 dpi is plenty on paper; JPEG bytes are handed to the PDF as they are.
    cv::Mat px = fit_pixels(bgr, dw * 2.5, dh * 2.5);
    cv::Mat bgra;
    cv::cvtColor(px, bgra, cv::COLOR_BGR2BGRA);
    cairo_surface_t* surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, bgra.cols, bgra.rows);
    unsigned char* dst = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int r = 0; r < bgra.rows; ++r) std::memcpy(dst + r * stride, bgra.ptr(r), bgra.cols * 4);
    cairo_surface_mark_dirty(surf);
    auto* jpeg = new std::vector<uint8_t>(encode_image(px, "jpg", {.jpeg_quality = 88}));
    cairo_surface_set_mime_data(
        surf, CAIRO_MIME_TYPE_JPEG, jpeg->data(), jpeg->size(),
        [](void* p) { delete static_cast<std::vector<uint8_t>*>(p); }, jpeg);
    cairo_save(cr_);
    cairo_translate(cr_, dx, dy);
    cairo_scale(cr_, dw / bgra.cols, dh / bgra.rows);
    cairo_set_source_surface(cr_, surf, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_GOOD);
    cairo_paint(cr_);
    cairo_restore(cr_);
    cairo_surface_destroy(surf);
    return {dx, dy, dw, dh};
  }
  void swatch(double cx, double cy, double r, const std::string& hex) {
    unsigned v = 0;
    std::sscanf(hex.c_str() + 1, "%x", &v);
    cairo_new_path(cr_);
    cairo_arc(cr_, cx, cy, r, 0, 2 * M_PI);
    cairo_set_source_rgb(cr_, ((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0,
                         (v & 255) / 255.0);
    cairo_fill_preserve(cr_);
    colour(kMuted);
    cairo_set_line_width(cr_, 0.5);
    cairo_stroke(cr_);
  }
  void checkbox(double x, double y_base, double s) {
    colour(kInk);
    cairo_set_line_width(cr_, 0.8);
    cairo_rectangle(cr_, x, y_base - s + 1, s, s);
    cairo_stroke(cr_);
  }
  cairo_t* cr() { return cr_; }

 private:
  cairo_t* cr_;
  double size_ = 10;
};

void footer(Page& pg, int page, int pages, const Plan& p, const PriceBook& book) {
  double y = kPageH - kMargin + 6;
  pg.line(kMargin, y - 14, kMargin + kContentW, y - 14, kRule);
  pg.font(7.5, true);
  pg.colour(kRed);
  pg.text(kMargin, y - 3, std::string(kNotGuarantee) + ".");
  double x = kMargin + pg.width(std::string(kNotGuarantee) + ". ");
  pg.font(7.5);
  pg.colour(kMuted);
  pg.para(x, y - 3, kContentW - (x - kMargin) - 60, kEstimateNote, 9.5);
  pg.text_right(kMargin + kContentW, y - 3,
                "Page " + std::to_string(page) + " of " + std::to_string(pages));
  (void)p;
  (void)book;
}

void fading_plot(Page& pg, double x, double y, double w, double h, const FadingCurve& c,
                 const Plan& p, const QuoteLocale& l) {
  const double L = 34, R = 8, T = 6, B = 24;
  double x_max = c.points.empty() ? 10 : c.points.back().x;
  auto X = [&](double t) { return x + L + (w - L - R) * t / x_max; };
  auto Y = [&](double s) { return y + T + (h - T - B) * (1 - s); };
  auto years_after = [&](Date d) { return (d - p.sessions.sessions.back().date).count() / 365.25; };
  double t0 = std::clamp(years_after(p.touch_up_from), 0.0, x_max);
  double t1 = std::clamp(years_after(p.touch_up_to), 0.0, x_max);
  pg.rect(X(t0), Y(1), X(t1) - X(t0), Y(0) - Y(1), {0.97, 0.91, 0.78});
  pg.font(7);
  for (int i = 0; i <= 4; ++i) {
    double s = i * 0.25;
    pg.line(X(0), Y(s), X(x_max), Y(s), kRule, 0.5);
    pg.colour(kMuted);
    pg.text_right(X(0) - 4, Y(s) + 2.5, std::to_string(i * 25) + "%");
  }
  for (int t = 0; t <= static_cast<int>(x_max); t += 1) {
    pg.line(X(t), Y(0), X(t), Y(0) + 3, kMuted, 0.5);
    pg.colour(kMuted);
    pg.text_centre(X(t), Y(0) + 11, std::to_string(t));
  }
  pg.text_centre(X(x_max / 2), Y(0) + 21, "years after the last session");
  // Threshold
  cairo_t* cr = pg.cr();
  double dash[] = {4, 3};
  cairo_set_dash(cr, dash, 2, 0);
  pg.line(X(0), Y(c.threshold), X(x_max), Y(c.threshold), {0.71, 0.4, 0.11}, 0.9);
  cairo_set_dash(cr, nullptr, 0, 0);
  pg.colour({0.71, 0.4, 0.11});
  pg.text_right(X(x_max) - 2, Y(c.threshold) - 4,
                "touch-up due below " +
                    std::to_string(static_cast<int>(std::lround(c.threshold * 100))) +
                    "% of the fresh contrast");
  pg.colour({0.55, 0.35, 0.1});
  auto year = [](Date d) {
    return std::to_string(static_cast<int>(std::chrono::year_month_day(d).year()));
  };
  pg.text_centre((X(t0) + X(t1)) / 2, Y(1) + 9,
                 "touch-up " + year(p.touch_up_from) + "\u2013" + year(p.touch_up_to));
  // Curve
  pg.colour(kAccent);
  cairo_set_line_width(cr, 1.8);
  for (size_t i = 0; i < c.points.size(); ++i) {
    double px = X(c.points[i].x), py = Y(std::clamp(c.points[i].y, 0.0, 1.0));
    if (i == 0)
      cairo_move_to(cr, px, py);
    else
      cairo_line_to(cr, px, py);
  }
  cairo_stroke(cr);
}

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<std::vector<uint8_t>*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

// Returns how many warnings it drew: the rest continue on page two (none is dropped).
size_t page_one(Page& pg, const Plan& p, const PriceBook& book, const ReportImages& img) {
  const QuoteLocale& l = book.locale;
  const Quote& q = p.quote;
  double y = kMargin + 14;
  // Header
  pg.font(17, true);
  pg.colour(kAccent);
  pg.text(kMargin, y, book.clinic_name.empty() ? "SMP consultation" : book.clinic_name);
  pg.font(9, true);
  pg.colour(kInk);
  pg.text_right(kMargin + kContentW, y - 4, "Scalp micropigmentation: consultation & quote");
  pg.font(8.5);
  double ry = y + 9;
  if (!p.client_name.empty()) {
    pg.text_right(kMargin + kContentW, ry, "Client: " + p.client_name);
    ry += 11;
  }
  pg.text_right(kMargin + kContentW, ry, "Date: " + format_date(q.issued, l));
  ry += 11;
  pg.text_right(kMargin + kContentW, ry, "Valid until: " + format_date(q.valid_until, l));
  pg.font(8);
  pg.colour(kMuted);
  double cy = y + 9;
  for (const auto* s : {&book.clinic_address, &book.clinic_phone, &book.clinic_email})
    if (!s->empty()) {
      pg.text(kMargin, cy, *s);
      cy += 10;
    }
  y = std::max(ry, cy) + 4;
  pg.line(kMargin, y, kMargin + kContentW, y, kAccent, 1.5);
  y += 12;
  // Photos: before and the simulated after side by side (the zone overlay when there is no
  // simulation); with a simulation the overlay sits beside the zone table.
  auto legend = [&](double x_left, double x_right, double y0) {
    // Zone colours, right-aligned, wrapping onto a second row when narrow.
    pg.font(7.5);
    double lx = x_right, ly = y0;
    for (auto it = kPhotoZones.rbegin(); it != kPhotoZones.rend(); ++it) {
      double w = pg.width(zone_title(*it)) + 22;
      if (lx - w < x_left) lx = x_right, ly += 11;
      lx -= w - 22;
      pg.colour(kInk);
      pg.text(lx, ly + 4, zone_title(*it));
      cv::Scalar c = zone_colour(*it);
      pg.rect(lx - 11, ly - 3.5, 8, 8, {c[2] / 255, c[1] / 255, c[0] / 255});
      lx -= 22;
    }
    return ly + 10;
  };
  const bool side_overlay = !img.after.empty() && !img.overlay.empty();
  struct Pic {
    const cv::Mat* m;
    std::string caption;
    bool simulated;
  };
  std::vector<Pic> pics;
  if (!img.before.empty()) pics.push_back({&img.before, "Before", false});
  if (!img.after.empty())
    pics.push_back({&img.after, kNotGuarantee, true});
  else if (!img.overlay.empty())
    pics.push_back({&img.overlay, "Proposed hairline and zones (no simulation made)", false});
  if (!pics.empty()) {
    double gap = 12, ph = 250;
    double pw = (kContentW - gap * (pics.size() - 1)) / pics.size();
    for (size_t i = 0; i < pics.size(); ++i) {
      double x = kMargin + i * (pw + gap);
      pg.rect(x, y, pw, ph, {0.96, 0.96, 0.96});
      pg.image(*pics[i].m, x, y, pw, ph);
      pg.font(8.5, pics[i].simulated);
      pg.colour(pics[i].simulated ? kRed : kInk);
      pg.text_centre(x + pw / 2, y + ph + 12, pics[i].caption);
    }
    y += ph + 18;
    if (!img.overlay.empty() && !side_overlay) y = legend(kMargin, kMargin + kContentW, y) + 2;
  }
  // Zones table (narrower when the overlay stands beside it).
  const double side_w = 150;
  const double table_w = side_overlay ? kContentW - side_w - 14 : kContentW;
  pg.heading(y, "Treatment zones");
  double side_end = y;
  if (side_overlay) {
    double sx = kMargin + kContentW - side_w;
    double sh = std::min(170.0, side_w * img.overlay.rows / std::max(1, img.overlay.cols));
    pg.rect(sx, y - 12, side_w, sh, {0.96, 0.96, 0.96});
    pg.image(img.overlay, sx, y - 12, side_w, sh);
    pg.font(7.5);
    pg.colour(kInk);
    pg.text_centre(sx + side_w / 2, y - 12 + sh + 10, "Proposed hairline and zones");
    side_end = legend(sx, sx + side_w, y - 12 + sh + 22);
  }
  const double area_x = kMargin + std::min(200.0, table_w * 0.45), src_x = area_x + 20;
  pg.font(8.5, true);
  pg.rect(kMargin, y - 10, table_w, 14, kHeadBg);
  pg.colour(kInk);
  pg.text(kMargin + 4, y, "Zone");
  pg.text_right(area_x, y, "Area");
  pg.text(src_x, y, "Measured from");
  y += 15;
  for (const auto& z : p.zones) {
    pg.font(9);
    pg.colour(kInk);
    pg.text(kMargin + 4, y, zone_title(z.zone));
    pg.text_right(area_x, y, area_text(z));
    pg.font(8, z.estimated);
    pg.colour(z.estimated ? kEstimateRed : kMuted);
    // An estimate says so first, in red: it is not a measurement.
    std::string src = z.estimated && z.source.rfind("estimate: ", 0) == 0
                          ? "ESTIMATE: " + z.source.substr(10)
                          : (z.estimated ? "ESTIMATE: " : "") + z.source;
    while (src.size() > 8 && pg.width(src) > kMargin + table_w - src_x)
      src = src.substr(0, src.size() - 4) + "…";
    pg.text(src_x, y, src);
    pg.line(kMargin, y + 4, kMargin + table_w, y + 4, kRule, 0.4);
    y += 14;
  }
  pg.font(9, true);
  pg.colour(kInk);
  pg.text(kMargin + 4, y, "Total");
  pg.text_right(
      area_x, y,
      (p.has_estimates ? "about " : "") + std::to_string(std::lround(p.total_area_cm2)) + " cm²");
  if (p.has_estimates) {
    y += 14;
    pg.font(8, true);
    pg.colour(kEstimateRed);
    y = pg.para(kMargin + 4, y, table_w - 8, kAreaEstimateNote, 10);
    y -= 10;
  }
  y = std::max(y + 16, side_end + 4);
  // Cost
  pg.heading(y, "Estimated cost");
  double box_y = y - 4;
  pg.font(20, true);
  pg.colour(kAccent);
  pg.text(kMargin + 4, y + 14, money_range(q.total, l));
  pg.font(8);
  pg.colour(kMuted);
  std::string tax_note =
      q.tax_rate > 0 ? "including " + to_text(q.tax_rate * 100, 1) + " % tax" : "no tax applied";
  pg.text(kMargin + 4, y + 28,
          tax_note + " \u00b7 practitioner level: " + q.experience + " \u00b7 " +
              std::to_string(p.sessions.sessions.size()) + " sessions");
  // Itemised lines on the right half.
  double lx = kMargin + kContentW * 0.47, ly = y;
  auto item = [&](const std::string& what, const std::string& price, bool bold = false) {
    pg.font(8.5, bold);
    pg.colour(kInk);
    pg.text(lx, ly, what);
    pg.text_right(kMargin + kContentW, ly, price);
    ly += 12.5;
  };
  for (const auto& line : q.lines) item(line.what, money_range(line.price, l));
  if (q.multiplier != 1.0)
    item("Practitioner level (" + q.experience + ")", "\u00d7 " + to_text(q.multiplier, 2));
  if (q.tax_rate > 0) item("Tax " + to_text(q.tax_rate * 100, 1) + " %", money_range(q.tax, l));
  pg.line(lx, ly - 8.5, kMargin + kContentW, ly - 8.5, kRule);
  ly += 2;
  item("Total", money_range(q.total, l), true);
  if (q.deposit.high > 0) item("Deposit to book", money_range(q.deposit, l));
  item("Touch-up later (priced separately)", money_range(q.touch_up, l));
  y = std::max(y + 40, ly) + 2;
  pg.line(kMargin, box_y, kMargin, y - 6, kAccent, 2);
  // Warnings
  if (!p.warnings.empty()) {
    pg.heading(y, "Please note");
    pg.font(8);
    pg.colour(kInk);
    size_t drawn = 0;
    for (const auto& w : p.warnings) {
      if (y > kPageH - kMargin - 40) break;  // continued on page two
      pg.text(kMargin + 2, y, "\u2022");
      y = pg.para(kMargin + 12, y, kContentW - 12, w, 10.5);
      ++drawn;
    }
    return drawn;
  }
  return 0;
}

void page_two(Page& pg, const Plan& p, const PriceBook& book, const FadingCurve& fading,
              size_t warnings_drawn) {
  const QuoteLocale& l = book.locale;
  double y = kMargin;
  pg.heading(y, "Your sessions");
  const double c1 = kMargin + 4, c2 = kMargin + 52, c3 = kMargin + 190, c4 = kMargin + 265,
               c5 = kMargin + 285;
  pg.font(8.5, true);
  pg.rect(kMargin, y - 10, kContentW, 14, kHeadBg);
  pg.colour(kInk);
  pg.text(c1, y, "Session");
  pg.text(c2, y, "Date");
  pg.text_right(c3 + 10, y, "Duration");
  pg.text_right(c4 + 5, y, "Impr./cm²");
  pg.text(c5 + 12, y, "Pigment shade");
  y += 15;
  for (const auto& s : p.sessions.sessions) {
    pg.font(9);
    pg.colour(kInk);
    pg.text(c1 + 8, y, std::to_string(s.number));
    pg.text(c2, y, format_date(s.date, l));
    pg.text_right(c3 + 10, y, hours_text(s.hours));
    pg.text_right(c4 + 5, y, std::to_string(std::lround(s.density_per_cm2)));
    pg.swatch(c5 + 4, y - 3, 4.5, s.shade_hex);
    pg.font(8);
    double ny = pg.para(c5 + 12, y, kMargin + kContentW - c5 - 12, s.shade, 10);
    y = std::max(y + 14, ny + 3);
    pg.line(kMargin, y - 10, kMargin + kContentW, y - 10, kRule, 0.4);
  }
  pg.font(8);
  pg.colour(kMuted);
  std::string why;
  for (const auto& r : p.sessions.reasons) why += (why.empty() ? "" : "; ") + r;
  std::ostringstream note;
  note << "About " << hours_text(p.sessions.total_hours) << " in all, "
       << p.sessions.sessions.size() << " sessions " << book.session_interval_days
       << " days apart, about " << std::lround(book.impressions_per_cm2)
       << " impressions per cm² in total (" << why << ").";
  y = pg.para(kMargin, y, kContentW, note.str(), 10);
  // Schedule
  pg.heading(y, "Schedule");
  for (const auto& ev : p.schedule) {
    pg.font(8.5, true);
    pg.colour(kInk);
    std::string when = format_date(ev.date, l);
    if (ev.until) when = format_date(ev.date, l) + " \u2013";
    pg.text(kMargin + 4, y, when);
    if (ev.until) {  // a window: the end date on its own line
      y += 11;
      pg.text(kMargin + 4, y, format_date(*ev.until, l));
      y -= 11;
    }
    pg.font(8.5);
    y = pg.para(kMargin + 170, y, kContentW - 170, ev.what, 11) + 1.5;
    if (ev.until) y += 11;
  }
  // Aftercare
  pg.heading(y, "Aftercare after each session");
  for (const auto& rule : book.aftercare) {
    pg.checkbox(kMargin + 4, y, 8);
    pg.font(8.5, true);
    pg.colour(kInk);
    y = pg.para(kMargin + 18, y, kContentW - 18, rule.text, 11);
    std::string when = days_text(rule.from_day, rule.to_day) + " after each session: ";
    bool first = true;
    for (const auto& a : p.aftercare)
      if (a.text == rule.text) {
        when += (first ? "" : ", ") + std::string("S") + std::to_string(a.session) + " " +
                date_span(a.from, a.to, l);
        first = false;
      }
    pg.font(7.5);
    pg.colour(kMuted);
    y = pg.para(kMargin + 18, y - 1, kContentW - 18, when, 9.5) + 3;
  }
  // Fading
  pg.heading(y, "How the pigment fades");
  double h = std::min(170.0, kPageH - kMargin - 40 - y - 14);
  fading_plot(pg, kMargin, y - 4, kContentW, h, fading, p, l);
  y += h + 4;
  pg.font(7.5);
  pg.colour(kMuted);
  y = pg.para(kMargin, y, kContentW, fading.source + ".", 9.5);
  if (warnings_drawn < p.warnings.size()) {
    y += 14;
    pg.heading(y, "Please note (continued)");
    pg.font(8);
    pg.colour(kInk);
    for (size_t i = warnings_drawn; i < p.warnings.size(); ++i) {
      if (y > kPageH - kMargin - 30) break;  // the HTML and JSON carry every warning
      pg.text(kMargin + 2, y, "\u2022");
      y = pg.para(kMargin + 12, y, kContentW - 12, p.warnings[i], 10.5);
    }
  }
}

}  // namespace

std::vector<uint8_t> render_pdf(const Plan& p, const PriceBook& book, const ReportImages& img,
                                const FadingCurve& fading) {
  SMP_CHECK(!p.sessions.sessions.empty());
  std::vector<uint8_t> out;
  cairo_surface_t* surf = cairo_pdf_surface_create_for_stream(append_bytes, &out, kPageW, kPageH);
  cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, "SMP consultation and quote");
  cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "SMP Studio");
  cairo_t* cr = cairo_create(surf);
  Page pg(cr);
  size_t warnings_drawn = page_one(pg, p, book, img);
  footer(pg, 1, kReportPages, p, book);
  cairo_show_page(cr);
  page_two(pg, p, book, fading, warnings_drawn);
  footer(pg, 2, kReportPages, p, book);
  cairo_show_page(cr);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surf);
  cairo_status_t st2 = cairo_surface_status(surf);
  cairo_surface_destroy(surf);
  if (st != CAIRO_STATUS_SUCCESS || st2 != CAIRO_STATUS_SUCCESS)
    throw InternalError(std::string("PDF drawing failed: ") +
                        cairo_status_to_string(st != CAIRO_STATUS_SUCCESS ? st : st2));
  return out;
}

}  // namespace smp
