// `smp age` through the real binary: year 0 is `smp simulate`'s output pixel for pixel, the
// outputs exist and are marked as simulations, bad options exit 2 with a clear message.
#include <gtest/gtest.h>

#include <filesystem>
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

using test::slurp;

// One bald head cut from Debian's bald_guys.jpg (small: quick to analyse), and a design whose
// treat zone covers its scalp so the test does not depend on scalp detection.
struct Client {
  TempDir dir;
  std::string photo = dir.path("client.png"), design = dir.path("design.json");
  Client() {
    cv::Mat all = cv::imread(test::sample_photo("bald_guys.jpg"));
    if (all.empty()) return;
    cv::imwrite(photo, all(cv::Rect(722, 725, 280, 400)));
    test::write_bytes(
        design,
        R"({"zones": [{"kind": "treat", "polygon": [[70, 20], [210, 20], [222, 95], [58, 95]]}]})");
  }
  bool ok() const { return std::filesystem::exists(photo); }
};

TEST(AgeCli, YearZeroIsSimulatesOutputPixelForPixel) {
  Client c;
  if (!c.ok()) GTEST_SKIP() << "no Debian sample photo";
  std::string sim = c.dir.path("sim.png"), frames = c.dir.path("frames"),
              strip = c.dir.path("strip.jpg"), plot = c.dir.path("plot.svg"),
              json = c.dir.path("age.json");
  auto s = run_smp("simulate " + c.photo + " --design " + c.design + " --seed 5 -o " + sim);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  // Type III given: the model's calibration (4-6 years at moderate sun) is for that type; left
  // out, the photo's own type is used (checked in plan_cli_test against `smp plan`).
  auto a = run_smp("age " + c.photo + " --design " + c.design +
                   " --seed 5 --skin-type III --years 0,2,5,8 --frames " + frames +
                   " --frames-format png -o " + strip + " --plot " + plot + " --json " + json);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  cv::Mat want = cv::imread(sim), got = cv::imread(frames + "/year_0.png");
  ASSERT_FALSE(want.empty());
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(want.size(), got.size());
  EXPECT_EQ(cv::norm(want, got, cv::NORM_INF), 0.0);
  // Later years differ from year 0, inside the treated area only.
  cv::Mat y8 = cv::imread(frames + "/year_8.png");
  EXPECT_GT(cv::norm(want, y8, cv::NORM_L1), 0.0);
  // Every picture is a simulation and says so.
  for (const std::string& f : {frames + "/year_0.png", frames + "/year_8.png", strip})
    EXPECT_TRUE(has_simulation_marker(read_file_bytes(f))) << f;
  std::string svg = slurp(plot);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find(">threshold</text>"), std::string::npos);
  auto j = nlohmann::json::parse(slurp(json));
  ASSERT_EQ(j["years"].size(), 4u);
  EXPECT_DOUBLE_EQ(j["years"][0]["contrast_share"].get<double>(), 1.0);
  EXPECT_LT(j["years"][3]["contrast_share"].get<double>(),
            j["years"][1]["contrast_share"].get<double>());
  EXPECT_EQ(j["conditions"]["skin_type_source"], "user");
  ASSERT_TRUE(j["touch_up_year"].is_number()) << j.dump(2);
  EXPECT_GE(j["touch_up_year"].get<double>(), 4.0);
  EXPECT_LE(j["touch_up_year"].get<double>(), 6.0);
  EXPECT_LT(j["model_check"]["max_share_error"].get<double>(), 0.03);
  EXPECT_TRUE(j.contains("timings_ms"));
}

TEST(AgeCli, ModelOnlyReportsTheTouchUpYear) {
  auto d = run_smp("age --model-only");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto j = nlohmann::json::parse(d.out);
  EXPECT_EQ(j["conditions"]["skin_type_source"], "default");  // no photo: type III
  EXPECT_EQ(j["conditions"]["skin_type"], "III");
  double base = j["touch_up_year"].get<double>();
  EXPECT_GE(base, 4.0);
  EXPECT_LE(base, 6.0);
  auto h = run_smp("age --model-only --sun high");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_LT(nlohmann::json::parse(h.out)["touch_up_year"].get<double>(), base);
  auto s = run_smp("age --model-only --scar --skin-type ii");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_LT(nlohmann::json::parse(s.out)["touch_up_year"].get<double>(), base);
  auto n = run_smp("age --model-only --threshold 0.2");
  ASSERT_EQ(n.exit_code, 0) << n.err;
  auto jn = nlohmann::json::parse(n.out);
  EXPECT_TRUE(jn["touch_up_year"].is_null());
  EXPECT_NE(jn["message"].get<std::string>().find("no touch-up due"), std::string::npos);
}

TEST(AgeCli, BadOptionsExitTwoWithAClearMessage) {
  TempDir t;
  std::string photo = test::sample_photo("bald_guys.jpg"), out = t.path("strip.jpg");
  struct Case {
    std::string args, says;
  } cases[] = {
      {"--years -1", "--years"},
      {"--years 0,1,x", "--years"},
      {"--sun extreme", "--sun"},
      {"--skin-type VII", "--skin-type"},
      {"--threshold 1.5", "--threshold"},
      {"--touch-up-at 0", "--touch-up-at"},
      {"--plot " + t.path("p.gif"), "--plot"},
  };
  for (const Case& c : cases) {
    auto r = run_smp("age " + photo + " " + c.args + " -o " + out);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.args;
  }
  auto none = run_smp("age");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("PHOTO"), std::string::npos) << none.err;
  auto missing = run_smp("age " + t.path("nope.jpg") + " -o " + out);
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("nope.jpg"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace smp
