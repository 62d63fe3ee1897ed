// The ageing pipeline on a scalp the test makes itself (no face model): impressions placed by the
// renderer on a synthetic treatment map, aged, re-rendered, measured.
#include "smp/age/age.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/age/ageing.h"
#include "smp/image/image_io.h"
#include "smp/render/render.h"

namespace smp {
namespace {

// A 360x300 light-skin scalp with a little texture, a round treated area and 100 dots/cm² at
// 8 px/mm, placed in three sessions exactly as simulate() places them.
SimulateResult synthetic_simulation(cv::Mat& photo, float pigment_scale = 1.0f) {
  photo.create(300, 360, CV_8UC3);
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 3);
  for (int y = 0; y < photo.rows; ++y)
    for (int x = 0; x < photo.cols; ++x) {
      float shade = 0.92f + 0.08f * x / photo.cols + n(rng) / 255.0f;
      photo.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uint8_t>(150 * shade),
                                            cv::saturate_cast<uint8_t>(170 * shade),
                                            cv::saturate_cast<uint8_t>(215 * shade));
    }
  SimulateResult sim;
  TreatmentMap& m = sim.map;
  m.scale = 1;
  m.px_per_mm = 8;
  m.treated = cv::Mat::zeros(photo.size(), CV_8U);
  cv::ellipse(m.treated, cv::Point(180, 150), cv::Size(140, 110), 0, 0, 360, cv::Scalar(255),
              cv::FILLED);
  m.density = cv::Mat(photo.size(), CV_32F, cv::Scalar(100));
  m.ramp = cv::Mat(photo.size(), CV_32F, cv::Scalar(1));
  m.front = cv::Mat::zeros(photo.size(), CV_32F);
  m.foreshortening = cv::Mat(photo.size(), CV_32F, cv::Scalar(1));
  m.axis_rad = cv::Mat::zeros(photo.size(), CV_32F);
  m.origin_px = {180, 260};
  PlacementOptions po;
  sim.impressions = place_impressions(m, po);
  sim.render.treated_mask = m.treated;
  sim.render.pigment.od *= pigment_scale;
  sim.render.max_session = 3;
  sim.sessions = 3;
  return sim;
}

class AgePipeline : public ::testing::Test {
 protected:
  void SetUp() override { sim_ = synthetic_simulation(photo_); }
  cv::Mat photo_;
  SimulateResult sim_;
};

// Year 0 is the renderer's own frame: whole with full_frames (what --frames writes), else the
// window of it the strip shows (no copy of the whole photo per year), with the same figures.
TEST_F(AgePipeline, YearZeroIsTheRenderersOwnFrame) {
  ASSERT_GT(sim_.impressions.size(), 500u);  // 7.6 cm² at 100 / cm²
  AgeOptions opt;
  opt.years = {0, 3};
  opt.label = false;
  opt.full_frames = true;
  const AgeResult whole = age_simulation(photo_, sim_, {}, opt);
  cv::Mat direct = render_impressions(photo_, sim_.impressions, sim_.render);
  ASSERT_EQ(whole.frames.size(), 2u);
  EXPECT_EQ(cv::norm(frame_image(whole.frames[0], opt), direct, cv::NORM_INF), 0.0);
  EXPECT_EQ(whole.frames[0].window, cv::Rect(0, 0, photo_.cols, photo_.rows));
  EXPECT_GT(whole.delta_e0, 1.0);  // the treatment shows

  opt.full_frames = false;
  const AgeResult part = age_simulation(photo_, sim_, {}, opt);
  ASSERT_EQ(part.frames.size(), 2u);
  const cv::Rect w = part.frames[0].window;
  EXPECT_LT(w.area(), photo_.total()) << "a window, not the whole photo";
  EXPECT_EQ((w & part.crop), part.crop);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(cv::norm(part.frames[i].unlabelled, whole.frames[i].unlabelled(w), cv::NORM_INF),
              0.0);
    EXPECT_EQ(part.frames[i].measured.delta_e, whole.frames[i].measured.delta_e);
  }
  EXPECT_EQ(part.delta_e0, whole.delta_e0);
  EXPECT_EQ(part.touch_up_year, whole.touch_up_year);
}

