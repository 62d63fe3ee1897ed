#include "smp/photo/gallery.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <regex>

#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/core/text.h"
#include "smp/image/image_io.h"

namespace smp {

namespace fs = std::filesystem;

namespace {

const char* const kMarker = ".smp-gallery";  // marks a folder this command made (safe to replace)
const std::vector<std::string> kPhotoExts = {"jpg", "jpeg", "png",  "webp",
                                             "tif", "tiff", "heic", "heif"};

std::string find_photo(const fs::path& dir, const std::string& stem) {
  for (const auto& ext : kPhotoExts)
    for (const std::string& e : {ext, [&] {
                                   std::string u = ext;
                                   for (auto& ch : u) ch = static_cast<char>(std::toupper(ch));
                                   return u;
                                 }()}) {
      fs::path p = dir / (stem + "." + e);
      if (fs::is_regular_file(p)) return p.string();
    }
  return "";
}

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string page_head(const std::string& title) {
  return R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>)" +
         html_escape(title) + R"(</title>
<style>)" +
         slider_css() + R"(</style></head><body><main>
)";
}

std::string nice_treatment(const std::string& t) {
  if (t.empty()) return "";
  std::string s = t;
  s[0] = static_cast<char>(std::toupper(s[0]));
  return s;
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

}  // namespace

