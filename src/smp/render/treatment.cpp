#include "smp/render/treatment.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/core/rect.h"
#include "smp/design/head_sphere.h"
#include "smp/image/colour.h"

namespace smp {

namespace {

float smoothstep(float e0, float e1, float x) {
  float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3 - 2 * t);
}

// Smooth value noise in [-1, 1] with features about `feature_px` map cells wide.
cv::Mat smooth_noise(cv::Size size, double feature_px, std::mt19937& rng) {
  int gw = std::max(2, static_cast<int>(size.width / feature_px) + 2);
  int gh = std::max(2, static_cast<int>(size.height / feature_px) + 2);
  cv::Mat g(gh, gw, CV_32F);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) g.at<float>(y, x) = u(rng);
  cv::Mat out;
  cv::resize(g, out, cv::Size(static_cast<int>(gw * feature_px), static_cast<int>(gh * feature_px)),
             0, 0, cv::INTER_CUBIC);
  return out(cv::Rect(0, 0, size.width, size.height)).clone();
}

// INTER_AREA to `size` by halvings first (OpenCV's vectorised 2 x 2 box means, several times
// cheaper on a 12 MP photo than its general area path), then the non-integer rest on the
// smaller image. A halving drops an odd last column or row, which shifts the far edge by under
// one source pixel: invisible on the map.
cv::Mat shrink_area(const cv::Mat& m, cv::Size size) {
  cv::Mat cur = m, out;
  while (cur.cols / 2 >= size.width && cur.rows / 2 >= size.height) {
    const cv::Size hs(cur.cols / 2, cur.rows / 2);
    cv::Mat half;
    cv::resize(cur(cv::Rect(0, 0, hs.width * 2, hs.height * 2)), half, hs, 0, 0, cv::INTER_AREA);
    cur = half;
  }
  if (cur.size() == size) return cur.data == m.data ? m.clone() : cur;
  cv::resize(cur, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

// One weight of cv::resize's INTER_AREA at a non-integer factor: destination index d takes
// alpha * source index s (OpenCV's computeResizeAreaTab, for destinations [d0, d1) only).
struct AreaTap {
  int d, s;
  float alpha;
};
std::vector<AreaTap> area_taps(int ssize, int d0, int d1, double scale) {
  std::vector<AreaTap> tab;
  for (int d = d0; d < d1; ++d) {
    const double f1 = d * scale, f2 = f1 + scale;
    const double cell = std::min(scale, ssize - f1);
    int s1 = cvCeil(f1), s2 = cvFloor(f2);
    s2 = std::min(s2, ssize - 1);
    s1 = std::min(s1, s2);
    if (s1 - f1 > 1e-3) tab.push_back({d, s1 - 1, static_cast<float>((s1 - f1) / cell)});
    for (int x = s1; x < s2; ++x) tab.push_back({d, x, static_cast<float>(1.0 / cell)});
    if (f2 - s2 > 1e-3)
      tab.push_back({d, s2, static_cast<float>(std::min(std::min(f2 - s2, 1.0), cell) / cell)});
  }
  return tab;
}

// shrink_area(m, size) on the cells of `roi` only (the rest of `out`, of `size`, is left alone):
// the halvings on the part of `m` those cells read, then OpenCV's non-integer area weights
// summed in OpenCV's order, so every cell is bit-identical to the whole image's resize (the
// treated head is a few per cent of a portrait: this is most of the design stage's saving).
// CV_8U, 1 or 3 channels.
void shrink_area_roi(const cv::Mat& m, cv::Size size, const cv::Rect& roi, cv::Mat& out) {
  SMP_CHECK(out.size() == size && out.type() == m.type() && m.depth() == CV_8U);
  if (roi.empty()) return;
  int k = 0;  // halvings, as shrink_area makes them
  while ((m.cols >> (k + 1)) >= size.width && (m.rows >> (k + 1)) >= size.height) ++k;
  const cv::Size ls(m.cols >> k, m.rows >> k);  // the halved image's size
  const double sx = 1.0 / (static_cast<double>(size.width) / ls.width);
  const double sy = 1.0 / (static_cast<double>(size.height) / ls.height);
  const bool generic = ls != size && (std::abs(sx - cvRound(sx)) >= DBL_EPSILON ||
                                      std::abs(sy - cvRound(sy)) >= DBL_EPSILON);
  if (!generic) {  // OpenCV's integer (or no) resize: a whole shrink, rare
    shrink_area(m, size)(roi).copyTo(out(roi));
    return;
  }
  const std::vector<AreaTap> xt = area_taps(ls.width, roi.x, roi.x + roi.width, sx);
  const std::vector<AreaTap> yt = area_taps(ls.height, roi.y, roi.y + roi.height, sy);
  // The halved image's part the taps read, aligned so that its halvings are the whole image's.
  auto span = [](const std::vector<AreaTap>& t, int lim, int k) {
    int lo = lim, hi = 0;
    for (const AreaTap& a : t) lo = std::min(lo, a.s), hi = std::max(hi, a.s + 1);
    return std::pair{lo << k, hi << k};
  };
  const auto [x0, x1] = span(xt, ls.width, k);
  const auto [y0, y1] = span(yt, ls.height, k);
  cv::Mat cur = m(cv::Rect(x0, y0, x1 - x0, y1 - y0));
  for (int i = 0; i < k; ++i) {
    cv::Mat half;
    cv::resize(cur, half, cv::Size(cur.cols / 2, cur.rows / 2), 0, 0, cv::INTER_AREA);
    cur = half;
  }
  const int cn = m.channels(), ox = x0 >> k, oy = y0 >> k;
  // Rows of cells are independent: one tap range per row of `roi`.
  std::vector<size_t> row_start(roi.height + 1, yt.size());
  for (size_t j = yt.size(); j-- > 0;) row_start[yt[j].d - roi.y] = j;
  for (int r = roi.height - 1; r >= 0; --r) row_start[r] = std::min(row_start[r], row_start[r + 1]);
  parallel_for(
      roi.height,
      [&](int r0, int r1) {
        std::vector<float> buf(static_cast<size_t>(roi.width) * cn), sum(buf.size());
        for (int r = r0; r < r1; ++r) {
          std::fill(sum.begin(), sum.end(), 0.0f);
          for (size_t j = row_start[r]; j < row_start[r + 1]; ++j) {
            const uint8_t* src = cur.ptr<uint8_t>(yt[j].s - oy);
            std::fill(buf.begin(), buf.end(), 0.0f);
            for (const AreaTap& t : xt) {
              float* b = &buf[static_cast<size_t>(t.d - roi.x) * cn];
              const uint8_t* v = src + static_cast<size_t>(t.s - ox) * cn;
              for (int c = 0; c < cn; ++c) b[c] = b[c] + v[c] * t.alpha;
            }
            const float beta = yt[j].alpha;
            for (size_t i = 0; i < sum.size(); ++i) sum[i] += beta * buf[i];
          }
          uint8_t* d = out.ptr<uint8_t>(roi.y + r) + static_cast<size_t>(roi.x) * cn;
          for (size_t i = 0; i < sum.size(); ++i) d[i] = cv::saturate_cast<uint8_t>(sum[i]);
        }
      },
      0, 8);
}

// The cells of a map of `size` (scale s: cells per photo px) that can see any pixel of the
// photo rectangle `r`, with a margin for the halvings' and weights' rounding.
cv::Rect cells_of(const cv::Rect& r, double s, cv::Size size) {
  if (r.empty()) return {};
  const int m = 3;
  cv::Rect c(cvFloor(r.x * s) - m, cvFloor(r.y * s) - m, 0, 0);
  c.width = cvCeil((r.x + r.width) * s) + m - c.x;
  c.height = cvCeil((r.y + r.height) * s) + m - c.y;
  return c & cv::Rect(0, 0, size.width, size.height);
}

// A mask shrunk to `size` (0/255) where only the cells that can see its non-zero pixels are
// computed: all others are 0 in the whole shrink too.
cv::Mat shrink_mask_box(const cv::Mat& m, cv::Size size, double s) {
  cv::Mat out = cv::Mat::zeros(size, CV_8U);
  if (m.empty()) return out;
  const cv::Rect roi = cells_of(cv::boundingRect(m), s, size);
  if (roi.empty()) return out;
  shrink_area_roi(m, size, roi, out);
  out(roi) = out(roi) > 127;
  return out;
}

// The cells within `r` cells (Euclidean) of a non-zero cell of `mask` (0/255): a dilation by a
// disc in linear time. A dilation with a disc kernel costs its area per cell: 8 mm at a
// close-up's 0.25 mm cells was ~30 ms each.
cv::Mat within(const cv::Mat& mask, int r) {
  cv::Mat dist;
  cv::distanceTransform(mask == 0, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
  return dist <= static_cast<float>(r);
}

void fill_polygon(cv::Mat& mask, const std::vector<cv::Point2d>& poly, double s, uint8_t value) {
  std::vector<cv::Point> pts;
  for (const auto& p : poly)
    pts.emplace_back(cvRound((p.x + 0.5) * s - 0.5), cvRound((p.y + 0.5) * s - 0.5));
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(value), cv::LINE_8);
}

// The skull seen from the front: an ellipse fitted to the head outline above the eyes, robust
// to what a segmentation joins to the head (an arm, a tuft of background) and to highlights it
// bites out of it; shrunk by `inset` px so dots stay off the silhouette.
cv::Mat skull_outline(const cv::Mat& head8, cv::Point2d glabella, cv::Point2d up, double inset) {
  cv::Mat hull = head_outline(head8);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(head8.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  std::vector<cv::Point2f> pts;
  for (const auto& c : contours)
    for (const auto& p : c) {
      // Above the glabella and not on the photo's border (a head cut off by the frame).
      if ((cv::Point2d(p) - glabella).dot(up) < 0) continue;
      if (p.x <= 0 || p.y <= 0 || p.x >= head8.cols - 1 || p.y >= head8.rows - 1) continue;
      pts.emplace_back(p);
    }
  if (pts.size() < 20) return hull;
  cv::RotatedRect e = cv::fitEllipse(pts);
  for (int it = 0; it < 4; ++it) {
    // Keep the points nearest the ellipse (algebraic distance), refit.
    double ang = e.angle * M_PI / 180.0;
    cv::Point2d e1(std::cos(ang), std::sin(ang)), e2(-std::sin(ang), std::cos(ang));
    double ra = std::max(2.0, e.size.width / 2.0), rb = std::max(2.0, e.size.height / 2.0);
    std::vector<std::pair<double, cv::Point2f>> res;
    for (const auto& p : pts) {
      cv::Point2d d = cv::Point2d(p) - cv::Point2d(e.center);
      double q = std::pow(d.dot(e1) / ra, 2) + std::pow(d.dot(e2) / rb, 2);
      res.emplace_back(std::abs(std::sqrt(q) - 1.0), p);
    }
    std::sort(res.begin(), res.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<cv::Point2f> keep;
    for (size_t i = 0; i < res.size() * 8 / 10; ++i) keep.push_back(res[i].second);
    if (keep.size() < 20) break;
    e = cv::fitEllipse(keep);
  }
  cv::Mat out = cv::Mat::zeros(head8.size(), CV_8U);
  cv::RotatedRect in(e.center,
                     cv::Size2f(std::max(1.0f, e.size.width - 2 * static_cast<float>(inset)),
                                std::max(1.0f, e.size.height - 2 * static_cast<float>(inset))),
                     e.angle);
  cv::ellipse(out, in, cv::Scalar(255), -1);
  // Below the eyes the ellipse is no guide (the jaw, the neck): the hull is.
  for (int y = 0; y < out.rows; ++y) {
    uint8_t* o = out.ptr<uint8_t>(y);
    const uint8_t* h = hull.ptr<uint8_t>(y);
    for (int x = 0; x < out.cols; ++x)
      if ((cv::Point2d(x, y) - glabella).dot(up) < 0) o[x] = h[x];
  }
  return out & hull;
}

// The photo shrunk to the map's grid (8-bit BGR): shrink_area's cells on `box`; elsewhere (read
// only for a design zone drawn off the head) the nearest pixel, which is cheap.
cv::Mat photo_cells(const cv::Mat& photo, cv::Size size, const cv::Rect& box) {
  if (box == cv::Rect(0, 0, size.width, size.height)) return shrink_area(photo, size);
  cv::Mat out;
  cv::resize(photo, out, size, 0, 0, cv::INTER_NEAREST);
  shrink_area_roi(photo, size, box, out);
  return out;
}

// The head model on the cells of `box`: an ellipsoid fitted to the head's outline (`e`, map
// cells); the surface tilts away towards the silhouette (cos of the tilt = sqrt(1 - rho²)).
void head_model(const cv::RotatedRect& e, const cv::Rect& box, cv::Mat& fore, cv::Mat& axis) {
  const double ang = e.angle * M_PI / 180.0;
  const cv::Point2d e1(std::cos(ang), std::sin(ang)), e2(-std::sin(ang), std::cos(ang));
  const double ra = std::max(2.0, e.size.width / 2.0), rb = std::max(2.0, e.size.height / 2.0);
  const cv::Point2d c = e.center;
  parallel_for(box.height, [&](int y0, int y1) {
    for (int y = box.y + y0; y < box.y + y1; ++y) {
      float* f = fore.ptr<float>(y);
      float* ax = axis.ptr<float>(y);
      for (int x = box.x; x < box.x + box.width; ++x) {
        cv::Point2d d(x - c.x, y - c.y);
        double p1 = d.dot(e1) / ra, p2 = d.dot(e2) / rb;
        double rho2 = p1 * p1 + p2 * p2;
        f[x] = static_cast<float>(std::clamp(std::sqrt(std::max(0.0, 1.0 - rho2)), 0.25, 1.0));
        cv::Point2d g = e1 * (p1 / ra) + e2 * (p2 / rb);
        ax[x] = static_cast<float>(std::atan2(g.y, g.x));
      }
    }
  });
}

// Fills the holes of `mask` (regions it encloses): highlights, moles, specks. Hair enclosed by
// the scalp is filled only when smaller than `max_hair_px` (a tuft is no reason to skip SMP).
cv::Mat fill_holes(const cv::Mat& mask, const cv::Mat& hair, double max_hair_px) {
  cv::Mat inv = ~mask, cc, stats, cent;
  int n = cv::connectedComponentsWithStats(inv, cc, stats, cent, 4, CV_32S);
  std::vector<uint8_t> fill(n, 1);
  fill[0] = 0;
  for (int i = 1; i < n; ++i) {
    int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (x == 0 || y == 0 || x + w == mask.cols || y + h == mask.rows) fill[i] = 0;
  }
  std::vector<int> hair_px(n, 0);
  for (int y = 0; y < mask.rows; ++y) {
    const int* c = cc.ptr<int>(y);
    const uint8_t* hr = hair.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (hr[x]) hair_px[c[x]]++;
  }
  for (int i = 1; i < n; ++i)
    if (hair_px[i] > 0.5 * stats.at<int>(i, cv::CC_STAT_AREA) &&
        stats.at<int>(i, cv::CC_STAT_AREA) > max_hair_px)
      fill[i] = 0;
  cv::Mat out = mask.clone();
  for (int y = 0; y < mask.rows; ++y) {
    const int* c = cc.ptr<int>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (fill[c[x]]) o[x] = 255;
  }
  return out;
}

// Smooth noise of the hairline's front for a seed (3 mm and 1 mm features).
void make_noise(TreatmentBase& b, unsigned seed) {
  std::mt19937 rng(seed * 7919u + 17u);
  const double mm_per_cell = 1.0 / (b.scale * b.px_per_mm);
  b.noise1 = smooth_noise(b.size, 3.0 / mm_per_cell, rng);  // 3 mm irregularity of the front
  b.noise2 = smooth_noise(b.size, 1.0 / mm_per_cell, rng);
  b.noise_seed = seed;
}

}  // namespace

namespace {

// The hairline actually used; a proposal reads the head's outline from `head` (the analysis'
// head mask shrunk by `g`, with the face and scale to match), then comes back to photo px.
std::optional<Hairline> effective_hairline(const Analysis& a, const Design& d,
                                           const TreatmentOptions& opt, const cv::Mat& head,
                                           double g, const TreatmentBase* base = nullptr) {
  if (!d.hairline.empty()) return hairline_from_points(d.hairline, d.transition_mm.value_or(8));
  std::optional<HairlinePreset> preset = opt.preset ? opt.preset : d.preset;
  std::optional<Hairline> h = a.hairline;
  const std::optional<FaceFrame> frame = a.face_frame();
  if (frame && (preset || d.mid_frontal_mm || !h)) {
    HairlineOptions ho;
    ho.preset = preset.value_or(a.hairline ? a.hairline->preset : HairlinePreset::kNatural);
    ho.mid_frontal_mm = d.mid_frontal_mm.value_or(0);
    ho.seed = opt.seed;
    const int pi = static_cast<int>(ho.preset);
    if (base && ho.mid_frontal_mm == 0 && ho.seed == base->proposals_seed && pi >= 0 &&
        pi < static_cast<int>(base->proposals.size()) && base->proposals[pi]) {
      h = base->proposals[pi];
      if (h && d.transition_mm) h->transition_mm = *d.transition_mm;
      return h;
    }
    FaceFrame f = *frame;
    if (g != 1) {
      f.outer_eye_left *= g;
      f.outer_eye_right *= g;
      f.glabella *= g;
      if (f.nose_tip) *f.nose_tip *= g;
    }
    h = propose_hairline(f, a.design_px_per_mm() * g, a.design_pose(), head, ho);
    if (g != 1)
      for (auto& p : h->points) p *= 1.0 / g;
  }
  if (h && d.transition_mm) h->transition_mm = *d.transition_mm;
  return h;
}

}  // namespace

std::optional<Hairline> effective_hairline(const Analysis& a, const Design& d,
                                           const TreatmentOptions& opt) {
  return effective_hairline(a, d, opt, a.scalp.head_mask, 1.0);
}

double map_area_cm2(const TreatmentMap& map, const cv::Mat& mask8) {
  double cell_mm = 1.0 / (map.scale * map.px_per_mm);
  double area = 0;
  for (int y = 0; y < mask8.rows; ++y) {
    const uint8_t* m = mask8.ptr<uint8_t>(y);
    const float* f = map.foreshortening.ptr<float>(y);
    for (int x = 0; x < mask8.cols; ++x)
      if (m[x]) area += 1.0 / f[x];
  }
  return area * cell_mm * cell_mm / 100.0;
}

namespace {

// m00, m10 and m01 of a binary mask (the others are left 0), from its bounding box only: they
// are integers, which cv::moments sums exactly however it tiles the image, so moving the box's
// sums by its corner gives the whole mask's figures to the bit (moments of a 1 MP map cost ~6 ms).
cv::Moments mask_area_moments(const cv::Mat& mask) {
  cv::Moments m;
  const cv::Rect r = cv::boundingRect(mask);
  if (r.empty()) return m;
  const cv::Moments b = cv::moments(mask(r), true);
  m.m00 = b.m00;
  m.m10 = b.m10 + r.x * b.m00;
  m.m01 = b.m01 + r.y * b.m00;
  return m;
}

}  // namespace

TreatmentBase prepare_treatment(const Analysis& a, const cv::Mat* photo, double cell_mm,
                                unsigned seed) {
  if (!(a.px_per_mm > 0)) throw InputError("", "the photo has no scale (px_per_mm)");
  TreatmentBase b;
  b.px_per_mm = a.px_per_mm;
  const double ppm = a.px_per_mm;
  double s = std::min(1.0, 1.0 / (cell_mm * ppm));
  s = std::min(s, 1200.0 / std::max(a.size.width, a.size.height));
  b.scale = s;
  cv::Size ms(std::max(1, cvRound(a.size.width * s)), std::max(1, cvRound(a.size.height * s)));
  b.size = ms;
  const double mm_per_cell = 1.0 / (s * ppm);
  // The hairline's noise (two cubic resizes of the whole grid) meanwhile, on another thread.
  TreatmentBase noise;
  noise.size = ms;
  noise.scale = s;
  noise.px_per_mm = ppm;
  std::jthread noise_job([&noise, seed] { make_noise(noise, seed); });

  cv::Mat bald = shrink_mask_box(a.scalp.bald_mask, ms, s);
  cv::Mat head = shrink_mask_box(a.scalp.head_mask, ms, s);
  cv::Mat parts;
  if (!a.parts.empty())
    cv::resize(a.parts, parts, ms, 0, 0, cv::INTER_NEAREST);
  else
    parts = cv::Mat(ms, CV_8U, cv::Scalar(static_cast<int>(Part::kSkin)));
  cv::Mat skin = parts == static_cast<uint8_t>(Part::kSkin);
  cv::Mat hair = parts == static_cast<uint8_t>(Part::kHair);
  if (cv::countNonZero(head) == 0) head = parts != static_cast<uint8_t>(Part::kBackground);
  // Everything that can be treated is on the head: the per-cell work stays on its box, with a
  // margin wider than every neighbourhood read below (the 8 mm rim, morphology), so each cell
  // there is what a whole-map computation gives and every cell outside is untreated anyway.
  const int rim = std::max(1, cvRound(8.0 / mm_per_cell));
  const cv::Rect whole(0, 0, ms.width, ms.height);
  cv::Rect hb = cv::boundingRect(head);
  const int pad = rim + 6;
  const cv::Rect wb = hb.empty() ? whole : padded(hb, pad, whole);

  // The design frame: origin at the glabella and "up the face" from the eye line; without a
  // face (top views), the scalp's centre and image up.
  // A chin-down head found by its eyes alone has the frame but keeps a top view's scalp.
  const Face* face = a.face();
  cv::Point2d ex(1, 0), up(0, -1), origin;
  {
    cv::Moments mo = mask_area_moments(bald | (skin & head));
    if (mo.m00 < 1) mo = mask_area_moments(head);
    b.scalp_centre_px = mo.m00 > 0 ? cv::Point2d(mo.m10 / mo.m00 / s, mo.m01 / mo.m00 / s)
                                   : cv::Point2d(a.size.width / 2.0, a.size.height / 2.0);
  }
  if (const auto frame = a.face_frame()) {
    const cv::Point2d le = frame->outer_eye_left, re = frame->outer_eye_right;
    ex = (re - le) / std::max(1e-9, cv::norm(re - le));
    up = cv::Point2d(ex.y, -ex.x);
    origin = frame->glabella;
  } else {
    origin = b.scalp_centre_px;
  }
  b.origin_px = origin;
  b.up = up;
  b.ex = ex;
  b.has_face = face != nullptr;

  // Candidate area before the hairline cut: bald / skin scalp plus a blending rim into the
  // thinning hair around it.
  // With a face, the hairline cuts the forehead off the skin; without one (top views) only the
  // analysis' bald scalp is treated, since forehead and scalp cannot be told apart.
  cv::Mat scalp;
  if (face) {
    // Inside the head's outline everything that is not hair: a specular highlight on a bald
    // crown may be labelled background by the parts map, but it is scalp.
    cv::Mat outline = skull_outline(head, origin * s, up, 1.5 / mm_per_cell);
    scalp = head & ~hair & outline;
    if (photo && !photo->empty()) {
      // What the outline adds to the head: only highlights (brighter than the skin and no more
      // colourful), not the background in a notch of the outline.
      b.photo_cells = photo_cells(*photo, ms, wb);
      // Lab only in the outline's box (all that is read below), and not with cv::cvtColor,
      // whose Lab tables cost 0.2-0.45 s on a process's first call.
      const cv::Rect ob = cv::boundingRect(outline);
      cv::Mat f, lab;
      b.photo_cells(ob).convertTo(f, CV_32F, 1.0 / 255);
      lab = bgr_to_lab(f);
      cv::Mat skin_in = skin & outline;
      cv::Scalar sm = cv::mean(lab, skin_in(ob));
      const double skin_C = std::hypot(sm[1], sm[2]);
      cv::Mat added = outline & ~head;
      // And "hair" that has the skin's own colour: a segmentation may call a shiny bald crown
      // hair; real hair is darker or of another hue than the skin under it.
      cv::Mat skin_hair = outline & hair;
      for (int y = 0; y < ob.height; ++y) {
        const cv::Vec3f* l = lab.ptr<cv::Vec3f>(y);
        uint8_t* ad = added.ptr<uint8_t>(ob.y + y) + ob.x;
        uint8_t* sh = skin_hair.ptr<uint8_t>(ob.y + y) + ob.x;
        for (int x = 0; x < ob.width; ++x) {
          if (ad[x] && !(l[x][0] > sm[0] + 4 && std::hypot(l[x][1], l[x][2]) < skin_C + 4))
            ad[x] = 0;
          if (sh[x] && !(l[x][0] > sm[0] - 8 && std::hypot(l[x][1], l[x][2]) < skin_C + 6 &&
                         std::hypot(l[x][1] - sm[1], l[x][2] - sm[2]) < 16))
            sh[x] = 0;
        }
      }
      cv::Mat opened;
      cv::morphologyEx(skin_hair(wb), opened, cv::MORPH_OPEN,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
      // Only next to the analysis' bald scalp, where a shiny crown is: elsewhere such "hair" is
      // white or grey hair over pink skin, which the analysis found (a full-haired man's white
      // top was treated over 163 cm2; now the hairline's front and rim, 115 cm2).
      opened &= within(bald(wb), rim);
      skin_hair = cv::Mat::zeros(ms, CV_8U);
      opened.copyTo(skin_hair(wb));
      scalp |= added | skin_hair;
      hair &= ~skin_hair;
    }
    head = outline | head;
  } else {
    scalp = (cv::countNonZero(bald) == 0 ? (bald | skin) : bald) & head;
  }
  fill_holes(scalp(wb), hair(wb), 1.0 / (mm_per_cell * mm_per_cell) * 100.0).copyTo(scalp(wb));
  const cv::Mat near = within(scalp(wb), rim);
  cv::Mat cand = cv::Mat::zeros(ms, CV_8U);
  {
    cv::Mat c = scalp(wb) | (near & hair(wb) & head(wb));
    // A cell on the scalp's edge can be neither mostly bald nor labelled hair (the masks are
    // shrunk differently): such one-cell seams would show as a pale line through the dots.
    cv::morphologyEx(c, c, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    c.copyTo(cand(wb));
  }
  cand &= head;
  if (face) {
    // Only this client's head: within an adult head's reach of the glabella (other people in
    // the photo, hands and shoulders stay untouched).
    cv::Mat reach = cv::Mat::zeros(ms, CV_8U);
    std::vector<cv::Point> box;
    for (auto [u, v] : {std::pair{-95.0, -5.0}, {95.0, -5.0}, {95.0, 230.0}, {-95.0, 230.0}}) {
      cv::Point2d p = origin + ex * (u * ppm) + up * (v * ppm);
      box.emplace_back(cvRound(p.x * s), cvRound(p.y * s));
    }
    cv::fillConvexPoly(reach, box, cv::Scalar(255));
    // Nor above the skull's top: the forehead profile curved on over the vertex, projected with
    // the head's pitch, with a margin for big heads (a segmentation that runs into a photo
    // above, in a collage, stops here).
    double top_mm = 0;
    for (double sm = 0; sm <= 260; sm += 5)
      top_mm = std::max(top_mm, projected_forehead_mm(sm, a.pose.pitch));
    const double cap_px = 1.2 * top_mm * ppm;
    for (int y = wb.y; y < wb.y + wb.height; ++y) {
      uint8_t* rr = reach.ptr<uint8_t>(y);
      for (int x = wb.x; x < wb.x + wb.width; ++x) {
        cv::Point2d p((x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5);
        if ((p - origin).dot(up) > cap_px) rr[x] = 0;
      }
    }
    cand &= reach;
  } else if (a.view == View::kSide) {
    // A side view without a face (the user said so): the scalp is the cranium's upper part, from
    // about 45 degrees above the brow's horizontal in front, over the top, to the back's
    // horizontal. The face, ear and neck below stay untouched. The face looks away from the
    // hair (a profile's hair is at the back), else to the left, as the plan assumes.
    const HeadSphere sp = fit_head_sphere(head, View::kSide);
    const cv::Moments mh = cv::moments(hair & head, true), msk = cv::moments(skin & head, true);
    double face_x = -1;
    if (mh.m00 > 0 && msk.m00 > 0 && mh.m10 / mh.m00 < msk.m10 / msk.m00) face_x = 1;
    const double sin45 = std::sqrt(0.5);
    for (int y = wb.y; y < wb.y + wb.height; ++y) {
      uint8_t* c = cand.ptr<uint8_t>(y);
      for (int x = wb.x; x < wb.x + wb.width; ++x) {
        const double fwd = (x - sp.centre.x) * face_x, up_px = sp.centre.y - y;
        const double r = std::hypot(fwd, up_px);
        // Below the horizontal through the centre, or in front below 45 degrees: not scalp.
        if (up_px < 0 || (fwd > 0 && up_px < sin45 * r)) c[x] = 0;
      }
    }
  } else if (const auto& tf = a.tilted_face) {
    // A chin-down face in a top view: nothing below the analysis' cut line above the eyes.
    const double reach = 2.0 * std::max(a.size.width, a.size.height);
    std::vector<cv::Point> face_side;
    for (cv::Point2d p :
         {tf->cut_a, tf->cut_b, tf->cut_b - tf->up * reach, tf->cut_a - tf->up * reach})
      face_side.emplace_back(cvRound(p.x * s), cvRound(p.y * s));
    cv::fillConvexPoly(cand, face_side, cv::Scalar(0));
  }

  // Head model for foreshortening: an ellipsoid fitted to the head outline; the surface tilts
  // away towards the silhouette (cos of the tilt = sqrt(1 - rho²)).
  b.foreshortening = cv::Mat(ms, CV_32F, cv::Scalar(1));
  b.axis_rad = cv::Mat(ms, CV_32F, cv::Scalar(0));
  {
    std::vector<std::vector<cv::Point>> contours;
    // On the work box (the head is all inside it): the same contours, offset.
    cv::findContours(head(wb).clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE, wb.tl());
    size_t best = 0;
    for (size_t i = 1; i < contours.size(); ++i)
      if (cv::contourArea(contours[i]) > cv::contourArea(contours[best])) best = i;
    if (!contours.empty() && contours[best].size() >= 5) {
      b.head_ellipse = cv::fitEllipse(contours[best]);
      // Read only where dots go: on the candidate area's box (build_treatment_map adds a zone
      // drawn outside it).
      b.box = cv::boundingRect(cand);
      head_model(*b.head_ellipse, b.box, b.foreshortening, b.axis_rad);
    }
  }

  b.candidate = cand;
  // The hairline proposal reads the head's outline at about 1 px/mm: a copy at 2 px/mm spares
  // each design the shrinking of a full-size mask.
  // An integer factor (OpenCV's fast area path; the last < k columns and rows are dropped).
  const int hk = std::max(1, cvRound(ppm / 2.0));
  if (hk > 1 && a.scalp.head_mask.cols >= hk && a.scalp.head_mask.rows >= hk) {
    const cv::Size hs(a.scalp.head_mask.cols / hk, a.scalp.head_mask.rows / hk);
    cv::resize(a.scalp.head_mask(cv::Rect(0, 0, hs.width * hk, hs.height * hk)), b.hairline_head,
               hs, 0, 0, cv::INTER_AREA);
    b.hairline_scale = 1.0 / hk;
  } else {
    b.hairline_head = a.scalp.head_mask;
    b.hairline_scale = 1;
  }
  {
    // The head 8 mm and more inside its silhouette (the rim the dots keep off is not an edge
    // the density fades in from; see build_treatment_map).
    cv::resize(b.hairline_head, b.inner_head, ms, 0, 0, cv::INTER_NEAREST);
    const int rim = std::max(1, cvRound(8.0 * ppm * s));
    const cv::Mat inner = ~within(~(b.inner_head(wb) > 127), rim);
    b.inner_head = cv::Mat::zeros(ms, CV_8U);
    inner.copyTo(b.inner_head(wb));
  }
  if (photo && !photo->empty() && b.photo_cells.empty())
    b.photo_cells = photo_cells(*photo, ms, wb);
  b.box = cv::boundingRect(cand);
  noise_job.join();
  b.noise1 = noise.noise1;
  b.noise2 = noise.noise2;
  b.noise_seed = noise.noise_seed;
  return b;
}

TreatmentMap build_treatment_map(const TreatmentBase& b, const Analysis& a, const Design& design,
                                 const TreatmentOptions& opt) {
  TreatmentMap m;
  m.px_per_mm = b.px_per_mm;
  m.scale = b.scale;
  m.origin_px = b.origin_px;
  m.up = b.up;
  const double ppm = b.px_per_mm, s = b.scale;
  const cv::Size ms = b.size;
  const double mm_per_cell = 1.0 / (s * ppm);
  const cv::Point2d origin = b.origin_px, up = b.up, ex = b.ex;
  const bool face = b.has_face;
  TreatmentBase reseeded;
  const TreatmentBase* noise = &b;
  if (opt.seed != b.noise_seed) {
    reseeded.size = b.size;
    reseeded.scale = b.scale;
    reseeded.px_per_mm = b.px_per_mm;
    make_noise(reseeded, opt.seed);
    noise = &reseeded;
  }
  const cv::Mat& noise1 = noise->noise1;
  const cv::Mat& noise2 = noise->noise2;
  cv::Mat cand = b.candidate.clone();

  std::optional<Hairline> hl =
      effective_hairline(a, design, opt, b.hairline_head, b.hairline_scale, &b);
  // Hairline as height v(u) in the face frame (px), sorted by u.
  std::vector<cv::Point2d> huv;
  if (hl) {
    for (const auto& p : hl->points) huv.emplace_back((p - origin).dot(ex), (p - origin).dot(up));
    std::sort(huv.begin(), huv.end(), [](auto& x, auto& y) { return x.x < y.x; });
    if (huv.size() < 2 || huv.back().x - huv.front().x < 1) huv.clear();
  }
  const double transition_px = (hl ? hl->transition_mm : 8.0) * ppm;
  // Only the candidate area's rows and columns can be treated: the per-cell work stays there.
  const cv::Rect cb = cv::boundingRect(cand);

  cv::Mat ramp(ms, CV_32F, cv::Scalar(1)), front(ms, CV_32F, cv::Scalar(0));
  if (!huv.empty()) {
    const double u0 = huv.front().x, u1 = huv.back().x;
    const double umid = 0.5 * (u0 + u1), half = 0.5 * (u1 - u0);
    parallel_for(cb.height, [&](int y0, int y1) {
      for (int y = cb.y + y0; y < cb.y + y1; ++y) {
        uint8_t* c = cand.ptr<uint8_t>(y);
        float* r = ramp.ptr<float>(y);
        float* f = front.ptr<float>(y);
        const float* n1 = noise1.ptr<float>(y);
        const float* n2 = noise2.ptr<float>(y);
        for (int x = cb.x; x < cb.x + cb.width; ++x) {
          // Cells outside the candidate area are masked out (or set by a zone) below.
          if (!c[x]) continue;
          cv::Point2d p((x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5);
          double u = (p - origin).dot(ex), v = (p - origin).dot(up);
          double h;
          // Beyond the temples the line comes down the sides of the head towards the sideburns
          // (a bald side is treated too), no lower than a third of the temple's height.
          if (u <= u0)
            h = std::max(0.35 * huv.front().y, huv.front().y - 1.2 * (u0 - u));
          else if (u >= u1)
            h = std::max(0.35 * huv.back().y, huv.back().y - 1.2 * (u - u1));
          else {
            auto it = std::lower_bound(huv.begin(), huv.end(), u,
                                       [](const cv::Point2d& q, double val) { return q.x < val; });
            const cv::Point2d& b = *it;
            const cv::Point2d& a0 = *(it - 1);
            double t = (u - a0.x) / std::max(1e-9, b.x - a0.x);
            h = a0.y + t * (b.y - a0.y);
          }
          // Temples fade: the transition deepens towards the ends of the line.
          float temple = smoothstep(0.55f, 1.0f, static_cast<float>(std::abs(u - umid) / half));
          double tz = transition_px * (1.0 + 1.2 * temple);
          double d = (v - h) + (1.3 * n1[x] + 0.45 * n2[x]) * ppm;
          float rr = static_cast<float>(d / tz);
          if (rr < -0.25f) {
            c[x] = 0;
            r[x] = 0;
            continue;
          }
          // Sparse single dots at the very front, building to full density at the back.
          r[x] = std::pow(smoothstep(-0.25f, 1.0f, rr), 1.5f);
          f[x] = 1.0f - smoothstep(0.0f, 0.5f, rr);
        }
      }
    });
  }

  // Zones from the design: scar / thinning / treat add area (and maybe density); exclude cuts.
  cv::Mat zone_density(ms, CV_32F, cv::Scalar(opt.density_per_cm2));
  cv::Mat excluded = cv::Mat::zeros(ms, CV_8U);
  for (const auto& z : design.zones) {
    cv::Mat zm = cv::Mat::zeros(ms, CV_8U);
    fill_polygon(zm, z.polygon, s, 255);
    if (z.kind == ZoneKind::kExclude) {
      excluded |= zm;
    } else {
      cand |= zm;
      ramp.setTo(1.0f, zm);
      front.setTo(0.0f, zm);
      if (z.density_per_cm2 > 0) zone_density.setTo(z.density_per_cm2, zm);
    }
  }
  if (!design.zones.empty()) cand &= ~excluded;
  // Specks of skin are no treatment area. On the area's box with a margin wider than the
  // kernel: every cell outside it is 0 before and after.
  int k = std::max(1, cvRound(1.5 / mm_per_cell));
  {
    const cv::Rect tb = cv::boundingRect(cand);
    const int pad = 2 * k + 2;
    const cv::Rect roi = padded(tb, pad, cv::Rect(0, 0, ms.width, ms.height));
    if (!tb.empty()) {
      cv::Mat opened;
      cv::morphologyEx(
          cand(roi), opened, cv::MORPH_OPEN,
          cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * k + 1, 2 * k + 1)));
      opened.copyTo(cand(roi));
    }
  }
  if (cv::countNonZero(cand) == 0)
    throw InputError("", "no scalp to treat was found (give the area with --design zones)");

  // Where the treated area ends inside the head (against the forehead, or the client's own
  // hair) rather than at the silhouette, density fades in over the transition depth too: a patch
  // cut by the scalp map's edge below the hairline must not end in a straight, full-density edge.
  if (!b.inner_head.empty()) {
    const float depth = static_cast<float>(transition_px * s);  // in map cells
    // Only edges within `depth` of the candidate area matter: the distances on its box, widened.
    const int pad = static_cast<int>(std::ceil(depth)) + 2;
    const cv::Rect roi = padded(cb, pad, cv::Rect(0, 0, ms.width, ms.height));
    cv::Mat inside_edge = b.inner_head(roi) & ~cand(roi);  // 255 where the fade starts
    cv::Mat dist;
    cv::distanceTransform(~inside_edge, dist, cv::DIST_L2, 3);
    for (int y = cb.y; y < cb.y + cb.height; ++y) {
      float* r = ramp.ptr<float>(y);
      const float* dd = dist.ptr<float>(y - roi.y) - roi.x;
      const uint8_t* c = cand.ptr<uint8_t>(y);
      for (int x = cb.x; x < cb.x + cb.width; ++x)
        if (c[x]) r[x] = std::min(r[x], std::pow(smoothstep(0.0f, depth, dd[x]), 1.5f));
    }
  }
  // Every edge of the treated area, the silhouette's too, falls off over its last 2 mm: the
  // segmentation's outline runs a few pixels inside the real one, stepped, and a full-density
  // row of dots along it drew a dark, jagged line round a bald dome at 100 % zoom.
  {
    const float edge = static_cast<float>(2.0 / mm_per_cell);  // in map cells
    const int pad = static_cast<int>(std::ceil(edge)) + 2;
    const cv::Rect tb = cv::boundingRect(cand);
    const cv::Rect roi = padded(tb, pad, cv::Rect(0, 0, ms.width, ms.height));
    cv::Mat dist;
    cv::distanceTransform(cand(roi), dist, cv::DIST_L2, 3);
    for (int y = tb.y; y < tb.y + tb.height; ++y) {
      float* r = ramp.ptr<float>(y);
      const float* dd = dist.ptr<float>(y - roi.y) - roi.x;
      for (int x = tb.x; x < tb.x + tb.width; ++x)
        if (dd[x] > 0) r[x] = std::min(r[x], smoothstep(0.0f, edge, dd[x]));
    }
  }
  // Density: the target (zones may override), the hairline ramp, and a gentle swirl around
  // an off-centre crown whorl. Only the treated area's box is computed: outside it every cell
  // is untreated (density and ramp 0).
  const cv::Rect tb = cv::boundingRect(cand);
  m.density = cv::Mat::zeros(ms, CV_32F);
  cv::multiply(zone_density(tb), ramp(tb), m.density(tb));
  std::optional<cv::Point2d> whorl = design.whorl;
  if (!whorl && !face) {
    cv::Moments mo = cv::moments(cand, true);
    double rad = std::sqrt(mo.m00 / M_PI) / s;
    whorl = b.scalp_centre_px + cv::Point2d(0.18 * rad, 0.12 * rad);
  }
  if (whorl) {
    cv::Point2d wc = *whorl * s;
    // Density outside the treated area is zeroed below.
    for (int y = tb.y; y < tb.y + tb.height; ++y) {
      float* dp = m.density.ptr<float>(y);
      for (int x = tb.x; x < tb.x + tb.width; ++x) {
        double dx = x - wc.x, dy = y - wc.y;
        double r_mm = std::sqrt(dx * dx + dy * dy) * mm_per_cell;
        double th = std::atan2(dy, dx);
        double swirl = 1.0 + 0.08 * std::cos(2 * th + 2.5 * std::log(std::max(r_mm, 1.0) / 5.0)) *
                                 smoothstep(4.0f, 25.0f, static_cast<float>(r_mm));
        double centre = 0.85 + 0.15 * smoothstep(0.0f, 10.0f, static_cast<float>(r_mm));
        dp[x] *= static_cast<float>(swirl * centre);
      }
    }
  }
  m.treated = cand;
  const cv::Mat outside = ~cand(tb);
  m.density(tb).setTo(0.0f, outside);
  m.ramp = cv::Mat::zeros(ms, CV_32F);
  ramp(tb).copyTo(m.ramp(tb), cand(tb));
  m.front = front;
  m.foreshortening = b.foreshortening;
  m.axis_rad = b.axis_rad;
  if (b.head_ellipse && (tb & b.box) != tb) {
    // A zone drawn off the head (the base's model stops at its box): the model for this map.
    m.foreshortening = b.foreshortening.clone();
    m.axis_rad = b.axis_rad.clone();
    head_model(*b.head_ellipse, tb, m.foreshortening, m.axis_rad);
  }
  return m;
}

TreatmentMap build_treatment_map(const Analysis& a, const Design& design,
                                 const TreatmentOptions& opt) {
  return build_treatment_map(prepare_treatment(a, opt.photo, opt.cell_mm, opt.seed), a, design,
                             opt);
}

void propose_preset_hairlines(TreatmentBase& b, const Analysis& a, unsigned seed) {
  b.proposals = {};
  b.proposals_seed = seed;
  if (!a.face_frame()) return;
  for (HairlinePreset p : {HairlinePreset::kNatural, HairlinePreset::kMature,
                           HairlinePreset::kYouthful, HairlinePreset::kBroken}) {
    Design d;
    d.preset = p;
    TreatmentOptions to;
    to.seed = seed;
    b.proposals[static_cast<int>(p)] =
        effective_hairline(a, d, to, b.hairline_head, b.hairline_scale);
  }
}

TreatmentMap map_for_resized_photo(const TreatmentMap& map, double f) {
  TreatmentMap m = map;
  m.scale = map.scale / f;
  m.px_per_mm = map.px_per_mm * f;
  // Pixel centres: p' + 0.5 = (p + 0.5) f, as cv::resize maps them.
  m.origin_px = (map.origin_px + cv::Point2d(0.5, 0.5)) * f - cv::Point2d(0.5, 0.5);
  return m;
}

}  // namespace smp
