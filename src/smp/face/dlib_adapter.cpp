// The one file that includes dlib (slow to compile): HOG face detector + shape predictor.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/face/face.h"

namespace smp {

namespace {
using Detector =
    dlib::frontal_face_detector;  // object_detector<scan_fhog_pyramid<pyramid_down<6>>>
using Pyramid = dlib::pyramid_down<6>;
// The detector's pyramid levels 0-1 cost about as much as all coarser levels together (each
// level has 25/36 of the previous one's area), so two threads split the pyramid there.
constexpr int kFineLevels = 2;
}  // namespace

struct FaceModel::Impl {
  Detector detector;  // the whole pyramid
  Detector fine;      // only its first kFineLevels levels
  dlib::shape_predictor predictor;
};

FaceModel::FaceModel() : impl_(std::make_unique<Impl>()) {}
FaceModel::~FaceModel() = default;

std::string FaceModel::default_model_path() {
  if (const char* env = std::getenv("SMP_LANDMARK_MODEL"); env && *env) return env;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

std::shared_ptr<const FaceModel> FaceModel::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, "face landmark model not found (install Debian package libdlib-data)");
  std::shared_ptr<FaceModel> m(new FaceModel());
  Impl& impl = *m->impl_;
  impl.detector = dlib::get_frontal_face_detector();
  dlib::scan_fhog_pyramid<Pyramid> scanner;  // not copyable: copy its settings
  scanner.copy_configuration(impl.detector.get_scanner());
  scanner.set_max_pyramid_levels(kFineLevels);
  std::vector<Detector::feature_vector_type> w;
  for (unsigned long i = 0; i < impl.detector.num_detectors(); ++i)
    w.push_back(impl.detector.get_w(i));
  impl.fine = Detector(scanner, impl.detector.get_overlap_tester(), w);
  try {
    std::ifstream in(path, std::ios::binary);
    dlib::deserialize(impl.predictor, in);
  } catch (const std::exception& e) {
    throw InputError(path, "not a dlib landmark model");
  }
  if (impl.predictor.num_parts() != 68)
    throw InputError(path, "landmark model has " + std::to_string(impl.predictor.num_parts()) +
                               " points, expected 68");
  return m;
}

Face FaceModel::landmarks_for(const cv::Mat& gray8, const cv::Rect2d& box) const {
  SMP_CHECK_EQ(gray8.type(), CV_8UC1);
  dlib::cv_image<unsigned char> img(cvIplImage(gray8));
  dlib::rectangle r(std::lround(box.x), std::lround(box.y), std::lround(box.x + box.width),
                    std::lround(box.y + box.height));
  dlib::full_object_detection shape = impl_->predictor(img, r);
  Face f;
  f.box = box;
  for (int i = 0; i < 68; ++i) f.landmarks[i] = cv::Point2d(shape.part(i).x(), shape.part(i).y());
  return f;
}

