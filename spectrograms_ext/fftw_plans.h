// FFTW plans and aligned scratch: the only file that includes <fftw3.h>.
//
// Plans are made once per (transform, size, precision, rigor) and kept in a bounded LRU cache
// (plan_cache.cpp). The FFTW planner is not thread-safe, so planning and destroying plans happen
// under one lock; executing a plan with the new-array functions on other arrays of the same alignment
// is thread-safe, which is what lets every thread run the same plan on its own scratch.
#pragma once

#include <fftw3.h>

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

namespace spectrograms {

template <typename T>
struct Fftw;

template <>
struct Fftw<float> {
  using Complex = fftwf_complex;
  using Plan = fftwf_plan;
  static void* malloc(size_t bytes) { return fftwf_malloc(bytes); }
  static void free(void* p) { fftwf_free(p); }
  static Plan plan_r2c(int n, float* in, Complex* out) {
    return fftwf_plan_dft_r2c_1d(n, in, out, FFTW_MEASURE);
  }
  static Plan plan_c2r(int n, Complex* in, float* out) {
    return fftwf_plan_dft_c2r_1d(n, in, out, FFTW_MEASURE);
  }
  static Plan plan_r2c(int rank, const int* n, float* in, Complex* out, unsigned flags) {
    return fftwf_plan_dft_r2c(rank, n, in, out, flags);
  }
  static Plan plan_c2r(int rank, const int* n, Complex* in, float* out, unsigned flags) {
    return fftwf_plan_dft_c2r(rank, n, in, out, flags);
  }
  static void destroy(Plan p) { fftwf_destroy_plan(p); }
  static void r2c(Plan p, float* in, Complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void c2r(Plan p, Complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
};

template <>
struct Fftw<double> {
  using Complex = fftw_complex;
  using Plan = fftw_plan;
  static void* malloc(size_t bytes) { return fftw_malloc(bytes); }
  static void free(void* p) { fftw_free(p); }
  static Plan plan_r2c(int n, double* in, Complex* out) {
    return fftw_plan_dft_r2c_1d(n, in, out, FFTW_MEASURE);
  }
  static Plan plan_c2r(int n, Complex* in, double* out) {
    return fftw_plan_dft_c2r_1d(n, in, out, FFTW_MEASURE);
  }
  static Plan plan_r2c(int rank, const int* n, double* in, Complex* out, unsigned flags) {
    return fftw_plan_dft_r2c(rank, n, in, out, flags);
  }
  static Plan plan_c2r(int rank, const int* n, Complex* in, double* out, unsigned flags) {
    return fftw_plan_dft_c2r(rank, n, in, out, flags);
  }
  static void destroy(Plan p) { fftw_destroy_plan(p); }
  static void r2c(Plan p, double* in, Complex* out) { fftw_execute_dft_r2c(p, in, out); }
  static void c2r(Plan p, Complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
};

// Owns n elements of FFTW-aligned memory. Every buffer handed to a cached plan comes from here, so
// it has the alignment the plan was made for.
template <typename T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t n) : ptr_(static_cast<T*>(Fftw<double>::malloc(n * sizeof(T) + 64))) {
    if (ptr_ == nullptr) throw std::bad_alloc();
    std::memset(static_cast<void*>(ptr_), 0, n * sizeof(T));
  }
  ~AlignedBuffer() { Fftw<double>::free(ptr_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* get() const { return ptr_; }

 private:
  T* ptr_;
};

// Scratch for kernels called once per short clip. Up to kKeptBytes it is a per-thread buffer that
// outlives the call: allocating and clearing each call's scratch (about 60 KiB at n_fft 512) cost a
// few percent of a one-second clip. Larger requests get a buffer of their own for the call, so a
// single huge transform does not pin its memory to the thread for good. `Slot` tells apart the
// buffers one kernel uses at the same time. Kept buffers are zeroed only when (re)allocated: they
// may hold an earlier call's values.
template <typename T, int Slot>
class Scratch {
 public:
  static constexpr size_t kKeptBytes = 1 << 20;

  explicit Scratch(size_t n) {
    if (n * sizeof(T) > kKeptBytes) {
      owned_ = std::make_unique<AlignedBuffer<T>>(n);
      ptr_ = owned_->get();
      return;
    }
    thread_local std::unique_ptr<AlignedBuffer<T>> kept;
    thread_local size_t capacity = 0;
    if (capacity < n) {
      capacity = 0;
      kept.reset();  // the old buffer goes before the new one comes
      kept = std::make_unique<AlignedBuffer<T>>(n);
      capacity = n;
    }
    ptr_ = kept->get();
  }
  T* get() const { return ptr_; }

 private:
  std::unique_ptr<AlignedBuffer<T>> owned_;
  T* ptr_;
};

enum class Transform { r2c, c2r };

// How hard the planner searches. `measure` times candidate algorithms (worth it for the frame sizes
// the spectrogram ops reuse millions of times); `estimate` plans at once from heuristics, for the FFT
// family and 2-D transforms, whose sizes follow the data and may each be used only once.
enum class Rigor { measure, estimate };

// A plan kept alive for as long as someone holds it. The cache (plan_cache.cpp) holds one reference
// and every running call another, so evicting or clearing never frees a plan a kernel is executing
// (the kernels run with the GIL released, on many threads). Converts to the raw FFTW plan, so the
// kernels pass it to Fftw<T>::r2c / c2r as they are.
template <typename T>
class PlanRef {
 public:
  struct Holder {
    typename Fftw<T>::Plan plan;
    explicit Holder(typename Fftw<T>::Plan p) : plan(p) {}
    ~Holder();  // fftw_destroy_plan under the planner lock (plan_cache.cpp)
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
  };

  explicit PlanRef(std::shared_ptr<const Holder> holder) : holder_(std::move(holder)) {}
  operator typename Fftw<T>::Plan() const { return holder_->plan; }

 private:
  std::shared_ptr<const Holder> holder_;
};

namespace detail {

// The cached plan for a transform of `cols` points (rows == 0) or of a (rows, cols) array, made on a
// miss. One LRU cache over both precisions and all shapes, bounded by plan count and by an estimate
// of the plans' memory (FFTW's twiddle tables and buffers, about 2 complex values per point); a plan
// bigger than the whole byte budget is made for the call and not kept. Defined in plan_cache.cpp for
// float and double.
template <typename T>
PlanRef<T> plan_for_shape(Transform kind, int64_t rows, int64_t cols, Rigor rigor);

}  // namespace detail

// What the plan cache holds and may hold; `forward` and `inverse` count r2c and c2r plans.
struct PlanCacheInfo {
  int64_t forward, inverse, bytes, max_plans, max_bytes;
};

PlanCacheInfo plan_cache_info();
// Drops every cached plan; plans that running calls hold are freed when those calls end.
void clear_plan_cache();
// Sets the bounds (evicting at once what no longer fits); max_plans >= 1, max_bytes >= 0.
void set_plan_cache_limits(int64_t max_plans, int64_t max_bytes);

// Returns the cached plan for a 1-D real transform of size n, making it on first use.
template <typename T>
PlanRef<T> cached_plan(Transform kind, int64_t n, Rigor rigor = Rigor::measure) {
  TORCH_CHECK_VALUE(n > 0 && n <= (int64_t(1) << 30), "FFT size must be in [1, 2^30], got ", n);
  return detail::plan_for_shape<T>(kind, 0, n, rigor);
}

// Returns the cached plan for a 2-D real transform of a contiguous (rows, cols) array (the complex
// side is (rows, cols / 2 + 1)), planned with FFTW_ESTIMATE.
template <typename T>
PlanRef<T> cached_plan_2d(Transform kind, int64_t rows, int64_t cols) {
  TORCH_CHECK_VALUE(rows > 0 && cols > 0 && rows <= (int64_t(1) << 30) / cols,
                    "2-D FFT shape must be positive with at most 2^30 elements, got (", rows, ", ", cols, ")");
  return detail::plan_for_shape<T>(kind, rows, cols, Rigor::estimate);
}

}  // namespace spectrograms
