// The FFTW plan cache: one LRU over both precisions, every transform kind and shape, bounded by
// plan count and by an estimate of the plans' memory.
//
// Without a bound, a whole-clip FFT of recordings of varying length keeps one plan per length for
// good (5,000 lengths held about 1.3 GiB). Plans are handed out as shared references, so a plan
// evicted or cleared while a kernel runs it lives until that call lets go of it.
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <vector>

#include "fftw_plans.h"

namespace spectrograms {
namespace {

// Planning, destroying and (for FFTW_MEASURE) timing plans all touch FFTW's planner, which is not
// thread-safe; fftw and fftwf keep separate planner state, but one lock for both costs nothing, since
// plans are made rarely. Never held while a plan executes.
std::mutex& planner_mutex() {
  static std::mutex* mutex = new std::mutex;  // never destroyed: plans may be freed during exit
  return *mutex;
}

// Defaults: room for every frame size a feature pipeline uses plus a few hundred whole-clip sizes;
// 32 MiB holds, e.g., sixteen plans for 30 s clips at 16 kHz in float32.
constexpr int64_t kDefaultMaxPlans = 256;
constexpr int64_t kDefaultMaxBytes = int64_t(32) << 20;

// (precision in bytes, kind, rows, cols, rigor)
using Key = std::tuple<int, Transform, int64_t, int64_t, Rigor>;

struct Entry {
  std::shared_ptr<const void> plan;  // a PlanRef<T>::Holder of the key's precision
  int64_t bytes;
  std::list<Key>::iterator recency;
};

struct Cache {
  std::map<Key, Entry> entries;
  std::list<Key> recency;  // most recently used first
  int64_t bytes = 0;
  int64_t max_plans = kDefaultMaxPlans;
  int64_t max_bytes = kDefaultMaxBytes;

  // Moves out the least recently used entries until the bounds hold. The plans go to `dropped`, which
  // the caller destroys after releasing the lock: a plan's last reference takes the lock to destroy it.
  void evict(std::vector<std::shared_ptr<const void>>& dropped) {
    while (!recency.empty() && (int64_t(entries.size()) > max_plans || bytes > max_bytes)) {
      auto found = entries.find(recency.back());
      dropped.push_back(std::move(found->second.plan));
      bytes -= found->second.bytes;
      entries.erase(found);
      recency.pop_back();
    }
  }
};

Cache& cache() {
  static Cache* instance = new Cache;  // never destroyed, as the mutex
  return *instance;
}

// FFTW's memory per plan measured here (FFTW_ESTIMATE, r2c): 3 to 12 bytes per point in float32,
// more for sizes with large prime factors (generic and Rader codelets keep O(n) twiddles). Two
// complex values per point bounds that, plus a page for the plan's own structures.
template <typename T>
int64_t estimated_bytes(int64_t rows, int64_t cols) {
  return 4096 + 2 * std::max<int64_t>(rows, 1) * cols * int64_t(sizeof(typename Fftw<T>::Complex));
}

}  // namespace

template <typename T>
PlanRef<T>::Holder::~Holder() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  Fftw<T>::destroy(plan);
}

namespace detail {

template <typename T>
PlanRef<T> plan_for_shape(Transform kind, int64_t rows, int64_t cols, Rigor rigor) {
  using Holder = typename PlanRef<T>::Holder;
  std::vector<std::shared_ptr<const void>> dropped;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(planner_mutex());
  Cache& c = cache();
  const Key key{int(sizeof(T)), kind, rows, cols, rigor};
  auto found = c.entries.find(key);
  if (found != c.entries.end()) {
    c.recency.splice(c.recency.begin(), c.recency, found->second.recency);
    return PlanRef<T>(std::static_pointer_cast<const Holder>(found->second.plan));
  }
  // Planning with FFTW_MEASURE overwrites its arrays, so it gets scratch of its own. The scratch
  // comes from fftw_malloc like every array the plan later runs on, so alignments agree.
  const int64_t n_rows = rows == 0 ? 1 : rows;
  AlignedBuffer<T> real(n_rows * (cols + 2));
  AlignedBuffer<typename Fftw<T>::Complex> spectrum(n_rows * (cols / 2 + 1));
  const int shape[2] = {int(rows), int(cols)};
  const int rank = rows == 0 ? 1 : 2;
  const int* dims = rows == 0 ? shape + 1 : shape;
  // FFTW_MEASURE times candidate algorithms: milliseconds for audio frames, but seconds to minutes from
  // about 1e5 points on (n_fft 100003: 11 s, 2^20: 24 s, the prime 1048583: 230 s), so larger transforms
  // are planned by estimate.
  constexpr int64_t kMaxMeasuredPoints = int64_t(1) << 16;
  const bool measure = rigor == Rigor::measure && n_rows * cols <= kMaxMeasuredPoints;
  const unsigned flags = measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  auto plan = kind == Transform::r2c ? Fftw<T>::plan_r2c(rank, dims, real.get(), spectrum.get(), flags)
                                     : Fftw<T>::plan_c2r(rank, dims, spectrum.get(), real.get(), flags);
  TORCH_CHECK(plan != nullptr, "FFTW could not plan a transform of shape (", rows, ", ", cols, ")");
  // The holder's destructor takes the lock held here: it must not run before the lock is released,
  // which `dropped` and the caller's reference guarantee.
  std::shared_ptr<const Holder> holder;
  try {
    holder = std::make_shared<const Holder>(plan);
  } catch (...) {
    Fftw<T>::destroy(plan);
    throw;
  }
  const int64_t bytes = estimated_bytes<T>(rows, cols);
  if (bytes <= c.max_bytes) {
    c.recency.push_front(key);
    c.entries.emplace(key, Entry{holder, bytes, c.recency.begin()});
    c.bytes += bytes;
    c.evict(dropped);
  }
  return PlanRef<T>(std::move(holder));
}

template PlanRef<float> plan_for_shape<float>(Transform, int64_t, int64_t, Rigor);
template PlanRef<double> plan_for_shape<double>(Transform, int64_t, int64_t, Rigor);

}  // namespace detail

template struct PlanRef<float>::Holder;
template struct PlanRef<double>::Holder;

PlanCacheInfo plan_cache_info() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  const Cache& c = cache();
  PlanCacheInfo info{0, 0, c.bytes, c.max_plans, c.max_bytes};
  for (const auto& entry : c.entries) (std::get<1>(entry.first) == Transform::r2c ? info.forward : info.inverse) += 1;
  return info;
}

void clear_plan_cache() {
  std::vector<std::shared_ptr<const void>> dropped;
  std::lock_guard<std::mutex> lock(planner_mutex());
  Cache& c = cache();
  for (auto& entry : c.entries) dropped.push_back(std::move(entry.second.plan));
  c.entries.clear();
  c.recency.clear();
  c.bytes = 0;
}

void set_plan_cache_limits(int64_t max_plans, int64_t max_bytes) {
  TORCH_CHECK_VALUE(max_plans >= 1, "max_plans must be at least 1, got ", max_plans);
  TORCH_CHECK_VALUE(max_bytes >= 0, "max_bytes must be >= 0, got ", max_bytes);
  std::vector<std::shared_ptr<const void>> dropped;
  std::lock_guard<std::mutex> lock(planner_mutex());
  Cache& c = cache();
  c.max_plans = max_plans;
  c.max_bytes = max_bytes;
  c.evict(dropped);
}

}  // namespace spectrograms
