// The one file that includes dlib (slow to compile): HOG face detector + shape predictor.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"
#include "smp/face/face.h"

namespace smp {

struct FaceModel::Impl {
  dlib::frontal_face_detector detector;
  dlib::shape_predictor predictor;
};

FaceModel::FaceModel() : impl_(std::make_unique<Impl>()) {}
FaceModel::~FaceModel() = default;

std::string FaceModel::default_model_path() {
  if (const char* env = std::getenv("SMP_LANDMARK_MODEL"); env && *env) return env;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

std::shared_ptr<const FaceModel> FaceModel::load(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw InputError(path, "face landmark model not found (install Debian package libdlib-data)");
  std::shared_ptr<FaceModel> m(new FaceModel());
  m->impl_->detector = dlib::get_frontal_face_detector();
  try {
    std::ifstream in(path, std::ios::binary);
    dlib::deserialize(m->impl_->predictor, in);
  } catch (const std::exception& e) {
    throw InputError(path, "not a dlib landmark model");
  }
  if (m->impl_->predictor.num_parts() != 68)
    throw InputError(path, "landmark model has " + std::to_string(m->impl_->predictor.num_parts()) +
                               " points, expected 68");
  return m;
}

Face FaceModel::landmarks_for(const cv::Mat& gray8, const cv::Rect2d& box) const {
  dlib::cv_image<unsigned char> img(cvIplImage(gray8));
  dlib::rectangle r(std::lround(box.x), std::lround(box.y), std::lround(box.x + box.width),
                    std::lround(box.y + box.height));
  dlib::full_object_detection shape = impl_->predictor(img, r);
  Face f;
  f.box = box;
  for (int i = 0; i < 68; ++i) f.landmarks[i] = cv::Point2d(shape.part(i).x(), shape.part(i).y());
  return f;
}

std::vector<Face> FaceModel::detect(const cv::Mat& bgr8, const DetectOptions& opt) const {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  cv::Mat gray;
  cv::cvtColor(bgr8, gray, cv::COLOR_BGR2GRAY);
  int long_side = std::max(gray.cols, gray.rows);
  double scale = 1.0;
  if (long_side > opt.detect_max_side) scale = double(opt.detect_max_side) / long_side;
  else if (long_side < opt.upsample_below) scale = std::min(4.0, double(opt.upsample_below) / long_side);
  cv::Mat small;
  if (scale != 1.0)
    cv::resize(gray, small, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  else
    small = gray;
  dlib::cv_image<unsigned char> img(cvIplImage(small));
  std::vector<dlib::rect_detection> dets;
  impl_->detector(img, dets, 0.0);
  std::vector<Face> faces;
  for (const auto& d : dets) {
    cv::Rect2d box(d.rect.left() / scale, d.rect.top() / scale, d.rect.width() / scale,
                   d.rect.height() / scale);
    Face f = landmarks_for(gray, box);
    f.detector_score = d.detection_confidence;
    faces.push_back(f);
  }
  std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.area() > b.area(); });
  return faces;
}

}  // namespace smp
