// The parts map and the scalp: colours and round trips, synthetic heads with known answers, and
// the Debian sample photo of bald men.
#include "smp/scalp/scalp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "smp/analysis/analysis.h"
#include "smp/image/image_io.h"
#include "smp/scalp/parts.h"
#include "test_support.h"

namespace smp {
namespace {

constexpr uint8_t kBg = static_cast<uint8_t>(Part::kBackground);
constexpr uint8_t kSkin = static_cast<uint8_t>(Part::kSkin);
constexpr uint8_t kHair = static_cast<uint8_t>(Part::kHair);

// A face of a known size: eyes 50 px apart at y = 117, brows at y = 100 (landmark positions of
// the iBUG 68 scheme, enough for the scalp's geometry).
Face synthetic_face() {
  Face f;
  for (auto& p : f.landmarks) p = {125, 150};
  for (int i = 0; i < 17; ++i)
    f.landmarks[i] = {75 + 100.0 * i / 16, 120 + 60 * std::sin(M_PI * i / 16)};
  for (int i = 36; i < 42; ++i) f.landmarks[i] = {100.0 + (i % 2), 117};
  for (int i = 42; i < 48; ++i) f.landmarks[i] = {150.0 + (i % 2), 117};
  f.landmarks[21] = {118, 100};
  f.landmarks[22] = {132, 100};
  f.box = cv::Rect2d(75, 90, 100, 110);
  return f;
}

TEST(PartsColour, LfwColoursAndSize) {
  cv::Mat labels(7, 5, CV_8U, cv::Scalar(kBg));
  labels.at<uint8_t>(1, 1) = kSkin;
  labels.at<uint8_t>(2, 3) = kHair;
  cv::Mat c = parts_to_colour(labels);
  ASSERT_EQ(c.size(), labels.size());
  ASSERT_EQ(c.type(), CV_8UC3);
  // BGR order: hair (255,0,0) RGB, skin (0,255,0), background (0,0,255).
  EXPECT_EQ(c.at<cv::Vec3b>(2, 3), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(c.at<cv::Vec3b>(1, 1), cv::Vec3b(0, 255, 0));
  EXPECT_EQ(c.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 0, 0));
}

TEST(PartsColour, RoundTrip) {
  cv::Mat labels(64, 80, CV_8U);
  cv::RNG rng(7);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x)
      labels.at<uint8_t>(y, x) = static_cast<uint8_t>(rng.uniform(0, 3));
  cv::Mat back = parts_from_colour(parts_to_colour(labels));
  EXPECT_EQ(cv::countNonZero(back != labels), 0);
}

TEST(PartsColour, FromSlightlyOffColours) {
  // Ground-truth PNGs resaved with a little noise still map to the nearest colour.
  cv::Mat c(1, 3, CV_8UC3);
  c.at<cv::Vec3b>(0, 0) = {10, 5, 240};   // hair
  c.at<cv::Vec3b>(0, 1) = {12, 230, 20};  // skin
  c.at<cv::Vec3b>(0, 2) = {250, 3, 9};    // background
  cv::Mat l = parts_from_colour(c);
  EXPECT_EQ(l.at<uint8_t>(0, 0), kHair);
  EXPECT_EQ(l.at<uint8_t>(0, 1), kSkin);
  EXPECT_EQ(l.at<uint8_t>(0, 2), kBg);
}

TEST(Scalp, BaldAreaOfKnownDiskTopView) {
  // Seen from above, the head's outline (radius R = 260.5 px: the box of the drawn disk) is the
  // dome's sphere. A skin disk of projected radius r = 200 px is a spherical cap of true area
  // 2πR²(1 - sqrt(1 - r²/R²)): 1.23 times its projection. At 4 px/mm that is 95.8 cm², matched
  // within rasterisation error (well under 2 %).
  cv::Mat parts(600, 600, CV_8U, cv::Scalar(kBg));
  cv::circle(parts, {300, 300}, 260, kHair, cv::FILLED);
  cv::circle(parts, {300, 300}, 200, kSkin, cv::FILLED);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(120, 140, 180));
  Scalp s = analyze_scalp({bgr, parts, nullptr, 4.0, View::kTop});
  const double R = 260.5, r = 200;
  const double cap_cm2 = 2 * M_PI * R * R * (1 - std::sqrt(1 - r * r / (R * R))) / (16 * 100);
  EXPECT_NEAR(s.bald_area_cm2, cap_cm2, 0.02 * cap_cm2);
  EXPECT_GT(s.bald_area_cm2, M_PI * 25 * 1.15);  // more than the flat projection
  EXPECT_NEAR(s.bald_share, 200.0 * 200 / (260.0 * 260), 0.01);
  EXPECT_GE(s.norwood.stage, 5);
  // The mask covers exactly the skin disk (the dome changes the area, not the region).
  EXPECT_NEAR(cv::countNonZero(s.bald_mask), M_PI * r * r, 0.01 * M_PI * r * r);
}

