// The grid's minimum cut, 4- and 8-connected: the optimum of every labelling of small grids,
// sequences of cuts, fixed pixels, and the pairs really counted.
#include "smp/scalp/grid_max_flow.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace smp {
namespace {

constexpr int kDx[4] = {1, 1, 0, -1}, kDy[4] = {0, 1, 1, 1};

struct Grid {
  cv::Mat gain;
  cv::Mat costs[4];
  explicit Grid(cv::Size s) : gain(s, CV_64F, cv::Scalar(0)) {
    for (cv::Mat& c : costs) c = cv::Mat(s, CV_64F, cv::Scalar(0));
  }
  // What a labelling is worth: the gains of the pixels labelled 1, less the pairs cut (fixed
  // pixels' infinite gains left out: they are tested as labels).
  double value(const cv::Mat& l, int neighbours = 8) const {
    double v = 0;
    for (int y = 0; y < gain.rows; ++y)
      for (int x = 0; x < gain.cols; ++x) {
        if (l.at<uint8_t>(y, x) && !std::isinf(gain.at<double>(y, x))) v += gain.at<double>(y, x);
        for (int k = 0; k < 4; k += neighbours == 8 ? 1 : 2) {
          const int qx = x + kDx[k], qy = y + kDy[k];
          if (qx < 0 || qx >= gain.cols || qy >= gain.rows) continue;
          if (l.at<uint8_t>(y, x) != l.at<uint8_t>(qy, qx)) v -= costs[k].at<double>(y, x);
        }
      }
    return v;
  }
};

TEST(GridMinCut, FindsTheBestOfEveryLabellingOfSmallGrids) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> gain(-3, 3), cost(0, 2);
  for (int trial = 0; trial < 60; ++trial) {
    const int neighbours = trial % 4 < 2 ? 8 : 4;
    const cv::Size size(trial % 2 ? 4 : 3, trial % 3 ? 4 : 3);
    Grid g(size);
    for (auto it = g.gain.begin<double>(); it != g.gain.end<double>(); ++it) *it = gain(rng);
    for (cv::Mat& c : g.costs)
      for (auto it = c.begin<double>(); it != c.end<double>(); ++it) *it = cost(rng);
    const int n = size.area();
    double best = -1e300;
    for (int bits = 0; bits < (1 << n); ++bits) {
      cv::Mat l(size, CV_8U);
      for (int i = 0; i < n; ++i) l.at<uint8_t>(i / size.width, i % size.width) = (bits >> i) & 1;
      best = std::max(best, g.value(l, neighbours));
    }
    const cv::Mat cut = grid_min_cut(g.gain, g.costs, neighbours);
    ASSERT_EQ(cut.size(), size);
    // The cut works in float: equal to the optimum within its rounding.
    EXPECT_NEAR(g.value(cut, neighbours), best, 1e-4) << "trial " << trial;
  }
}

TEST(GridMinCut, EachSolveOfASequenceIsAsGoodAsAFreshOne) {
  // GrabCut's iterations: the pairs stay, the gains move (and fixed pixels stay fixed). Each
  // solve starts from the flow before; it must still find the best labelling of its own gains.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> gain(-3, 3), cost(0, 2), nudge(-1.5, 1.5);
  const double inf = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < 20; ++trial) {
    const int neighbours = trial % 2 ? 4 : 8;
    Grid g({24, 18});
    for (cv::Mat& c : g.costs)
      for (auto it = c.begin<double>(); it != c.end<double>(); ++it) *it = cost(rng);
    for (auto it = g.gain.begin<double>(); it != g.gain.end<double>(); ++it) *it = gain(rng);
    g.gain.at<double>(0, 0) = inf;
    g.gain.at<double>(17, 23) = -inf;
    GridMinCut cut(g.costs, neighbours);
    for (int step = 0; step < 4; ++step) {
      const cv::Mat warm = cut.solve(g.gain);
      const cv::Mat fresh = grid_min_cut(g.gain, g.costs, neighbours);
      EXPECT_NEAR(g.value(warm, neighbours), g.value(fresh, neighbours), 1e-3)
          << "trial " << trial << " step " << step;
      EXPECT_EQ(warm.at<uint8_t>(0, 0), 1);
      EXPECT_EQ(warm.at<uint8_t>(17, 23), 0);
      for (int y = 0; y < g.gain.rows; ++y)
        for (int x = 0; x < g.gain.cols; ++x)
          if (!std::isinf(g.gain.at<double>(y, x))) g.gain.at<double>(y, x) += nudge(rng);
    }
    // A pixel newly fixed starts the flow over, and is still right.
    g.gain.at<double>(9, 9) = -inf;
    const cv::Mat l = cut.solve(g.gain);
    EXPECT_EQ(l.at<uint8_t>(9, 9), 0);
    EXPECT_NEAR(g.value(l, neighbours),
                g.value(grid_min_cut(g.gain, g.costs, neighbours), neighbours), 1e-3);
  }
}

