#include "smp/photo/compare.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "smp/analysis/analysis.h"
#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/core/rect.h"
#include "smp/image/colour.h"

namespace smp {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Landmarks that an expression or the treatment hardly moves: jaw, nose, eye corners. Brows and
// mouth move with expression, so they would pull the fit.
std::vector<int> stable_landmarks() {
  std::vector<int> idx;
  for (int i = 0; i <= 16; ++i) idx.push_back(i);
  for (int i = 27; i <= 35; ++i) idx.push_back(i);
  for (int i = 36; i <= 47; ++i) idx.push_back(i);
  return idx;
}

cv::Point2d apply(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

cv::Matx33d to33(const cv::Matx23d& m) {
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), 0, 0, 1};
}
cv::Matx23d to23(const cv::Matx33d& m) {
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}

// The nearest similarity to an affine (averages the two scale/rotation estimates).
cv::Matx23d nearest_similarity(const cv::Matx23d& m) {
  double a = 0.5 * (m(0, 0) + m(1, 1)), b = 0.5 * (m(1, 0) - m(0, 1));
  return {a, -b, m(0, 2), b, a, m(1, 2)};
}

double luminance(const cv::Vec3d& bgr) {
  return 0.0722 * bgr[0] + 0.7152 * bgr[1] + 0.2126 * bgr[2];
}

// Mean linear colour of both images under the mask, skipping pixels clipped in either image
// (a blown highlight tells nothing about exposure).
struct PairMeans {
  cv::Vec3d before{0, 0, 0}, after{0, 0, 0};
  double n = 0;
};
PairMeans pair_means(const cv::Mat& b8, const cv::Mat& a8, const cv::Mat& mask) {
  const auto& lut = srgb8_to_linear_table();
  PairMeans pm;
  for (int y = 0; y < b8.rows; ++y) {
    const auto* pb = b8.ptr<cv::Vec3b>(y);
    const auto* pa = a8.ptr<cv::Vec3b>(y);
    const uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < b8.cols; ++x) {
      if (!m[x]) continue;
      bool clipped = false;
      for (int c = 0; c < 3; ++c)
        if (pb[x][c] >= 250 || pa[x][c] >= 250) clipped = true;
      if (clipped) continue;
      for (int c = 0; c < 3; ++c) {
        pm.before[c] += lut[pb[x][c]];
        pm.after[c] += lut[pa[x][c]];
      }
      pm.n += 1;
    }
  }
  if (pm.n > 0) {
    pm.before /= pm.n;
    pm.after /= pm.n;
  }
  return pm;
}

// Lower face and ears from the landmarks: the jaw line closed over the brows, widened sideways
// to take in the ears. The forehead and scalp above the brows are left out on purpose.
cv::Mat face_and_ears_mask(const Face& f, cv::Size size) {
  cv::Mat m = cv::Mat::zeros(size, CV_8U);
  std::vector<cv::Point> poly;
  for (int i = 0; i <= 16; ++i) poly.push_back(f.landmarks[i]);
  for (int i = 26; i >= 17; --i) poly.push_back(f.landmarks[i]);
  cv::fillPoly(m, std::vector<std::vector<cv::Point>>{poly}, 255);
  // Ears: a band beside the upper jaw (points 0-3 and 13-16), a quarter of the face wide.
  double w = cv::norm(f.landmarks[16] - f.landmarks[0]);
  cv::Point2d out = (f.landmarks[16] - f.landmarks[0]) * (0.22 * w / std::max(1.0, w));
  for (int side = 0; side < 2; ++side) {
    int a = side == 0 ? 0 : 16, b = side == 0 ? 3 : 13;
    cv::Point2d d = side == 0 ? -out : out;
    std::vector<cv::Point> ear = {f.landmarks[a], f.landmarks[b], f.landmarks[b] + d,
                                  f.landmarks[a] + d};
    cv::fillPoly(m, std::vector<std::vector<cv::Point>>{ear}, 255);
  }
  return m;
}

