// The analysis as a library call: scale sources, views, face choice, JSON shape.
#include "smp/analysis/analysis.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"
#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

const FaceModel& model() {
  return test::face_model();
}

using test::bald_guys;

// The big portrait's scalp above the brows, enlarged 3x: a crown view with no face in it.
cv::Mat crown_view() {
  cv::Mat top;
  cv::resize(bald_guys()(cv::Rect(1000, 680, 300, 100)), top, cv::Size(), 3, 3, cv::INTER_CUBIC);
  return top;
}

TEST(Analysis, FrontPhotoUsesThePupilsForScale) {
  Analysis a = analyze(bald_guys(), model());
  ASSERT_NE(a.face(), nullptr);
  EXPECT_EQ(a.face_index, 0);
  EXPECT_EQ(a.view, View::kFront);
  EXPECT_EQ(a.scale_source, "ipd");
  EXPECT_FALSE(a.scale_is_estimate);
  // 63 mm between the pupils, corrected for the head's turn.
  double expect = a.face()->interpupillary_px() / std::cos(a.pose.yaw * M_PI / 180) / 63.0;
  EXPECT_NEAR(a.px_per_mm, expect, 1e-9);
  EXPECT_GT(a.px_per_mm, 0.5);
  EXPECT_LT(a.px_per_mm, 20);
  // A head is 140-170 mm wide: the face box (about the cheeks) is 110-170 mm at this scale.
  double face_mm = a.face()->box.width / a.px_per_mm;
  EXPECT_GT(face_mm, 100);
  EXPECT_LT(face_mm, 180);

  AnalyzeOptions wide;
  wide.ipd_mm = 70;
  EXPECT_NEAR(analyze(bald_guys(), model(), wide).px_per_mm, a.px_per_mm * 63.0 / 70.0, 1e-9);
}

TEST(Analysis, UserScaleWins) {
  AnalyzeOptions opt;
  opt.px_per_mm = 4.25;
  opt.marker_mm = 20;  // no marker in the photo anyway; the user's figure wins regardless
  Analysis a = analyze(bald_guys(), model(), opt);
  EXPECT_EQ(a.scale_source, "user");
  EXPECT_DOUBLE_EQ(a.px_per_mm, 4.25);
}

// A flat-coloured round sticker of `mm` millimetres drawn at `px_per_mm` on the photo, its edge
// pixels blended by their exact coverage (8x8 supersampling), as a camera integrates them.
// (cv::circle's LINE_AA fill adds a half-pixel outline: the disc would come out ~1 px too wide,
// 3 % of a 33-px sticker.)
cv::Mat with_sticker(const cv::Mat& photo, cv::Point2d centre, double mm, double px_per_mm,
                     cv::Scalar colour) {
  cv::Mat m = photo.clone();
  const double r = mm * px_per_mm / 2;
  const int ss = 8, shift = 4;
  const cv::Rect win = cv::Rect(cv::Point(int(centre.x - r) - 3, int(centre.y - r) - 3),
                                cv::Point(int(centre.x + r) + 4, int(centre.y + r) + 4)) &
                       cv::Rect(0, 0, m.cols, m.rows);
  cv::Mat fine(win.height * ss, win.width * ss, CV_8U, cv::Scalar(0)), coverage;
  // Pixel i of the photo spans [i - 0.5, i + 0.5): its sub-pixel j sits at (j + 0.5) / ss - 0.5.
  const cv::Point2d c =
      (centre - cv::Point2d(win.tl()) + cv::Point2d(0.5, 0.5)) * ss - cv::Point2d(0.5, 0.5);
  cv::circle(fine, cv::Point(c * (1 << shift)), int(std::lround(r * ss * (1 << shift))), 255, -1,
             cv::LINE_8, shift);
  cv::resize(fine, coverage, win.size(), 0, 0, cv::INTER_AREA);
  for (int y = 0; y < win.height; ++y)
    for (int x = 0; x < win.width; ++x) {
      const double a = coverage.at<uint8_t>(y, x) / 255.0;
      cv::Vec3b& p = m.at<cv::Vec3b>(win.y + y, win.x + x);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uint8_t>((1 - a) * p[k] + a * colour[k]);
    }
  return m;
}

