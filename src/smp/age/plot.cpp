#include "smp/age/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/image/image_io.h"

namespace smp {
namespace {

// One layout for both back ends, so the PNG and the SVG show the same thing.
struct Layout {
  int w = 1100, h = 640;
  int left = 96, right = 112, top = 92, bottom = 84;
  double x_max = 10, y_max = 1.1;
  double px(double years) const { return left + years / x_max * (w - left - right); }
  double py(double share) const { return top + (1.0 - share / y_max) * (h - top - bottom); }
  int x_step() const { return x_max <= 12 ? 1 : x_max <= 25 ? 2 : 5; }
};

Layout layout_for(const ContrastPlot& p) {
  Layout l;
  l.x_max = std::max(1.0, p.x_max);
  double top = 1.0;
  for (auto& c : p.curve) top = std::max(top, c.y);
  for (auto& c : p.frames) top = std::max(top, c.y);
  l.y_max = std::ceil(top * 1.05 * 10.0) / 10.0;  // headroom, whole tens of percent
  return l;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const cv::Scalar kInk(40, 40, 40), kGrid(225, 225, 225), kCurve(150, 80, 20),
    kThreshold(40, 40, 200), kDue(0, 120, 230), kTouch(60, 140, 40), kBand(235, 235, 252);

void dashed(cv::Mat& img, cv::Point2d a, cv::Point2d b, cv::Scalar c, int thick, double dash) {
  double len = cv::norm(b - a);
  cv::Point2d d = (b - a) / std::max(len, 1e-9);
  for (double s = 0; s < len; s += 2 * dash) {
    double e = std::min(len, s + dash);
    cv::line(img, a + d * s, a + d * e, c, thick, cv::LINE_AA);
  }
}

void text(cv::Mat& img, const std::string& s, cv::Point2d at, double scale, cv::Scalar c,
          int thick = 1, int align = 0 /* 0 left, 1 centre, 2 right */, bool vcentre = false) {
  int base = 0;
  cv::Size sz = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &base);
  cv::Point2d o = at;
  if (align == 1) o.x -= sz.width / 2.0;
  if (align == 2) o.x -= sz.width;
  if (vcentre) o.y += sz.height / 2.0;
  cv::putText(img, s, cv::Point(cvRound(o.x), cvRound(o.y)), cv::FONT_HERSHEY_SIMPLEX, scale, c,
              thick, cv::LINE_AA);
}

std::string percent(double share) {
  return fmt("%.0f %%", share * 100);
}

}  // namespace

cv::Mat draw_contrast_plot(const ContrastPlot& p) {
  Layout l = layout_for(p);
  cv::Mat img(l.h, l.w, CV_8UC3, cv::Scalar(255, 255, 255));
  const double x0 = l.px(0), x1 = l.px(l.x_max), y0 = l.py(0), y1 = l.py(l.y_max);
  // Below the threshold: a pale band, "this is where a touch-up is due".
  cv::rectangle(img, cv::Point2d(x0, l.py(p.threshold)), cv::Point2d(x1, y0), kBand, cv::FILLED);
  for (int y = 0; y <= static_cast<int>(std::round(l.y_max * 10)); ++y) {
    double v = y / 10.0;
    cv::line(img, cv::Point2d(x0, l.py(v)), cv::Point2d(x1, l.py(v)), kGrid, 1);
    if (y % 2 == 0) text(img, percent(v), cv::Point2d(x0 - 10, l.py(v)), 0.5, kInk, 1, 2, true);
  }
  for (int x = 0; x <= l.x_max + 1e-9; x += l.x_step()) {
    cv::line(img, cv::Point2d(l.px(x), y0), cv::Point2d(l.px(x), y1), kGrid, 1);
    text(img, std::to_string(x), cv::Point2d(l.px(x), y0 + 24), 0.5, kInk, 1, 1);
  }
  cv::line(img, cv::Point2d(x0, y0), cv::Point2d(x1, y0), kInk, 1, cv::LINE_AA);
  cv::line(img, cv::Point2d(x0, y0), cv::Point2d(x0, y1), kInk, 1, cv::LINE_AA);
  text(img, "years after the treatment", cv::Point2d((x0 + x1) / 2, y0 + 56), 0.6, kInk, 1, 1);
  {  // vertical axis label, rotated
    std::string s = "visible contrast, share of year 0";
    int base = 0;
    cv::Size sz = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, 0.6, 1, &base);
    cv::Mat lab(sz.height + base + 4, sz.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(lab, s, cv::Point(2, sz.height + 1), cv::FONT_HERSHEY_SIMPLEX, 0.6, kInk, 1,
                cv::LINE_AA);
    cv::rotate(lab, lab, cv::ROTATE_90_COUNTERCLOCKWISE);
    int cx = 18, cy = cvRound((y0 + y1) / 2 - lab.rows / 2.0);
    lab.copyTo(img(cv::Rect(cx, std::max(0, cy), lab.cols, lab.rows)));
  }
  text(img, p.title, cv::Point2d(x0, 36), 0.8, kInk, 2);
  text(img, p.subtitle, cv::Point2d(x0, 66), 0.55, kInk, 1);
  // Threshold.
  dashed(img, cv::Point2d(x0, l.py(p.threshold)), cv::Point2d(x1, l.py(p.threshold)), kThreshold, 2,
         10);
  // Threshold label in the right margin, where no curve can cross it.
  text(img, "threshold", cv::Point2d(x1 + 8, l.py(p.threshold) - 4), 0.5, kThreshold);
  text(img, percent(p.threshold), cv::Point2d(x1 + 8, l.py(p.threshold) + 16), 0.5, kThreshold);
  // Planned touch-ups.
  for (double t : p.touch_ups) {
    if (t > l.x_max) continue;
    dashed(img, cv::Point2d(l.px(t), y0), cv::Point2d(l.px(t), y1), kTouch, 1, 4);
    text(img, "touch-up " + fmt("%.1f y", t), cv::Point2d(l.px(t) + 5, y1 + 16), 0.45, kTouch);
  }
  // The model's curve; a touch-up is a jump, drawn as a vertical segment.
  std::vector<cv::Point> pts;
  for (auto& c : p.curve)
    if (c.x <= l.x_max + 1e-9) pts.emplace_back(cvRound(l.px(c.x) * 8), cvRound(l.py(c.y) * 8));
  if (pts.size() >= 2)
    cv::polylines(img, std::vector<std::vector<cv::Point>>{pts}, false, kCurve, 3, cv::LINE_AA, 3);
  // Touch-up due.
  if (p.touch_up_year && *p.touch_up_year <= l.x_max) {
    double tx = l.px(*p.touch_up_year), ty = l.py(p.threshold);
    dashed(img, cv::Point2d(tx, y0), cv::Point2d(tx, ty), kDue, 2, 6);
    cv::circle(img, cv::Point2d(tx, ty), 7, kDue, cv::FILLED, cv::LINE_AA);
    // Below the threshold and left of the mark (the curve is above there, before it crosses),
    // or above and right of it when there is no room on the left.
    std::string s = "touch-up due at " + fmt("%.1f years", *p.touch_up_year);
    int base = 0;
    int tw = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, 0.6, 2, &base).width;
    bool left = tx - 12 - tw > x0 + 4;
    text(img, s, cv::Point2d(left ? tx - 12 : tx + 12, left ? ty + 30 : ty - 14), 0.6, kDue, 2,
         left ? 2 : 0);
  } else if (!p.touch_up_year) {
    text(img, "no touch-up due within the horizon", cv::Point2d(x1 - 6, y1 + 20), 0.55, kDue, 1, 2);
  }
  // Rendered frames.
  for (auto& f : p.frames) {
    if (f.x > l.x_max + 1e-9) continue;
    cv::Point2d c(l.px(f.x), l.py(f.y));
    cv::circle(img, c, 6, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
    cv::circle(img, c, 6, kInk, 2, cv::LINE_AA);
  }
  // Legend.
  double lx = x1 - 300, ly = 30;
  cv::line(img, cv::Point2d(lx, ly), cv::Point2d(lx + 30, ly), kCurve, 3, cv::LINE_AA);
  text(img, "fading model", cv::Point2d(lx + 40, ly), 0.5, kInk, 1, 0, true);
  if (!p.frames.empty()) {
    cv::circle(img, cv::Point2d(lx + 15, ly + 26), 6, kInk, 2, cv::LINE_AA);
    text(img, "measured on the rendered frames", cv::Point2d(lx + 40, ly + 26), 0.5, kInk, 1, 0,
         true);
  }
  return img;
}

std::string contrast_plot_svg(const ContrastPlot& p) {
  Layout l = layout_for(p);
  auto esc = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '&')
        o += "&amp;";
      else if (c == '<')
        o += "&lt;";
      else if (c == '>')
        o += "&gt;";
      else
        o += c;
    }
    return o;
  };
  auto rgb = [](cv::Scalar c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(c[2]), static_cast<int>(c[1]),
                  static_cast<int>(c[0]));
    return std::string(buf);
  };
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  const double x0 = l.px(0), x1 = l.px(l.x_max), y0 = l.py(0), y1 = l.py(l.y_max);
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << l.w << "\" height=\"" << l.h
    << "\" viewBox=\"0 0 " << l.w << " " << l.h
    << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"14\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<rect x=\"" << x0 << "\" y=\"" << l.py(p.threshold) << "\" width=\"" << x1 - x0
    << "\" height=\"" << y0 - l.py(p.threshold) << "\" fill=\"" << rgb(kBand) << "\"/>\n";
  for (int y = 0; y <= static_cast<int>(std::round(l.y_max * 10)); ++y) {
    double v = y / 10.0;
    s << "<line x1=\"" << x0 << "\" y1=\"" << l.py(v) << "\" x2=\"" << x1 << "\" y2=\"" << l.py(v)
      << "\" stroke=\"" << rgb(kGrid) << "\"/>\n";
    if (y % 2 == 0)
      s << "<text x=\"" << x0 - 10 << "\" y=\"" << l.py(v) + 5 << "\" text-anchor=\"end\">"
        << esc(percent(v)) << "</text>\n";
  }
  for (int x = 0; x <= l.x_max + 1e-9; x += l.x_step()) {
    s << "<line x1=\"" << l.px(x) << "\" y1=\"" << y0 << "\" x2=\"" << l.px(x) << "\" y2=\"" << y1
      << "\" stroke=\"" << rgb(kGrid) << "\"/>\n";
    s << "<text x=\"" << l.px(x) << "\" y=\"" << y0 + 24 << "\" text-anchor=\"middle\">" << x
      << "</text>\n";
  }
  s << "<path d=\"M" << x0 << " " << y1 << " V" << y0 << " H" << x1 << "\" fill=\"none\" stroke=\""
    << rgb(kInk) << "\"/>\n";
  s << "<text x=\"" << (x0 + x1) / 2 << "\" y=\"" << y0 + 56
    << "\" text-anchor=\"middle\" font-size=\"16\">years after the treatment</text>\n";
  s << "<text transform=\"translate(28 " << (y0 + y1) / 2
    << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"16\">visible contrast (ΔE2000), share "
       "of year 0</text>\n";
  s << "<text x=\"" << x0 << "\" y=\"36\" font-size=\"22\" font-weight=\"bold\">" << esc(p.title)
    << "</text>\n";
  s << "<text x=\"" << x0 << "\" y=\"64\">" << esc(p.subtitle) << "</text>\n";
  s << "<line x1=\"" << x0 << "\" y1=\"" << l.py(p.threshold) << "\" x2=\"" << x1 << "\" y2=\""
    << l.py(p.threshold) << "\" stroke=\"" << rgb(kThreshold)
    << "\" stroke-width=\"2\" stroke-dasharray=\"10 10\"/>\n";
  s << "<text x=\"" << x1 + 8 << "\" y=\"" << l.py(p.threshold) - 4 << "\" fill=\""
    << rgb(kThreshold) << "\">threshold</text>\n";
  s << "<text x=\"" << x1 + 8 << "\" y=\"" << l.py(p.threshold) + 16 << "\" fill=\""
    << rgb(kThreshold) << "\">" << esc(percent(p.threshold)) << "</text>\n";
  for (double t : p.touch_ups) {
    if (t > l.x_max) continue;
    s << "<line x1=\"" << l.px(t) << "\" y1=\"" << y0 << "\" x2=\"" << l.px(t) << "\" y2=\"" << y1
      << "\" stroke=\"" << rgb(kTouch) << "\" stroke-dasharray=\"4 4\"/>\n";
    s << "<text x=\"" << l.px(t) + 5 << "\" y=\"" << y1 + 16 << "\" fill=\"" << rgb(kTouch)
      << "\" font-size=\"13\">touch-up " << fmt("%.1f y", t) << "</text>\n";
  }
  s << "<polyline fill=\"none\" stroke=\"" << rgb(kCurve)
    << "\" stroke-width=\"3\" stroke-linejoin=\"round\" points=\"";
  s.precision(2);
  for (auto& c : p.curve)
    if (c.x <= l.x_max + 1e-9) s << l.px(c.x) << "," << l.py(c.y) << " ";
  s.precision(1);
  s << "\"/>\n";
  if (p.touch_up_year && *p.touch_up_year <= l.x_max) {
    double tx = l.px(*p.touch_up_year), ty = l.py(p.threshold);
    bool left = tx - 12 - 300 > x0 + 4;  // ~300 px of bold 17 px text
    s << "<line x1=\"" << tx << "\" y1=\"" << y0 << "\" x2=\"" << tx << "\" y2=\"" << ty
      << "\" stroke=\"" << rgb(kDue) << "\" stroke-width=\"2\" stroke-dasharray=\"6 6\"/>\n";
    s << "<circle cx=\"" << tx << "\" cy=\"" << ty << "\" r=\"7\" fill=\"" << rgb(kDue) << "\"/>\n";
    s << "<text x=\"" << (left ? tx - 12 : tx + 12) << "\" y=\"" << (left ? ty + 30 : ty - 14)
      << "\" text-anchor=\"" << (left ? "end" : "start") << "\" fill=\"" << rgb(kDue)
      << "\" font-size=\"17\" font-weight=\"bold\">touch-up due at "
      << fmt("%.1f years", *p.touch_up_year) << "</text>\n";
  } else if (!p.touch_up_year) {
    s << "<text x=\"" << x1 - 6 << "\" y=\"" << y1 + 20 << "\" text-anchor=\"end\" fill=\""
      << rgb(kDue) << "\">no touch-up due within the horizon</text>\n";
  }
  for (auto& f : p.frames) {
    if (f.x > l.x_max + 1e-9) continue;
    s << "<circle cx=\"" << l.px(f.x) << "\" cy=\"" << l.py(f.y)
      << "\" r=\"6\" fill=\"white\" stroke=\"" << rgb(kInk) << "\" stroke-width=\"2\"/>\n";
  }
  double lx = x1 - 300, ly = 30;
  s << "<line x1=\"" << lx << "\" y1=\"" << ly << "\" x2=\"" << lx + 30 << "\" y2=\"" << ly
    << "\" stroke=\"" << rgb(kCurve) << "\" stroke-width=\"3\"/>\n";
  s << "<text x=\"" << lx + 40 << "\" y=\"" << ly + 5 << "\">fading model</text>\n";
  if (!p.frames.empty()) {
    s << "<circle cx=\"" << lx + 15 << "\" cy=\"" << ly + 26
      << "\" r=\"6\" fill=\"white\" stroke=\"" << rgb(kInk) << "\" stroke-width=\"2\"/>\n";
    s << "<text x=\"" << lx + 40 << "\" y=\"" << ly + 31
      << "\">measured on the rendered frames</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

void write_contrast_plot(const std::string& path, const ContrastPlot& p) {
  std::string ext = file_extension(path);
  if (ext == "svg")
    write_file_atomic(path, contrast_plot_svg(p));
  else if (ext == "png" || ext == "jpg" || ext == "jpeg")
    write_image(path, draw_contrast_plot(p));
  else
    throw UsageError("--plot: '" + path + "' must end in .png or .svg");
}

}  // namespace smp
