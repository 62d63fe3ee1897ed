// The one file that includes dlib (slow to compile): HOG face detector + shape predictor.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string_view>
#include <thread>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/face/face.h"

namespace smp {

extern const char kFrontalDetectorBase64[];  // frontal_detector_data.cpp
extern const std::size_t kFrontalDetectorBytes;

namespace {
using Detector =
    dlib::frontal_face_detector;  // object_detector<scan_fhog_pyramid<pyramid_down<6>>>
using Pyramid = dlib::pyramid_down<6>;
// The detector's pyramid levels 0-1 cost about as much as all coarser levels together (each
// level has 25/36 of the previous one's area), so two threads split the pyramid there.
constexpr int kFineLevels = 2;

// Our raw copy of dlib's frontal detector (frontal_detector_data.cpp).
std::string embedded_detector_bytes() {
  static const std::string_view kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int8_t value[256];
  std::fill(std::begin(value), std::end(value), int8_t(-1));
  for (size_t i = 0; i < kB64.size(); ++i) value[uint8_t(kB64[i])] = int8_t(i);
  std::string out;
  out.reserve(kFrontalDetectorBytes);
  uint32_t acc = 0;
  int bits = 0;
  for (const char* p = kFrontalDetectorBase64; *p; ++p) {
    const int v = value[uint8_t(*p)];
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// dlib's frontal detector from our raw copy (a few ms), or from dlib's compressed one (0.3-0.9 s)
// should the copy ever not load.
Detector embedded_frontal_detector() {
  const std::string bytes = embedded_detector_bytes();
  if (bytes.size() == kFrontalDetectorBytes) {
    try {
      Detector d;
      std::istringstream in(bytes);
      dlib::deserialize(d, in);
      if (d.num_detectors() > 0) return d;
    } catch (const std::exception&) {
    }
  }
  return dlib::get_frontal_face_detector();
}

// The model file mapped read-only (no 100 MB copy); size 0 when it cannot be mapped.
struct MappedFile {
  char* data = nullptr;
  size_t size = 0;
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path, "face landmark model cannot be read");
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data = static_cast<char*>(p);
        size = size_t(st.st_size);
        ::madvise(p, size, MADV_SEQUENTIAL);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data) ::munmap(data, size);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
};

// An istream's buffer over bytes in memory (dlib deserialises from a std::istream).
struct MemoryBuf : std::streambuf {
  MemoryBuf(char* p, size_t n) { setg(p, p, p + n); }
  // dlib reads an integer's 1-8 bytes per call, tens of millions of times: fixed-size copies
  // (inlined moves), not a call to memmove for each.
  std::streamsize xsgetn(char* out, std::streamsize n) override {
    n = std::min<std::streamsize>(n, egptr() - gptr());
    const char* p = gptr();
    switch (n) {
      case 1:
        *out = *p;
        break;
      case 2:
        std::memcpy(out, p, 2);
        break;
      case 3:
        std::memcpy(out, p, 3);
        break;
      case 4:
        std::memcpy(out, p, 4);
        break;
      case 8:
        std::memcpy(out, p, 8);
        break;
      default:
        std::memcpy(out, p, size_t(n));
    }
    gbump(int(n));
    return n;
  }
};

// The frontal detector, once per process (the landmark model is not needed to find faces): from
// our raw copy, as dlib unpacks its own with an arithmetic decoder (0.3-0.9 s at every start).
struct Detectors {
  Detector detector;  // the whole pyramid
  Detector fine;      // only its first kFineLevels levels
};

const Detectors& frontal_detectors() {
  static const Detectors d = [] {
    Detectors d;
    d.detector = embedded_frontal_detector();
    dlib::scan_fhog_pyramid<Pyramid> scanner;  // not copyable: copy its settings
    scanner.copy_configuration(d.detector.get_scanner());
    scanner.set_max_pyramid_levels(kFineLevels);
    std::vector<Detector::feature_vector_type> w;
    for (unsigned long i = 0; i < d.detector.num_detectors(); ++i) w.push_back(d.detector.get_w(i));
    d.fine = Detector(scanner, d.detector.get_overlap_tester(), w);
    return d;
  }();
  return d;
}
}  // namespace

struct FaceModel::Impl {
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
  // The landmark model from the mapped file (~100 MB of floats read a few bytes at a time: a file
  // stream's per-call overhead was a third of the load). The frontal detector is not loaded
  // here: it is built on first use (frontal_detectors), on whichever core finds the faces.
  {
    MappedFile file(path);
    try {
      MemoryBuf buf(file.data, file.size);
      std::istream in(&buf);
      dlib::deserialize(impl.predictor, in);
    } catch (const std::exception& e) {
      throw InputError(path, "not a dlib landmark model");
    }
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

void FaceModel::add_landmarks(const cv::Mat& bgr8, Face& f) const {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  // Landmarks at full resolution, on a grey crop around the face only (the model samples
  // pixels near the box; converting a whole 12 MP photo to grey would cost more).
  const cv::Rect2d box = f.box;
  const double m = 0.5 * std::max(box.width, box.height);
  const cv::Rect crop =
      cv::Rect(cv::Point(int(box.x - m), int(box.y - m)),
               cv::Point(int(std::ceil(box.br().x + m)), int(std::ceil(box.br().y + m)))) &
      cv::Rect(0, 0, bgr8.cols, bgr8.rows);
  cv::Mat gray;
  cv::cvtColor(bgr8(crop), gray, cv::COLOR_BGR2GRAY);
  const Face g = landmarks_for(gray, box - cv::Point2d(crop.tl()));
  for (int i = 0; i < 68; ++i) f.landmarks[i] = g.landmarks[i] + cv::Point2d(crop.tl());
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

std::vector<Face> detect_face_boxes(const cv::Mat& bgr8, const DetectOptions& opt,
                                    Timings* timings) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  Timings local;
  Timings& tm = timings ? *timings : local;
  double scale = 1.0;
  cv::Mat small;
  {
    ScopedTiming t(tm, "faces.downscale");
    small = detector_image(bgr8, opt, scale);
  }
  dlib::cv_image<unsigned char> img(cvIplImage(small));

  // A detector keeps per-image state, so each call works on its own copies (FaceModel is shared
  // between threads). Fine levels on this image, the rest from a twice-shrunk copy: the same
  // pyramid images dlib would build. The split is always made, on one thread or two, so the
  // boxes do not depend on the machine's core count (a coarse box is mapped up in two steps,
  // which may round a corner a pixel differently from dlib's own one-thread path).
  const Detectors& shared = frontal_detectors();
  Detector fine = shared.fine, coarse = shared.detector;
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
  {
    ScopedTiming t(tm, "faces.hog");
    if (thread_count(opt.threads) > 1) {
      std::jthread worker(run_coarse);
      fine(img, fine_dets, 0.0);
    } else {
      run_coarse();
      fine(img, fine_dets, 0.0);
    }
  }
  fine_dets.insert(fine_dets.end(), coarse_dets.begin(), coarse_dets.end());
  std::vector<dlib::rect_detection> dets =
      suppress(std::move(fine_dets), shared.detector.get_overlap_tester());

  std::vector<Face> faces(dets.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto& d = dets[i];
    faces[i].box = cv::Rect2d(d.rect.left() / scale, d.rect.top() / scale, d.rect.width() / scale,
                              d.rect.height() / scale);
    faces[i].detector_score = d.detection_confidence;
  }
  // Largest first; equal boxes (common: the detector's sizes are steps of its pyramid) by score,
  // then position, so `--face N` names the same face on every machine.
  std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) {
    if (a.area() != b.area()) return a.area() > b.area();
    if (a.detector_score != b.detector_score) return a.detector_score > b.detector_score;
    return std::make_pair(a.box.y, a.box.x) < std::make_pair(b.box.y, b.box.x);
  });
  return faces;
}

std::vector<Face> FaceModel::detect(const cv::Mat& bgr8, const DetectOptions& opt,
                                    Timings* timings) const {
  std::vector<Face> faces = detect_face_boxes(bgr8, opt, timings);
  if (opt.landmarks) {
    Timings local;
    ScopedTiming t(timings ? *timings : local, "faces.landmarks");
    parallel_for(
        static_cast<int>(faces.size()),
        [&](int b, int e) {
          for (int i = b; i < e; ++i) add_landmarks(bgr8, faces[i]);
        },
        opt.threads, 4);
  }
  return faces;
}

bool frontal_detector_is_dlibs() {
  return embedded_detector_bytes() == dlib::get_serialized_frontal_faces();
}

}  // namespace smp