TEST(Analysis, RoundStickerGivesTheScaleWithin3Percent) {
  struct Case {
    cv::Point2d at;
    double mm, px_per_mm;
    cv::Scalar colour;
  };
  // On the yellow wall of the top-right portrait, and on the plain backdrop at the left.
  for (const Case& c :
       {Case{{1300, 160}, 20, 3.0, {40, 190, 40}}, Case{{1290, 250}, 25, 4.4, {200, 90, 30}},
        Case{{1300, 180}, 15, 2.2, {40, 40, 40}}}) {
    AnalyzeOptions opt;
    opt.marker_mm = c.mm;
    Analysis a =
        analyze(with_sticker(bald_guys(), c.at, c.mm, c.px_per_mm, c.colour), model(), opt);
    EXPECT_EQ(a.scale_source, "marker") << c.mm << " mm";
    EXPECT_NEAR(a.px_per_mm, c.px_per_mm, 0.03 * c.px_per_mm) << c.mm << " mm";
  }
}

TEST(Analysis, MissingStickerFallsBackToThePupils) {
  AnalyzeOptions opt;
  opt.marker_mm = 20;
  Analysis a = analyze(bald_guys()(cv::Rect(1300, 0, 686, 500)).clone(), model(), opt);
  EXPECT_NE(a.scale_source, "user");
  if (a.scale_source == "marker") {  // something round was found: it must still be plausible
    EXPECT_GT(a.px_per_mm, 0.5);
    EXPECT_LT(a.px_per_mm, 20);
  }
}

TEST(Analysis, CrownViewWithoutAFaceIsATopView) {
  Analysis a = analyze(crown_view(), model());
  EXPECT_EQ(a.face(), nullptr);
  EXPECT_EQ(a.view, View::kTop);
  EXPECT_EQ(a.scale_source, "head_width_estimate");
  EXPECT_TRUE(a.scale_is_estimate);
  EXPECT_GT(a.px_per_mm, 0);
  EXPECT_FALSE(a.hairline.has_value());
  // A sticker on the crown replaces the estimate.
  AnalyzeOptions opt;
  opt.marker_mm = 20;
  Analysis m = analyze(with_sticker(crown_view(), {120, 80}, 20, 3.5, {40, 190, 40}), model(), opt);
  EXPECT_EQ(m.scale_source, "marker");
  EXPECT_FALSE(m.scale_is_estimate);
  EXPECT_NEAR(m.px_per_mm, 3.5, 0.03 * 3.5);
}

TEST(Analysis, LandscapeHasNoHead) {
  cv::Mat m(600, 900, CV_8UC3);
  for (int y = 0; y < m.rows; ++y)
    m.row(y).setTo(y < 350 ? cv::Scalar(230, 180, 120 + y / 10) : cv::Scalar(60, 140, 70));
  try {
    analyze(m, model(), {}, "landscape.jpg");
    FAIL() << "a landscape was analysed as a head";
  } catch (const InputError& e) {
    EXPECT_EQ(e.subject(), "landscape.jpg");
    EXPECT_NE(e.reason().find("no head"), std::string::npos);
  }
}

// A portrait turned on its side or upside down (no EXIF orientation) is refused with the turn
// that sets it upright: analysed as a top view, its face would be pigmented as scalp.
TEST(Analysis, TurnedPortraitIsRefusedWithTheTurnThatFixesIt) {
  const cv::Mat portrait = bald_guys()(cv::Rect(1300, 0, 600, 700)).clone();
  ASSERT_FALSE(analyze(portrait, model()).faces.empty());
  const std::pair<cv::RotateFlags, const char*> cases[] = {
      {cv::ROTATE_90_CLOCKWISE, "a quarter turn anticlockwise"},
      {cv::ROTATE_90_COUNTERCLOCKWISE, "a quarter turn clockwise"},
      {cv::ROTATE_180, "half a turn"}};
  for (const auto& [flag, fix] : cases) {
    cv::Mat turned;
    cv::rotate(portrait, turned, flag);
    try {
      analyze(turned, model(), {}, "turned.jpg");
      ADD_FAILURE() << "a turned portrait was analysed (" << fix << ")";
    } catch (const InputError& e) {
      EXPECT_EQ(e.subject(), "turned.jpg");
      EXPECT_NE(e.reason().find(fix), std::string::npos) << e.reason();
    }
  }
  // Asked not to check, it is what it was before: a top view.
  AnalyzeOptions opt;
  opt.refuse_turned_photos = false;
  cv::Mat turned;
  cv::rotate(portrait, turned, cv::ROTATE_90_CLOCKWISE);
  EXPECT_EQ(analyze(turned, model(), opt).view, View::kTop);
}

