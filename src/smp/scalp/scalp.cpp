#include "smp/scalp/scalp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <opencv2/imgproc.hpp>

#include "smp/core/parallel.h"
#include "smp/core/rect.h"
#include "smp/image/colour.h"
#include "smp/image/shrink.h"
#include "smp/scalp/parts.h"

namespace smp {

// The forehead's midline profile: it leaves the glabella leaning back a little and curves back
// over the frontal bone (a sagittal radius of about 11 cm on an adult skull).
double projected_forehead_mm(double s_mm, double pitch_deg) {
  constexpr double R = 110, lean = 10 * M_PI / 180;
  const double y = R * (std::sin(lean + s_mm / R) - std::sin(lean));
  const double z = R * (std::cos(lean) - std::cos(lean + s_mm / R));
  const double p = std::clamp(pitch_deg, -35.0, 35.0) * M_PI / 180;
  return y * std::cos(p) - z * std::sin(p);
}

namespace {

constexpr uint8_t kSkin = static_cast<uint8_t>(Part::kSkin);
constexpr uint8_t kHair = static_cast<uint8_t>(Part::kHair);
constexpr uint8_t kBg = static_cast<uint8_t>(Part::kBackground);
constexpr uint64_t kAllBg = 0x0101010101010101ull * kBg;
// A top view whose map finds less hair than this share of the head has no hair shade.
constexpr double kMinTopHairShare = 0.15;
// The scalp's masks are worked out at no finer scale than this.
constexpr double kMaskPxPerMm = 2.5;

// The face's own frame: x along the eyes (pupils), `up` perpendicular towards the top of the
// head (so a rolled head is handled), origin at the glabella.
struct FaceFrame {
  cv::Point2d o, ex, up;
  double half_w;  // half the distance of the outer eye corners, px
  explicit FaceFrame(const Face& f) {
    cv::Point2d eyes = f.right_pupil() - f.left_pupil();
    double n = std::max(1e-6, cv::norm(eyes));
    ex = eyes / n;
    up = cv::Point2d(ex.y, -ex.x);
    o = f.glabella();
    half_w = std::max(1.0, 0.5 * cv::norm(f.landmarks[45] - f.landmarks[36]));
  }
  double u(cv::Point2d p) const { return (p - o).dot(ex) / half_w; }
  double h(cv::Point2d p) const { return (p - o).dot(up); }
};

// Pixels above where a natural hairline sits: `mm` along the forehead in the middle, recessed a
// little towards the temples, then down to the sideburns beyond the outer eye corners (the
// temples of a bald head are scalp too; the forehead never is).
cv::Mat above_natural_hairline(cv::Size size, const Face& f, double px_per_mm, double mm,
                               double pitch_deg) {
  FaceFrame fr(f);
  const double mid = projected_forehead_mm(mm, pitch_deg) * px_per_mm;
  // Beyond the outer eye corners the temporal hairline turns down, but a forehead reaches
  // further out than the eyes: it only comes down to about half the mid height, past the
  // brows' ends.
  auto line_h = [&](double u) {
    double a = std::abs(u);
    if (a <= 1) return mid * (1 - 0.18 * std::pow(a, 2.2));
    double t = std::min(1.0, (a - 1) / 0.6);
    return mid * ((1 - t) * 0.82 + t * 0.55);
  };
  // A table over u (a pow() per pixel of a 12 MP photo costs ~100 ms).
  constexpr int kLut = 1024;
  constexpr double kUMax = 4;
  std::vector<double> lut(kLut + 1);
  for (int i = 0; i <= kLut; ++i) lut[i] = line_h(kUMax * i / kLut);
  cv::Mat m(size, CV_8U);
  parallel_for(
      size.height,
      [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
          uint8_t* p = m.ptr<uint8_t>(y);
          for (int x = 0; x < size.width; ++x) {
            cv::Point2d q(x, y);
            int i = std::min(kLut, static_cast<int>(std::abs(fr.u(q)) * (kLut / kUMax)));
            p[x] = fr.h(q) > lut[i] ? 255 : 0;
          }
        }
      },
      0, 64);
  return m;
}

// Pixels on the scalp side of a straight line `mm` above the glabella (the brows' top).
cv::Mat above_line(cv::Size size, const Face& f, double px_per_mm, double mm) {
  FaceFrame fr(f);
  cv::Mat m(size, CV_8U);
  parallel_for(
      size.height,
      [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
          uint8_t* p = m.ptr<uint8_t>(y);
          for (int x = 0; x < size.width; ++x)
            p[x] = fr.h(cv::Point2d(x, y)) > mm * px_per_mm ? 255 : 0;
        }
      },
      0, 64);
  return m;
}

