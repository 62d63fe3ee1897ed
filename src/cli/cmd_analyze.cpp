// smp analyze PHOTO [--json FILE] [--overlay FILE.png] [--parts FILE.png] [--ipd-mm 63] ...
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "smp/analysis/analysis.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/image/image_io.h"

namespace smp::cli {
namespace {

struct AnalyzeArgs {
  std::string photo, json, overlay, parts, view = "top";
  double ipd_mm = 63, px_per_mm = 0, marker_mm = 0;
  int face = -1;
};

// Refuses an output we could not write before spending time on the analysis (and so before
// any other output exists).
void check_output(const std::string& path, const std::string& option, bool png_only) {
  if (path.empty()) return;
  std::string ext = file_extension(path);
  if (png_only && ext != "png")
    throw UsageError(option + " " + path +
                     ": write it as .png (lossless, so the colours stay exact)");
  if (!png_only && ext != "png" && ext != "jpg" && ext != "jpeg")
    throw UsageError(option + " " + path + ": use a .png or .jpg file name");
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    throw InputError(path, "folder does not exist");
}

void run(const AnalyzeArgs& a) {
  check_output(a.overlay, "--overlay", false);
  check_output(a.parts, "--parts", true);
  if (!a.json.empty()) {
    std::filesystem::path dir = std::filesystem::path(a.json).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
      throw InputError(a.json, "folder does not exist");
  }
  Timings t;
  AnalyzeOptions opt;
  opt.ipd_mm = a.ipd_mm;
  if (a.px_per_mm > 0) opt.px_per_mm = a.px_per_mm;
  if (a.marker_mm > 0) opt.marker_mm = a.marker_mm;
  opt.face_index = a.face;
  opt.view_without_face = view_without_face(a.view);
  opt.detect.landmarks = false;  // JSON and overlay show the analysed face's landmarks only
  // The faces are found while the landmark model loads (as read_and_analyze does).
  std::vector<Face> boxes;
  Photo photo = decode_and_find_faces(a.photo, opt.detect, t, boxes);
  opt.face_boxes = &boxes;
  Stopwatch sw;
  Analysis an = analyze(photo.bgr, face_model(), opt, a.photo);
  t["analyze"] = sw.elapsed_ms();
  for (auto& [k, v] : an.timings) t[k] = v;
  if (!a.overlay.empty()) {
    // `overlay` is drawing + encoding + writing; the drawing alone is `overlay_draw`: nearly all
    // of the cost is the lossless encoding of the photo's pixels (write .jpg for a cheap one).
    ScopedTiming st(t, "overlay");
    cv::Mat drawn;
    {
      ScopedTiming sd(t, "overlay_draw");
      drawn = draw_overlay(photo.bgr, an);
    }
    write_image(a.overlay, drawn);
  }
  if (!a.parts.empty()) {
    ScopedTiming st(t, "parts_png");
    // A PNG is written with a palette of the three colours: the same pixels for every reader,
    // a third of the bytes to compress (12 MP: 41 ms, was 113).
    if (file_extension(a.parts) == "png")
      write_palette_png(a.parts, an.parts, parts_palette());
    else
      write_image(a.parts, parts_to_colour(an.parts));
  }
  nlohmann::json j = to_json(an);
  j["source"] = {{"file", a.photo},
                 {"format", photo.format},
                 {"exif_orientation", photo.exif_orientation},
                 {"icc_converted", photo.icc_converted}};
  j["timings_ms"] = t;
  write_report(a.json, j);
}

Register reg("analyze", 10, [](CLI::App& app) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* sub = app.add_subcommand(
      "analyze",
      "Face landmarks, scale, pose, hair/skin/background map, bald scalp, Norwood stage, hairline");
  sub->add_option("photo", args->photo, "client photo (JPEG, PNG, WebP, TIFF, HEIC)")->required();
  sub->add_option("--json", args->json, "write the analysis here (default: stdout)");
  sub->add_option("--overlay", args->overlay,
                  "draw landmarks, parts, scalp and hairline on the photo");
  sub->add_option("--parts", args->parts, "hair/skin/background map as PNG (LFW colours)");
  sub->add_option("--ipd-mm", args->ipd_mm, "interpupillary distance for scale (mm)")
      ->check(CLI::Range(45.0, 80.0))
      ->capture_default_str();
  sub->add_option("--px-per-mm", args->px_per_mm, "known scale, overrides everything")
      ->check(CLI::PositiveNumber);
  sub->add_option("--marker-mm", args->marker_mm,
                  "diameter of a round calibration sticker in the photo")
      ->check(CLI::PositiveNumber);
  sub->add_option("--face", args->face, "which face to analyse (0 = largest)")
      ->check(CLI::NonNegativeNumber);
  add_view_option(sub, args->view);
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace smp::cli