CaseInfo read_case_json(const std::string& path) {
  auto bytes = read_file_bytes(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw InputError(path, "expected a JSON object");
  CaseInfo c;
  auto str = [&](const char* k, std::string& out) {
    if (!j.contains(k) || j[k].is_null()) return;
    if (!j[k].is_string()) throw InputError(path, std::string("\"") + k + "\" must be a string");
    out = j[k].get<std::string>();
  };
  str("caption", c.caption);
  str("treatment", c.treatment);
  str("before_date", c.before_date);
  str("after_date", c.after_date);
  static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  for (const auto* d : {&c.before_date, &c.after_date})
    if (!d->empty() && !std::regex_match(*d, date))
      throw InputError(path, "dates must be written YYYY-MM-DD, got \"" + *d + "\"");
  if (j.contains("sessions") && !j["sessions"].is_null()) {
    if (!j["sessions"].is_number_integer() || j["sessions"].get<int>() < 0 ||
        j["sessions"].get<int>() > 50)
      throw InputError(path, "\"sessions\" must be a whole number from 0 to 50");
    c.sessions = j["sessions"].get<int>();
  }
  // Only an explicit JSON true is consent: "yes", 1 or a missing field are not.
  c.consent = j.contains("consent") && j["consent"].is_boolean() && j["consent"].get<bool>();
  return c;
}

GalleryReport build_gallery(const std::string& cases_dir, const std::string& site_dir,
                            const FaceModel& model, const GalleryOptions& opt) {
  if (!fs::is_directory(cases_dir)) throw InputError(cases_dir, "not a folder of cases");
  if (opt.max_long_side > 2000 || opt.max_long_side < 200)
    throw UsageError("web images must have a long side from 200 to 2000 px");
  fs::path site(site_dir);
  if (fs::exists(site)) {
    if (!fs::is_directory(site)) throw UsageError(site_dir + ": exists and is not a folder");
    if (!fs::is_empty(site) && !fs::exists(site / kMarker))
      throw UsageError(site_dir +
                       ": not empty and not a gallery made by smp; choose a new or empty folder");
  }
  GalleryReport rep;
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(cases_dir))
    if (e.is_directory() && e.path().filename().string()[0] != '.') folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());

  // Build beside the target and swap at the end: a half-built or stale site is never served.
  std::random_device rd;
  fs::path parent = site.has_parent_path() ? site.parent_path() : fs::path(".");
  fs::path tmp = parent / (".smp-tmp-gallery-" + std::to_string(rd()));
  fs::create_directories(tmp / "img");
  try {
    write_file_atomic((tmp / kMarker).string(), std::string("made by smp gallery\n"));
    int n = 0;
    std::string cards;
    for (const auto& dir : folders) {
      std::string folder = dir.filename().string();
      try {
        std::string json_path = (dir / "case.json").string();
        if (!fs::exists(json_path))
          throw InputError(json_path, "missing (caption, dates and consent live here)");
        CaseInfo info = read_case_json(json_path);
        if (!info.consent) {
          rep.no_consent.push_back(folder);
          continue;
        }
        std::string bpath = find_photo(dir, "before"), apath = find_photo(dir, "after");
        if (bpath.empty())
          throw InputError((dir / "before.*").string(),
                           "missing: no before photo (.jpg, .png, .webp, .tif, .heic)");
        if (apath.empty())
          throw InputError((dir / "after.*").string(),
                           "missing: no after photo (.jpg, .png, .webp, .tif, .heic)");
        Photo before, after;
        {
          ScopedTiming st(rep.timings, "decode");
          before = read_photo(bpath);
          after = read_photo(apath);
        }
        if (after.simulated)
          throw InputError(apath,
                           "carries smp simulate's marker: a simulation is not a result photo");
        if (before.simulated)
          throw InputError(
              bpath, "carries smp simulate's marker: a simulation is not a photo of the client");
        Comparison c;
        {
          ScopedTiming st(rep.timings, "compare");
          c = compare_photos(before.bgr, after.bgr, model, opt.compare, bpath, apath);
        }
        ScopedTiming st(rep.timings, "write");
        anonymize_pair(c, opt.anonymize);
        std::string slug = "case-" + std::to_string(++n);
        cv::Mat b = fit_long_side(c.before, opt.max_long_side),
                a = fit_long_side(c.after, opt.max_long_side);
        if (a.size() != b.size()) cv::resize(a, a, b.size(), 0, 0, cv::INTER_AREA);
        EncodeOptions eo;
        eo.jpeg_quality = 86;
        write_image((tmp / "img" / (slug + "-before.jpg")).string(), b, eo);
        write_image((tmp / "img" / (slug + "-after.jpg")).string(), a, eo);
        // Thumbnail: the pair side by side with captions.
        Comparison small;
        int half = std::max(64, opt.thumb_width / 2);
        small.before = fit_long_side(b, half);
        cv::resize(a, small.after, small.before.size(), 0, 0, cv::INTER_AREA);
        cv::Mat thumb = compose(small, Layout::kSide, {});
        write_image((tmp / "img" / (slug + "-thumb.jpg")).string(), thumb, eo);

        std::string title = info.caption.empty() ? "Case " + std::to_string(n) : info.caption;
        std::string cb =
            html_escape(info.before_date.empty() ? "Before" : "Before · " + info.before_date);
        std::string ca =
            html_escape(info.after_date.empty() ? "After" : "After · " + info.after_date);
        std::string page = page_head(title + " · " + opt.title);
        page += "<p><a href=\"index.html\">&larr; All cases</a></p>\n<h1>" + html_escape(title) +
                "</h1>\n";
        page += slider_figure("img/" + slug + "-before.jpg", "img/" + slug + "-after.jpg", cb, ca,
                              b.cols, b.rows, true);
        if (c.verdict == "retake") {
          page +=
              "<p class=\"warn\">These photos were not taken under the same conditions, so the "
              "difference may "
              "not be the treatment alone:";
          for (const auto& r : c.reasons) page += " " + html_escape(r) + ";";
          page += "</p>\n";
        }
        page += "<table class=\"figs\">";
        auto row = [&](const std::string& k, const std::string& v) {
          if (!v.empty()) page += "<tr><th>" + k + "</th><td>" + html_escape(v) + "</td></tr>";
        };
        row("Treatment", nice_treatment(info.treatment));
        row("Sessions", info.sessions > 0 ? std::to_string(info.sessions) : "");
        row("Before", info.before_date);
        row("After", info.after_date);
        if (c.scalp.measured) {
          row("Scalp lightness change (mean ΔL*)", fmt(c.scalp.mean_delta_L, 1));
          row("Share of scalp changed", fmt(100 * c.scalp.changed_share, 0) + " %");
        }
        row("Alignment", "scale " + fmt(c.alignment.scale, 3) + ", rotation " +
                             fmt(c.alignment.rotation_deg, 1) + "°, residual " +
                             fmt(c.alignment.residual_px, 1) + " px");
        row("Light matched", "exposure " + fmt(c.light.exposure_ev, 2) + " EV, white balance ΔE " +
                                 fmt(c.light.white_balance_de, 1));
        page += "</table>\n</main><script>" + slider_js() + "</script></body></html>\n";
        write_file_atomic((tmp / (slug + ".html")).string(), page);

        cards +=
            "<li><a href=\"" + slug + ".html\"><img src=\"img/" + slug + "-thumb.jpg\" width=\"" +
            std::to_string(thumb.cols) + "\" height=\"" + std::to_string(thumb.rows) +
            "\" loading=\"lazy\" decoding=\"async\" alt=\"Before and after: " + html_escape(title) +
            "\"><p><b>" + html_escape(title) + "</b></p><p>" +
            html_escape(nice_treatment(info.treatment)) +
            (info.sessions > 0 ? " · " + std::to_string(info.sessions) + " sessions" : "") +
            "</p></a></li>\n";
        GalleryCase gc{folder, slug, info, c.verdict, c.reasons};
        rep.published.push_back(gc);
      } catch (const InputError& e) {
        rep.failed.push_back({e.subject().empty() ? dir.string() : e.subject(), e.reason()});
      }
    }
    std::string index = page_head(opt.title);
    index += "<h1>" + html_escape(opt.title) + "</h1>\n";
    if (rep.published.empty()) index += "<p>No cases yet.</p>\n";
    index += "<ul class=\"grid\">\n" + cards + "</ul>\n</main></body></html>\n";
    write_file_atomic((tmp / "index.html").string(), index);

    // Swap: the old site (ours, checked above) goes only once the new one is complete.
    fs::path old = parent / (".smp-old-gallery-" + std::to_string(rd()));
    if (fs::exists(site)) fs::rename(site, old);
    fs::rename(tmp, site);
    remove_quietly(old);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  return rep;
}

}  // namespace smp
