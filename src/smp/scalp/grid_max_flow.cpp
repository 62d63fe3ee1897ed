#include "smp/scalp/grid_max_flow.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "smp/core/errors.h"

namespace smp {

namespace {

// Neighbour directions: right, below-right, below, below-left, then their opposites (d + 4).
constexpr int kDx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
constexpr int kDy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
constexpr int opposite(int d) {
  return (d + 4) & 7;
}

constexpr int8_t kFree = -1, kTerminal = 8, kOrphan = 9;

// The residual graph and the two search trees (source: label 1, sink: label 0). Follows the
// structure of Kolmogorov's maxflow-v3 (growth, augmentation, adoption; the TS / DIST marks that
// keep paths to the terminals short). The grid has a border of idle nodes (no capacity in or
// out), so no neighbour lookup needs a bounds test.
// N: 4 (the pairs right and below, and their opposites) or 8 neighbours.
template <int N>
class GridMaxFlow {
 public:
  static constexpr int kDirs4[4] = {0, 2, 4, 6}, kDirs8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  static constexpr const int (&dirs())[N] {
    if constexpr (N == 4)
      return kDirs4;
    else
      return kDirs8;
  }

  explicit GridMaxFlow(const cv::Mat (&costs)[4])
      : size_(costs[0].size()),
        w_(size_.width + 2),
        n_(static_cast<size_t>(size_.width + 2) * (size_.height + 2)) {
    for (int d = 0; d < 8; ++d) off_[d] = kDx[d] + kDy[d] * w_;
    cap_.assign(n_ * 8, 0.0f);
    tr_.assign(n_, 0.0f);
    gain_.assign(n_, 0.0f);
    parent_.resize(n_);
    sink_.resize(n_);
    ts_.resize(n_);
    dist_.resize(n_);
    queued_.resize(n_);
    ring_.resize(n_ + 1);
    for (int y = 0; y < size_.height; ++y)
      for (int k = 0; k < 4; ++k) {
        if (N == 4 && k % 2 == 1) continue;  // no diagonal pairs
        const double* c = costs[k].ptr<double>(y);
        for (int x = 0; x < size_.width; ++x) {
          const int qx = x + kDx[k], qy = y + kDy[k];
          if (qx < 0 || qx >= size_.width || qy >= size_.height) continue;
          const size_t p = node(x, y), q = node(qx, qy);
          cap_[p * 8 + k] = static_cast<float>(c[x]);
          cap_[q * 8 + opposite(k)] = static_cast<float>(c[x]);
        }
      }
    costs_ = cap_;
  }

  // New gains. After a solve, the flow found so far stays: a pixel's residual terminal capacity
  // moves by its change of gain (Kohli & Torr's dynamic graph cuts), and only the difference
  // is pushed. A pixel fixed (infinite gain) before or after but not both starts over.
  void set_gains(const cv::Mat& gain) {
    bool fresh = !solved_;
    for (int y = 0; y < size_.height && !fresh; ++y) {
      const double* g = gain.ptr<double>(y);
      for (int x = 0; x < size_.width; ++x) {
        const float old = gain_[node(x, y)], now = static_cast<float>(g[x]);
        if ((std::isinf(old) || std::isinf(now)) && old != now) {
          fresh = true;
          break;
        }
      }
    }
    if (fresh) {
      cap_ = costs_;
      std::fill(tr_.begin(), tr_.end(), 0.0f);
    }
    for (int y = 0; y < size_.height; ++y) {
      const double* g = gain.ptr<double>(y);
      for (int x = 0; x < size_.width; ++x) {
        const size_t i = node(x, y);
        const float now = static_cast<float>(g[x]);
        if (fresh)
          tr_[i] = now;
        else if (!std::isinf(now))
          tr_[i] += now - gain_[i];
        gain_[i] = now;
      }
    }
    // The search trees start again from the terminals.
    std::fill(parent_.begin(), parent_.end(), kFree);
    std::fill(sink_.begin(), sink_.end(), 0);
    std::fill(ts_.begin(), ts_.end(), 0);
    std::fill(dist_.begin(), dist_.end(), 0);
    std::fill(queued_.begin(), queued_.end(), 0);
    head_ = tail_ = 0;
    orphans_.clear();
    time_ = 0;
    solved_ = true;
  }

