#include "smp/image/colour.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace smp {
namespace {

TEST(Colour, SrgbLinearRoundTripsEveryCode) {
  for (int i = 0; i < 256; ++i)
    EXPECT_EQ(std::lround(linear_to_srgb(srgb_to_linear(i / 255.0)) * 255), i);
}

TEST(Colour, ImageRoundTripIsExact) {
  cv::Mat m(16, 16, CV_8UC3);
  cv::randu(m, 0, 256);
  cv::Mat back = to_srgb8(to_linear(m));
  EXPECT_EQ(cv::norm(m, back, cv::NORM_INF), 0.0);
}

TEST(Colour, LabOfWhiteAndBlack) {
  Lab w = srgb8_to_lab({255, 255, 255});
  EXPECT_NEAR(w.L, 100.0, 0.01);
  EXPECT_NEAR(w.a, 0.0, 0.01);
  EXPECT_NEAR(w.b, 0.0, 0.01);
  EXPECT_NEAR(srgb8_to_lab({0, 0, 0}).L, 0.0, 1e-9);
}

TEST(Colour, LabRoundTrip) {
  Lab lab{55, 12, 20};
  Lab back = linear_bgr_to_lab(lab_to_linear_bgr(lab));
  // The published 7-digit sRGB<->XYZ matrices are inverses only to ~1e-7 relative.
  EXPECT_NEAR(back.L, lab.L, 1e-4);
  EXPECT_NEAR(back.a, lab.a, 1e-4);
  EXPECT_NEAR(back.b, lab.b, 1e-4);
}

// Reference pairs from Sharma, Wu & Dalal (2005), table 1.
TEST(Colour, DeltaE2000MatchesSharmaTable) {
  struct Case {
    Lab a, b;
    double de;
  };
  const Case cases[] = {
      {{50, 2.6772, -79.7751}, {50, 0, -82.7485}, 2.0425},
      {{50, 3.1571, -77.2803}, {50, 0, -82.7485}, 2.8615},
      {{50, -1.3802, -84.2814}, {50, 0, -82.7485}, 1.0000},
      {{50, 0, 0}, {50, -1, 2}, 2.3669},
      {{50, 2.49, -0.001}, {50, -2.49, 0.0011}, 7.2195},
      {{60.2574, -34.0099, 36.2677}, {60.4626, -34.1751, 39.4387}, 1.2644},
      {{22.7233, 20.0904, -46.6940}, {23.0331, 14.9730, -42.5619}, 2.0373},
      {{2.0776, 0.0795, -1.1350}, {0.9033, -0.0636, -0.5514}, 0.9082},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(delta_e2000(c.a, c.b), c.de, 1e-4);
    EXPECT_NEAR(delta_e2000(c.b, c.a), c.de, 1e-4);
  }
}

TEST(Colour, ItaOrdersSkinTones) {
  EXPECT_GT(ita_degrees({75, 5, 15}), 55);    // very light
  EXPECT_LT(ita_degrees({35, 10, 18}), -30);  // dark
  EXPECT_STREQ(ita_category(60), "very light");
  EXPECT_STREQ(ita_category(-40), "dark");
}

TEST(Colour, ImageLabMatchesOpenCv) {
  // bgr_to_lab replaces cv::cvtColor(..., COLOR_BGR2Lab) (whose first call builds tables for
  // 0.25-0.45 s): the same values, but for OpenCV's own table rounding. Every 8-bit code of each
  // channel appears, plus random colours; float input covers the same range.
  cv::Mat m(256, 256, CV_8UC3);
  cv::randu(m, 0, 256);
  for (int x = 0; x < 256; ++x) m.at<cv::Vec3b>(0, x) = cv::Vec3b(x, x, x);
  for (int x = 0; x < 256; ++x) m.at<cv::Vec3b>(1, x) = cv::Vec3b(x, 255 - x, x / 2);
  cv::Mat ours = bgr_to_lab(m), theirs;
  cv::cvtColor(m, theirs, cv::COLOR_BGR2Lab);
  ASSERT_EQ(ours.type(), CV_8UC3);
  // OpenCV's 8-bit path interpolates a 3-D table (fixed point): up to 2 codes apart.
  EXPECT_LE(cv::norm(ours, theirs, cv::NORM_INF), 2.0);

  cv::Mat f;
  m.convertTo(f, CV_32F, 1.0 / 255);
  cv::Mat ours_f = bgr_to_lab(f), theirs_f;
  cv::cvtColor(f, theirs_f, cv::COLOR_BGR2Lab);
  ASSERT_EQ(ours_f.type(), CV_32FC3);
  // OpenCV's float path is itself off by up to ~0.4 (its tables; mid grey 120 reads L* 50.24
  // there, 50.43 exactly); ours follows the exact formula, as srgb8_to_lab does.
  EXPECT_LE(cv::norm(ours_f, theirs_f, cv::NORM_INF), 0.5);
  for (int v : {3, 10, 60, 120, 200, 255}) {
    const Lab exact = srgb8_to_lab(cv::Vec3b(v, v, v));
    EXPECT_NEAR(ours_f.at<cv::Vec3f>(0, v)[0], exact.L, 0.01) << v;
    EXPECT_NEAR(ours_f.at<cv::Vec3f>(0, v)[1], 0.0, 0.01) << v;
    EXPECT_NEAR(ours.at<cv::Vec3b>(0, v)[0], exact.L * 255 / 100, 0.51) << v;
  }
}

}  // namespace
}  // namespace smp
