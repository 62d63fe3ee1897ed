// Faces, landmarks and head pose on Debian's sample photos and on synthetic projections.
#include "smp/face/face.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

const FaceModel& model() {
  return test::face_model();
}

using test::bald_guys;

TEST(Face, FindsTheBaldMenLargestFirst) {
  std::vector<Face> faces = model().detect(bald_guys());
  // A collage of 26 portraits; a few are small or turned away.
  EXPECT_GE(faces.size(), 15u);
  for (size_t i = 1; i < faces.size(); ++i) EXPECT_GE(faces[i - 1].area(), faces[i].area());
  // The largest is the portrait at the top right.
  EXPECT_GT(faces[0].box.x, 1300);
  EXPECT_LT(faces[0].box.y, 300);
}

TEST(Face, LandmarksLieInTheirFaceBox) {
  for (const Face& f : model().detect(bald_guys())) {
    // dlib's box frames the brows, eyes, nose and mouth (points 17-67): on these 22 faces they
    // stay inside it but for 1 % of its width. 10 % of margin is 15-30 px here, far more than a
    // machine's rounding could move them.
    const cv::Rect2d inner(f.box.x - 0.1 * f.box.width, f.box.y - 0.1 * f.box.height,
                           1.2 * f.box.width, 1.2 * f.box.height);
    for (int i = 17; i < 68; ++i)
      EXPECT_TRUE(inner.contains(f.landmarks[i])) << i << " " << f.landmarks[i] << " vs " << f.box;
    // The jaw line (0-16) is not framed: it runs out at the sides of a turned face (up to 18 %
    // of the width here) and the chin hangs below the box (up to 19 %). It still belongs to this
    // face, not a neighbour's: within half a box of it.
    const cv::Rect2d jaw(f.box.x - 0.5 * f.box.width, f.box.y, 2.0 * f.box.width,
                         1.5 * f.box.height);
    for (int i = 0; i < 17; ++i)
      EXPECT_TRUE(jaw.contains(f.landmarks[i])) << i << " " << f.landmarks[i] << " vs " << f.box;
    // Anatomy: eyes above the nose tip above the mouth above the chin; the screen-left eye left.
    EXPECT_LT(f.left_pupil().x, f.right_pupil().x);
    EXPECT_LT(f.left_pupil().y, f.landmarks[33].y);
    EXPECT_LT(f.landmarks[33].y, f.landmarks[62].y);
    EXPECT_LT(f.landmarks[62].y, f.landmarks[8].y);
    EXPECT_GT(f.interpupillary_px(), 0.25 * f.box.width);
    EXPECT_LT(f.interpupillary_px(), 0.6 * f.box.width);
  }
}

TEST(Face, ResultDoesNotDependOnThreads) {
  // CI machines have other core counts than ours: one thread or two, the same faces to the bit.
  DetectOptions one, two;
  one.threads = 1;
  two.threads = 2;  // the pyramid split across two threads
  std::vector<Face> a = model().detect(bald_guys(), one), b = model().detect(bald_guys(), two);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].detector_score, b[i].detector_score);
    EXPECT_EQ(a[i].box, b[i].box);
    for (int k = 0; k < 68; ++k) EXPECT_EQ(a[i].landmarks[k], b[i].landmarks[k]) << i << " " << k;
  }
}

TEST(Face, SmallPhotosAreUpsampledForTheDetector) {
  // A 300-px crop of one portrait: the face is ~100 px, found after upsampling to 700 px.
  const Face big = model().detect(bald_guys())[0];
  cv::Rect crop = cv::Rect(cv::Point(big.box.tl() - cv::Point2d(60, 60)), cv::Size(420, 420)) &
                  cv::Rect(0, 0, bald_guys().cols, bald_guys().rows);
  cv::Mat small;
  cv::resize(bald_guys()(crop), small, cv::Size(), 0.4, 0.4, cv::INTER_AREA);
  std::vector<Face> faces = model().detect(small);
  ASSERT_GE(faces.size(), 1u);
  // Same eyes, in the small photo's pixels (4 px, a tenth of the eyes' distance there).
  cv::Point2d expect = (big.left_pupil() - cv::Point2d(crop.tl())) * 0.4;
  EXPECT_LT(cv::norm(faces[0].left_pupil() - expect), 4.0);
}

TEST(Face, EmbeddedDetectorIsDlibs) {
  // SMP loads its own raw copy of dlib's frontal detector (dlib's compressed one takes 0.3-0.9 s
  // to unpack at every start): it must be the very same detector.
  EXPECT_TRUE(frontal_detector_is_dlibs());
}

TEST(Face, LandmarksOnDemandAreTheSame) {
  // Boxes only, then landmarks for one face: the same as detect() with every face's landmarks.
  DetectOptions boxes_only;
  boxes_only.landmarks = false;
  std::vector<Face> all = model().detect(bald_guys()),
                    boxes = model().detect(bald_guys(), boxes_only);
  ASSERT_EQ(all.size(), boxes.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].box, boxes[i].box);
    EXPECT_EQ(all[i].detector_score, boxes[i].detector_score);
  }
  ASSERT_GE(boxes.size(), 3u);
  Face f = boxes[2];
  model().add_landmarks(bald_guys(), f);
  for (int k = 0; k < 68; ++k) EXPECT_EQ(f.landmarks[k], all[2].landmarks[k]) << k;
}

