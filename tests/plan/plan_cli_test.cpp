// `smp plan` end to end: the real binary, its JSON, HTML and PDF, and its error paths.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "smp/plan/report.h"
#include "test_support.h"

namespace smp {
namespace {

using test::run_smp;
using test::TempDir;

using test::slurp;

bool have(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Pages of a PDF: poppler's pdfinfo when installed, else the page objects in the file.
int pdf_pages(const std::string& path) {
  if (have("pdfinfo")) {
    TempDir t;
    std::string out = t.path("info.txt");
    if (std::system(("pdfinfo '" + path + "' >" + out + " 2>/dev/null").c_str()) != 0) return -1;
    std::istringstream in(slurp(out));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Pages:", 0) == 0) return std::stoi(line.substr(6));
    return -1;
  }
  std::string pdf = slurp(path);
  int n = 0;
  for (size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1))
    if (pdf.compare(at, 12, "/Type /Pages") != 0) ++n;
  return n;
}

TEST(PlanCli, AreaOnlyWritesJsonWithTheDocumentedKeys) {
  TempDir t;
  auto r = run_smp(
      "plan --area-cm2 40 --zones hairline --start 2026-03-02 --client 'A. Client' --json " +
      t.path("p.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(t.path("p.json")));
  ASSERT_EQ(j["zones"].size(), 1u);
  EXPECT_EQ(j["zones"][0]["name"], "hairline");
  EXPECT_DOUBLE_EQ(j["zones"][0]["area_cm2"].get<double>(), 40.0);
  ASSERT_GE(j["sessions"].size(), 2u);
  ASSERT_LE(j["sessions"].size(), 3u);
  for (const auto& s : j["sessions"]) {
    EXPECT_TRUE(s.contains("date"));
    EXPECT_TRUE(s.contains("hours"));
    EXPECT_TRUE(s.contains("target_density_per_cm2"));
    EXPECT_TRUE(s.contains("shade"));
  }
  EXPECT_EQ(j["cost"]["currency"], "USD");
  EXPECT_GE(j["cost"]["low"].get<double>(), 500);
  EXPECT_LE(j["cost"]["high"].get<double>(), 2500);
  EXPECT_LT(j["cost"]["low"].get<double>(), j["cost"]["high"].get<double>());
  EXPECT_TRUE(j["schedule"]["events"].is_array());
  EXPECT_TRUE(j["warnings"].is_array());
  EXPECT_TRUE(j["timings_ms"].is_object());
  EXPECT_EQ(j["schedule"]["events"][0]["date"], "2026-03-02");
}

TEST(PlanCli, PdfHasTwoA4PagesAndHtmlIsSelfContained) {
  TempDir t;
  // The Debian sample photo with a given area: the report shows the photo whatever the
  // segmentation finds in this collage.
  std::string photo = test::sample_photo();
  auto r =
      run_smp("plan '" + photo + "' --area-cm2 hairline=40,crown=60 --start 2026-03-02 --json " +
              t.path("p.json") + " --html " + t.path("p.html") + " --pdf " + t.path("p.pdf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(pdf_pages(t.path("p.pdf")), kReportPages);
  std::string pdf = slurp(t.path("p.pdf"));
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
  if (have("pdftoppm")) {
    // Poppler can draw every page.
    std::string prefix = t.path("page");
    ASSERT_EQ(
        std::system(("pdftoppm -png -r 30 '" + t.path("p.pdf") + "' '" + prefix + "'").c_str()), 0);
    EXPECT_TRUE(std::filesystem::exists(prefix + "-1.png"));
    EXPECT_TRUE(std::filesystem::exists(prefix + "-2.png"));
  } else {
    GTEST_LOG_(INFO) << "pdftoppm not installed (poppler-utils): page rendering not checked";
  }
  std::string html = slurp(t.path("p.html"));
  EXPECT_NE(html.find("data:image/jpeg;base64,"), std::string::npos);
  EXPECT_NE(html.find("Simulated result, not a guarantee"), std::string::npos);
  EXPECT_EQ(html.find("src='http"), std::string::npos);
  EXPECT_EQ(html.find("href='http"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);  // the fading plot, inline
}

TEST(PlanCli, FrontPhotoOfABaldHeadQuotesTheWholeScalpAndFlagsTheEstimate) {
  // bald_guys.jpg's largest face: a bald head seen from the front. Not a "hairline only"
  // quote: the zones the front cannot show are estimated from the Norwood stage, flagged in the
  // JSON, the warnings and the report, with a request for a top photo or --area-cm2.
  TempDir t;
  auto r = run_smp("plan '" + test::sample_photo() + "' --start 2026-03-02 --json " +
                   t.path("p.json") + " --html " + t.path("p.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(t.path("p.json")));
  bool crown = false, measured = false;
  for (const auto& z : j["zones"]) {
    if (z["name"] == "crown") {
      crown = true;
      EXPECT_TRUE(z["estimated"].get<bool>());
      EXPECT_LT(z["low_cm2"].get<double>(), z["high_cm2"].get<double>());
    }
    // Measured (or, where the frame cuts it, extrapolated) from the photo itself.
    if (z["name"] == "hairline")
      measured = z["source"].get<std::string>().find("front photo") != std::string::npos;
  }
  EXPECT_TRUE(crown) << j["zones"].dump();
  EXPECT_TRUE(measured) << "the hairline comes from the front photo: " << j["zones"].dump();
  EXPECT_TRUE(j["area_is_estimate"].get<bool>());
  EXPECT_GE(j["norwood"]["low"].get<int>(), 5);
  // A Norwood 6-7 head: roughly 200-400 cm², with a sanity margin for the segmentation.
  EXPECT_GE(j["total_area_cm2"].get<double>(), 150);
  EXPECT_LE(j["total_area_cm2"].get<double>(), 450);
  EXPECT_GE(j["sessions"].size(), 3u);
  int asking = 0;
  for (const auto& w : j["warnings"])
    asking += w.get<std::string>().find("top photo") != std::string::npos;
  EXPECT_GE(asking, 1) << j["warnings"].dump();
  EXPECT_NE(slurp(t.path("p.html")).find("ESTIMATE"), std::string::npos);
  // The clinician's stage narrows it: at Norwood 2 the crown is not quoted, only warned about.
  auto early =
      run_smp("plan '" + test::sample_photo() + "' --norwood 2 --json " + t.path("q.json"));
  ASSERT_EQ(early.exit_code, 0) << early.err;
  auto q = nlohmann::json::parse(slurp(t.path("q.json")));
  for (const auto& z : q["zones"]) EXPECT_NE(z["name"], "crown");
  bool crown_warning = false;
  for (const auto& w : q["warnings"])
    crown_warning |= w.get<std::string>().find("Crown") != std::string::npos;
  EXPECT_TRUE(crown_warning);
  EXPECT_EQ(run_smp("plan '" + test::sample_photo() + "' --norwood 9").exit_code, 2);
}

TEST(PlanCli, TouchUpYearIsSmpAgesToTheBit) {
  // A clinic shows both to the client: one photo and the same options give one touch-up year,
  // the same number in both reports (one fit, one crossing search, one JSON writer). With no
  // --skin-type both take the photo's; with one, both take the user's.
  TempDir t;
  const std::string photo = "'" + test::sample_photo() + "'";
  for (const std::string& opts :
       {std::string(), std::string(" --face 1 --skin-type ii --sun high")}) {
    auto age = run_smp("age " + photo + opts + " --json " + t.path("a.json"));
    ASSERT_EQ(age.exit_code, 0) << opts << ": " << age.err;
    auto plan = run_smp("plan " + photo + opts + " --start 2026-03-02 --json " + t.path("p.json"));
    ASSERT_EQ(plan.exit_code, 0) << opts << ": " << plan.err;
    auto a = nlohmann::json::parse(slurp(t.path("a.json")));
    auto p = nlohmann::json::parse(slurp(t.path("p.json")))["fading"];
    ASSERT_TRUE(a["touch_up_year"].is_number()) << opts << ": " << a.dump(2);
    EXPECT_EQ(a["touch_up_year"], p["touch_up_year"]) << opts;  // exact, not near
    EXPECT_EQ(a["conditions"], p["conditions"]) << opts;
    EXPECT_EQ(p["fitted_on"], "simulated photo") << opts;
    if (opts.empty()) {
      EXPECT_EQ(a["conditions"]["skin_type_source"], "photo");
      EXPECT_EQ(a["conditions"]["skin_type"], a["skin_type_from_photo"]["suggested"]);
    } else {
      EXPECT_EQ(a["conditions"]["skin_type_source"], "user");
      EXPECT_EQ(a["conditions"]["skin_type"], "II");
    }
    // The quote books that year, half a year either side, and says where it comes from.
    std::string source =
        nlohmann::json::parse(slurp(t.path("p.json")))["schedule"]["touch_up"]["source"];
    EXPECT_NE(source.find("skin type " + a["conditions"]["skin_type"].get<std::string>()),
              std::string::npos)
        << source;
  }
}

TEST(PlanCli, MalformedPriceBookNamesTheFieldAndWritesNothing) {
  TempDir t;
  test::write_bytes(t.path("book.json"),
                    R"({"currency": "USD", "pricing": {"per_cm2": {"low": 10, "high": "lots"}}})");
  auto r = run_smp("plan --area-cm2 40 --pricebook " + t.path("book.json") + " --json " +
                   t.path("p.json") + " --pdf " + t.path("p.pdf"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("book.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pricing.per_cm2.high"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("p.json")));
  EXPECT_FALSE(std::filesystem::exists(t.path("p.pdf")));
  auto missing = run_smp("plan --area-cm2 40 --pricebook " + t.path("nope.json"));
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos);
}

TEST(PlanCli, MalformedDateOrAreaIsAUsageError) {
  TempDir t;
  auto r = run_smp("plan --area-cm2 40 --start 2026-02-30 --json " + t.path("p.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--start '2026-02-30'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("p.json")));
  auto area = run_smp("plan --area-cm2 lots");
  EXPECT_EQ(area.exit_code, 2);
  EXPECT_NE(area.err.find("--area-cm2"), std::string::npos);
  auto zone = run_smp("plan --area-cm2 beard=20");
  EXPECT_EQ(zone.exit_code, 2);
  EXPECT_NE(zone.err.find("beard"), std::string::npos);
  auto nothing = run_smp("plan");
  EXPECT_EQ(nothing.exit_code, 2);
  auto level = run_smp("plan --area-cm2 40 --experience master");
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.err.find("master"), std::string::npos);
}

TEST(PlanCli, NotAPhotoIsABadInput) {
  TempDir t;
  test::write_bytes(t.path("notes.jpg"), "hello");
  auto r = run_smp("plan '" + t.path("notes.jpg") + "' --json " + t.path("p.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("notes.jpg"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(t.path("p.json")));
}

}  // namespace
}  // namespace smp
