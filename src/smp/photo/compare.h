// `smp compare`: an honest before/after pair. AFTER is aligned onto BEFORE (same angle, same
// scale), its light is matched to BEFORE from regions the treatment does not change, and the pair
// is checked: when pose or light differ too much to trust, the verdict is "retake".
// Conventions: 8-bit sRGB BGR images in and out; the alignment maps AFTER's pixels onto BEFORE's.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/core/timings.h"
#include "smp/face/face.h"

namespace smp {

enum class Anonymize { kNone, kEyes, kFace };
Anonymize parse_anonymize(const std::string& s);  // "none" | "eyes" | "face"; throws UsageError
const char* to_string(Anonymize a);

enum class Layout { kSide, kSplit, kOverlay };
Layout parse_layout(const std::string& s);  // "side" | "split" | "overlay"; throws UsageError

struct CompareOptions {
  double max_pose_deg = 5;  // yaw / pitch difference past this -> retake
  double max_exposure_ev = 0.5;
  double max_white_balance_de = 5;  // ΔE2000 of the exposure-matched mean colour
  bool normalise_light = true;      // match AFTER's exposure / white balance to BEFORE
  bool refine = true;               // ECC refinement after the landmark fit
  DetectOptions detect;
};

// The similarity transform that maps AFTER onto BEFORE.
struct Alignment {
  double scale = 1;         // > 1: AFTER is enlarged
  double rotation_deg = 0;  // counter-clockwise as seen on screen
  cv::Point2d shift_px;     // translation part of the transform, BEFORE pixels
  // Mean distance of the stable landmarks (jaw, nose, eyes) located on the aligned AFTER from
  // those on BEFORE; for top views, of the feature inliers.
  double residual_px = 0;
  double landmark_fit_px = 0;  // AFTER's own landmarks carried over (includes detector jitter)
  std::string method;  // "landmarks", "landmarks+ecc", "features", "features+ecc", "identity"
  int points = 0;      // landmarks or feature inliers used
  cv::Matx23d m = cv::Matx23d(1, 0, 0, 0, 1, 0);  // AFTER pixel -> BEFORE pixel
};

// Builds the similarity with the given parameters (rotation CCW on screen) about the origin.
cv::Matx23d similarity(double scale, double rotation_deg, cv::Point2d shift);
// Decomposes the similarity part of m (the nearest similarity when m is a general affine).
Alignment describe(const cv::Matx23d& m);

struct LightDifference {
  double exposure_ev = 0;       // log2(AFTER / BEFORE) of mean linear luminance
  double white_balance_de = 0;  // ΔE2000 of the mean colours once exposure is matched
  std::string region;           // "face_skin", "background", "stable"
  cv::Vec3d gain{1, 1, 1};      // per-channel linear gain applied to AFTER (B, G, R)
};

struct ScalpDifference {
  bool measured = false;
  double mean_delta_L = 0;   // mean L*(AFTER) - L*(BEFORE) over BEFORE's scalp (after normalising)
  double changed_share = 0;  // share of the scalp whose |ΔL*| > changed_threshold_L
  double changed_threshold_L = 5;
  double scalp_area_px = 0;
};

struct Comparison {
  cv::Mat before;       // BEFORE, cropped to the area both photos cover
  cv::Mat after;        // AFTER aligned (and light-matched) in the same frame
  cv::Rect crop;        // the crop in BEFORE's pixels
  Alignment alignment;  // full frames (not the crop)
  std::optional<Face> face_before, face_after;  // face_after in BEFORE's frame, crop applied
  // Every other face found in either photo (bystanders, group photos), same frame: anonymised too.
  std::vector<Face> other_faces;
  std::optional<Pose> pose_before, pose_after;
  LightDifference light;
  ScalpDifference scalp;
  cv::Mat scalp_mask;    // BEFORE's scalp in the crop (CV_8U), may be empty
  cv::Mat changed_mask;  // where the scalp changed, in the crop
  double split_x = -1;   // where the split layout divides the pair (the face's midline), crop px
  std::string view;      // "front", "side", "top"
  std::string verdict;   // "ok" | "retake"
  std::vector<std::string> reasons;  // why retake, with figures
  Timings timings;
};

// Throws InputError naming the file when a photo shows no face or head to align on, or when the
// pair cannot be registered (e.g. a front photo paired with a top view).
Comparison compare_photos(const cv::Mat& before, const cv::Mat& after, const FaceModel& model,
                          const CompareOptions& opt = {}, const std::string& before_name = "before",
                          const std::string& after_name = "after");

// The verdict from the measured differences (exposed for tests and for the studio).
struct Verdict {
  std::string verdict;
  std::vector<std::string> reasons;
};
Verdict judge(const std::optional<Pose>& before, const std::optional<Pose>& after,
              double residual_roll_deg, const LightDifference& light, const CompareOptions& opt);

nlohmann::json to_json(const Comparison& c, const CompareOptions& opt);

// Blurs (kFace) or bars (kEyes) from the landmarks; faces may be empty (no-op).
cv::Mat anonymize(const cv::Mat& bgr8, const std::vector<Face>& faces, Anonymize how);
// The eye boxes (one per eye, padded) that anonymize(kEyes) covers.
std::vector<cv::Rect> eye_boxes(const Face& face, cv::Size size);

struct Captions {
  std::string before = "Before", after = "After";
  std::string before_date, after_date;  // appended when non-empty
};

// Side by side with captions, a split at the face's midline, or a 50/50 overlay.
cv::Mat compose(const Comparison& c, Layout layout, const Captions& captions = {});

// Anonymises both images of the pair in place (every face found in BEFORE and AFTER).
void anonymize_pair(Comparison& c, Anonymize how);

// A self-contained HTML page with a draggable, keyboard- and touch-friendly before/after slider
// (images inline as data: URLs; nothing is fetched).
std::string slider_page(const cv::Mat& before, const cv::Mat& after, const std::string& title,
                        const Captions& captions, const std::string& figures_html = "");

// Pieces of the slider page, shared with the gallery: the stylesheet, one <figure> with the
// two images (src: a data: URL or a relative file) and the script that drives every slider.
std::string slider_css();
std::string slider_figure(const std::string& before_src, const std::string& after_src,
                          const std::string& before_caption_html,
                          const std::string& after_caption_html, int width, int height, bool lazy);
std::string slider_js();

// Writes a before -> after wipe video (.webm VP8 or .mp4); throws UsageError for other
// extensions and InputError when this OpenCV build cannot encode the format.
void write_wipe_video(const std::string& path, const cv::Mat& before, const cv::Mat& after,
                      double seconds = 4, double fps = 25);

// Resizes so the long side is at most `long_side` (never enlarges).
cv::Mat fit_long_side(const cv::Mat& img, int long_side);

}  // namespace smp
