// GrabCut with dlib's cut: a head of one colour family told from a backdrop of another.
#include "smp/scalp/grab_cut.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace smp {
namespace {

// A disc of skin-like colour on a blue-grey backdrop, both with noise; the mask as a top view
// starts it: a generous probable-head ellipse, a sure core, a sure backdrop border.
struct Scene {
  cv::Mat bgr, truth, mask;
};

Scene disc_scene() {
  Scene s;
  const cv::Size size(200, 160);
  s.bgr.create(size, CV_8UC3);
  cv::randn(s.bgr, cv::Scalar(150, 140, 120), cv::Scalar(10, 10, 10));
  s.truth = cv::Mat::zeros(size, CV_8U);
  cv::circle(s.truth, {100, 80}, 50, 255, cv::FILLED);
  cv::Mat head(size, CV_8UC3);
  cv::randn(head, cv::Scalar(110, 150, 200), cv::Scalar(10, 10, 10));
  head.copyTo(s.bgr, s.truth);
  s.mask = cv::Mat(size, CV_8U, cv::Scalar(cv::GC_PR_BGD));
  cv::ellipse(s.mask, {100, 80}, {80, 68}, 0, 0, 360, cv::GC_PR_FGD, cv::FILLED);
  cv::circle(s.mask, {100, 80}, 15, cv::GC_FGD, cv::FILLED);
  s.mask.rowRange(0, 5).setTo(cv::GC_BGD);
  return s;
}

TEST(GrabCut, FindsTheDiscAndKeepsTheSurePixels) {
  Scene s = disc_scene();
  const cv::Mat before = s.mask.clone();
  cv::theRNG() = cv::RNG();
  grab_cut(s.bgr, s.mask, 3, 80);
  const cv::Mat head = (s.mask == cv::GC_FGD) | (s.mask == cv::GC_PR_FGD);
  const double iou =
      static_cast<double>(cv::countNonZero(head & s.truth)) / cv::countNonZero(head | s.truth);
  EXPECT_GT(iou, 0.95);
  // Sure pixels stay what they were; probable ones stay probable.
  EXPECT_EQ(cv::countNonZero((before == cv::GC_FGD) != (s.mask == cv::GC_FGD)), 0);
  EXPECT_EQ(cv::countNonZero((before == cv::GC_BGD) != (s.mask == cv::GC_BGD)), 0);
  // The same photo, the same RNG: the same outline.
  Scene again = disc_scene();
  cv::theRNG() = cv::RNG();
  grab_cut(again.bgr, again.mask, 3, 80);
  EXPECT_EQ(cv::countNonZero(again.mask != s.mask), 0);
}

}  // namespace
}  // namespace smp
