// Visible contrast of the treated area over the years: ΔE2000 between the treated area's mean
// colour and the bare skin's, measured on rendered frames, and a cheap model of it for any real
// number of years (to find the touch-up year to the day without rendering hundreds of frames).
//
// The model follows the renderer's optics: a dot darkens the skin by its coverage mass times
// (1 - transmittance) per channel. With f = S(t) / S(0), S(t) the impressions' summed darkness at
// year t, and T0 = treated(0) / bare the area's year-0 transmittance, per channel:
//   dots apart (each pixel under one dot at most):   treated(t) = bare * (1 - (1 - T0) f)
//   dots overlapping at random (halos, dense work):  treated(t) = bare * T0^f
// The renderer's dots (cores apart, scatter halos overlapping) lie in between: the model blends
// the two with weight `overlap`, fitted to a rendered calibration frame. The fit may go past 1
// (up to 3): on shiny scalps the renderer keeps specular light on top of the dots, so the area
// fades slower still; the blend is capped where it would stop darkening with the dots' darkness.
// treated(0) comes from the rendered year-0 frame, so the model is exact at year 0; it is checked
// against every rendered frame (the report gives the largest difference).
#pragma once
#include <algorithm>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "smp/age/fading.h"
#include "smp/image/colour.h"
#include "smp/render/render.h"

namespace smp {

// Means of an area in linear light: the bare photo and a rendered frame, and their ΔE2000.
struct AreaContrast {
  cv::Vec3d bare_linear{0, 0, 0}, treated_linear{0, 0, 0};  // BGR
  Lab bare, treated;
  double delta_e = 0;
  long pixels = 0;
};
// `mask8`: CV_8U, non-zero = the treated area (any size, nearest-scaled to the photo).
// Throws InputError when the mask is empty.
AreaContrast measure_contrast(const cv::Mat& bare8, const cv::Mat& rendered8, const cv::Mat& mask8);
// The same on a window of the photo: `bare8` and `rendered8` are the photo's pixels in `window`
// (photo px) of a photo of `photo` size, which must hold the treated area.
AreaContrast measure_contrast(const cv::Mat& bare8, const cv::Mat& rendered8, const cv::Mat& mask8,
                              const cv::Rect& window, cv::Size photo);

// Summed darkness of the impressions (session <= max_session), per channel (B, G, R), in px²
// of full absorption: sum of pi (R² + (softness R)²) * foreshortening * (1 - transmittance).
cv::Vec3d summed_darkness(const std::vector<Impression>& impressions, const Pigment& pigment,
                          int max_session = 4);

class ContrastModel {
 public:
  // `scar`: per-impression flag (same length) or empty. bare / treated0: the area's year-0 means.
  ContrastModel(const std::vector<Impression>& impressions, const std::vector<uint8_t>& scar,
                const FadingConditions& conditions, const RenderParams& render,
                const cv::Vec3d& bare_linear, const cv::Vec3d& treated0_linear,
                const FadingParams& p = {});

  cv::Vec3d treated_linear(double years) const;
  double delta_e(double years) const;
  double share(double years) const;  // delta_e(years) / delta_e(0)
  double delta_e0() const { return de0_; }
  // Mean visible density (relative to year 0) over the impressions, weighted by their darkness.
  double visible(double years) const;
  const FadingConditions& conditions() const { return cond_; }
  // Blend between dots apart (0) and overlapping at random (1); see the top of this file.
  void set_overlap(double overlap) { overlap_ = std::clamp(overlap, 0.0, max_overlap_); }
  double overlap() const { return overlap_; }
  // Largest overlap at which the area still darkens with every dot's darkness (at most 3).
  double max_overlap() const { return max_overlap_; }

 private:
  // Impressions that age alike are grouped: the model costs O(groups) per evaluation.
  struct Group {
    double mass0 = 0;  // sum of the year-0 coverage masses (px²)
    double density = 0, softness = 0;
    cv::Vec3d tint{1, 1, 1};
    bool scar = false;
  };
  cv::Vec3d darkness(double years) const;

  std::vector<Group> groups_;
  FadingConditions cond_;
  Pigment pigment_;
  FadingParams p_;
  cv::Vec3d bare_, treated0_, s0_;
  Lab bare_lab_;
  double de0_ = 0;
  double overlap_ = 0.5, max_overlap_ = 3.0;
};

// The no-photo reference: one square centimetre of a Fitzpatrick-typed bare scalp with 100
// impressions of 0.36 mm placed in three sessions (30 %, 40 %, 30 % of the dots at
// concentrations 0.55, 0.85, 1.0 — the renderer's session defaults). A finished treatment
// darkens the area's mean by kReferenceDarkening in green (ΔE2000 ≈ 5 on type III, what the
// renderer gives on the sample photos), with the overlap the photos are fitted to. The defaults
// of FadingParams are calibrated on it; `smp age --model-only` and touch_up_year() use it.
inline constexpr double kReferenceDarkening = 0.20;
inline constexpr double kReferenceOverlap = 0.9;
Lab reference_skin(int skin_type);  // middle of each ITA° band
ContrastModel reference_contrast_model(const FadingConditions& c, const FadingParams& p = {});

}  // namespace smp