// Cheeks, nose and chin skin: the face polygon without eyes, brows and mouth.
cv::Mat face_skin_mask(const Face& f, cv::Size size) {
  cv::Mat m = cv::Mat::zeros(size, CV_8U);
  std::vector<cv::Point> poly;
  for (int i = 1; i <= 15; ++i) poly.push_back(f.landmarks[i]);
  for (int i = 26; i >= 17; --i) poly.push_back(f.landmarks[i]);
  cv::fillPoly(m, std::vector<std::vector<cv::Point>>{poly}, 255);
  int pad = std::max(2, static_cast<int>(0.06 * f.interpupillary_px()));
  auto cut = [&](int from, int to) {
    std::vector<cv::Point> pts;
    for (int i = from; i <= to; ++i) pts.push_back(f.landmarks[i]);
    std::vector<cv::Point> hull;
    cv::convexHull(pts, hull);
    cv::fillConvexPoly(m, hull, 0);
    cv::polylines(m, hull, true, 0, 2 * pad);
  };
  cut(17, 21);
  cut(22, 26);
  cut(36, 41);
  cut(42, 47);
  cut(48, 59);
  return m;
}

// Refines `m` (AFTER -> BEFORE) by ECC on `region` (BEFORE's pixels); returns false when ECC
// does not converge or wanders off (then the caller keeps `m`).
bool refine_ecc(const cv::Mat& before_gray, const cv::Mat& after_gray, const cv::Mat& region,
                cv::Matx23d& m) {
  cv::Mat warped, valid;
  cv::warpAffine(after_gray, warped, cv::Mat(m), before_gray.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, 0);
  cv::warpAffine(cv::Mat(after_gray.size(), CV_8U, cv::Scalar(255)), valid, cv::Mat(m),
                 before_gray.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
  cv::erode(valid, valid, cv::Mat(), cv::Point(-1, -1), 3);
  cv::Mat mask = region & valid;
  cv::Rect roi = cv::boundingRect(mask);
  if (roi.area() < 400) return false;
  // ECC is sub-pixel already at about 0.6 MP; larger regions only cost time.
  double s = std::min(1.0, std::sqrt(6e5 / roi.area()));
  cv::Mat tpl, inp, msk;
  cv::resize(before_gray(roi), tpl, cv::Size(), s, s, cv::INTER_AREA);
  cv::resize(warped(roi), inp, tpl.size(), 0, 0, cv::INTER_AREA);
  cv::resize(mask(roi), msk, tpl.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat w = cv::Mat::eye(2, 3, CV_32F);
  try {
    cv::findTransformECC(
        tpl, inp, w, cv::MOTION_AFFINE,
        cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 100, 1e-6), msk, 5);
  } catch (const cv::Exception&) {
    return false;  // did not converge (e.g. too little texture)
  }
  // w maps small-template coords to small-input coords; bring it to full BEFORE coords.
  cv::Matx33d P(s, 0, -s * roi.x, 0, s, -s * roi.y, 0, 0, 1);
  cv::Matx33d W(w.at<float>(0, 0), w.at<float>(0, 1), w.at<float>(0, 2), w.at<float>(1, 0),
                w.at<float>(1, 1), w.at<float>(1, 2), 0, 0, 1);
  cv::Matx33d Wf = P.inv() * W * P;  // BEFORE px -> warped-AFTER px
  cv::Matx23d corr = nearest_similarity(to23(Wf.inv()));
  Alignment d = describe(corr);
  // The landmark fit is good to a few pixels; a large correction means ECC locked on
  // something else.
  double limit = 0.05 * std::max(before_gray.cols, before_gray.rows);
  if (std::abs(d.scale - 1) > 0.05 || std::abs(d.rotation_deg) > 3 || cv::norm(d.shift_px) > limit)
    return false;
  m = to23(to33(corr) * to33(m));
  return true;
}

// How alike BEFORE and AFTER look on `region` once AFTER is carried over by m: normalised
// cross-correlation, -1..1.
double face_similarity(const cv::Mat& before_gray, const cv::Mat& after_gray, const cv::Mat& region,
                       const cv::Matx23d& m) {
  cv::Rect roi = cv::boundingRect(region) & cv::Rect(0, 0, before_gray.cols, before_gray.rows);
  if (roi.area() < 16) return -1;
  cv::Matx23d shifted = m;
  shifted(0, 2) -= roi.x;
  shifted(1, 2) -= roi.y;
  cv::Mat warped, b, a;
  cv::warpAffine(after_gray, warped, cv::Mat(shifted), roi.size(), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  before_gray(roi).convertTo(b, CV_32F);
  warped.convertTo(a, CV_32F);
  cv::Mat mk = region(roi);
  cv::Scalar mb, sb, ma, sa;
  cv::meanStdDev(b, mb, sb, mk);
  cv::meanStdDev(a, ma, sa, mk);
  if (sb[0] < 1e-6 || sa[0] < 1e-6) return -1;
  cv::Mat prod = (b - mb[0]).mul(a - ma[0]);
  return cv::mean(prod, mk)[0] / (sb[0] * sa[0]);
}

// Top views: ORB features on the head outline and background (never the scalp itself, which the
// treatment changes), matched and fitted with RANSAC.
bool align_features(const cv::Mat& before_gray, const cv::Mat& after_gray, const cv::Mat& stable,
                    cv::Matx23d& m, int& inliers, double& residual) {
  auto orb = cv::ORB::create(4000);
  std::vector<cv::KeyPoint> kb, ka;
  cv::Mat db, da;
  orb->detectAndCompute(before_gray, stable, kb, db);
  orb->detectAndCompute(after_gray, cv::noArray(), ka, da);
  if (kb.size() < 10 || ka.size() < 10) return false;
  cv::BFMatcher matcher(cv::NORM_HAMMING);
  std::vector<std::vector<cv::DMatch>> knn;
  matcher.knnMatch(da, db, knn, 2);
  std::vector<cv::Point2f> pa, pb;
  for (const auto& k : knn)
    if (k.size() == 2 && k[0].distance < 0.8f * k[1].distance) {
      pa.push_back(ka[k[0].queryIdx].pt);
      pb.push_back(kb[k[0].trainIdx].pt);
    }
  if (pa.size() < 8) return false;
  std::vector<uchar> in;
  cv::Mat est = cv::estimateAffinePartial2D(pa, pb, in, cv::RANSAC, 3.0, 5000, 0.995, 20);
  if (est.empty()) return false;
  inliers = cv::countNonZero(in);
  // A handful of chance matches can fit any transform (two different heads gave scale 0.04 from 8
  // inliers): ask for enough inliers, and for a camera that moved, not one that jumped.
  if (inliers < 20 || inliers < 0.15 * pa.size()) return false;
  Alignment d = describe(cv::Matx23d(est));
  if (d.scale < 0.5 || d.scale > 2.0 || std::abs(d.rotation_deg) > 45) return false;
  m = cv::Matx23d(est);
  residual = 0;
  for (size_t i = 0; i < pa.size(); ++i)
    if (in[i]) residual += cv::norm(apply(m, pa[i]) - cv::Point2d(pb[i]));
  residual /= inliers;
  return true;
}

// The largest upright rectangle inside `valid` (a convex region), shrunk from the full frame.
cv::Rect shrink_to_valid(const cv::Mat& valid) {
  cv::Rect r(0, 0, valid.cols, valid.rows);
  int step = std::max(1, std::max(valid.cols, valid.rows) / 400);
  for (int guard = 0; guard < 4000 && r.width > 16 && r.height > 16; ++guard) {
    int bad[4] = {
        r.width - cv::countNonZero(valid(cv::Rect(r.x, r.y, r.width, 1))),
        r.width - cv::countNonZero(valid(cv::Rect(r.x, r.y + r.height - 1, r.width, 1))),
        r.height - cv::countNonZero(valid(cv::Rect(r.x, r.y, 1, r.height))),
        r.height - cv::countNonZero(valid(cv::Rect(r.x + r.width - 1, r.y, 1, r.height)))};
    int worst = static_cast<int>(std::max_element(bad, bad + 4) - bad);
    if (bad[worst] == 0) break;
    int s = std::min(step, (worst < 2 ? r.height : r.width) / 4);
    s = std::max(1, s);
    if (worst == 0) r.y += s, r.height -= s;
    if (worst == 1) r.height -= s;
    if (worst == 2) r.x += s, r.width -= s;
    if (worst == 3) r.width -= s;
  }
  return r;
}

cv::Mat lightness(const cv::Mat& bgr8) {
  const auto& lut = srgb8_to_linear_table();
  cv::Mat L(bgr8.size(), CV_32F);
  parallel_for(bgr8.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const auto* p = bgr8.ptr<cv::Vec3b>(y);
      float* o = L.ptr<float>(y);
      for (int x = 0; x < bgr8.cols; ++x) {
        double Y = 0.0722 * lut[p[x][0]] + 0.7152 * lut[p[x][1]] + 0.2126 * lut[p[x][2]];
        o[x] = static_cast<float>(Y > 0.008856 ? 116 * std::cbrt(Y) - 16 : 903.3 * Y);
      }
    }
  });
  return L;
}

