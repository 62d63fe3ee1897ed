// `smp simulate` through the real binary on the Debian sample photo: outputs, marker, report,
// determinism, and the error paths with their exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "smp/core/files.h"
#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

using test::run_smp;
using test::TempDir;

using test::slurp;

TEST(SimulateCli, SamplePhotoOutputsReportAndDeterminism) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  std::string args = "simulate " + photo + " --no-label --seed 7 --json " + t.path("r.json") +
                     " --impressions " + t.path("i.csv") + " --sessions-strip " +
                     t.path("strip.jpg");
  auto r1 = run_smp(args + " -o " + t.path("a.png"));
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto r2 = run_smp("simulate " + photo + " --no-label --seed 7 -o " + t.path("b.png"));
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  // Deterministic for a seed: the same bytes.
  EXPECT_EQ(slurp(t.path("a.png")), slurp(t.path("b.png")));

  cv::Mat in = cv::imread(photo), out = cv::imread(t.path("a.png"));
  ASSERT_EQ(in.size(), out.size());
  EXPECT_TRUE(has_simulation_marker(read_file_bytes(t.path("a.png"))));
  EXPECT_TRUE(has_simulation_marker(read_file_bytes(t.path("strip.jpg"))));
  // Some pixels changed (the analysed head), and only near it: the lower half of the collage
  // shows other people and stays bit-identical.
  cv::Mat diff;
  cv::absdiff(in, out, diff);
  EXPECT_GT(cv::countNonZero(diff.reshape(1)), 500);
  cv::Rect lower(0, in.rows * 2 / 3, in.cols, in.rows - in.rows * 2 / 3);
  EXPECT_EQ(cv::countNonZero(diff(lower).reshape(1)), 0);
  // Never brighter.
  cv::Mat brighter;
  cv::subtract(out, in, brighter);
  EXPECT_EQ(cv::countNonZero(brighter.reshape(1)), 0);

  auto j = nlohmann::json::parse(slurp(t.path("r.json")));
  for (const char* k : {"treated_area_cm2", "mean_density_per_cm2", "per_session", "px_per_mm",
                        "blend", "shade", "timings_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"model_load", "analyze", "render", "decode", "encode"})
    EXPECT_TRUE(j["timings_ms"].contains(k)) << k;
  EXPECT_GT(j["treated_area_cm2"].get<double>(), 0);
  EXPECT_EQ(j["per_session"].size(), 3u);
  // The CSV: a header and one row per impression.
  std::string csv = slurp(t.path("i.csv"));
  EXPECT_EQ(csv.rfind("index,session,x_px,y_px,x_mm,y_mm,diameter_mm,density,needles\n", 0), 0u);
  EXPECT_EQ(static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1,
            j["impressions"].get<int>());
  // The strip: sessions side by side.
  cv::Mat strip = cv::imread(t.path("strip.jpg"));
  EXPECT_GT(strip.cols, 2 * strip.rows * in.cols / in.rows);
}

TEST(SimulateCli, LabelledByDefault) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  auto r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --sessions 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat in = cv::imread(photo), out = cv::imread(t.path("a.jpg"));
  // The label sits in the bottom-right corner, where the photo had none.
  cv::Rect corner(in.cols - in.cols / 8, in.rows - in.rows / 20, in.cols / 8, in.rows / 20);
  EXPECT_GT(cv::norm(in(corner), out(corner), cv::NORM_L1) / corner.area(), 10.0);
}

