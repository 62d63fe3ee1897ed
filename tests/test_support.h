// Shared test helpers: the Debian sample photos, temp folders, running the real `smp` binary.
#pragma once
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>

#include "smp/face/face.h"

namespace smp::test {

// bald_guys.jpg and the other dlib example faces (from Debian's libdlib19.1).
std::string sample_dir();
std::string sample_photo(const std::string& name = "bald_guys.jpg");

// The landmark model and the decoded bald_guys.jpg, loaded once per test binary.
const FaceModel& face_model();
const cv::Mat& bald_guys();

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs `smp <args>` (the built binary) through the shell; args are already quoted.
RunResult run_smp(const std::string& args);

// A whole file's bytes; empty when it cannot be read (tests then fail on the content).
std::string slurp(const std::string& path);

// Writes bytes to a file (test fixtures).
void write_bytes(const std::string& path, const std::string& bytes);

}  // namespace smp::test