// A warm or cool cast clips the bright skin's strongest channel (red under tungsten); scaling a
// clipped value by the white-balance gain leaves blotches of the wrong hue. Clipped channels are
// restored from the unclipped ones with the channel ratios of unclipped neighbours (the highlight
// reconstruction raw converters do), so the gain then brings back the right colour. Fully blown
// pixels carry no colour at all: they stay neutral. Returns the gained linear image.
cv::Mat normalise_light(const cv::Mat& bgr8, const cv::Vec3d& gain) {
  constexpr int kClip = 250;  // as in pair_means
  cv::Mat lin = to_linear(bgr8);
  // Only a channel the gain lowers shows its clipping; one it keeps or raises stays clipped anyway.
  bool lower[3] = {gain[0] < 0.98, gain[1] < 0.98, gain[2] < 0.98};
  cv::Mat unclipped8;
  cv::inRange(bgr8, cv::Scalar(0, 0, 0), cv::Scalar(kClip - 1, kClip - 1, kClip - 1), unclipped8);
  if ((lower[0] || lower[1] || lower[2]) &&
      cv::countNonZero(unclipped8) < static_cast<int>(bgr8.total())) {
    cv::Mat ok;
    unclipped8.convertTo(ok, CV_32F, 1.0 / 255);
    std::vector<cv::Mat> ch;
    cv::split(lin, ch);
    // Neighbourhood sums at a quarter of the size: a blown forehead can be a third of the face
    // wide.
    cv::Size small(std::max(1, cvRound(bgr8.cols * 0.25)), std::max(1, cvRound(bgr8.rows * 0.25)));
    double sigma = std::max(3.0, 0.04 * std::max(small.width, small.height));
    std::array<cv::Mat, 3> local;  // sum of each channel over unclipped neighbours
    std::array<float, 3> global;   // ... and over the whole image, where no neighbour is near
    for (int k = 0; k < 3; ++k) {
      global[k] = static_cast<float>(cv::sum(ch[k].mul(ok))[0]);
      cv::Mat s;
      cv::resize(ch[k].mul(ok), s, small, 0, 0, cv::INTER_AREA);
      cv::GaussianBlur(s, s, cv::Size(), sigma);
      cv::resize(s, local[k], bgr8.size(), 0, 0, cv::INTER_LINEAR);
    }
    for (int y = 0; y < bgr8.rows; ++y) {
      const auto* p = bgr8.ptr<cv::Vec3b>(y);
      float* v[3] = {ch[0].ptr<float>(y), ch[1].ptr<float>(y), ch[2].ptr<float>(y)};
      const float* l[3] = {local[0].ptr<float>(y), local[1].ptr<float>(y), local[2].ptr<float>(y)};
      for (int x = 0; x < bgr8.cols; ++x) {
        bool clip[3] = {p[x][0] >= kClip, p[x][1] >= kClip, p[x][2] >= kClip};
        if (!clip[0] && !clip[1] && !clip[2]) continue;
        if (clip[0] && clip[1] && clip[2]) {  // blown: no colour left, so neutral at the top gain
          float w = static_cast<float>(std::max({gain[0], gain[1], gain[2]}));
          for (int k = 0; k < 3; ++k) v[k][x] = w / static_cast<float>(gain[k]);
          continue;
        }
        float ref = 0, lref = 0, gref = 0;
        for (int k = 0; k < 3; ++k)
          if (!clip[k]) ref += v[k][x], lref += l[k][x], gref += global[k];
        bool near = lref > 1e-6f;
        for (int k = 0; k < 3; ++k)
          if (clip[k] && lower[k] && gref > 0)
            v[k][x] = std::max(v[k][x], (near ? l[k][x] / lref : global[k] / gref) * ref);
      }
    }
    cv::merge(ch, lin);
  }
  cv::multiply(lin, cv::Scalar(gain[0], gain[1], gain[2]), lin);
  return lin;
}