// The scalp is a dome: a pixel near the head's silhouette covers more skin than one facing the
// camera. Models the cranium as a sphere (`centre`, `radius` px) and returns the true area, in
// px², under `mask` (the factor 1/cos of the surface's tilt is capped at 3.5: the last rim of
// the silhouette is all guesswork).
double dome_area_px(const cv::Mat& mask, cv::Point2d centre, double radius) {
  if (radius <= 1) return cv::countNonZero(mask);
  double sum = 0;
  const double r2 = radius * radius, max_d2 = 1 - 1 / (3.5 * 3.5);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const double dy2 = (y - centre.y) * (y - centre.y);
    for (int x = 0; x < mask.cols; ++x)
      if (m[x]) {
        double d2 = std::min(max_d2, ((x - centre.x) * (x - centre.x) + dy2) / r2);
        sum += 1 / std::sqrt(1 - d2);
      }
  }
  return sum;
}

// The cranium's sphere seen from the front: its half-width from the head's widest row above
// the brows (65-95 mm: an adult's), its centre on the face's midline one radius below the top of
// the head.
void front_dome(const cv::Mat& head, const Face& f, double px_per_mm, cv::Point2d& centre,
                double& radius) {
  FaceFrame fr(f);
  double widest = 0, top = 0;
  // Walk the head pixels once (subsampled: this only needs a few mm of precision).
  int step = std::max(1, static_cast<int>(px_per_mm));
  std::map<int, std::pair<double, double>> rows;  // height bin -> lateral extent (px)
  for (int y = 0; y < head.rows; y += step) {
    const uint8_t* m = head.ptr<uint8_t>(y);
    for (int x = 0; x < head.cols; x += step) {
      if (!m[x]) continue;
      cv::Point2d q(x, y);
      double h = fr.h(q);
      if (h < 10 * px_per_mm) continue;
      double lat = (q - fr.o).dot(fr.ex);
      int bin = static_cast<int>(h / (5 * px_per_mm));
      auto it = rows.find(bin);
      if (it == rows.end())
        rows[bin] = {lat, lat};
      else
        it->second = {std::min(it->second.first, lat), std::max(it->second.second, lat)};
      if (std::abs(lat) < 20 * px_per_mm) top = std::max(top, h);
    }
  }
  for (const auto& [bin, ext] : rows) widest = std::max(widest, ext.second - ext.first);
  radius = std::clamp(0.5 * widest, 65 * px_per_mm, 95 * px_per_mm);
  // A parts map that ran into a neighbouring photo or a dark backdrop must not make a giant:
  // the vertex sits at most ~14 cm above the glabella in any front view.
  if (top <= 0) top = 100 * px_per_mm;
  top = std::min(top, 140 * px_per_mm);
  double c_h = std::max(0.0, top - radius);
  centre = fr.o + fr.up * c_h;
}

// 255 where the component label (`cc`, CV_32S) is one `keep` selects, else 0.
cv::Mat components_mask(const cv::Mat& cc, const std::vector<uint8_t>& keep) {
  cv::Mat out(cc.size(), CV_8U);
  for (int y = 0; y < cc.rows; ++y) {
    const int* c = cc.ptr<int>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < cc.cols; ++x) o[x] = keep[c[x]] ? 255 : 0;
  }
  return out;
}

