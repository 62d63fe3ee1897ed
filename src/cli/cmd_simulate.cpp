// smp simulate PHOTO -o AFTER.jpg [--design DESIGN.json] [--hairline PRESET] [--density N]
//   [--sessions 1-4] [--shade auto|L*] [--seed N] [--json REPORT] [--impressions FILE]
//   [--sessions-strip FILE] [--no-label]
#include <iostream>

#include "cli/command.h"
#include "smp/analysis/analysis.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/image/image_io.h"
#include "smp/render/simulate.h"

namespace smp::cli {
namespace {

struct SimulateArgs {
  std::string photo, out, design, hairline, shade = "auto", json, impressions, strip;
  double density = -1, px_per_mm = 0;
  int sessions = -1, face = -1;
  unsigned seed = 1;
  bool no_label = false;
};

void check_output(const std::string& path, const char* option) {
  std::string ext = file_extension(path);
  if (ext != "jpg" && ext != "jpeg" && ext != "png" && ext != "webp" && ext != "tif" &&
      ext != "tiff")
    throw UsageError(std::string(option) + " " + path +
                     ": unknown image format (use .jpg, .png, .webp or .tif)");
}

void run(const SimulateArgs& a) {
  // Everything the user typed is checked before the slow work starts.
  SimulateOptions so;
  if (a.density != -1) so.density_per_cm2 = a.density;
  if (a.sessions != -1) so.sessions = a.sessions;
  if (a.shade != "auto") {
    try {
      size_t used = 0;
      so.shade_L = std::stod(a.shade, &used);
      if (used != a.shade.size()) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw UsageError("--shade " + a.shade + ": expected auto or an L* value 5-80");
    }
  }
  if (!a.hairline.empty()) so.preset = parse_hairline_preset(a.hairline);
  so.seed = a.seed;
  so.label = !a.no_label;
  so.strip = !a.strip.empty();
  check_simulate_options(so);
  check_output(a.out, "-o");
  if (!a.strip.empty()) check_output(a.strip, "--sessions-strip");
  Design design;
  if (!a.design.empty()) design = read_design(a.design);

  Timings t;
  AnalyzeOptions ao;
  ao.face_index = a.face;
  if (a.px_per_mm > 0) ao.px_per_mm = a.px_per_mm;
  const AnalyzedPhoto in = read_and_analyze(a.photo, ao, t);
  const Photo& photo = in.photo;
  const Analysis& an = in.analysis;
  SimulateResult r = simulate_photo(in, a.photo, design, so);
  for (auto& [k, v] : r.timings) t[k] = v;
  EncodeOptions eo;
  eo.mark_simulated = true;
  {
    ScopedTiming st(t, "encode");
    write_image(a.out, r.image, eo);
  }
  if (!a.strip.empty()) write_image(a.strip, r.strip, eo);
  if (!a.impressions.empty()) write_file_atomic(a.impressions, impressions_csv(r.impressions));
  nlohmann::json j = r.report;
  j["source"] = {{"file", a.photo},
                 {"format", photo.format},
                 {"width", photo.bgr.cols},
                 {"height", photo.bgr.rows}};
  j["output"] = a.out;
  j["view"] = to_string(an.view);
  j["labelled"] = so.label;
  j["timings_ms"] = t;
  std::string text = j.dump(2) + "\n";
  if (!a.json.empty()) write_file_atomic(a.json, text);
}

Register reg("simulate", 20, [](CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* sub = app.add_subcommand(
      "simulate",
      "Photorealistic 'after SMP' image, session by session (labelled as a simulation)");
  sub->add_option("photo", args->photo, "client photo (JPEG, PNG, WebP, TIFF, HEIC)")->required();
  sub->add_option("-o,--output", args->out, "the simulated photo (.jpg, .png, .webp, .tif)")
      ->required();
  sub->add_option("--design", args->design,
                  "DESIGN.json: hairline, density, shade, zones (docs/render.md)");
  sub->add_option("--hairline", args->hairline,
                  "hairline preset: natural, mature, youthful, broken");
  sub->add_option("--density", args->density,
                  "impressions per cm² after session 3 (40-200, default 100)");
  sub->add_option("--sessions", args->sessions,
                  "show the result after this session (1-4, default 3)");
  sub->add_option("--shade", args->shade,
                  "pigment shade: auto (matched to hair / skin) or CIELAB L*")
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "placement seed (same seed, same impressions)")
      ->capture_default_str();
  sub->add_option("--json", args->json,
                  "write the report (areas, counts, density, shade, blend, timings)");
  sub->add_option("--impressions", args->impressions,
                  "write every impression as CSV (the practitioner's map)");
  sub->add_option("--sessions-strip", args->strip, "write sessions 1..N side by side");
  sub->add_flag("--no-label", args->no_label, "leave out the 'Simulated result' label");
  sub->add_option("--face", args->face, "which face to treat (0 = largest)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--px-per-mm", args->px_per_mm, "known scale, overrides the analysis")
      ->check(CLI::PositiveNumber);
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
