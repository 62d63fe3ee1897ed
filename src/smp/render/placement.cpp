// Impression placement: variable-radius Poisson-disk sampling (Bridson 2007), one pass per
// session, each seeded with the dots already there, so later sessions fill in between.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/core/errors.h"
#include "smp/render/render.h"

namespace smp {

namespace {

// Radius of the Poisson disks: r = sqrt(kPacking / density). Chosen so that the sampler (kTries
// per active point, later sessions filling in between earlier ones) slightly overshoots every
// session's share; the exact count is then reached by dropping a random few.
constexpr double kPacking = 0.54;
// Candidates per active point. 12 instead of 24 halves placement, which was half of a studio
// preview's re-render; the looser packing is made up by the smaller radius above.
constexpr int kTries = 12;
// Below this share of the session's density, dots are thinned at random instead of spread
// further apart: the single dots at the very front of a hairline.
constexpr double kSparseShare = 0.25;
// Up to this reach (grid cells) a candidate's neighbourhood is scanned from a sorted list.
constexpr int kMaxListedReach = 12;

struct MapLookup {
  const TreatmentMap& m;
  // Map cell of a photo position, or false outside the map.
  bool cell(cv::Point2f p, int& x, int& y) const {
    x = static_cast<int>(std::floor((p.x + 0.5) * m.scale));
    y = static_cast<int>(std::floor((p.y + 0.5) * m.scale));
    return x >= 0 && y >= 0 && x < m.treated.cols && y < m.treated.rows;
  }
};

uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

}  // namespace

std::vector<Impression> place_impressions(const TreatmentMap& map, const PlacementOptions& opt) {
  if (opt.sessions < 1 || opt.sessions > 4)
    throw UsageError("--sessions " + std::to_string(opt.sessions) + ": must be 1-4");
  SMP_CHECK(!map.treated.empty() && map.density.type() == CV_32F);
  const double ppm = map.px_per_mm;
  const double s = map.scale;
  MapLookup look{map};
  std::mt19937 rng(opt.seed);
  std::uniform_real_distribution<float> uni(0, 1);

  // Extent of the treated area on the photo, and the densest spot (smallest radius).
  cv::Rect bb = cv::boundingRect(map.treated);
  if (bb.empty()) return {};
  double max_px_density = 0;  // impressions per photo px² at 100 %
  for (int y = bb.y; y < bb.y + bb.height; ++y)
    for (int x = bb.x; x < bb.x + bb.width; ++x)
      if (map.treated.at<uint8_t>(y, x))
        max_px_density =
            std::max(max_px_density, map.density.at<float>(y, x) / 100.0 / (ppm * ppm) /
                                         map.foreshortening.at<float>(y, x));
  if (max_px_density <= 0) return {};
  double max_share = 0;
  for (int k = 0; k < opt.sessions; ++k) max_share = std::max(max_share, opt.session_share[k]);
  const double r_min = std::sqrt(kPacking / (max_px_density * max_share));
  const double cell = r_min / std::sqrt(2.0);
  const cv::Point2d o(bb.x / s, bb.y / s);
  const int gw = static_cast<int>(std::ceil(bb.width / s / cell)) + 2;
  const int gh = static_cast<int>(std::ceil(bb.height / s / cell)) + 2;
  if (static_cast<double>(gw) * gh > 4e8)
    throw UsageError("the treated area is too large for this scale");
  std::vector<int> grid(static_cast<size_t>(gw) * gh, -1);
  std::vector<Impression> out;
  std::vector<float> radius;  // per point, its session radius (px)
  std::vector<char> keep;

  auto grid_of = [&](cv::Point2f p, int& gx, int& gy) {
    gx = static_cast<int>(std::floor((p.x - o.x) / cell)) + 1;  // one cell of margin
    gy = static_cast<int>(std::floor((p.y - o.y) / cell)) + 1;
    return gx >= 0 && gy >= 0 && gx < gw && gy < gh;
  };

  // Grid cells a disk of radius r (in cells) around a point may reach, nearest first, so that a
  // rejected candidate (most of them) finds its neighbour in a cell or two; cells that cannot
  // hold a point closer than r are left out. One list per reach, with the largest r seen.
  std::vector<std::vector<cv::Point>> offsets;
  std::vector<double> offsets_r;
  std::vector<std::vector<float>> offsets_dmin;  // per listed cell: the closest a point can be
  auto offsets_for = [&](int reach, double r_cells) -> const std::vector<cv::Point>& {
    if (reach >= static_cast<int>(offsets.size())) {
      offsets.resize(reach + 1);
      offsets_dmin.resize(reach + 1);
      offsets_r.resize(reach + 1, -1);
    }
    if (offsets_r[reach] < r_cells) {
      // Round up to the reach, so one list serves every radius with this reach.
      const double rr = reach;
      std::vector<std::pair<double, cv::Point>> cells;
      for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx) {
          double ax = std::max(0, std::abs(dx) - 1), ay = std::max(0, std::abs(dy) - 1);
          double dmin = std::hypot(ax, ay);
          // Nearest first (by the closest a point there can be), so the scan can stop early.
          if (dmin < rr) cells.emplace_back(dmin + 1e-3 * std::hypot(dx, dy), cv::Point(dx, dy));
        }
      std::stable_sort(cells.begin(), cells.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      offsets[reach].clear();
      offsets_dmin[reach].clear();
      for (const auto& c : cells) {
        offsets[reach].push_back(c.second);
        offsets_dmin[reach].push_back(static_cast<float>(std::hypot(
            std::max(0, std::abs(c.second.x) - 1), std::max(0, std::abs(c.second.y) - 1))));
      }
      offsets_r[reach] = rr;
    }
    return offsets[reach];
  };

  const cv::Point2d up = map.up, ex(-map.up.y, map.up.x);
  for (int k = 0; k < opt.sessions; ++k) {
    const double share = opt.session_share[k];
    // Radius (px) and keep probability per map cell of the treated area's box for this
    // session (0: nothing to place there), so a candidate costs a lookup.
    cv::Mat r_cells(bb.size(), CV_32F, cv::Scalar(0)), keep_cells(bb.size(), CV_32F);
    for (int y = bb.y; y < bb.y + bb.height; ++y)
      for (int x = bb.x; x < bb.x + bb.width; ++x) {
        if (!map.treated.at<uint8_t>(y, x)) continue;
        double d = map.density.at<float>(y, x) / 100.0 * share;  // per mm²
        if (d <= 0) continue;
        double ramp = map.ramp.empty() ? 1.0 : map.ramp.at<float>(y, x);
        double dcap = d;
        float pk = 1.0f;
        if (ramp < kSparseShare) {
          dcap = d / std::max(1e-3, ramp) * kSparseShare;
          pk = static_cast<float>(ramp / kSparseShare);
        }
        double px_density = dcap / (ppm * ppm) / map.foreshortening.at<float>(y, x);
        r_cells.at<float>(y - bb.y, x - bb.x) =
            static_cast<float>(std::sqrt(kPacking / px_density));
        keep_cells.at<float>(y - bb.y, x - bb.x) = pk;
      }
    // Radius (px) at p for this session, and the keep probability of a dot there; 0 outside.
    auto radius_at = [&](cv::Point2f p, float& r, float& pkeep) {
      int x, y;
      if (!look.cell(p, x, y)) return false;
      x -= bb.x;
      y -= bb.y;
      if (x < 0 || y < 0 || x >= bb.width || y >= bb.height) return false;
      r = r_cells.at<float>(y, x);
      if (!(r > 0)) return false;
      pkeep = keep_cells.at<float>(y, x);
      return true;
    };
    auto fits = [&](cv::Point2f p, float r) {
      int gx, gy;
      if (!grid_of(p, gx, gy)) return false;
      const int reach = static_cast<int>(std::ceil(r / cell));
      const float r2 = r * r;
      if (reach > kMaxListedReach) {
        // A very sparse spot (a faint density): scan the square, as few points get here.
        for (int yy = std::max(0, gy - reach); yy <= std::min(gh - 1, gy + reach); ++yy)
          for (int xx = std::max(0, gx - reach); xx <= std::min(gw - 1, gx + reach); ++xx) {
            int q = grid[static_cast<size_t>(yy) * gw + xx];
            if (q < 0) continue;
            cv::Point2f d = out[q].pos_px - p;
            if (d.dot(d) < r2) return false;
          }
        return true;
      }
      const std::vector<cv::Point>& offs = offsets_for(reach, r / cell);
      const std::vector<float>& dmin = offsets_dmin[reach];
      const float r_cells = static_cast<float>(r / cell);
      for (size_t i = 0; i < offs.size(); ++i) {
        // No point in this cell or any further one can be closer than r.
        if (dmin[i] >= r_cells) break;
        const cv::Point& o = offs[i];
        const int xx = gx + o.x, yy = gy + o.y;
        if (xx < 0 || yy < 0 || xx >= gw || yy >= gh) continue;
        int q = grid[static_cast<size_t>(yy) * gw + xx];
        if (q < 0) continue;
        cv::Point2f d = out[q].pos_px - p;
        if (d.dot(d) < r2) return false;
      }
      return true;
    };
    const size_t first_new = out.size();
    std::vector<int> active;
    for (size_t i = 0; i < out.size(); ++i) active.push_back(static_cast<int>(i));
    auto add = [&](cv::Point2f p, float r, float pkeep) {
      int gx, gy;
      grid_of(p, gx, gy);
      Impression imp;
      imp.pos_px = p;
      imp.session = k + 1;
      out.push_back(imp);
      radius.push_back(r);
      keep.push_back(uni(rng) < pkeep);
      grid[static_cast<size_t>(gy) * gw + gx] = static_cast<int>(out.size() - 1);
      active.push_back(static_cast<int>(out.size() - 1));
    };
    auto run = [&] {
      while (!active.empty()) {
        size_t ai = std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng);
        int pi = active[ai];
        cv::Point2f c = out[pi].pos_px;
        float rc;
        float pk;
        if (!radius_at(c, rc, pk)) rc = radius[pi];
        bool found = false;
        for (int t = 0; t < kTries; ++t) {
          float ang = uni(rng) * 2 * static_cast<float>(M_PI);
          float rr = rc * std::sqrt(1 + 3 * uni(rng));  // uniform over the annulus [r, 2r]
          cv::Point2f p = c + cv::Point2f(std::cos(ang), std::sin(ang)) * rr;
          float r, pkeep;
          if (!radius_at(p, r, pkeep) || !fits(p, r)) continue;
          add(p, r, pkeep);
          found = true;
          break;
        }
        if (!found) {
          active[ai] = active.back();
          active.pop_back();
        }
      }
    };
    run();
    // Seeds for every part of the area the growth has not reached (separate patches).
    {
      std::vector<cv::Point2f> seeds;
      double step = std::max(1.0, 2.0 * r_min * s);  // in map cells
      for (double y = bb.y; y < bb.y + bb.height; y += step)
        for (double x = bb.x; x < bb.x + bb.width; x += step) {
          cv::Point2f p(static_cast<float>((x + uni(rng) * step + 0.5) / s - 0.5),
                        static_cast<float>((y + uni(rng) * step + 0.5) / s - 0.5));
          seeds.push_back(p);
        }
      std::shuffle(seeds.begin(), seeds.end(), rng);
      for (const auto& p : seeds) {
        float r, pkeep;
        if (!radius_at(p, r, pkeep) || !fits(p, r)) continue;
        add(p, r, pkeep);
        run();
      }
    }
    // Exactly the session's share of the target: the sampler overshoots a little; drop a random
    // few of this session's new dots (a subset of a Poisson-disk set keeps its spacing).
    double expected = 0;
    {
      double cell_mm = 1.0 / (s * ppm);
      for (int y = bb.y; y < bb.y + bb.height; ++y)
        for (int x = bb.x; x < bb.x + bb.width; ++x)
          if (map.treated.at<uint8_t>(y, x))
            expected += map.density.at<float>(y, x) / 100.0 * share * cell_mm * cell_mm /
                        map.foreshortening.at<float>(y, x);
    }
    std::vector<int> kept_new;
    size_t kept_total = 0;
    for (size_t i = 0; i < out.size(); ++i)
      if (keep[i]) {
        ++kept_total;
        if (i >= first_new) kept_new.push_back(static_cast<int>(i));
      }
    long excess = static_cast<long>(kept_total) - std::lround(expected);
    if (excess > 0) {
      std::shuffle(kept_new.begin(), kept_new.end(), rng);
      for (long i = 0; i < std::min<long>(excess, static_cast<long>(kept_new.size())); ++i)
        keep[kept_new[i]] = 0;
    }
  }
  (void)hash32;

