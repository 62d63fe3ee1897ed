#include "smp/scalp/grab_cut.h"

#include <array>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <tuple>
#include <vector>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"
#include "smp/scalp/grid_max_flow.h"

namespace smp {

namespace {

constexpr int kComponents = 5;

// A mixture of full-covariance Gaussians in BGR, refitted from hard assignments.
struct ColourModel {
  struct Gaussian {
    double weight = 0;
    cv::Vec3d mean;
    cv::Matx33d inv_cov;
    double norm = 0;      // 1 / sqrt(det(cov))
    double log_norm = 0;  // its logarithm (nearest() compares logarithms)
  };
  std::array<Gaussian, kComponents> g;

  // Component k from the samples labelled k. A flat cluster (one colour) gets a little variance
  // so that its covariance inverts.
  void fit(const std::vector<cv::Vec3d>& samples, const std::vector<int>& label) {
    std::array<cv::Vec3d, kComponents> sum{};
    std::array<cv::Matx33d, kComponents> prod{};
    std::array<int, kComponents> n{};
    for (size_t i = 0; i < samples.size(); ++i) {
      const int k = label[i];
      const cv::Vec3d& c = samples[i];
      sum[k] += c;
      prod[k] += c * c.t();
      ++n[k];
    }
    for (int k = 0; k < kComponents; ++k) {
      Gaussian& q = g[k];
      q.weight = samples.empty() ? 0 : static_cast<double>(n[k]) / samples.size();
      if (n[k] == 0) continue;
      q.mean = sum[k] / n[k];
      cv::Matx33d cov = prod[k] * (1.0 / n[k]) - q.mean * q.mean.t();
      double det = cv::determinant(cov);
      if (det <= 1e-6) {
        cov += cv::Matx33d::eye() * 0.01;
        det = cv::determinant(cov);
      }
      if (det <= 1e-12) {
        q.weight = 0;
        continue;
      }
      q.inv_cov = cov.inv();
      q.norm = 1.0 / std::sqrt(det);
      q.log_norm = std::log(q.norm);
    }
  }

  double component(int k, const cv::Vec3d& c) const {
    const Gaussian& q = g[k];
    if (q.weight <= 0) return 0;
    const cv::Vec3d d = c - q.mean;
    return q.norm * std::exp(-0.5 * d.dot(q.inv_cov * d));
  }
  double likelihood(const cv::Vec3d& c) const {
    double p = 0;
    for (int k = 0; k < kComponents; ++k) p += g[k].weight * component(k, c);
    return p;
  }
  // The component under which c is likeliest (weights aside), compared as logarithms: no exp.
  int nearest(const cv::Vec3d& c) const {
    int best = 0;
    double lb = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < kComponents; ++k) {
      const Gaussian& q = g[k];
      if (q.weight <= 0) continue;
      const cv::Vec3d d = c - q.mean;
      const double l = q.log_norm - 0.5 * d.dot(q.inv_cov * d);
      if (l > lb) lb = l, best = k;
    }
    return best;
  }
};

bool is_head(uint8_t m) {
  return m == cv::GC_FGD || m == cv::GC_PR_FGD;
}

}  // namespace

