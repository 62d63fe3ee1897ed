// smp compare BEFORE AFTER -o OUT.jpg [--layout side|split|overlay] [--html FILE] [--video FILE]
//             [--anonymize eyes|face|none] [--json REPORT] [--max-pose-deg 5] [--max-ev 0.5] ...
#include <iostream>

#include "cli/command.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/core/text.h"
#include "smp/image/image_io.h"
#include "smp/photo/compare.h"

namespace smp::cli {
namespace {

struct CompareArgs {
  std::string before, after, out, layout = "side", html, video, anonymize = "none", json;
  std::string before_date, after_date;
  double max_pose = 5, max_ev = 0.5, max_de = 5;
  bool no_normalise = false;
};

void run(const CompareArgs& a) {
  // Check everything the user typed before the slow work.
  Layout layout = parse_layout(a.layout);
  Anonymize anon = parse_anonymize(a.anonymize);
  for (const std::string& out : {a.out, a.html, a.json})
    if (!out.empty() && (out == a.before || out == a.after))
      throw UsageError(out + ": an output would overwrite an input photo");
  if (!a.out.empty()) {
    std::string ext = file_extension(a.out);
    if (ext != "jpg" && ext != "jpeg" && ext != "png" && ext != "webp" && ext != "tif" &&
        ext != "tiff")
      throw UsageError("-o " + a.out + ": expected .jpg, .png, .webp or .tif");
  }
  if (!a.video.empty()) {
    std::string ext = file_extension(a.video);
    if (ext != "webm" && ext != "mp4")
      throw UsageError("--video " + a.video + ": expected a .webm or .mp4 file name");
  }
  Timings t;
  std::vector<Photo> photos = decode_while_model_loads({a.before, a.after}, t);
  Photo& before = photos[0];
  Photo& after = photos[1];
  if (before.simulated)
    throw InputError(a.before, "is a simulation (smp simulate), not a photo of the client");
  if (after.simulated)
    throw InputError(a.after, "is a simulation (smp simulate), not a result photo");
  CompareOptions opt;
  opt.max_pose_deg = a.max_pose;
  opt.max_exposure_ev = a.max_ev;
  opt.max_white_balance_de = a.max_de;
  opt.normalise_light = !a.no_normalise;
  Comparison c = compare_photos(before.bgr, after.bgr, face_model(), opt, a.before, a.after);
  for (auto& [k, v] : c.timings) t[k] = v;
  anonymize_pair(c, anon);
  Captions cap;
  cap.before_date = a.before_date;
  cap.after_date = a.after_date;
  if (!a.out.empty()) {
    ScopedTiming st(t, "compose");
    write_image(a.out, compose(c, layout, cap));
  }
  if (!a.html.empty()) {
    ScopedTiming st(t, "html");
    std::string figs = "<p>Verdict: <b>" + c.verdict + "</b></p>";
    for (const auto& r : c.reasons) figs += "<p class=\"warn\">" + html_escape(r) + "</p>";
    write_file_atomic(a.html,
                      slider_page(fit_long_side(c.before, 2000), fit_long_side(c.after, 2000),
                                  "Before and after", cap, figs));
  }
  if (!a.video.empty()) {
    ScopedTiming st(t, "video");
    write_wipe_video(a.video, c.before, c.after);
  }
  nlohmann::json j = to_json(c, opt);
  j["before"] = {{"file", a.before}, {"format", before.format}, {"date", a.before_date}};
  j["after"] = {{"file", a.after}, {"format", after.format}, {"date", a.after_date}};
  j["anonymize"] = to_string(anon);
  j["timings_ms"] = t;
  write_report(a.json, j);
  if (c.verdict == "retake") {
    std::cerr << "smp compare: verdict retake —";
    for (const auto& r : c.reasons) std::cerr << " " << r << ";";
    std::cerr << "\n";
  }
}

Register reg("compare", 60, [](CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Before/after pair: align AFTER onto BEFORE, check pose and light, match light, compose");
  sub->add_option("before", args->before, "photo before the treatment")->required();
  sub->add_option("after", args->after, "photo after the treatment (same view)")->required();
  sub->add_option("-o,--out", args->out, "composite image (.jpg, .png, .webp)");
  sub->add_option("--layout", args->layout, "side | split | overlay")->capture_default_str();
  sub->add_option("--html", args->html, "self-contained page with a draggable before/after slider");
  sub->add_option("--video", args->video,
                  "before -> after wipe video (.webm VP8; .mp4 when the build can)");
  sub->add_option("--anonymize", args->anonymize, "eyes | face | none")->capture_default_str();
  sub->add_option("--json", args->json, "write the report here (default: stdout)");
  sub->add_option("--before-date", args->before_date,
                  "date printed under the BEFORE photo (e.g. 2026-01-10)");
  sub->add_option("--after-date", args->after_date, "date printed under the AFTER photo");
  sub->add_option("--max-pose-deg", args->max_pose,
                  "largest yaw / pitch difference that is still ok")
      ->check(CLI::Range(0.5, 45.0))
      ->capture_default_str();
  sub->add_option("--max-ev", args->max_ev, "largest exposure difference (EV) that is still ok")
      ->check(CLI::Range(0.05, 5.0))
      ->capture_default_str();
  sub->add_option("--max-delta-e", args->max_de,
                  "largest white-balance difference (ΔE2000) that is still ok")
      ->check(CLI::Range(0.5, 50.0))
      ->capture_default_str();
  sub->add_flag("--no-normalise", args->no_normalise,
                "keep AFTER's exposure and white balance as shot");
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