// Removes islands smaller than `min_px` (parting lines, specks of forehead through a fringe).
cv::Mat drop_small(const cv::Mat& mask, double min_px) {
  cv::Mat cc, stats, cent;
  int n = cv::connectedComponentsWithStats(mask, cc, stats, cent, 8, CV_32S);
  std::vector<uint8_t> keep(n, 0);
  for (int i = 1; i < n; ++i) keep[i] = stats.at<int>(i, cv::CC_STAT_AREA) >= min_px;
  return components_mask(cc, keep);
}

// Seen from above, bare skin that sticks out of the head to the bottom or a side of its box
// (`skin` is cropped to the head's box with a margin, or is the whole photo) through a neck
// much narrower than the head is not scalp: the nose of a bowed head, an arm or a hand resting
// beside it. An opening with a disc a quarter of the head's width keeps the scalp (a bald top, a
// crown patch inside the head) and loses those; each piece it loses that reaches the bottom or
// a side is cut off (slivers it shaves off the dome's own outline barely reach them).
// Run at about 200 px across the head: a disc of a 12 MP head would cost seconds.
cv::Mat without_edge_protrusions(const cv::Mat& skin, const cv::Mat& head) {
  const cv::Rect hb = cv::boundingRect(head);
  if (hb.width < 16 || hb.height < 16 || cv::countNonZero(skin) == 0) return skin;
  const double sc = std::min(1.0, 200.0 / std::max(hb.width, hb.height));
  cv::Mat small;
  cv::resize(skin, small, cv::Size(), sc, sc, cv::INTER_AREA);
  small = small > 127;
  const int r =
      std::max(2, static_cast<int>(std::lround(0.125 * sc * std::min(hb.width, hb.height))));
  const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
  cv::Mat kept;
  cv::morphologyEx(small, kept, cv::MORPH_OPEN, disc);
  const cv::Mat lost = small & ~kept;
  cv::Mat cc;
  const int n = cv::connectedComponents(lost, cc, 8, CV_32S);
  // Near the bottom or a side: a bowed head's face and the body come into the photo from
  // there (not from the top, where the dome itself is often cut by the frame). A nose may end
  // a few pixels short of the box's edge.
  const int m = r / 2;
  std::vector<uint8_t> at_edge(n, 0);
  for (int y = 0; y < cc.rows; ++y)
    for (int x = 0; x < cc.cols; ++x)
      if (x <= m || y >= cc.rows - 1 - m || x >= cc.cols - 1 - m) at_edge[cc.at<int>(y, x)] = 1;
  at_edge[0] = 0;
  cv::Mat cut = components_mask(cc, at_edge);
  if (cv::countNonZero(cut) == 0) return skin;
  // A little wider, so the cut's staircase at full size leaves no fringe.
  cv::dilate(cut, cut, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  cv::Mat big;
  cv::resize(cut, big, skin.size(), 0, 0, cv::INTER_LINEAR);
  return skin & (big < 128);
}

// Bare strips narrower than `mm` are the seam between hair and backdrop (the parts map blends
// there) or a parting, not bald scalp: a morphological opening, run at about 1 px per mm.
cv::Mat drop_thin(const cv::Mat& mask, double px_per_mm, double mm) {
  const double sc = std::min(1.0, 1.0 / std::max(1e-6, px_per_mm));
  cv::Mat small;
  cv::resize(mask, small, cv::Size(), sc, sc, cv::INTER_AREA);
  small = small > 127;
  const int r = std::max(1, static_cast<int>(std::lround(0.5 * mm * px_per_mm * sc)));
  cv::morphologyEx(small, small, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  cv::Mat big;
  cv::resize(small, big, mask.size(), 0, 0, cv::INTER_LINEAR);
  return mask & (big > 0);
}

// A high forehead is not a bald scalp: skin above the natural hairline that ends in hair a
// little higher up, along most of its upper edge, is a forehead (or a shallow recession at the
// temples: Norwood 1-2), and only skin that runs on to the head's outline or far past the line
// is bare scalp. `up` is the face's up direction (unit, image coordinates). Islands smaller than
// `min_px` go too (drop_small): one labelling serves both.
cv::Mat drop_small_and_hair_capped(const cv::Mat& bald, double min_px, const cv::Mat& hair,
                                   cv::Point2d up, double px_per_mm) {
  cv::Mat cc, stats, cent;
  const int n = cv::connectedComponentsWithStats(bald, cc, stats, cent, 8, CV_32S);
  std::vector<uint8_t> big(n, 0);
  cv::Rect box;  // the kept islands' box
  for (int i = 1; i < n; ++i) {
    big[i] = stats.at<int>(i, cv::CC_STAT_AREA) >= min_px;
    if (big[i])
      box |= cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                      stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
  }
  if (box.area() == 0) return cv::Mat::zeros(bald.size(), CV_8U);
  // Hair within 4 mm above a pixel: the hair mask dilated, then moved down along `up`. Only
  // read under the islands: dilated and moved on their box, padded by the reach and the
  // kernel (a translation's matrix is the same in the crop's coordinates).
  const double reach = 4 * px_per_mm;
  const int r = std::max(1, static_cast<int>(std::lround(reach / 2)));
  const int pad = r + static_cast<int>(std::ceil(reach)) + 4;
  const cv::Rect crop = padded(box, pad, cv::Rect(0, 0, hair.cols, hair.rows));
  cv::Mat hair_near;
  cv::dilate(hair(crop), hair_near,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1}));
  const cv::Matx23d down(1, 0, -up.x * reach / 2, 0, 1, -up.y * reach / 2);
  cv::warpAffine(hair_near, hair_near, down, crop.size(), cv::INTER_NEAREST);
  // The upper edge: pixels whose neighbour one step up is not in the island.
  const cv::Point step(static_cast<int>(std::lround(up.x * 1.5)),
                       static_cast<int>(std::lround(up.y * 1.5)));
  // Hair this deep above a capped edge is a head of hair, not the rim of stubble a shaved head
  // shows at its outline (the median capped pixel's: Biden 28, Kirk 31, Kaminsky 34 mm of hair;
  // the sample's shaved heads 8-11 mm).
  constexpr double kDeepHairMm = 20;
  std::vector<int> edge(n, 0), capped(n, 0), deep(n, 0);
  for (int y = box.y; y < box.br().y; ++y) {
    const int* c = cc.ptr<int>(y);
    const uint8_t* h = hair_near.ptr<uint8_t>(y - crop.y) - crop.x;
    for (int x = box.x; x < box.br().x; ++x) {
      if (!big[c[x]]) continue;
      int ux = x + step.x, uy = y + step.y;
      bool inside =
          ux >= 0 && uy >= 0 && ux < cc.cols && uy < cc.rows && cc.at<int>(uy, ux) == c[x];
      if (inside) continue;
      ++edge[c[x]];
      if (!h[x]) continue;
      ++capped[c[x]];
      // How deep the hair above runs, along `up` from where it starts (within the reach).
      int depth = 0;
      for (int k = 1; k < kDeepHairMm * px_per_mm; ++k) {
        const int hx = static_cast<int>(std::lround(x + up.x * k)),
                  hy = static_cast<int>(std::lround(y + up.y * k));
        if (hx < 0 || hy < 0 || hx >= hair.cols || hy >= hair.rows) break;
        if (hair.at<uint8_t>(hy, hx))
          ++depth;
        else if (depth || k > reach + 1)
          break;
      }
      deep[c[x]] += depth >= kDeepHairMm * px_per_mm - 1;
    }
  }
  // Deeper than this past the natural line: receded. A Norwood 2 recession reaches up to about
  // 2 cm; 15 mm left high foreheads (Kaminsky 15.2, Lansbury 16.4 mm) counted as bald.
  constexpr double kForeheadMm = 18;
  // Under a deep head of hair (along 40 % of the cap or more; the upper edge's slanted sides
  // meet the head's outline sooner), a hairline up to this far past the line (6.5 + 3 cm above
  // the glabella, within the 7-10 cm of natural hairlines) is a high forehead: Biden's white
  // hair begins 26.6 mm past it, deep along 68 % of the cap. A shaved head's skin ends in a
  // thin rim of stubble (the sample's face 1: 23.1 mm past, deep along 4 %): still bald.
  constexpr double kHighForeheadMm = 30;
  constexpr double kCapped = 0.6;  // share of the upper edge that meets hair
  std::vector<uint8_t> keep(n, 0);
  for (int i = 1; i < n; ++i) {
    if (!big[i]) continue;
    keep[i] = 255;
    if (!edge[i]) continue;
    double thickness_mm = stats.at<int>(i, cv::CC_STAT_AREA) / double(edge[i]) / px_per_mm;
    const bool deep_hair = deep[i] >= 0.4 * capped[i];
    if (capped[i] >= kCapped * edge[i] &&
        thickness_mm < (deep_hair ? kHighForeheadMm : kForeheadMm))
      keep[i] = 0;
  }
  cv::Mat out(bald.size(), CV_8U);
  parallel_for(
      bald.rows,
      [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
          const int* c = cc.ptr<int>(y);
          uint8_t* o = out.ptr<uint8_t>(y);
          for (int x = 0; x < bald.cols; ++x) o[x] = keep[c[x]];
        }
      },
      0, 64);
  return out;
}

