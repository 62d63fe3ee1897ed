// Each `smp <command>` lives in its own cmd_*.cpp and registers itself here, so adding a command
// touches no other file. The library throws typed errors; main() alone turns them into a message
// and an exit code.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smp/face/face.h"

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

}  // namespace smp::cli
