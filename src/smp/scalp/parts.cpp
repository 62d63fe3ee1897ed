#include "smp/scalp/parts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <opencv2/ml.hpp>
#include <sstream>
#include <string>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/image/colour.h"
#include "smp/image/shrink.h"
#include "smp/scalp/grab_cut.h"

namespace smp {

namespace {
constexpr uint8_t kBg = static_cast<uint8_t>(Part::kBackground);
constexpr uint8_t kSkin = static_cast<uint8_t>(Part::kSkin);
constexpr uint8_t kHair = static_cast<uint8_t>(Part::kHair);

// The canonical frame is the LFW frame (250 px, the development photos' own alignment) with a
// margin, so the top of a tall bald head tilted forward still fits.
constexpr int kFrame = 250;
constexpr int kMargin = 45;
constexpr int kCanon = kFrame + 2 * kMargin;
// Mean eye centres and mouth centre of the development photos in the LFW frame.
const cv::Point2d kEyeL(105.9, 117.1), kEyeR(149.0, 116.3), kMouth(128.5, 166.4);
constexpr int kFeatures = 22;
// CIELAB L* at or below which a pixel is pure black (sRGB ~10 of 255).
constexpr float kPaddingL = 4.f;

cv::Point2d mean_pt(const Face& f, int a, int b) {
  cv::Point2d s(0, 0);
  for (int i = a; i <= b; ++i) s += f.landmarks[i];
  return s / double(b - a + 1);
}

// Least-squares similarity photo -> canonical buffer from the eyes and the mouth.
cv::Matx23d canonical_transform(const Face& f) {
  cv::Point2d src[3] = {mean_pt(f, 36, 41), mean_pt(f, 42, 47), mean_pt(f, 48, 67)};
  cv::Point2d m(kMargin, kMargin);
  cv::Point2d dst[3] = {kEyeL + m, kEyeR + m, kMouth + m};
  cv::Mat A(6, 4, CV_64F, cv::Scalar(0)), b(6, 1, CV_64F);
  for (int i = 0; i < 3; ++i) {
    // x' = a x - c y + tx ; y' = c x + a y + ty
    A.at<double>(2 * i, 0) = src[i].x;
    A.at<double>(2 * i, 1) = -src[i].y;
    A.at<double>(2 * i, 2) = 1;
    A.at<double>(2 * i + 1, 0) = src[i].y;
    A.at<double>(2 * i + 1, 1) = src[i].x;
    A.at<double>(2 * i + 1, 3) = 1;
    b.at<double>(2 * i) = dst[i].x;
    b.at<double>(2 * i + 1) = dst[i].y;
  }
  cv::Mat x;
  cv::solve(A, b, x, cv::DECOMP_SVD);
  double a = x.at<double>(0), c = x.at<double>(1);
  return cv::Matx23d(a, -c, x.at<double>(2), c, a, x.at<double>(3));
}

// He et al.'s guided filter with a one-channel guide, from box filters (no ximgproc here).
cv::Mat guided_filter(const cv::Mat& guide, const cv::Mat& p, int r, double eps) {
  cv::Size k(2 * r + 1, 2 * r + 1);
  cv::Mat mI, mp, mIp, mII;
  cv::boxFilter(guide, mI, CV_32F, k);
  cv::boxFilter(p, mp, CV_32F, k);
  cv::boxFilter(guide.mul(p), mIp, CV_32F, k);
  cv::boxFilter(guide.mul(guide), mII, CV_32F, k);
  cv::Mat cov = mIp - mI.mul(mp), var = mII - mI.mul(mI);
  cv::Mat a = cov / (var + eps);
  cv::Mat b = mp - a.mul(mI);
  cv::boxFilter(a, a, CV_32F, k);
  cv::boxFilter(b, b, CV_32F, k);
  return a.mul(guide) + b;
}

cv::Mat local_std(const cv::Mat& x, int k) {
  cv::Mat m, m2;
  cv::boxFilter(x, m, CV_32F, cv::Size(k, k));
  cv::boxFilter(x.mul(x), m2, CV_32F, cv::Size(k, k));
  cv::Mat v = cv::max(m2 - m.mul(m), 0.0);
  cv::sqrt(v, v);
  return v;
}

// The middle value of `v` (reordered in place; `v` not empty).
float median_of(std::vector<float>& v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

cv::Vec3f median_lab(const cv::Mat& lab, const cv::Mat& mask) {
  std::vector<float> c[3];
  for (int y = 0; y < lab.rows; ++y) {
    const cv::Vec3f* p = lab.ptr<cv::Vec3f>(y);
    const uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < lab.cols; ++x)
      if (m[x])
        for (int k = 0; k < 3; ++k) c[k].push_back(p[x][k]);
  }
  cv::Vec3f out(60, 12, 15);  // a typical light skin when the mask is empty
  if (c[0].empty()) return out;
  for (int k = 0; k < 3; ++k) out[k] = median_of(c[k]);
  return out;
}

// The `k` main colours of `px` (CIELAB), one per row of the result (CV_32F).
cv::Mat colour_clusters(const std::vector<cv::Vec3f>& px, int k) {
  cv::Mat labels, centres;
  // k-means++ seeds from cv::theRNG(): fix it so a photo always gives the same map.
  cv::theRNG().state = 0x5eed;
  cv::kmeans(cv::Mat(px).reshape(1), k, labels,
             cv::TermCriteria(cv::TermCriteria::MAX_ITER + cv::TermCriteria::EPS, 10, 0.5), 1,
             cv::KMEANS_PP_CENTERS, centres);
  return centres;
}

// Squared CIELAB distance from `p` to the nearest row of `centres`.
float nearest_cluster_sq(const cv::Mat& centres, const cv::Vec3f& p) {
  float best = 1e9f;
  for (int j = 0; j < centres.rows; ++j) {
    const float* cc = centres.ptr<float>(j);
    float d0 = p[0] - cc[0], d1 = p[1] - cc[1], d2 = p[2] - cc[2];
    best = std::min(best, d0 * d0 + d1 * d1 + d2 * d2);
  }
  return best;
}

// Per pixel, the CIELAB distance to the nearest of a few colours of the backdrop (k-means of the
// pixels under `sample`); a large constant when there is too little backdrop to learn from.
cv::Mat backdrop_distance(const cv::Mat& lab, const cv::Mat& sample) {
  std::vector<cv::Vec3f> px;
  for (int y = 0; y < lab.rows; y += 2)
    for (int x = 0; x < lab.cols; x += 2)
      if (sample.at<uint8_t>(y, x)) px.push_back(lab.at<cv::Vec3f>(y, x));
  cv::Mat out(lab.size(), CV_32F, cv::Scalar(60.f));
  if (px.size() < 40) return out;
  const cv::Mat centres = colour_clusters(px, 5);
  parallel_for(lab.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const cv::Vec3f* p = lab.ptr<cv::Vec3f>(y);
      float* o = out.ptr<float>(y);
      for (int x = 0; x < lab.cols; ++x) o[x] = std::sqrt(nearest_cluster_sq(centres, p[x]));
    }
  });
  return out;
}

// The head warped into the canonical frame, with where the photo actually is.
struct Canonical {
  cv::Matx23d T;      // photo -> canonical
  cv::Mat bgr;        // kCanon x kCanon, CV_8UC3
  cv::Mat valid;      // CV_8U 255 where the photo covers the frame
  cv::Rect roi;       // photo region that maps into the frame
  double roi_scale;   // roi_small = roi resized by this (<= 1)
  cv::Mat roi_small;  // the photo's ROI, downscaled near the canonical resolution
  cv::Matx23d Ts;     // roi_small -> canonical
};

