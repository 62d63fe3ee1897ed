// The one file that includes dlib (slow to compile): HOG face detector + shape predictor.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string_view>
#include <thread>
#include <type_traits>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/face/face.h"
#include "smp/image/shrink.h"

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

// An istream's buffer over bytes in memory, for dlib::deserialize (the fallback of ModelBytes
// below: off the common path, so the streambuf's own reads serve).
struct MemoryBuf : std::streambuf {
  MemoryBuf(char* p, size_t n) { setg(p, p, p + n); }
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

// ---------------------------------------------------------------------- landmark model reader
//
// dlib::deserialize reads the model through an istream a few bytes per call and rebuilds each of
// its 16.6 M floats with scalbnf: 300-450 ms, half the wall time of a command. ModelBytes reads
// the same format (dlib 19.24: serialize.h, float_details.h, matrix.h, geometry/vector.h,
// shape_predictor.h) with a pointer into the mapped file and builds the same predictor, bit for
// bit (tests/face/model_reader_test.cpp).

namespace {

// shape_predictor's one constructor takes pixel coordinates and recomputes the stored anchor_idx
// and deltas from them (in float arithmetic: not the file's values), so the reader fills its
// private members instead. An explicit instantiation is where C++ does not check access
// (C++20 [temp.spec]/6): it hands out pointers to the four members, nothing else is bypassed.
template <typename Tag, typename Tag::type kMember>
struct GrantMember {
  friend typename Tag::type member(Tag) { return kMember; }
};
struct InitialShape {
  using type = dlib::matrix<float, 0, 1> dlib::shape_predictor::*;
  friend type member(InitialShape);
};
struct Forests {
  using type = std::vector<std::vector<dlib::impl::regression_tree>> dlib::shape_predictor::*;
  friend type member(Forests);
};
struct AnchorIdx {
  using type = std::vector<std::vector<unsigned long>> dlib::shape_predictor::*;
  friend type member(AnchorIdx);
};
struct Deltas {
  using type = std::vector<std::vector<dlib::vector<float, 2>>> dlib::shape_predictor::*;
  friend type member(Deltas);
};
template struct GrantMember<InitialShape, &dlib::shape_predictor::initial_shape>;
template struct GrantMember<Forests, &dlib::shape_predictor::forests>;
template struct GrantMember<AnchorIdx, &dlib::shape_predictor::anchor_idx>;
template struct GrantMember<Deltas, &dlib::shape_predictor::deltas>;

// The file ends before the model does (or a count is more than the rest of the file can hold):
// dlib reads the same bytes in the same order and would fail too, so it is not asked.
struct Truncated : std::exception {};
// Something this reader does not follow (another version, dlib's pre-2013 text floats, a value
// dlib refuses): dlib::deserialize decides.
struct Unsupported : std::exception {};

// float_details (an int64 mantissa and int16 exponent) to float, as dlib converts it:
// ldexp(float(mantissa), exponent), and its codes for infinities and NaN. When the result is a
// normal float, adding the exponent to float(mantissa)'s exponent bits gives that value exactly,
// without a library call.
float float_from_details(int64_t mantissa, int16_t exponent) {
  if (exponent >= dlib::float_details::is_inf) {
    if (exponent == dlib::float_details::is_inf) return std::numeric_limits<float>::infinity();
    if (exponent == dlib::float_details::is_ninf) return -std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }
  const float m = float(mantissa);
  uint32_t bits;
  std::memcpy(&bits, &m, sizeof bits);
  const int biased = int((bits >> 23) & 0xFF);  // 0 only for m == 0 (m is a whole number)
  if (biased != 0 && biased + exponent >= 1 && biased + exponent <= 254) {
    bits += uint32_t(exponent) << 23;  // modulo 2^32: the sum stays within the exponent field
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  return std::ldexp(m, exponent);  // zero, subnormal or overflowing results
}

// A cursor over the model's bytes; every read is bounds-checked.
class ModelBytes {
 public:
  ModelBytes(const char* data, size_t size)
      : p_(reinterpret_cast<const uint8_t*>(data)), end_(p_ + size) {}

  void predictor(dlib::shape_predictor& sp) {
    if (integer<int>() != 1) throw Unsupported{};  // the only version dlib 19.24 writes
    column(sp.*member(InitialShape{}));
    auto& forests = sp.*member(Forests{});
    forests.resize(count(kMinVectorBytes));
    for (auto& forest : forests) {
      forest.resize(count(kMinTreeBytes));
      for (auto& t : forest) tree(t);
    }
    auto& anchor_idx = sp.*member(AnchorIdx{});
    anchor_idx.resize(count(kMinVectorBytes));
    for (auto& anchors : anchor_idx) {
      anchors.resize(count(kMinIntBytes));
      for (auto& a : anchors) a = integer<unsigned long>();
    }
    auto& deltas = sp.*member(Deltas{});
    deltas.resize(count(kMinVectorBytes));
    for (auto& ds : deltas) {
      ds.resize(count(2 * kMinFloatBytes));
      for (auto& d : ds) {
        d.x() = real();
        d.y() = real();
      }
    }
  }

 private:
  // The fewest bytes each item can take, to refuse a count the rest of the file cannot hold
  // before allocating for it.
  static constexpr size_t kMinIntBytes = 2;  // a control byte and at least one byte
  static constexpr size_t kMinFloatBytes = 2 * kMinIntBytes;
  static constexpr size_t kMinVectorBytes = kMinIntBytes;
  static constexpr size_t kMinTreeBytes = 2 * kMinVectorBytes;
  // The longest float: two control bytes, 8 bytes of mantissa, 2 of exponent.
  static constexpr size_t kMaxFloatBytes = 12;

  void need(size_t n) const {
    if (size_t(end_ - p_) < n) throw Truncated{};
  }

  // dlib's integers (ser_helper::unpack_int): a control byte with the byte count in its low
  // bits (and 0x80 for a negative value of a signed type), then the bytes, little-endian.
  template <typename T>
  T integer() {
    need(1);
    const uint8_t control = *p_++;
    // dlib masks the reserved bits 0x70; an unsigned type keeps 0x80 in the count (refused).
    const unsigned n = std::is_signed_v<T> ? control & 0x0F : control & 0x8F;
    if (n == 0 || n > sizeof(T)) throw Unsupported{};
    need(n);
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | p_[i];
    p_ += n;
    using U = std::make_unsigned_t<T>;
    U u = U(v);
    if (std::is_signed_v<T> && (control & 0x80)) u = U(0 - u);  // dlib's item *= -1, modulo 2^bits
    return T(u);
  }

  // A vector's length, refused when the rest of the file cannot hold that many items.
  size_t count(size_t min_item_bytes) {
    const unsigned long n = integer<unsigned long>();
    if (n > size_t(end_ - p_) / min_item_bytes) throw Truncated{};
    return n;
  }

  float real() {
    float f;
    reals(&f, 1);
    return f;
  }

  // Floats (deserialize_floating_point: float_details' mantissa and exponent) into out[0, n).
  void reals(float* out, size_t n) {
    // Most of the model's floats take 6 bytes: a 3-byte mantissa (control byte 0x03 or 0x83)
    // and a 1-byte exponent (0x01 or 0x81). Tested first, so the next float's position does not
    // wait for this one's bytes (as in any_real): the CPU decodes several floats at once.
    const uint8_t* p = p_;
    size_t i = 0;
    while (i < n && size_t(end_ - p) >= kMaxFloatBytes) {
      uint64_t w;
      std::memcpy(&w, p, sizeof w);  // little-endian, as dlib writes
      if ((w & 0x7F) == 0x03 && ((w >> 32) & 0x0F) == 0x01) [[likely]] {
        int32_t m = int32_t((w >> 8) & 0xFFFFFF);
        if (w & 0x80) m = -m;
        int x = int((w >> 40) & 0xFF);
        if ((w >> 32) & 0x80) x = -x;
        // |m| < 2^24 is exact as a float, and m * 2^x a normal float (so exact, as ldexpf's)
        // for x in [-126, 104]: one multiplication by 2^x built from its bits.
        out[i++] = x >= -126 && x <= 104 ? float(m) * std::bit_cast<float>(uint32_t(x + 127) << 23)
                                         : float_from_details(m, int16_t(x));
        p += 6;
      } else {
        p_ = p;
        out[i++] = any_real();
        p = p_;
      }
    }
    p_ = p;
    for (; i < n; ++i) out[i] = any_real();
  }

  float any_real() {
    // Almost every float, when at least kMaxFloatBytes remain: the mantissa in one 8-byte load.
    if (size_t(end_ - p_) >= kMaxFloatBytes) [[likely]] {
      const uint8_t c = p_[0];
      const unsigned n = c & 0x0F;
      const uint8_t* e = p_ + 1 + n;  // the exponent's control byte, read once n <= 8
      if ((c & 0x70) == 0 && n - 1 < 8 && (e[0] & 0x0F) - 1u < 2) {
        const unsigned en = e[0] & 0x0F;
        uint64_t m;
        std::memcpy(&m, p_ + 1, sizeof m);
        if (n < 8) m &= (uint64_t(1) << (8 * n)) - 1;
        if (c & 0x80) m = 0 - m;
        uint16_t x = e[1];
        if (en == 2) x |= uint16_t(e[2] << 8);
        if (e[0] & 0x80) x = uint16_t(0 - x);
        p_ = e + 1 + en;
        return float_from_details(int64_t(m), int16_t(x));
      }
    }
    // dlib's older text format has bits of 0x70 set in its first byte.
    need(1);
    if (*p_ & 0x70) throw Unsupported{};
    const int64_t mantissa = integer<int64_t>();
    return float_from_details(mantissa, integer<int16_t>());
  }

  // A matrix<float,0,1>: rows and columns (negated in dlib's newer format), then the values.
  void column(dlib::matrix<float, 0, 1>& m) {
    int64_t rows = integer<long>(), cols = integer<long>();
    if (rows < 0 || cols < 0) {
      rows = int64_t(0 - uint64_t(rows));
      cols = int64_t(0 - uint64_t(cols));
    }
    if (cols != 1 || rows < 0) throw Unsupported{};
    if (uint64_t(rows) > size_t(end_ - p_) / kMinFloatBytes) throw Truncated{};
    m.set_size(rows, 1);
    if (rows > 0) reals(&m(0), size_t(rows));
  }

  void tree(dlib::impl::regression_tree& t) {
    t.splits.resize(count(2 * kMinIntBytes + kMinFloatBytes));
    for (auto& s : t.splits) {
      s.idx1 = integer<unsigned long>();
      s.idx2 = integer<unsigned long>();
      s.thresh = real();
    }
    t.leaf_values.resize(count(2 * kMinIntBytes));
    for (auto& leaf : t.leaf_values) column(leaf);
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

// Whether the predictor can be run without reading out of bounds (dlib checks none of this; a
// damaged file could otherwise load and crash later): every cascade has its pixels, every tree
// is complete, every index in range and every leaf the shape's size.
bool consistent(const dlib::shape_predictor& sp) {
  const auto& shape = sp.*member(InitialShape{});
  const auto& forests = sp.*member(Forests{});
  const auto& anchor_idx = sp.*member(AnchorIdx{});
  const auto& deltas = sp.*member(Deltas{});
  const unsigned long parts = sp.num_parts();
  if (shape.size() % 2 != 0 || anchor_idx.size() != forests.size() ||
      deltas.size() != forests.size())
    return false;
  for (size_t c = 0; c < forests.size(); ++c) {
    const size_t pixels = deltas[c].size();
    if (anchor_idx[c].size() != pixels) return false;
    for (unsigned long a : anchor_idx[c])
      if (a >= parts) return false;
    for (const auto& t : forests[c]) {
      const size_t leaves = t.leaf_values.size();
      if (leaves != t.splits.size() + 1 || (leaves & (leaves - 1)) != 0) return false;
      for (const auto& s : t.splits)
        if (s.idx1 >= pixels || s.idx2 >= pixels) return false;
      for (const auto& leaf : t.leaf_values)
        if (leaf.size() != shape.size()) return false;
    }
  }
  return true;
}

bool same_floats(const float* a, const float* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(float)) == 0;
}

bool same_column(const dlib::matrix<float, 0, 1>& a, const dlib::matrix<float, 0, 1>& b) {
  return a.size() == b.size() && (a.size() == 0 || same_floats(&a(0), &b(0), a.size()));
}

}  // namespace

FaceModel::FaceModel() : impl_(std::make_unique<Impl>()) {}
FaceModel::~FaceModel() = default;

std::string FaceModel::default_model_path() {
  if (const char* env = std::getenv("SMP_LANDMARK_MODEL"); env && *env) return env;
  return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

std::shared_ptr<const FaceModel> FaceModel::load(const std::string& path, ModelReader reader) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, "face landmark model not found (install Debian package libdlib-data)");
  std::shared_ptr<FaceModel> m(new FaceModel());
  Impl& impl = *m->impl_;
  // The landmark model from the mapped file (no 100 MB copy). The frontal detector is not loaded
  // here: it is built on first use (frontal_detectors), on whichever core finds the faces.
  {
    MappedFile file(path);
    bool read = false;
    try {
      if (reader != ModelReader::kDlibOnly) {
        try {
          ModelBytes(file.data, file.size).predictor(impl.predictor);
          read = true;
        } catch (const Unsupported&) {
          if (reader == ModelReader::kFastOnly) throw;
          impl.predictor = dlib::shape_predictor();
        }
      }
      if (!read) {
        MemoryBuf buf(file.data, file.size);
        std::istream in(&buf);
        dlib::deserialize(impl.predictor, in);
      }
    } catch (const std::exception&) {  // the readers' errors, or bad_alloc for a damaged count
      throw InputError(path, "not a dlib landmark model");
    }
  }
  if (!consistent(impl.predictor)) throw InputError(path, "not a dlib landmark model");
  if (impl.predictor.num_parts() != 68)
    throw InputError(path, "landmark model has " + std::to_string(impl.predictor.num_parts()) +
                               " points, expected 68");
  return m;
}

bool same_landmark_model(const FaceModel& a, const FaceModel& b) {
  const dlib::shape_predictor& x = a.impl_->predictor;
  const dlib::shape_predictor& y = b.impl_->predictor;
  if (!same_column(x.*member(InitialShape{}), y.*member(InitialShape{}))) return false;
  if (x.*member(AnchorIdx{}) != y.*member(AnchorIdx{})) return false;
  const auto &fx = x.*member(Forests{}), &fy = y.*member(Forests{});
  if (fx.size() != fy.size()) return false;
  for (size_t c = 0; c < fx.size(); ++c) {
    if (fx[c].size() != fy[c].size()) return false;
    for (size_t t = 0; t < fx[c].size(); ++t) {
      const auto &tx = fx[c][t], &ty = fy[c][t];
      if (tx.splits.size() != ty.splits.size() || tx.leaf_values.size() != ty.leaf_values.size())
        return false;
      for (size_t s = 0; s < tx.splits.size(); ++s)
        if (tx.splits[s].idx1 != ty.splits[s].idx1 || tx.splits[s].idx2 != ty.splits[s].idx2 ||
            !same_floats(&tx.splits[s].thresh, &ty.splits[s].thresh, 1))
          return false;
      for (size_t l = 0; l < tx.leaf_values.size(); ++l)
        if (!same_column(tx.leaf_values[l], ty.leaf_values[l])) return false;
    }
  }
  const auto &dx = x.*member(Deltas{}), &dy = y.*member(Deltas{});
  if (dx.size() != dy.size()) return false;
  for (size_t c = 0; c < dx.size(); ++c) {
    if (dx[c].size() != dy[c].size()) return false;
    for (size_t i = 0; i < dx[c].size(); ++i)
      if (!same_floats(&dx[c][i].x(), &dy[c][i].x(), 1) ||
          !same_floats(&dx[c][i].y(), &dy[c][i].y(), 1))
        return false;
  }
  return true;
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

// The detector's copy of the photo: grey, long side about `max_side`, shrunk by a whole factor
// (shrink_whole: the fast path).
cv::Mat detector_image(const cv::Mat& bgr8, const DetectOptions& opt, double& scale) {
  int long_side = std::max(bgr8.cols, bgr8.rows);
  cv::Mat gray;
  if (long_side > opt.detect_max_side * 11 / 10) {
    int k = static_cast<int>(std::ceil(long_side / (1.1 * opt.detect_max_side)));
    cv::cvtColor(shrink_whole(bgr8, k), gray, cv::COLOR_BGR2GRAY);
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
