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
  std::string photo, out, json, impressions, strip;
  DesignArgs d;
};

void run(const SimulateArgs& a) {
  // Everything the user typed is checked before the slow work starts.
  SimulateOptions so = simulate_options(a.d);
  so.strip = !a.strip.empty();
  check_image_output(a.out, "-o");
  if (!a.strip.empty()) check_image_output(a.strip, "--sessions-strip");
  Design design;
  if (!a.d.design.empty()) design = read_design(a.d.design);

  Timings t;
  AnalyzedPhoto in = read_and_analyze(a.photo, analyze_options(a.d), t);
  const std::string format = in.photo.format;
  const cv::Size size = in.photo.bgr.size();
  const View view = in.analysis.view;
  SimulateResult r;
  {
    // simulate's own stages are in r.timings; this is all of them, report figures included.
    // The decoded photo is not needed after: its pixels become the result's.
    ScopedTiming st(t, "simulate");
    r = simulate_photo(std::move(in), a.photo, design, so);
  }
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
  j["source"] = {
      {"file", a.photo}, {"format", format}, {"width", size.width}, {"height", size.height}};
  j["output"] = a.out;
  j["view"] = to_string(view);
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
  add_design_options(sub, args->d);
  sub->add_option("--json", args->json,
                  "write the report (areas, counts, density, shade, blend, timings)");
  sub->add_option("--impressions", args->impressions,
                  "write every impression as CSV (the practitioner's map)");
  sub->add_option("--sessions-strip", args->strip, "write sessions 1..N side by side");
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
