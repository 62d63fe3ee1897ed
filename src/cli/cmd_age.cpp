// smp age PHOTO [simulate's design options] [--years 0,1,2,4,6,8] [--sun low|moderate|high]
//   [--skin-type I-VI] [--scar] [--threshold 0.7] [--touch-up-at Y ...] [-o STRIP.jpg]
//   [--frames DIR] [--plot FILE.png|.svg] [--json REPORT]
// smp age --model-only [--sun ...] [--skin-type ...] [--scar] [--plot ...] [--json ...]
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "smp/age/age.h"
#include "smp/analysis/analysis.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/image/image_io.h"
#include "smp/render/simulate.h"

namespace smp::cli {
namespace {

struct AgeArgs {
  std::string photo;
  DesignArgs d;  // simulate's options, with simulate's meaning and defaults
  // ageing
  std::string years = "0,1,2,4,6,8", sun = "moderate";
  std::string skin_type;  // empty: from the photo (III without one)
  bool scar = false, model_only = false;
  double threshold = 0.70;
  std::vector<double> touch_ups;
  // outputs
  std::string strip, frames, frames_ext = "jpg", plot, json;
};

std::string year_name(double y) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "year_%g", std::round(y * 100) / 100);
  return buf;
}

void run(const AgeArgs& a) {
  // Everything the user typed is checked before the slow work starts.
  AgeOptions opt;
  opt.years = parse_years(a.years);
  opt.conditions.sun = parse_sun_exposure(a.sun);
  // Checked now; with a photo and no --skin-type the photo's own tone decides it below.
  SkinTypeChoice skin = choose_skin_type(a.skin_type, nullptr);
  opt.conditions.skin_type = skin.type;
  opt.skin_type_source = skin.source;
  opt.conditions.scar = a.scar;
  opt.conditions.touch_ups = a.touch_ups;
  std::sort(opt.conditions.touch_ups.begin(), opt.conditions.touch_ups.end());
  opt.threshold = a.threshold;
  opt.label = !a.d.no_label;
  opt.full_frames = !a.frames.empty();  // written whole; else only what the strip shows
  check_age_options(opt);
  if (a.model_only && !a.photo.empty())
    throw UsageError("give either a PHOTO or --model-only, not both");
  if (!a.model_only && a.photo.empty())
    throw UsageError("PHOTO is required (or --model-only for the reference scalp)");
  if (a.model_only && (!a.strip.empty() || !a.frames.empty()))
    throw UsageError("--model-only has no photo: -o and --frames need a PHOTO");
  if (!a.strip.empty()) check_image_output(a.strip, "-o");
  if (a.frames_ext != "jpg" && a.frames_ext != "png")
    throw UsageError("--frames-format " + a.frames_ext + ": use jpg or png");
  if (!a.plot.empty()) {
    std::string ext = file_extension(a.plot);
    if (ext != "png" && ext != "svg") throw UsageError("--plot " + a.plot + ": use .png or .svg");
  }

  Timings t;
  AgeResult r;
  nlohmann::json extra;
  if (a.model_only) {
    Stopwatch sw;
    r = age_reference(opt);
    t["age"] = sw.elapsed_ms();
  } else {
    SimulateOptions so = simulate_options(a.d);
    Design design;
    if (!a.d.design.empty()) design = read_design(a.d.design);

    const AnalyzedPhoto in = read_and_analyze(a.photo, analyze_options(a.d), t);
    const Photo& photo = in.photo;
    const Analysis& an = in.analysis;
    // The same call `smp simulate` makes, so the impressions are the same ones (same seed).
    SimulateResult sim = simulate_photo(in, a.photo, design, so);
    skin = choose_skin_type(a.skin_type, &an);
    opt.conditions.skin_type = skin.type;
    opt.skin_type_source = skin.source;
    for (auto& [k, v] : sim.timings) t["simulate_" + k] = v;
    try {
      r = age_simulation(photo.bgr, sim, scar_flags(sim.impressions, design), opt,
                         strip_framing(an));
    } catch (const InputError& e) {
      throw InputError(a.photo, e.reason());
    }
    for (auto& [k, v] : r.timings) t["age_" + k] = v;
    extra["source"] = {{"file", a.photo},
                       {"format", photo.format},
                       {"width", photo.bgr.cols},
                       {"height", photo.bgr.rows}};
    extra["view"] = to_string(an.view);
    extra["simulate"] = sim.report;
    if (skin.photo_ita)
      extra["skin_type_from_photo"] = {
          {"ita", *skin.photo_ita},
          {"suggested", skin_type_roman(skin_type_from_ita(*skin.photo_ita))}};
    EncodeOptions eo;
    eo.mark_simulated = true;  // frames and strip are simulations, like simulate's output
    if (!a.frames.empty()) {
      ScopedTiming st(t, "write_frames");
      std::error_code ec;
      std::filesystem::create_directories(a.frames, ec);
      if (ec) throw InputError(a.frames, "cannot create the folder: " + ec.message());
      nlohmann::json files = nlohmann::json::array();
      for (const AgeFrame& f : r.frames) {
        std::string path =
            (std::filesystem::path(a.frames) / (year_name(f.year) + "." + a.frames_ext)).string();
        write_image(path, frame_image(f, opt), eo);
        files.push_back(path);
      }
      extra["frames"] = files;
    }
    if (!a.strip.empty()) {
      ScopedTiming st(t, "write_strip");
      write_image(a.strip, make_age_strip(r, opt), eo);
      extra["strip"] = a.strip;
    }
  }
  if (!a.plot.empty()) {
    ScopedTiming st(t, "write_plot");
    write_contrast_plot(a.plot, make_age_plot(r, opt));
    extra["plot"] = a.plot;
  }
  nlohmann::json j = to_json(r, opt);
  for (auto& [k, v] : extra.items()) j[k] = v;
  j["labelled"] = opt.label;
  j["timings_ms"] = t;
  write_report(a.json, j);
  std::cerr << "smp age: " << r.message << "\n";
}

