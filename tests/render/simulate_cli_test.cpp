// `smp simulate` through the real binary on the Debian sample photo: outputs, marker, report,
// determinism, and the error paths with their exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "smp/core/files.h"
#include "smp/image/image_io.h"
#include "test_support.h"

namespace smp {
namespace {

using test::run_smp;
using test::TempDir;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SimulateCli, SamplePhotoOutputsReportAndDeterminism) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  std::string args = "simulate " + photo + " --no-label --seed 7 --json " + t.path("r.json") +
                     " --impressions " + t.path("i.csv") + " --sessions-strip " + t.path("strip.jpg");
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
  for (const char* k : {"treated_area_cm2", "mean_density_per_cm2", "per_session", "px_per_mm", "blend",
                        "shade", "timings_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"model_load", "analyze", "render", "decode", "encode"})
    EXPECT_TRUE(j["timings_ms"].contains(k)) << k;
  EXPECT_GT(j["treated_area_cm2"].get<double>(), 0);
  EXPECT_EQ(j["per_session"].size(), 3u);
  // The CSV: a header and one row per impression.
  std::string csv = slurp(t.path("i.csv"));
  EXPECT_EQ(csv.rfind("index,session,x_px,y_px,x_mm,y_mm,diameter_mm,density,needles\n", 0), 0u);
  EXPECT_EQ(static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1, j["impressions"].get<int>());
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
  auto r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " + t.path("bad.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hairline.points[1]"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("a.jpg")));

  test::write_bytes(t.path("broken.json"), "{\"density_per_cm2\": ");
  r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " + t.path("broken.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;

  r = run_smp("simulate " + photo + " -o " + t.path("a.jpg") + " --design " + t.path("missing.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

TEST(SimulateCli, ImpossibleParametersAreUsageErrors) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg");
  std::string o = " -o " + t.path("a.jpg");
  for (const std::string& bad : {"--density 500", "--density 10", "--sessions 0", "--sessions 5",
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

}  // namespace
}  // namespace smp