Canonical to_canonical(const cv::Mat& bgr8, const Face& face) {
  Canonical c;
  c.T = canonical_transform(face);
  cv::Matx23d Ti;
  cv::invertAffineTransform(c.T, Ti);
  std::vector<cv::Point2f> corners;
  for (cv::Point2d q : {cv::Point2d(0, 0), cv::Point2d(kCanon, 0), cv::Point2d(0, kCanon),
                        cv::Point2d(kCanon, kCanon)})
    corners.emplace_back(Ti * cv::Vec3d(q.x, q.y, 1));
  c.roi = cv::boundingRect(corners) & cv::Rect(0, 0, bgr8.cols, bgr8.rows);
  double s = std::sqrt(std::abs(c.T(0, 0) * c.T(1, 1) - c.T(0, 1) * c.T(1, 0)));
  // Downscale with area averaging first (warpAffine alone would alias a 12 MP photo).
  c.roi_scale = std::min(1.0, s * 1.25);
  if (c.roi.width < 2 || c.roi.height < 2) c.roi = cv::Rect(0, 0, bgr8.cols, bgr8.rows);
  // A large photo first by the whole factor within (shrink_whole: the fast path), then the rest.
  const int n = static_cast<int>(1.0 / c.roi_scale);
  cv::Mat pre = bgr8(c.roi);
  if (n >= 2 && c.roi.width >= 2 * n && c.roi.height >= 2 * n) {
    c.roi.width -= c.roi.width % n;
    c.roi.height -= c.roi.height % n;
    pre = shrink_whole(bgr8(c.roi), n);
  }
  const double rest = c.roi_scale * (static_cast<double>(c.roi.width) / pre.cols);
  cv::resize(pre, c.roi_small, cv::Size(), rest, rest, cv::INTER_AREA);
  // canonical = T * (roi.tl + small / roi_scale)
  double k = 1.0 / c.roi_scale;
  c.Ts = cv::Matx23d(c.T(0, 0) * k, c.T(0, 1) * k,
                     c.T(0, 0) * c.roi.x + c.T(0, 1) * c.roi.y + c.T(0, 2), c.T(1, 0) * k,
                     c.T(1, 1) * k, c.T(1, 0) * c.roi.x + c.T(1, 1) * c.roi.y + c.T(1, 2));
  cv::warpAffine(c.roi_small, c.bgr, c.Ts, cv::Size(kCanon, kCanon), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  cv::Mat ones(c.roi_small.size(), CV_8U, cv::Scalar(255));
  cv::warpAffine(ones, c.valid, c.Ts, cv::Size(kCanon, kCanon), cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, 0);
  return c;
}

// A landmark in the canonical frame, at 1/`s` of its resolution.
cv::Point canonical_point(const Canonical& c, const Face& face, int i, int s = 1) {
  cv::Vec2d q = c.T * cv::Vec3d(face.landmarks[i].x, face.landmarks[i].y, 1);
  return cv::Point(cvRound(q[0] / s), cvRound(q[1] / s));
}

// The face (jaw line and brows, landmarks 0-26) filled into `mask` with `value`.
void fill_face(cv::Mat& mask, const Canonical& c, const Face& face, int value, int s = 1) {
  std::vector<cv::Point> pts, hull;
  for (int i = 0; i <= 26; ++i) pts.push_back(canonical_point(c, face, i, s));
  cv::convexHull(pts, hull);
  cv::fillConvexPoly(mask, hull, value);
}

// The client's own skin: the cheeks beside the nose, from the landmarks, where the photo is.
cv::Mat cheek_mask(const Canonical& c, const Face& face) {
  cv::Mat cheek(c.bgr.size(), CV_8U, cv::Scalar(0));
  auto P = [&](int i) { return canonical_point(c, face, i); };
  cv::fillConvexPoly(cheek, std::vector<cv::Point>{P(1), P(2), P(3), P(48), P(31), P(39)}, 255);
  cv::fillConvexPoly(cheek, std::vector<cv::Point>{P(15), P(14), P(13), P(54), P(35), P(42)}, 255);
  return cheek & c.valid;
}

cv::Mat canonical_lab(const Canonical& c) {
  cv::Mat f32;
  c.bgr.convertTo(f32, CV_32F, 1.0 / 255);
  return bgr_to_lab(f32);
}

// The frame's top band and upper sides, where the photo is: backdrop in nearly every photo
// (hair rarely reaches there).
cv::Mat backdrop_band(const Canonical& c) {
  cv::Mat band(c.bgr.size(), CV_8U, cv::Scalar(0));
  band(cv::Rect(0, 0, kCanon, kMargin + 12)).setTo(255);
  band(cv::Rect(0, 0, kMargin + 12, kMargin + 117)).setTo(255);
  band(cv::Rect(kCanon - kMargin - 12, 0, kMargin + 12, kMargin + 117)).setTo(255);
  return band & c.valid;
}

// Per-pixel features of the canonical frame (kFeatures planes, CV_32F).
std::vector<cv::Mat> canonical_features(const Canonical& c, const Face& face) {
  cv::Mat lab = canonical_lab(c);
  std::vector<cv::Mat> ch;
  cv::split(lab, ch);
  const cv::Mat& L = ch[0];
  std::vector<cv::Mat> f(kFeatures);
  f[0] = ch[0];
  f[1] = ch[1];
  f[2] = ch[2];
  // Two halves that read only the frame's CIELAB, side by side (each is dozens of small
  // OpenCV calls, too small to split inside): colour against the skin and the backdrop, and
  // texture and place.
  parallel_for(
      2,
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          if (i == 0) {
            const cv::Vec3f skin = median_lab(lab, cheek_mask(c, face));
            // The background: the frame's border ring.
            cv::Mat ring(c.bgr.size(), CV_8U, cv::Scalar(255));
            ring(cv::Rect(kMargin + 10, kMargin + 10, kFrame - 20, kFrame - 20)).setTo(0);
            ring &= c.valid;
            cv::Vec3f bg = median_lab(lab, ring);
            f[3] = ch[0] - skin[0];
            f[4] = ch[1] - skin[1];
            f[5] = ch[2] - skin[2];
            cv::magnitude(f[4], f[5], f[6]);
            cv::Mat Lb;
            cv::blur(L, Lb, cv::Size(21, 21));
            f[10] = L - Lb;
            for (int k = 0; k < 3; ++k) cv::blur(ch[k], f[11 + k], cv::Size(11, 11));
            cv::Mat d0 = ch[0] - bg[0], d1 = ch[1] - bg[1], d2 = ch[2] - bg[2];
            cv::sqrt(d0.mul(d0) + d1.mul(d1) + d2.mul(d2), f[17]);
            f[19] = f[11] - skin[0];
          } else {
            f[7] = local_std(L, 5);
            f[8] = local_std(L, 13);
            cv::Mat gx, gy;
            cv::Sobel(L, gx, CV_32F, 1, 0, 3);
            cv::Sobel(L, gy, CV_32F, 0, 1, 3);
            cv::Mat gm;
            cv::magnitude(gx, gy, gm);
            cv::boxFilter(gm, f[9], CV_32F, cv::Size(5, 5));
            f[14].create(L.size(), CV_32F);
            f[15].create(L.size(), CV_32F);
            f[16].create(L.size(), CV_32F);
            for (int y = 0; y < L.rows; ++y)
              for (int x = 0; x < L.cols; ++x) {
                f[14].at<float>(y, x) = float(x - kMargin);
                f[15].at<float>(y, x) = float(y - kMargin);
                f[16].at<float>(y, x) = std::abs(float(x - kMargin) - kFrame / 2.0f);
              }
            // Hair is oriented texture: structure-tensor coherence.
            cv::Mat jxx, jyy, jxy;
            cv::boxFilter(gx.mul(gx), jxx, CV_32F, cv::Size(7, 7));
            cv::boxFilter(gy.mul(gy), jyy, CV_32F, cv::Size(7, 7));
            cv::boxFilter(gx.mul(gy), jxy, CV_32F, cv::Size(7, 7));
            cv::Mat diff = jxx - jyy, root;
            cv::sqrt(diff.mul(diff) + 4 * jxy.mul(jxy), root);
            f[18] = root / (jxx + jyy + 1.0f);
            // A busy backdrop has several colours: the distance to the nearest of them (k-means
            // of the frame's top band and upper sides, where hair rarely reaches) tells head
            // from backdrop far better than the distance to one median colour.
            f[20] = backdrop_distance(lab, backdrop_band(c));
            cv::blur(f[20], f[21], cv::Size(9, 9));
          }
        }
      },
      0, 1);
  return f;
}