Register reg("age", 25, [](CLI::App& app) {
  auto args = std::make_shared<AgeArgs>();
  CLI::App* sub = app.add_subcommand(
      "age", "How the simulated SMP fades over the years, and when a touch-up is due");
  sub->add_option("photo", args->photo, "client photo (JPEG, PNG, WebP, TIFF, HEIC)");
  sub->add_flag("--model-only", args->model_only,
                "no photo: the fading model on a reference scalp (plot and JSON only)");
  sub->add_option("--years", args->years, "years to render, comma-separated (0-30)")
      ->capture_default_str();
  sub->add_option("--sun", args->sun, "sun exposure: low, moderate or high")->capture_default_str();
  sub->add_option("--skin-type", args->skin_type,
                  "Fitzpatrick skin type I-VI (default: from the photo's skin tone; III with "
                  "--model-only)");
  sub->add_flag("--scar", args->scar,
                "the whole treated area is scar tissue (design scar zones always are)");
  sub->add_option("--threshold", args->threshold,
                  "touch-up when the visible contrast falls below this share of year 0")
      ->capture_default_str();
  sub->add_option("--touch-up-at", args->touch_ups, "a touch-up at this year (repeat, or 3,6)")
      ->delimiter(',');
  sub->add_option("-o,--output", args->strip,
                  "strip of labelled frames, one per year (.jpg, .png)");
  sub->add_option("--frames", args->frames, "also write each year's full frame into this folder");
  sub->add_option("--frames-format", args->frames_ext, "jpg or png")->capture_default_str();
  sub->add_option("--plot", args->plot, "contrast share over the years (.png or .svg)");
  sub->add_option("--json", args->json, "write the report here (default: stdout)");
  add_design_options(sub, args->d);  // simulate's, same meaning
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
