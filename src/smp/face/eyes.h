// A pair of eyes found by OpenCV's Haar cascade (Debian's opencv-data) where dlib's frontal
// detector finds no face: a head tilted chin-down for a hairline photo still shows its eyes low
// in the head, and they tell the forehead and face apart from the scalp. No dlib here.
#pragma once
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

namespace smp {

// Debian's cascade; robust to glasses.
inline constexpr const char* kDefaultEyeCascade =
    "/usr/share/opencv4/haarcascades/haarcascade_eye_tree_eyeglasses.xml";
// Finds some bare eyes the one above misses.
inline constexpr const char* kPlainEyeCascade =
    "/usr/share/opencv4/haarcascades/haarcascade_eye.xml";

struct EyePair {
  cv::Point2d left, right;  // eye centres, image pixels, left one on screen left
  double size_px = 0;       // mean side of the two detection boxes
  double distance_px() const { return cv::norm(right - left); }
};

class EyeDetector {
 public:
  // Throws InputError(path, ...) when the cascade cannot be loaded.
  explicit EyeDetector(const std::string& cascade_path);
  ~EyeDetector();
  // The most plausible pair inside `head` (the head's bounding box): similar sizes, about level,
  // 0.25-0.55 head widths apart, both in the lower half of the head. None when no pair fits.
  std::optional<EyePair> find_pair(const cv::Mat& bgr8, const cv::Rect& head) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where the cascades find no eyes (lids looking down, half closed, behind glasses): the eyes of a
// chin-down head from what they leave dark on the skin. Either a level pair of short dark lines
// (upper-lid creases or brows) mirrored about the head's middle, each with forehead skin just
// above it, or the two lenses of a pair of glasses (the holes of one wide dark frame). Searched
// in the head's lower 60 %; `skin8` is the parts map's skin (CV_8U, photo size). None when no
// pair fits; the centres are then near the pupils (creases sit a few mm above them).
std::optional<EyePair> find_eyes_from_dark_lines(const cv::Mat& bgr8, const cv::Mat& skin8,
                                                 const cv::Rect& head);

// One detector per cascade path for the whole process, loaded on first use; nullptr when the
// file is missing or unreadable (callers then carry on without eyes).
const EyeDetector* shared_eye_detector(const std::string& cascade_path);

}  // namespace smp
