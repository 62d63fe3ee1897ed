// Every stage reports its time: a Timings map is filled by the pipeline and written as
// `timings_ms` in the JSON reports.
#pragma once
#include <chrono>
#include <map>
#include <string>

namespace smp {

using Timings = std::map<std::string, double>;  // stage name -> milliseconds

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Adds the scope's duration to timings[name] when it ends.
class ScopedTiming {
 public:
  ScopedTiming(Timings& t, std::string name) : t_(t), name_(std::move(name)) {}
  ~ScopedTiming() { t_[name_] += sw_.elapsed_ms(); }

 private:
  Timings& t_;
  std::string name_;
  Stopwatch sw_;
};

}  // namespace smp
