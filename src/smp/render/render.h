// Scalp micropigmentation rendered as it is done: pigment impressions (dots of 0.2-0.5 mm, about
// 1 mm apart) placed session by session, then composed optically onto the client's photo.
//
// Stable API (`smp age` builds on it): place_impressions() makes the impressions a practitioner
// would make, render_impressions() draws any list of impressions onto a photo. Ageing edits the
// impressions (density down, diameter and softness up, tint towards blue-grey) and re-renders.
//
// Conventions: photos are 8-bit sRGB BGR at the edges; the optics run in linear light. Each
// impression multiplies the skin's diffuse light by a transmittance (the pigment sits under the
// epidermis), integrated analytically over the pixels it covers, so the result does not depend
// on the photo's resolution; specular highlights and skin texture stay on top.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace smp {

// The ink. Carbon pigment seen through skin is a dark, cool grey: blue is absorbed least
// (Tyndall scattering), so a full-strength dot reads slightly blue, never black.
struct Pigment {
  // Optical density per channel (B, G, R) of a dot's core at concentration 1: transmittance is
  // exp(-od * density * tint).
  cv::Vec3f od{1.85f, 2.08f, 2.28f};
  // Smallest transmittance of a dot's core, whatever the concentration: never pure black.
  float min_transmittance = 0.08f;
  // Light scattered in the dermis spreads part of each dot's shadow into a faint Gaussian halo
  // around it: together the halos give treated scalp the even grey shadow of a shaved head,
  // with the dots as fine stipple on top. Sigma on the skin (mm), and the halo's darkening
  // (mass) as a share of the dot's own. 0 turns it off.
  float halo_sigma_mm = 0.5f;
  float halo_mass = 2.2f;
};

// One needle impression (a "dot"), where the practitioner put it.
struct Impression {
  cv::Point2f pos_px;         // centre on the photo, pixels
  cv::Point2f pos_mm;         // on the scalp, mm from the design origin (x right, y up the head)
  float diameter_mm = 0.35f;  // dot diameter on the skin (1RL 0.18-0.30, 3RL 0.30-0.50)
  float density = 1.0f;       // pigment concentration 0..1 (1 = the clinic's undiluted shade)
  float softness = 0.35f;     // scattering halo as a share of the radius, 0 (sharp) .. 1.5
  cv::Vec3f tint{1, 1, 1};    // per-channel (B, G, R) factor on the pigment's optical density
  float px_per_mm = 1.0f;     // photo scale at the dot (along the unforeshortened axis)
  float foreshortening = 1;   // minor/major axis of the dot's image: 1 facing the camera
  float axis_rad = 0;         // image direction (radians) of the foreshortened (minor) axis
  int session = 1;            // 1..4, the session that placed it
  int needles = 3;            // 1 (1RL, hairline front) or 3 (3RL, density)
};

struct RenderParams {
  Pigment pigment;
  // CV_8U, non-zero = treated; any size (nearest-scaled to the photo). Pixels outside stay
  // bit-identical to the input. Empty: everywhere the impressions land.
  cv::Mat treated_mask;
  int max_session = 4;          // draw impressions with session <= this
  bool keep_highlights = true;  // separate specular light (white) and keep it on top
  // The camera's own blur (Gaussian sigma, photo px): a dot is photographed as softly as the
  // skin around it. estimate_camera_blur() measures it.
  float camera_blur_px = 0;
  int nthreads = 0;  // 0: all cores
  // The image drawn on is this window of the photo (a crop: a sessions strip's head), whose
  // whole size is `photo_size`; impressions and mask stay in the photo's coordinates. Empty:
  // the image is the whole photo. A window that holds every impression drawn gives that window
  // of the whole render (the skin's colour is read under the dots).
  cv::Rect window;
  cv::Size photo_size;
};

// Sigma (px) of the photo's blur over the masked area, by re-blurring (Crete-Roffet 2007): the
// less a 1 px blur removes of the gradient energy, the blurrier the photo already is.
float estimate_camera_blur(const cv::Mat& bgr8, const cv::Mat& mask8);

// Draws the impressions on a copy of the photo (same size, CV_8UC3 sRGB).
cv::Mat render_impressions(const cv::Mat& bgr8, const std::vector<Impression>& impressions,
                           const RenderParams& params);
// The same, drawn into the photo itself: only the dots' pixels change. For a caller that owns
// the pixels: a copy of a 12 MP photo is ~9 k fresh pages of memory, slower than the dots.
void render_impressions_into(cv::Mat& bgr8, const std::vector<Impression>& impressions,
                             const RenderParams& params);
// The same on `window` of the photo only: a copy of that window, drawn on (the whole photo:
// render_impressions). A window that holds every impression gives the whole render's pixels
// there (RenderParams::window).
cv::Mat render_impressions_window(const cv::Mat& bgr8, const std::vector<Impression>& impressions,
                                  RenderParams params, const cv::Rect& window);

// Where and how densely to tattoo, on a grid `scale` times the photo's size (design maps are
// computed at about 0.5 mm per cell; build_treatment_map in treatment.h makes one from an
// analysis and a design).
struct TreatmentMap {
  double scale = 1;        // map px per photo px
  double px_per_mm = 1;    // photo scale (face plane)
  cv::Mat treated;         // CV_8U 0/255: the treated area (photo coordinates * scale)
  cv::Mat density;         // CV_32F impressions per cm² at 100 % (after session 3)
  cv::Mat ramp;            // CV_32F 0..1: hairline transition (1 = full density behind it)
  cv::Mat front;           // CV_32F 0..1: 1 at the very front of the hairline (small 1RL dots)
  cv::Mat foreshortening;  // CV_32F 0.2..1: cos of the surface tilt from the head model
  cv::Mat axis_rad;        // CV_32F image direction of the tilt (towards the silhouette)
  cv::Point2d origin_px;   // design origin on the photo (glabella, or the scalp centre)
  cv::Point2d up{0, -1};   // unit vector "up the head" on the photo
};

struct PlacementOptions {
  int sessions = 3;  // place the impressions of sessions 1..sessions (1-4)
  double mean_diameter_mm = 0.45;
  unsigned seed = 1;
  // Share of the target density reached after each session (session 4 refines).
  double session_share[4] = {0.30, 0.70, 1.00, 1.05};
  // Pigment concentration per session: the first session is more diluted.
  double session_concentration[4] = {0.55, 0.85, 1.00, 1.00};
  double concentration = 1.0;  // the client's shade (diluted for light hair / skin), 0..1
  int nthreads = 0;            // 0: all cores; the impressions do not depend on it
};

// Blue-noise (Poisson-disk) placement whose radius follows the density map; each session fills
// in between the previous ones. Deterministic for a given seed, whatever the thread count.
std::vector<Impression> place_impressions(const TreatmentMap& map, const PlacementOptions& opt);

}  // namespace smp
