// The real `smp` binary: help, version, `smp analyze` outputs, exit codes and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_support.h"

namespace smp {
namespace {

using test::run_smp;
using test::TempDir;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

int lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

// Expects a bad-input failure: exit 3, one stderr line naming the file and the reason, and no
// output files left behind.
void expect_refused(const std::string& photo, const std::string& reason) {
  TempDir t;
  test::RunResult r =
      run_smp("analyze " + q(photo) + " --json " + q(t.path("a.json")) + " --parts " +
              q(t.path("p.png")) + " --overlay " + q(t.path("o.png")));
  EXPECT_EQ(r.exit_code, 3) << photo << "\n" << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(photo), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(t.dir())) << "an output was left behind for " << photo;
}

TEST(Cli, HelpAndVersion) {
  test::RunResult h = run_smp("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("analyze"), std::string::npos);
  test::RunResult v = run_smp("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("smp ", 0), 0u) << v.out;
  test::RunResult a = run_smp("analyze --help");
  EXPECT_EQ(a.exit_code, 0);
  for (const char* opt :
       {"--json", "--overlay", "--parts", "--ipd-mm", "--px-per-mm", "--marker-mm", "--face"})
    EXPECT_NE(a.out.find(opt), std::string::npos) << opt;
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(run_smp("").exit_code, 2);
  EXPECT_EQ(run_smp("frobnicate").exit_code, 2);
  EXPECT_EQ(run_smp("analyze").exit_code, 2);
  const std::string photo = q(test::sample_photo());
  EXPECT_EQ(run_smp("analyze " + photo + " --bogus").exit_code, 2);
  EXPECT_EQ(run_smp("analyze " + photo + " --ipd-mm 10").exit_code, 2);
  EXPECT_EQ(run_smp("analyze " + photo + " --px-per-mm -1").exit_code, 2);
  EXPECT_EQ(run_smp("analyze " + photo + " --view front").exit_code, 2);
  EXPECT_EQ(run_smp("simulate " + photo + " -o x.jpg --view sideways").exit_code, 2);
  TempDir t;
  // The parts map must stay lossless (exact colours): refused before any work.
  test::RunResult r = run_smp("analyze " + photo + " --parts " + q(t.path("p.jpg")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(t.dir()));
  test::RunResult f = run_smp("analyze " + photo + " --face 99 --json " + q(t.path("a.json")));
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("--face 99"), std::string::npos) << f.err;
  EXPECT_TRUE(std::filesystem::is_empty(t.dir()));
}

class AnalyzeSample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_ = new test::RunResult(run_smp(
        "analyze " + q(test::sample_photo()) + " --json " + q(dir_->path("a.json")) + " --parts " +
        q(dir_->path("parts.png")) + " --overlay " + q(dir_->path("overlay.png"))));
    std::ifstream in(dir_->path("a.json"));
    if (in) json_ = new nlohmann::json(nlohmann::json::parse(in));
  }
  static void TearDownTestSuite() {
    delete json_;
    delete run_;
    delete dir_;
  }
  static TempDir* dir_;
  static test::RunResult* run_;
  static nlohmann::json* json_;
};
TempDir* AnalyzeSample::dir_ = nullptr;
test::RunResult* AnalyzeSample::run_ = nullptr;
nlohmann::json* AnalyzeSample::json_ = nullptr;

TEST_F(AnalyzeSample, ExitsZeroWithTheRequiredJson) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  EXPECT_TRUE(run_->err.empty()) << run_->err;
  ASSERT_NE(json_, nullptr);
  const nlohmann::json& j = *json_;
  EXPECT_EQ(j["view"], "front");
  EXPECT_GE(j["faces"].size(), 15u);
  ASSERT_EQ(j["landmarks"].size(), 68u);
  for (const auto& p : j["landmarks"]) EXPECT_EQ(p.size(), 2u);
  // bald_guys.jpg is a collage of portraits of heads ~300 px wide: 1-3 px per mm.
  EXPECT_GT(j["px_per_mm"].get<double>(), 0.5);
  EXPECT_LT(j["px_per_mm"].get<double>(), 20);
  EXPECT_EQ(j["scale_source"], "ipd");
  for (const char* k : {"yaw", "pitch", "roll"}) EXPECT_TRUE(j["pose"][k].is_number()) << k;
  EXPECT_TRUE(j["scalp"]["bald_area_cm2"].is_number());
  EXPECT_TRUE(j["scalp"].contains("hair_shade"));
  EXPECT_TRUE(j["scalp"]["skin_tone"].is_object());
  int stage = j["norwood"]["stage"];
  EXPECT_GE(stage, 1);
  EXPECT_LE(stage, 7);
  double conf = j["norwood"]["confidence"];
  EXPECT_GE(conf, 0.0);
  EXPECT_LE(conf, 1.0);
  EXPECT_TRUE(j["hairline"].is_array());
  EXPECT_GE(j["hairline"].size(), 3u);
  for (const char* k : {"decode", "analyze", "faces", "parts", "scalp", "overlay", "parts_png"})
    EXPECT_TRUE(j["timings_ms"].contains(k)) << k;
}