// Mean colour of the middle of the L* distribution under a mask: highlights and deep shadows
// are lighting, not the hair's or the skin's own colour.
Lab robust_mean_lab(const cv::Mat& bgr8_full, const cv::Mat& mask_full) {
  const cv::Rect box = cv::boundingRect(mask_full);
  if (box.area() == 0) return mean_lab(bgr8_full, mask_full);
  const cv::Mat bgr8 = bgr8_full(box), mask = mask_full(box);
  // Only L* is needed, and only under the mask: bgr_to_lab's L* (a function of Y alone) on the
  // masked pixels, not the whole box's Lab (three cube roots a pixel).
  const auto& lin = srgb8_to_linear_table();
  auto lightness8 = [&](const cv::Vec3b& p) {
    const float Y = 0.072169f * lin[p[0]] + 0.715160f * lin[p[1]] + 0.212671f * lin[p[2]];
    const float L = Y > 0.008856f ? 116.0f * std::cbrt(Y) - 16.0f : 903.3f * Y;
    return cv::saturate_cast<uint8_t>(L * (255.0f / 100.0f));
  };
  cv::Mat L8(mask.size(), CV_8U);
  int hist[256] = {};
  long n = 0;
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    uint8_t* l = L8.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (m[x]) hist[l[x] = lightness8(p[x])]++, ++n;
  }
  int lo = 0, hi = 255;
  long acc = 0;
  for (int v = 0; v < 256; ++v)
    if ((acc += hist[v]) >= 0.15 * n) {
      lo = v;
      break;
    }
  acc = 0;
  for (int v = 255; v >= 0; --v)
    if ((acc += hist[v]) >= 0.15 * n) {
      hi = v;
      break;
    }
  // mean_lab over the middle of the distribution, summed in the same order.
  cv::Vec3d sum(0, 0, 0);
  double count = 0;
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* m = mask.ptr<uint8_t>(y);
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    const uint8_t* l = L8.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (m[x] && l[x] >= lo && l[x] <= hi) {
        sum += cv::Vec3d(lin[p[x][0]], lin[p[x][1]], lin[p[x][2]]);
        count += 1;
      }
  }
  return count > 0 ? linear_bgr_to_lab(sum / count) : mean_lab(bgr8, mask);
}