// Seen from above, a head with a ring of hair has a shade; a bald head whose map finds only a
// small dark patch (a forearm, glasses at its edge) has none: too little to match pigment to.
TEST(Scalp, TopViewHairShadeOnlyFromEnoughHair) {
  cv::Mat parts(600, 600, CV_8U, cv::Scalar(kBg));
  cv::circle(parts, {300, 300}, 260, kHair, cv::FILLED);
  cv::circle(parts, {300, 300}, 200, kSkin, cv::FILLED);  // hair: 41 % of the head
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(150, 170, 215));
  bgr.setTo(cv::Scalar(30, 40, 60), parts == kHair);
  EXPECT_TRUE(analyze_scalp({bgr, parts, nullptr, 4.0, View::kTop}).hair_shade.found);
  parts.setTo(kSkin, parts == kHair);
  cv::rectangle(parts, cv::Rect(60, 280, 40, 120), kHair, cv::FILLED);  // ~2 % of the head
  const Scalp s = analyze_scalp({bgr, parts, nullptr, 4.0, View::kTop});
  EXPECT_FALSE(s.hair_shade.found);
  EXPECT_GT(s.skin_tone.lab.L, 60);
}

// Seen from above, skin that runs from the dome to the photo's edge through a narrow neck (a
// bowed head's nose, an arm beside the head) is not scalp; the bald dome is, and so is a bald
// crown patch of the same narrow width that stays away from the edge.
TEST(Scalp, TopViewNoseAndArmAtTheEdgeAreNotScalp) {
  cv::Mat parts(600, 600, CV_8U, cv::Scalar(kBg));
  cv::circle(parts, {300, 260}, 230, kHair, cv::FILLED);
  cv::circle(parts, {300, 260}, 170, kSkin, cv::FILLED);
  cv::Mat nose(parts.size(), CV_8U, cv::Scalar(0)), arm = nose.clone(), patch = nose.clone();
  cv::rectangle(nose, cv::Rect(280, 400, 40, 190), 255, cv::FILLED);  // ends 10 px short
  cv::line(arm, {420, 330}, {599, 599}, 255, 36);
  cv::circle(patch, {300, 75}, 20, 255, cv::FILLED);  // in the hair, 40 px across like the nose
  parts.setTo(kSkin, nose | arm | patch);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(120, 140, 180));
  const Scalp s = analyze_scalp({bgr, parts, nullptr, 4.0, View::kTop});
  cv::Mat dome(parts.size(), CV_8U, cv::Scalar(0));
  cv::circle(dome, {300, 260}, 165, 255, cv::FILLED);
  // To within a mask pixel: at 4 px/mm the masks are worked out at half the photo's size.
  cv::Mat inner;
  cv::erode(patch, inner, cv::Mat(), {-1, -1}, 2);
  EXPECT_EQ(cv::countNonZero(dome & ~s.bald_mask), 0) << "the dome is scalp";
  EXPECT_EQ(cv::countNonZero(inner & ~s.bald_mask), 0) << "the crown patch is scalp";
  cv::Mat beyond(parts.size(), CV_8U, cv::Scalar(0));
  cv::circle(beyond, {300, 260}, 230, 255, cv::FILLED);
  beyond = ~beyond;  // outside the head's round outline
  EXPECT_EQ(cv::countNonZero((nose | arm) & beyond & s.bald_mask), 0) << "nose or arm taken";
  // The nose and the arm bring the head to the photo's bottom: still the dome's projection.
  EXPECT_NEAR(cv::countNonZero(s.bald_mask), M_PI * 170 * 170 + M_PI * 400,
              0.06 * M_PI * 170 * 170);
}