TEST_F(AnalyzeSample, LandmarksLieInTheAnalysedFace) {
  ASSERT_NE(json_, nullptr);
  const nlohmann::json& j = *json_;
  int i = j["face_index"];
  auto b = j["faces"][i]["box"];
  double x = b[0], y = b[1], w = b[2], h = b[3];
  // Brows, eyes, nose and mouth (17-67) inside the box with 10 % of margin; the jaw (0-16) runs
  // out at the sides and below on a turned face, but stays within half a box (see test_face).
  for (int k = 0; k < 68; ++k) {
    const double px = j["landmarks"][k][0], py = j["landmarks"][k][1];
    const double side = k < 17 ? 0.5 : 0.1, top = k < 17 ? 0.0 : 0.1, below = k < 17 ? 0.5 : 0.1;
    EXPECT_GE(px, x - side * w) << k;
    EXPECT_LE(px, x + (1 + side) * w) << k;
    EXPECT_GE(py, y - top * h) << k;
    EXPECT_LE(py, y + (1 + below) * h) << k;
  }
}

TEST_F(AnalyzeSample, PartsMapHasThePhotoSizeAndExactlyThreeColours) {
  cv::Mat parts = cv::imread(dir_->path("parts.png"), cv::IMREAD_UNCHANGED);
  cv::Mat photo = cv::imread(test::sample_photo());
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.size(), photo.size());
  ASSERT_EQ(parts.type(), CV_8UC3);
  int counts[3] = {0, 0, 0}, other = 0;
  const cv::Vec3b colours[3] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}};  // hair, skin, bg (BGR)
  for (int y = 0; y < parts.rows; ++y)
    for (int x = 0; x < parts.cols; ++x) {
      cv::Vec3b v = parts.at<cv::Vec3b>(y, x);
      int k = v == colours[0] ? 0 : v == colours[1] ? 1 : v == colours[2] ? 2 : -1;
      if (k < 0)
        ++other;
      else
        ++counts[k];
    }
  EXPECT_EQ(other, 0);
  EXPECT_GT(counts[1], 0) << "no skin";
  EXPECT_GT(counts[2], 0) << "no background";
}

TEST_F(AnalyzeSample, OverlayIsAnImageOfThePhotoSize) {
  cv::Mat o = cv::imread(dir_->path("overlay.png"));
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(o.size(), cv::imread(test::sample_photo()).size());
}