// Strips of a photo (a banner, a crop of one row of hair) are analysed or refused as input,
// never an internal error: the top view's GrabCut frame had borders wider than the strip.
TEST(Analysis, ExtremeStripsAreAnalysedOrRefusedNeverAnInternalError) {
  for (const cv::Size size :
       {cv::Size(5000, 40), cv::Size(40, 5000), cv::Size(400, 30), cv::Size(3000, 60)}) {
    cv::Mat strip(size, CV_8UC3, cv::Scalar(120, 150, 200));
    cv::randn(strip, cv::Scalar(120, 150, 200), cv::Scalar(8, 8, 8));
    try {
      analyze(strip, model(), {}, "strip.png");
    } catch (const InputError&) {
      // refused as input: fine
    } catch (const std::exception& e) {
      ADD_FAILURE() << size << ": " << e.what();
    }
  }
}

TEST(Analysis, FaceOptionPicksOne) {
  AnalyzeOptions opt;
  opt.face_index = 2;
  Analysis a = analyze(bald_guys(), model(), opt);
  ASSERT_GT(a.faces.size(), 2u);
  EXPECT_EQ(a.face_index, 2);
  EXPECT_EQ(a.face(), &a.faces[2]);
  opt.face_index = 99;
  EXPECT_THROW(analyze(bald_guys(), model(), opt), UsageError);
}

TEST(Analysis, LandmarksOfTheAnalysedFaceOnlyChangeNothing) {
  // The CLI skips the landmarks of faces it does not analyse: the analysis is the same.
  AnalyzeOptions every, lean;
  every.face_index = lean.face_index = 1;
  lean.detect.landmarks = false;
  nlohmann::json a = to_json(analyze(bald_guys(), model(), every));
  nlohmann::json b = to_json(analyze(bald_guys(), model(), lean));
  a.erase("timings_ms");
  b.erase("timings_ms");
  EXPECT_EQ(a, b);
}

TEST(Analysis, JsonHasEveryField) {
  Analysis a = analyze(bald_guys(), model());
  nlohmann::json j = to_json(a);
  for (const char* k : {"view", "faces", "landmarks", "px_per_mm", "scale_source", "pose", "scalp",
                        "norwood", "hairline", "timings_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["landmarks"].size(), 68u);
  EXPECT_EQ(j["faces"].size(), a.faces.size());
  for (const char* k : {"yaw", "pitch", "roll"}) EXPECT_TRUE(j["pose"].contains(k)) << k;
  for (const char* k : {"bald_area_cm2", "hair_shade", "skin_tone"})
    EXPECT_TRUE(j["scalp"].contains(k)) << k;
  for (const char* k : {"faces", "pose", "parts", "scale", "scalp"})
    EXPECT_TRUE(j["timings_ms"].contains(k)) << k;
}

TEST(Analysis, OverlayIsThePhotoWithDrawings) {
  Analysis a = analyze(bald_guys(), model());
  cv::Mat o = draw_overlay(bald_guys(), a);
  ASSERT_EQ(o.size(), bald_guys().size());
  ASSERT_EQ(o.type(), CV_8UC3);
  cv::Mat changed;
  cv::compare(o.reshape(1), bald_guys().reshape(1), changed, cv::CMP_NE);
  // Something was drawn, and most of the photo is untouched.
  double share = cv::countNonZero(changed) / double(changed.total());
  EXPECT_GT(share, 0.001);
  EXPECT_LT(share, 0.5);
}

}  // namespace
}  // namespace smp