// Confidence from how far inside its bin a value lies (1 at the centre, 0.35 at an edge).
NorwoodEstimate from_bins(double v, const double (&edges)[6], double scale) {
  NorwoodEstimate e;
  int k = 0;
  while (k < 6 && v >= edges[k]) ++k;
  e.stage = k + 1;
  double lo = k == 0 ? 0 : edges[k - 1];
  double hi = k == 6 ? edges[5] * 1.5 : edges[k];
  double half = std::max(1e-9, (hi - lo) / 2);
  double inside = std::clamp(1.0 - std::abs(v - (lo + hi) / 2) / half, 0.0, 1.0);
  e.confidence = std::clamp(scale * (0.35 + 0.65 * inside), 0.0, 1.0);
  return e;
}

}  // namespace

const char* to_string(View v) {
  switch (v) {
    case View::kFront:
      return "front";
    case View::kSide:
      return "side";
    case View::kTop:
      return "top";
  }
  return "front";
}

NorwoodEstimate norwood_from_front_area(double a) {
  // Bare scalp seen from the front above a natural hairline, on the dome (not in projection):
  // a receding temple shows a few cm², a fully bald head (stage 7) well over 150 cm².
  static const double edges[6] = {4, 12, 30, 55, 85, 120};
  return from_bins(a, edges, 0.8);
}

