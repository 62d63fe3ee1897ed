// smp compare: registration on known warps, verdicts, light matching, anonymisation, outputs.
#include "smp/photo/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "smp/core/files.h"
#include "smp/image/colour.h"
#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

using test::sample_photo;
using test::TempDir;

const FaceModel& model() {
  return test::face_model();
}

// A sample photo at about 1 megapixel (the size the accuracy targets are stated for).
cv::Mat at_one_megapixel(const std::string& name) {
  cv::Mat img = read_photo(sample_photo(name)).bgr;
  double s = std::sqrt(1e6 / img.total());
  cv::Mat out;
  cv::resize(img, out, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

// Exposure (EV) and per-channel white-balance gains applied in linear light, like a camera would.
cv::Mat relight(const cv::Mat& bgr8, double ev, cv::Vec3d wb = {1, 1, 1}) {
  cv::Mat lin = to_linear(bgr8);
  double g = std::pow(2.0, ev);
  cv::multiply(lin, cv::Scalar(g * wb[0], g * wb[1], g * wb[2]), lin);
  return to_srgb8(lin);
}

// The similarity about the image centre that takes BEFORE to AFTER (the "camera moved" truth).
cv::Matx23d warp_about(cv::Point2d c, double scale, double ccw_deg, cv::Point2d shift) {
  cv::Matx23d r = similarity(scale, ccw_deg, {0, 0});
  cv::Point2d rc(r(0, 0) * c.x + r(0, 1) * c.y, r(1, 0) * c.x + r(1, 1) * c.y);
  r(0, 2) = c.x - rc.x + shift.x;
  r(1, 2) = c.y - rc.y + shift.y;
  return r;
}

cv::Point2d apply(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

// As a clinic frames a client: head and shoulders, the face about a third of the width, at 1 MP.
cv::Mat framed_at_one_megapixel(const std::string& name) {
  cv::Mat img = read_photo(sample_photo(name)).bgr;
  auto faces = model().detect(img);
  if (faces.empty()) return {};
  cv::Rect2d f = faces.front().box;
  double w = f.width / 0.35, h = w * 1.25;
  cv::Point2d c(f.x + f.width / 2, f.y + f.height * 0.6);
  cv::Rect r(cv::Point(cvRound(c.x - w / 2), cvRound(c.y - h / 2)),
             cv::Size(cvRound(w), cvRound(h)));
  r &= cv::Rect(0, 0, img.cols, img.rows);
  cv::Mat crop = img(r), out;
  double s = std::sqrt(1e6 / crop.total());
  cv::resize(crop, out, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

TEST(Similarity, RotationIsCounterClockwiseOnScreen) {
  // A point to the right of the origin goes up the screen (smaller y) when turned CCW.
  cv::Point2d p = apply(similarity(1, 90, {0, 0}), {1, 0});
  EXPECT_NEAR(p.x, 0, 1e-12);
  EXPECT_NEAR(p.y, -1, 1e-12);
  Alignment a = describe(similarity(1.2, 12.5, {3, -4}));
  EXPECT_NEAR(a.scale, 1.2, 1e-12);
  EXPECT_NEAR(a.rotation_deg, 12.5, 1e-12);
  EXPECT_NEAR(a.shift_px.x, 3, 1e-12);
  EXPECT_NEAR(a.shift_px.y, -4, 1e-12);
}

// The acceptance figures: >= 20 known warps (rotation ±15°, scale 0.8-1.25, shifts, exposure and
// colour changes) recovered within 0.2° and 0.2 %, landmark residual under 1.5 px at 1 MP.
TEST(Compare, RecoversKnownWarps) {
  std::mt19937 rng(20260110);
  std::uniform_real_distribution<double> rot(-15, 15), logscale(std::log(0.8), std::log(1.25)),
      shift(-40, 40), ev(-0.4, 0.4), wb(0.92, 1.08);
  const std::vector<std::string> photos = {"bald_guys.jpg", "Tom_Cruise_avp_2014_4.jpg",
                                           "2009_004587.jpg"};
  double worst_rot = 0, worst_scale = 0, sum_res = 0, worst_res = 0, worst_true = 0, sum_true = 0;
  int n = 0;
  std::printf("%-28s %8s %8s %8s | %9s %9s %8s %8s %s\n", "photo", "rot", "scale", "ev", "d_rot",
              "d_scale%", "resid", "true_res", "method");
  for (const auto& name : photos) {
    cv::Mat before = framed_at_one_megapixel(name);
    ASSERT_FALSE(before.empty()) << name;
    auto fb = model().detect(before);
    ASSERT_FALSE(fb.empty()) << name;
    for (int k = 0; k < 7; ++k) {
      double r = rot(rng), s = std::exp(logscale(rng)), e = ev(rng);
      // The extremes of the stated range are always in the set.
      if (k == 0) r = 15, s = 1.25;
      if (k == 1) r = -15, s = 0.8;
      // The camera moved relative to the person: turn and zoom about the face, so it stays in view.
      cv::Point2d fc = (fb.front().box.tl() + fb.front().box.br()) * 0.5;
      cv::Matx23d T = warp_about(fc, s, r, {shift(rng), shift(rng)});
      cv::Mat after;
      cv::warpAffine(before, after, cv::Mat(T), before.size(), cv::INTER_CUBIC,
                     cv::BORDER_REPLICATE);
      after = relight(after, e, {wb(rng), 1.0, wb(rng)});
      Comparison c = compare_photos(before, after, model());
      // The truth maps AFTER onto BEFORE: T's inverse, so scale 1/s and rotation -r.
      double d_rot = c.alignment.rotation_deg - (-r);
      double d_scale = (c.alignment.scale * s - 1) * 100;
      // True residual: where BEFORE's landmarks really are in AFTER, carried back by the estimate.
      double true_res = 0;
      for (const auto& p : fb.front().landmarks)
        true_res += cv::norm(apply(c.alignment.m, apply(T, p)) - p);
      true_res /= 68;
      if (k == 0)
        std::printf("%s framed %dx%d, face %.0f px wide\n", name.c_str(), before.cols, before.rows,
                    fb.front().box.width);
      std::printf("%-28s %8.2f %8.4f %8.2f | %9.4f %9.4f %8.3f %8.3f %s\n", name.c_str(), r, s, e,
                  d_rot, d_scale, c.alignment.residual_px, true_res, c.alignment.method.c_str());
      EXPECT_LT(std::abs(d_rot), 0.2) << name << " rot " << r;
      EXPECT_LT(std::abs(d_scale), 0.2) << name << " scale " << s;
      EXPECT_LT(true_res, 1.5) << name;
      worst_rot = std::max(worst_rot, std::abs(d_rot));
      worst_scale = std::max(worst_scale, std::abs(d_scale));
      worst_res = std::max(worst_res, c.alignment.residual_px);
      worst_true = std::max(worst_true, true_res);
      sum_res += c.alignment.residual_px;
      sum_true += true_res;
      ++n;
    }
  }
  std::printf(
      "warps %d: worst |d_rot| %.4f deg, worst |d_scale| %.4f %%, true landmark residual mean %.3f "
      "px "
      "(worst %.3f); reported residual_px (landmarks re-located) mean %.3f px (worst %.3f)\n",
      n, worst_rot, worst_scale, sum_true / n, worst_true, sum_res / n, worst_res);
  EXPECT_GE(n, 20);
  EXPECT_LT(sum_true / n, 1.5);
}

TEST(Compare, IdenticalPairHasZeroResidualAndIsOk) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  Comparison c = compare_photos(img, img, model());
  EXPECT_EQ(c.verdict, "ok");
  EXPECT_LT(c.alignment.residual_px, 1e-3);
  EXPECT_NEAR(c.alignment.scale, 1, 1e-6);
  EXPECT_NEAR(c.alignment.rotation_deg, 0, 1e-4);
  EXPECT_NEAR(c.light.exposure_ev, 0, 1e-9);
  EXPECT_NEAR(c.light.white_balance_de, 0, 1e-9);
  EXPECT_EQ(c.crop, cv::Rect(0, 0, img.cols, img.rows));
}

TEST(Compare, OneStopOfExposureIsRetake) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  for (double ev : {-1.0, 1.0}) {
    Comparison c = compare_photos(img, relight(img, ev), model());
    EXPECT_EQ(c.verdict, "retake") << ev;
    // Clipped pixels are skipped, so the measure stays close to the truth.
    EXPECT_NEAR(c.light.exposure_ev, ev, 0.15) << ev;
    ASSERT_FALSE(c.reasons.empty());
    EXPECT_NE(c.reasons.front().find("exposure"), std::string::npos) << c.reasons.front();
  }
}

TEST(Compare, SmallChangesStayOk) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  Comparison c = compare_photos(img, relight(img, 0.2), model());
  EXPECT_EQ(c.verdict, "ok") << (c.reasons.empty() ? "" : c.reasons.front());
  EXPECT_NEAR(c.light.exposure_ev, 0.2, 0.05);
}

TEST(Compare, WhiteBalanceShiftIsRetakeAndNormalised) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  // A strong tungsten cast: blue down, red up.
  cv::Mat warm = relight(img, 0, {0.6, 1.0, 1.5});
  Comparison c = compare_photos(img, warm, model());
  EXPECT_EQ(c.verdict, "retake");
  EXPECT_GT(c.light.white_balance_de, 5);
  // Normalising brings the face back: compare the mean Lab of the face skin before / after.
  cv::Mat mask = cv::Mat::zeros(c.before.size(), CV_8U);
  cv::Rect box(c.face_before->box);
  box &= cv::Rect(0, 0, mask.cols, mask.rows);
  mask(box).setTo(255);
  double de = delta_e2000(mean_lab(c.before, mask), mean_lab(c.after, mask));
  EXPECT_LT(de, 2.0) << "after light matching";
}

TEST(Judge, PoseLightAndRollThresholds) {
  CompareOptions opt;
  LightDifference ok_light;
  Pose b{0, 0, 0};
  Pose yaw10{10, 0, 0}, pitch6{0, -6, 0}, yaw4{4, 0, 0};
  EXPECT_EQ(judge(b, yaw10, 0, ok_light, opt).verdict, "retake");
  EXPECT_NE(judge(b, yaw10, 0, ok_light, opt).reasons.at(0).find("yaw differs by 10.0"),
            std::string::npos);
  EXPECT_EQ(judge(b, pitch6, 0, ok_light, opt).verdict, "retake");
  EXPECT_EQ(judge(b, yaw4, 0, ok_light, opt).verdict, "ok");
  // Roll that the alignment took out does not count; roll left over does.
  EXPECT_EQ(judge(b, b, 0.5, ok_light, opt).verdict, "ok");
  EXPECT_EQ(judge(b, b, 8, ok_light, opt).verdict, "retake");
  LightDifference dark;
  dark.exposure_ev = -0.6;
  EXPECT_EQ(judge(b, b, 0, dark, opt).verdict, "retake");
  opt.max_exposure_ev = 1.0;  // thresholds are settable
  EXPECT_EQ(judge(b, b, 0, dark, opt).verdict, "ok");
}

// Two different sample faces with a real head-pose difference past the threshold: retake. (The
// sample set has no one photographed twice, so no natural 10° yaw pair exists.)
TEST(Compare, PoseDifferencePastThresholdIsRetake) {
  cv::Mat a = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  cv::Mat b = at_one_megapixel("2009_004587.jpg");
  Pose pa = estimate_pose(model().detect(a).front(), a.size());
  Pose pb = estimate_pose(model().detect(b).front(), b.size());
  double dyaw = std::abs(pa.yaw - pb.yaw), dpitch = std::abs(pa.pitch - pb.pitch);
  std::printf("pose A yaw %.1f pitch %.1f, B yaw %.1f pitch %.1f\n", pa.yaw, pa.pitch, pb.yaw,
              pb.pitch);
  ASSERT_GT(std::max(dyaw, dpitch), 5.0) << "the two sample faces should differ in pose";
  Comparison c = compare_photos(a, b, model());
  EXPECT_EQ(c.verdict, "retake");
  bool pose_reason = false;
  for (const auto& r : c.reasons) pose_reason |= r.rfind("pose:", 0) == 0;
  EXPECT_TRUE(pose_reason);
}

TEST(Anonymize, EyeBoxesAreCovered) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  auto faces = model().detect(img);
  ASSERT_FALSE(faces.empty());
  for (Anonymize how : {Anonymize::kEyes, Anonymize::kFace}) {
    cv::Mat out = anonymize(img, faces, how);
    for (const cv::Rect& r : eye_boxes(faces.front(), img.size())) {
      cv::Mat diff;
      cv::absdiff(img(r), out(r), diff);
      cv::Scalar md = cv::mean(diff);
      EXPECT_GT((md[0] + md[1] + md[2]) / 3, 20) << to_string(how);
      // Nothing of the eye's detail is left: the region is flat.
      cv::Mat gray;
      cv::cvtColor(out(r), gray, cv::COLOR_BGR2GRAY);
      cv::Scalar mean, sd;
      cv::meanStdDev(gray, mean, sd);
      EXPECT_LT(sd[0], how == Anonymize::kEyes ? 1.0 : 15.0) << to_string(how);
    }
    // Far from the face nothing changed.
    cv::Rect corner(0, img.rows - 40, 40, 40);
    EXPECT_EQ(cv::norm(img(corner), out(corner), cv::NORM_INF), 0);
  }
  EXPECT_EQ(cv::norm(anonymize(img, faces, Anonymize::kNone), img, cv::NORM_INF), 0);
}

