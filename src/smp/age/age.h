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

// Which Fitzpatrick type the fading model uses and where it came from, so a report can say so:
// the user's --skin-type ("user"), else the skin tone measured on the photo ("photo", ITA° ->
// skin_type_from_ita), else type III ("default": no photo, or no skin measured on it).
struct SkinTypeChoice {
  int type = 3;
  std::string source = "default";
  std::optional<double> photo_ita;  // the photo's ITA° when it was measured (also with "user")
};
// `user`: "I".."VI" / "1".."6" or empty (UsageError naming --skin-type when bad). `photo`: the
// analysis of the photo the fading is fitted on, or null.
SkinTypeChoice choose_skin_type(const std::string& user, const Analysis* photo);

struct AgeOptions {
  std::vector<double> years{0, 1, 2, 4, 6, 8};  // frames to render (any order, deduplicated)
  FadingConditions conditions;
  std::string skin_type_source = "default";  // SkinTypeChoice::source, for the reports
  double threshold = 0.70;                   // touch-up when the contrast share falls below this
  double horizon_years = 15;                 // no touch-up year beyond this: null + message
  bool label = true;  // "Simulated result" on every frame, as `smp simulate` does
  // Frames of the whole photo (`--frames` writes them); otherwise each frame holds only what the
  // strip shows and the treated area (AgeFrame::window): a 12 MP photo's years would be 37 MB each.
  bool full_frames = false;
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
  cv::Mat unlabelled;      // the rendered frame (frame_image() labels a copy)
  cv::Rect window;         // the part of the photo it holds (photo px; AgeOptions::full_frames)
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

// The fading model fitted to one simulated photo: the single fit behind the touch-up year of both
// `smp age` and `smp plan`. Year 0 and a frame at kCalibrationYears (no touch-ups) are rendered
// from simulate()'s impressions and measured on the treated area; the contrast model's overlap
// (contrast.h) is fitted so that its share at kCalibrationYears is the frame's. The model then
// carries `conditions` as given (touch-ups included). Throws InputError when no pixel is treated.
struct FadingFit {
  cv::Mat mask;                  // the treated area (any size, nearest-scaled to the photo)
  cv::Rect window;               // the part of the photo the frames hold (photo px)
  cv::Mat year0, calibration;    // the two rendered frames, unlabelled
  AreaContrast contrast0;        // year 0 on the treated area
  double calibration_share = 1;  // measured ΔE2000 at kCalibrationYears / year 0
  ContrastModel model;
  Timings timings;  // render, measure, model
};
// The frames hold `window` of the photo (photo px) with the treated area and every impression
// added (by default just those).
FadingFit fit_fading(const cv::Mat& bgr8, const SimulateResult& sim,
                     const std::vector<uint8_t>& scar, const FadingConditions& conditions,
                     const FadingParams& params = {}, const cv::Rect& window = {});

// Ages simulate()'s impressions on the same photo: fit_fading(), then one frame per requested
// year. `framing`: the head to frame in the strip (strip_framing(); empty: the treated area
// alone). Throws InputError when no pixel is treated.
AgeResult age_simulation(const cv::Mat& bgr8, const SimulateResult& sim,
                         const std::vector<uint8_t>& scar, const AgeOptions& opt,
                         const StripFraming& framing = {});
// A frame as written (`--frames`): labelled "Simulated result" unless opt.label is off. Made
// when written, so a 12 MP run does not hold a labelled copy of every year (37 MB each).
cv::Mat frame_image(const AgeFrame& f, const AgeOptions& opt);

// The forecast alone (touch-up year, curve, message; no frames beyond the fit's): what
// `smp plan` schedules the touch-up with. Same photo, simulation and options as `smp age` give
// the same touch_up_year, to the bit: both come from fit_fading() and the same crossing search.
AgeResult forecast_fading(const cv::Mat& bgr8, const SimulateResult& sim,
                          const std::vector<uint8_t>& scar, const AgeOptions& opt);

// The same figures for the reference area of contrast.h (no photo, no frames): `smp age
// --model-only`, and `smp plan` when it has no photo to fit on.
AgeResult age_reference(const AgeOptions& opt);

// age_reference()'s touch-up year under these conditions: no photo needed. nullopt when not
// within `horizon_years`.
std::optional<double> touch_up_year(const FadingConditions& conditions, double threshold = 0.70,
                                    double horizon_years = 15, const FadingParams& params = {});

// "moderate sun, skin type V from the photo, scar tissue": the conditions in a client's words,
// the same line under the strip's title, the plot's and the quote's fading plot.
std::string describe_conditions(const AgeOptions& opt);

// A title line, then one column per frame after the client's own photo ("Before"): the head
// (scalp and face), under it a close-up of the treated scalp, under that the year, the contrast
// share and, past the threshold, "touch-up due" (or "touched up" after a planned touch-up).
cv::Mat make_age_strip(const AgeResult& r, const AgeOptions& opt);

ContrastPlot make_age_plot(const AgeResult& r, const AgeOptions& opt);

// The forecast as both reports give it: touch_up_year (null when not reached), touch_up_due,
// message, threshold, horizon and the conditions (sun, skin type and its source, scar, touch-ups,
// rates). `smp age` and `smp plan` write exactly this object, so their figures cannot differ.
nlohmann::json forecast_json(const AgeResult& r, const AgeOptions& opt);

// Per-year figures, forecast_json()'s fields and the model's parameters.
nlohmann::json to_json(const AgeResult& r, const AgeOptions& opt);
nlohmann::json to_json(const FadingParams& p);

}  // namespace smp
