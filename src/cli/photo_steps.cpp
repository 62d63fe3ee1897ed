// Shared first steps of the photo commands (see command.h).
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "command.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/design/hairline.h"

namespace smp::cli {

void add_view_option(CLI::App* sub, std::string& view) {
  sub->add_option("--view", view,
                  "what the photo shows when no face is found: top (crown, or a chin-down "
                  "hairline photo) or side (a profile: its face, ear and neck are left alone)")
      ->check(CLI::IsMember({"top", "side"}))
      ->capture_default_str();
}

View view_without_face(const std::string& view) {
  return view == "side" ? View::kSide : View::kTop;
}

void add_design_options(CLI::App* sub, DesignArgs& d) {
  sub->add_option("--design", d.design, "DESIGN.json: hairline, density, shade, zones (README)");
  sub->add_option("--hairline", d.hairline, "hairline preset: natural, mature, youthful, broken");
  sub->add_option("--density", d.density,
                  "impressions per cm² after session 3 (40-200, default 100)");
  sub->add_option("--sessions", d.sessions, "show the result after this session (1-4, default 3)");
  sub->add_option("--shade", d.shade, "pigment shade: auto (matched to hair / skin) or CIELAB L*")
      ->capture_default_str();
  sub->add_option("--seed", d.seed, "placement seed (same seed, same impressions)")
      ->capture_default_str();
  sub->add_flag("--no-label", d.no_label, "leave out the 'Simulated result' label");
  sub->add_option("--face", d.face, "which face to treat (0 = largest)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--px-per-mm", d.px_per_mm, "known scale, overrides the analysis")
      ->check(CLI::PositiveNumber);
  add_view_option(sub, d.view);
}

SimulateOptions simulate_options(const DesignArgs& d) {
  SimulateOptions so;
  if (d.density != -1) so.density_per_cm2 = d.density;
  if (d.sessions != -1) so.sessions = d.sessions;
  if (d.shade != "auto") {
    try {
      size_t used = 0;
      so.shade_L = std::stod(d.shade, &used);
      if (used != d.shade.size()) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw UsageError("--shade " + d.shade + ": expected auto or an L* value 5-80");
    }
  }
  if (!d.hairline.empty()) so.preset = parse_hairline_preset(d.hairline);
  so.seed = d.seed;
  so.label = !d.no_label;
  check_simulate_options(so);
  return so;
}

AnalyzeOptions analyze_options(const DesignArgs& d) {
  AnalyzeOptions ao;
  ao.face_index = d.face;
  ao.detect.landmarks = false;  // the analysed face's only: nothing reads the others
  if (d.px_per_mm > 0) ao.px_per_mm = d.px_per_mm;
  ao.view_without_face = view_without_face(d.view);
  return ao;
}

void write_report(const std::string& path, const nlohmann::json& report) {
  std::string text = report.dump(2) + "\n";
  if (path.empty())
    std::cout << text;
  else
    write_file_atomic(path, text);
}

void check_image_output(const std::string& path, const char* option) {
  std::string ext = file_extension(path);
  if (ext != "jpg" && ext != "jpeg" && ext != "png" && ext != "webp" && ext != "tif" &&
      ext != "tiff")
    throw UsageError(std::string(option) + " " + path +
                     ": unknown image format (use .jpg, .png, .webp or .tif)");
}

std::vector<Photo> decode_while_model_loads(const std::vector<std::string>& paths, Timings& t,
                                            const std::function<void(std::vector<Photo>&)>& then) {
  const bool loaded = model_load_ms() > 0;
  std::exception_ptr load_error;
  std::thread loader([&load_error] {
    try {
      face_model();
    } catch (...) {
      load_error = std::current_exception();
    }
  });
  std::vector<Photo> photos;
  try {
    {
      ScopedTiming st(t, "decode");
      for (const std::string& p : paths) photos.push_back(read_photo(p));
    }
    if (then) then(photos);
  } catch (...) {
    loader.join();
    throw;
  }
  loader.join();
  if (load_error) std::rethrow_exception(load_error);
  t["model_load"] += loaded ? 0.0 : model_load_ms();
  return photos;
}

Photo decode_and_find_faces(const std::string& path, const DetectOptions& detect, Timings& t,
                            std::vector<Face>& boxes) {
  // The detector splits its pyramid over detect.threads even while the model loads beside it:
  // the load (~160 ms at 12 MP) no longer outlasts decode + detection on one thread (~175 ms),
  // so the longer of the two gets shorter. The boxes do not depend on the thread count.
  Timings found;
  Photo photo = std::move(decode_while_model_loads({path}, t, [&](std::vector<Photo>& photos) {
                            ScopedTiming st(t, "faces_while_model_loads");
                            boxes = detect_face_boxes(photos.front().bgr, detect, &found);
                          }).front());
  for (const auto& [k, v] : found) t["faces_while_model_loads." + k] += v;
  return photo;
}

AnalyzedPhoto read_and_analyze(const std::string& path, const AnalyzeOptions& opt, Timings& t) {
  AnalyzedPhoto r;
  std::vector<Face> boxes;
  r.photo = decode_and_find_faces(path, opt.detect, t, boxes);
  AnalyzeOptions o = opt;
  o.face_boxes = &boxes;
  {
    ScopedTiming st(t, "analyze");
    r.analysis = analyze(r.photo.bgr, face_model(), o, path);
  }
  // The analysis' own stages, so a report shows where its time went.
  for (const auto& [k, v] : r.analysis.timings) t["analyze." + k] += v;
  return r;
}

namespace {
SimulateResult simulate_pixels(cv::Mat bgr, const Analysis& analysis, const std::string& path,
                               const Design& design, const SimulateOptions& opt) {
  try {
    return simulate(std::move(bgr), analysis, design, opt);
  } catch (const InputError& e) {
    if (!e.subject().empty()) throw;
    throw InputError(path, e.reason());
  }
}
}  // namespace

SimulateResult simulate_photo(const AnalyzedPhoto& in, const std::string& path,
                              const Design& design, const SimulateOptions& opt) {
  return simulate_pixels(in.photo.bgr, in.analysis, path, design, opt);
}

SimulateResult simulate_photo(AnalyzedPhoto&& in, const std::string& path, const Design& design,
                              const SimulateOptions& opt) {
  return simulate_pixels(std::move(in.photo.bgr), in.analysis, path, design, opt);
}

}  // namespace smp::cli
