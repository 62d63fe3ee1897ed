// The optics of a pigment impression: in linear light, the skin's diffuse light is multiplied
// by the dot's transmittance (carbon under the epidermis), integrated over each pixel the dot
// covers; the specular (white) part of the light stays on top.
#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/image/colour.h"
#include "smp/render/render.h"

namespace smp {

namespace {

// Φ(z), the standard normal CDF, tabulated on [-4, 4]: a dot's soft (scattered) edge.
struct PhiTable {
  static constexpr int kN = 1024;
  static constexpr float kLo = -4, kHi = 4;
  std::array<float, kN + 1> v;
  PhiTable() {
    for (int i = 0; i <= kN; ++i)
      v[i] = static_cast<float>(0.5 * std::erfc(-(kLo + (kHi - kLo) * i / kN) / std::sqrt(2.0)));
  }
  float operator()(float z) const {
    float t = (z - kLo) * (kN / (kHi - kLo));
    if (t <= 0) return 0;
    if (t >= kN) return 1;
    int i = static_cast<int>(t);
    float f = t - i;
    return v[i] + f * (v[i + 1] - v[i]);
  }
};
const PhiTable& phi() {
  static const PhiTable t;
  return t;
}

// Linear light -> sRGB 8-bit, fine enough near black (0.2 code steps).
struct EncodeTable {
  static constexpr int kN = 16384;
  std::array<uint8_t, kN + 1> v;
  EncodeTable() {
    for (int i = 0; i <= kN; ++i)
      v[i] = static_cast<uint8_t>(
          std::clamp(std::lround(linear_to_srgb(double(i) / kN) * 255.0), 0L, 255L));
  }
  uint8_t operator()(float x) const {
    int i = static_cast<int>(x * kN + 0.5f);
    return v[std::clamp(i, 0, kN)];
  }
};
const EncodeTable& encode_table() {
  static const EncodeTable t;
  return t;
}

// exp(-e) on [0, 12] (beyond, nothing is left), tabulated: a halo's shape, sample by sample.
struct ExpTable {
  static constexpr int kN = 2048;
  static constexpr float kHi = 12;
  std::array<float, kN + 2> v;
  ExpTable() {
    for (int i = 0; i <= kN + 1; ++i) v[i] = static_cast<float>(std::exp(-double(kHi) * i / kN));
  }
  float operator()(float e) const {
    if (e >= kHi) return 0;
    float t = e * (kN / kHi);
    int i = static_cast<int>(t);
    float f = t - i;
    return v[i] + f * (v[i + 1] - v[i]);
  }
};
const ExpTable& exp_table() {
  static const ExpTable t;
  return t;
}

// One impression ready to splat, in photo pixels.
struct Dot {
  float cx, cy;
  float R, inv_fs, sigma;
  float nx, ny;            // unit minor axis (foreshortened direction)
  int ux0, uy0, ux1, uy1;  // footprint, inclusive, not clipped
  int x0, y0, x1, y1;      // footprint, inclusive, clipped to the image
  size_t w_off = 0;        // its coverage in the weights buffer: rows y0..y1 of x0..x1
  bool live = false;       // has a footprint on the photo and some darkening
  float mass = 0;          // the core's darkening summed over its footprint (px²)
  float h_inv2s2 = 0;      // its own halo: 1 / (2 sigma²) in its (stretched back) frame, px
  float h_peak = 0;        // ...and the halo's coverage at its centre (0: no halo)
  cv::Vec3f alpha;         // 1 - transmittance of the core, per channel (B, G, R)
};

// The core disc's profile and the halo's shape at (x, y), before the mass normalisation.
inline void profile_and_halo(const Dot& d, const PhiTable& ph, const ExpTable& ex, int x, int y,
                             float& p, float& h) {
  float dx = x - d.cx, dy = y - d.cy;
  float a = (dx * d.nx + dy * d.ny) * d.inv_fs;  // along the minor axis, stretched back
  float b = -dx * d.ny + dy * d.nx;
  float r2 = a * a + b * b;
  p = ph((d.R - std::sqrt(r2)) / d.sigma);
  h = ex(r2 * d.h_inv2s2);
}

// A smooth field over the photo, on a grid of k x k photo pixels whose corners sit on multiples
// of k in the photo (a window of the photo gets the same grid), covering points (the dots) with a
// margin: values splatted at points (shared bilinearly by the four nearest cells), blurred,
// read back bilinearly at pixel centres. T: float or cv::Vec3f.
template <typename T>
struct DotGrid {
  int k = 1;             // photo px per cell
  int gx0 = 0, gy0 = 0;  // photo px of cell (0, 0)'s corner
  cv::Mat m;             // of T, zero at first