TEST(SimulateCli, BadDesignFilesNameTheField) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  test::write_bytes(t.path("bad.json"), R"({"hairline": {"points": [[1, 2], [3], [5, 6]]}})");
  auto r =
      run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " + t.path("bad.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hairline.points[1]"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("a.jpg")));

  test::write_bytes(t.path("broken.json"), "{\"density_per_cm2\": ");
  r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " +
              t.path("broken.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;

  r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " +
              t.path("missing.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

TEST(SimulateCli, ImpossibleParametersAreUsageErrors) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  std::string o = " -o " + t.path("a.jpg");
  for (const char* bad : {"--density 500", "--density 10", "--sessions 0", "--sessions 5",
                          "--shade black", "--shade 95", "--hairline wavy"}) {
    auto r = run_smp("simulate " + photo + o + " " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_FALSE(r.err.empty()) << bad;
  }
  auto r = run_smp("simulate " + photo + " -o " + t.path("a.gif"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a.gif"), std::string::npos);
  r = run_smp("simulate " + t.path("nophoto.jpg") + o);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nophoto.jpg"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(t.path("a.jpg")));
}

// The client's view of the main job: on the bald head of the sample, the treated scalp gets
// clearly darker (a shaved head's shadow, not a faint tint), every changed pixel lies under an
// impression of the CSV map, and the rest of the PNG is bit-identical.
TEST(SimulateCli, SampleScalpDarkensAndOnlyUnderImpressions) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  auto r = run_smp("simulate " + photo + " --no-label -o " + t.path("a.png") + " --json " +
                   t.path("r.json") + " --impressions " + t.path("i.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(t.path("r.json")));
  // A fully bald head gets the scalp, not a band: tens of cm² in a front view.
  EXPECT_GT(j["treated_area_cm2"].get<double>(), 15);
  // Mean L* of the full-density area drops clearly (light / medium skin: 8-20 L*).
  EXPECT_GT(j["darkening_L"].get<double>(), 6);
  EXPECT_LT(j["darkening_L"].get<double>(), 25);
  const double ppm = j["px_per_mm"].get<double>();

  cv::Mat in = cv::imread(photo), out = cv::imread(t.path("a.png"));
  ASSERT_EQ(in.size(), out.size());
  cv::Mat near = cv::Mat::zeros(in.size(), CV_8U);
  std::istringstream csv(slurp(t.path("i.csv")));
  std::string line;
  std::getline(csv, line);
  int n = 0;
  // A dot's footprint: its halo (0.5 mm sigma, blurred like the photo) is gone within ~3 mm.
  const int reach = static_cast<int>(std::ceil(3.0 * ppm + 6));
  while (std::getline(csv, line)) {
    double idx, session, x, y;
    char c;
    std::istringstream ls(line);
    ls >> idx >> c >> session >> c >> x >> c >> y;
    cv::circle(near, cv::Point(cvRound(x), cvRound(y)), reach, cv::Scalar(255), -1);
    ++n;
  }
  ASSERT_EQ(n, j["impressions"].get<int>());
  cv::Mat diff, changed;
  cv::absdiff(in, out, diff);
  cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
  changed = diff > 0;
  EXPECT_GT(cv::countNonZero(changed), 2000);
  EXPECT_EQ(cv::countNonZero(changed & ~near), 0) << "pixels changed away from every impression";
}

// The proposed hairline of the sample's largest face (a bald man, head slightly down) sits on
// the forehead about a third of the face above the brows, inside the photo and the head.
TEST(SimulateCli, SampleHairlineSitsOnTheForehead) {
  TempDir t;
  auto r =
      run_smp("analyze " + test::sample_photo("bald_guys.jpg") + " --json " + t.path("a.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(t.path("a.json")));
  const auto& lm = j["landmarks"];
  const double ppm = j["px_per_mm"].get<double>();
  cv::Point2d g((lm[21][0].get<double>() + lm[22][0].get<double>()) / 2,
                (lm[21][1].get<double>() + lm[22][1].get<double>()) / 2);
  cv::Point2d chin(lm[8][0].get<double>(), lm[8][1].get<double>());
  double top = 1e9;
  for (const auto& p : j["hairline"]) {
    EXPECT_GT(p[1].get<double>(), 5.0) << "the hairline leaves the photo";
    top = std::min(top, p[1].get<double>());
  }
  const double above_mm = (g.y - top) / ppm;
  EXPECT_GT(above_mm, 45);
  EXPECT_LT(above_mm, 75);
  // About a third of the face's height (hairline to chin) above the glabella.
  const double third = (g.y - top) / (chin.y - top);
  EXPECT_GT(third, 0.25);
  EXPECT_LT(third, 0.42);
}

}  // namespace
}  // namespace smp