NorwoodEstimate norwood_from_front(double bald_area_cm2, double scalp_share) {
  // From the front, the bare share of the scalp above the natural hairline tells a receding
  // front (2-3) from a bare top (5-7) better than the area alone, which depends on how much
  // of the top the camera sees; the area still guards against specks.
  static const double edges[6] = {0.05, 0.14, 0.3, 0.48, 0.64, 0.8};
  NorwoodEstimate by_share = from_bins(scalp_share, edges, 0.75);
  NorwoodEstimate e = by_share;
  // Little bare skin is not a bald top, whatever its share of a small visible scalp.
  const int cap = bald_area_cm2 < 4 ? 2 : bald_area_cm2 < 12 ? 4 : 7;
  if (e.stage > cap) e.stage = cap, e.confidence = 0.4;
  return e;
}

NorwoodEstimate norwood_from_top_share(double s) {
  // Share of the head seen from above that is bare skin.
  static const double edges[6] = {0.06, 0.14, 0.26, 0.38, 0.5, 0.62};
  return from_bins(s, edges, 0.7);
}

namespace {

// analyze_scalp on the head's bounding box (`pitch` measured on the whole photo).
Scalp analyze_scalp_in(const ScalpInput& in, double pitch) {
  Scalp s;
  const ScalpOptions& o = in.options;
  cv::Mat skin = in.parts == kSkin;
  cv::Mat hair = in.parts == kHair;
  s.head_mask = in.parts != kBg;
  double px_per_cm2 = in.px_per_mm * in.px_per_mm * 100.0;
  double min_px = std::max(4.0, o.min_island_cm2 * px_per_cm2);
  cv::Mat face_skin;
  cv::Mat head_hair = hair.clone();
  cv::Point2d dome_c(0, 0);
  double dome_r = 0;  // 0: no dome correction
  int scalp_px = 0;
  if (in.face) {
    const Face& f = *in.face;
    cv::Mat above =
        above_natural_hairline(skin.size(), f, in.px_per_mm, o.natural_hairline_mm, pitch);
    front_dome(s.head_mask, f, in.px_per_mm, dome_c, dome_r);
    // Scalp lies on the cranium: nothing outside its sphere (a parts map can leak into a
    // backdrop of skin colour).
    cv::Mat dome(skin.size(), CV_8U, cv::Scalar(0));
    cv::circle(dome, dome_c, static_cast<int>(std::lround(1.08 * dome_r)), 255, cv::FILLED);
    s.bald_mask =
        drop_small_and_hair_capped(drop_thin(skin & above & dome, in.px_per_mm, o.min_strip_mm),
                                   min_px, hair, FaceFrame(f).up, in.px_per_mm);
    scalp_px = cv::countNonZero(s.head_mask & above & dome);
    // Face skin: the cheeks and nose from the landmarks.
    face_skin = cv::Mat::zeros(skin.size(), CV_8U);
    std::vector<cv::Point> cheeks;
    for (int i : {1, 2, 3, 4, 31, 33, 35, 12, 13, 14, 15, 28})
      cheeks.push_back(cv::Point(f.landmarks[i]));
    std::vector<cv::Point> hull;
    cv::convexHull(cheeks, hull);
    cv::fillConvexPoly(face_skin, hull, 255);
    face_skin &= skin;
    // Hair on the head, not the brows or a beard: above the brows by a quarter of the eyes'
    // distance (roll-aware).
    double brow_mm = 0.25 * f.interpupillary_px() / std::max(1e-6, in.px_per_mm);
    head_hair = hair & above_line(skin.size(), f, in.px_per_mm, brow_mm);
  } else {
    // Not a bowed head's nose or an arm beside it.
    if (in.view == View::kTop) skin = without_edge_protrusions(skin, s.head_mask);
    s.bald_mask = drop_small(skin, min_px);
    face_skin = skin;
    // Seen from above, the head's outline is its widest circle: the dome's sphere.
    cv::Rect bb = cv::boundingRect(s.head_mask);
    if (bb.width >= 8 && bb.height >= 8) {
      dome_c = cv::Point2d(bb.x + bb.width / 2.0, bb.y + bb.height / 2.0);
      dome_r = 0.5 * std::max(bb.width, bb.height);
    }
    scalp_px = cv::countNonZero(s.head_mask);
  }
  s.bald_area_cm2 = px_per_cm2 > 0 ? dome_area_px(s.bald_mask, dome_c, dome_r) / px_per_cm2 : 0;
  int head_px = cv::countNonZero(s.head_mask);
  s.bald_share = head_px > 0 ? double(cv::countNonZero(s.bald_mask)) / head_px : 0;
  s.scalp_share =
      scalp_px > 0 ? std::min(1.0, double(cv::countNonZero(s.bald_mask)) / scalp_px) : 0;

  // Hair shade: prefer hair on the head; a bald man with a beard still has a shade to match.
  const int min_hair = std::max(30, static_cast<int>(0.05 * px_per_cm2));
  cv::Mat shade_src = cv::countNonZero(head_hair) >= min_hair ? head_hair : hair;
  // Seen from above, a head with little hair left shows its fringe at the silhouette, where it
  // mixes with the backdrop; what the map calls hair there is as often a hairy forearm, glasses
  // or a shadow. Too little to match the pigment to.
  const bool too_little_from_above =
      in.view == View::kTop && cv::countNonZero(hair) < kMinTopHairShare * head_px;
  if (!too_little_from_above && cv::countNonZero(shade_src) >= min_hair) {
    Lab lab = robust_mean_lab(in.bgr8, shade_src);
    cv::Vec3d lin = lab_to_linear_bgr(lab);
    auto enc = [](double v) {
      return static_cast<uint8_t>(
          std::clamp(std::lround(linear_to_srgb(std::clamp(v, 0.0, 1.0)) * 255), 0L, 255L));
    };
    s.hair_shade.srgb = cv::Vec3b(enc(lin[2]), enc(lin[1]), enc(lin[0]));
    s.hair_shade.L = lab.L;
    s.hair_shade.found = true;
  }
  cv::Mat tone_src = cv::countNonZero(face_skin) > 20 ? face_skin : skin;
  if (cv::countNonZero(tone_src) > 0) {
    s.skin_tone.lab = robust_mean_lab(in.bgr8, tone_src);
    s.skin_tone.ita = ita_degrees(s.skin_tone.lab);
    s.skin_tone.category = ita_category(s.skin_tone.ita);
  }
  s.norwood = in.face && in.view != View::kTop ? norwood_from_front(s.bald_area_cm2, s.scalp_share)
                                               : norwood_from_top_share(s.bald_share);
  return s;
}

}  // namespace