// A front view's parts map for synthetic_face(): a head of hair, and skin (face and forehead)
// inside the ellipse `skin_centre` ± `skin_axes` below row `top`; rows above `top` are `above`
// when that is not hair.
cv::Mat front_parts(cv::Point skin_centre, cv::Size skin_axes, int top, uint8_t above = kHair) {
  cv::Mat parts(250, 250, CV_8U, cv::Scalar(kBg));
  cv::ellipse(parts, {125, 120}, {70, 110}, 0, 0, 360, kHair, cv::FILLED);
  cv::Mat skin(parts.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(skin, skin_centre, skin_axes, 0, 0, 360, 255, cv::FILLED);
  skin.rowRange(0, top).setTo(0);
  parts.setTo(kSkin, skin);
  if (above != kHair) parts.rowRange(0, top).setTo(above);
  return parts;
}

TEST(Scalp, FullHairFrontViewHasNoBaldArea) {
  Face f = synthetic_face();
  // Face and a high forehead are skin up to 40 px above the brows (~50 mm at this scale).
  cv::Mat parts = front_parts({125, 150}, {55, 90}, 60);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(90, 120, 170));
  double px_per_mm = f.interpupillary_px() / 63.0;
  Scalp s = analyze_scalp({bgr, parts, &f, px_per_mm, View::kFront});
  EXPECT_LT(s.bald_area_cm2, 0.5);
  EXPECT_EQ(s.norwood.stage, 1);
}

// A high forehead: skin up to 78 mm above the glabella, a little past the natural hairline, with
// hair above it all along. That is a forehead (or a Norwood 1-2 hairline), not a bald scalp; the
// same skin with nothing above it (a bald dome's outline) is scalp.
cv::Mat high_forehead_parts(uint8_t above) {
  // The glabella sits at y = 100 and 0.79 px/mm: 78 mm above it is y = 38.
  return front_parts({125, 125}, {55, 115}, 38, above);
}

TEST(Scalp, HighForeheadCappedByHairIsNotBald) {
  Face f = synthetic_face();
  const double px_per_mm = f.interpupillary_px() / 63.0;
  cv::Mat bgr(250, 250, CV_8UC3, cv::Scalar(90, 120, 170));
  Scalp capped = analyze_scalp({bgr, high_forehead_parts(kHair), &f, px_per_mm, View::kFront});
  EXPECT_LT(capped.bald_area_cm2, 0.5);
  EXPECT_LE(capped.norwood.stage, 2);
  Scalp open = analyze_scalp({bgr, high_forehead_parts(kBg), &f, px_per_mm, View::kFront});
  EXPECT_GT(open.bald_area_cm2, 20);
  // 10 mm higher still (a Norwood 2 recession reaches about 2 cm past the natural line): a
  // forehead all the same.
  Scalp higher = analyze_scalp(
      {bgr, front_parts({125, 125}, {55, 115}, 30, kHair), &f, px_per_mm, View::kFront});
  EXPECT_LT(higher.bald_area_cm2, 0.5);
}

// Skin that runs `past_mm` beyond the natural hairline (6.5 cm above the glabella), then
// `hair_mm` of hair above it and backdrop beyond: synthetic_face() moved 150 px down a taller
// frame, so that a deep head of hair fits above the forehead.
Scalp forehead_under_hair(double past_mm, double hair_mm) {
  Face f = synthetic_face();
  for (auto& p : f.landmarks) p.y += 150;
  f.box.y += 150;
  const double px_per_mm = f.interpupillary_px() / 63.0;
  const double line_y = f.glabella().y - 65 * px_per_mm;
  const int top = static_cast<int>(std::lround(line_y - past_mm * px_per_mm));
  cv::Mat parts(400, 250, CV_8U, cv::Scalar(kBg));
  cv::ellipse(parts, {125, 205}, {70, 195}, 0, 0, 360, kHair, cv::FILLED);
  cv::Mat skin(parts.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(skin, {125, 270}, {55, 260}, 0, 0, 360, 255, cv::FILLED);
  skin.rowRange(0, top).setTo(0);
  parts.setTo(kSkin, skin);
  parts.rowRange(0, std::max(0, top - static_cast<int>(std::lround(hair_mm * px_per_mm))))
      .setTo(kBg);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(90, 120, 170));
  return analyze_scalp({bgr, parts, &f, px_per_mm, View::kFront});
}