// Forest probabilities on the canonical frame (every `step`-th pixel, then bilinear).
cv::Mat classify(const std::vector<cv::Mat>& f, const PartsForest& forest, int step) {
  int w = (kCanon + step - 1) / step, h = w;
  cv::Mat probs(h, w, CV_32FC3);
  // Tree by tree over a block of pixels, not pixel by pixel through all trees: one tree's nodes
  // stay in cache for the whole block (the votes, and so the probabilities, are the same as
  // PartsForest::predict's).
  constexpr int kBlockRows = 8;
  parallel_for((h + kBlockRows - 1) / kBlockRows,
               [&](int b0, int b1) {
                 std::vector<float> feats(static_cast<size_t>(kBlockRows) * w * kFeatures);
                 std::vector<int> votes(static_cast<size_t>(kBlockRows) * w * 3);
                 for (int b = b0; b < b1; ++b) {
                   const int y0 = b * kBlockRows, y1 = std::min(h, y0 + kBlockRows);
                   const int n = (y1 - y0) * w;
                   for (int y = y0; y < y1; ++y)
                     for (int x = 0; x < w; ++x) {
                       int cx = std::min(kCanon - 1, x * step), cy = std::min(kCanon - 1, y * step);
                       float* row = &feats[static_cast<size_t>((y - y0) * w + x) * kFeatures];
                       for (int k = 0; k < kFeatures; ++k) row[k] = f[k].at<float>(cy, cx);
                     }
                   std::fill(votes.begin(), votes.begin() + 3 * n, 0);
                   const PartsForest::Node* nodes = forest.nodes.data();
                   for (int32_t r : forest.roots)
                     for (int i = 0; i < n; ++i) {
                       const float* row = &feats[static_cast<size_t>(i) * kFeatures];
                       int32_t j = r;
                       while (nodes[j].var >= 0)
                         j = row[nodes[j].var] <= nodes[j].thr ? nodes[j].left : nodes[j].right;
                       votes[3 * i + std::clamp(nodes[j].left, 0, 2)]++;
                     }
                   const float trees = std::max<size_t>(1, forest.roots.size());
                   for (int y = y0; y < y1; ++y)
                     for (int x = 0; x < w; ++x) {
                       const int* v = &votes[3 * ((y - y0) * w + x)];
                       probs.at<cv::Vec3f>(y, x) =
                           cv::Vec3f(v[0] / trees, v[1] / trees, v[2] / trees);
                     }
                 }
               },
               0, 1);
  if (step > 1) {
    cv::Mat up;
    // Sample centres sit on multiples of `step`: scale about the origin.
    cv::Matx23d S(step, 0, 0, 0, step, 0);
    cv::warpAffine(probs, up, S, cv::Size(kCanon, kCanon), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    probs = up;
  }
  return probs;
}

cv::Mat gray_guide(const cv::Mat& bgr8) {
  cv::Mat g;
  cv::cvtColor(bgr8, g, cv::COLOR_BGR2GRAY);
  g.convertTo(g, CV_32F, 1.0 / 255);
  return g;
}

// The guide's box statistics of smooth_probs: the same for every channel, and computable before
// the probabilities are.
struct GuideStats {
  cv::Mat mI, var;
};

GuideStats guide_stats(const cv::Mat& guide, int r) {
  cv::Size k(2 * r + 1, 2 * r + 1);
  GuideStats g;
  cv::Mat mII;
  cv::boxFilter(guide, g.mI, CV_32F, k);
  cv::boxFilter(guide.mul(guide), mII, CV_32F, k);
  g.var = mII - g.mI.mul(g.mI);
  return g;
}

cv::Mat smooth_probs(const cv::Mat& probs, const cv::Mat& guide, int r, double eps,
                     const GuideStats& gs) {
  std::vector<cv::Mat> p;
  cv::split(probs, p);
  // One thread per channel (the same arithmetic as guided_filter, so the same figures).
  cv::Size k(2 * r + 1, 2 * r + 1);
  const cv::Mat &mI = gs.mI, &var = gs.var;
  // The per-pixel steps in one pass each, not one whole-image temporary per operation: the
  // same float operations in the same order (as cv::add, multiply, divide do them), so the same
  // figures, with a fraction of the memory traffic.
  const float epsf = static_cast<float>(eps);  // cv::add converts a scalar to the image's depth
  parallel_for(
      static_cast<int>(p.size()),
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          cv::Mat mp, mIp, gp(guide.size(), CV_32F), a(guide.size(), CV_32F),
              bb(guide.size(), CV_32F);
          for (int y = 0; y < guide.rows; ++y) {
            const float* g = guide.ptr<float>(y);
            const float* q = p[i].ptr<float>(y);
            float* o = gp.ptr<float>(y);
            for (int x = 0; x < guide.cols; ++x) o[x] = g[x] * q[x];
          }
          cv::boxFilter(p[i], mp, CV_32F, k);
          cv::boxFilter(gp, mIp, CV_32F, k);
          for (int y = 0; y < guide.rows; ++y) {
            const float* m_p = mp.ptr<float>(y);
            const float* m_ip = mIp.ptr<float>(y);
            const float* m_i = mI.ptr<float>(y);
            const float* v = var.ptr<float>(y);
            float* ao = a.ptr<float>(y);
            float* bo = bb.ptr<float>(y);
            for (int x = 0; x < guide.cols; ++x) {
              const float prod = m_i[x] * m_p[x];
              const float cov = m_ip[x] - prod;
              const float den = v[x] + epsf;
              const float av = cov / den;
              const float am = av * m_i[x];
              ao[x] = av;
              bo[x] = m_p[x] - am;
            }
          }
          cv::boxFilter(a, a, CV_32F, k);
          cv::boxFilter(bb, bb, CV_32F, k);
          for (int y = 0; y < guide.rows; ++y) {
            const float* g = guide.ptr<float>(y);
            const float* av = a.ptr<float>(y);
            float* bo = bb.ptr<float>(y);
            for (int x = 0; x < guide.cols; ++x) {
              const float ag = av[x] * g[x];
              bo[x] = ag + bo[x];
            }
          }
          p[i] = bb;
        }
      },
      static_cast<int>(p.size()), 1);
  cv::Mat out;
  cv::merge(p, out);
  return out;
}

cv::Mat smooth_probs(const cv::Mat& probs, const cv::Mat& guide, int r, double eps) {
  return smooth_probs(probs, guide, r, eps, guide_stats(guide, r));
}

void argmax_into(const cv::Mat& probs, cv::Mat& labels) {
  parallel_for(probs.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
      uint8_t* o = labels.ptr<uint8_t>(y);
      for (int x = 0; x < probs.cols; ++x) {
        const cv::Vec3f& v = p[x];
        o[x] = v[2] > v[1] && v[2] > v[0] ? kHair : v[1] >= v[0] ? kSkin : kBg;
      }
    }
  });
}

// cv::resize(probs, labels.size(), INTER_LINEAR) then argmax_into, in one parallel pass that
// never stores the full-size float probabilities (75 MB for a 12 MP head). The sample positions,
// edge handling and float arithmetic are cv::resize's own, so the labels are the same.
void upsample_argmax_into(const cv::Mat& probs, cv::Mat& labels) {
  const int sw = probs.cols, sh = probs.rows, dw = labels.cols, dh = labels.rows;
  const double scale_x = 1.0 / (static_cast<double>(dw) / sw);
  const double scale_y = 1.0 / (static_cast<double>(dh) / sh);
  std::vector<int> xofs(dw);
  std::vector<float> alpha(2 * dw);
  for (int dx = 0; dx < dw; ++dx) {
    float fx = static_cast<float>((dx + 0.5) * scale_x - 0.5);
    int sx = cvFloor(fx);
    fx -= sx;
    if (sx < 0) fx = 0, sx = 0;
    if (sx >= sw - 1) fx = 0, sx = sw - 1;
    xofs[dx] = sx;
    alpha[2 * dx] = 1.f - fx;
    alpha[2 * dx + 1] = fx;
  }
  // One source row resized across: S[sx] * a0 + S[sx + 1] * a1 (only S[sx] at the right edge).
  auto across = [&](int sy, std::vector<cv::Vec3f>& out) {
    const cv::Vec3f* S = probs.ptr<cv::Vec3f>(sy);
    for (int dx = 0; dx < dw; ++dx) {
      int sx = xofs[dx];
      float a0 = alpha[2 * dx], a1 = alpha[2 * dx + 1];
      if (sx + 1 < sw)
        for (int c = 0; c < 3; ++c) out[dx][c] = S[sx][c] * a0 + S[sx + 1][c] * a1;
      else
        for (int c = 0; c < 3; ++c) out[dx][c] = S[sx][c] * a0;
    }
  };
  parallel_for(dh, [&](int y0, int y1) {
    std::vector<cv::Vec3f> r0(dw), r1(dw);
    int have0 = -1, have1 = -1;
    for (int dy = y0; dy < y1; ++dy) {
      float fy = static_cast<float>((dy + 0.5) * scale_y - 0.5);
      int sy = cvFloor(fy);
      fy -= sy;
      // Rows are clamped but, unlike columns, keep their weights.
      int s0 = std::clamp(sy, 0, sh - 1), s1 = std::clamp(sy + 1, 0, sh - 1);
      if (s0 != have0) {
        if (s0 == have1) {
          std::swap(r0, r1);
          std::swap(have0, have1);
        } else {
          across(s0, r0);
          have0 = s0;
        }
      }
      if (s1 != have1) {
        if (s1 == have0) {
          r1 = r0;
        } else {
          across(s1, r1);
        }
        have1 = s1;
      }
      const float b0 = 1.f - fy, b1 = fy;
      uint8_t* o = labels.ptr<uint8_t>(dy);
      for (int dx = 0; dx < dw; ++dx) {
        cv::Vec3f v;
        for (int c = 0; c < 3; ++c) v[c] = r0[dx][c] * b0 + r1[dx][c] * b1;
        o[dx] = v[2] > v[1] && v[2] > v[0] ? kHair : v[1] >= v[0] ? kSkin : kBg;
      }
    }
  });
}

// Fill holes of the head and keep the component(s) touching the face; small islands go.
// A flood fill from the seed is the seed's 8-connected component: it visits the head only,
// where labelling every component of a 12 MP ROI cost a pass more and a 4-byte label image.
void clean_labels(cv::Mat& labels, cv::Point seed) {
  if (!seed.inside(cv::Rect(0, 0, labels.cols, labels.rows)) || labels.at<uint8_t>(seed) == kBg)
    return;
  cv::Mat head = labels != kBg;
  cv::floodFill(head, seed, cv::Scalar(128), nullptr, cv::Scalar(), cv::Scalar(), 8);
  labels.setTo(kBg, head == 255);  // head, but not the seed's component
}

// The skin just above the brows, where no hair grows on any client: the reference a bald dome
// is lit and coloured like.
struct ForeheadColour {
  float L = 0, C = 0;
  bool found = false;
};

// `ipd`: the interpupillary distance in the canonical frame.
ForeheadColour forehead_colour(const std::vector<cv::Mat>& f, const Canonical& c, const Face& face,
                               double ipd) {
  // A band from 0.15 to 0.45 interpupillary distances above the brows (landmarks 17-26).
  const cv::Point2d e = cv::Point2d(canonical_point(c, face, 45) - canonical_point(c, face, 36));
  cv::Point2d up(e.y, -e.x);
  up /= std::max(1e-6, cv::norm(up));
  std::vector<cv::Point> band;
  for (int i = 17; i <= 26; ++i)
    band.push_back(cv::Point(cv::Point2d(canonical_point(c, face, i)) + up * (0.15 * ipd)));
  for (int i = 26; i >= 17; --i)
    band.push_back(cv::Point(cv::Point2d(canonical_point(c, face, i)) + up * (0.45 * ipd)));
  cv::Mat m(c.bgr.size(), CV_8U, cv::Scalar(0));
  cv::fillPoly(m, std::vector<std::vector<cv::Point>>{band}, 255);
  m &= c.valid;
  std::vector<float> L, C;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      if (m.at<uint8_t>(y, x)) {
        L.push_back(f[0].at<float>(y, x));
        C.push_back(std::hypot(f[1].at<float>(y, x), f[2].at<float>(y, x)));
      }
  ForeheadColour out;
  if (L.size() < 20) return out;
  out.L = median_of(L);
  out.C = median_of(C);
  out.found = out.C > 4;  // a forehead with no colour (a black-and-white photo) tells nothing
  return out;
}

