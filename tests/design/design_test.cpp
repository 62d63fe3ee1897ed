// DESIGN.json parsing (errors name the field) and the hairline presets' rules.
#include "smp/design/design.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "smp/core/errors.h"
#include "smp/design/hairline.h"

namespace smp {
namespace {

std::string error_of(const std::string& json) {
  try {
    parse_design(json, "d.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Design, ParsesAFullDesign) {
  Design d = parse_design(R"({
    "hairline": {"preset": "mature", "mid_frontal_mm": 85, "transition_mm": 9,
                 "points": [[10, 50], [60, 20], [110, 50]]},
    "density_per_cm2": 120, "shade_L": 28, "sessions": 4, "whorl": [70, 90],
    "zones": [{"kind": "scar", "polygon": [[1,1],[5,1],[5,5]], "density_per_cm2": 150},
              {"kind": "exclude", "polygon": [[1,1],[5,1],[5,5]]}]})",
                          "d.json");
  EXPECT_EQ(d.preset, HairlinePreset::kMature);
  EXPECT_EQ(d.mid_frontal_mm, 85);
  EXPECT_EQ(d.transition_mm, 9);
  ASSERT_EQ(d.hairline.size(), 3u);
  EXPECT_EQ(d.hairline[1], cv::Point2d(60, 20));
  EXPECT_EQ(d.density_per_cm2, 120);
  EXPECT_EQ(d.shade_L, 28);
  EXPECT_EQ(d.sessions, 4);
  EXPECT_EQ(*d.whorl, cv::Point2d(70, 90));
  ASSERT_EQ(d.zones.size(), 2u);
  EXPECT_EQ(d.zones[0].kind, ZoneKind::kScar);
  EXPECT_EQ(d.zones[0].density_per_cm2, 150);
  EXPECT_EQ(d.zones[1].kind, ZoneKind::kExclude);
}

TEST(Design, EmptyObjectAndAutoShadeAreFine) {
  Design d = parse_design(R"({"shade_L": "auto"})", "d.json");
  EXPECT_FALSE(d.shade_L);
  EXPECT_TRUE(d.hairline.empty());
}

TEST(Design, ErrorsNameTheField) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"density_per_cm2": 900})").find("field 'density_per_cm2'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"density_per_cm2": "lots"})").find("expected a number"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"hairline": {"points": [[1,2],[3],[4,5]]}})").find("'hairline.points[1]'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"hairline": {"points": [[1,2]]}})").find("at least 3"), std::string::npos);
  EXPECT_NE(error_of(R"({"hairline": {"preset": "wavy"}})").find("'hairline.preset'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"zones": [{"kind": "mole", "polygon": [[1,1],[2,2],[3,1]]}]})")
                .find("'zones[0].kind'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"zones": [{"kind": "scar"}]})").find("'zones[0].polygon'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"sessions": 2.5})").find("'sessions'"), std::string::npos);
  EXPECT_NE(error_of(R"({"densty_per_cm2": 100})").find("'densty_per_cm2': unknown field"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"shade_L": "dark"})").find("'shade_L'"), std::string::npos);
  // The file's name leads the message.
  EXPECT_EQ(error_of(R"({"sessions": 9})").rfind("d.json: ", 0), 0u);
}

TEST(Design, MissingFileIsAnInputErrorNamingIt) {
  try {
    read_design("/nonexistent/design.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/design.json"), std::string::npos);
  }
}

// A face looking at the camera: eyes level, 63 mm apart at 2 px/mm.
Face frontal_face() {
  Face f;
  for (auto& p : f.landmarks) p = {500, 600};
  f.landmarks[36] = {437, 600};  // outer eye corners
  f.landmarks[45] = {563, 600};
  f.landmarks[21] = {490, 580};  // inner brows
  f.landmarks[22] = {510, 580};
  for (int i = 37; i <= 41; ++i) f.landmarks[i] = {450, 600};
  for (int i = 42; i <= 47; ++i) f.landmarks[i] = {550, 600};
  f.landmarks[36] = {437, 600};
  f.landmarks[45] = {563, 600};
  f.box = cv::Rect2d(400, 520, 200, 240);
  return f;
}

double mid_height_mm(const Face& f, const Hairline& h, double ppm) {
  double best = 1e9;
  for (const auto& p : h.points) best = std::min(best, p.y);
  return (f.glabella().y - best) / ppm;
}