// Under a deep head of hair, a hairline up to 3 cm past the natural line (9.5 cm above the
// glabella, within the 7-10 cm of natural hairlines) is a high forehead: a full-haired man's
// white hair began 2.7 cm past it and was reported as 58 cm2 of bald scalp. The same skin under
// only a rim of stubble at the head's outline (a shaved head) is bald, and so is skin that runs
// further back under the deep hair (a receded front).
TEST(Scalp, HighForeheadUnderDeepHairIsNotBald) {
  EXPECT_LT(forehead_under_hair(26, 100).bald_area_cm2, 0.5);
  EXPECT_GT(forehead_under_hair(26, 8).bald_area_cm2, 20);
  EXPECT_GT(forehead_under_hair(60, 100).bald_area_cm2, 30);
}

TEST(Scalp, BaldDomeFrontViewHasBaldArea) {
  Face f = synthetic_face();
  cv::Mat parts(250, 250, CV_8U, cv::Scalar(kBg));
  cv::ellipse(parts, {125, 120}, {70, 110}, 0, 0, 360, kSkin, cv::FILLED);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(90, 120, 170));
  double px_per_mm = f.interpupillary_px() / 63.0;
  Scalp s = analyze_scalp({bgr, parts, &f, px_per_mm, View::kFront});
  EXPECT_GT(s.bald_area_cm2, 10);
  // A head bald all over above the natural hairline: the top Norwood stages.
  EXPECT_GE(s.norwood.stage, 6);
  EXPECT_GT(s.scalp_share, 0.8);
  // Nothing on the forehead counts: the natural hairline sits at least ~3 cm above the
  // glabella even at the temples and with the head tilted.
  double line_y = f.glabella().y - 25 * px_per_mm;
  EXPECT_EQ(cv::countNonZero(s.bald_mask.rowRange(static_cast<int>(line_y) + 1, 250)), 0);
}

// The same head photographed at six times the resolution has the same bald area, share and
// stage (the masks are worked out at a capped scale), and masks of the photo's size.
TEST(Scalp, SameScalpAtSixTimesTheResolution) {
  Face f = synthetic_face();
  cv::Mat parts(250, 250, CV_8U, cv::Scalar(kBg));
  cv::ellipse(parts, {125, 120}, {70, 110}, 0, 0, 360, kHair, cv::FILLED);
  cv::ellipse(parts, {125, 55}, {38, 50}, 0, 0, 360, kSkin, cv::FILLED);  // a bald top
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(30, 40, 60));
  bgr.setTo(cv::Scalar(150, 170, 215), parts == kSkin);
  const double px_per_mm = f.interpupillary_px() / 63.0;
  const Scalp s1 = analyze_scalp({bgr, parts, &f, px_per_mm, View::kFront});
  constexpr int kUp = 6;
  Face f6 = f;
  for (auto& p : f6.landmarks) p = (p + cv::Point2d(0.5, 0.5)) * kUp - cv::Point2d(0.5, 0.5);
  f6.box = cv::Rect2d(f.box.x * kUp, f.box.y * kUp, f.box.width * kUp, f.box.height * kUp);
  cv::Mat parts6, bgr6;
  cv::resize(parts, parts6, {}, kUp, kUp, cv::INTER_NEAREST);
  cv::resize(bgr, bgr6, {}, kUp, kUp, cv::INTER_NEAREST);
  const Scalp s6 = analyze_scalp({bgr6, parts6, &f6, px_per_mm * kUp, View::kFront});
  ASSERT_GT(s1.bald_area_cm2, 5);
  EXPECT_NEAR(s6.bald_area_cm2, s1.bald_area_cm2, 0.03 * s1.bald_area_cm2);
  EXPECT_NEAR(s6.scalp_share, s1.scalp_share, 0.02);
  EXPECT_EQ(s6.norwood.stage, s1.norwood.stage);
  EXPECT_NEAR(s6.hair_shade.L, s1.hair_shade.L, 0.5);
  EXPECT_EQ(s6.bald_mask.size(), parts6.size());
  EXPECT_EQ(s6.head_mask.size(), parts6.size());
}

