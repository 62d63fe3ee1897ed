// Faces in a photo: detection, 68 landmarks (iBUG 300-W order), pupils, head pose.
// dlib is used only inside dlib_adapter.cpp (its headers are slow to compile); everything here
// is plain values.
#pragma once
#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "smp/core/timings.h"

namespace smp {

struct Face {
  cv::Rect2d box;                           // detector box, image pixels
  std::array<cv::Point2d, 68> landmarks{};  // iBUG 68-point order
  double detector_score = 0;

  cv::Point2d left_pupil() const;   // subject's right eye on screen left (points 36-41)
  cv::Point2d right_pupil() const;  // points 42-47
  double interpupillary_px() const;
  cv::Point2d glabella() const;  // between the brows (mean of points 21, 22)
  double area() const { return box.area(); }
};

struct Pose {
  // Degrees. yaw > 0: the subject turns to their left (nose toward screen right); pitch > 0: chin
  // up; roll > 0: head tilts toward the subject's left shoulder (clockwise on screen). A mirrored
  // photo has the opposite yaw and roll.
  double yaw = 0, pitch = 0, roll = 0;
};

struct DetectOptions {
  // The detector runs on a copy shrunk by a whole factor to a long side of about this (up to 10%
  // more); landmarks use the full image. Faces smaller than ~8% of this side are not found.
  int detect_max_side = 1000;
  // Photos smaller than this (long side) are upsampled for the detector (finds 40-px faces).
  int upsample_below = 700;
  // Threads for the detector (0: all cores). The result does not depend on it.
  int threads = 0;
  // Landmarks for every face found, or for none (boxes and scores only; then add_landmarks()
  // for the face that matters). Each face costs ~4 ms, memory-bound in the 100 MB model: a
  // collage of 22 portraits ~100 ms for landmarks nobody reads.
  bool landmarks = true;
};

// How FaceModel::load reads the landmark model file.
enum class ModelReader {
  kFastOrDlib,  // SMP's reader (~4x faster); dlib's for a structure SMP's does not follow
  kFastOnly,    // SMP's reader, or InputError (tests: to know which reader read the file)
  kDlibOnly,    // dlib::deserialize, the reference
};

// The face detector and the 68-point landmark model, loaded once per process (~100 MB).
class FaceModel {
 public:
  // Throws InputError naming the model file if it is missing or not a dlib model.
  static std::shared_ptr<const FaceModel> load(const std::string& landmark_model_path,
                                               ModelReader reader = ModelReader::kFastOrDlib);
  static std::string default_model_path();  // $SMP_LANDMARK_MODEL or the libdlib-data path
  ~FaceModel();

  // Faces, largest first. `timings`, when given, gets the steps' times (faces.*).
  std::vector<Face> detect(const cv::Mat& bgr8, const DetectOptions& opt = {},
                           Timings* timings = nullptr) const;
  // Landmarks for a given box (e.g. when the caller already knows where the face is).
  Face landmarks_for(const cv::Mat& gray8, const cv::Rect2d& box) const;
  // Fills f.landmarks from f.box on the photo (the same as detect() with landmarks).
  void add_landmarks(const cv::Mat& bgr8, Face& f) const;

 private:
  FaceModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend bool same_landmark_model(const FaceModel& a, const FaceModel& b);
};

// Face boxes and scores only, largest first (no landmarks): the frontal detector is built into
// the program, so this needs no landmark model and can run while FaceModel::load() reads it.
// FaceModel::detect() is this plus landmarks.
std::vector<Face> detect_face_boxes(const cv::Mat& bgr8, const DetectOptions& opt = {},
                                    Timings* timings = nullptr);

// For tests: the frontal detector SMP loads (a raw copy, fast to load) is byte for byte the one
// dlib ships compressed. Slow: unpacks dlib's copy (0.3-0.9 s).
bool frontal_detector_is_dlibs();

// For tests: the two models' landmark predictors are the same, every float bit for bit.
bool same_landmark_model(const FaceModel& a, const FaceModel& b);

// Head pose from landmarks: solvePnP against a generic adult 3D face (mm).
Pose estimate_pose(const Face& face, cv::Size image_size);

}  // namespace smp