// Grey or white hair is pale like a highlight on a bald dome, but a highlight is brighter than
// the forehead and keeps the skin's hue, while grey hair (mixed with the skin under it: 11-px
// means) has lost most of the skin's chroma at the forehead's lightness or below. Chroma per
// lightness, against the forehead's, is kept by shading (a dark dome's shadow side). Highlights
// and the seam with a grey backdrop are small or thin; grey hair covers a broad area: only
// broad regions count. Returns a CV_8U mask of the canonical frame (255: grey hair).
cv::Mat grey_hair(const std::vector<cv::Mat>& f, const cv::Mat& probs, const cv::Mat& inner,
                  const ForeheadColour& fh, double ipd, int eye_y) {
  cv::Mat m(probs.size(), CV_8U, cv::Scalar(0));
  if (!fh.found) return m;
  const float q_ref = fh.C / std::max(1.f, fh.L);
  // Candidates: chroma per lightness (11-px means) below this share of the forehead's, at most
  // this much brighter than the forehead.
  constexpr float kQ = 0.7f, kDL = 5.f;
  // A region as a whole (medians of its own pixels): its chroma per lightness below half the
  // forehead's, no brighter than the forehead, not of a backdrop's colour (ΔE*ab to the nearest
  // backdrop colour; a grey building GrabCut joined to the head), and above the eyes (a
  // microphone or a collar is not hair). On LFW (leave-one-out) this leaves every bald dome
  // alone: a shaded or shaved dome's regions reach 0.52-0.57 (0.65 took Chiklis' and Diesel's
  // domes for hair and cost 0.011 of bald-scalp recall).
  constexpr float kRegionQ = 0.5f, kRegionDL = 3.f, kRegionBackdrop = 12.f;
  // Or: a broad region (twice the smallest) at least as light as the forehead with under 0.6 of
  // its chroma per lightness: shading darkens and a highlight is compact, so this is thin white
  // hair over the skin (Biden's top: 0.53, 2 L* above the forehead; the shaved domes of LFW and
  // the dlib examples are darker than their foreheads, Chiklis' 0.57 by 2.5 L*).
  constexpr float kWhiteQ = 0.6f;
  // Grown from there, pixel by pixel, where the colour is still well below the skin's (the
  // means blur the region's edges with the skin and backdrop around it).
  constexpr float kGrowQ = 0.85f, kGrowDL = 8.f;
  cv::Mat grow(probs.size(), CV_8U, cv::Scalar(0));
  for (int y = 0; y < m.rows; ++y) {
    const cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* in = inner.ptr<uint8_t>(y);
    const float* L = f[0].ptr<float>(y);
    const float* a = f[1].ptr<float>(y);
    const float* b = f[2].ptr<float>(y);
    const float* Lb = f[11].ptr<float>(y);
    const float* ab = f[12].ptr<float>(y);
    const float* bb = f[13].ptr<float>(y);
    uint8_t* o = m.ptr<uint8_t>(y);
    uint8_t* g = grow.ptr<uint8_t>(y);
    for (int x = 0; x < m.cols; ++x) {
      if (in[x] || p[x][0] >= p[x][1] + p[x][2]) continue;
      const float q = std::hypot(ab[x], bb[x]) / std::max(1.f, Lb[x]) / q_ref;
      o[x] = q < kQ && Lb[x] < fh.L + kDL ? 255 : 0;
      const float qp = std::hypot(a[x], b[x]) / std::max(1.f, L[x]) / q_ref;
      g[x] = qp < kGrowQ && L[x] < fh.L + kGrowDL ? 255 : 0;
    }
  }
  cv::morphologyEx(m, m, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
  // The regions of candidates, judged on their own pixels (a highlight on a dark dome, blurred
  // with the shading around it, can pass on the means).
  cv::Mat cc;
  const int n = cv::connectedComponents(m, cc, 8, CV_32S);
  std::vector<std::vector<float>> Ls(n), qs(n), bd(n);
  std::vector<double> ysum(n, 0);
  for (int y = 0; y < m.rows; ++y) {
    const int* k = cc.ptr<int>(y);
    for (int x = 0; x < m.cols; ++x) {
      if (!k[x]) continue;
      const float L = f[0].at<float>(y, x);
      Ls[k[x]].push_back(L);
      bd[k[x]].push_back(f[21].at<float>(y, x));
      ysum[k[x]] += y;
      qs[k[x]].push_back(std::hypot(f[1].at<float>(y, x), f[2].at<float>(y, x)) / std::max(1.f, L) /
                         q_ref);
    }
  }
  const double min_area = 0.2 * ipd * ipd;  // canonical px; a highlight is smaller
  std::vector<uint8_t> keep(n, 0);
  for (int i = 1; i < n; ++i) {
    const double area = Ls[i].size();
    const float L = median_of(Ls[i]), q = median_of(qs[i]);
    const bool pale = (q < kRegionQ && L < fh.L + kRegionDL) ||
                      (area >= 2 * min_area && q < kWhiteQ && L >= fh.L && L < fh.L + kDL);
    keep[i] =
        area >= min_area && pale && median_of(bd[i]) > kRegionBackdrop && ysum[i] / area < eye_y
            ? 255
            : 0;
  }
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) m.at<uint8_t>(y, x) = keep[cc.at<int>(y, x)];
  // Only as far as the means blurred (half their 11-px window, and a little more).
  cv::Mat near;
  cv::dilate(m, near, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(15, 15)));
  m |= grow & near;
  return m;
}

// The head's grey-haired regions (outside the face) are hair, whatever the colour rules before
// took them for: the forest, own_colour_hair, recover_head and GrabCut all call pale, colourless
// pixels a bald dome's highlight (or backdrop).
void grey_hair_is_hair(cv::Mat& probs, const std::vector<cv::Mat>& f, const Canonical& c,
                       const Face& face) {
  cv::Mat inner(probs.size(), CV_8U, cv::Scalar(0));
  fill_face(inner, c, face, 255);
  // From the outer eye corners, ~1.33 interpupillary distances apart.
  const double ipd = 0.75 * cv::norm(canonical_point(c, face, 45) - canonical_point(c, face, 36));
  const cv::Mat grey = grey_hair(f, probs, inner, forehead_colour(f, c, face, ipd), ipd,
                                 canonical_point(c, face, 39).y);
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* g = grey.ptr<uint8_t>(y);
    for (int x = 0; x < probs.cols; ++x)
      if (g[x] && p[x][1] > p[x][2]) std::swap(p[x][1], p[x][2]);
  }
}

// The forest finds the head well but has seen too few heads of hair to tell hair from skin on
// a new photo, so that split is made from the client's own skin: outside the face (jaw line and
// brows), head pixels much darker than the cheeks, or of another hue, are hair; brighter pixels
// of the skin's hue are skin (highlights on a bald scalp).
void own_colour_hair(cv::Mat& probs, const std::vector<cv::Mat>& f, const Canonical& c,
                     const Face& face) {
  cv::Mat inner(probs.size(), CV_8U, cv::Scalar(0));
  fill_face(inner, c, face, 255);
  // The client's skin chroma and how much it varies over the cheeks: a colour several of its
  // own standard deviations away is not this skin (grey or blond hair on pink skin).
  const cv::Mat cheek = cheek_mask(c, face);
  cv::Matx22d icov = cv::Matx22d::zeros();
  cv::Vec2d mu(0, 0);
  {
    std::vector<cv::Vec2f> ab;
    for (int y = 0; y < cheek.rows; ++y)
      for (int x = 0; x < cheek.cols; ++x)
        if (cheek.at<uint8_t>(y, x)) ab.emplace_back(f[1].at<float>(y, x), f[2].at<float>(y, x));
    if (ab.size() > 20) {
      cv::Mat samples = cv::Mat(ab).reshape(1), cov, mean;
      cv::calcCovarMatrix(samples, cov, mean, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE,
                          CV_64F);
      // Never tighter than 3 units of a*/b*: JPEG and light vary that much on any skin.
      cov += cv::Mat::eye(2, 2, CV_64F) * 9.0;
      cv::Mat inv = cov.inv();
      icov = cv::Matx22d(inv.ptr<double>());
      mu = cv::Vec2d(mean.at<double>(0), mean.at<double>(1));
    }
  }
  float cheek_tex = 1.f;
  {
    std::vector<float> t;
    for (int y = 0; y < cheek.rows; ++y)
      for (int x = 0; x < cheek.cols; ++x)
        if (cheek.at<uint8_t>(y, x)) t.push_back(f[8].at<float>(y, x));
    if (t.size() > 20) cheek_tex = std::max(0.5f, median_of(t));
  }
  constexpr double kChroma = 4;  // standard deviations (leave-one-out on LFW: 3 to 5 are close)
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* in = inner.ptr<uint8_t>(y);
    const float* fa = f[1].ptr<float>(y);
    const float* fb = f[2].ptr<float>(y);
    const float* dL = f[3].ptr<float>(y);
    const float* dc = f[6].ptr<float>(y);
    const float* dLs = f[19].ptr<float>(y);
    const float* tex = f[8].ptr<float>(y);
    for (int x = 0; x < probs.cols; ++x) {
      if (in[x]) continue;
      float head = p[x][1] + p[x][2];
      // Judge on the pixel and its neighbourhood: strands are thin.
      float dark = std::min(dL[x], dLs[x]);
      cv::Vec2d d(fa[x] - mu[0], fb[x] - mu[1]);
      double m2 = d.dot(icov * d);
      // Brighter than the cheeks and paler is a highlight on a bald dome unless it has the
      // texture of strands (grey hair).
      bool strands = tex[x] > 1.5f * cheek_tex;
      bool hair = dark < -18.f || (m2 > kChroma * kChroma && (dL[x] <= 0 || strands));
      bool highlight = dL[x] > 0 && dc[x] < 12.f && !strands;
      float h = hair && !highlight ? 0.8f : 0.1f;
      p[x][2] = head * h;
      p[x][1] = head * (1 - h);
    }
  }
}

