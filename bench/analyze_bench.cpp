// Speed of `smp analyze`, model loaded once (not measured). A shared 2-core machine's absolute
// times swing 2-4x with its load, so each iteration times every step back to back and the
// figures are ratios within one run: analysis / JPEG decode (the decode is a fixed, well-known
// amount of work), each stage's share of the analysis, and each output / decode.
// Photos: Debian's bald_guys.jpg as shipped (1986x1545, 3.1 MP) and upscaled 2x in code
// (3972x3090, 12.3 MP, JPEG q92, like a phone photo); nothing is read from the development photos.
#include <benchmark/benchmark.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "smp/analysis/analysis.h"
#include "smp/core/timings.h"
#include "smp/image/image_io.h"

namespace {

const std::string kSample = "/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg";

struct Photo {
  std::vector<uint8_t> jpeg;  // encoded
  cv::Mat bgr;                // decoded
};

const smp::FaceModel& model() {
  static auto m = smp::FaceModel::load(smp::FaceModel::default_model_path());
  return *m;
}

// upscale 1: the sample as shipped; 2: the 12 MP version.
const Photo& photo(int upscale) {
  static std::map<int, Photo> cache;
  auto it = cache.find(upscale);
  if (it != cache.end()) return it->second;
  cv::setNumThreads(2);  // as the CLI does
  Photo p;
  cv::Mat small = smp::read_photo(kSample).bgr, big = small;
  if (upscale > 1) cv::resize(small, big, cv::Size(), upscale, upscale, cv::INTER_CUBIC);
  p.jpeg = smp::encode_image(big, "jpg", {.jpeg_quality = 92});
  p.bgr = smp::decode_photo(p.jpeg, "photo.jpg").bgr;
  return cache.emplace(upscale, std::move(p)).first->second;
}

// One iteration = what `smp analyze PHOTO --overlay o.png --parts p.png` does after loading the
// model, each step timed: decode, analyze (its stages), overlay drawing, overlay PNG, parts PNG.
void BM_AnalyzeRatios(benchmark::State& state) {
  const Photo& p = photo(static_cast<int>(state.range(0)));
  (void)model();
  smp::Timings sum;
  for (auto _ : state) {
    smp::Stopwatch sw;
    smp::Photo decoded = smp::decode_photo(p.jpeg, "photo.jpg");
    sum["decode"] += sw.elapsed_ms();
    sw.restart();
    smp::AnalyzeOptions opt;
    opt.detect.landmarks = false;  // as the CLI: the analysed face's landmarks only
    smp::Analysis a = smp::analyze(decoded.bgr, model(), opt);
    sum["analyze"] += sw.elapsed_ms();
    for (const auto& [k, v] : a.timings) sum["stage:" + k] += v;
    sw.restart();
    cv::Mat overlay = smp::draw_overlay(decoded.bgr, a);
    sum["overlay_draw"] += sw.elapsed_ms();
    sw.restart();
    benchmark::DoNotOptimize(smp::encode_image(overlay, "png"));
    sum["overlay_png"] += sw.elapsed_ms();
    sw.restart();
    benchmark::DoNotOptimize(smp::encode_image(overlay, "jpg"));
    sum["overlay_jpg"] += sw.elapsed_ms();
    sw.restart();
    benchmark::DoNotOptimize(smp::encode_image(smp::parts_to_colour(a.parts), "png"));
    sum["parts_png"] += sw.elapsed_ms();
  }
  const double decode = sum["decode"];
  const double analyze = sum["analyze"];
  const double n = double(state.iterations());
  state.counters["decode_ms"] = decode / n;  // for scale only: it moves with the load
  state.counters["analyze/decode"] = analyze / decode;
  for (const auto& [k, v] : sum) {
    if (k.rfind("stage:", 0) == 0)
      state.counters[k.substr(6) + "/analyze"] = v / analyze;
    else if (k != "decode" && k != "analyze")
      state.counters[k + "/decode"] = v / decode;
  }
  state.SetLabel(std::to_string(p.bgr.cols) + "x" + std::to_string(p.bgr.rows));
}

// The detector alone on one thread and on two: the second thread's gain, measured in one run.
void BM_DetectThreads(benchmark::State& state) {
  const Photo& p = photo(static_cast<int>(state.range(0)));
  smp::DetectOptions one, two;
  one.threads = 1;
  two.threads = 2;
  double t1 = 0, t2 = 0;
  for (auto _ : state) {
    smp::Stopwatch sw;
    benchmark::DoNotOptimize(model().detect(p.bgr, one));
    t1 += sw.elapsed_ms();
    sw.restart();
    benchmark::DoNotOptimize(model().detect(p.bgr, two));
    t2 += sw.elapsed_ms();
  }
  state.counters["1thread/2threads"] = t1 / t2;
  state.SetLabel(std::to_string(p.bgr.cols) + "x" + std::to_string(p.bgr.rows));
}

BENCHMARK(BM_AnalyzeRatios)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_DetectThreads)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
