#include "smp/face/eyes.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

#include "smp/core/errors.h"

namespace smp {

struct EyeDetector::Impl {
  std::mutex mu;  // CascadeClassifier::detectMultiScale is not const
  cv::CascadeClassifier cascade;
};

EyeDetector::EyeDetector(const std::string& cascade_path) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(cascade_path, ec))
    throw InputError(cascade_path, "eye cascade not found (Debian package opencv-data)");
  if (!impl_->cascade.load(cascade_path))
    throw InputError(cascade_path, "not a readable OpenCV cascade");
}

EyeDetector::~EyeDetector() = default;

std::optional<EyePair> EyeDetector::find_pair(const cv::Mat& bgr8, const cv::Rect& head_box) const {
  const cv::Rect head = head_box & cv::Rect(0, 0, bgr8.cols, bgr8.rows);
  if (head.width < 40 || head.height < 40) return std::nullopt;
  // Eyes of a chin-down head sit in its lower half; search there, on a copy about 400 px wide
  // (eyes are then ~40 px, well above the cascade's 20 px window, and it stays quick).
  const cv::Rect roi(head.x, head.y + head.height / 2, head.width, head.height - head.height / 2);
  const double k = std::min(1.0, 400.0 / roi.width);
  cv::Mat grey;
  cv::cvtColor(bgr8(roi), grey, cv::COLOR_BGR2GRAY);
  if (k < 1) cv::resize(grey, grey, cv::Size(), k, k, cv::INTER_AREA);
  cv::equalizeHist(grey, grey);
  const double hw = head.width * k;  // head width on the copy
  std::vector<cv::Rect> found;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->cascade.detectMultiScale(
        grey, found, 1.05, 2, 0,
        cv::Size(std::max(12, int(0.06 * hw)), std::max(12, int(0.06 * hw))),
        cv::Size(int(0.3 * hw), int(0.3 * hw)));
  }
  // Few neighbours (downcast, half-closed eyes score low): the pairing below rejects strays.
  // Score every pair: level, alike in size, spaced like eyes for this head width, centred.
  double best = 1e9;
  std::optional<EyePair> out;
  for (size_t i = 0; i < found.size(); ++i)
    for (size_t j = 0; j < found.size(); ++j) {
      if (i == j) continue;
      const cv::Rect& a = found[i];
      const cv::Rect& b = found[j];
      cv::Point2d ca(a.x + a.width / 2.0, a.y + a.height / 2.0);
      cv::Point2d cb(b.x + b.width / 2.0, b.y + b.height / 2.0);
      if (ca.x >= cb.x) continue;
      const double d = cv::norm(cb - ca);
      const double size = 0.5 * (a.width + b.width);
      const double size_ratio = double(std::max(a.width, b.width)) / std::min(a.width, b.width);
      const double tilt = std::abs(std::atan2(cb.y - ca.y, cb.x - ca.x)) * 180 / M_PI;
      // Pupils are ~63 mm apart on a ~150 mm wide head: 0.42 of it; accept 0.25-0.55.
      if (size_ratio > 1.5 || tilt > 15 || d < 0.25 * hw || d > 0.55 * hw || d < 1.2 * size)
        continue;
      const double mid_x = 0.5 * (ca.x + cb.x);
      const double off_centre = std::abs(mid_x - 0.5 * grey.cols) / hw;
      if (off_centre > 0.15) continue;
      const double score =
          (size_ratio - 1) + tilt / 15 + std::abs(d / hw - 0.42) * 3 + off_centre * 3;
      if (score >= best) continue;
      best = score;
      EyePair p;
      p.left = cv::Point2d(roi.x, roi.y) + ca * (1.0 / k);
      p.right = cv::Point2d(roi.x, roi.y) + cb * (1.0 / k);
      p.size_px = size / k;
      out = p;
    }
  return out;
}

const EyeDetector* shared_eye_detector(const std::string& cascade_path) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<EyeDetector>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(cascade_path);
  if (it == cache.end()) {
    std::unique_ptr<EyeDetector> d;
    try {
      d = std::make_unique<EyeDetector>(cascade_path);
    } catch (const InputError&) {
      // Missing opencv-data: analyses go on as before, without eyes.
    }
    it = cache.emplace(cascade_path, std::move(d)).first;
  }
  return it->second.get();
}

}  // namespace smp
