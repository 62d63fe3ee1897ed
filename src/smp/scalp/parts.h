// The parts map: every pixel labelled hair, skin or background. Bald scalp is skin; beard and
// eyebrows are hair (the LFW Part Labels convention, so it can be scored against that truth).
#pragma once
#include <opencv2/core.hpp>

#include "smp/face/face.h"

namespace smp {

enum class Part : uint8_t { kBackground = 0, kSkin = 1, kHair = 2 };

struct PartsOptions {
  // Segmentation runs on a head crop downscaled to about this long side, then the labels are
  // carried back to full size with an edge-aware refinement.
  int work_long_side = 320;
};

// Labels (CV_8U, values of Part) of the photo's size. `face` may be null (top / back views).
cv::Mat segment_parts(const cv::Mat& bgr8, const Face* face, const PartsOptions& opt = {});

// LFW colours: hair (255,0,0), skin (0,255,0), background (0,0,255), as an 8-bit BGR image.
cv::Mat parts_to_colour(const cv::Mat& labels);
// Inverse of parts_to_colour for ground-truth PNGs (nearest of the three colours).
cv::Mat parts_from_colour(const cv::Mat& bgr8);

}  // namespace smp