TEST(Scalp, HairShadeAndSkinToneFromTheirRegions) {
  Face f = synthetic_face();
  cv::Mat parts(250, 250, CV_8U, cv::Scalar(kBg));
  cv::ellipse(parts, {125, 120}, {70, 110}, 0, 0, 360, kHair, cv::FILLED);
  cv::ellipse(parts, {125, 150}, {55, 80}, 0, 0, 360, kSkin, cv::FILLED);
  cv::Mat bgr(parts.size(), CV_8UC3, cv::Scalar(30, 40, 60));  // dark brown hair
  bgr.setTo(cv::Scalar(150, 170, 215), parts == kSkin);        // light skin
  Scalp s = analyze_scalp({bgr, parts, &f, f.interpupillary_px() / 63.0, View::kFront});
  ASSERT_TRUE(s.hair_shade.found);
  EXPECT_EQ(s.hair_shade.srgb, cv::Vec3b(60, 40, 30));  // R, G, B of the hair fill
  EXPECT_LT(s.hair_shade.L, 25);
  EXPECT_GT(s.skin_tone.lab.L, 65);
  EXPECT_GT(s.skin_tone.ita, 28);  // "light" or lighter
}

TEST(Scalp, NorwoodGrowsWithBareScalp) {
  int last = 0;
  for (double share : {0.0, 0.1, 0.2, 0.3, 0.45, 0.55, 0.8}) {
    int st = norwood_from_top_share(share).stage;
    EXPECT_GE(st, last);
    last = st;
  }
  EXPECT_EQ(norwood_from_top_share(0).stage, 1);
  EXPECT_EQ(norwood_from_top_share(0.9).stage, 7);
  EXPECT_EQ(norwood_from_front_area(0).stage, 1);
  EXPECT_EQ(norwood_from_front_area(200).stage, 7);
  for (double a : {0.0, 7.0, 30.0, 500.0}) {
    double c = norwood_from_front_area(a).confidence;
    EXPECT_GT(c, 0);
    EXPECT_LE(c, 1);
  }
  // Front views: the bare share of the scalp decides, a few cm² of skin never make a bald top.
  EXPECT_EQ(norwood_from_front(150, 0.97).stage, 7);
  EXPECT_LE(norwood_from_front(3, 0.97).stage, 2);
  EXPECT_EQ(norwood_from_front(0, 0).stage, 1);
  last = 0;
  for (double share : {0.0, 0.1, 0.2, 0.4, 0.55, 0.7, 0.9}) {
    int st = norwood_from_front(100, share).stage;
    EXPECT_GE(st, last);
    last = st;
  }
}

// A drawn top view: grey background, a dark head with textured strands from `strands_from` px
// out, and a smooth skin-coloured crown of half-axes `crown`.
cv::Mat drawn_top_view(int seed, double strands_from, cv::Size crown) {
  cv::Mat img(480, 640, CV_8UC3, cv::Scalar(200, 200, 195));
  cv::RNG rng(seed);
  cv::ellipse(img, {320, 240}, {190, 200}, 0, 0, 360, cv::Scalar(25, 30, 40), cv::FILLED);
  for (int i = 0; i < 3000; ++i) {  // strands
    double a = rng.uniform(0.0, 2 * M_PI), r = rng.uniform(strands_from, 195.0);
    cv::Point p(320 + r * std::cos(a), 240 + r * std::sin(a) * 200 / 190);
    cv::line(img, p, p + cv::Point(rng.uniform(-6, 7), rng.uniform(-6, 7)), cv::Scalar(60, 70, 85),
             1);
  }
  cv::ellipse(img, {320, 240}, crown, 0, 0, 360, cv::Scalar(140, 160, 205), cv::FILLED);
  return img;
}

// A drawn top view: grey background, a dark textured hair ring and a smooth skin-coloured crown.
TEST(Parts, SyntheticTopView) {
  cv::Mat img = drawn_top_view(3, 100, {95, 95});
  cv::Mat parts = segment_parts(img, nullptr);
  ASSERT_EQ(parts.size(), img.size());
  ASSERT_EQ(parts.type(), CV_8U);
  EXPECT_EQ(parts.at<uint8_t>(240, 320), kSkin);
  EXPECT_EQ(parts.at<uint8_t>(240, 320 + 150), kHair);
  EXPECT_EQ(parts.at<uint8_t>(10, 10), kBg);
  EXPECT_EQ(parts.at<uint8_t>(470, 630), kBg);
  Scalp s = analyze_scalp({img, parts, nullptr, 190 * 2 / 150.0, View::kTop});
  EXPECT_GT(s.bald_share, 0.15);
  EXPECT_LT(s.bald_share, 0.40);  // true share: 95² / (190·200) = 0.24
}

