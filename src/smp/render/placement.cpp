// Impression placement: variable-radius Poisson-disk sampling (Bridson 2007), one pass per
// session, each seeded with the dots already there, so later sessions fill in between.
//
// In parallel and deterministic: the treated box is cut into square tiles wider than any disk
// (and than the reach of the dots a tile grows from), processed in four rounds by the parity of
// their column and row, so tiles of one round never touch: each reads its neighbours' finished
// dots and writes only its own. Every tile has its own random stream from (seed, session, tile),
// so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
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
// Largest disk radius, in smallest radii (the densest spot at the fullest session): a sparse
// session's hairline front (30 % of the share, a quarter of the density) is 3.7, a 40/cm² zone
// next to a 200/cm² one 2.2 times that.
constexpr double kMaxRadius = 8.0;
// Sessions with fewer dots than this are placed on one thread.
constexpr double kParallelDots = 4000;
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

// A small random stream per tile (PCG32, O'Neill 2014): cheap to seed, unlike std::mt19937,
// and the same on every platform.
class TileRng {
 public:
  TileRng(uint32_t seed, uint32_t stream)
      : state_(0), inc_((static_cast<uint64_t>(hash32(stream ^ 0x9e3779b9U)) << 1) | 1u) {
    next();
    state_ += (static_cast<uint64_t>(hash32(seed)) << 32) | hash32(seed + 0x632be5abU);
    next();
  }
  uint32_t next() {
    const uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    const uint32_t xs = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    const uint32_t rot = static_cast<uint32_t>(old >> 59u);
    return (xs >> rot) | (xs << ((32 - rot) & 31));
  }
  float uni() { return static_cast<float>(next() >> 8) * (1.0f / 16777216.0f); }  // [0, 1)
  size_t below(size_t n) { return static_cast<size_t>((static_cast<uint64_t>(next()) * n) >> 32); }

 private:
  uint64_t state_, inc_;
};