TEST(Compose, LayoutsHaveTheExpectedShape) {
  cv::Mat img = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  Comparison c = compare_photos(img, relight(img, 0.1), model());
  cv::Mat side = compose(c, Layout::kSide, {});
  EXPECT_GT(side.cols, 2 * c.before.cols);
  EXPECT_GT(side.rows, c.before.rows);  // the caption bar
  cv::Mat split = compose(c, Layout::kSplit, {});
  EXPECT_EQ(split.size(), c.before.size());
  cv::Mat overlay = compose(c, Layout::kOverlay, {});
  EXPECT_EQ(overlay.size(), c.before.size());
}

// --- the CLI ---

bool has_exif(const std::string& path) {
  auto bytes = read_file_bytes(path);
  std::string s(bytes.begin(), bytes.end());
  return s.find("Exif") != std::string::npos ||
         s.find("http://ns.adobe.com/xap") != std::string::npos ||
         s.find("eXIf") != std::string::npos;
}

// A copy of a sample photo with an EXIF block (camera make) spliced in after the JPEG's SOI, so
// "no EXIF in the output" means something.
std::string photo_with_exif(const TempDir& t, const std::string& name, const std::string& out) {
  auto jpg = read_file_bytes(sample_photo(name));
  // TIFF header (little endian), IFD0 with one entry: Make = "Test".
  const uint8_t tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x0F, 0x01, 2,   0,   5, 0,
                          0,   0,   26, 0, 0, 0, 0, 0, 0, 0, 'T',  'e',  's', 't', 0};
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), std::begin(tiff), std::end(tiff));
  size_t len = app1.size() - 2;
  app1[2] = static_cast<uint8_t>(len >> 8);
  app1[3] = static_cast<uint8_t>(len & 255);
  jpg.insert(jpg.begin() + 2, app1.begin(), app1.end());
  std::string dst = t.path(out);
  write_file_atomic(dst, jpg);
  return dst;
}