TEST_F(AgePipeline, RenderedContrastFallsAndTheModelFollowsIt) {
  AgeOptions opt;
  opt.years = {0, 1, 2, 4, 6, 8, 10};
  AgeResult r = age_simulation(photo_, sim_, {}, opt);
  ASSERT_EQ(r.frames.size(), opt.years.size());
  for (size_t i = 1; i < r.frames.size(); ++i)
    EXPECT_LT(r.frames[i].share, r.frames[i - 1].share) << "year " << r.frames[i].year;
  // The cheap model against the rendered frames: within 0.02 of the share (8-bit rounding of a
  // ~3 ΔE contrast and dot overlaps changing as dots spread are the only differences).
  for (const AgeFrame& f : r.frames) EXPECT_NEAR(f.share_model, f.share, 0.02) << "year " << f.year;
  EXPECT_LT(r.max_model_error, 0.02);
  // Defaults (moderate sun, III): the touch-up lands at 4-6 years on this scalp too.
  ASSERT_TRUE(r.touch_up_year.has_value());
  EXPECT_GE(*r.touch_up_year, 4.0);
  EXPECT_LE(*r.touch_up_year, 6.0);
  // ...and the rendered frames agree on which side of the threshold each year is.
  for (const AgeFrame& f : r.frames)
    if (std::abs(f.year - *r.touch_up_year) > 0.5) {
      EXPECT_EQ(f.share<opt.threshold, f.year> * r.touch_up_year) << "year " << f.year;
    }
}

TEST(AgeStrength, RenderedTouchUpYearDoesNotFollowThePigmentsStrength) {
  // The same impressions rendered with a faint and a bold ink: the contrast model's overlap is
  // fitted to each rendering, the model follows the frames, and the touch-up year stays at 4-6
  // years for moderate sun and within half a year of each other.
  std::vector<double> years;
  for (float scale : {0.5f, 1.0f, 2.0f}) {
    cv::Mat photo;
    SimulateResult sim = synthetic_simulation(photo, scale);
    AgeOptions opt;
    opt.years = {0, 3, 8};
    AgeResult r = age_simulation(photo, sim, {}, opt);
    ASSERT_TRUE(r.touch_up_year.has_value()) << "ink x" << scale;
    EXPECT_GE(*r.touch_up_year, 4.0) << "ink x" << scale;
    EXPECT_LE(*r.touch_up_year, 6.0) << "ink x" << scale;
    EXPECT_LT(r.max_model_error, 0.02) << "ink x" << scale;
    years.push_back(*r.touch_up_year);
    std::printf("ink x%.1f: year-0 ΔE2000 %.2f, overlap %.2f, touch-up at %.2f years\n", scale,
                r.delta_e0, r.overlap, *r.touch_up_year);
  }
  EXPECT_LT(
      *std::max_element(years.begin(), years.end()) - *std::min_element(years.begin(), years.end()),
      0.5);
}

TEST_F(AgePipeline, HighSunAndScarsBringTheTouchUpForward) {
  AgeOptions opt;
  opt.years = {0};
  auto base = age_simulation(photo_, sim_, {}, opt).touch_up_year;
  opt.conditions.sun = SunExposure::kHigh;
  auto high = age_simulation(photo_, sim_, {}, opt).touch_up_year;
  opt.conditions.sun = SunExposure::kModerate;
  std::vector<uint8_t> all_scar(sim_.impressions.size(), 1);
  AgeResult scar = age_simulation(photo_, sim_, all_scar, opt);
  ASSERT_TRUE(base && high && scar.touch_up_year);
  EXPECT_LT(*high, *base);
  EXPECT_LT(*scar.touch_up_year, *base);
  EXPECT_EQ(scar.scar_impressions, sim_.impressions.size());
}

TEST_F(AgePipeline, TouchUpShowsOnTheFrames) {
  AgeOptions opt;
  opt.years = {0, 3.9, 4.1};
  opt.conditions.touch_ups = {4};
  AgeResult r = age_simulation(photo_, sim_, {}, opt);
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_LT(r.frames[1].share, 0.8);
  EXPECT_GT(r.frames[2].share, r.frames[1].share + 0.1);  // the saw-tooth, on rendered pixels
  ASSERT_TRUE(r.touch_up_year.has_value());
  EXPECT_GT(*r.touch_up_year, 8.0);  // the first crossing moved past the touch-up
}

