// smp-eval: measures the parts map, the bald scalp and the Norwood estimate on the development
// photos (SMP_DATA) and prints one table. It measures, it does not gate: exit 0 even when a
// target is missed; exit 3 when the data folder is missing.
//
//   smp-eval --data DIR                 score (LFW with leave-one-out forests: photos never seen)
//   smp-eval --data DIR --shipped       score LFW with the shipped forest (seen in training)
//   smp-eval --data DIR --train FILE    train on all LFW photos, write the generated source
//                                       (src/smp/scalp/parts_forest_data.cpp), then score
//   smp-eval --data DIR --dump DIR2     also write parts maps and overlays to look at
//
// The last line reads "eval targets met: N of M" (not a test summary: CI parses those).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "smp/analysis/analysis.h"
#include "smp/core/errors.h"
#include "smp/core/files.h"
#include "smp/core/parallel.h"
#include "smp/image/image_io.h"

namespace fs = std::filesystem;
using namespace smp;

namespace {

std::vector<fs::path> list(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct LfwPhoto {
  std::string name;
  cv::Mat bgr, truth;
  bool has_face = false;
  PartsSamples samples;
};

struct Row {
  std::string metric, value, target;
  int pass;  // 1 met, 0 missed, -1 information only
};

std::string fmt(double v, int prec = 3) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

// Same training set-up for the shipped forest and the leave-one-out ones.
// Fold `fold` of `folds` is left out (fold -1: train on everything).
PartsForest train_on(const std::vector<LfwPhoto>& lfw, int fold, int folds, const ForestParams& p) {
  cv::Mat X, y;
  for (int i = 0; i < static_cast<int>(lfw.size()); ++i) {
    if ((fold >= 0 && i % folds == fold) || !lfw[i].has_face) continue;
    X.push_back(lfw[i].samples.features);
    y.push_back(lfw[i].samples.labels);
  }
  return train_parts_forest(X, y, p);
}

cv::Mat side_by_side(const cv::Mat& photo, const cv::Mat& pred, const cv::Mat& truth) {
  std::vector<cv::Mat> v = {photo, parts_to_colour(pred)};
  if (!truth.empty()) v.push_back(parts_to_colour(truth));
  cv::Mat out;
  cv::hconcat(v, out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"smp-eval: score the parts map, bald scalp and Norwood estimate on SMP_DATA"};
  const char* env = std::getenv("SMP_DATA");
  std::string data = env ? env : "../shared/data";
  std::string train_out, dump;
  bool shipped = false, verbose = false, lfw_only = false;
  int stride = 6, folds = 0;
  bool mirror = true;
  ForestParams fp;
  app.add_option("--data", data, "development photos (lfw/, hairloss/, portraits/)")
      ->capture_default_str();
  app.add_option("--train", train_out, "train on all LFW photos and write the forest as C++ here");
  app.add_option("--dump", dump, "write parts maps and overlays to this folder");
  app.add_flag("--shipped", shipped, "score LFW with the shipped forest, not leave-one-out");
  app.add_flag("-v,--verbose", verbose, "one line per photo");
  app.add_flag("--lfw-only", lfw_only, "score the parts map only (quicker while tuning)");
  app.add_option("--trees", fp.trees, "forest size (training)")->capture_default_str();
  app.add_option("--depth", fp.max_depth, "tree depth (training)")->capture_default_str();
  app.add_option("--hair-weight", fp.hair_weight, "prior weight of the hair class (training)")
      ->capture_default_str();
  app.add_option("--seed", fp.seed, "random seed of the forest (training)");
  app.add_option("--min-samples", fp.min_samples, "smallest node to split (training)")
      ->capture_default_str();
  app.add_flag("--mirror,!--no-mirror", mirror,
               "train on each photo's mirror image too (default; --no-mirror: not)");
  app.add_option("--folds", folds, "k-fold by subject instead of leave-one-out (0: LOO)");
  app.add_option("--stride", stride, "sample every n-th pixel (training)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (!fs::is_directory(fs::path(data) / "lfw") || !fs::is_directory(fs::path(data) / "hairloss") ||
      !fs::is_directory(fs::path(data) / "portraits")) {
    std::cerr << "smp-eval: " << data
              << ": data folder not found (needs lfw/, hairloss/, portraits/)\n";
    return 3;
  }
  try {
    auto model = FaceModel::load(FaceModel::default_model_path());
    if (!dump.empty()) fs::create_directories(dump);

    // --- LFW: parts map against LFW Part Labels ---
    std::vector<LfwPhoto> lfw;
    for (const auto& p : list(fs::path(data) / "lfw" / "images")) {
      LfwPhoto ph;
      ph.name = p.stem().string();
      ph.bgr = read_photo(p.string()).bgr;
      fs::path m = fs::path(data) / "lfw" / "masks" / (ph.name + "_parts.png");
      if (!fs::exists(m)) continue;
      ph.truth = parts_from_colour(read_photo(m.string()).bgr);
      auto faces = model->detect(ph.bgr);
      if (!faces.empty()) {
        ph.has_face = true;
        if (verbose) {
          cv::Point2d e1(0, 0), e2(0, 0), mo(0, 0);
          for (int k = 36; k < 42; ++k) e1 += faces[0].landmarks[k] / 6.0;
          for (int k = 42; k < 48; ++k) e2 += faces[0].landmarks[k] / 6.0;
          for (int k = 48; k < 68; ++k) mo += faces[0].landmarks[k] / 20.0;
          std::printf("# anchors %s %.1f %.1f %.1f %.1f %.1f %.1f", ph.name.c_str(), e1.x, e1.y,
                      e2.x, e2.y, mo.x, mo.y);
          for (int k : {0, 2, 14, 16, 30})
            std::printf(" %.1f %.1f", faces[0].landmarks[k].x, faces[0].landmarks[k].y);
          std::printf("\n");
        }
        ph.samples = parts_training_samples(ph.bgr, faces[0], ph.truth, stride);
        // The mirror image is another plausible photo with the same truth: twice the heads to
        // learn from (LOO on LFW: skin IoU +0.005-0.010, bald-scalp recall +0.007-0.009).
        // Taken a little darker, as another exposure would be (sRGB x 0.8; LOO, mean of three
        // seeds: skin IoU +0.006, accuracy +0.002; x 1.15 gained nothing).
        constexpr double kMirrorExposure = 0.8;
        if (mirror) {
          cv::Mat fb, ft;
          cv::flip(ph.bgr, fb, 1);
          fb.convertTo(fb, -1, kMirrorExposure, 0);
          cv::flip(ph.truth, ft, 1);
          auto ff = model->detect(fb);
          if (!ff.empty()) {
            PartsSamples m = parts_training_samples(fb, ff[0], ft, stride);
            ph.samples.features.push_back(m.features);
            ph.samples.labels.push_back(m.labels);
          }
        }
      }
      lfw.push_back(std::move(ph));
    }
    if (!train_out.empty()) {
      Stopwatch sw;
      PartsForest f = train_on(lfw, -1, 1, fp);
      std::cerr << "smp-eval: trained in " << sw.elapsed_ms() << " ms\n";
      std::string comment = "trained on " + std::to_string(lfw.size()) + " LFW photos" +
                            (mirror ? " and their mirror images (darker), " : ", ") +
                            std::to_string(fp.trees) + " trees, depth " +
                            std::to_string(fp.max_depth) + ", " + std::to_string(f.nodes.size()) +
                            " nodes";
      write_file_atomic(train_out, parts_forest_to_cpp(f, comment));
      std::cerr << "smp-eval: wrote " << train_out << " (" << comment << ")\n";
    }
    const bool loo = !shipped;
    const int n_lfw = static_cast<int>(lfw.size());
    if (folds <= 0 || folds > n_lfw) folds = n_lfw;  // leave-one-out: one photo per fold
    std::vector<PartsForest> forests(loo ? folds : 0);
    if (loo) {
      // Two at a time: each training is single-threaded.
      parallel_for(
          folds,
          [&](int b, int e) {
            for (int k = b; k < e; ++k) forests[k] = train_on(lfw, k, folds, fp);
          },
          2, 1);
    }
    double conf[3][3] = {};
    long top_skin = 0, top_skin_hit = 0, top_hair = 0, top_hair_hit = 0;
    for (size_t i = 0; i < lfw.size(); ++i) {
      AnalyzeOptions opt;
      if (loo) opt.parts.forest = &forests[i % folds];
      cv::Mat pred;
      try {
        pred = analyze(lfw[i].bgr, *model, opt, lfw[i].name).parts;
      } catch (const InputError&) {
        pred = cv::Mat(lfw[i].bgr.size(), CV_8U, cv::Scalar(0));
      }
      const cv::Mat& t = lfw[i].truth;
      int top_rows = static_cast<int>(0.38 * t.rows);
      double c1[3][3] = {};
      for (int y = 0; y < t.rows; ++y)
        for (int x = 0; x < t.cols; ++x) {
          int g = t.at<uint8_t>(y, x), p = pred.at<uint8_t>(y, x);
          conf[g][p]++;
          c1[g][p]++;
          if (y < top_rows && g == 1) top_skin++, top_skin_hit += p == 1;
          if (y < top_rows && g == 2) top_hair++, top_hair_hit += p == 2;
        }
      if (verbose) {
        auto iou = [&](int k) {
          double u = 0;
          for (int j = 0; j < 3; ++j) u += c1[k][j] + c1[j][k];
          u -= c1[k][k];
          return u > 0 ? c1[k][k] / u : 1.0;
        };
        std::printf(
            "# %-32s face=%d acc=%.3f skin=%.3f hair=%.3f (hair truth %.0f: hit %.0f, as skin "
            "%.0f, "
            "as bg %.0f; false hair from bg %.0f, from skin %.0f; skin from bg %.0f, skin as bg "
            "%.0f)\n",
            lfw[i].name.c_str(), lfw[i].has_face, (c1[0][0] + c1[1][1] + c1[2][2]) / t.total(),
            iou(1), iou(2), c1[2][0] + c1[2][1] + c1[2][2], c1[2][2], c1[2][1], c1[2][0], c1[0][2],
            c1[1][2], c1[0][1], c1[1][0]);
      }
      if (!dump.empty())
        write_image((fs::path(dump) / (lfw[i].name + "_cmp.png")).string(),
                    side_by_side(lfw[i].bgr, pred, t));
    }
    auto iou = [&](int k) {
      double u = 0;
      for (int j = 0; j < 3; ++j) u += conf[k][j] + conf[j][k];
      u -= conf[k][k];
      return u > 0 ? conf[k][k] / u : 0.0;
    };
    double total = 0;
    for (auto& r : conf)
      for (double v : r) total += v;
    double acc = total > 0 ? (conf[0][0] + conf[1][1] + conf[2][2]) / total : 0;
    double bald_recall = top_skin ? double(top_skin_hit) / top_skin : 0;
    double hair_recall = top_hair ? double(top_hair_hit) / top_hair : 0;
    std::string how = !loo             ? " (shipped forest)"
                      : folds == n_lfw ? " (leave-one-out)"
                                       : " (" + std::to_string(folds) + "-fold)";

    std::vector<Row> rows;
    rows.push_back({"lfw pixel accuracy" + how, fmt(acc), ">= 0.96", acc >= 0.96});
    rows.push_back({"lfw IoU skin" + how, fmt(iou(1)), ">= 0.90", iou(1) >= 0.90});
    rows.push_back({"lfw IoU hair" + how, fmt(iou(2)), ">= 0.55", iou(2) >= 0.55});
    rows.push_back({"lfw IoU background" + how, fmt(iou(0)), "-", -1});
    rows.push_back(
        {"lfw bald-scalp recall, top 38%", fmt(bald_recall), ">= 0.92", bald_recall >= 0.92});
    rows.push_back(
        {"lfw top-hair recall, top 38%", fmt(hair_recall), ">= 0.70", hair_recall >= 0.70});

    // --- hairloss: Norwood from the top view, once per subject ---
    std::regex re(R"(hl_norwood(\d)_s(\d+)_(\w+))");
    int nw_total = 0, nw_ok = 0;
    std::string nw_detail;
    // Chin-down hairline photos (the `front` views dlib finds no face in): whether their eyes are
    // found (the hairline and the bald area stand on them), and the bald area they get.
    int cd_total = 0, cd_eyes = 0;
    std::string cd_detail;
    for (const auto& p : lfw_only ? std::vector<fs::path>{} : list(fs::path(data) / "hairloss")) {
      std::smatch m;
      std::string stem = p.stem().string();
      if (!std::regex_match(stem, m, re)) continue;
      int stage = std::stoi(m[1]);
      std::string view = m[3];
      if (view == "left" && !verbose && dump.empty()) continue;
      cv::Mat bgr = read_photo(p.string()).bgr;
      int est = 0;
      std::string got_view = "-";
      double area = 0;
      try {
        Analysis a = analyze(bgr, *model, {}, p.string());
        est = a.scalp.norwood.stage;
        got_view = to_string(a.view);
        area = a.scalp.bald_area_cm2;
        if (view == "front" && !a.face()) {
          ++cd_total;
          cd_eyes += a.tilted_face.has_value();
          cd_detail += (cd_detail.empty() ? "" : " ") + fmt(area, 0) + (a.tilted_face ? "e" : "");
        }
        if (!dump.empty()) {
          write_image((fs::path(dump) / (stem + "_overlay.jpg")).string(), draw_overlay(bgr, a));
          write_image((fs::path(dump) / (stem + "_parts.png")).string(), parts_to_colour(a.parts));
        }
      } catch (const InputError&) {
      }
      if (view == "top") {
        ++nw_total;
        bool ok = est > 0 && std::abs(est - stage) <= 1;
        nw_ok += ok;
        nw_detail +=
            (nw_detail.empty() ? "" : " ") + std::to_string(stage) + "->" + std::to_string(est);
      }
      if (verbose)
        std::printf("# %-28s stage %d estimate %d (view %s, bald %.1f cm2)\n", stem.c_str(), stage,
                    est, got_view.c_str(), area);
    }
    double nw_share = nw_total ? double(nw_ok) / nw_total : 0;
    if (!lfw_only)
      rows.push_back(
          {"norwood top view within +-1",
           std::to_string(nw_ok) + "/" + std::to_string(nw_total) + " [" + nw_detail + "]",
           ">= 75%", nw_total > 0 && nw_share >= 0.75});
    if (!lfw_only)
      rows.push_back(
          {"chin-down front views, eyes found [cm2, e]",
           std::to_string(cd_eyes) + "/" + std::to_string(cd_total) + " [" + cd_detail + "]", "-",
           -1});

    // --- portraits: no bald scalp on full heads of hair ---
    int pt_total = 0, pt_false = 0;
    std::string pt_detail;
    for (const auto& p : lfw_only ? std::vector<fs::path>{} : list(fs::path(data) / "portraits")) {
      cv::Mat bgr = read_photo(p.string()).bgr;
      double area = 0;
      try {
        Analysis a = analyze(bgr, *model, {}, p.string());
        area = a.scalp.bald_area_cm2;
        if (!dump.empty()) {
          write_image((fs::path(dump) / (p.stem().string() + "_overlay.jpg")).string(),
                      draw_overlay(bgr, a));
          write_image((fs::path(dump) / (p.stem().string() + "_parts.png")).string(),
                      parts_to_colour(a.parts));
        }
      } catch (const InputError&) {
      }
      ++pt_total;
      pt_false += area >= 10;
      pt_detail += (pt_detail.empty() ? "" : " ") + fmt(area, 1);
      if (verbose) std::printf("# %-36s bald %.1f cm2\n", p.filename().c_str(), area);
    }
    if (!lfw_only)
      rows.push_back(
          {"portraits with false bald scalp (>=10 cm2)",
           std::to_string(pt_false) + "/" + std::to_string(pt_total) + " [" + pt_detail + "]", "0",
           pt_total > 0 && pt_false == 0});

    if (verbose) {
      // Where the pixels go: rows are the truth, columns the prediction (bg, skin, hair).
      const char* names[3] = {"bg", "skin", "hair"};
      std::printf("# confusion (truth \\ predicted)       bg        skin        hair\n");
      for (int g = 0; g < 3; ++g)
        std::printf("# %-34s %10.0f  %10.0f  %10.0f\n", names[g], conf[g][0], conf[g][1],
                    conf[g][2]);
    }
    // CI reads "N passed, M failed" lines as test results: this is a measurement, so its
    // summary is worded differently on purpose.
    int met = 0, targets = 0;
    std::printf("%-44s %-40s %-8s %s\n", "metric", "value", "target", "result");
    for (const auto& r : rows) {
      std::printf("%-44s %-40s %-8s %s\n", r.metric.c_str(), r.value.c_str(), r.target.c_str(),
                  r.pass < 0 ? "info"
                  : r.pass   ? "met"
                             : "missed");
      if (r.pass >= 0) ++targets;
      if (r.pass == 1) ++met;
    }
    std::printf("eval targets met: %d of %d\n", met, targets);
    return 0;
  } catch (const InputError& e) {
    std::cerr << "smp-eval: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "smp-eval: " << e.what() << "\n";
    return 4;
  }
}