Face transformed(const Face& f, const cv::Matx23d& m, cv::Point2d minus) {
  Face t = f;
  for (auto& p : t.landmarks) p = apply(m, p) - minus;
  cv::Point2d a = apply(m, f.box.tl()) - minus, b = apply(m, f.box.br()) - minus;
  t.box =
      cv::Rect2d(std::min(a.x, b.x), std::min(a.y, b.y), std::abs(b.x - a.x), std::abs(b.y - a.y));
  return t;
}

double round_to(double v, double step) {
  return std::round(v / step) * step + 0.0;
}  // no -0

}  // namespace

Anonymize parse_anonymize(const std::string& s) {
  if (s == "none") return Anonymize::kNone;
  if (s == "eyes") return Anonymize::kEyes;
  if (s == "face") return Anonymize::kFace;
  throw UsageError("--anonymize " + s + ": expected eyes, face or none");
}
const char* to_string(Anonymize a) {
  switch (a) {
    case Anonymize::kEyes:
      return "eyes";
    case Anonymize::kFace:
      return "face";
    default:
      return "none";
  }
}
Layout parse_layout(const std::string& s) {
  if (s == "side") return Layout::kSide;
  if (s == "split") return Layout::kSplit;
  if (s == "overlay") return Layout::kOverlay;
  throw UsageError("--layout " + s + ": expected side, split or overlay");
}

