// Speed of the renderer (issue 3), as ratios timed back to back in the same iteration so they
// hold on a shared machine:
// - render_vs_copy/photo_12mp: render_impressions on a 12-megapixel photo against one
//   cv::Mat::copyTo of the same photo into a preallocated one. Target: render / copy <= 8.
// - preview_1600/*: the studio's re-render after a design change: the photo analysed and the
//   scene prepared once (prepare_scene, not timed), then each iteration changes the design and
//   calls render_preview at 1600 px (map, placement, blur estimate, optics). Target < 25 ms;
//   also given against one copyTo of the 1600-px image. `sample`: Debian's bald_guys.jpg
//   upscaled 2x (12.3 MP, front view, real analysis); `top_dense`: a synthetic bald top view
//   of 12 MP with ~20 k impressions at preview size (the heaviest render).
// - design_12mp/sample: the CLI's `design` stage on the sample upscaled 2x (prepare_treatment
//   and build_treatment_map), split into prepare_ms and map_ms.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "smp/analysis/analysis.h"
#include "smp/core/files.h"
#include "smp/image/image_io.h"
#include "smp/render/render.h"
#include "smp/render/simulate.h"
#include "smp/render/treatment.h"

namespace {

using clk = std::chrono::steady_clock;
double ms_since(clk::time_point t0) {
  return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

// A top view of a bald head (as in tests/render): a skin disc with texture.
struct Scene {
  cv::Mat photo;
  smp::Analysis analysis;
  smp::SimulateResult sim;
};

Scene make_scene(cv::Size size, double px_per_mm) {
  Scene s;
  s.photo = cv::Mat(size, CV_8UC3, cv::Scalar(40, 45, 50));
  cv::Point c(size.width / 2, size.height / 2);
  // A head of 75 mm radius seen from above at this scale (the sample upscaled 2x is 3.8 px/mm).
  int R = static_cast<int>(75 * px_per_mm);
  cv::circle(s.photo, c, R, cv::Scalar(140, 165, 210), -1);
  cv::Mat noise(size, CV_8UC3);
  cv::randn(noise, cv::Scalar(0, 0, 0), cv::Scalar(3, 3, 3));
  s.photo += noise;
  smp::Analysis& a = s.analysis;
  a.size = size;
  a.view = smp::View::kTop;
  a.px_per_mm = px_per_mm;
  a.scalp.head_mask = cv::Mat::zeros(size, CV_8U);
  cv::circle(a.scalp.head_mask, c, R, cv::Scalar(255), -1);
  a.scalp.bald_mask = cv::Mat::zeros(size, CV_8U);
  cv::circle(a.scalp.bald_mask, c, static_cast<int>(R * 0.8), cv::Scalar(255), -1);
  a.parts = cv::Mat(size, CV_8U, cv::Scalar(static_cast<int>(smp::Part::kBackground)));
  a.parts.setTo(static_cast<int>(smp::Part::kHair), a.scalp.head_mask);
  a.parts.setTo(static_cast<int>(smp::Part::kSkin), a.scalp.bald_mask);
  smp::SimulateOptions so;
  so.label = false;
  s.sim = smp::simulate(s.photo, a, smp::Design{}, so);
  return s;
}

const Scene& top_scene() {
  static const Scene s = make_scene(cv::Size(4000, 3000), 3.8);
  return s;
}

// The clinic's usual photo: a close-up, the crown filling a 12 MP frame at 12 px/mm (the
// sample's head is small: 3.8 px/mm). Sharp dots, 6 px halos: the halos drawn as one field.
const Scene& closeup_scene() {
  static const Scene s = make_scene(cv::Size(4000, 3000), 12.0);
  return s;
}

// Debian's sample upscaled 2x, analysed (the model load and analysis are set-up, not timed).
const Scene& sample_scene() {
  static const Scene s = [] {
    cv::setNumThreads(2);  // as the CLI does
    Scene s;
    cv::Mat small = smp::read_photo("/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg").bgr;
    cv::resize(small, s.photo, cv::Size(), 2, 2, cv::INTER_CUBIC);
    auto model = smp::FaceModel::load(smp::FaceModel::default_model_path());
    s.analysis = smp::analyze(s.photo, *model);
    smp::SimulateOptions so;
    so.label = false;
    s.sim = smp::simulate(s.photo.clone(), s.analysis, smp::Design{}, so);
    return s;
  }();
  return s;
}

void render_vs_copy(benchmark::State& st, const Scene& (*scene)()) {
  const Scene& s = scene();
  // Preallocated and touched once: the copy is timed, not the first touch of 36 MB of pages.
  cv::Mat dst(s.photo.size(), s.photo.type(), cv::Scalar(0, 0, 0));
  double copy_ms = 0, render_ms = 0;
  for (auto _ : st) {
    auto t0 = clk::now();
    s.photo.copyTo(dst);
    copy_ms += ms_since(t0);
    // As `smp simulate`'s render stage: drawn in place on the decoded photo's pixels.
    auto t1 = clk::now();
    smp::render_impressions_into(dst, s.sim.impressions, s.sim.render);
    render_ms += ms_since(t1);
    benchmark::DoNotOptimize(dst.data);
  }
  st.counters["megapixels"] = s.photo.total() / 1e6;
  st.counters["impressions"] = static_cast<double>(s.sim.impressions.size());
  st.counters["px_per_mm"] = s.sim.impressions.empty() ? 0 : s.sim.impressions[0].px_per_mm;
  st.counters["camera_blur_px"] = s.sim.render.camera_blur_px;
  st.counters["render_ms"] = render_ms / st.iterations();
  st.counters["copy_ms"] = copy_ms / st.iterations();
  st.counters["render_over_copy"] = render_ms / std::max(1e-9, copy_ms);
}

// The design changes every iteration (as a practitioner drags a slider or picks a preset).
smp::Design design_variant(int i, bool has_face) {
  smp::Design d;
  if (has_face) {
    static const smp::HairlinePreset presets[] = {
        smp::HairlinePreset::kNatural, smp::HairlinePreset::kMature, smp::HairlinePreset::kYouthful,
        smp::HairlinePreset::kBroken};
    d.preset = presets[i % 4];
  }
  d.density_per_cm2 = 90 + 10 * (i % 3);
  return d;
}

void preview_1600(benchmark::State& st, const Scene& (*scene)()) {
  const Scene& s = scene();
  static std::map<const Scene*, smp::RenderScene> prepared;
  auto it = prepared.find(&s);
  if (it == prepared.end())
    it = prepared.emplace(&s, smp::prepare_scene(s.photo, s.analysis)).first;
  const smp::RenderScene& rs = it->second;
  cv::Mat dst(rs.preview.size(), rs.preview.type());
  smp::SimulateOptions so;
  so.label = true;  // what the studio shows
  double copy_ms = 0, preview_ms = 0, impressions = 0;
  smp::Timings stages;
  int i = 0;
  for (auto _ : st) {
    smp::Design d = design_variant(i++, s.analysis.face() != nullptr);
    auto t0 = clk::now();
    rs.preview.copyTo(dst);
    copy_ms += ms_since(t0);
    auto t1 = clk::now();
    smp::SimulateResult r = smp::render_preview(rs, d, so);
    preview_ms += ms_since(t1);
    benchmark::DoNotOptimize(r.image.data);
    benchmark::DoNotOptimize(dst.data);
    impressions += r.impressions.size();
    // SMP_BENCH_PREVIEW_DIR=DIR writes the first preview of each scene there, to look at.
    if (const char* dir = std::getenv("SMP_BENCH_PREVIEW_DIR"); dir && i == 1)
      smp::write_image(std::string(dir) + "/preview_" + std::to_string(rs.preview.cols) + "_" +
                           std::to_string(r.impressions.size()) + ".png",
                       r.image);
    for (const auto& [k, v] : r.timings) stages[k] += v;
  }
  const double n = static_cast<double>(st.iterations());
  st.counters["long_side"] = std::max(rs.preview.cols, rs.preview.rows);
  st.counters["impressions"] = impressions / n;
  st.counters["preview_ms"] = preview_ms / n;
  st.counters["copy_ms"] = copy_ms / n;
  st.counters["preview_over_copy"] = preview_ms / std::max(1e-9, copy_ms);
  for (const auto& [k, v] : stages) st.counters[k + "_ms"] = v / n;
}

// The CLI's `design` stage on the 12 MP sample: the map's base (masks shrunk to the map grid,
// scalp area, head model) and the design's map, as simulate() runs them.
void design_12mp(benchmark::State& st) {
  const Scene& s = sample_scene();
  double prepare_ms = 0, map_ms = 0;
  for (auto _ : st) {
    auto t0 = clk::now();
    smp::TreatmentBase base =
        smp::prepare_treatment(s.analysis, &s.photo, smp::TreatmentOptions{}.cell_mm, 1);
    prepare_ms += ms_since(t0);
    auto t1 = clk::now();
    smp::TreatmentMap m = smp::build_treatment_map(base, s.analysis, smp::Design{}, {});
    map_ms += ms_since(t1);
    benchmark::DoNotOptimize(m.density.data);
  }
  const double n = static_cast<double>(st.iterations());
  st.counters["prepare_ms"] = prepare_ms / n;
  st.counters["map_ms"] = map_ms / n;
  st.counters["megapixels"] = s.photo.total() / 1e6;
}

// The yardstick for the whole `smp simulate`: OpenCV alone decoding the same photo and
// encoding it as a quality-95 JPEG (bench/render.sh names the photo in SMP_BENCH_PHOTO).
void opencv_decode_encode(benchmark::State& st) {
  const char* path = std::getenv("SMP_BENCH_PHOTO");
  if (!path) {
    st.SkipWithError("SMP_BENCH_PHOTO is not set");
    return;
  }
  const std::vector<uint8_t> bytes = smp::read_file_bytes(path);
  double decode_ms = 0, encode_ms = 0;
  for (auto _ : st) {
    auto t0 = clk::now();
    cv::Mat img = cv::imdecode(bytes, cv::IMREAD_COLOR);
    decode_ms += ms_since(t0);
    auto t1 = clk::now();
    std::vector<uint8_t> out;
    cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, 95});
    encode_ms += ms_since(t1);
    benchmark::DoNotOptimize(out.data());
  }
  const double n = static_cast<double>(st.iterations());
  st.counters["decode_ms"] = decode_ms / n;
  st.counters["encode_ms"] = encode_ms / n;
  st.counters["io_ms"] = (decode_ms + encode_ms) / n;
}

}  // namespace

// Every case in milliseconds, medians of 15 repeats of `iterations` runs (the README's figures).
const bool registered = [] {
  auto add = [](const char* name, auto fn, int iterations) {
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->Repetitions(15)
        ->ReportAggregatesOnly(true)
        ->Iterations(iterations);
  };
  add("opencv_decode_encode/photo", opencv_decode_encode, 1);
  add("design_12mp/sample", design_12mp, 1);
  add(
      "render_vs_copy/sample_12mp", [](benchmark::State& st) { render_vs_copy(st, sample_scene); },
      1);
  add(
      "render_vs_copy/dense_top_12mp", [](benchmark::State& st) { render_vs_copy(st, top_scene); },
      1);
  add(
      "render_vs_copy/closeup_12mp",
      [](benchmark::State& st) { render_vs_copy(st, closeup_scene); }, 1);
  add(
      "preview_1600/sample", [](benchmark::State& st) { preview_1600(st, sample_scene); }, 4);
  add(
      "preview_1600/top_dense", [](benchmark::State& st) { preview_1600(st, top_scene); }, 4);
  return true;
}();