// A shaved dome seen from above under a ceiling light: the smooth, pale, bright highlight across
// it is scalp, not hair (it was read as hair for being outside the skin's colour box, and a Norwood
// 7 top view got 130 cm² of its 250 treated); the dark textured ring around it is still hair.
TEST(Parts, TopViewHighlightIsScalp) {
  cv::Mat img = drawn_top_view(5, 150, {150, 160});
  // The highlight: a soft pale band, from the skin's colour to near white.
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const double d = std::hypot((x - 280) / 70.0, (y - 200) / 110.0);
      if (d >= 1) continue;
      const double w = 0.85 * (1 - d * d);
      cv::Vec3b& c = img.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) c[k] = cv::saturate_cast<uint8_t>(c[k] * (1 - w) + 250 * w);
    }
  const cv::Mat parts = segment_parts(img, nullptr);
  EXPECT_EQ(parts.at<uint8_t>(200, 280), kSkin);
  EXPECT_EQ(parts.at<uint8_t>(240, 320 + 175), kHair);
  cv::Mat dome(img.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(dome, {320, 240}, {140, 150}, 0, 0, 360, 255, cv::FILLED);
  EXPECT_GT(cv::countNonZero(dome & (parts == kSkin)), 0.95 * cv::countNonZero(dome));
}

TEST(Parts, BaldGuysHaveBaldScalp) {
  auto model = FaceModel::load(FaceModel::default_model_path());
  Photo p = read_photo(test::sample_photo("bald_guys.jpg"));
  Analysis a = analyze(p.bgr, *model);
  ASSERT_GE(a.face_index, 0);
  ASSERT_EQ(a.parts.size(), p.bgr.size());
  // The largest face (top right) is a shaved, fully bald head: a bare top, on the dome's area.
  EXPECT_GT(a.scalp.bald_area_cm2, 20);
  EXPECT_GE(a.scalp.norwood.stage, 6);
  // Only the three label values occur.
  cv::Mat other = a.parts > kHair;
  EXPECT_EQ(cv::countNonZero(other), 0);
  // The parts PNG is of the photo's size and uses only the three LFW colours.
  cv::Mat c = parts_to_colour(a.parts);
  EXPECT_EQ(c.size(), p.bgr.size());
  EXPECT_EQ(cv::countNonZero(parts_from_colour(c) != a.parts), 0);
}

// Debian's collage and its analysis, read once for the tests below.
const Photo& collage() {
  static const Photo p = read_photo(test::sample_photo("bald_guys.jpg"));
  return p;
}
const Analysis& collage_analysis() {
  static const Analysis a = analyze(collage().bgr, test::face_model());
  return a;
}

// A neighbour's head joined to the client's: the largest head of the Debian collage with a copy
// of itself pasted 2.2 interpupillary distances to its right (the two overlap at the ear). The
// client's parts stop within 1.1 interpupillary distances of the jaw line on that side,
// measured across the face (0.15 of slack for the guided filter's soft edge), and the head
// still reaches past the jaw line on both sides (ears, dome).
TEST(Parts, NeighbourBesideTheFaceIsNotTheHead) {
  const Photo& p = collage();
  const Analysis& a = collage_analysis();
  ASSERT_GE(a.face_index, 0);
  const Face& f = a.faces[a.face_index];
  cv::Point2d across = f.right_pupil() - f.left_pupil();
  const double ipd = cv::norm(across);
  across /= ipd;
  const cv::Rect frame(0, 0, p.bgr.cols, p.bgr.rows);
  const cv::Rect head = head_box(a.parts) & frame;
  ASSERT_GT(head.area(), 0);
  const cv::Rect dst = (head + cv::Point(cvRound(2.2 * ipd), 0)) & frame;
  ASSERT_GT(dst.width, head.width / 2);
  cv::Mat img = p.bgr.clone();
  p.bgr(cv::Rect(head.x, head.y, dst.width, dst.height)).copyTo(img(dst));
  cv::Mat parts = segment_parts(img, &f);

  auto at = [&](cv::Point2d q) { return q.dot(across); };
  double jaw_l = std::min(at(f.landmarks[0]), at(f.landmarks[2]));
  double jaw_r = std::max(at(f.landmarks[14]), at(f.landmarks[16]));
  double lo = 1e9, hi = -1e9;
  for (int y = 0; y < parts.rows; ++y)
    for (int x = 0; x < parts.cols; ++x)
      if (parts.at<uint8_t>(y, x) != kBg) {
        double u = at(cv::Point2d(x, y));
        lo = std::min(lo, u);
        hi = std::max(hi, u);
      }
  ASSERT_LT(lo, hi);
  EXPECT_LT(hi, jaw_r + 1.25 * ipd);
  EXPECT_GT(lo, jaw_l - 1.25 * ipd);
  EXPECT_LT(lo, jaw_l);
  EXPECT_GT(hi, jaw_r);
}

