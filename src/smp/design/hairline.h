// The hairline an SMP practitioner would draw: the mid-frontal point about a third of the face's
// height above the glabella (about 8 cm along the forehead's surface, 7-10 cm; mature higher,
// youthful lower),
// temporal points on the line of the outer eye corners, a soft transition zone, never straight
// and never symmetric to the pixel. Heights are measured along the forehead, which curves back,
// and projected onto the photo with the head's pitch, so a chin-down head shows more forehead.
#pragma once
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smp/face/face.h"
#include "smp/scalp/scalp.h"  // projected_forehead_mm

namespace smp {

enum class HairlinePreset { kNatural, kMature, kYouthful, kBroken };
HairlinePreset parse_hairline_preset(const std::string& name);  // throws UsageError
const char* to_string(HairlinePreset p);

struct Hairline {
  std::vector<cv::Point2d> points;  // left temple -> mid-frontal -> right temple, image px
  double mid_frontal_mm = 68;       // mid-frontal point above the glabella, along the forehead
  double transition_mm = 7;         // depth of the soft front zone
  HairlinePreset preset = HairlinePreset::kNatural;
};

struct HairlineOptions {
  HairlinePreset preset = HairlinePreset::kNatural;
  double mid_frontal_mm = 0;  // 0: from the preset and the face's own thirds
  unsigned seed = 1;
};

// The head's outline from a head mask (CV_8U): the convex hull of its largest part after an
// opening of `open_radius_px` (which drops thin things the segmentation joined to the head: an
// arm, a collar), so a highlight on a bald crown that a segmentation calls background is still
// head.
cv::Mat head_outline(const cv::Mat& head8, int open_radius_px = 0);

// head_outline() of a photo-size head mask shrunk by `scale`, worked on the head's box only (the
// mask is empty elsewhere: shrinking all of a 12 MP mask costs ~26 ms). The box is padded by
// `pad_px` (photo px) past the head, so its edge reads as background as far as the caller's own
// morphology reaches; where it meets the photo's edge, that edge is the photo's.
struct ShrunkOutline {
  cv::Mat outline;  // CV_8U 0/255, the crop's size times `scale`
  cv::Rect crop;    // photo px
  double scale = 1;
  // Photo px -> outline px (not clamped).
  cv::Point2d to_outline(cv::Point2d p) const { return (p - cv::Point2d(crop.tl())) * scale; }
};
ShrunkOutline shrunk_head_outline(const cv::Mat& head_mask, double scale, int open_radius_px,
                                  int pad_px);

// What the hairline is designed from: the eye line's outer corners and the glabella, and the tip
// of the nose when known (the face's middle third nudges the height). From 68 landmarks, or from
// the eyes of a chin-down head that dlib does not find as a face.
struct FaceFrame {
  cv::Point2d outer_eye_left, outer_eye_right;  // screen left / right
  cv::Point2d glabella;
  std::optional<cv::Point2d> nose_tip;
};
FaceFrame face_frame(const Face& face);

// From a face frame, the scale, the head's pose and its outline (CV_8U, photo size, may be
// empty): the line is kept inside the head, below its top.
Hairline propose_hairline(const FaceFrame& face, double px_per_mm, const Pose& pose,
                          const cv::Mat& head_mask, const HairlineOptions& opt = {});
// From a face (landmarks), the scale, the head's pose and its outline (CV_8U, photo size, may be
// empty): the line is kept inside the head, below its top.
Hairline propose_hairline(const Face& face, double px_per_mm, const Pose& pose,
                          const cv::Mat& head_mask, const HairlineOptions& opt = {});
// A frontal, upright head of unknown outline.
Hairline propose_hairline(const Face& face, double px_per_mm, const HairlineOptions& opt = {});

}  // namespace smp