  // Over the points' extent (photo px) and `pad` px more.
  DotGrid(cv::Rect2f extent, int k_, float pad) : k(k_) {
    gx0 = static_cast<int>(std::floor((extent.x - pad) / k)) * k;
    gy0 = static_cast<int>(std::floor((extent.y - pad) / k)) * k;
    const int gw = static_cast<int>(std::ceil((extent.br().x + pad - gx0) / k)) + 1;
    const int gh = static_cast<int>(std::ceil((extent.br().y + pad - gy0) / k)) + 1;
    m = cv::Mat::zeros(gh, gw, cv::traits::Type<T>::value);
  }
  // Cell index and weight of a photo coordinate: the cell whose centre is at or before it,
  // and how far towards the next.
  static void cell(float X, int k, int g0, int& c, float& f) {
    const float u = (X - g0) / k - 0.5f;
    c = static_cast<int>(std::floor(u));
    f = u - c;
  }
  void splat(float X, float Y, const T& v) {
    int j, i;
    float fu, fv;
    cell(X, k, gx0, j, fu);
    cell(Y, k, gy0, i, fv);
    m.at<T>(i, j) += v * ((1 - fu) * (1 - fv));
    m.at<T>(i, j + 1) += v * (fu * (1 - fv));
    m.at<T>(i + 1, j) += v * ((1 - fu) * fv);
    m.at<T>(i + 1, j + 1) += v * (fu * fv);
  }
  void blur(double sigma_px) {
    cv::GaussianBlur(m, m, cv::Size(), sigma_px / k, sigma_px / k, cv::BORDER_CONSTANT);
  }
  // Where the centres of photo columns x0..x1 (and of one row) fall on the grid.
  void columns(int x0, int x1, std::vector<int>& c, std::vector<float>& f) const {
    for (int x = x0; x <= x1; ++x) {
      int ci;
      float fi;
      cell(x + 0.5f, k, gx0, ci, fi);
      c.push_back(std::clamp(ci, 0, m.cols - 2));
      f.push_back(fi);
    }
  }
  void row(int y, int& c, float& f) const {
    cell(y + 0.5f, k, gy0, c, f);
    c = std::clamp(c, 0, m.rows - 2);
  }
  T at(const std::vector<int>& cx, const std::vector<float>& fx, int col, int cy, float fy) const {
    const T* r0 = m.ptr<T>(cy);
    const T* r1 = m.ptr<T>(cy + 1);
    const int j = cx[col];
    const float f = fx[col];
    const T top = r0[j] + (r0[j + 1] - r0[j]) * f;
    const T bottom = r1[j] + (r1[j + 1] - r1[j]) * f;
    return top + (bottom - top) * fy;
  }
};

float smoothstep(float e0, float e1, float x) {
  float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3 - 2 * t);
}

}  // namespace