// A bald dome against a plain backdrop: the step from scalp to backdrop is not strands of hair
// (texture is measured over the head's own pixels), so the top of the largest head of the
// collage, above the brows, is skin without a rim of hair along its outline (texture measured
// across the outline painted 0.55 % of it hair; now none).
TEST(Parts, BaldDomeOutlineIsNotARimOfHair) {
  const Analysis& a = collage_analysis();
  ASSERT_GE(a.face_index, 0);
  const Face& f = a.faces[a.face_index];
  const int brow_y = static_cast<int>(std::min(f.landmarks[19].y, f.landmarks[24].y));
  cv::Rect box = head_box(a.parts);
  ASSERT_GT(box.area(), 0);
  cv::Rect top(box.x, box.y, box.width, std::max(1, brow_y - box.y));
  top &= cv::Rect(0, 0, a.parts.cols, a.parts.rows);
  const cv::Mat t = a.parts(top);
  const int skin = cv::countNonZero(t == kSkin), hair = cv::countNonZero(t == kHair);
  ASSERT_GT(skin, 0);
  EXPECT_LT(hair, 0.0025 * (skin + hair)) << "hair " << hair << " skin " << skin;
}

// Grey hair on top of a head is pale like a highlight on a bald dome, but nearly colourless at the
// forehead's lightness: the dome of the collage's largest head, its colour drained to grey and
// a little darker than the forehead, is hair; the dome itself (the control) is skin.
// The collage's largest head with its dome's own light and texture scaled to `lightness` of the
// forehead's mean grey and `drain` of its colour taken out, and its parts map.
struct RecolouredDome {
  cv::Mat dome, parts;
  int n = 0;
};
// The head above 0.55 interpupillary distances over the glabella.
cv::Mat dome_of(const Analysis& a) {
  const Face& f = a.faces[a.face_index];
  const double top_y = f.glabella().y - 0.55 * f.interpupillary_px();
  cv::Mat dome = a.parts != kBg;
  dome.rowRange(std::max(0, static_cast<int>(top_y)), dome.rows).setTo(0);
  return dome;
}

RecolouredDome recoloured_dome(double lightness, double drain) {
  const Photo& p = collage();
  const Analysis& a = collage_analysis();
  const Face& f = a.faces[a.face_index];
  RecolouredDome r;
  r.dome = dome_of(a);
  r.n = cv::countNonZero(r.dome);
  cv::Mat grey;
  cv::cvtColor(p.bgr, grey, cv::COLOR_BGR2GRAY);
  const double ipd = f.interpupillary_px();
  const cv::Rect forehead(cvRound(f.landmarks[19].x), cvRound(f.glabella().y - 0.5 * ipd),
                          std::max(1, cvRound(f.landmarks[24].x - f.landmarks[19].x)),
                          std::max(1, cvRound(0.3 * ipd)));
  const double k =
      lightness * cv::mean(grey(forehead))[0] / std::max(1.0, cv::mean(grey, r.dome)[0]);
  cv::Mat img = p.bgr.clone();
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      if (!r.dome.at<uint8_t>(y, x)) continue;
      cv::Vec3b& c = img.at<cv::Vec3b>(y, x);
      const double g = grey.at<uint8_t>(y, x);
      for (int i = 0; i < 3; ++i)
        c[i] = cv::saturate_cast<uint8_t>(k * ((1 - drain) * c[i] + drain * g));
    }
  r.parts = segment_parts(img, &f);
  return r;
}