namespace {

// The detector's copy of the photo: grey, long side about `max_side`. Shrinking by a whole
// factor lets INTER_AREA take its fast box-filter path (the general path costs ~40 ms at 12 MP);
// the few pixels that do not fill a last block are dropped.
cv::Mat detector_image(const cv::Mat& bgr8, const DetectOptions& opt, double& scale) {
  int long_side = std::max(bgr8.cols, bgr8.rows);
  cv::Mat gray;
  if (long_side > opt.detect_max_side * 11 / 10) {
    int k = static_cast<int>(std::ceil(long_side / (1.1 * opt.detect_max_side)));
    cv::Mat roi = bgr8(cv::Rect(0, 0, bgr8.cols / k * k, bgr8.rows / k * k));
    cv::Mat small;
    cv::resize(roi, small, cv::Size(roi.cols / k, roi.rows / k), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
    scale = 1.0 / k;
  } else {
    cv::cvtColor(bgr8, gray, cv::COLOR_BGR2GRAY);
    scale = 1.0;
    if (long_side < opt.upsample_below) {
      scale = std::min(4.0, double(opt.upsample_below) / long_side);
      cv::resize(gray, gray, cv::Size(), scale, scale, cv::INTER_LINEAR);
    }
  }
  return gray;
}

// Non-maximum suppression as dlib's object_detector does it: best first, drop overlaps.
std::vector<dlib::rect_detection> suppress(std::vector<dlib::rect_detection> dets,
                                           const dlib::test_box_overlap& overlaps) {
  std::sort(dets.rbegin(), dets.rend());
  std::vector<dlib::rect_detection> kept;
  for (const auto& d : dets) {
    bool hit = std::any_of(kept.begin(), kept.end(),
                           [&](const dlib::rect_detection& k) { return overlaps(k.rect, d.rect); });
    if (!hit) kept.push_back(d);
  }
  return kept;
}

}  // namespace

std::vector<Face> FaceModel::detect(const cv::Mat& bgr8, const DetectOptions& opt) const {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  double scale = 1.0;
  cv::Mat small = detector_image(bgr8, opt, scale);
  dlib::cv_image<unsigned char> img(cvIplImage(small));

  // A detector keeps per-image state, so each call works on its own copies (FaceModel is shared
  // between threads). Fine levels on this image, the rest from a twice-shrunk copy: the same
  // pyramid images dlib would build. The split is always made, on one thread or two, so the
  // boxes do not depend on the machine's core count (a coarse box is mapped up in two steps,
  // which may round a corner a pixel differently from dlib's own one-thread path).
  Detector fine = impl_->fine, coarse = impl_->detector;
  std::vector<dlib::rect_detection> fine_dets, coarse_dets;
  auto run_coarse = [&] {
    Pyramid pyr;
    dlib::array2d<unsigned char> a, b;
    pyr(img, a);
    pyr(a, b);
    coarse(b, coarse_dets, 0.0);
    for (auto& d : coarse_dets)
      d.rect = dlib::rectangle(pyr.rect_up(dlib::drectangle(d.rect), kFineLevels));
  };
  if (thread_count(opt.threads) > 1) {
    std::jthread worker(run_coarse);
    fine(img, fine_dets, 0.0);
  } else {
    run_coarse();
    fine(img, fine_dets, 0.0);
  }
  fine_dets.insert(fine_dets.end(), coarse_dets.begin(), coarse_dets.end());
  std::vector<dlib::rect_detection> dets =
      suppress(std::move(fine_dets), impl_->detector.get_overlap_tester());

  // Landmarks at full resolution, on a grey crop around each face only (converting a 12 MP photo
  // to grey costs more than all the crops together).
  std::vector<Face> faces(dets.size());
  parallel_for(
      static_cast<int>(dets.size()),
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          const auto& d = dets[i];
          cv::Rect2d box(d.rect.left() / scale, d.rect.top() / scale, d.rect.width() / scale,
                         d.rect.height() / scale);
          double m = 0.5 * std::max(box.width, box.height);
          cv::Rect crop =
              cv::Rect(cv::Point(int(box.x - m), int(box.y - m)),
                       cv::Point(int(std::ceil(box.br().x + m)), int(std::ceil(box.br().y + m)))) &
              cv::Rect(0, 0, bgr8.cols, bgr8.rows);
          cv::Mat gray;
          cv::cvtColor(bgr8(crop), gray, cv::COLOR_BGR2GRAY);
          Face f = landmarks_for(gray, box - cv::Point2d(crop.tl()));
          for (auto& p : f.landmarks) p += cv::Point2d(crop.tl());
          f.box = box;
          f.detector_score = d.detection_confidence;
          faces[i] = f;
        }
      },
      opt.threads, 4);
  // Largest first; equal boxes (common: the detector's sizes are steps of its pyramid) by score,
  // then position, so `--face N` names the same face on every machine.
  std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) {
    if (a.area() != b.area()) return a.area() > b.area();
    if (a.detector_score != b.detector_score) return a.detector_score > b.detector_score;
    return std::make_pair(a.box.y, a.box.x) < std::make_pair(b.box.y, b.box.x);
  });
  return faces;
}

}  // namespace smp