// A placed dot in the acceleration grid: position and the radius it was placed with. Empty cells
// hold a far-away point, so a distance test needs no branch.
struct GridDot {
  float x = -1e9f, y = -1e9f, r = 0;
};

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
  std::vector<GridDot> grid(static_cast<size_t>(gw) * gh);
  std::vector<Impression> out;
  std::vector<char> keep;

  auto grid_of = [&](cv::Point2f p, int& gx, int& gy) {
    gx = static_cast<int>(std::floor((p.x - o.x) / cell)) + 1;  // one cell of margin
    gy = static_cast<int>(std::floor((p.y - o.y) / cell)) + 1;
    return gx >= 0 && gy >= 0 && gx < gw && gy < gh;
  };

  // Grid cells a disk of radius `reach` cells around a point may reach, nearest first (by the
  // closest a point there can be), so that a rejected candidate (most of them) finds its
  // neighbour in a cell or two and the scan stops early. Made before the tiles run (read only).
  std::vector<std::vector<cv::Point>> offsets(kMaxListedReach + 1);
  std::vector<std::vector<float>> offsets_dmin(kMaxListedReach + 1);
  for (int reach = 1; reach <= kMaxListedReach; ++reach) {
    std::vector<std::pair<double, cv::Point>> cells;
    for (int dy = -reach; dy <= reach; ++dy)
      for (int dx = -reach; dx <= reach; ++dx) {
        double ax = std::max(0, std::abs(dx) - 1), ay = std::max(0, std::abs(dy) - 1);
        double dmin = std::hypot(ax, ay);
        if (dmin < reach) cells.emplace_back(dmin + 1e-3 * std::hypot(dx, dy), cv::Point(dx, dy));
      }
    std::stable_sort(cells.begin(), cells.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& c : cells) {
      offsets[reach].push_back(c.second);
      offsets_dmin[reach].push_back(static_cast<float>(std::hypot(
          std::max(0, std::abs(c.second.x) - 1), std::max(0, std::abs(c.second.y) - 1))));
    }
  }

  const cv::Point2d up = map.up, ex(-map.up.y, map.up.x);
  for (int k = 0; k < opt.sessions; ++k) {
    const double share = opt.session_share[k];
    // Radius (px) and keep probability per map cell of the treated area's box for this
    // session (0: nothing to place there), so a candidate costs a lookup.
    cv::Mat r_cells(bb.size(), CV_32F, cv::Scalar(0)), keep_cells(bb.size(), CV_32F);
    float r_max = static_cast<float>(r_min);
    const double r_cap = kMaxRadius * r_min;
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
        // Capped: only a cell at the very edge of a fade gets wider (its dots are nearly all
        // thinned out anyway), and the tiles below must stay wider than any disk.
        const float r = static_cast<float>(std::min(std::sqrt(kPacking / px_density), r_cap));
        r_cells.at<float>(y - bb.y, x - bb.x) = r;
        keep_cells.at<float>(y - bb.y, x - bb.x) = pk;
        r_max = std::max(r_max, r);
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
    auto fits = [&](cv::Point2f p, float r, int gx, int gy) {
      const int reach = static_cast<int>(std::ceil(r / cell));
      const float r2 = r * r;
      if (reach > kMaxListedReach) {
        // A very sparse spot (a faint density): scan the square, as few points get here.
        for (int yy = std::max(0, gy - reach); yy <= std::min(gh - 1, gy + reach); ++yy)
          for (int xx = std::max(0, gx - reach); xx <= std::min(gw - 1, gx + reach); ++xx) {
            const GridDot& q = grid[static_cast<size_t>(yy) * gw + xx];
            const float dx = q.x - p.x, dy = q.y - p.y;
            if (dx * dx + dy * dy < r2) return false;
          }
        return true;
      }
      const std::vector<cv::Point>& offs = offsets[reach];
      const std::vector<float>& dmin = offsets_dmin[reach];
      const float r_cells_ = static_cast<float>(r / cell);
      for (size_t i = 0; i < offs.size(); ++i) {
        // No point in this cell or any further one can be closer than r.
        if (dmin[i] >= r_cells_) break;
        const int xx = gx + offs[i].x, yy = gy + offs[i].y;
        if (xx < 0 || yy < 0 || xx >= gw || yy >= gh) continue;
        const GridDot& q = grid[static_cast<size_t>(yy) * gw + xx];
        const float dx = q.x - p.x, dy = q.y - p.y;
        if (dx * dx + dy * dy < r2) return false;
      }
      return true;
    };

    // The session's dots (the count it must reach).
    double expected = 0;
    {
      double cell_mm = 1.0 / (s * ppm);
      for (int y = bb.y; y < bb.y + bb.height; ++y)
        for (int x = bb.x; x < bb.x + bb.width; ++x)
          if (map.treated.at<uint8_t>(y, x))
            expected += map.density.at<float>(y, x) / 100.0 * share * cell_mm * cell_mm /
                        map.foreshortening.at<float>(y, x);
    }
    // Threads only for enough dots: a round is a barrier, and on a busy machine starting a
    // thread can cost more than a small round (the dots are the same either way).
    const int threads = expected >= kParallelDots ? opt.nthreads : 1;

    // Tiles: wider than any disk (with the grid's rounding), so a tile never reads what another
    // tile of its round writes.
    const double tile = std::max(2.0 * r_max + 4.0 * cell, 24.0 * r_min);
    const double bw = bb.width / s, bh = bb.height / s;
    const int tx_n = std::max(1, static_cast<int>(std::ceil(bw / tile)));
    const int ty_n = std::max(1, static_cast<int>(std::ceil(bh / tile)));
    struct NewDot {
      cv::Point2f p;
      char keep;
    };
    std::vector<std::vector<NewDot>> placed(static_cast<size_t>(tx_n) * ty_n);
    const double step = 2.0 * r_min;  // seeds for what the growth does not reach (px)

    auto run_tile = [&](int tx, int ty) {
      const size_t ti = static_cast<size_t>(ty) * tx_n + tx;
      TileRng trng(opt.seed, static_cast<uint32_t>(ti * 4 + k));
      const float x0 = static_cast<float>(o.x + tx * tile),
                  y0 = static_cast<float>(o.y + ty * tile);
      const float x1 = static_cast<float>(o.x + (tx + 1) * tile),
                  y1 = static_cast<float>(o.y + (ty + 1) * tile);
      auto in_tile = [&](cv::Point2f p) {
        return static_cast<int>(std::floor((p.x - o.x) / tile)) == tx &&
               static_cast<int>(std::floor((p.y - o.y) / tile)) == ty;
      };
      std::vector<NewDot>& mine = placed[ti];
      // Grow from every dot of earlier sessions in the tile, in grid order. (Growing from the
      // neighbours' dots next to the tile too costs a third more and packs seams no better:
      // a candidate is tested against every dot around it either way.)
      std::vector<GridDot> active;
      {
        int ga, gb, gc, gd;
        grid_of(cv::Point2f(x0, y0), ga, gb);
        grid_of(cv::Point2f(x1, y1), gc, gd);
        for (int gy = std::max(0, gb); gy <= std::min(gh - 1, gd); ++gy)
          for (int gx = std::max(0, ga); gx <= std::min(gw - 1, gc); ++gx) {
            const GridDot& q = grid[static_cast<size_t>(gy) * gw + gx];
            if (q.r > 0 && in_tile(cv::Point2f(q.x, q.y))) active.push_back(q);
          }
      }
      auto add = [&](cv::Point2f p, int gx, int gy, float r, float pkeep) {
        const GridDot d{p.x, p.y, r};
        grid[static_cast<size_t>(gy) * gw + gx] = d;
        mine.push_back({p, static_cast<char>(trng.uni() < pkeep)});
        active.push_back(d);
      };
      auto try_add = [&](cv::Point2f p) {
        float r, pkeep;
        int gx, gy;
        if (!in_tile(p) || !grid_of(p, gx, gy) || !radius_at(p, r, pkeep) || !fits(p, r, gx, gy))
          return false;
        add(p, gx, gy, r, pkeep);
        return true;
      };
      auto run = [&] {
        while (!active.empty()) {
          const size_t ai = trng.below(active.size());
          const GridDot c = active[ai];
          const cv::Point2f cp(c.x, c.y);
          float rc, pk;
          if (!radius_at(cp, rc, pk)) rc = c.r;
          bool found = false;
          for (int t = 0; t < kTries && !found; ++t) {
            const float ang = trng.uni() * 2 * static_cast<float>(M_PI);
            const float rr = rc * std::sqrt(1 + 3 * trng.uni());  // uniform over [r, 2r]
            found = try_add(cp + cv::Point2f(std::cos(ang), std::sin(ang)) * rr);
          }
          if (!found) {
            active[ai] = active.back();
            active.pop_back();
          }
        }
      };
      run();
      // Seeds for every part of the tile the growth has not reached (separate patches).
      std::vector<cv::Point2f> seeds;
      for (double y = y0; y < std::min<double>(y1, o.y + bh); y += step)
        for (double x = x0; x < std::min<double>(x1, o.x + bw); x += step)
          seeds.emplace_back(static_cast<float>(x + trng.uni() * step),
                             static_cast<float>(y + trng.uni() * step));
      for (size_t i = seeds.size(); i > 1; --i) std::swap(seeds[i - 1], seeds[trng.below(i)]);
      for (const auto& p : seeds)
        if (try_add(p)) run();
    };
    for (int round = 0; round < 4; ++round) {
      std::vector<cv::Point> tiles;
      for (int ty = round / 2; ty < ty_n; ty += 2)
        for (int tx = round % 2; tx < tx_n; tx += 2) tiles.emplace_back(tx, ty);
      parallel_for(
          static_cast<int>(tiles.size()),
          [&](int t0, int t1) {
            for (int t = t0; t < t1; ++t) run_tile(tiles[t].x, tiles[t].y);
          },
          threads, 1);
    }
    const size_t first_new = out.size();
    for (const auto& tdots : placed)
      for (const NewDot& d : tdots) {
        Impression imp;
        imp.pos_px = d.p;
        imp.session = k + 1;
        out.push_back(imp);
        keep.push_back(d.keep);
      }
    // Exactly the session's share of the target: the sampler overshoots a little; drop a random
    // few of this session's new dots (a subset of a Poisson-disk set keeps its spacing).
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