TEST(GridMinCut, DiagonalPairsHoldAPixelAsOrthogonalOnesDo) {
  // A pixel that would rather be 0 (gain -1) among 1s: with only its four diagonal pairs,
  // each costing 0.4, cutting it out costs 1.6 > 1, so it stays 1; at 0.2 each it is cut out.
  for (const auto& [cost, speck] : {std::pair{0.4, 1}, std::pair{0.2, 0}}) {
    Grid g({7, 7});
    g.gain.setTo(2.0);
    g.gain.at<double>(3, 3) = -1.0;
    g.costs[1].setTo(cost);  // below-right
    g.costs[3].setTo(cost);  // below-left
    const cv::Mat l = grid_min_cut(g.gain, g.costs, 8);
    EXPECT_EQ(l.at<uint8_t>(3, 3), speck) << "cost " << cost;
    // With 4 neighbours the diagonal pairs are not there: the speck goes its own way.
    EXPECT_EQ(grid_min_cut(g.gain, g.costs, 4).at<uint8_t>(3, 3), 0);
    EXPECT_EQ(cv::countNonZero(l), 48 + speck);
  }
}

TEST(GridMinCut, WithoutPairCostsEachPixelFollowsItsGain) {
  for (int neighbours : {4, 8}) {
    Grid g({8, 6});
    g.gain.colRange(0, 4).setTo(1.0);
    g.gain.colRange(4, 8).setTo(-1.0);
    const cv::Mat l = grid_min_cut(g.gain, g.costs, neighbours);
    EXPECT_EQ(cv::countNonZero(l.colRange(0, 4)), 24);
    EXPECT_EQ(cv::countNonZero(l.colRange(4, 8)), 0);
  }
}

TEST(GridMinCut, ASpeckCheaperToKeepThanToCutGoesWithItsNeighbours) {
  // 4 neighbours: labelling the speck 0 gains 1 but cuts four pairs of cost 1, so it stays 1;
  // where the pairs cost 0.2 it is cut out.
  for (const auto& [cost, speck] : {std::pair{1.0, 1}, std::pair{0.2, 0}}) {
    Grid g({7, 7});
    g.costs[0].setTo(cost);
    g.costs[2].setTo(cost);
    g.gain.setTo(2.0);
    g.gain.at<double>(3, 3) = -1.0;
    const cv::Mat l = grid_min_cut(g.gain, g.costs, 4);
    EXPECT_EQ(l.at<uint8_t>(3, 3), speck) << "cost " << cost;
    EXPECT_EQ(cv::countNonZero(l), 48 + speck);
  }
}

TEST(GridMinCut, InfiniteGainsFixPixelsWhateverTheCosts) {
  for (int neighbours : {4, 8}) {
    Grid g({9, 5});
    for (cv::Mat& c : g.costs) c.setTo(1000.0);
    g.gain.setTo(-1.0);
    const double inf = std::numeric_limits<double>::infinity();
    g.gain.at<double>(2, 4) = inf;
    g.gain.at<double>(0, 0) = -inf;
    const cv::Mat l = grid_min_cut(g.gain, g.costs, neighbours);
    EXPECT_EQ(l.at<uint8_t>(2, 4), 1);
    EXPECT_EQ(l.at<uint8_t>(0, 0), 0);
    // Cutting the sure 1 from the rest costs far more than the 43 the others would gain as 0;
    // the corner is cut off along its pairs.
    EXPECT_EQ(cv::countNonZero(l), 44) << neighbours << " neighbours";
  }
}

}  // namespace
}  // namespace smp