TEST(CompareCli, WritesCompositeReportPageAndVideoWithoutMetadata) {
  TempDir t;
  std::string before = photo_with_exif(t, "Tom_Cruise_avp_2014_4.jpg", "before.jpg");
  ASSERT_TRUE(has_exif(before));
  ASSERT_EQ(read_photo(before).bgr.cols, 565);  // still a valid JPEG
  // AFTER: the same photo turned 5° and enlarged a little, as a second visit would be.
  cv::Mat b = read_photo(before).bgr;
  cv::Mat after;
  cv::warpAffine(b, after, cv::Mat(warp_about({b.cols / 2.0, b.rows / 2.0}, 1.08, 5, {10, -6})),
                 b.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  write_image(t.path("after.jpg"), after);
  auto r =
      test::run_smp("compare " + before + " " + t.path("after.jpg") + " -o " + t.path("out.jpg") +
                    " --layout split --html " + t.path("page.html") + " --video " +
                    t.path("wipe.webm") + " --anonymize eyes --json " + t.path("report.json") +
                    " --before-date 2026-01-10 --after-date 2026-03-02");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(std::ifstream(t.path("report.json")));
  EXPECT_EQ(j["verdict"], "ok") << j.dump(2);
  EXPECT_NEAR(j["alignment"]["scale"].get<double>(), 1 / 1.08, 0.002);
  EXPECT_NEAR(j["alignment"]["rotation_deg"].get<double>(), -5, 0.2);
  EXPECT_TRUE(j["alignment"].contains("residual_px"));
  EXPECT_TRUE(j["alignment"].contains("shift_px"));
  EXPECT_TRUE(j.contains("timings_ms"));
  EXPECT_FALSE(has_exif(t.path("out.jpg")));
  Photo out = read_photo(t.path("out.jpg"));
  EXPECT_GT(out.bgr.cols, 100);
  auto page_bytes =
      read_file_bytes(t.path("page.html"));  // one vector: begin() and end() must match
  std::string page(page_bytes.begin(), page_bytes.end());
  EXPECT_NE(page.find("type=\"range\""), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_GT(std::filesystem::file_size(t.path("wipe.webm")), 1000u);
  // No temp files left beside the outputs.
  for (const auto& e : std::filesystem::directory_iterator(t.dir()))
    EXPECT_EQ(e.path().filename().string().rfind(".smp-tmp", 0), std::string::npos) << e.path();
}

TEST(CompareCli, ExposureDifferenceGivesRetakeVerdict) {
  TempDir t;
  cv::Mat b = at_one_megapixel("Tom_Cruise_avp_2014_4.jpg");
  write_image(t.path("b.png"), b);
  write_image(t.path("a.png"), relight(b, -1));
  auto r = test::run_smp("compare " + t.path("b.png") + " " + t.path("a.png") + " --json " +
                         t.path("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(std::ifstream(t.path("r.json")));
  EXPECT_EQ(j["verdict"], "retake");
  EXPECT_NE(r.err.find("retake"), std::string::npos);
}

TEST(CompareCli, BadInputsNameTheFile) {
  TempDir t;
  test::write_bytes(t.path("broken.jpg"), "not an image at all");
  std::string face = sample_photo("Tom_Cruise_avp_2014_4.jpg");
  auto r = test::run_smp("compare " + face + " " + t.path("broken.jpg") + " -o " + t.path("o.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("o.jpg")));

  r = test::run_smp("compare " + face + " " + t.path("missing.jpg") + " -o " + t.path("o.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("missing.jpg"), std::string::npos) << r.err;

  // A front photo paired with a photo without a face.
  cv::Mat plain(600, 800, CV_8UC3, cv::Scalar(90, 120, 150));
  cv::circle(plain, {400, 300}, 120, cv::Scalar(60, 80, 200), -1);
  write_image(t.path("noface.png"), plain);
  r = test::run_smp("compare " + face + " " + t.path("noface.png") + " -o " + t.path("o.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("noface.png"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("o.jpg")));

  r = test::run_smp("compare " + face + " " + face + " --layout diagonal -o " + t.path("o.jpg"));
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_smp("compare " + face + " " + face + " --video " + t.path("v.avi"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("v.avi"), std::string::npos) << r.err;
}

TEST(CompareCli, RefusesASimulationAsResult) {
  TempDir t;
  cv::Mat b = read_photo(sample_photo("Tom_Cruise_avp_2014_4.jpg")).bgr;
  write_image(t.path("sim.png"), b, {.mark_simulated = true});
  auto r = test::run_smp("compare " + sample_photo("Tom_Cruise_avp_2014_4.jpg") + " " +
                         t.path("sim.png") + " -o " + t.path("o.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("sim.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("simulation"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace smp