cv::Matx23d similarity(double scale, double rotation_deg, cv::Point2d shift) {
  // Counter-clockwise on screen is clockwise in image coordinates (y points down).
  double t = -rotation_deg * kPi / 180.0;
  double a = scale * std::cos(t), b = scale * std::sin(t);
  return {a, -b, shift.x, b, a, shift.y};
}

Alignment describe(const cv::Matx23d& m) {
  cv::Matx23d s = nearest_similarity(m);
  Alignment al;
  al.m = m;
  al.scale = std::hypot(s(0, 0), s(1, 0));
  al.rotation_deg = -std::atan2(s(1, 0), s(0, 0)) * 180.0 / kPi;
  al.shift_px = {m(0, 2), m(1, 2)};
  return al;
}

Verdict judge(const std::optional<Pose>& before, const std::optional<Pose>& after,
              double residual_roll_deg, const LightDifference& light, const CompareOptions& opt) {
  Verdict v;
  auto fmt = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", x);
    return std::string(buf);
  };
  if (before && after) {
    double dyaw = after->yaw - before->yaw, dpitch = after->pitch - before->pitch;
    if (std::abs(dyaw) > opt.max_pose_deg)
      v.reasons.push_back("pose: yaw differs by " + fmt(dyaw) + " deg (limit " +
                          fmt(opt.max_pose_deg) + ")");
    if (std::abs(dpitch) > opt.max_pose_deg)
      v.reasons.push_back("pose: pitch differs by " + fmt(dpitch) + " deg (limit " +
                          fmt(opt.max_pose_deg) + ")");
    if (std::abs(residual_roll_deg) > opt.max_pose_deg)
      v.reasons.push_back("pose: head roll differs by " + fmt(residual_roll_deg) +
                          " deg beyond the camera rotation (limit " + fmt(opt.max_pose_deg) + ")");
  }
  if (std::abs(light.exposure_ev) > opt.max_exposure_ev)
    v.reasons.push_back("exposure: AFTER is " + fmt(light.exposure_ev) + " EV " +
                        (light.exposure_ev > 0 ? "brighter" : "darker") + " (limit " +
                        fmt(opt.max_exposure_ev) + ")");
  if (light.white_balance_de > opt.max_white_balance_de)
    v.reasons.push_back("white balance: ΔE2000 " + fmt(light.white_balance_de) + " on " +
                        light.region + " (limit " + fmt(opt.max_white_balance_de) + ")");
  v.verdict = v.reasons.empty() ? "ok" : "retake";
  return v;
}