TEST(Face, NoFaceInALandscape) {
  cv::Mat m(600, 900, CV_8UC3);
  for (int y = 0; y < m.rows; ++y)
    m.row(y).setTo(y < 350 ? cv::Scalar(230, 180, 120) : cv::Scalar(60, 140, 70));
  EXPECT_TRUE(model().detect(m).empty());
}

// ---------------------------------------------------------------------------------- pose

// The generic head the pose is estimated against (mm; x to the subject's left, y up, z toward
// the camera), here turned by known angles and projected with a pinhole camera.
Face project_head(double yaw_deg, double pitch_deg, double roll_deg, cv::Size size) {
  const std::vector<std::pair<int, cv::Point3d>> pts = {
      {30, {0.0, 0.0, 0.0}},     {8, {0.0, -63.6, -12.5}},    {36, {-43.3, 32.7, -26.0}},
      {45, {43.3, 32.7, -26.0}}, {48, {-28.9, -28.9, -24.1}}, {54, {28.9, -28.9, -24.1}},
      {27, {0.0, 21.0, -14.0}}};
  const double d = M_PI / 180;
  // In the camera's axes (x right, y down, z away): turning to the subject's left swings the
  // nose to +x (rotation -yaw about y), chin up is -pitch about x, roll is clockwise (+z).
  auto rot = [](int axis, double a) {
    cv::Matx33d r = cv::Matx33d::eye();
    int i = (axis + 1) % 3, j = (axis + 2) % 3;
    r(i, i) = std::cos(a), r(i, j) = -std::sin(a), r(j, i) = std::sin(a), r(j, j) = std::cos(a);
    return r;
  };
  cv::Matx33d R = rot(2, roll_deg * d) * rot(1, -yaw_deg * d) * rot(0, -pitch_deg * d);
  double f = std::max(size.width, size.height);
  Face face;
  for (auto& [i, p] : pts) {
    cv::Vec3d c = R * cv::Vec3d(p.x, -p.y, -p.z) + cv::Vec3d(0, 0, 600);
    face.landmarks[i] =
        cv::Point2d(f * c[0] / c[2] + size.width / 2.0, f * c[1] / c[2] + size.height / 2.0);
  }
  return face;
}

TEST(Pose, RecoversKnownAnglesWithTheirSigns) {
  const cv::Size size(1200, 900);
  struct Case {
    double yaw, pitch, roll;
  };
  for (Case c : {Case{0, 0, 0}, Case{25, 0, 0}, Case{-25, 0, 0}, Case{0, 15, 0}, Case{0, -15, 0},
                 Case{0, 0, 12}, Case{20, -10, 8}}) {
    Pose p = estimate_pose(project_head(c.yaw, c.pitch, c.roll, size), size);
    // Exact correspondences with the model: only solvePnP's convergence limits the accuracy.
    EXPECT_NEAR(p.yaw, c.yaw, 0.5);
    EXPECT_NEAR(p.pitch, c.pitch, 0.5);
    EXPECT_NEAR(p.roll, c.roll, 0.5);
  }
  // The convention in plain words: turning to the subject's left moves the nose to screen right.
  Face left = project_head(25, 0, 0, size);
  EXPECT_GT(left.landmarks[30].x, (left.landmarks[36].x + left.landmarks[45].x) / 2);
}

TEST(Pose, MirroredPhotoHasOppositeYawAndRoll) {
  const Face big = model().detect(bald_guys())[0];
  cv::Rect crop = cv::Rect(cv::Point(big.box.tl() - cv::Point2d(150, 120)), cv::Size(600, 560)) &
                  cv::Rect(0, 0, bald_guys().cols, bald_guys().rows);
  cv::Mat photo = bald_guys()(crop).clone(), mirrored;
  cv::flip(photo, mirrored, 1);
  std::vector<Face> a = model().detect(photo), b = model().detect(mirrored);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  Pose pa = estimate_pose(a[0], photo.size()), pb = estimate_pose(b[0], mirrored.size());
  // This portrait's head is clearly tilted (about 10 degrees).
  EXPECT_GT(std::abs(pa.roll), 5.0);
  // The landmark model is not exactly symmetric: a couple of degrees between the two fits.
  EXPECT_NEAR(pa.yaw, -pb.yaw, 3.0);
  EXPECT_NEAR(pa.roll, -pb.roll, 2.0);
  EXPECT_NEAR(pa.pitch, pb.pitch, 3.0);
}

TEST(Pose, RollFollowsTheEyeLine) {
  // On a real photo: the screen-right eye lower than the screen-left one means roll > 0.
  const Face big = model().detect(bald_guys())[0];
  Pose p = estimate_pose(big, bald_guys().size());
  double eye_slope = big.landmarks[45].y - big.landmarks[36].y;
  EXPECT_EQ(p.roll > 0, eye_slope > 0);
}

}  // namespace
}  // namespace smp
