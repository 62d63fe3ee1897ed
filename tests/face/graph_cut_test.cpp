// dlib's grid min-cut behind face/graph_cut.h: per-pixel gains against pair costs.
#include "smp/face/graph_cut.h"

#include <gtest/gtest.h>

#include <limits>

namespace smp {
namespace {

struct Grid {
  cv::Mat gain, right, down;
  explicit Grid(cv::Size s, double cost)
      : gain(s, CV_64F, cv::Scalar(0)),
        right(s, CV_64F, cv::Scalar(cost)),
        down(s, CV_64F, cv::Scalar(cost)) {}
};

TEST(MinCut, WithoutPairCostsEachPixelFollowsItsGain) {
  Grid g({8, 6}, 0.0);
  g.gain.colRange(0, 4).setTo(1.0);
  g.gain.colRange(4, 8).setTo(-1.0);
  const cv::Mat l = min_cut_labels(g.gain, g.right, g.down);
  EXPECT_EQ(cv::countNonZero(l.colRange(0, 4)), 24);
  EXPECT_EQ(cv::countNonZero(l.colRange(4, 8)), 0);
}

TEST(MinCut, ASpeckCheaperToKeepThanToCutGoesWithItsNeighbours) {
  // Labelling the speck 0 gains 1 but cuts four pairs of cost 1: it stays 1. Where the pairs
  // cost 0.2 it is cut out. The grid's wrap-around pairs cost nothing.
  for (const auto& [cost, speck] : {std::pair{1.0, 1}, std::pair{0.2, 0}}) {
    Grid g({7, 7}, cost);
    g.gain.setTo(2.0);
    g.gain.at<double>(3, 3) = -1.0;
    const cv::Mat l = min_cut_labels(g.gain, g.right, g.down);
    EXPECT_EQ(l.at<uint8_t>(3, 3), speck) << "cost " << cost;
    EXPECT_EQ(cv::countNonZero(l), 48 + speck);
  }
}

TEST(MinCut, InfiniteGainsFixPixelsWhateverTheCosts) {
  Grid g({9, 5}, 1000.0);
  g.gain.setTo(-1.0);
  const double inf = std::numeric_limits<double>::infinity();
  g.gain.at<double>(2, 4) = inf;  // one sure pixel among many that would rather be 0
  g.gain.at<double>(0, 0) = -inf;
  const cv::Mat l = min_cut_labels(g.gain, g.right, g.down);
  EXPECT_EQ(l.at<uint8_t>(2, 4), 1);
  EXPECT_EQ(l.at<uint8_t>(0, 0), 0);
  // Cutting the sure pixel from the rest costs 4000, labelling all 1 (but the other sure one)
  // loses 43 and cuts 2 pairs: all but the corner go with the sure pixel.
  EXPECT_EQ(cv::countNonZero(l), 44);
}

}  // namespace
}  // namespace smp