float estimate_camera_blur(const cv::Mat& bgr8, const cv::Mat& mask8) {
  // The mask at the photo's size as cv::resize(INTER_NEAREST) makes it (destination x reads
  // source min(floor(x / (dw / sw)), sw - 1)), but only its bounding box and the window are
  // made: a 12 MP copy and scan of it cost ~10 ms.
  const cv::Size ss = mask8.size(), ds = bgr8.size();
  const double ifx = 1. / (static_cast<double>(ds.width) / ss.width);
  const double ify = 1. / (static_cast<double>(ds.height) / ss.height);
  std::vector<int> sx(ds.width), sy(ds.height);
  for (int x = 0; x < ds.width; ++x) sx[x] = std::min(cvFloor(x * ifx), ss.width - 1);
  for (int y = 0; y < ds.height; ++y) sy[y] = std::min(cvFloor(y * ify), ss.height - 1);
  // Source columns (rows) with a set cell on a source row (column) the photo's pixels read.
  std::vector<uint8_t> read_x(ss.width, 0), read_y(ss.height, 0), col_set(ss.width, 0),
      row_set(ss.height, 0);
  for (int x : sx) read_x[x] = 1;
  for (int y : sy) read_y[y] = 1;
  for (int y = 0; y < ss.height; ++y) {
    if (!read_y[y]) continue;
    const uint8_t* p = mask8.ptr<uint8_t>(y);
    for (int x = 0; x < ss.width; ++x)
      if (p[x] && read_x[x]) col_set[x] = row_set[y] = 1;
  }
  int x0 = 0, x1 = ds.width - 1, y0 = 0, y1 = ds.height - 1;
  while (x0 < ds.width && !col_set[sx[x0]]) ++x0;
  if (x0 == ds.width) return 0.5f;
  while (!col_set[sx[x1]]) --x1;
  while (!row_set[sy[y0]]) ++y0;
  while (!row_set[sy[y1]]) --y1;
  const cv::Rect bb(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
  if (bb.area() < 64) return 0.5f;
  // A window of at most 600 px around the area's centre is plenty.
  cv::Point c(bb.x + bb.width / 2, bb.y + bb.height / 2);
  cv::Rect win = cv::Rect(c.x - 300, c.y - 300, 600, 600) & bb;
  cv::Mat mw(win.size(), CV_8U);
  for (int y = 0; y < win.height; ++y) {
    const uint8_t* p = mask8.ptr<uint8_t>(sy[win.y + y]);
    uint8_t* o = mw.ptr<uint8_t>(y);
    for (int x = 0; x < win.width; ++x) o[x] = p[sx[win.x + x]];
  }
  cv::Mat g;
  cv::cvtColor(bgr8(win), g, cv::COLOR_BGR2GRAY);
  g.convertTo(g, CV_32F);
  cv::Mat r;
  cv::GaussianBlur(g, r, cv::Size(), 1.0);
  auto energy = [&](const cv::Mat& x) {
    cv::Mat gx, gy;
    cv::Sobel(x, gx, CV_32F, 1, 0);
    cv::Sobel(x, gy, CV_32F, 0, 1);
    cv::Mat e = gx.mul(gx) + gy.mul(gy);
    return cv::mean(e, mw)[0];
  };
  double e0 = energy(g), e1 = energy(r);
  if (e0 <= 1e-9) return 0.5f;
  // For a Gaussian-blurred texture, gradient energy falls as sigma^-4: the ratio gives sigma.
  double q = std::sqrt(std::clamp(e1 / e0, 0.01, 0.95));
  double sigma2 = q / (1 - q) - 0.25;  // less the pixel's own footprint
  return static_cast<float>(std::clamp(std::sqrt(std::max(0.0, sigma2)), 0.0, 3.0));
}

cv::Mat render_impressions(const cv::Mat& bgr8, const std::vector<Impression>& impressions,
                           const RenderParams& params) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  cv::Mat out = bgr8.clone();
  render_impressions_into(out, impressions, params);
  return out;
}

cv::Mat render_impressions_window(const cv::Mat& bgr8, const std::vector<Impression>& impressions,
                                  RenderParams params, const cv::Rect& window) {
  if (window == cv::Rect(0, 0, bgr8.cols, bgr8.rows))
    return render_impressions(bgr8, impressions, params);
  params.window = window;
  params.photo_size = bgr8.size();
  cv::Mat out = bgr8(window).clone();
  render_impressions_into(out, impressions, params);
  return out;
}