TEST_F(AgePipeline, ScarZonesOfTheDesignFlagTheirImpressions) {
  Design d;
  DesignZone z;
  z.kind = ZoneKind::kScar;
  z.polygon = {{100, 100}, {180, 100}, {180, 200}, {100, 200}};
  d.zones.push_back(z);
  auto flags = scar_flags(sim_.impressions, d);
  ASSERT_EQ(flags.size(), sim_.impressions.size());
  for (size_t i = 0; i < flags.size(); ++i) {
    const auto& p = sim_.impressions[i].pos_px;
    bool inside = p.x > 100.5 && p.x < 179.5 && p.y > 100.5 && p.y < 199.5;
    bool outside = p.x < 99.5 || p.x > 180.5 || p.y < 99.5 || p.y > 200.5;
    if (inside) {
      EXPECT_EQ(flags[i], 1);
    }
    if (outside) {
      EXPECT_EQ(flags[i], 0);
    }
  }
}

TEST_F(AgePipeline, StripPlotAndJsonCarryTheFigures) {
  AgeOptions opt;
  opt.years = {0, 2, 6};
  AgeResult r = age_simulation(photo_, sim_, {}, opt);
  cv::Mat strip = make_age_strip(r, opt);
  EXPECT_EQ(strip.type(), CV_8UC3);
  // "Before" and three years, each column at least 300 px wide (a head a client recognises),
  // the head view and the close-up above the captions.
  EXPECT_GE(strip.cols, 4 * 300);
  EXPECT_GT(strip.rows, 440);
  // The first column is the client's own photo, unchanged apart from the close-up's outline:
  // its close-up (below the head view) matches the bare photo, not the treated year 0.
  EXPECT_EQ(r.before.data, photo_.data);
  ContrastPlot p = make_age_plot(r, opt);
  EXPECT_EQ(p.frames.size(), 3u);
  EXPECT_GE(p.x_max, 8);
  cv::Mat png = draw_contrast_plot(p);
  EXPECT_EQ(png.size(), cv::Size(1100, 640));
  std::string svg = contrast_plot_svg(p);
  EXPECT_NE(svg.find("touch-up due at"), std::string::npos);
  EXPECT_NE(svg.find(">threshold</text>"), std::string::npos);
  EXPECT_NE(svg.find(">70 %</text>"), std::string::npos);
  nlohmann::json j = to_json(r, opt);
  ASSERT_EQ(j["years"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["years"][0]["contrast_share"].get<double>(), 1.0);
  EXPECT_TRUE(j["touch_up_year"].is_number());
  EXPECT_TRUE(j["years"][2]["below_threshold"].get<bool>());
  EXPECT_EQ(j["conditions"]["sun"], "moderate");
}

TEST_F(AgePipeline, StripFramesTheHeadAndACloseUpOfTheTreatedScalp) {
  AgeOptions opt;
  opt.years = {0, 6};
  // A face below the treated area: the head view takes it in, whatever the treated area's size.
  StripFraming framing;
  framing.subject = cv::Rect(130, 200, 100, 90);
  AgeResult r = age_simulation(photo_, sim_, {}, opt, framing);
  cv::Rect treated = cv::boundingRect(sim_.map.treated);
  EXPECT_EQ(r.crop & treated, treated);
  EXPECT_EQ(r.crop & framing.subject, framing.subject);
  EXPECT_EQ(r.crop & cv::Rect(0, 0, photo_.cols, photo_.rows), r.crop);
  // The close-up: 25 mm wide at 8 px/mm, inside the treated ellipse (centre (180, 150)).
  EXPECT_NEAR(r.closeup.width, 25 * 8, 1);
  EXPECT_NEAR(r.closeup_mm, 25, 0.2);
  cv::Point c = (r.closeup.tl() + r.closeup.br()) / 2;
  EXPECT_NEAR(c.x, 180, 4);
  EXPECT_NEAR(c.y, 150, 4);
  // Without a subject the view still reaches below a thin treated band (room for the face).
  AgeResult plain = age_simulation(photo_, sim_, {}, opt);
  EXPECT_GE(plain.crop.br().y, std::min(photo_.rows, treated.br().y + treated.height / 4));
}

TEST(AgeReference, NullTouchUpYearWithAMessage) {
  AgeOptions opt;
  opt.threshold = 0.2;  // not reached within 15 years
  AgeResult r = age_reference(opt);
  EXPECT_FALSE(r.touch_up_year.has_value());
  EXPECT_NE(r.message.find("no touch-up due within 15 years"), std::string::npos);
  nlohmann::json j = to_json(r, opt);
  EXPECT_TRUE(j["touch_up_year"].is_null());
  EXPECT_TRUE(j["model_only"].get<bool>());
}

}  // namespace
}  // namespace smp
