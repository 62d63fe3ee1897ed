// The contrast-share plot of `smp age`: the model's curve over the years, the rendered frames'
// figures as dots, the touch-up threshold and the year a touch-up is due. Drawn by the program:
// PNG through OpenCV (ASCII labels) or SVG written as text.
#pragma once
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace smp {

struct ContrastPlot {
  std::string title;                // first line, e.g. "How the SMP fades"
  std::string subtitle;             // conditions, e.g. "moderate sun, Fitzpatrick III"
  std::vector<cv::Point2d> curve;   // (years, share of year-0 contrast), the model, fine steps
  std::vector<cv::Point2d> frames;  // (years, share) measured on rendered frames
  std::vector<double> touch_ups;    // planned touch-ups (--touch-up-at)
  double threshold = 0.70;
  std::optional<double> touch_up_year;  // first time below the threshold
  double x_max = 10;                    // years shown
};

// 1100x640 BGR image.
cv::Mat draw_contrast_plot(const ContrastPlot& p);
std::string contrast_plot_svg(const ContrastPlot& p);
// By extension: .png (also .jpg) or .svg; UsageError for anything else. Atomic write.
void write_contrast_plot(const std::string& path, const ContrastPlot& p);

}  // namespace smp
