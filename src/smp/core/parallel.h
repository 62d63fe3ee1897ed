// Parallel loops over rows or tiles (pbrt's ParallelFor shape). nthreads = 0 means all cores.
#pragma once
#include <algorithm>
#include <functional>
#include <thread>
#include <vector>

namespace smp {

inline int thread_count(int nthreads = 0) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return nthreads <= 0 ? hw : nthreads;
}

// Calls fn(begin, end) on disjoint chunks of [0, n) from up to `nthreads` threads and waits.
inline void parallel_for(int n, const std::function<void(int, int)>& fn, int nthreads = 0,
                         int min_chunk = 16) {
  if (n <= 0) return;
  int t = std::min(thread_count(nthreads), std::max(1, n / std::max(1, min_chunk)));
  if (t <= 1) {
    fn(0, n);
    return;
  }
  std::vector<std::jthread> pool;
  pool.reserve(t - 1);
  int chunk = (n + t - 1) / t;
  for (int i = 1; i < t; ++i) {
    int b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
}

}  // namespace smp