Comparison compare_photos(const cv::Mat& before, const cv::Mat& after, const FaceModel& model,
                          const CompareOptions& opt, const std::string& before_name,
                          const std::string& after_name) {
  SMP_CHECK_EQ(before.type(), CV_8UC3);
  SMP_CHECK_EQ(after.type(), CV_8UC3);
  Comparison c;
  Timings& t = c.timings;
  AnalyzeOptions aopt;
  aopt.detect = opt.detect;
  Analysis ab;
  {
    ScopedTiming st(t, "analyze_before");
    ab = analyze(before, model, aopt, before_name);
  }
  std::vector<Face> faces_after;
  {
    ScopedTiming st(t, "faces_after");
    faces_after = model.detect(after, opt.detect);
  }
  const Face* fb = ab.face();
  c.view = to_string(ab.view);
  if (fb && faces_after.empty())
    throw InputError(after_name,
                     "no face found; BEFORE shows a face, so AFTER must too (same view)");
  if (!fb && !faces_after.empty())
    throw InputError(before_name,
                     "no face found while AFTER shows one: the photos are not the same view");

  cv::Mat gb, ga;
  cv::cvtColor(before, gb, cv::COLOR_BGR2GRAY);
  cv::cvtColor(after, ga, cv::COLOR_BGR2GRAY);
  cv::Matx23d m(1, 0, 0, 0, 1, 0);
  std::string method;
  int points = 0;
  double feature_residual = 0;
  cv::Mat stable;  // BEFORE's regions the treatment does not change
  int ia = 0;      // the face in AFTER that is BEFORE's face
  if (fb) {
    ScopedTiming st(t, "align");
    stable = face_and_ears_mask(*fb, before.size());
    // Several faces of about the same size (a group photo, or a turned camera changing which one
    // looks largest): take the one that looks like BEFORE's face once aligned.
    double best = -2;
    double thr = std::max(2.0, 0.05 * fb->interpupillary_px());
    for (int i = 0; i < static_cast<int>(faces_after.size()) && i < 5; ++i) {
      if (faces_after[i].area() < 0.4 * faces_after[0].area()) break;
      std::vector<cv::Point2d> pa, pb;
      for (int k : stable_landmarks()) {
        pa.push_back(faces_after[i].landmarks[k]);
        pb.push_back(fb->landmarks[k]);
      }
      std::vector<uchar> in;
      cv::Mat est = cv::estimateAffinePartial2D(pa, pb, in, cv::RANSAC, thr, 2000, 0.995, 30);
      if (est.empty()) continue;
      double score =
          faces_after.size() == 1 ? 1 : face_similarity(gb, ga, stable, cv::Matx23d(est));
      if (score > best) {
        best = score;
        ia = i;
        m = cv::Matx23d(est);
        points = cv::countNonZero(in);
      }
    }
    if (best < -1) throw InputError(after_name, "the faces in the two photos cannot be matched");
    method = "landmarks";
    if (opt.refine && refine_ecc(gb, ga, stable, m)) {
      method = "landmarks+ecc";
      refine_ecc(gb, ga, stable, m);  // a second pass from the closer start converges tighter
    }
  } else {
    ScopedTiming st(t, "align");
    // Everything but the scalp: background and a band on the head outline.
    cv::Mat scalp_core;
    cv::erode(ab.scalp.bald_mask, scalp_core, cv::Mat(), cv::Point(-1, -1),
              std::max(2, before.cols / 100));
    stable = ~scalp_core;
    if (!align_features(gb, ga, stable, m, points, feature_residual))
      throw InputError(after_name, "cannot match the head outline and background with " +
                                       before_name + " (different view or too little detail)");
    method = "features";
    cv::Mat bg = ab.parts == static_cast<uint8_t>(Part::kBackground);
    if (opt.refine && cv::countNonZero(bg) > 0.05 * bg.total() && refine_ecc(gb, ga, stable, m))
      method = "features+ecc";
  }

  // Residual: stable landmarks of AFTER carried into BEFORE's frame.
  c.alignment = describe(m);
  c.alignment.method = method;
  c.alignment.points = points;
  if (fb) {
    const Face& fa = faces_after[ia];
    double sum = 0;
    auto idx = stable_landmarks();
    for (int i : idx) sum += cv::norm(apply(m, fa.landmarks[i]) - fb->landmarks[i]);
    c.alignment.landmark_fit_px = sum / idx.size();
  } else {
    c.alignment.residual_px = feature_residual;
  }

  cv::Mat aligned, valid;
  {
    ScopedTiming st(t, "warp");
    cv::warpAffine(after, aligned, cv::Mat(m), before.size(), cv::INTER_CUBIC,
                   cv::BORDER_REPLICATE);
    cv::warpAffine(cv::Mat(after.size(), CV_8U, cv::Scalar(255)), valid, cv::Mat(m), before.size(),
                   cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
    cv::erode(valid, valid, cv::Mat(), cv::Point(-1, -1), 2);
  }

  // Light: face skin for front views, background for top views.
  {
    ScopedTiming st(t, "light");
    cv::Mat region;
    if (fb) {
      region = face_skin_mask(*fb, before.size());
      cv::Mat skin = ab.parts == static_cast<uint8_t>(Part::kSkin);
      cv::Mat both = region & skin;
      if (cv::countNonZero(both) > 0.5 * cv::countNonZero(region)) region = both;
      c.light.region = "face_skin";
    } else {
      cv::Mat bg = ab.parts == static_cast<uint8_t>(Part::kBackground);
      cv::erode(bg, region, cv::Mat(), cv::Point(-1, -1), std::max(2, before.cols / 80));
      c.light.region = "background";
      if (cv::countNonZero(region & valid) < 500) {
        region = stable.clone();
        c.light.region = "stable";
      }
    }
    region &= valid;
    PairMeans pm = pair_means(before, aligned, region);
    if (pm.n >= 50) {
      double yb = luminance(pm.before), ya = luminance(pm.after);
      c.light.exposure_ev = std::log2(std::max(1e-6, ya) / std::max(1e-6, yb));
      cv::Vec3d a_matched = pm.after * (yb / std::max(1e-6, ya));
      c.light.white_balance_de =
          delta_e2000(linear_bgr_to_lab(pm.before), linear_bgr_to_lab(a_matched));
      for (int k = 0; k < 3; ++k) c.light.gain[k] = pm.before[k] / std::max(1e-6, pm.after[k]);
    }
    if (opt.normalise_light) {
      aligned = to_srgb8(normalise_light(aligned, c.light.gain));
    }
  }

  // The landmarks located again on the aligned, light-matched AFTER from BEFORE's face box: the
  // same model started from the same box, so what differs is the images, not the detector's
  // start. (AFTER's own landmarks carried over, landmark_fit_px, also carry the detector's jitter.)
  if (fb) {
    ScopedTiming st(t, "residual");
    cv::Mat warped_gray;
    cv::cvtColor(aligned, warped_gray, cv::COLOR_BGR2GRAY);
    Face again = model.landmarks_for(warped_gray, fb->box);
    double sum = 0;
    auto idx = stable_landmarks();
    for (int i : idx) sum += cv::norm(again.landmarks[i] - fb->landmarks[i]);
    c.alignment.residual_px = sum / idx.size();
  }

  // Pose, and how much of the roll difference the alignment did not take out.
  double residual_roll = 0;
  if (fb) {
    c.pose_before = ab.pose;
    c.pose_after = estimate_pose(faces_after[ia], after.size());
    // Pose.roll grows clockwise on screen; rotating AFTER counter-clockwise by rotation_deg
    // takes that much out.
    residual_roll = (c.pose_after->roll - c.pose_before->roll) - c.alignment.rotation_deg;
  }
  Verdict v = judge(c.pose_before, c.pose_after, residual_roll, c.light, opt);
  c.verdict = v.verdict;
  c.reasons = v.reasons;

  // The common area, and the pair in it.
  c.crop = shrink_to_valid(valid);
  c.before = before(c.crop).clone();
  c.after = aligned(c.crop).clone();
  cv::Point2d tl(c.crop.x, c.crop.y);
  if (fb) {
    c.face_before = transformed(*fb, cv::Matx23d(1, 0, 0, 0, 1, 0), tl);
    c.face_after = transformed(faces_after[ia], m, tl);
    for (int i = 0; i < static_cast<int>(ab.faces.size()); ++i)
      if (&ab.faces[i] != fb)
        c.other_faces.push_back(transformed(ab.faces[i], cv::Matx23d(1, 0, 0, 0, 1, 0), tl));
    for (int i = 0; i < static_cast<int>(faces_after.size()); ++i)
      if (i != ia) c.other_faces.push_back(transformed(faces_after[i], m, tl));
    c.split_x = std::clamp(fb->landmarks[27].x - tl.x, 0.0, c.crop.width - 1.0);
  } else {
    c.split_x = c.crop.width / 2.0;
  }

  // Scalp: what changed, after light matching.
  {
    ScopedTiming st(t, "scalp_difference");
    if (!ab.scalp.bald_mask.empty() && cv::countNonZero(ab.scalp.bald_mask(c.crop)) > 100) {
      c.scalp_mask = ab.scalp.bald_mask(c.crop).clone();
      double sigma = std::max(1.0, c.crop.width / 600.0);  // tolerate sub-pixel misalignment
      // Only the scalp's box is read: L* and its blur there, with a margin of the blur's reach
      // (OpenCV's float kernel: 4 sigma), so every pixel of the box is what a blur of the whole
      // crop gives.
      const cv::Rect all(0, 0, c.crop.width, c.crop.height);
      const cv::Rect sb = cv::boundingRect(c.scalp_mask);
      const int reach = cvCeil(4 * sigma) + 1;
      const cv::Rect roi = padded(sb, reach, all);
      cv::Mat Lb = lightness(c.before(roi)), La = lightness(c.after(roi));
      cv::GaussianBlur(Lb, Lb, cv::Size(), sigma);
      cv::GaussianBlur(La, La, cv::Size(), sigma);
      const cv::Rect in_roi = sb - roi.tl();
      const cv::Mat d = La(in_roi) - Lb(in_roi);
      const cv::Mat mask = c.scalp_mask(sb);
      c.scalp.measured = true;
      c.scalp.scalp_area_px = cv::countNonZero(c.scalp_mask);
      c.scalp.mean_delta_L = cv::mean(d, mask)[0];
      c.changed_mask = cv::Mat::zeros(c.scalp_mask.size(), CV_8U);
      const cv::Mat changed = (cv::abs(d) > c.scalp.changed_threshold_L) & mask;
      changed.copyTo(c.changed_mask(sb));
      c.scalp.changed_share = cv::countNonZero(c.changed_mask) / c.scalp.scalp_area_px;
    }
  }
  return c;
}

nlohmann::json to_json(const Comparison& c, const CompareOptions& opt) {
  using nlohmann::json;
  json j;
  j["verdict"] = c.verdict;
  j["reasons"] = c.reasons;
  j["view"] = c.view;
  const Alignment& a = c.alignment;
  j["alignment"] = {
      {"scale", round_to(a.scale, 1e-5)},
      {"rotation_deg", round_to(a.rotation_deg, 1e-4)},
      {"shift_px", {round_to(a.shift_px.x, 0.01), round_to(a.shift_px.y, 0.01)}},
      {"residual_px", round_to(a.residual_px, 0.001)},
      {"landmark_fit_px", round_to(a.landmark_fit_px, 0.001)},
      {"method", a.method},
      {"points", a.points},
      {"matrix", {{a.m(0, 0), a.m(0, 1), a.m(0, 2)}, {a.m(1, 0), a.m(1, 1), a.m(1, 2)}}}};
  j["crop"] = {
      {"x", c.crop.x}, {"y", c.crop.y}, {"width", c.crop.width}, {"height", c.crop.height}};
  json pose = nullptr;
  if (c.pose_before && c.pose_after) {
    auto p = [](const Pose& q) {
      return json{{"yaw", round_to(q.yaw, 0.01)},
                  {"pitch", round_to(q.pitch, 0.01)},
                  {"roll", round_to(q.roll, 0.01)}};
    };
    pose = {{"before", p(*c.pose_before)},
            {"after", p(*c.pose_after)},
            {"difference",
             {{"yaw", round_to(c.pose_after->yaw - c.pose_before->yaw, 0.01)},
              {"pitch", round_to(c.pose_after->pitch - c.pose_before->pitch, 0.01)},
              {"roll", round_to(c.pose_after->roll - c.pose_before->roll, 0.01)},
              {"roll_after_alignment",
               round_to(c.pose_after->roll - c.pose_before->roll - a.rotation_deg, 0.01)}}}};
  }
  j["pose"] = pose;
  j["lighting"] = {{"exposure_ev", round_to(c.light.exposure_ev, 0.001)},
                   {"white_balance_delta_e2000", round_to(c.light.white_balance_de, 0.01)},
                   {"region", c.light.region},
                   {"normalised", opt.normalise_light},
                   {"gain_rgb",
                    {round_to(c.light.gain[2], 1e-4), round_to(c.light.gain[1], 1e-4),
                     round_to(c.light.gain[0], 1e-4)}}};
  j["thresholds"] = {{"pose_deg", opt.max_pose_deg},
                     {"exposure_ev", opt.max_exposure_ev},
                     {"white_balance_delta_e2000", opt.max_white_balance_de}};
  json scalp = nullptr;
  if (c.scalp.measured)
    scalp = {{"mean_delta_L", round_to(c.scalp.mean_delta_L, 0.01)},
             {"changed_share", round_to(c.scalp.changed_share, 1e-4)},
             {"changed_threshold_L", c.scalp.changed_threshold_L},
             {"scalp_area_px", c.scalp.scalp_area_px}};
  j["scalp_difference"] = scalp;
  j["timings_ms"] = c.timings;
  return j;
}

}  // namespace smp
