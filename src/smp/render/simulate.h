// `smp simulate`: the whole "after SMP" pipeline on an analysed photo — treatment map, impressions
// session by session, optics, label — and the figures of its report.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "smp/analysis/analysis.h"
#include "smp/design/design.h"
#include "smp/render/render.h"
#include "smp/render/treatment.h"

namespace smp {

struct SimulateOptions {
  std::optional<double> density_per_cm2;  // 40-200; default: the design's, else 100
  std::optional<int> sessions;            // 1-4; default: the design's, else 3
  std::optional<double> shade_L;  // pigment shade L* (5-80); default: the design's, else auto
  std::optional<HairlinePreset> preset;  // re-propose the hairline
  unsigned seed = 1;
  bool label = true;   // "Simulated result" in a corner
  bool strip = false;  // also render sessions 1..N side by side
  int nthreads = 0;
};

// Shade matched to the client: concentration of the pigment and the L* it gives on the skin.
struct ShadeChoice {
  double concentration = 1;  // 0..1, diluted for light hair / skin
  double target_L = 30;      // L* of a full-strength dot on this skin
  std::string source;        // "user", "design", "hair", "skin"
};

// The pigment's shade for this client: the user's or the design's L*, else from the skin tone
// pulled towards the hair's (lighter hair or skin: more diluted).
ShadeChoice choose_shade(const Analysis& a, const Design& d, const SimulateOptions& opt,
                         const Lab& skin, const Pigment& pig);

struct SimulateResult {
  cv::Mat image;  // same size as the photo
  cv::Mat strip;  // sessions 1..N side by side (when asked)
  TreatmentMap map;
  std::vector<Impression> impressions;
  RenderParams render;
  ShadeChoice shade;
  int sessions = 3;
  double density_per_cm2 = 100;
  Timings timings;        // design, place, render, label, strip, blend
  nlohmann::json report;  // treated_area_cm2, impressions, density, shade, blend ...
};

// Throws UsageError for impossible parameters, InputError when there is nothing to treat.
// A photo handed over with std::move (no other cv::Mat shares its pixels) becomes the result
// image, drawn on in place; otherwise the result is a copy and the caller's photo is untouched.
SimulateResult simulate(cv::Mat bgr8, const Analysis& analysis, const Design& design,
                        const SimulateOptions& opt);

// A studio's preview: the photo and its analysis, prepared once, re-rendered at a preview size
// each time the practitioner changes the design. A plain value the caller keeps (the engine keeps
// no state): what no design changes is done here once, namely the photo shrunk to the preview
// size and the treatment map's base (masks on the map grid, scalp area, head model).
struct RenderScene {
  Analysis analysis;  // of the full photo; designs are in its pixels
  cv::Mat photo;      // the analysed photo (shares its pixels)
  cv::Mat preview;    // the photo at the preview size (8-bit BGR)
  double scale = 1;   // preview px per photo px (<= 1)
  TreatmentBase base;
};

// Shrinks the photo to `long_side` px at most (INTER_AREA) and prepares the map's base for the
// seed (another seed still works: its noise is then made per render).
RenderScene prepare_scene(const cv::Mat& bgr8, const Analysis& analysis, int long_side = 1600,
                          unsigned seed = 1);

// simulate() of the design at the preview size, without the report and the strip: the same
// treatment map (design in photo px), impressions placed and rendered on the preview photo.
// With scale 1 the image is simulate()'s, pixel for pixel. `opt.strip` is ignored.
SimulateResult render_preview(const RenderScene& scene, const Design& design,
                              const SimulateOptions& opt);

// Validates a density / sessions / shade value the way the CLI reports it (UsageError).
void check_simulate_options(const SimulateOptions& opt);

// Writes the small "Simulated result" label in the bottom-right corner.
void draw_simulation_label(cv::Mat& bgr8, const std::string& text = "Simulated result");

// The impressions as CSV: index, session, x_px, y_px, x_mm, y_mm, diameter_mm, density, needles.
std::string impressions_csv(const std::vector<Impression>& impressions);

}  // namespace smp