  // Attributes: needle, diameter, concentration, softness, geometry.
  std::vector<Impression> result;
  result.reserve(out.size());
  std::normal_distribution<float> gauss(0, 1);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!keep[i]) continue;
    Impression imp = out[i];
    int x, y;
    look.cell(imp.pos_px, x, y);
    x = std::clamp(x, 0, map.treated.cols - 1);
    y = std::clamp(y, 0, map.treated.rows - 1);
    float front = map.front.empty() ? 0.0f : map.front.at<float>(y, x);
    bool fine = uni(rng) < 0.08f + 0.9f * front;  // 1RL at the front, a few among the 3RL
    imp.needles = fine ? 1 : 3;
    float dia = fine ? 0.18f + 0.12f * uni(rng)
                     : static_cast<float>(opt.mean_diameter_mm) * std::exp(0.22f * gauss(rng));
    imp.diameter_mm = std::clamp(dia, 0.18f, 0.5f);
    float conc =
        static_cast<float>(opt.concentration * opt.session_concentration[imp.session - 1]) *
        std::exp(0.30f * gauss(rng));
    if (fine) conc *= 0.8f;  // the front reads softer
    imp.density = std::clamp(conc, 0.05f, 1.0f);
    imp.softness = 0.50f + 0.40f * uni(rng);
    imp.px_per_mm = static_cast<float>(ppm);
    imp.foreshortening = map.foreshortening.at<float>(y, x);
    imp.axis_rad = map.axis_rad.at<float>(y, x);
    cv::Point2d d(imp.pos_px.x - map.origin_px.x, imp.pos_px.y - map.origin_px.y);
    imp.pos_mm =
        cv::Point2f(static_cast<float>(d.dot(ex) / ppm), static_cast<float>(d.dot(up) / ppm));
    result.push_back(imp);
  }
  return result;
}

}  // namespace smp
