// `smp analyze`: photo -> faces, scale, pose, parts map, scalp, Norwood, proposed hairline.
// The one analysis the simulator, the planner and the studio all use.
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/core/timings.h"
#include "smp/design/hairline.h"
#include "smp/face/eyes.h"
#include "smp/face/face.h"
#include "smp/scalp/parts.h"
#include "smp/scalp/scalp.h"

namespace smp {

struct AnalyzeOptions {
  double ipd_mm = 63;               // interpupillary distance used for scale
  std::optional<double> px_per_mm;  // the user's own scale wins over everything
  std::optional<double> marker_mm;  // diameter of a round calibration sticker in the photo
  int face_index = -1;              // -1: the largest face
  HairlineOptions hairline;
  // detect.landmarks = false: landmarks for the analysed face only (faces lists the others'
  // boxes); the default keeps every face's landmarks (compare anonymises the other faces).
  DetectOptions detect;
  // Faces already found on this photo by detect_face_boxes() with `detect` (the CLI finds them
  // while the landmark model loads): analyze() only adds landmarks. Null: analyze() detects.
  const std::vector<Face>* face_boxes = nullptr;
  PartsOptions parts;
  // Without a dlib face, look for the eyes of a chin-down head with these Haar cascades, in turn;
  // empty: never. A missing file is skipped (as before: no eyes), not an error.
  std::vector<std::string> eye_cascades = {kDefaultEyeCascade, kPlainEyeCascade};
  // The view when dlib finds no face: a crown / top view (kTop) unless the user says it is a side
  // view (kSide: the face's side of a profile is not scalp; no eye search). A face's pose wins.
  View view_without_face = View::kTop;
  // When the cascades find none: lid creases, brows or glasses (find_eyes_from_dark_lines).
  bool eyes_from_dark_lines = true;
  double above_eyes_mm = 30;      // the face/forehead below this line is never scalp
  double tilted_pitch_deg = -25;  // assumed pitch of a chin-down head found by its eyes only
  // Without a dlib face, look for one in the photo turned a quarter or half turn: a sideways or
  // upside-down photo (no EXIF orientation) is refused, not analysed as a top view (its face
  // would be taken for scalp).
  bool refuse_turned_photos = true;
};

// A "top" view that shows a chin-down face: its eyes, and the line above which the scalp may be.
struct TiltedFace {
  EyePair eyes;
  std::string eyes_from;  // "cascade" or "dark_lines"
  // The cut line through the photo: a natural hairline above the glabella (projected as the
  // hairline is), and no lower than above_eyes_mm above the eyes.
  cv::Point2d cut_a, cut_b;
  cv::Point2d up;     // unit vector from the eyes towards the crown
  double cut_mm = 0;  // the cut's height above the eyes at px_per_mm
  // For the hairline: outer eye corners and glabella placed from the eyes by an adult face's
  // proportions, and a chin-down pitch (no landmarks to measure it; more forehead shows, so the
  // line sits higher: the conservative side).
  FaceFrame frame;
  Pose pose;
  // Px per mm up the face for the hairline: the head-width estimate of a top view does not hold
  // along a face seen this steeply; the head's own height above the glabella does. 0: unknown.
  double forehead_px_per_mm = 0;
  // Signed distance (px) of p above the cut line; < 0 is face.
  double above_cut_px(cv::Point2d p) const { return (p - cut_a).dot(up); }
};

struct Analysis {
  cv::Size size;
  View view = View::kFront;
  std::vector<Face> faces;  // largest first
  int face_index = -1;      // the analysed face, -1 when none (top / back view)
  Pose pose;
  double px_per_mm = 0;
  std::string scale_source;  // "ipd", "marker", "user", "head_width_estimate"
  bool scale_is_estimate = false;
  cv::Mat parts;  // CV_8U labels (Part)
  Scalp scalp;
  std::optional<Hairline> hairline;
  std::optional<TiltedFace> tilted_face;  // top view only: eyes found without a dlib face
  Timings timings;

  const Face* face() const { return face_index >= 0 ? &faces[face_index] : nullptr; }
  // What a hairline is designed from: the analysed face, else a tilted face's eyes; none for a
  // top view without eyes. The pose to project it with goes along.
  std::optional<FaceFrame> face_frame() const;
  Pose design_pose() const;
  double design_px_per_mm() const;  // the scale along the face the hairline is drawn with
};

// Throws InputError("no head found") when the photo shows no head at all.
Analysis analyze(const cv::Mat& bgr8, const FaceModel& model, const AnalyzeOptions& opt = {},
                 const std::string& name = "");

nlohmann::json to_json(const Analysis& a);

// For a person to check: landmarks, parts boundaries, scalp region and hairline on the photo.
cv::Mat draw_overlay(const cv::Mat& bgr8, const Analysis& a);

}  // namespace smp
