// Each `smp <command>` lives in its own cmd_*.cpp and registers itself here, so adding a command
// touches no other file. The library throws typed errors; main() alone turns them into a message
// and an exit code.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smp/analysis/analysis.h"
#include "smp/core/timings.h"
#include "smp/face/face.h"
#include "smp/image/image_io.h"
#include "smp/render/simulate.h"

namespace smp::cli {

struct Command {
  std::string name;
  int order;                                 // position in `smp --help`
  std::function<void(CLI::App& app)> setup;  // adds the subcommand, its options and callback
};

std::vector<Command>& registry();

struct Register {
  Register(std::string name, int order, std::function<void(CLI::App&)> setup) {
    registry().push_back({std::move(name), order, std::move(setup)});
  }
};

// The landmark model, loaded once per process on first use; --model / $SMP_LANDMARK_MODEL.
const FaceModel& face_model();
std::string& model_path_option();
double model_load_ms();  // time spent loading, 0 until loaded

// --view top|side: what a photo without a face shows (a crown / chin-down view, or a profile the
// face detector cannot see); checked by CLI11.
void add_view_option(CLI::App* sub, std::string& view);
View view_without_face(const std::string& view);

// simulate's design options, shared with `smp age` (same meaning, same impressions).
struct DesignArgs {
  std::string design, hairline, shade = "auto", view = "top";
  double density = -1, px_per_mm = 0;  // -1 / 0: not given
  int sessions = -1, face = -1;
  unsigned seed = 1;
  bool no_label = false;
};
void add_design_options(CLI::App* sub, DesignArgs& d);
SimulateOptions simulate_options(const DesignArgs& d);  // parsed and checked (UsageError)
AnalyzeOptions analyze_options(const DesignArgs& d);

// A command's JSON report: to PATH (atomically), or to stdout when no path was given.
void write_report(const std::string& path, const nlohmann::json& report);

// An image output's extension must name a format we write (UsageError naming the option).
void check_image_output(const std::string& path, const char* option);

// Decodes the photos while the landmark model loads on another core (a 12 MP JPEG decodes in
// ~75 ms of the model's ~400): both come before any analysis. Timed into `t`: decode, and
// model_load (the load itself, once per process; 0 when already loaded). A photo's error wins
// over the model's.
// `then`, when given, runs on the decoded photos before the load is waited for (work that needs
// no landmark model, e.g. finding the faces).
std::vector<Photo> decode_while_model_loads(
    const std::vector<std::string>& paths, Timings& t,
    const std::function<void(std::vector<Photo>&)>& then = {});

// decode_while_model_loads for one photo, whose face boxes (the frontal detector needs no
// landmark model) are found meanwhile (decoding thread and detect.threads), into `boxes` (for
// AnalyzeOptions::face_boxes). Timed into `t` as faces_while_model_loads.
Photo decode_and_find_faces(const std::string& path, const DetectOptions& detect, Timings& t,
                            std::vector<Face>& boxes);

// The steps every photo command starts with: decode PATH and load the model (at once), analyse;
// each timed into `t` (decode, model_load, analyze).
struct AnalyzedPhoto {
  Photo photo;
  Analysis analysis;
};
AnalyzedPhoto read_and_analyze(const std::string& path, const AnalyzeOptions& opt, Timings& t);

// smp::simulate on an analysed photo; an input error without a subject is the photo's. Given
// the photo to keep (an rvalue), its pixels become the result's, drawn on in place.
SimulateResult simulate_photo(const AnalyzedPhoto& in, const std::string& path,
                              const Design& design, const SimulateOptions& opt);
SimulateResult simulate_photo(AnalyzedPhoto&& in, const std::string& path, const Design& design,
                              const SimulateOptions& opt);

}  // namespace smp::cli