void render_impressions_into(cv::Mat& bgr8, const std::vector<Impression>& impressions,
                             const RenderParams& params) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  // Each pixel is read before it is written, by the one thread that owns its row.
  cv::Mat& out = bgr8;
  const int W = bgr8.cols, H = bgr8.rows;
  // Photo px of the image's corner, and the photo's size (the mask's scale).
  const bool crop = !params.window.empty();
  SMP_CHECK(!crop || params.window.size() == bgr8.size());
  const int ox = crop ? params.window.x : 0, oy = crop ? params.window.y : 0;
  const cv::Size photo = crop ? params.photo_size : bgr8.size();
  const cv::Mat& mask = params.treated_mask;
  SMP_CHECK(mask.empty() || mask.type() == CV_8U);
  const float mask_sx = mask.empty() ? 1.0f : static_cast<float>(mask.cols) / photo.width;
  const float mask_sy = mask.empty() ? 1.0f : static_cast<float>(mask.rows) / photo.height;

  std::vector<const Impression*> todo;
  for (const auto& imp : impressions)
    if (imp.session <= params.max_session && imp.density > 0 && imp.diameter_mm > 0 &&
        imp.px_per_mm > 0)
      todo.push_back(&imp);
  if (todo.empty()) return;

  // Dots: geometry, footprint and the per-pixel mass normalisation, which makes the total
  // darkening of a dot independent of where it falls on the pixel grid (and of resolution).
  const Pigment& pig = params.pigment;
  const float cam2 = params.camera_blur_px * params.camera_blur_px;
  // Pixel prefilter (a little wider than the pixel's box) so sub-pixel dots spread smoothly.
  const float sigma_p2 = 0.25f;
  // A typical dot: the one at the median scale (the fields below are sized by it).
  const Impression& typical = [&]() -> const Impression& {
    std::vector<const Impression*> by_scale = todo;
    std::nth_element(by_scale.begin(), by_scale.begin() + by_scale.size() / 2, by_scale.end(),
                     [](auto* a, auto* b) { return a->px_per_mm < b->px_per_mm; });
    return *by_scale[by_scale.size() / 2];
  }();
  // The halos dot by dot (each in its dot's footprint, as wide as the halo), or as one field
  // (a DotGrid) when a halo's footprint is much larger than its disc's: a close-up photo, whose
  // dots are sharp and 9 px halos 4000 px each. On the typical dot.
  const bool with_halo = pig.halo_mass > 0 && pig.halo_sigma_mm > 0;
  bool field = false;
  if (with_halo) {
    const Impression& m = typical;
    const float R = 0.5f * m.diameter_mm * m.px_per_mm, se = std::max(0.0f, m.softness) * R;
    const float disc_reach = R + 3 * std::sqrt(se * se + sigma_p2 + cam2);
    const float hs = pig.halo_sigma_mm * m.px_per_mm;
    field = 3.2f * std::sqrt(hs * hs + sigma_p2 + cam2) > 2 * disc_reach;
  }
  std::vector<Dot> dots(todo.size());
  // Geometry and footprints first, then every dot's coverage in one buffer: each footprint is
  // evaluated once, its sum normalises the dot's mass and the splat reads the result.
  for (size_t i = 0; i < todo.size(); ++i) {
    const Impression& imp = *todo[i];
    Dot& d = dots[i];
    d.cx = imp.pos_px.x - static_cast<float>(ox);
    d.cy = imp.pos_px.y - static_cast<float>(oy);
    float fs = std::clamp(imp.foreshortening, 0.1f, 1.0f);
    d.R = 0.5f * imp.diameter_mm * imp.px_per_mm;
    float sigma_e = std::max(0.0f, imp.softness) * d.R;
    d.sigma = std::sqrt(sigma_e * sigma_e + sigma_p2 / fs + cam2 / fs);
    d.inv_fs = 1.0f / fs;
    d.nx = std::cos(imp.axis_rad);
    d.ny = std::sin(imp.axis_rad);
    // The halo, blurred like the disc by the pixel and the camera.
    const float hs = std::max(0.0f, pig.halo_sigma_mm) * imp.px_per_mm;
    const float hsig2 = hs * hs + sigma_p2 / fs + cam2 / fs;
    if (with_halo) d.h_inv2s2 = 1.0f / (2 * hsig2);
    // Reach of the disc (and its halo, dot by dot) in the dot's own (stretched back) frame,
    // then the bounding box of that ellipse on the photo: a foreshortened dot is narrow along
    // its minor axis. With the field the footprint is the disc's alone, to 2.5 sigma (its
    // profile is 0.6 % there; the mass normalisation keeps the rest): a fifth fewer pixels.
    const float reach =
        field ? d.R + 2.5f * d.sigma
              : std::max(d.R + 3.0f * d.sigma, with_halo ? 3.2f * std::sqrt(hsig2) : 0.0f);
    const float ext_x = std::hypot(reach * fs * d.nx, reach * d.ny) + 1.0f;
    const float ext_y = std::hypot(reach * fs * d.ny, reach * d.nx) + 1.0f;
    d.ux0 = static_cast<int>(std::floor(d.cx - ext_x));
    d.ux1 = static_cast<int>(std::ceil(d.cx + ext_x));
    d.uy0 = static_cast<int>(std::floor(d.cy - ext_y));
    d.uy1 = static_cast<int>(std::ceil(d.cy + ext_y));
    d.x0 = std::max(0, d.ux0);
    d.x1 = std::min(W - 1, d.ux1);
    d.y0 = std::max(0, d.uy0);
    d.y1 = std::min(H - 1, d.uy1);
    d.live = d.x0 <= d.x1 && d.y0 <= d.y1;
    for (int c = 0; c < 3; ++c) {
      float t = std::exp(-pig.od[c] * imp.density * imp.tint[c]);
      d.alpha[c] = 1.0f - std::max(pig.min_transmittance, t);
    }
    d.mass = static_cast<float>(M_PI) * (d.R * d.R + sigma_e * sigma_e) * fs;
    // With the field, the dot's own halo over its disc: added to the disc's coverage (a core
    // at full strength, as dot by dot), and divided out of the field's there.
    if (with_halo && field)
      d.h_peak = pig.halo_mass * d.mass / (2 * static_cast<float>(M_PI) * hsig2 * fs);
  }
  size_t total = 0;
  for (Dot& d : dots)
    if (d.live) {
      d.w_off = total;
      total += static_cast<size_t>(d.x1 - d.x0 + 1) * (d.y1 - d.y0 + 1);
    }
  // Per pixel of a footprint: the dot's coverage with its halo added (at most 1); with the
  // field, the dot's own halo's coverage too, which the field also holds and the splat divides
  // out.
  std::vector<float> weights(total), own_halo(field ? total : 0);
  parallel_for(static_cast<int>(todo.size()), [&](int i0, int i1) {
    const PhiTable& ph = phi();
    const ExpTable& ex = exp_table();
    std::vector<float> pv, hv;
    for (int i = i0; i < i1; ++i) {
      Dot& d = dots[i];
      if (!d.live) continue;
      const float mass = d.mass;
      // Normalise over the unclipped footprint so dots at the photo's edge are not darker, and
      // so the darkening of a dot does not depend on where it falls on the pixel grid.
      const int uw = d.ux1 - d.ux0 + 1, uh = d.uy1 - d.uy0 + 1;
      pv.resize(static_cast<size_t>(uw) * uh);
      hv.resize(pv.size());
      double sum = 0, hsum = 0;
      for (int y = d.uy0, k = 0; y <= d.uy1; ++y)
        for (int x = d.ux0; x <= d.ux1; ++x, ++k) {
          profile_and_halo(d, ph, ex, x, y, pv[k], hv[k]);
          sum += pv[k];
          hsum += hv[k];
        }
      const float scale = sum > 1e-9 ? static_cast<float>(mass / sum) : 0.0f;
      // Dot by dot the halo's samples are normalised too; with the field, its peak is known
      // (the footprint holds the disc, not the whole halo).
      const float h_scale = field ? d.h_peak
                            : d.h_inv2s2 > 0 && hsum > 1e-9
                                ? static_cast<float>(pig.halo_mass * mass / hsum)
                                : 0.0f;
      if (scale <= 0) {
        d.live = false;
        continue;
      }
      float* w = weights.data() + d.w_off;
      float* oh = field ? own_halo.data() + d.w_off : nullptr;
      for (int y = d.y0; y <= d.y1; ++y) {
        const size_t k0 = static_cast<size_t>(y - d.uy0) * uw;
        for (int x = d.x0; x <= d.x1; ++x) {
          const size_t k = k0 + (x - d.ux0);
          const float h = h_scale * hv[k];
          *w++ = std::min(1.0f, scale * pv[k] + h);
          if (oh) *oh++ = h;
        }
      }
    }
  });
  std::vector<int> order;
  order.reserve(dots.size());
  for (size_t i = 0; i < dots.size(); ++i)
    if (dots[i].live) order.push_back(static_cast<int>(i));
  std::sort(order.begin(), order.end(), [&](int a, int b) { return dots[a].y0 < dots[b].y0; });
  int bx0 = W, bx1 = -1, by0 = H, by1 = -1, max_h = 0;
  for (int i : order) {
    const Dot& d = dots[i];
    bx0 = std::min(bx0, d.x0);
    bx1 = std::max(bx1, d.x1);
    by0 = std::min(by0, d.y0);
    by1 = std::max(by1, d.y1);
    max_h = std::max(max_h, d.y1 - d.y0 + 1);
  }
  // The dots' centres on the photo.
  cv::Rect2f extent;
  {
    float X0 = 1e30f, X1 = -1e30f, Y0 = 1e30f, Y1 = -1e30f;
    for (const Dot& d : dots) {
      X0 = std::min(X0, d.cx + ox), X1 = std::max(X1, d.cx + ox);
      Y0 = std::min(Y0, d.cy + oy), Y1 = std::max(Y1, d.cy + oy);
    }
    extent = cv::Rect2f(X0, Y0, X1 - X0, Y1 - Y0);
  }
  // The dots' halos as one field (when `field`): each dot's halo darkening (its mass, per photo
  // pixel of a cell) splatted at its centre, in the dots' order (the same field on every thread
  // count), blurred by the halo's width, then its transmittance exp(-od), interpolated between
  // the cells below (the field is smooth over a cell: sigma >= 1.5 cells). A halo is wide
  // (sigma 0.5 mm: 9 px at 18 px/mm) and faint (a tenth of the core's darkening at most); drawn
  // dot by dot, 4000 pixels each, it was most of the render's time and memory on a close-up.
  // The halos of a foreshortened spot are round here, not squashed as the dots are: a faint
  // shadow, cut at the treated area's edge.
  std::optional<DotGrid<cv::Vec3f>> halo;
  if (field) {
    const float hs = pig.halo_sigma_mm * typical.px_per_mm;
    const float hsig = std::sqrt(hs * hs + sigma_p2 + cam2);   // pixel and camera, as the core's
    const int k = std::max(1, static_cast<int>(hsig / 1.5f));  // >= 1.5 cells a sigma
    // Cells to 4 sigma past the outermost dots (the blur's reach) and one more.
    halo.emplace(extent, k, 4 * hsig + 2 * k);
    const float per_px = pig.halo_mass / static_cast<float>(k * k);
    for (const Dot& d : dots)
      halo->splat(d.cx + ox + 0.5f, d.cy + oy + 0.5f, d.alpha * (per_px * d.mass));
    halo->blur(hsig);
    for (int i = 0; i < halo->m.rows; ++i) {
      cv::Vec3f* r = halo->m.ptr<cv::Vec3f>(i);
      for (int j = 0; j < halo->m.cols; ++j)
        for (int ch = 0; ch < 3; ++ch) r[j][ch] = std::exp(-std::max(0.0f, r[j][ch]));
    }
    const float reach = 3.2f * hsig;  // the photo pixels it darkens
    bx0 = std::min(bx0, std::max(0, static_cast<int>(std::floor(extent.x - ox - reach))));
    bx1 = std::min(W - 1, std::max(bx1, static_cast<int>(std::ceil(extent.br().x - ox + reach))));
    by0 = std::min(by0, std::max(0, static_cast<int>(std::floor(extent.y - oy - reach))));
    by1 = std::min(H - 1, std::max(by1, static_cast<int>(std::ceil(extent.br().y - oy + reach))));
  }
  if (bx1 < bx0 || by1 < by0) return;
  const int bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
  // Each column's cell of the treated mask (nearest, as the photo's pixel centre falls).
  std::vector<int> mask_col(bw);
  if (!mask.empty())
    for (int x = bx0; x <= bx1; ++x)
      mask_col[x - bx0] = std::min(mask.cols - 1, static_cast<int>((x + ox + 0.5f) * mask_sx));
  // Each column's cell and weight on the halo grid.
  std::vector<int> hcx;
  std::vector<float> hfx;
  if (halo) halo->columns(bx0 + ox, bx1 + ox, hcx, hfx);

  // The skin's diffuse colour (chromaticity) and typical brightness, from the pixels under the
  // dots: what is whiter and brighter than that is specular light and stays on top.
  const auto& lut = srgb8_to_linear_table();
  cv::Vec3f k(1, 1, 1);
  float y_skin = 1;
  {
    std::vector<cv::Vec4f> samples;
    size_t stride = std::max<size_t>(1, dots.size() / 4000);
    for (size_t i = 0; i < dots.size(); i += stride) {
      int x = std::clamp(static_cast<int>(dots[i].cx), 0, W - 1),
          y = std::clamp(static_cast<int>(dots[i].cy), 0, H - 1);
      cv::Vec3b p = bgr8.at<cv::Vec3b>(y, x);
      cv::Vec3f c(lut[p[0]], lut[p[1]], lut[p[2]]);
      float Y = 0.0722f * c[0] + 0.7152f * c[1] + 0.2126f * c[2];
      samples.emplace_back(c[0], c[1], c[2], Y);
    }
    std::sort(samples.begin(), samples.end(), [](auto& a, auto& b) { return a[3] < b[3]; });
    y_skin = std::max(1e-3f, samples[samples.size() / 2][3]);
    cv::Vec3f sum(0, 0, 0);
    for (size_t i = 0; i <= samples.size() / 2; ++i)
      sum += cv::Vec3f(samples[i][0], samples[i][1], samples[i][2]);
    float n = static_cast<float>(cv::norm(sum));
    if (n > 1e-6f) k = sum / n;
  }
  // Least squares for c = s k + h (1, 1, 1): h is the white (specular) part.
  const float kk = k.dot(k), k1 = k[0] + k[1] + k[2];
  const float det = kk * 3 - k1 * k1;
  const bool highlights = params.keep_highlights && std::abs(det) > 1e-4f;
  // The light on the skin around each pixel: the mean luminance under the dots within ~3 cm
  // (Gaussian). Specular light is what is brighter than this, not than the whole scalp's
  // median: a scalp lit more from one side is brighter there, not shiny.
  std::optional<DotGrid<float>> light;
  std::vector<int> lcx;
  std::vector<float> lfx;
  if (highlights) {
    const float sigma = 30.0f * typical.px_per_mm;           // photo px
    const int k = std::max(1, static_cast<int>(sigma / 5));  // 5 cells a sigma
    // Past the dots by the blur's reach, far more than a footprint's (lookups beyond are
    // clamped anyway).
    light.emplace(extent, k, 3 * sigma + 2 * k);
    DotGrid<float> weight(extent, k, 3 * sigma + 2 * k);
    for (const Dot& d : dots) {
      const int px = std::clamp(static_cast<int>(d.cx), 0, W - 1),
                py = std::clamp(static_cast<int>(d.cy), 0, H - 1);
      const cv::Vec3b p = bgr8.at<cv::Vec3b>(py, px);
      light->splat(d.cx + ox + 0.5f, d.cy + oy + 0.5f,
                   0.0722f * lut[p[0]] + 0.7152f * lut[p[1]] + 0.2126f * lut[p[2]]);
      weight.splat(d.cx + ox + 0.5f, d.cy + oy + 0.5f, 1.0f);
    }
    light->blur(sigma);
    weight.blur(sigma);
    for (int i = 0; i < light->m.rows; ++i) {
      float* l = light->m.ptr<float>(i);
      const float* w = weight.m.ptr<float>(i);
      for (int j = 0; j < light->m.cols; ++j) l[j] = w[j] > 1e-3f ? l[j] / w[j] : y_skin;
    }
    light->columns(bx0 + ox, bx1 + ox, lcx, lfx);
  }

  const int band_rows = 32;
  const int nbands = (bh + band_rows - 1) / band_rows;
  const auto& enc = encode_table();
  parallel_for(
      nbands,
      [&](int b0, int b1) {
        std::vector<cv::Vec3f> T(static_cast<size_t>(band_rows) * bw);
        for (int band = b0; band < b1; ++band) {
          const int ry0 = by0 + band * band_rows, ry1 = std::min(by1, ry0 + band_rows - 1);
          std::fill(T.begin(), T.end(), cv::Vec3f(1, 1, 1));
          // Dots whose footprint reaches this band: their top is at most max_h rows above.
          auto it = std::lower_bound(order.begin(), order.end(), ry0 - max_h,
                                     [&](int i, int v) { return dots[i].y0 < v; });
          bool any = false;
          for (; it != order.end() && dots[*it].y0 <= ry1; ++it) {
            const Dot& d = dots[*it];
            if (d.y1 < ry0) continue;
            any = true;
            const int dw = d.x1 - d.x0 + 1;
            for (int y = std::max(ry0, d.y0); y <= std::min(ry1, d.y1); ++y) {
              cv::Vec3f* t = T.data() + static_cast<size_t>(y - ry0) * bw + (d.x0 - bx0);
              const size_t off = d.w_off + static_cast<size_t>(y - d.y0) * dw;
              const float* w = weights.data() + off;
              if (!field) {
                for (int x = 0; x < dw; ++x) {
                  const float cov = w[x];
                  if (cov <= 1e-5f) continue;
                  t[x][0] *= 1.0f - cov * d.alpha[0];
                  t[x][1] *= 1.0f - cov * d.alpha[1];
                  t[x][2] *= 1.0f - cov * d.alpha[2];
                }
                continue;
              }
              const float* oh = own_halo.data() + off;
              for (int x = 0; x < dw; ++x) {
                const float cov = w[x];
                if (cov <= 1e-5f) continue;
                for (int ch = 0; ch < 3; ++ch) {
                  // The disc with its own halo, less that halo as the field has it:
                  // exp(a h) for a h <= ~0.3, to 1e-4.
                  const float ah = d.alpha[ch] * oh[x];
                  const float back = 1.0f + ah * (1.0f + ah * (0.5f + ah * (1.0f / 6)));
                  t[x][ch] *= (1.0f - cov * d.alpha[ch]) * back;
                }
              }
            }
          }
          if (!any && !halo) continue;
          for (int y = ry0; y <= ry1; ++y) {
            const cv::Vec3f* t = T.data() + static_cast<size_t>(y - ry0) * bw;
            int hcy = 0;
            float hfy = 0;
            if (halo) halo->row(y + oy, hcy, hfy);
            const cv::Vec3b* in = bgr8.ptr<cv::Vec3b>(y);
            cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
            int lcy = 0;
            float lfy = 0;
            if (light) light->row(y + oy, lcy, lfy);
            const uint8_t* mrow = nullptr;
            if (!mask.empty())
              mrow = mask.ptr<uint8_t>(
                  std::min(mask.rows - 1, static_cast<int>((y + oy + 0.5f) * mask_sy)));
            for (int x = bx0; x <= bx1; ++x) {
              // Outside the treated area nothing changes (and no halo is looked up).
              if (mrow && !mrow[mask_col[x - bx0]]) continue;
              cv::Vec3f tr = t[x - bx0];
              if (halo) {
                const cv::Vec3f ht = halo->at(hcx, hfx, x - bx0, hcy, hfy);
                tr = tr.mul(ht);
              }
              if (tr[0] >= 1.0f && tr[1] >= 1.0f && tr[2] >= 1.0f) continue;
              cv::Vec3b p = in[x];
              cv::Vec3f c(lut[p[0]], lut[p[1]], lut[p[2]]);
              float h = 0;
              if (highlights) {
                float kc = k.dot(c), c1 = c[0] + c[1] + c[2];
                h = (kk * c1 - k1 * kc) / det;
                if (h > 0) {  // whiter than the skin: how much brighter than the light around
                  float cmin = std::min(c[0], std::min(c[1], c[2]));
                  float Y = 0.0722f * c[0] + 0.7152f * c[1] + 0.2126f * c[2];
                  const float y_ref = std::max(y_skin, light->at(lcx, lfx, x - bx0, lcy, lfy));
                  h = std::min(h, cmin) * smoothstep(y_ref, 1.6f * y_ref, Y);
                } else {
                  h = 0;
                }
              }
              for (int ch = 0; ch < 3; ++ch) {
                uint8_t v = enc((c[ch] - h) * tr[ch] + h);
                o[x][ch] = std::min(v, p[ch]);  // the pigment never brightens the skin
              }
            }
          }
        }
      },
      params.nthreads, 1);
}

}  // namespace smp