TEST(Hairline, PresetsFollicleRules) {
  const double ppm = 2;
  Face f = frontal_face();
  for (auto preset : {HairlinePreset::kNatural, HairlinePreset::kMature, HairlinePreset::kYouthful,
                      HairlinePreset::kBroken}) {
    HairlineOptions o;
    o.preset = preset;
    Hairline h = propose_hairline(f, ppm, o);
    ASSERT_GE(h.points.size(), 5u);
    // 7-10 cm above the glabella along the forehead, which curves back: 5.5-8 cm on a frontal
    // photo.
    EXPECT_GE(h.mid_frontal_mm, 70) << to_string(preset);
    EXPECT_LE(h.mid_frontal_mm, 100) << to_string(preset);
    double mid = mid_height_mm(f, h, ppm);
    EXPECT_GE(mid, 55) << to_string(preset);
    EXPECT_LE(mid, 80) << to_string(preset);
    EXPECT_LT(mid, h.mid_frontal_mm) << "the forehead's curvature shortens it on the photo";
    EXPECT_GE(h.transition_mm, 5);
    EXPECT_LE(h.transition_mm, 10);
    // Temples sit lower than the middle (frontotemporal angle), left to right.
    EXPECT_GT(h.points.front().y, h.points[h.points.size() / 2].y);
    EXPECT_GT(h.points.back().y, h.points[h.points.size() / 2].y);
    EXPECT_LT(h.points.front().x, h.points.back().x);
  }
  HairlineOptions mature, youthful;
  mature.preset = HairlinePreset::kMature;
  youthful.preset = HairlinePreset::kYouthful;
  EXPECT_GT(mid_height_mm(f, propose_hairline(f, ppm, mature), ppm),
            mid_height_mm(f, propose_hairline(f, ppm, youthful), ppm));
}

TEST(Hairline, ForeheadProjectionFollowsPitch) {
  // Flat at the bottom: the first centimetre is nearly full height; further up it curves back.
  EXPECT_NEAR(projected_forehead_mm(10, 0), 10 * std::cos(10 * M_PI / 180), 0.5);
  EXPECT_LT(projected_forehead_mm(70, 0), 65);
  EXPECT_GT(projected_forehead_mm(70, 0), 50);
  // Chin down shows more forehead, chin up less.
  EXPECT_GT(projected_forehead_mm(70, -15), projected_forehead_mm(70, 0));
  EXPECT_LT(projected_forehead_mm(70, 15), projected_forehead_mm(70, 0));
  const double ppm = 2;
  Face f = frontal_face();
  Pose down, up;
  down.pitch = -15;
  up.pitch = 15;
  EXPECT_GT(mid_height_mm(f, propose_hairline(f, ppm, down, cv::Mat()), ppm),
            mid_height_mm(f, propose_hairline(f, ppm, up, cv::Mat()), ppm));
}

TEST(Hairline, StaysInsideTheHeadOutline) {
  const double ppm = 2;
  Face f = frontal_face();
  // A small head whose top is only 45 mm above the glabella: the line comes down inside it.
  cv::Mat head = cv::Mat::zeros(1000, 1000, CV_8U);
  cv::ellipse(head, cv::Point(500, 650), cv::Size(160, 160), 0, 0, 360, cv::Scalar(255), -1);
  Hairline h = propose_hairline(f, ppm, Pose{}, head);
  double top_mm = (f.glabella().y - (650 - 160)) / ppm;
  ASSERT_LT(top_mm, 50);
  double mid = mid_height_mm(f, h, ppm);
  EXPECT_LT(mid, top_mm - 5) << "at least a few mm inside the outline";
  EXPECT_GT(mid, 0.45 * mid_height_mm(f, propose_hairline(f, ppm), ppm));
  // A head cut off by the top of the photo is still a head: no lowering.
  cv::Mat cut = cv::Mat::zeros(1000, 1000, CV_8U);
  cv::ellipse(cut, cv::Point(500, 430), cv::Size(300, 500), 0, 0, 360, cv::Scalar(255), -1);
  EXPECT_NEAR(mid_height_mm(f, propose_hairline(f, ppm, Pose{}, cut), ppm),
              mid_height_mm(f, propose_hairline(f, ppm), ppm), 2.0);
  // A close-up whose head top shows just inside the photo, with the unlowered line above the
  // photo's top: it comes down inside the head all the same.
  const double close = 10;
  cv::Mat near_top = cv::Mat::zeros(1000, 1000, CV_8U);
  cv::ellipse(near_top, cv::Point(500, 600), cv::Size(600, 590), 0, 0, 360, cv::Scalar(255), -1);
  ASSERT_LT(f.glabella().y - mid_height_mm(f, propose_hairline(f, close), close) * close, 0);
  EXPECT_LT(mid_height_mm(f, propose_hairline(f, close, Pose{}, near_top), close),
            (f.glabella().y - 10) / close - 5);
}

}  // namespace
}  // namespace smp
