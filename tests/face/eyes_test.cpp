// Eyes of a chin-down head told by what they leave dark on the skin: synthetic heads, so each
// rule (level, mirrored, under skin; the lenses of glasses) is seen to decide.
#include "smp/face/eyes.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace smp {
namespace {

constexpr int kSide = 600;
const cv::Rect kHead(100, 60, 400, 480);  // the head's box; eyes belong in its lower 60 %

struct Head {
  cv::Mat photo, skin;
};

// A plain head of skin on a grey backdrop, with mild shading (a real forehead is not flat).
Head plain_head() {
  Head h;
  h.photo = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar(120, 120, 120));
  h.skin = cv::Mat::zeros(kSide, kSide, CV_8U);
  const cv::Point centre(kHead.x + kHead.width / 2, kHead.y + kHead.height / 2);
  const cv::Size axes(kHead.width / 2, kHead.height / 2);
  cv::ellipse(h.skin, centre, axes, 0, 0, 360, cv::Scalar(255), cv::FILLED);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x)
      if (h.skin.at<uint8_t>(y, x))
        h.photo.at<cv::Vec3b>(y, x) = cv::Vec3b(140 + y / 20, 160 + y / 20, 205);
  return h;
}

// A lid crease or a brow: a short dark arc, about 3 mm thick on a 150 mm head.
void crease(Head& h, cv::Point c, int half_len) {
  cv::ellipse(h.photo, c, cv::Size(half_len, 6), 0, 200, 340, cv::Scalar(60, 60, 70), 6,
              cv::LINE_AA);
}

TEST(DarkLineEyes, ALevelMirroredPairOfCreasesUnderSkinIsAPairOfEyes) {
  Head h = plain_head();
  const cv::Point l(215, 400), r(385, 400);  // 170 px apart on a 400 px head: 0.42 of it
  crease(h, l, 40);
  crease(h, r, 40);
  auto eyes = find_eyes_from_dark_lines(h.photo, h.skin, kHead);
  ASSERT_TRUE(eyes);
  EXPECT_LT(cv::norm(eyes->left - cv::Point2d(l)), 12);
  EXPECT_LT(cv::norm(eyes->right - cv::Point2d(r)), 12);
  EXPECT_NEAR(eyes->distance_px(), 170, 10);
}

TEST(DarkLineEyes, WhatIsNotAPairOfEyesIsNone) {
  {
    Head h = plain_head();  // nothing dark at all
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
  {
    Head h = plain_head();  // one crease alone
    crease(h, {215, 400}, 40);
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
  {
    Head h = plain_head();  // far from level: 60 px apart in height (0.15 of the head)
    crease(h, {215, 370}, 40);
    crease(h, {385, 430}, 40);
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
  {
    Head h = plain_head();  // a level pair well off the head's middle
    crease(h, {150, 400}, 30);
    crease(h, {290, 400}, 30);
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
  {
    Head h = plain_head();  // a pair high on the head (hair parting, a scar): not eyes
    crease(h, {215, 180}, 40);
    crease(h, {385, 180}, 40);
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
  {
    Head h = plain_head();  // the same creases in hair: no skin above or below them
    crease(h, {215, 400}, 40);
    crease(h, {385, 400}, 40);
    h.skin.rowRange(300, 460).setTo(0);
    EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
  }
}

TEST(DarkLineEyes, TheLensesOfGlassesAreTheEyes) {
  Head h = plain_head();
  // A dark frame: two rims joined by a bridge, wider than any crease.
  const cv::Scalar frame(30, 30, 35);
  const cv::Rect lrim(160, 370, 120, 70), rrim(320, 370, 120, 70);
  cv::rectangle(h.photo, lrim, frame, 8);
  cv::rectangle(h.photo, rrim, frame, 8);
  cv::line(h.photo, {280, 385}, {320, 385}, frame, 8);
  auto eyes = find_eyes_from_dark_lines(h.photo, h.skin, kHead);
  ASSERT_TRUE(eyes);
  const cv::Point2d lc(lrim.x + lrim.width / 2.0, lrim.y + lrim.height / 2.0);
  const cv::Point2d rc(rrim.x + rrim.width / 2.0, rrim.y + rrim.height / 2.0);
  EXPECT_LT(cv::norm(eyes->left - lc), 10);
  EXPECT_LT(cv::norm(eyes->right - rc), 10);
}

TEST(DarkLineEyes, SmallOrForeignInputIsNone) {
  Head h = plain_head();
  crease(h, {215, 400}, 40);
  crease(h, {385, 400}, 40);
  EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, h.skin, cv::Rect(0, 0, 20, 20)));
  EXPECT_FALSE(find_eyes_from_dark_lines(h.photo, cv::Mat(), kHead));
  EXPECT_TRUE(find_eyes_from_dark_lines(h.photo, h.skin, kHead));
}

}  // namespace
}  // namespace smp