// The forest has seen few heads of hair (its photos are mostly bald men), so on a new photo it
// often calls hair, and the top of a bald dome, background. Inside the zone a head occupies
// around the face (an ellipse of the canonical frame), a pixel whose colour is far from every
// colour of the photo's own background (k-means of confident background outside that zone) is
// head after all: skin when it has the skin's colour, hair otherwise.
void recover_head(cv::Mat& probs, const std::vector<cv::Mat>& f, const Canonical& c,
                  const cv::Mat& lab) {
  const cv::Point2f centre(kMargin + 127.f, kMargin + 112.f);
  const cv::Size2f axes(90.f, 122.f);
  cv::Mat zone(probs.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(zone, cv::Point(centre), cv::Size(axes), 0, 0, 360, 255, cv::FILLED);
  cv::Mat far_zone(probs.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(far_zone, cv::Point(centre), cv::Size(axes * 1.12f), 0, 0, 360, 255, cv::FILLED);
  // Pure black is the padding of an aligned or rotated photo (or a black backdrop): never head,
  // and kept out of the backdrop's colours, or it takes the clusters a busy backdrop needs
  // (LOO on LFW: skin IoU +0.012, a building beside a head no longer recovered as head).
  std::vector<cv::Vec3f> samples;
  for (int y = 0; y < probs.rows; y += 3)
    for (int x = 0; x < probs.cols; x += 3)
      if (!far_zone.at<uint8_t>(y, x) && c.valid.at<uint8_t>(y, x) &&
          probs.at<cv::Vec3f>(y, x)[0] > 0.7f && lab.at<cv::Vec3f>(y, x)[0] > kPaddingL)
        samples.push_back(lab.at<cv::Vec3f>(y, x));
  if (samples.size() < 60) return;
  const cv::Mat centres = colour_clusters(samples, 4);
  // Background clusters can be a blur of two colours: a distance of ~20 ΔE*ab from all of them
  // is a colour the backdrop does not have.
  constexpr float kFar = 20.f;
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* z = zone.ptr<uint8_t>(y);
    const cv::Vec3f* L = lab.ptr<cv::Vec3f>(y);
    const float* dL = f[3].ptr<float>(y);
    const float* dc = f[6].ptr<float>(y);
    // Below the mouth a dark suit or a collar is not hair (long hair there is lost: rare
    // among clients).
    if (y > kMargin + 170) break;
    for (int x = 0; x < probs.cols; ++x) {
      if (!z[x] || p[x][0] < 0.5f) continue;
      if (L[x][0] <= kPaddingL || nearest_cluster_sq(centres, L[x]) < kFar * kFar) continue;
      // A bald top is lit differently from the cheeks (brighter, paler or more orange): only
      // what is clearly darker than the skin is hair; a missed dome costs a client more than
      // missed blond hair.
      bool hair = dL[x] < -18.f || (dc[x] > 14.f && dL[x] < -5.f);
      p[x] = hair ? cv::Vec3f(0.3f, 0.1f, 0.6f) : cv::Vec3f(0.3f, 0.6f, 0.1f);
    }
  }
}

// Grey, blond or auburn hair can match the skin's colour closely enough for the forest (its
// training photos are mostly bald or dark-haired). A bare scalp is smooth like the cheeks; hair
// has strands: above the brows, skin that is much more textured than the cheeks is hair.
// `probs` and `gray` are the ROI at the mid resolution (`mid` of the photo's pixels per pixel).
// The texture is measured over the head's pixels only: where a window straddles the head's
// outline, the step to the backdrop is not strands (it painted a rim of hair round bald domes).
cv::Mat head_strand_texture(const cv::Mat& gray, const cv::Mat& head, const Face& face,
                            double mid) {
  double ipd = face.interpupillary_px() * mid;
  int r = std::max(1, static_cast<int>(std::lround(ipd / 40)));
  cv::Mat w;
  head.convertTo(w, CV_32F, 1.0 / 255);
  const cv::Size k(2 * r + 1, 2 * r + 1), k2(6 * r + 1, 6 * r + 1);
  const cv::Mat gw = gray.mul(w);
  // Box sums of independent planes, two threads (this runs after GrabCut, on the critical path).
  cv::Mat n, m1, m2;
  parallel_for(
      3,
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          if (i == 0) cv::boxFilter(w, n, CV_32F, k);
          if (i == 1) cv::boxFilter(gw, m1, CV_32F, k);
          if (i == 2) cv::boxFilter(gw.mul(gray), m2, CV_32F, k);
        }
      },
      3, 1);
  cv::Mat nn = cv::max(n, 1e-3f);
  m1 /= nn;
  m2 /= nn;
  cv::Mat var = cv::max(m2 - m1.mul(m1), 0.0), tex;
  cv::sqrt(var, tex);
  tex = tex.mul(w);
  cv::Mat num, den;
  parallel_for(
      2,
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          if (i == 0) cv::boxFilter(tex, num, CV_32F, k2);
          if (i == 1) cv::boxFilter(w, den, CV_32F, k2);
        }
      },
      2, 1);
  return num / cv::max(den, 1e-3f);
}

void textured_skin_is_hair(cv::Mat& probs, const cv::Mat& gray, const Face& face, cv::Point roi_tl,
                           double mid) {
  cv::Mat head(probs.size(), CV_8U);
  for (int y = 0; y < probs.rows; ++y) {
    const cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    uint8_t* m = head.ptr<uint8_t>(y);
    for (int x = 0; x < probs.cols; ++x) m[x] = p[x][0] >= std::max(p[x][1], p[x][2]) ? 0 : 255;
  }
  const cv::Mat tex = head_strand_texture(gray, head, face, mid);
  auto P = [&](cv::Point2d p) { return (p - cv::Point2d(roi_tl)) * mid; };
  double ipd = face.interpupillary_px() * mid;
  cv::Mat cheek(tex.size(), CV_8U, cv::Scalar(0));
  std::vector<cv::Point> left, right;
  for (int i : {1, 2, 3, 48, 31, 39}) left.push_back(cv::Point(P(face.landmarks[i])));
  for (int i : {15, 14, 13, 54, 35, 42}) right.push_back(cv::Point(P(face.landmarks[i])));
  cv::fillConvexPoly(cheek, left, 255);
  cv::fillConvexPoly(cheek, right, 255);
  std::vector<float> v;
  for (int y = 0; y < tex.rows; ++y)
    for (int x = 0; x < tex.cols; ++x)
      if (cheek.at<uint8_t>(y, x)) v.push_back(tex.at<float>(y, x));
  if (v.size() < 10) return;
  const float ref = median_of(v);
  // LOO on LFW with the texture over head pixels only: 1.9 / 0.02 (2.2 / 0.025 misses fringes,
  // 1.7 / 0.015 takes bald scalp for hair).
  float thr = std::max(1.9f * ref, ref + 0.02f);
  cv::Point2d eyes = face.right_pupil() - face.left_pupil();
  cv::Point2d up(eyes.y, -eyes.x);
  up /= std::max(1e-6, cv::norm(up));
  cv::Point2d o = P(face.glabella()) + up * (0.3 * ipd);
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const float* t = tex.ptr<float>(y);
    for (int x = 0; x < probs.cols; ++x) {
      if ((x - o.x) * up.x + (y - o.y) * up.y <= 0 || t[x] <= thr) continue;
      cv::Vec3f& q = p[x];
      if (q[1] > q[0] && q[1] > q[2]) std::swap(q[1], q[2]);
    }
  }
}

