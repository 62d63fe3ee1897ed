// The consultation report a clinic hands to the client: an HTML page (self-contained, images as
// data URIs) and an A4 PDF drawn with Cairo (no browser needed at run time). Both show the same
// plan: photos, zones, sessions, cost range, schedule, aftercare, fading plot, and the
// "Simulated result, not a guarantee" wording.
#pragma once
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/plan/plan.h"

namespace smp {

// Share of the year-0 contrast over the years (1 = fresh), and the share below which a touch-up
// is due. From `smp age`'s model when available, else generic_fading_curve().
struct FadingCurve {
  std::vector<cv::Point2d> points;  // (years after the last session, share)
  double threshold = 0.70;
  std::string source;  // shown under the plot
};

// The clinics' rule of thumb as a curve: ~10 % lost while healing (first months), then a slow
// exponential that reaches the 70 % threshold at `touch_up_years`.
FadingCurve generic_fading_curve(double touch_up_years = 5.0, double x_max_years = 10.0);

// The pictures of the report, all 8-bit BGR and already cropped to the client's head.
// SEAM: `after` is `smp simulate`'s image when the caller has one; empty -> the report shows the
// zone / hairline overlay in its place and says that no simulation was made.
struct ReportImages {
  cv::Mat before;
  cv::Mat after;    // simulated result (optional)
  cv::Mat overlay;  // zones and proposed hairline on the photo (optional)
};

// The part of a photo to show: the analysed head with some margin (the whole photo when there is
// no face, e.g. a top view).
cv::Rect report_crop(const Analysis& a);

// The zones of one view tinted on the photo, with the proposed hairline.
cv::Mat draw_zone_overlay(const cv::Mat& bgr8, const ViewMeasurement& m, const Analysis& a);

// BGR colour of a zone in the overlay and the report's legend.
cv::Scalar zone_colour(Zone z);

std::string render_html(const Plan& plan, const PriceBook& book, const ReportImages& images,
                        const FadingCurve& fading);

// A4 PDF, 2 pages. The bytes of the file.
std::vector<uint8_t> render_pdf(const Plan& plan, const PriceBook& book, const ReportImages& images,
                                const FadingCurve& fading);
inline constexpr int kReportPages = 2;

}  // namespace smp
