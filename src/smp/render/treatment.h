// From an analysis and a design to a treatment map: where to tattoo, how densely, where the
// hairline's soft front is, and how the head's curvature foreshortens the dots.
#pragma once
#include <array>
#include <optional>

#include "smp/analysis/analysis.h"
#include "smp/design/design.h"
#include "smp/render/render.h"

namespace smp {

struct TreatmentOptions {
  double density_per_cm2 = 100;          // target after session 3 (40-200)
  std::optional<HairlinePreset> preset;  // re-propose the hairline with this preset
  unsigned seed = 1;
  double cell_mm = 0.25;  // design map resolution
  // The photo (8-bit BGR), to tell a highlight on the scalp from background; may be null.
  const cv::Mat* photo = nullptr;
};

// Throws InputError when nothing is left to treat (no scalp found, design outside the photo).
// Same as build_treatment_map(prepare_treatment(a, opt.photo, opt.cell_mm, opt.seed), ...).
TreatmentMap build_treatment_map(const Analysis& a, const Design& design,
                                 const TreatmentOptions& opt);

// What of the treatment map no design changes, on the map's grid: the masks shrunk to it, the
// scalp area before the hairline cut, the head model, the hairline's noise for one seed. A studio
// keeps it while the practitioner edits the design (most of build_treatment_map's time).
struct TreatmentBase {
  double scale = 1;                            // map px per photo px
  double px_per_mm = 1;                        // photo scale
  cv::Size size;                               // the map's grid
  cv::Point2d origin_px, up{0, -1}, ex{1, 0};  // design frame on the photo
  cv::Point2d scalp_centre_px;  // centre of the bald / skin scalp (a top view's frame origin)
  bool has_face = false;
  cv::Mat candidate;          // CV_8U 0/255: what may be treated before the hairline and zones
  cv::Mat foreshortening;     // CV_32F, as TreatmentMap
  cv::Mat axis_rad;           // CV_32F, as TreatmentMap
  cv::Mat photo_cells;        // the photo shrunk to the grid (8-bit BGR); empty without a photo
  cv::Mat hairline_head;      // the head mask, shrunk for hairline proposals
  double hairline_scale = 1;  // hairline_head px per photo px
  cv::Mat inner_head;         // CV_8U on the grid: the head 8 mm and more inside its silhouette
  // Hairlines proposed per preset (index: HairlinePreset) with the face's own mid-frontal
  // height, for proposals_seed; empty until propose_preset_hairlines().
  std::array<std::optional<Hairline>, 4> proposals;
  unsigned proposals_seed = 0;
  unsigned noise_seed = 0;
  cv::Mat noise1, noise2;  // CV_32F smooth noise of the hairline's front for noise_seed
  // The candidate area's box: the head model (foreshortening, axis_rad) is computed there only
  // and photo_cells are exact there and around (a design zone drawn outside gets its head model
  // from head_ellipse; photo_cells far off the head are the nearest photo pixel).
  cv::Rect box;
  std::optional<cv::RotatedRect> head_ellipse;  // the head model's ellipse, map cells
};
// `photo` (8-bit BGR, may be null) tells highlights on the scalp from background.
TreatmentBase prepare_treatment(const Analysis& a, const cv::Mat* photo, double cell_mm = 0.25,
                                unsigned seed = 1);
// The design's map on a prepared base (`a` is the analysis the base was made from).
TreatmentMap build_treatment_map(const TreatmentBase& base, const Analysis& a, const Design& design,
                                 const TreatmentOptions& opt);

// Proposes the hairline of every preset once (a studio switching presets then re-renders
// without re-reading the head's outline); a design with its own mid-frontal height or points
// still gets its own.
void propose_preset_hairlines(TreatmentBase& base, const Analysis& a, unsigned seed = 1);

// The same map for the photo resized by `f` (a preview): same cells, photo px scaled.
TreatmentMap map_for_resized_photo(const TreatmentMap& map, double f);

// The hairline actually used (design points > preset > analysis), if any.
std::optional<Hairline> effective_hairline(const Analysis& a, const Design& design,
                                           const TreatmentOptions& opt);

// Area in cm² (foreshortening corrected) of map cells where `mask` is set.
double map_area_cm2(const TreatmentMap& map, const cv::Mat& mask8);

}  // namespace smp