// The forest's head is the shape of the heads it was trained on (mostly bald): a head of hair
// reaches further, and a backdrop of the head's colours can join it. GrabCut settles the head's
// outline from the photo's own colours: the face is head for sure, the frame's outer edge is
// backdrop, and the forest's head is only a first guess. What it adds is hair unless it has the
// skin's colour (a neck, a bald dome the forest missed); what it removes is backdrop.
void refine_head_extent(cv::Mat& probs, const std::vector<cv::Mat>& f, const Canonical& c,
                        const cv::Mat& lab, const Face& face) {
  const int s = 2;  // GrabCut at half the canonical resolution: plenty for an outline
  cv::Mat small;
  cv::resize(c.bgr, small, cv::Size(kCanon / s, kCanon / s), 0, 0, cv::INTER_AREA);
  cv::Mat mask(small.size(), CV_8U, cv::Scalar(cv::GC_PR_BGD));
  cv::Mat valid_s;
  cv::resize(c.valid, valid_s, small.size(), 0, 0, cv::INTER_NEAREST);
  for (int y = 0; y < small.rows; ++y)
    for (int x = 0; x < small.cols; ++x) {
      const cv::Vec3f& p = probs.at<cv::Vec3f>(y * s, x * s);
      if (p[0] < std::max(p[1], p[2])) mask.at<uint8_t>(y, x) = cv::GC_PR_FGD;
    }
  // A skull sits above the brows in every photo: its core is head for sure, a generous cap of
  // it probably head (a head of hair the forest missed), and far outside it above the eyes is
  // backdrop. Canonical frame: eyes at y 117, brows near 100, the frame 250 px wide.
  const cv::Point skull((kMargin + 127) / s, (kMargin + 100) / s);
  cv::Mat prior(small.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(prior, skull, cv::Size(68 / s, 80 / s), 0, 180, 360, 255, cv::FILLED);
  // Only what does not have a colour of the backdrop (distance to the frame's top band's
  // colours): a cap of sky above a bald dome would teach GrabCut that sky is head.
  constexpr float kCapBackdrop = 8.f;  // ΔE*ab; LOO on LFW: 6-10 alike, 14 loses hair
  // The backdrop's colours here leave out pure black (padding of an aligned or rotated photo):
  // it would take the clusters a busy backdrop needs, and pure black is backdrop below anyway.
  // (The forest's own feature keeps it: it was trained so.)
  cv::Mat capd;
  {
    cv::Mat band = backdrop_band(c);
    band &= f[0] > kPaddingL;
    // ...and hair that reaches the band (a high head of hair) out too: only what the forest
    // calls backdrop (a portrait of curly grey hair lost its top as "backdrop colour").
    cv::Mat bg;
    cv::extractChannel(probs, bg, 0);
    band &= bg > 0.5f;
    cv::blur(backdrop_distance(lab, band), capd, cv::Size(9, 9));
  }
  for (int y = 0; y < small.rows; ++y)
    for (int x = 0; x < small.cols; ++x)
      if (prior.at<uint8_t>(y, x) && valid_s.at<uint8_t>(y, x) &&
          capd.at<float>(y * s, x * s) > kCapBackdrop)
        mask.at<uint8_t>(y, x) = cv::GC_PR_FGD;
  cv::Mat far(small.size(), CV_8U, cv::Scalar(255));
  // Tall enough for a bald dome of a head tilted chin down.
  cv::ellipse(far, cv::Point((kMargin + 127) / s, (kMargin + 110) / s), cv::Size(92 / s, 140 / s),
              0, 0, 360, 0, cv::FILLED);
  cv::ellipse(far, cv::Point((kMargin + 127) / s, (kMargin + 150) / s), cv::Size(100 / s, 90 / s),
              0, 0, 360, 0, cv::FILLED);
  far.rowRange((kMargin + 165) / s, small.rows).setTo(0);
  // Pure black with no texture is the padding of an aligned or rotated photo, not hair.
  cv::Mat grey, mx;
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  cv::dilate(grey, mx, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5)));
  far |= mx <= 8;
  // The outer edge of the photo inside the frame (top and sides above the mouth): backdrop.
  cv::Mat edge = valid_s.clone();
  cv::erode(edge, edge, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(7, 7)));
  edge = valid_s & ~edge;
  edge.rowRange((kMargin + 165) / s, small.rows).setTo(0);
  // ...unless the head runs out of the photo there (a dome cut by the top edge): only where a
  // dome can reach, not beside the face, where a backdrop of the head's colours also runs out.
  {
    cv::Mat dome(small.size(), CV_8U, cv::Scalar(0));
    cv::ellipse(dome, skull, cv::Size(70 / s, 100 / s), 0, 0, 360, 255, cv::FILLED);
    edge &= (mask == cv::GC_PR_BGD) | ~dome;
  }
  mask.setTo(cv::GC_BGD, (edge | far) & valid_s);
  fill_face(mask, c, face, cv::GC_FGD, s);
  prior.setTo(0);
  cv::ellipse(prior, skull, cv::Size(40 / s, 46 / s), 0, 180, 360, 255, cv::FILLED);
  mask.setTo(cv::GC_FGD, prior & valid_s);
  const cv::Vec2d chin = c.T * cv::Vec3d(face.landmarks[8].x, face.landmarks[8].y, 1);
  // GrabCut seeds its colour models by k-means++ from this thread's cv::theRNG(): reset it, or a
  // photo's map depends on what the process analysed before (smp-eval, a plan of several photos).
  cv::theRNG() = cv::RNG();
  // Two iterations: the outline has settled by then (LOO on LFW, 2 / 3 / 4 iterations: pixel
  // accuracy 0.944 / 0.944 / 0.943, hair IoU 0.404 / 0.405 / 0.405, skin 0.852 / 0.850 / 0.848;
  // 1 iteration loses top hair, 0.742 -> 0.728), and each one costs ~10 ms on the critical path.
  // cv::grabCut's graph and models, with its cut on the grid itself (~1.5x faster), its models
  // seeded by k-means of 4000 of the pixels, not all ~29k (cv::kmeans took 7-11 ms of ~36; LOO
  // on LFW 0.950 / 0.864 / 0.427, recall 0.937 / 0.739, as with all of them: 0.949 / 0.864 /
  // 0.426, 0.936 / 0.739. The k-means seeding alone moves hair IoU by ~0.02).
  grab_cut(small, mask, 2, GrabCutOptions{8, 50.0, 4000});
  cv::Mat head_s = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD), head;
  // A neighbour's head or a dark suit joined by a narrow bridge is cut off at the bridge: open
  // the mask, keep the part holding the face, and give back what the opening shaved off it.
  {
    cv::Mat opened, cc;
    cv::morphologyEx(head_s, opened, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(11, 11)));
    cv::connectedComponents(opened, cc, 8, CV_32S);
    const cv::Point nose(cvRound(chin[0] / s), cvRound((kMargin + 140) / s));
    int keep = nose.inside(cv::Rect(0, 0, cc.cols, cc.rows)) ? cc.at<int>(nose) : 0;
    if (keep > 0) {
      cv::Mat core = cc == keep, near;
      cv::dilate(core, near, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(13, 13)));
      head_s &= near;
    }
  }
  cv::resize(head_s, head, probs.size(), 0, 0, cv::INTER_LINEAR);
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* h = head.ptr<uint8_t>(y);
    const uint8_t* v = c.valid.ptr<uint8_t>(y);
    const float* dL = f[3].ptr<float>(y);
    const float* dc = f[6].ptr<float>(y);
    for (int x = 0; x < probs.cols; ++x) {
      if (!v[x]) continue;
      bool was_head = p[x][0] < std::max(p[x][1], p[x][2]);
      bool is_head = h[x] >= 128;
      if (was_head && !is_head) p[x] = cv::Vec3f(0.8f, 0.1f, 0.1f);
      if (!was_head && is_head) {
        // Brighter than the cheeks and pale: the highlight on a bald dome.
        bool skin = dL[x] > -12.f && (dc[x] < 12.f || dL[x] > 5.f);
        // Below the chin, what joins the head is a neck, a collar or long hair: hair by a hair,
        // so face_prior keeps it only as part of a strand that falls beside the cheeks and
        // gives the rest to the backdrop (LOO on LFW: hair IoU +0.015, the long-haired woman's
        // hair kept down to her shoulder).
        if (y > chin[1] && !skin) {
          p[x] = cv::Vec3f(0.45f, 0.05f, 0.5f);
          continue;
        }
        p[x] = skin ? cv::Vec3f(0.1f, 0.7f, 0.2f) : cv::Vec3f(0.1f, 0.2f, 0.7f);
      }
    }
  }
}

// Where a face's own parts settle the call: the eyes, brows and nose are skin (LFW's part labels
// call them so, and no scalp lies there); below the mouth and outside the jaw line, what is dark
// is a suit, a collar or a neighbour, unless it is long hair that also falls beside the cheeks.
void face_prior(cv::Mat& probs, const Canonical& c, const Face& face) {
  cv::Mat hull(probs.size(), CV_8U, cv::Scalar(0));
  fill_face(hull, c, face, 255);
  const int eye_y = canonical_point(c, face, 39).y;
  const int nose_y = canonical_point(c, face, 33).y;
  const int mouth_y = std::max(canonical_point(c, face, 48).y, canonical_point(c, face, 54).y);
  // Long hair falls past the cheeks: below the mouth, keep hair that belongs to a strand of
  // hair beside the face between the eyes and the mouth.
  cv::Mat hair(probs.size(), CV_8U);
  for (int y = 0; y < probs.rows; ++y)
    for (int x = 0; x < probs.cols; ++x) {
      const cv::Vec3f& p = probs.at<cv::Vec3f>(y, x);
      hair.at<uint8_t>(y, x) = p[2] > p[0] && p[2] > p[1] ? 255 : 0;
    }
  cv::Mat cc;
  const int n = cv::connectedComponents(hair, cc, 8, CV_32S);
  std::vector<int> beside(n, 0);
  for (int y = std::max(0, eye_y); y <= std::min(probs.rows - 1, mouth_y); ++y)
    for (int x = 0; x < probs.cols; ++x)
      if (!hull.at<uint8_t>(y, x)) ++beside[cc.at<int>(y, x)];
  // Canonical px (~0.25 cm² at LFW scale); LOO on LFW: 150-600 alike, 2000 drops long hair.
  constexpr int kBeside = 600;
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    const uint8_t* h = hull.ptr<uint8_t>(y);
    const int* k = cc.ptr<int>(y);
    for (int x = 0; x < probs.cols; ++x) {
      if (h[x] && y < nose_y) {
        p[x][1] += p[x][2];
        p[x][2] = 0;
      } else if (!h[x] && y > mouth_y && !(k[x] > 0 && beside[k[x]] >= kBeside)) {
        p[x][2] = 0;
      }
    }
  }
}