// Eyes of a head with no dlib face (chin-down hairline photos): the Haar pair.
namespace smp {
namespace {

TEST(TiltedFace, MissingCascadeIsAClearErrorAndNoSearch) {
  try {
    EyeDetector d("/nonexistent/eyes.xml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/eyes.xml"), std::string::npos);
  }
  EXPECT_EQ(shared_eye_detector("/nonexistent/eyes.xml"), nullptr);
}

TEST(TiltedFace, HaarPairMatchesDlibPupils) {
  const EyeDetector* d = shared_eye_detector(kDefaultEyeCascade);
  if (!d) GTEST_SKIP() << "opencv-data not installed";
  auto faces = model().detect(bald_guys(), {});
  ASSERT_FALSE(faces.empty());
  const Face& f = faces[0];
  // Room above the photo, and a head box whose lower half is the face box: the eyes sit low in
  // it, as in a chin-down photo.
  const int pad = int(f.box.height);
  cv::Mat padded;
  cv::copyMakeBorder(bald_guys(), padded, pad, 0, 0, 0, cv::BORDER_REPLICATE);
  const cv::Rect head(int(f.box.x), int(f.box.y), int(f.box.width), 2 * int(f.box.height));
  std::optional<EyePair> eyes;
  for (const char* path : {kDefaultEyeCascade, kPlainEyeCascade}) {
    if (const EyeDetector* e = shared_eye_detector(path)) eyes = e->find_pair(padded, head);
    if (eyes) break;
  }
  ASSERT_TRUE(eyes);
  // Haar boxes centre on the eye, not the pupil: within a quarter of the pupils' distance.
  const double ipd = f.interpupillary_px();
  const cv::Point2d shift(0, pad);
  EXPECT_LT(cv::norm(eyes->left - shift - f.left_pupil()), 0.25 * ipd);
  EXPECT_LT(cv::norm(eyes->right - shift - f.right_pupil()), 0.25 * ipd);
  EXPECT_NEAR(eyes->distance_px(), ipd, 0.2 * ipd);
}

// The biggest portrait cut just below its eyes: dlib finds no face without the nose and mouth,
// as with a head tilted chin-down for a hairline photo.
cv::Mat forehead_view() {
  return bald_guys()(cv::Rect(1370, 0, 480, 235)).clone();
}

TEST(TiltedFace, HairlineOfAChinDownHeadSitsBetweenItsEyesAndItsTop) {
  auto faces = model().detect(bald_guys(), {});
  ASSERT_FALSE(faces.empty());
  const cv::Point2d shift(1370, 0);
  const double ipd = faces[0].interpupillary_px();
  const cv::Point2d pupils = 0.5 * (faces[0].left_pupil() + faces[0].right_pupil()) - shift;
  for (const bool cascades : {true, false}) {
    if (cascades && !shared_eye_detector(kDefaultEyeCascade)) continue;  // no opencv-data
    AnalyzeOptions opt;
    if (!cascades) opt.eye_cascades.clear();
    const Analysis a = analyze(forehead_view(), model(), opt);
    SCOPED_TRACE(cascades ? "cascades" : "dark lines only");
    ASSERT_EQ(a.face(), nullptr);
    ASSERT_TRUE(a.tilted_face);
    const TiltedFace& tf = *a.tilted_face;
    EXPECT_EQ(tf.eyes_from, cascades ? "cascade" : "dark_lines");
    // Lid creases and brows sit above the pupils: within half the pupils' distance of them.
    EXPECT_LT(cv::norm(0.5 * (tf.eyes.left + tf.eyes.right) - pupils), 0.5 * ipd);
    EXPECT_NEAR(tf.eyes.distance_px(), ipd, 0.25 * ipd);
    // The line's middle: about 0.56 of the way from the glabella to the head's top (an adult
    // head seen 25 degrees chin-down), whatever the scale's estimate.
    ASSERT_TRUE(a.hairline);
    const cv::Point2d mid = a.hairline->points[a.hairline->points.size() / 2];
    const int col = cvRound(tf.frame.glabella.x);
    int top = 0;
    while (top < a.scalp.head_mask.rows && !a.scalp.head_mask.at<uint8_t>(top, col)) ++top;
    const double share = (tf.frame.glabella.y - mid.y) / (tf.frame.glabella.y - top);
    EXPECT_GT(share, 0.4);
    EXPECT_LT(share, 0.75);
    EXPECT_FALSE(to_json(a)["hairline"].is_null());
    EXPECT_EQ(to_json(a)["tilted_face"]["eyes_from"], tf.eyes_from);
  }
}

TEST(TiltedFace, CrownWithoutEyesKeepsHeadWidthScale) {
  Analysis a = analyze(crown_view(), model());
  EXPECT_EQ(a.view, View::kTop);
  EXPECT_FALSE(a.tilted_face);
  EXPECT_EQ(a.scale_source, "head_width_estimate");
  EXPECT_TRUE(to_json(a)["tilted_face"].is_null());
}

}  // namespace
}  // namespace smp