  void run() {
    for (size_t i = 0; i < n_; ++i)
      if (tr_[i] != 0) {
        parent_[i] = kTerminal;
        sink_[i] = tr_[i] < 0;
        ts_[i] = 0;
        dist_[i] = 1;
        set_active(i);
      }
    size_t current = kNone;
    while (true) {
      size_t i = current;
      if (i != kNone) {
        queued_[i] = 0;  // being worked on (it may be queued again)
        if (parent_[i] == kFree) i = kNone;
      }
      if (i == kNone && (i = next_active()) == kNone) break;

      // Growth: the first arc found from i's tree into the other tree, as (tail, direction)
      // with the tail on the source side.
      size_t tail = kNone;
      int dir = -1;
      if (!sink_[i]) {
        for (int d : dirs()) {
          if (cap_[i * 8 + d] <= 0) continue;
          const size_t j = i + off_[d];
          if (parent_[j] == kFree) {
            adopt_grown(j, i, opposite(d), false);
          } else if (sink_[j]) {
            tail = i, dir = d;
            break;
          } else if (ts_[j] <= ts_[i] && dist_[j] > dist_[i]) {
            shorten(j, i, opposite(d));
          }
        }
      } else {
        for (int d : dirs()) {
          const size_t j = i + off_[d];
          if (cap_[j * 8 + opposite(d)] <= 0) continue;
          if (parent_[j] == kFree) {
            adopt_grown(j, i, opposite(d), true);
          } else if (!sink_[j]) {
            tail = j, dir = opposite(d);
            break;
          } else if (ts_[j] <= ts_[i] && dist_[j] > dist_[i]) {
            shorten(j, i, opposite(d));
          }
        }
      }
      ++time_;
      if (tail == kNone) {
        current = kNone;
        continue;
      }
      // i stays the node to grow from next.
      queued_[i] = 1;
      current = i;
      augment(tail, dir);
      while (!orphans_.empty()) {
        const size_t o = orphans_.front();
        orphans_.pop_front();
        adopt(o);
      }
    }
  }

  cv::Size size() const { return size_; }