// A head reaches little beyond its jaw line on the side the face is turned towards, and
// somewhat more on the other (the back of the skull, or long hair): what lies further out at
// the face's height is a neighbour's head, a backdrop of the head's colours or a collar. The
// limits are in interpupillary distances beyond the outermost jaw landmarks (LFW Part Labels:
// truth reaches at most 0.1-0.5 on the facing side, up to 1.0 on the other; a frontal face
// 0.5 at most).
void lateral_limit(cv::Mat& probs, const Canonical& c, const Face& face) {
  auto P = [&](int i) {
    cv::Vec2d q = c.T * cv::Vec3d(face.landmarks[i].x, face.landmarks[i].y, 1);
    return cv::Point2d(q[0], q[1]);
  };
  const double jaw_l = std::min(P(0).x, P(2).x), jaw_r = std::max(P(14).x, P(16).x);
  if (jaw_r - jaw_l < 1) return;
  const double ipd = cv::norm(mean_pt(face, 42, 47) - mean_pt(face, 36, 41)) *
                     std::sqrt(std::abs(c.T(0, 0) * c.T(1, 1) - c.T(0, 1) * c.T(1, 0)));
  // Where the nose tip sits between the jaw's sides: 0.5 frontal, > 0.5 turned to the right
  // of the photo.
  const double turn = std::clamp((P(30).x - jaw_l) / (jaw_r - jaw_l), 0.0, 1.0) - 0.5;
  constexpr double kFrontal = 0.8, kMin = 0.5, kMax = 1.1;  // interpupillary distances
  const double lim_l = jaw_l - ipd * std::clamp(kFrontal + turn, kMin, kMax);
  const double lim_r = jaw_r + ipd * std::clamp(kFrontal - turn, kMin, kMax);
  // Every row: below the mouth, long hair falling wider still is lost (rare among clients), and
  // a neighbour's shoulder or hair that reaches up beside the face is cut.
  for (int y = 0; y < probs.rows; ++y) {
    cv::Vec3f* p = probs.ptr<cv::Vec3f>(y);
    for (int x = 0; x < probs.cols; ++x)
      if (x < lim_l || x > lim_r) p[x] = cv::Vec3f(1, 0, 0);
  }
}

cv::Mat segment_front(const cv::Mat& bgr8, const Face& face, const PartsForest& forest,
                      Timings& tm) {
  Stopwatch sw;
  auto lap = [&](const char* step) {
    tm[step] += sw.elapsed_ms();
    sw.restart();
  };
  Canonical c = to_canonical(bgr8, face);
  lap("canonical");
  std::vector<cv::Mat> f = canonical_features(c, face);
  lap("features");
  cv::Mat probs = classify(f, forest, 2);
  lap("classify");
  own_colour_hair(probs, f, c, face);
  // The frame's CIELAB again, from the feature planes that are its channels (not converted twice).
  cv::Mat lab;
  cv::merge(std::vector<cv::Mat>{f[0], f[1], f[2]}, lab);
  recover_head(probs, f, c, lab);
  lap("colours");
  // Carry up: to the ROI at up to twice the canonical resolution, refined there with the photo
  // as the guide, then bilinear to full size. The photo-only half of that (the mid-resolution
  // ROI, its guide and the guide's box statistics, the photo-sized labels) runs beside GrabCut,
  // which is single-threaded.
  double s_can = std::sqrt(std::abs(c.T(0, 0) * c.T(1, 1) - c.T(0, 1) * c.T(1, 0)));
  double mid = std::min(1.0, 2.0 * s_can);
  const int r = std::max(2, static_cast<int>(std::lround(3 * mid / s_can)));
  cv::Mat roi_mid, guide, labels;
  GuideStats mid_stats;
  double grabcut_ms = 0;
  parallel_for(
      2,
      [&](int b, int e) {
        for (int i = b; i < e; ++i) {
          if (i == 0) {
            probs = smooth_probs(probs, gray_guide(c.bgr), 3, 1e-3);
            Stopwatch g;
            refine_head_extent(probs, f, c, lab, face);
            grabcut_ms = g.elapsed_ms();
            grey_hair_is_hair(probs, f, c, face);
            lateral_limit(probs, c, face);
            face_prior(probs, c, face);
            // Outside the photo is nothing.
            probs.setTo(cv::Vec3f(1, 0, 0), c.valid == 0);
          } else {
            if (std::abs(mid - c.roi_scale) < 1e-6)
              roi_mid = c.roi_small;
            else
              cv::resize(bgr8(c.roi), roi_mid, cv::Size(), mid, mid,
                         mid < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
            guide = gray_guide(roi_mid);
            mid_stats = guide_stats(guide, r);
            labels.create(bgr8.size(), CV_8U);
            labels.setTo(kBg);
          }
        }
      },
      0, 1);
  tm["refine.grabcut"] += grabcut_ms;
  lap("refine");
  double k = 1.0 / mid;
  cv::Matx23d Tm(c.T(0, 0) * k, c.T(0, 1) * k,
                 c.T(0, 0) * c.roi.x + c.T(0, 1) * c.roi.y + c.T(0, 2), c.T(1, 0) * k,
                 c.T(1, 1) * k, c.T(1, 0) * c.roi.x + c.T(1, 1) * c.roi.y + c.T(1, 2));
  cv::Mat pm;
  cv::warpAffine(probs, pm, Tm, roi_mid.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(1, 0, 0));
  pm = smooth_probs(pm, guide, r, 2e-3, mid_stats);
  lap("mid_smooth");
  textured_skin_is_hair(pm, guide, face, c.roi.tl(), mid);
  lap("texture");

  cv::Mat roi_labels = labels(c.roi);
  if (pm.size() != c.roi.size())
    upsample_argmax_into(pm, roi_labels);
  else
    argmax_into(pm, roi_labels);
  lap("upsample");
  cv::Point2d nose = face.landmarks[30];
  clean_labels(roi_labels, cv::Point(nose) - c.roi.tl());
  lap("clean");
  return labels;
}

// Without a face: GrabCut finds the central head blob; inside it, smooth skin-coloured pixels
// are bare scalp and the rest is hair.
cv::Mat segment_top(const cv::Mat& bgr8, const PartsOptions& opt) {
  double s = std::min(1.0, double(opt.work_long_side) / std::max(bgr8.cols, bgr8.rows));
  cv::Mat small;
  cv::resize(bgr8, small, cv::Size(), s, s, cv::INTER_AREA);
  cv::Mat gc(small.size(), CV_8U, cv::Scalar(cv::GC_PR_BGD));
  cv::ellipse(gc, cv::Point(small.cols / 2, small.rows / 2),
              cv::Size(int(small.cols * 0.42), int(small.rows * 0.44)), 0, 0, 360, cv::GC_PR_FGD,
              -1);
  cv::ellipse(gc, cv::Point(small.cols / 2, small.rows / 2),
              cv::Size(int(small.cols * 0.15), int(small.rows * 0.15)), 0, 0, 360, cv::GC_FGD, -1);
  // (A frame no taller or wider than a few borders has none: a strip of a photo.)
  const int b = std::min({std::max(2, small.cols / 40), small.rows / 3, small.cols / 3});
  gc.rowRange(0, b).setTo(cv::GC_BGD);
  gc.colRange(0, b).setTo(cv::GC_BGD);
  gc.colRange(small.cols - b, small.cols).setTo(cv::GC_BGD);
  cv::theRNG() = cv::RNG();  // as in refine_head_extent: the same photo, the same map
  // Our grid cut (scalp/grid_max_flow.h), not cv::grabCut: the same maps on the dev top views
  // at a fraction of the time (its max-flow took ~300 ms of a 12 MP top view's analysis).
  // Smoothness 80: Norwood within one stage on 6/8 subjects and the chin-down eyes on 6/7 front
  // views, as with OpenCV's (120 lost one pair of eyes, 50 another).
  grab_cut(small, gc, 3, GrabCutOptions{4, 80.0});
  cv::Mat head = (gc == cv::GC_FGD) | (gc == cv::GC_PR_FGD);
  // Keep the largest blob, holes filled.
  {
    cv::Mat cc, stats, cent;
    int n = cv::connectedComponentsWithStats(head, cc, stats, cent, 8, CV_32S);
    int best = 0, area = 0;
    for (int i = 1; i < n; ++i)
      if (stats.at<int>(i, cv::CC_STAT_AREA) > area)
        area = stats.at<int>(i, cv::CC_STAT_AREA), best = i;
    head = cc == best;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(head.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    head.setTo(0);
    cv::drawContours(head, contours, -1, 255, cv::FILLED);
  }
  // Skin: hue/chroma of skin (YCrCb box widened for tan and dark skin) and smooth.
  cv::Mat ycc, f32;
  cv::cvtColor(small, ycc, cv::COLOR_BGR2YCrCb);
  small.convertTo(f32, CV_32F, 1.0 / 255);
  cv::Mat L;
  cv::cvtColor(f32, L, cv::COLOR_BGR2GRAY);
  cv::Mat tex = local_std(L, 5);
  auto skin_colour = [](const cv::Vec3b& p) {
    const int Y = p[0], cr = p[1], cb = p[2];
    return cr >= 135 && cr <= 180 && cb >= 80 && cb <= 130 && Y > 60;
  };
  // The scalp's highlights (a shaved dome under a ceiling light) are paler than the skin's colour
  // box but as smooth as the skin and brighter than it: hair is darker, or textured.
  double skin_y = 0;
  {
    double n = 0;
    for (int y = 0; y < small.rows; ++y) {
      const cv::Vec3b* p = ycc.ptr<cv::Vec3b>(y);
      const float* t = tex.ptr<float>(y);
      const uint8_t* h = head.ptr<uint8_t>(y);
      for (int x = 0; x < small.cols; ++x)
        if (h[x] && t[x] < 0.045f && skin_colour(p[x])) skin_y += p[x][0], ++n;
    }
    skin_y = n > 0 ? skin_y / n : 1e9;
  }
  cv::Mat pskin(small.size(), CV_32F, cv::Scalar(0));
  for (int y = 0; y < small.rows; ++y) {
    const cv::Vec3b* p = ycc.ptr<cv::Vec3b>(y);
    const float* t = tex.ptr<float>(y);
    float* o = pskin.ptr<float>(y);
    for (int x = 0; x < small.cols; ++x) {
      bool smooth = t[x] < 0.045f;
      bool highlight = smooth && p[x][0] > skin_y + 20 && std::abs(p[x][1] - 128) < 30 &&
                       std::abs(p[x][2] - 128) < 30;
      o[x] = skin_colour(p[x]) ? (smooth ? 1.f : 0.4f) : highlight ? 1.f : 0.f;
    }
  }
  cv::Mat g = gray_guide(small);
  pskin = guided_filter(g, pskin, 4, 1e-2);
  cv::Mat labels(small.size(), CV_8U, cv::Scalar(kBg));
  labels.setTo(kHair, head);
  labels.setTo(kSkin, head & (pskin > 0.5f));
  cv::medianBlur(labels, labels, 5);
  cv::Mat full;
  cv::resize(labels, full, bgr8.size(), 0, 0, cv::INTER_NEAREST);
  return full;
}

}  // namespace

void PartsForest::predict(const float* f, float probs[3]) const {
  int votes[3] = {0, 0, 0};
  for (int32_t r : roots) {
    int32_t i = r;
    while (nodes[i].var >= 0) i = f[nodes[i].var] <= nodes[i].thr ? nodes[i].left : nodes[i].right;
    votes[std::clamp(nodes[i].left, 0, 2)]++;
  }
  float n = std::max<size_t>(1, roots.size());
  for (int k = 0; k < 3; ++k) probs[k] = votes[k] / n;
}

int parts_feature_count() {
  return kFeatures;
}

cv::Mat segment_parts(const cv::Mat& bgr8, const Face* face, const PartsOptions& opt) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  const PartsForest& forest = opt.forest ? *opt.forest : shipped_parts_forest();
  Timings local;
  if (face && !forest.empty())
    return segment_front(bgr8, *face, forest, opt.timings ? *opt.timings : local);
  return segment_top(bgr8, opt);
}

