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
SimulateResult simulate(const cv::Mat& bgr8, const Analysis& analysis, const Design& design,
                        const SimulateOptions& opt);

// Validates a density / sessions / shade value the way the CLI reports it (UsageError).
void check_simulate_options(const SimulateOptions& opt);

// Writes the small "Simulated result" label in the bottom-right corner.
void draw_simulation_label(cv::Mat& bgr8, const std::string& text = "Simulated result");

// The impressions as CSV: index, session, x_px, y_px, x_mm, y_mm, diameter_mm, density, needles.
std::string impressions_csv(const std::vector<Impression>& impressions);

}  // namespace smp