TEST(Cli, JsonGoesToStdoutWithoutJsonOption) {
  test::RunResult r = run_smp("analyze " + q(test::sample_photo()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["landmarks"].size(), 68u);
}

TEST(Cli, FaceOptionPicksOneAndListsAll) {
  TempDir t;
  test::RunResult r =
      run_smp("analyze " + q(test::sample_photo()) + " --face 2 --json " + q(t.path("a.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(t.path("a.json"));
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["face_index"], 2);
  EXPECT_GE(j["faces"].size(), 3u);
  auto b = j["faces"][2]["box"];
  double cx = 0;
  for (const auto& p : j["landmarks"]) cx += p[0].get<double>() / 68;
  EXPECT_GT(cx, b[0].get<double>());
  EXPECT_LT(cx, b[0].get<double>() + b[2].get<double>());
}

TEST(Cli, ScaleOptions) {
  TempDir t;
  test::RunResult r = run_smp("analyze " + q(test::sample_photo()) + " --px-per-mm 3.5 --json " +
                              q(t.path("a.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(t.path("a.json"));
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["scale_source"], "user");
  EXPECT_DOUBLE_EQ(j["px_per_mm"].get<double>(), 3.5);
}

TEST(Cli, CrownViewWithoutAFaceSucceeds) {
  TempDir t;
  cv::Mat photo = cv::imread(test::sample_photo()), top;
  // The big central portrait's bald scalp above the brows, enlarged like a close-up.
  cv::resize(photo(cv::Rect(1000, 680, 300, 100)), top, cv::Size(), 3, 3, cv::INTER_CUBIC);
  cv::imwrite(t.path("crown.jpg"), top);
  test::RunResult r = run_smp("analyze " + q(t.path("crown.jpg")) + " --json " +
                              q(t.path("a.json")) + " --parts " + q(t.path("p.png")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(t.path("a.json"));
  nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["view"], "top");
  EXPECT_TRUE(j["faces"].empty());
  EXPECT_TRUE(j["landmarks"].empty());
  EXPECT_EQ(j["scale_source"], "head_width_estimate");
  EXPECT_EQ(j["scale_is_estimate"], true);
  EXPECT_EQ(cv::imread(t.path("p.png")).size(), top.size());
  // The user says it is a profile: a side view, scaled by a head's length.
  test::RunResult side = run_smp("analyze " + q(t.path("crown.jpg")) + " --view side");
  ASSERT_EQ(side.exit_code, 0) << side.err;
  const nlohmann::json js = nlohmann::json::parse(side.out);
  EXPECT_EQ(js["view"], "side");
  EXPECT_NEAR(js["px_per_mm"].get<double>(), j["px_per_mm"].get<double>() * 150 / 190, 1e-9);
  // A face's pose wins over --view.
  test::RunResult face = run_smp("analyze " + q(test::sample_photo()) + " --view side");
  EXPECT_EQ(nlohmann::json::parse(face.out)["view"], "front");
}

TEST(Cli, BadPhotosExit3WithOneLine) {
  TempDir t;
  test::write_bytes(t.path("empty.jpg"), "");
  expect_refused(t.path("empty.jpg"), "empty");
  test::write_bytes(t.path("notes.jpg"), "Client: J. Doe\nNorwood 5\n");
  expect_refused(t.path("notes.jpg"), "not an image");
  expect_refused(t.path("missing.jpg"), "no such file");

  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", cv::imread(test::sample_photo()), jpeg);
  test::write_bytes(t.path("half.jpg"), std::string(jpeg.begin(), jpeg.begin() + jpeg.size() / 2));
  expect_refused(t.path("half.jpg"), "truncated");

  // A PNG whose header claims 20000 x 10000 pixels (hand-built IHDR; no pixel data needed).
  auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    std::string c = type + data;
    uint32_t crc = 0xFFFFFFFFu;  // CRC-32 (PNG), bitwise
    for (unsigned char ch : c) {
      crc ^= ch;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return be32(uint32_t(data.size())) + c + be32(~crc);
  };
  std::string ihdr = be32(20000) + be32(10000) + std::string("\x08\x02\x00\x00\x00", 5);
  test::write_bytes(t.path("huge.png"), "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) +
                                            chunk("IDAT", std::string("\x78\x01\0\0\0\0", 6)) +
                                            chunk("IEND", ""));
  expect_refused(t.path("huge.png"), "megapixels");

  cv::Mat land(600, 900, CV_8UC3);
  for (int y = 0; y < land.rows; ++y)
    land.row(y).setTo(y < 350 ? cv::Scalar(230, 180, 120 + y / 10) : cv::Scalar(60, 140, 70));
  cv::imwrite(t.path("landscape.jpg"), land);
  expect_refused(t.path("landscape.jpg"), "no head found");
}

// The photo decodes while the model loads: each error is still the right one, on one line.
TEST(Cli, PhotoErrorWinsOverAMissingModelAndAMissingModelIsNamed) {
  TempDir t;
  test::write_bytes(t.path("notes.jpg"), "Client: J. Doe\n");
  const std::string no_model = "--model " + q(t.path("none.dat")) + " ";
  test::RunResult bad = run_smp(no_model + "analyze " + q(t.path("notes.jpg")));
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("notes.jpg"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("none.dat"), std::string::npos) << bad.err;
  for (const std::string cmd : {"analyze", "simulate"}) {
    std::string args = no_model + cmd + " " + q(test::sample_photo());
    if (cmd == "simulate") args += " -o " + q(t.path("after.jpg"));
    test::RunResult r = run_smp(args);
    EXPECT_EQ(r.exit_code, 3) << cmd;
    EXPECT_NE(r.err.find("none.dat"), std::string::npos) << cmd << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(t.path("after.jpg")));
}

// The top-right portrait of the sample, as a client's phone or scanner might deliver it.
TEST(Cli, EveryPhotoFormatIsAnalysedUpright) {
  TempDir t;
  cv::Mat portrait = cv::imread(test::sample_photo())(cv::Rect(1300, 0, 600, 560)).clone();
  // Stored turned a quarter to the left, with EXIF orientation 6 ("rotate 90 clockwise").
  cv::Mat stored;
  cv::rotate(portrait, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", stored, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95});
  const std::vector<uint8_t> exif = {0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0,    0,    'M', 'M',
                                     0,    42,   0, 0,  0,   8,   0,   1,   0x01, 0x12, 0,   3,
                                     0,    0,    0, 1,  0,   6,   0,   0,   0,    0,    0,   0};
  jpeg.insert(jpeg.begin() + 2, exif.begin(), exif.end());  // APP1 right after SOI
  test::write_bytes(t.path("rotated.jpg"), std::string(jpeg.begin(), jpeg.end()));
  cv::Mat grey16, alpha;
  cv::cvtColor(portrait, grey16, cv::COLOR_BGR2GRAY);
  grey16.convertTo(grey16, CV_16U, 257.0);
  cv::imwrite(t.path("grey16.png"), grey16);
  cv::cvtColor(portrait, alpha, cv::COLOR_BGR2BGRA);
  cv::imwrite(t.path("alpha.png"), alpha);
  cv::imwrite(t.path("photo.webp"), portrait);
  cv::imwrite(t.path("photo.tif"), portrait);
  for (const char* name : {"rotated.jpg", "grey16.png", "alpha.png", "photo.webp", "photo.tif"}) {
    test::RunResult r = run_smp("analyze " + q(t.path(name)) + " --json " + q(t.path("a.json")));
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    std::ifstream in(t.path("a.json"));
    nlohmann::json j = nlohmann::json::parse(in);
    if (std::string(name) == "rotated.jpg") {
      EXPECT_EQ(j["source"]["exif_orientation"], 6);
    }
    EXPECT_EQ(j["image"]["width"], portrait.cols) << name;
    EXPECT_EQ(j["image"]["height"], portrait.rows) << name;
    ASSERT_EQ(j["landmarks"].size(), 68u) << name;
    // Upright: the eyes (36, 45) above the nose tip (30) above the chin (8).
    EXPECT_LT(j["landmarks"][36][1].get<double>(), j["landmarks"][30][1].get<double>()) << name;
    EXPECT_LT(j["landmarks"][45][1].get<double>(), j["landmarks"][30][1].get<double>()) << name;
    EXPECT_LT(j["landmarks"][30][1].get<double>(), j["landmarks"][8][1].get<double>()) << name;
  }
}

TEST(Cli, DamagedHeicAndHugeJpegExit3) {
  TempDir t;
  test::write_bytes(t.path("phone.heic"), std::string("\0\0\0\x18"
                                                      "ftypheic\0\0\0\0mif1heic",
                                                      24) +
                                              std::string("\0\0\0\x09meta\0", 9));
  expect_refused(t.path("phone.heic"), "HEIF");
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", cv::Mat(64, 64, CV_8UC3, cv::Scalar(90, 120, 160)), jpeg);
  for (size_t i = 2; i + 8 < jpeg.size(); i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]))
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // SOF0: claim 20000 x 10000
      jpeg[i + 5] = 10000 >> 8, jpeg[i + 6] = 10000 & 0xFF;
      jpeg[i + 7] = 20000 >> 8, jpeg[i + 8] = 20000 & 0xFF;
      break;
    }
  test::write_bytes(t.path("huge.jpg"), std::string(jpeg.begin(), jpeg.end()));
  expect_refused(t.path("huge.jpg"), "megapixels");
}

TEST(Cli, UnwritableOutputIsRefusedBeforeWork) {
  TempDir t;
  test::RunResult r =
      run_smp("analyze " + q(test::sample_photo()) + " --json " + q(t.path("no/such/dir/a.json")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("folder does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace smp
