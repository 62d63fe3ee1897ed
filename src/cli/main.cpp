// `smp`: one binary, one subcommand per job. Exit codes: 0 ok, 2 usage, 3 bad input, 4 internal.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "cli/command.h"
#include "smp/core/errors.h"
#include "smp/core/timings.h"

#ifndef SMP_VERSION
#define SMP_VERSION "dev"
#endif

namespace smp::cli {

std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}

std::string& model_path_option() {
  static std::string p = FaceModel::default_model_path();
  return p;
}

namespace {
double g_model_load_ms = 0;
}

const FaceModel& face_model() {
  static std::shared_ptr<const FaceModel> model = [] {
    Stopwatch sw;
    auto m = FaceModel::load(model_path_option());
    g_model_load_ms = sw.elapsed_ms();
    return m;
  }();
  return *model;
}

double model_load_ms() {
  return g_model_load_ms;
}

}  // namespace smp::cli

int main(int argc, char** argv) {
  using namespace smp;
  // A 12 MP photo's masks and images (12-36 MB each) are allocated and freed dozens of times:
  // by default each comes fresh from the kernel (mmap), page faults and zeroing a fifth of the
  // run's CPU. From the heap, kept when freed, the same pages serve the next one.
  // Each command runs once and exits, which returns the heap; a long-running server (smp serve)
  // would want glibc's defaults back.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  cv::setNumThreads(2);
  // Our errors are one line each; OpenCV's own warnings about a damaged file would add more.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  CLI::App app{
      "SMP Studio: scalp micropigmentation consultation, offline.\n"
      "Exit codes: 0 ok, 2 usage, 3 bad input, 4 internal error."};
  app.set_version_flag("--version", std::string("smp ") + SMP_VERSION);
  app.require_subcommand(1);
  app.add_option("--model", cli::model_path_option(), "dlib 68-point landmark model")
      ->capture_default_str();
  auto& reg = cli::registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (auto& c : reg) c.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::kUsage);
  } catch (const UsageError& e) {
    std::cerr << "smp: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kUsage);
  } catch (const InputError& e) {
    std::cerr << "smp: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kBadInput);
  } catch (const cv::Exception& e) {
    std::cerr << "smp: internal error (OpenCV): " << e.err << "\n";
    return static_cast<int>(ExitCode::kInternal);
  } catch (const std::bad_alloc&) {
    std::cerr << "smp: out of memory\n";
    return static_cast<int>(ExitCode::kInternal);
  } catch (const std::exception& e) {
    std::cerr << "smp: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kInternal);
  }
  // Done: every output is written and renamed into place. Skip the statics' destructors: the
  // landmark model alone is some 250 k small allocations, ~40 ms of freeing before the exit.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(0);
}