// The bounding box of the labels that are not background, without a photo-sized mask (a 12 MP
// compare and scan cost ~10 ms): rows in parallel, each row's first and last head pixel.
cv::Rect head_box(const cv::Mat& parts) {
  std::vector<int> first(parts.rows, parts.cols), last(parts.rows, -1);
  parallel_for(
      parts.rows,
      [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
          const uint8_t* p = parts.ptr<uint8_t>(y);
          // Eight labels at a time: most rows of a photo are all background.
          int x = 0;
          for (uint64_t w; x + 8 <= parts.cols; x += 8) {
            std::memcpy(&w, p + x, 8);
            if (w != kAllBg) break;
          }
          while (x < parts.cols && p[x] == kBg) ++x;
          if (x == parts.cols) continue;
          first[y] = x;
          int e = parts.cols - 1;
          while (p[e] == kBg) --e;
          last[y] = e;
        }
      },
      0, 64);
  int x0 = parts.cols, x1 = -1, y0 = -1, y1 = -1;
  for (int y = 0; y < parts.rows; ++y) {
    if (last[y] < 0) continue;
    if (y0 < 0) y0 = y;
    y1 = y;
    x0 = std::min(x0, first[y]);
    x1 = std::max(x1, last[y]);
  }
  if (y0 < 0) return {};
  return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

