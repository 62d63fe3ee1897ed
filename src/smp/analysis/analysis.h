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
  DetectOptions detect;
  PartsOptions parts;
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
  Timings timings;

  const Face* face() const { return face_index >= 0 ? &faces[face_index] : nullptr; }
};

// Throws InputError("no head found") when the photo shows no head at all.
Analysis analyze(const cv::Mat& bgr8, const FaceModel& model, const AnalyzeOptions& opt = {},
                 const std::string& name = "");

nlohmann::json to_json(const Analysis& a);

// For a person to check: landmarks, parts boundaries, scalp region and hairline on the photo.
cv::Mat draw_overlay(const cv::Mat& bgr8, const Analysis& a);

}  // namespace smp
