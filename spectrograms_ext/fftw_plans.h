// FFTW plans and aligned scratch: the only file that includes <fftw3.h>.
//
// Plans are made once per (transform, size, precision) with FFTW_MEASURE and cached for the life of
// the process. The FFTW planner is not thread-safe, so planning happens under one lock; executing a
// plan with the new-array functions on other arrays of the same alignment is thread-safe, which is
// what lets every thread run the same plan on its own scratch.
#pragma once

#include <fftw3.h>

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <tuple>

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

enum class Transform { r2c, c2r };

// Returns the cached plan for a 1-D real transform of size n, making it on first use.
template <typename T>
typename Fftw<T>::Plan cached_plan(Transform kind, int64_t n) {
  using Key = std::tuple<Transform, int64_t>;
  static std::mutex mutex;
  static std::map<Key, typename Fftw<T>::Plan> plans;
  TORCH_CHECK(n > 0 && n <= (int64_t(1) << 30), "FFT size must be in [1, 2^30], got ", n);
  std::lock_guard<std::mutex> lock(mutex);
  auto found = plans.find(Key{kind, n});
  if (found != plans.end()) return found->second;
  // Planning with FFTW_MEASURE overwrites its arrays, so it gets scratch of its own.
  AlignedBuffer<T> real(n + 2);
  AlignedBuffer<typename Fftw<T>::Complex> spectrum(n / 2 + 1);
  auto plan = kind == Transform::r2c ? Fftw<T>::plan_r2c(int(n), real.get(), spectrum.get())
                                     : Fftw<T>::plan_c2r(int(n), spectrum.get(), real.get());
  TORCH_CHECK(plan != nullptr, "FFTW could not plan a transform of size ", n);
  plans.emplace(Key{kind, n}, plan);
  return plan;
}

}  // namespace spectrograms