Scalp analyze_scalp(const ScalpInput& in) {
  const cv::Rect full(0, 0, in.parts.cols, in.parts.rows);
  const double pitch = in.face ? estimate_pose(*in.face, full.size()).pitch : 0.0;
  // Work on the head's box (with the face and a margin): a 12 MP photo is mostly not head.
  cv::Rect roi = head_box(in.parts);
  if (in.face) roi |= cv::Rect(in.face->box);
  const int pad = std::max(8, std::max(roi.width, roi.height) / 20);
  roi = padded(roi, pad, full);
  if (roi.area() == 0 || roi == full) return analyze_scalp_in(in, pitch);
  // ...and at no more than kMaskPxPerMm, by a whole factor (shrink_whole): the parts map is
  // refined at about 1.4 px/mm, so finer masks hold no more information, only more pixels (a
  // 12 MP portrait: 4 px/mm).
  const int n = std::max(1, static_cast<int>(std::ceil(in.px_per_mm / kMaskPxPerMm)));
  roi.width -= roi.width % n;
  roi.height -= roi.height % n;
  const double k = 1.0 / n;
  std::optional<Face> shifted;
  if (in.face) {
    shifted = *in.face;
    const cv::Point2d d(roi.tl());
    for (auto& p : shifted->landmarks) p = (p - d) * k;
    shifted->box = cv::Rect2d((shifted->box.x - d.x) * k, (shifted->box.y - d.y) * k,
                              shifted->box.width * k, shifted->box.height * k);
  }
  const cv::Mat bgr = shrink_whole(in.bgr8(roi), n),
                parts = shrink_whole(in.parts(roi), n, cv::INTER_NEAREST);
  ScalpInput sub{bgr, parts, shifted ? &*shifted : nullptr, in.px_per_mm * k, in.view, in.options};
  Scalp s = analyze_scalp_in(sub, pitch);
  for (cv::Mat* m : {&s.bald_mask, &s.head_mask}) {
    cv::Mat big(full.size(), CV_8U, cv::Scalar(0));
    if (n > 1) {
      // Smooth edges, not blocks: bilinear, then halfway.
      cv::resize(*m, big(roi), roi.size(), 0, 0, cv::INTER_LINEAR);
      cv::threshold(big(roi), big(roi), 127, 255, cv::THRESH_BINARY);
    } else {
      m->copyTo(big(roi));
    }
    *m = big;
  }
  return s;
}

}  // namespace smp
