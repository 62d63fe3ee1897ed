// GrabCut with a grid cut: a head of one colour family told from a backdrop of another, and
// cv::grabCut's own result where its choices are taken.
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
  grab_cut(s.bgr, s.mask, 3, GrabCutOptions{4, 80.0});
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
  grab_cut(again.bgr, again.mask, 3, GrabCutOptions{4, 80.0});
  EXPECT_EQ(cv::countNonZero(again.mask != s.mask), 0);
}

TEST(GrabCut, WithOpenCVsChoicesGivesCvGrabCutsOutline) {
  // Two iterations from a mask of all four kinds, as the front view runs it: the same colour
  // models from the same k-means, the same graph, the same cut, pixel for pixel. A textured
  // backdrop with a patch of the head's colour makes the cut work for it.
  Scene s = disc_scene();
  cv::Mat patch(30, 40, CV_8UC3);
  cv::randn(patch, cv::Scalar(115, 145, 190), cv::Scalar(25, 25, 25));
  patch.copyTo(s.bgr(cv::Rect(5, 100, 40, 30)));
  s.mask(cv::Rect(0, 90, 60, 50)).setTo(cv::GC_PR_FGD);
  cv::Mat ours = s.mask.clone(), theirs = s.mask.clone(), bgm, fgm;
  cv::theRNG() = cv::RNG();
  grab_cut(s.bgr, ours, 2, opencv_grab_cut());
  cv::theRNG() = cv::RNG();
  cv::grabCut(s.bgr, theirs, cv::Rect(), bgm, fgm, 2, cv::GC_INIT_WITH_MASK);
  EXPECT_EQ(cv::countNonZero(ours != theirs), 0);
  // ...and the cut did something: probable pixels changed sides.
  EXPECT_GT(cv::countNonZero(ours != s.mask), 1000);
}

}  // namespace
}  // namespace smp