TEST(Parts, GreyHairOnTopIsHairNotScalp) {
  const Analysis& a = collage_analysis();
  ASSERT_GE(a.face_index, 0);
  // The control: the dome itself is skin.
  const cv::Mat dome = dome_of(a);
  const int n = cv::countNonZero(dome);
  ASSERT_GT(n, 300);
  EXPECT_LT(cv::countNonZero(dome & (a.parts == kHair)), 0.05 * n);

  // Grey hair over skin, a little darker than the forehead (white hair and the skin between its
  // strands: L* 0.92 of the forehead on the Biden portrait's sides): 0.9 of the forehead's mean
  // grey, drained of 80 % of its colour.
  const RecolouredDome grey = recoloured_dome(0.9, 0.8);
  EXPECT_GT(cv::countNonZero(grey.dome & (grey.parts == kHair)), 0.85 * grey.n);  // 96 %; 59 %
                                                                                  // before
}

// The collage's largest head, its backdrop painted dark (as the portrait's), its dome painted 2
// L* lighter than the forehead with `chroma` of the forehead's chroma per lightness and strands
// (noise along the rows): the dome's share labelled hair.
double painted_dome_hair_share(double chroma) {
  const Photo& p = collage();
  const Analysis& a = collage_analysis();
  const Face& f = a.faces[a.face_index];
  const cv::Mat dome = dome_of(a);
  const double ipd = f.interpupillary_px();
  const cv::Rect forehead(cvRound(f.landmarks[19].x), cvRound(f.glabella().y - 0.45 * ipd),
                          std::max(1, cvRound(f.landmarks[24].x - f.landmarks[19].x)),
                          std::max(1, cvRound(0.3 * ipd)));
  cv::Mat lab;
  cv::cvtColor(p.bgr, lab, cv::COLOR_BGR2Lab);  // 8-bit: L* x 2.55, a* + 128, b* + 128
  const cv::Scalar fh = cv::mean(lab(forehead));
  cv::Mat img = p.bgr.clone();
  img.setTo(cv::Scalar(50, 80, 70), a.parts == kBg);  // no backdrop colour is as pale
  cv::Mat noise(img.size(), CV_32F), paint(img.size(), CV_8UC3);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::NORMAL, 0, 10);
  cv::blur(noise, noise, {9, 1});
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const double L = fh[0] + 2 * 2.55 + noise.at<float>(y, x), s = chroma * L / fh[0];
      paint.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uint8_t>(L),
                                            cv::saturate_cast<uint8_t>(128 + s * (fh[1] - 128)),
                                            cv::saturate_cast<uint8_t>(128 + s * (fh[2] - 128)));
    }
  cv::cvtColor(paint, paint, cv::COLOR_Lab2BGR);
  paint.copyTo(img, dome);
  const cv::Mat parts = segment_parts(img, &f);
  return cv::countNonZero(dome & (parts == kHair)) / std::max(1.0, 1.0 * cv::countNonZero(dome));
}

// Thin white hair over pink skin is a little lighter than the forehead, with about half its
// colour (Biden's top: L* 2 above the forehead, 0.53 of its chroma per lightness): hair, not a
// bald dome (0 % before the rule). With 0.85 of the forehead's colour it is the dome's skin.
TEST(Parts, WhiteHairLighterThanTheForeheadIsHair) {
  ASSERT_GE(collage_analysis().face_index, 0);
  EXPECT_GT(painted_dome_hair_share(0.48), 0.85);
  EXPECT_LT(painted_dome_hair_share(0.85), 0.15);
}

// The same photo gives the same map, whatever the process did before: GrabCut seeds its colour
// models from OpenCV's per-thread random state, which every earlier call moved on (smp-eval's
// Norwood estimate of one top view changed with the photos read before it). The collage read
// as a top view (no face), after the random state was left in two different places.
TEST(Parts, SameMapWhateverRanBefore) {
  const Photo& p = collage();
  cv::theRNG().state = 1;
  const cv::Mat first = segment_parts(p.bgr, nullptr);
  cv::theRNG().state = 0x123456789ULL;
  const cv::Mat again = segment_parts(p.bgr, nullptr);
  EXPECT_EQ(cv::countNonZero(first != again), 0);
}

}  // namespace
}  // namespace smp
