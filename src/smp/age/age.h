// `smp age`: the simulated result over the years. The impressions `smp simulate` placed (same
// analysis, design and seed) are aged with the fading model and re-rendered with the same
// RenderParams, one frame per requested year; the visible contrast of the treated area is
// measured on each frame and modelled in between, and the touch-up year is where the contrast
// share first falls below the threshold.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/age/contrast.h"
#include "smp/age/fading.h"
#include "smp/age/plot.h"
#include "smp/analysis/analysis.h"
#include "smp/core/timings.h"
#include "smp/design/design.h"
#include "smp/render/simulate.h"

namespace smp {

inline constexpr double kMaxAgeYears = 30;
// The contrast model's overlap is fitted on a frame rendered at this year (no touch-ups).
inline constexpr double kCalibrationYears = 6;

struct AgeOptions {
  std::vector<double> years{0, 1, 2, 4, 6, 8};  // frames to render (any order, deduplicated)
  FadingConditions conditions;
  double threshold = 0.70;    // touch-up when the contrast share falls below this
  double horizon_years = 15;  // no touch-up year beyond this: null + message
  bool label = true;          // "Simulated result" on every frame, as `smp simulate` does
  FadingParams params;
};

// Parses "0,1,2,4,6,8" (UsageError naming --years and the bad value).
std::vector<double> parse_years(const std::string& list);
// Checks everything the user chose (UsageError): years in [0, 30], threshold in (0, 1),
// touch-ups after year 0, skin type I-VI.
void check_age_options(const AgeOptions& opt);

struct AgeFrame {
  double year = 0;
  ImpressionAge state;     // the fading model's state (no scar) at this year
  AreaContrast measured;   // on the rendered frame (unlabelled)
  double share = 1;        // measured ΔE2000 / year-0 ΔE2000
  double share_model = 1;  // the contrast model at this year
  cv::Mat image;           // the frame as written (labelled unless --no-label)
  cv::Mat unlabelled;      // the same frame before the label (for the strip's crops)
};

struct AgeResult {
  std::vector<AgeFrame> frames;         // in the order of the requested years (sorted)
  std::optional<double> touch_up_year;  // first time below the threshold, years
  std::vector<double> touch_up_due;     // every time below the threshold within the horizon
  std::string message;                  // one sentence for people
  std::vector<cv::Point2d> curve;       // (years, share) of the model, fine steps
  double max_model_error = 0;           // |share_model - share| over the frames
  double overlap = 0.5;                 // the contrast model's fitted overlap (contrast.h)
  double delta_e0 = 0;                  // year-0 contrast (ΔE2000)
  size_t scar_impressions = 0;          // impressions in the design's scar zones
  // For the strip (photo px): the client's head (treated area, face or head outline, margin),
  // and a close-up of the treated scalp, `closeup_mm` wide on the skin, magnified so dots show.
  cv::Rect crop, closeup;
  double closeup_mm = 0;
  cv::Mat before;           // the client's photo, the strip's first column
  bool model_only = false;  // the reference area, no photo
  Timings timings;
};

// What the strip frames, from the analysis: `subject` is the head to show (photo px): the analysed
// face's box, else the head outline's box (top and back views), else empty; `head` (CV_8U, photo
// size or empty) keeps the close-up on the head when the treated area spills past it.
struct StripFraming {
  cv::Rect subject;
  cv::Mat head;
};
StripFraming strip_framing(const Analysis& a);

// Impressions inside the design's scar zones (1) or not (0), in the impressions' order.
std::vector<uint8_t> scar_flags(const std::vector<Impression>& impressions, const Design& design);

// Ages simulate()'s impressions on the same photo. `framing`: the head to frame in the strip
// (strip_framing(); empty: the treated area alone). Throws InputError when no pixel is treated.
AgeResult age_simulation(const cv::Mat& bgr8, const SimulateResult& sim,
                         const std::vector<uint8_t>& scar, const AgeOptions& opt,
                         const StripFraming& framing = {});

// The same figures for the reference area of contrast.h (no photo, no frames).
AgeResult age_reference(const AgeOptions& opt);

// When a touch-up is due (years, first time the visible contrast falls below `threshold` of year
// 0) under these conditions, on the reference scalp of contrast.h: no photo needed. nullopt when
// not within `horizon_years`. This is the figure `smp plan` schedules the touch-up with.
std::optional<double> touch_up_year(const FadingConditions& conditions, double threshold = 0.70,
                                    double horizon_years = 15, const FadingParams& params = {});

// A title line, then one column per frame after the client's own photo ("Before"): the head
// (scalp and face), under it a close-up of the treated scalp, under that the year, the contrast
// share and, past the threshold, "touch-up due" (or "touched up" after a planned touch-up).
cv::Mat make_age_strip(const AgeResult& r, const AgeOptions& opt);

ContrastPlot make_age_plot(const AgeResult& r, const AgeOptions& opt);

// Per-year figures, touch_up_year (null + message when not reached), conditions and the model's
// parameters.
nlohmann::json to_json(const AgeResult& r, const AgeOptions& opt);
nlohmann::json to_json(const FadingParams& p);

}  // namespace smp
