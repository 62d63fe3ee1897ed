// Shared first steps of the photo commands (see command.h).
#include "command.h"

#include "smp/core/errors.h"

namespace smp::cli {

AnalyzedPhoto read_and_analyze(const std::string& path, const AnalyzeOptions& opt, Timings& t) {
  AnalyzedPhoto r;
  {
    ScopedTiming st(t, "decode");
    r.photo = read_photo(path);
  }
  {
    ScopedTiming st(t, "model_load");
    face_model();
  }
  ScopedTiming st(t, "analyze");
  r.analysis = analyze(r.photo.bgr, face_model(), opt, path);
  return r;
}

SimulateResult simulate_photo(const AnalyzedPhoto& in, const std::string& path,
                              const Design& design, const SimulateOptions& opt) {
  try {
    return simulate(in.photo.bgr, in.analysis, design, opt);
  } catch (const InputError& e) {
    if (!e.subject().empty()) throw;
    throw InputError(path, e.reason());
  }
}

}  // namespace smp::cli
