#include "test_support.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "smp/image/image_io.h"

namespace smp::test {

std::string sample_dir() {
  const char* home = std::getenv("HOME");
  for (std::string d : {std::string("/usr/share/doc/libdlib19.1/examples/faces"),
                        std::string(home ? home : "") +
                            "/.cache/smp/libdlib19.1/usr/share/doc/libdlib19.1/examples/faces"})
    if (std::filesystem::exists(d + "/bald_guys.jpg")) return d;
  return "/usr/share/doc/libdlib19.1/examples/faces";
}

std::string sample_photo(const std::string& name) {
  return sample_dir() + "/" + name;
}

TempDir::TempDir() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() / ("smp-test-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

RunResult run_smp(const std::string& args) {
  TempDir t;
  std::string out = t.path("out"), err = t.path("err");
  std::string cmd = std::string(SMP_BINARY) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  int st = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream o(path, std::ios::binary);
  o << bytes;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const FaceModel& face_model() {
  static auto m = FaceModel::load(FaceModel::default_model_path());
  return *m;
}

const cv::Mat& bald_guys() {
  static cv::Mat m = read_photo(sample_photo()).bgr;
  return m;
}

}  // namespace smp::test