PartsSamples parts_training_samples(const cv::Mat& bgr8, const Face& face, const cv::Mat& truth,
                                    int stride) {
  Canonical c = to_canonical(bgr8, face);
  std::vector<cv::Mat> f = canonical_features(c, face);
  cv::Mat t_small, t_can, t_valid;
  cv::resize(truth(c.roi), t_small, c.roi_small.size(), 0, 0, cv::INTER_NEAREST);
  cv::warpAffine(t_small, t_can, c.Ts, cv::Size(kCanon, kCanon), cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, 255);
  PartsSamples s;
  std::vector<float> row(kFeatures);
  for (int y = 0; y < kCanon; y += stride)
    for (int x = 0; x < kCanon; x += stride) {
      uint8_t t = t_can.at<uint8_t>(y, x);
      if (t > 2 || !c.valid.at<uint8_t>(y, x)) continue;
      for (int k = 0; k < kFeatures; ++k) row[k] = f[k].at<float>(y, x);
      s.features.push_back(cv::Mat(1, kFeatures, CV_32F, row.data()));
      s.labels.push_back(int(t));
    }
  return s;
}

PartsForest train_parts_forest(const cv::Mat& features, const cv::Mat& labels,
                               const ForestParams& p) {
  auto rt = cv::ml::RTrees::create();
  rt->setMaxDepth(p.max_depth);
  rt->setMinSampleCount(p.min_samples);
  rt->setActiveVarCount(0);
  rt->setCalculateVarImportance(false);
  // Hair is a few % of the pixels: weigh it up or it never wins a vote on unseen photos.
  rt->setPriors(cv::Mat(cv::Matx13f(1.f, 1.f, p.hair_weight)));
  rt->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, p.trees, 0));
  // cv::ml draws the trees' bootstrap samples and variables from this thread's cv::theRNG():
  // fix it, or the forest depends on what the thread ran before (the k-means of the features
  // moving to another thread changed the leave-one-out figures by up to 0.003).
  cv::theRNG().state = p.seed;
  rt->train(cv::ml::TrainData::create(features, cv::ml::ROW_SAMPLE, labels));
  PartsForest f;
  f.n_features = features.cols;
  const auto& nodes = rt->getNodes();
  const auto& splits = rt->getSplits();
  // Renumber each tree's nodes compactly (cv::ml keeps them in one shared array already).
  for (int r : rt->getRoots()) f.roots.push_back(r);
  f.nodes.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    PartsForest::Node o{};
    if (n.split < 0 || n.left < 0) {
      o.var = -1;
      o.thr = 0;
      o.left = n.classIdx;
      o.right = 0;
    } else {
      const auto& s = splits[n.split];
      o.var = static_cast<int16_t>(s.varIdx);
      o.thr = s.c;
      o.left = s.inversed ? n.right : n.left;
      o.right = s.inversed ? n.left : n.right;
    }
    f.nodes[i] = o;
  }
  return f;
}

std::string parts_forest_to_cpp(const PartsForest& f, const std::string& comment) {
  std::ostringstream os;
  os << "// Generated by smp-eval --train: the parts forest. Do not edit; retrain instead.\n";
  os << "// " << comment << "\n";
  os << "// clang-format off\n";  // generated data: keep it out of `make format`
  os << "#include \"smp/scalp/parts.h\"\n\nnamespace smp {\nnamespace {\n";
  os << "const int32_t kRoots[] = {";
  for (size_t i = 0; i < f.roots.size(); ++i) os << (i % 20 ? "" : "\n") << f.roots[i] << ",";
  os << "};\nconst PartsForest::Node kNodes[] = {";
  char buf[96];
  for (size_t i = 0; i < f.nodes.size(); ++i) {
    const auto& n = f.nodes[i];
    char num[40];
    std::snprintf(num, sizeof num, "%.7g", n.thr);
    std::string t = num;
    if (t.find_first_of(".eEn") == std::string::npos) t += ".0";  // a valid float literal
    std::snprintf(buf, sizeof buf, "{%d,%sf,%d,%d},", n.var, t.c_str(), n.left, n.right);
    os << (i % 6 ? "" : "\n") << buf;
  }
  os << "};\n}  // namespace\n\nconst PartsForest& shipped_parts_forest() {\n"
     << "  static const PartsForest f = [] {\n    PartsForest f;\n    f.n_features = "
     << f.n_features << ";\n"
     << "    f.roots.assign(std::begin(kRoots), std::end(kRoots));\n"
     << "    f.nodes.assign(std::begin(kNodes), std::end(kNodes));\n    return f;\n  }();\n"
     << "  return f;\n}\n\n}  // namespace smp\n";
  return os.str();
}

std::vector<cv::Vec3b> parts_palette() {
  std::vector<cv::Vec3b> p(3);
  p[kBg] = cv::Vec3b(255, 0, 0);
  p[kSkin] = cv::Vec3b(0, 255, 0);
  p[kHair] = cv::Vec3b(0, 0, 255);
  return p;
}

cv::Mat parts_to_colour(const cv::Mat& labels) {
  const std::vector<cv::Vec3b> palette = parts_palette();
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* l = labels.ptr<uint8_t>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < labels.cols; ++x)
      o[x] = l[x] < palette.size() ? palette[l[x]] : palette[kBg];
  }
  return out;
}

cv::Mat parts_from_colour(const cv::Mat& bgr8) {
  cv::Mat out(bgr8.size(), CV_8U);
  for (int y = 0; y < bgr8.rows; ++y) {
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < bgr8.cols; ++x) {
      int b = p[x][0], g = p[x][1], r = p[x][2];
      o[x] = (r >= g && r >= b) ? kHair : (g >= b ? kSkin : kBg);
    }
  }
  return out;
}

}  // namespace smp