  cv::Mat labels() const {
    cv::Mat out(size_, CV_8U);
    for (int y = 0; y < size_.height; ++y) {
      uint8_t* o = out.ptr<uint8_t>(y);
      for (int x = 0; x < size_.width; ++x) {
        const size_t i = node(x, y);
        o[x] = parent_[i] == kFree || !sink_[i];
      }
    }
    return out;
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  static constexpr int kInfiniteDist = 1 << 30;

  size_t node(int x, int y) const { return static_cast<size_t>(y + 1) * w_ + (x + 1); }
  size_t neighbour(size_t i, int d) const { return i + off_[d]; }

  // The active nodes, first in first out: a ring (a node is queued at most once).
  void set_active(size_t i) {
    if (queued_[i]) return;
    queued_[i] = 1;
    ring_[tail_] = static_cast<uint32_t>(i);
    tail_ = tail_ + 1 == ring_.size() ? 0 : tail_ + 1;
  }
  size_t next_active() {
    while (head_ != tail_) {
      const size_t i = ring_[head_];
      head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
      queued_[i] = 0;
      if (parent_[i] != kFree) return i;
    }
    return kNone;
  }

  // j (free) joins i's tree as i's child; `to_parent` is the direction from j to i.
  void adopt_grown(size_t j, size_t i, int to_parent, bool sink) {
    sink_[j] = sink;
    parent_[j] = static_cast<int8_t>(to_parent);
    ts_[j] = ts_[i];
    dist_[j] = dist_[i] + 1;
    set_active(j);
  }
  // The heuristic that keeps paths to the terminal short: j takes i as its parent.
  void shorten(size_t j, size_t i, int to_parent) {
    parent_[j] = static_cast<int8_t>(to_parent);
    ts_[j] = ts_[i];
    dist_[j] = dist_[i] + 1;
  }

  // The residual capacity a node's tree path uses from node i to its parent p (source tree:
  // p -> i; sink tree: i -> p).
  float& path_cap(size_t i) {
    const int d = parent_[i];
    return sink_[i] ? cap_[i * 8 + d] : cap_[neighbour(i, d) * 8 + opposite(d)];
  }
  float& reverse_path_cap(size_t i) {
    const int d = parent_[i];
    return sink_[i] ? cap_[neighbour(i, d) * 8 + opposite(d)] : cap_[i * 8 + d];
  }

  // Push the bottleneck along source terminal -> ... -> tail -> head -> ... -> sink terminal.
  void augment(size_t tail, int dir) {
    const size_t head = neighbour(tail, dir);
    float b = cap_[tail * 8 + dir];
    size_t i = tail;
    for (; parent_[i] != kTerminal; i = neighbour(i, parent_[i])) b = std::min(b, path_cap(i));
    b = std::min(b, tr_[i]);
    for (i = head; parent_[i] != kTerminal; i = neighbour(i, parent_[i]))
      b = std::min(b, path_cap(i));
    b = std::min(b, -tr_[i]);

    cap_[tail * 8 + dir] -= b;
    cap_[head * 8 + opposite(dir)] += b;
    for (i = tail; parent_[i] != kTerminal;) {
      const size_t p = neighbour(i, parent_[i]);
      reverse_path_cap(i) += b;
      if ((path_cap(i) -= b) <= 0) make_orphan(i);
      i = p;
    }
    if ((tr_[i] -= b) <= 0) make_orphan(i);
    for (i = head; parent_[i] != kTerminal;) {
      const size_t p = neighbour(i, parent_[i]);
      reverse_path_cap(i) += b;
      if ((path_cap(i) -= b) <= 0) make_orphan(i);
      i = p;
    }
    if ((tr_[i] += b) >= 0) make_orphan(i);
  }

  void make_orphan(size_t i) {
    parent_[i] = kOrphan;
    orphans_.push_front(i);
  }

  // An orphan looks for a new parent in its own tree, one that still reaches the terminal; the
  // nearest one (fewest steps) wins. With none it becomes free, and its children orphans.
  void adopt(size_t i) {
    const bool sink = sink_[i];
    int best_d = -1, best_dist = kInfiniteDist;
    for (int d : dirs()) {
      const size_t j0 = neighbour(i, d);
      // The arc the tree path would use: j -> i in the source tree, i -> j in the sink tree.
      const float c = sink ? cap_[i * 8 + d] : cap_[j0 * 8 + opposite(d)];
      if (c <= 0 || parent_[j0] == kFree || sink_[j0] != sink) continue;
      int dist = 0;
      size_t j = j0;
      while (true) {
        if (ts_[j] == time_) {
          dist += dist_[j];
          break;
        }
        const int8_t a = parent_[j];
        ++dist;
        if (a == kTerminal) {
          ts_[j] = time_;
          dist_[j] = 1;
          break;
        }
        if (a == kOrphan) {
          dist = kInfiniteDist;
          break;
        }
        j = neighbour(j, a);
      }
      if (dist >= kInfiniteDist) continue;
      if (dist < best_dist) best_d = d, best_dist = dist;
      for (j = j0; ts_[j] != time_; j = neighbour(j, parent_[j])) {
        ts_[j] = time_;
        dist_[j] = dist--;
      }
    }
    if (best_d >= 0) {
      parent_[i] = static_cast<int8_t>(best_d);
      ts_[i] = time_;
      dist_[i] = best_dist + 1;
      return;
    }
    parent_[i] = kFree;
    for (int d : dirs()) {
      const size_t j = neighbour(i, d);
      const int8_t a = parent_[j];
      if (a == kFree || sink_[j] != sink) continue;
      const float c = sink ? cap_[i * 8 + d] : cap_[j * 8 + opposite(d)];
      if (c > 0) set_active(j);
      if (a != kTerminal && a != kOrphan && neighbour(j, a) == i) {
        parent_[j] = kOrphan;
        orphans_.push_back(j);
      }
    }
  }

  cv::Size size_;
  int w_;
  size_t n_;
  int off_[8];
  std::vector<float> cap_;    // residual capacity of the arc from node i in direction d: i*8+d
  std::vector<float> tr_;     // residual terminal capacity: > 0 from the source, < 0 to the sink
  std::vector<float> costs_;  // the pairs' capacities before any flow
  std::vector<float> gain_;   // the gains of the last solve
  bool solved_ = false;
  std::vector<int8_t> parent_;  // direction to the parent, or kFree / kTerminal / kOrphan
  std::vector<uint8_t> sink_;   // which tree
  std::vector<int> ts_, dist_;  // when a node's distance to its terminal was last known, and it
  std::vector<uint8_t> queued_;
  std::vector<uint32_t> ring_;
  size_t head_ = 0, tail_ = 0;
  std::deque<size_t> orphans_;
  int time_ = 0;
};

}  // namespace

struct GridMinCut::Impl {
  std::optional<GridMaxFlow<4>> four;
  std::optional<GridMaxFlow<8>> eight;
  template <typename F>
  auto with(F&& f) {
    return four ? f(*four) : f(*eight);
  }
};

GridMinCut::GridMinCut(const cv::Mat (&costs)[4], int neighbours)
    : impl_(std::make_unique<Impl>()) {
  SMP_CHECK(neighbours == 4 || neighbours == 8);
  for (int k = 0; k < 4; ++k) {
    if (neighbours == 4 && k % 2 == 1) continue;
    SMP_CHECK_EQ(costs[k].type(), CV_64F);
    SMP_CHECK(costs[k].size() == costs[0].size());
  }
  if (neighbours == 4)
    impl_->four.emplace(costs);
  else
    impl_->eight.emplace(costs);
}

GridMinCut::~GridMinCut() = default;

cv::Mat GridMinCut::solve(const cv::Mat& gain) {
  SMP_CHECK_EQ(gain.type(), CV_64F);
  return impl_->with([&](auto& flow) {
    SMP_CHECK(gain.size() == flow.size());
    flow.set_gains(gain);
    flow.run();
    return flow.labels();
  });
}

cv::Mat grid_min_cut(const cv::Mat& gain, const cv::Mat (&costs)[4], int neighbours) {
  return GridMinCut(costs, neighbours).solve(gain);
}

}  // namespace smp
