#include "smp/face/face.h"

#include <cmath>
#include <opencv2/calib3d.hpp>

namespace smp {

namespace {
cv::Point2d mean_of(const std::array<cv::Point2d, 68>& l, int a, int b) {
  cv::Point2d s(0, 0);
  for (int i = a; i <= b; ++i) s += l[i];
  return s / double(b - a + 1);
}
}  // namespace

cv::Point2d Face::left_pupil() const {
  return mean_of(landmarks, 36, 41);
}
cv::Point2d Face::right_pupil() const {
  return mean_of(landmarks, 42, 47);
}
double Face::interpupillary_px() const {
  return cv::norm(right_pupil() - left_pupil());
}
cv::Point2d Face::glabella() const {
  return (landmarks[21] + landmarks[22]) * 0.5;
}

Pose estimate_pose(const Face& face, cv::Size size) {
  // Generic adult face, mm, origin at the nose tip; x to the subject's left (screen right),
  // y up, z toward the camera.
  static const std::vector<cv::Point3d> model = {
      {0.0, 0.0, 0.0},        // 30 nose tip
      {0.0, -63.6, -12.5},    // 8 chin
      {-43.3, 32.7, -26.0},   // 36 outer corner, screen-left eye
      {43.3, 32.7, -26.0},    // 45 outer corner, screen-right eye
      {-28.9, -28.9, -24.1},  // 48 mouth corner
      {28.9, -28.9, -24.1},   // 54 mouth corner
      {0.0, 21.0, -14.0},     // 27 nose bridge
  };
  const int idx[] = {30, 8, 36, 45, 48, 54, 27};
  std::vector<cv::Point2d> img;
  for (int i : idx) img.push_back(face.landmarks[i]);
  double f = std::max(size.width, size.height);
  cv::Mat K = (cv::Mat_<double>(3, 3) << f, 0, size.width / 2.0, 0, f, size.height / 2.0, 0, 0, 1);
  // Image y points down, model y up: flip the model's y and z so the frame is right-handed
  // with the camera's (x right, y down, z forward).
  std::vector<cv::Point3d> obj;
  for (auto p : model) obj.push_back({p.x, -p.y, -p.z});
  cv::Mat rvec, tvec;
  cv::solvePnP(obj, img, K, cv::Mat(), rvec, tvec, false, cv::SOLVEPNP_ITERATIVE);
  cv::Mat R;
  cv::Rodrigues(rvec, R);
  // R maps model to camera: R = Rz(roll) Ry(b) Rx(a) in the camera's axes. A head turning to
  // its left swings the nose to +x, a rotation of -yaw about the camera's (downward) y axis; a
  // chin going up is a rotation of -pitch about x; roll turns clockwise on screen as +z does.
  double sy =
      std::sqrt(R.at<double>(0, 0) * R.at<double>(0, 0) + R.at<double>(1, 0) * R.at<double>(1, 0));
  double pitch = -std::atan2(R.at<double>(2, 1), R.at<double>(2, 2));
  double yaw = -std::atan2(-R.at<double>(2, 0), sy);
  double roll = std::atan2(R.at<double>(1, 0), R.at<double>(0, 0));
  const double d = 180.0 / M_PI;
  Pose p;
  p.yaw = yaw * d;
  p.pitch = pitch * d;
  p.roll = roll * d;
  return p;
}

}  // namespace smp
