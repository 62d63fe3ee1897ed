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

namespace {

// A candidate eye pair on the working copy: centres, size, and how unlike a pair of eyes it is.
struct PairGuess {
  cv::Point2d a, b;
  double size = 0, score = 1e9;
};

// Level, alike, centred on the head, spaced like eyes (0.42 head widths, 0.25-0.6 accepted).
// Lower is better; none when it cannot be a pair of eyes. `w`: head width on the copy.
std::optional<double> pair_score(cv::Point2d ca, cv::Point2d cb, double size_ratio, double w) {
  const double d = cb.x - ca.x, dy = std::abs(cb.y - ca.y);
  const double off_centre = std::abs(0.5 * (ca.x + cb.x) - 0.5 * w) / w;
  if (d < 0.25 * w || d > 0.6 * w || dy > 0.08 * w || size_ratio > 2 || off_centre > 0.15)
    return std::nullopt;
  return dy / (0.08 * w) + (size_ratio - 1) + off_centre * 6 + std::abs(d / w - 0.42) * 3;
}

}  // namespace

std::optional<EyePair> find_eyes_from_dark_lines(const cv::Mat& bgr8, const cv::Mat& skin8,
                                                 const cv::Rect& head_box) {
  const cv::Rect head = head_box & cv::Rect(0, 0, bgr8.cols, bgr8.rows);
  if (head.width < 40 || head.height < 40 || skin8.size() != bgr8.size()) return std::nullopt;
  // A copy 300 px across the head: brows and lids are then 5-10 px thick, whatever the photo.
  constexpr double kW = 300;
  const double k = kW / head.width;
  cv::Mat grey, skin;
  cv::cvtColor(bgr8(head), grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, grey, cv::Size(), k, k, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::resize(skin8(head), skin, grey.size(), 0, 0, cv::INTER_NEAREST);
  skin = skin > 0;
  // Thin dark things: darker by 18 grey levels than a closing 7 % of the head wide.
  cv::Mat dark;
  cv::morphologyEx(grey, dark, cv::MORPH_BLACKHAT,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(21, 21)));
  dark = dark > 18;
  // Eyes of a chin-down head are in its lower 60 %: hair above must not join a frame of glasses.
  const int low = cvRound(0.4 * grey.rows);
  dark.rowRange(0, low).setTo(0);
  // Skin within 16 px (~8 mm) above a pixel (forehead over a brow or a lid crease, over a
  // frame), or below it (a cheek under the lids when the brow above is taken for hair); a dark
  // strand in hair has neither.
  cv::Mat skin_above, skin_below, column = cv::Mat::ones(17, 1, CV_8U);
  cv::dilate(skin, skin_above, column, cv::Point(0, 16));
  cv::dilate(skin, skin_below, column, cv::Point(0, 0));
  cv::Mat labels, stats, centres;
  const int n = cv::connectedComponentsWithStats(dark, labels, stats, centres, 8);
  PairGuess best;
  struct Line {
    cv::Point2d c;
    int width;
  };
  std::vector<Line> lines;
  for (int c = 1; c < n; ++c) {
    const cv::Rect r(stats.at<int>(c, cv::CC_STAT_LEFT), stats.at<int>(c, cv::CC_STAT_TOP),
                     stats.at<int>(c, cv::CC_STAT_WIDTH), stats.at<int>(c, cv::CC_STAT_HEIGHT));
    const cv::Point2d centre(centres.at<double>(c, 0), centres.at<double>(c, 1));
    if (centre.y < low) continue;
    const cv::Mat comp = labels(r) == c;
    if (r.width >= 0.08 * kW && r.width <= 0.45 * kW && r.width >= 2 * r.height) {
      // A crease or a brow: most of it under skin.
      const int area = stats.at<int>(c, cv::CC_STAT_AREA);
      if (cv::countNonZero(comp & (skin_above(r) | skin_below(r))) >= 0.5 * area)
        lines.push_back({centre, r.width});
    } else if (r.width >= 0.45 * kW) {
      // A frame of glasses: its enclosed holes are the lenses; forehead skin over its top bar.
      int top_cols = 0, skin_cols = 0;
      for (int x = 0; x < r.width; ++x)
        for (int y = 0; y < r.height; ++y)
          if (comp.at<uint8_t>(y, x)) {
            ++top_cols;
            skin_cols += skin_above.at<uint8_t>(r.y + y, r.x + x) > 0;
            break;
          }
      if (skin_cols < 0.5 * top_cols) continue;
      cv::Mat hl, hs, hc;
      const int nh = cv::connectedComponentsWithStats(~comp, hl, hs, hc, 4);
      std::vector<std::pair<cv::Point2d, double>> lenses;  // centre, area
      for (int h = 1; h < nh; ++h) {
        const int x = hs.at<int>(h, cv::CC_STAT_LEFT), y = hs.at<int>(h, cv::CC_STAT_TOP);
        const int w = hs.at<int>(h, cv::CC_STAT_WIDTH), hh = hs.at<int>(h, cv::CC_STAT_HEIGHT);
        const double area = hs.at<int>(h, cv::CC_STAT_AREA);
        if (x == 0 || y == 0 || x + w == r.width || y + hh == r.height || area < 0.002 * kW * kW)
          continue;
        lenses.emplace_back(cv::Point2d(r.x + hc.at<double>(h, 0), r.y + hc.at<double>(h, 1)),
                            area);
      }
      for (const auto& [ca, aa] : lenses)
        for (const auto& [cb, ab] : lenses) {
          if (ca.x >= cb.x) continue;
          const auto score = pair_score(ca, cb, std::max(aa, ab) / std::min(aa, ab), kW);
          if (score && *score < best.score) best = {ca, cb, std::sqrt(0.5 * (aa + ab)), *score};
        }
    }
  }
  for (const Line& a : lines)
    for (const Line& b : lines) {
      if (a.c.x >= b.c.x) continue;
      const double ratio = double(std::max(a.width, b.width)) / std::min(a.width, b.width);
      const auto score = pair_score(a.c, b.c, ratio, kW);
      if (score && *score < best.score) best = {a.c, b.c, 0.5 * (a.width + b.width), *score};
    }
  if (best.score >= 1e9) return std::nullopt;
  EyePair p;
  p.left = cv::Point2d(head.x, head.y) + best.a * (1.0 / k);
  p.right = cv::Point2d(head.x, head.y) + best.b * (1.0 / k);
  p.size_px = best.size / k;
  return p;
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
