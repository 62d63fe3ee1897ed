// Speed of `smp analyze` on a 12-megapixel photo, model loaded once (not measured): decode,
// face detection, the whole analysis, and the two optional image outputs.
// The photo is Debian's bald_guys.jpg (1986x1545) upscaled 2x in code (3972x3090, 12.3 MP) and
// encoded as JPEG q92, like a phone photo; nothing is read from the development photos.
#include <benchmark/benchmark.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "smp/analysis/analysis.h"
#include "smp/image/image_io.h"

namespace {

const std::string kSample = "/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg";

struct Fixture {
  std::vector<uint8_t> jpeg;  // the 12 MP photo, encoded
  cv::Mat bgr;                // decoded
  std::shared_ptr<const smp::FaceModel> model;
  smp::Analysis analysis;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    cv::setNumThreads(2);
    Fixture f;
    cv::Mat small = smp::read_photo(kSample).bgr, big;
    cv::resize(small, big, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
    f.jpeg = smp::encode_image(big, "jpg", {.jpeg_quality = 92});
    f.bgr = smp::decode_photo(f.jpeg, "12mp.jpg").bgr;
    f.model = smp::FaceModel::load(smp::FaceModel::default_model_path());
    f.analysis = smp::analyze(f.bgr, *f.model);
    return f;
  }();
  return f;
}

void BM_Decode12MP(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(smp::decode_photo(f.jpeg, "12mp.jpg"));
}

void BM_Detect12MP(benchmark::State& state) {
  const Fixture& f = fixture();
  smp::DetectOptions opt;
  opt.threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(f.model->detect(f.bgr, opt));
  state.SetLabel(std::to_string(state.range(0)) + " thread(s), 0 = all cores");
}

void BM_Analyze12MP(benchmark::State& state) {
  const Fixture& f = fixture();
  smp::Timings stages;
  for (auto _ : state) {
    smp::Analysis a = smp::analyze(f.bgr, *f.model);
    for (const auto& [k, v] : a.timings) stages[k] += v;
  }
  // Each stage's mean share, so a slow stage is visible without a profiler.
  for (const auto& [k, v] : stages)
    state.counters[k + "_ms"] = benchmark::Counter(v / double(state.iterations()));
}

void BM_OverlayPng12MP(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state)
    benchmark::DoNotOptimize(smp::encode_image(smp::draw_overlay(f.bgr, f.analysis), "png"));
}

void BM_PartsPng12MP(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state)
    benchmark::DoNotOptimize(smp::encode_image(smp::parts_to_colour(f.analysis.parts), "png"));
}

BENCHMARK(BM_Decode12MP)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Detect12MP)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_Analyze12MP)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_OverlayPng12MP)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PartsPng12MP)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
