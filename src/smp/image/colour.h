// Colour helpers used everywhere: sRGB <-> linear light, CIELAB (D65), ΔE2000, ITA° skin tone.
// Conventions: 8-bit images are sRGB-encoded BGR (OpenCV order); float images are linear light,
// BGR, nominal range [0,1].
#pragma once
#include <array>
#include <opencv2/core.hpp>

namespace smp {

struct Lab {
  double L = 0, a = 0, b = 0;
};

// Scalar transfer functions (IEC 61966-2-1), on [0,1].
double srgb_to_linear(double v);
double linear_to_srgb(double v);
// 256-entry table: sRGB 8-bit code -> linear light.
const std::array<float, 256>& srgb8_to_linear_table();

// Whole images: CV_8UC3 sRGB -> CV_32FC3 linear, and back (rounded, clamped).
cv::Mat to_linear(const cv::Mat& bgr8);
cv::Mat to_srgb8(const cv::Mat& linear_bgr);

// CIELAB of a linear-light BGR triple / an sRGB 8-bit BGR pixel / an sRGB 8-bit BGR mean.
Lab linear_bgr_to_lab(const cv::Vec3d& linear_bgr);
Lab srgb8_to_lab(const cv::Vec3b& bgr);
Lab srgb_bgr_to_lab(const cv::Vec3d& srgb_bgr_0_255);
cv::Vec3d lab_to_linear_bgr(const Lab& lab);

// Whole images, a drop-in for cv::cvtColor(bgr, lab, cv::COLOR_BGR2Lab) with OpenCV's value
// conventions: CV_8UC3 sRGB -> CV_8UC3 (L* x 255/100, a* + 128, b* + 128), CV_32FC3 sRGB in
// [0,1] -> CV_32FC3 (L* 0-100, a*, b*); same D65 matrix and white point, computed directly
// (within 1 code / 0.05 of OpenCV's). OpenCV builds its Lab tables on the first such call in a
// process, with software floating point: 0.25-0.45 s, more than a 12 MP analysis should take.
cv::Mat bgr_to_lab(const cv::Mat& bgr);

// CIEDE2000 colour difference (Sharma, Wu & Dalal 2005).
double delta_e2000(const Lab& x, const Lab& y);

// Individual Typology Angle in degrees: atan((L* - 50) / b*) — > 55 very light, < -30 dark.
double ita_degrees(const Lab& lab);
// The ITA category a dermatologist would name ("very light", "light", "intermediate", "tan",
// "brown", "dark").
const char* ita_category(double ita);

// Mean of an 8-bit BGR image under a mask, averaged in linear light, returned as CIELAB.
Lab mean_lab(const cv::Mat& bgr8, const cv::Mat& mask8);

}  // namespace smp