void grab_cut(const cv::Mat& bgr8, cv::Mat& mask, int iterations, const GrabCutOptions& opt) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  SMP_CHECK_EQ(mask.type(), CV_8U);
  SMP_CHECK(mask.size() == bgr8.size());
  SMP_CHECK(opt.neighbours == 4 || opt.neighbours == 8);
  const int w = bgr8.cols, h = bgr8.rows;
  if (w < 3 || h < 3) return;
  auto at = [w](int x, int y) { return static_cast<size_t>(y) * w + x; };
  std::vector<cv::Vec3d> colour(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) colour[at(x, y)] = p[x];
  }
  // Neighbours cost smoothness * exp(-beta |difference|^2), beta from the photo's mean squared
  // difference over the pairs (the paper's): a cut runs along colour edges. Pair k of a pixel:
  // its neighbour right, below-right, below, below-left (4 neighbours: right and below only).
  // The squared differences first (their mean sets beta), then the costs in place.
  constexpr int kDx[4] = {1, 1, 0, -1}, kDy[4] = {0, 1, 1, 1};
  const int step = opt.neighbours == 8 ? 1 : 2;  // 4 neighbours: kinds 0 and 2 only
  cv::Mat costs[4];
  {
    double sum = 0;
    long pairs = 0;
    for (int k = 0; k < 4; k += step) {
      costs[k] = cv::Mat(h, w, CV_64F, cv::Scalar(0));
      for (int y = 0; y + kDy[k] < h; ++y) {
        double* c = costs[k].ptr<double>(y);
        for (int x = std::max(0, -kDx[k]); x < w && x + kDx[k] < w; ++x) {
          const cv::Vec3d d = colour[at(x, y)] - colour[at(x + kDx[k], y + kDy[k])];
          sum += c[x] = d.dot(d), ++pairs;
        }
      }
    }
    const double beta = sum > 0 ? pairs / (2.0 * sum) : 0;
    for (int k = 0; k < 4; k += step) {
      const double s =
          kDx[k] != 0 && kDy[k] != 0 ? opt.smoothness / std::sqrt(2.0) : opt.smoothness;
      for (int y = 0; y < h; ++y) {
        double* c = costs[k].ptr<double>(y);
        for (int x = 0; x < w; ++x) c[x] = s * std::exp(-beta * c[x]);
      }
    }
  }

  // The colour models, first from k-means clusters of each side's pixels.
  ColourModel head, backdrop;
  std::vector<cv::Vec3d> hs, bs;
  std::vector<int> hl, bl;
  auto gather = [&] {
    hs.clear(), bs.clear();
    for (int y = 0; y < h; ++y) {
      const uint8_t* m = mask.ptr<uint8_t>(y);
      for (int x = 0; x < w; ++x) (is_head(m[x]) ? hs : bs).push_back(colour[at(x, y)]);
    }
  };
  gather();
  if (hs.empty() || bs.empty()) return;  // nothing to tell apart
  // (k-means on at most ~20k of them, every k-th: on a 320 px top view the clustering of all
  // 100k took 25 ms of GrabCut's ~140; every sample then joins its nearest centre.)
  for (auto [samples, labels, model] :
       {std::tuple{&bs, &bl, &backdrop}, std::tuple{&hs, &hl, &head}}) {
    const size_t step =
        opt.kmeans_samples == 0 ? 1 : std::max<size_t>(1, samples->size() / opt.kmeans_samples);
    cv::Mat pts(static_cast<int>((samples->size() + step - 1) / step), 3, CV_32F);
    for (int i = 0; i < pts.rows; ++i)
      for (int j = 0; j < 3; ++j) pts.at<float>(i, j) = static_cast<float>((*samples)[i * step][j]);
    cv::Mat lab, centres;
    cv::kmeans(pts, std::min(kComponents, pts.rows), lab,
               cv::TermCriteria(cv::TermCriteria::MAX_ITER, 10, 0), 0, cv::KMEANS_PP_CENTERS,
               centres);
    labels->resize(samples->size());
    if (opt.kmeans_samples == 0) {
      for (int i = 0; i < lab.rows; ++i) (*labels)[i] = lab.at<int>(i);
      model->fit(*samples, *labels);
      continue;
    }
    parallel_for(static_cast<int>(samples->size()), [&](int b, int e) {
      for (int i = b; i < e; ++i) {
        const cv::Vec3d& c = (*samples)[i];
        double best = 1e300;
        for (int k = 0; k < centres.rows; ++k) {
          const float* m = centres.ptr<float>(k);
          const double d = (c[0] - m[0]) * (c[0] - m[0]) + (c[1] - m[1]) * (c[1] - m[1]) +
                           (c[2] - m[2]) * (c[2] - m[2]);
          if (d < best) best = d, (*labels)[i] = k;
        }
      }
    });
    model->fit(*samples, *labels);
  }

  constexpr double kInf = std::numeric_limits<double>::infinity();
  cv::Mat gain(h, w, CV_64F);
  // Each cut starts from the flow of the one before (the pairs stay, the models move a little).
  GridMinCut grid(costs, opt.neighbours);
  for (int it = 0; it < iterations; ++it) {
    // Each pixel to its likeliest component on its side, the models refitted.
    if (it > 0) gather();
    hl.resize(hs.size()), bl.resize(bs.size());
    parallel_for(static_cast<int>(hs.size()), [&](int b, int e) {
      for (int i = b; i < e; ++i) hl[i] = head.nearest(hs[i]);
    });
    parallel_for(static_cast<int>(bs.size()), [&](int b, int e) {
      for (int i = b; i < e; ++i) bl[i] = backdrop.nearest(bs[i]);
    });
    head.fit(hs, hl);
    backdrop.fit(bs, bl);
    // What calling a probable pixel head is worth: its colour's log-likelihood ratio.
    parallel_for(h, [&](int y0, int y1) {
      for (int y = y0; y < y1; ++y) {
        const uint8_t* m = mask.ptr<uint8_t>(y);
        double* g = gain.ptr<double>(y);
        for (int x = 0; x < w; ++x) {
          if (m[x] == cv::GC_FGD) {
            g[x] = kInf;
          } else if (m[x] == cv::GC_BGD) {
            g[x] = -kInf;
          } else {
            const cv::Vec3d& c = colour[at(x, y)];
            g[x] = std::log(std::max(1e-300, head.likelihood(c))) -
                   std::log(std::max(1e-300, backdrop.likelihood(c)));
          }
        }
      }
    });
    const cv::Mat cut = grid.solve(gain);
    for (int y = 0; y < h; ++y) {
      uint8_t* m = mask.ptr<uint8_t>(y);
      const uint8_t* c = cut.ptr<uint8_t>(y);
      for (int x = 0; x < w; ++x)
        if (m[x] == cv::GC_PR_BGD || m[x] == cv::GC_PR_FGD)
          m[x] = c[x] ? cv::GC_PR_FGD : cv::GC_PR_BGD;
    }
  }
}

}  // namespace smp
