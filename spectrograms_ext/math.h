// Small vectorisable numeric helpers for the kernels' inner loops. The hot ones are always inlined, so
// that each level of spectrogram_block.cpp compiles them for its own instruction set.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>

namespace spectrograms {

// log10 of a positive, normal float, written so that GCC vectorises loops calling it (std::log10f
// is a scalar libm call). Splits x = m * 2^e with m in [sqrt(1/2), sqrt(2)) and evaluates ln(m) with
// the degree-9 minimax polynomial of Cephes' logf in t = m - 1 (about 1 ulp; no division).
__attribute__((always_inline)) inline float log10_normal(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t exponent = int32_t((bits >> 23) & 0xffu) - 127;
  bits = (bits & 0x007fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &bits, sizeof m);
  const bool high = m > 1.41421356f;
  m = high ? m * 0.5f : m;
  exponent += high ? 1 : 0;
  const float t = m - 1.0f;
  const float t2 = t * t;
  float poly = 7.0376836292e-2f;
  poly = poly * t - 1.1514610310e-1f;
  poly = poly * t + 1.1676998740e-1f;
  poly = poly * t - 1.2420140846e-1f;
  poly = poly * t + 1.4249322787e-1f;
  poly = poly * t - 1.6668057665e-1f;
  poly = poly * t + 2.0000714765e-1f;
  poly = poly * t - 2.4999993993e-1f;
  poly = poly * t + 3.3333331174e-1f;
  const float ln_m = t + t2 * (t * poly - 0.5f);
  return float(exponent) * 0.301029996f + ln_m * 0.434294482f;
}

// out[i] = scale * log10(max(in[i], amin)); amin must be a positive normal number.
__attribute__((always_inline)) inline void to_db(const float* in, float* out, int64_t n, float amin, float scale) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale * log10_normal(in[i] > amin ? in[i] : amin);
}

__attribute__((always_inline)) inline void to_db(const double* in, double* out, int64_t n, double amin, double scale) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale * std::log10(in[i] > amin ? in[i] : amin);
}

// Whether x[0..n) are all finite. Written on the bits (the exponent field all ones means Inf or NaN:
// adding one to it carries into the sign bit) so that GCC vectorises it as an OR reduction, which
// a loop of std::isfinite, a floating-point compare per value, does not become.
__attribute__((always_inline)) inline bool all_finite(const float* x, int64_t n) {
  uint32_t any = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    any |= (bits & 0x7f800000u) + 0x00800000u;
  }
  return (any & 0x80000000u) == 0;
}

__attribute__((always_inline)) inline bool all_finite(const double* x, int64_t n) {
  uint64_t any = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    any |= (bits & 0x7ff0000000000000u) + 0x0010000000000000u;
  }
  return (any & 0x8000000000000000u) == 0;
}

// |re + i im| for each bin of an interleaved spectrum, without the underflow of sqrt(re^2 + im^2):
// float32 squares vanish below |X| ~ 1e-19 (and overflow above ~1.8e19), so float32 magnitudes are
// taken in double, which holds both squares exactly. Double magnitudes (squares vanish below ~1e-154)
// are sqrt(power) where the power is a normal number and rescaled by a power of two where it is not;
// the rescue is a separate, rarely taken pass so that the main loop stays vectorised. A result
// beyond the float range (|X| up to sqrt(2) * FLT_MAX) comes out as Inf, which the callers check.
__attribute__((always_inline)) inline void magnitudes(const float* c, float* out, int64_t n_bins) {
  for (int64_t k = 0; k < n_bins; ++k) {
    const double re = c[2 * k], im = c[2 * k + 1];
    out[k] = float(std::sqrt(re * re + im * im));
  }
}

__attribute__((always_inline)) inline void magnitudes(const double* c, double* out, int64_t n_bins) {
  // A power below 2^-968 may have lost bits to subnormals (DBL_MIN is 2^-1022) or vanished; one above
  // 2^1000 is near overflow. Where any bin is either, the frame's bins are recomputed scaled.
  constexpr double kLow = 0x1p-968, kHigh = 0x1p1000;
  int64_t rescue = 0;
  for (int64_t k = 0; k < n_bins; ++k) {
    const double re = c[2 * k], im = c[2 * k + 1];
    const double p = re * re + im * im;
    out[k] = std::sqrt(p);
    rescue |= int64_t(!(p >= kLow && p <= kHigh) && (re != 0 || im != 0));
  }
  if (!rescue) return;
  for (int64_t k = 0; k < n_bins; ++k) {
    const double re = c[2 * k], im = c[2 * k + 1];
    const double big = std::max(std::fabs(re), std::fabs(im));
    if (big == 0 || !std::isfinite(big)) continue;  // 0 is exact; NaN/Inf are the callers' to refuse
    int exponent;
    std::frexp(big, &exponent);
    const double a = std::ldexp(re, -exponent), b = std::ldexp(im, -exponent);  // exact: powers of two
    out[k] = std::ldexp(std::sqrt(a * a + b * b), exponent);
  }
}

namespace detail {

// 64-byte vectors and their shuffle masks (GCC vector extensions need concrete element types).
template <typename T>
struct Simd;
template <>
struct Simd<float> {
  typedef float Vec __attribute__((vector_size(64)));
  typedef int32_t Mask __attribute__((vector_size(64)));
};
template <>
struct Simd<double> {
  typedef double Vec __attribute__((vector_size(64)));
  typedef int64_t Mask __attribute__((vector_size(64)));
};
template <typename T>
using Vec = typename Simd<T>::Vec;
template <typename T>
using Mask = typename Simd<T>::Mask;

// One round of the tile transpose: for each pair of rows (i, i + half) with i in an even block of
// `half` rows, a' takes the even blocks of `half` lanes of a and of b, b' the odd ones.
template <typename T, int half>
__attribute__((always_inline)) inline void transpose_round(Vec<T>* rows) {
  constexpr int L = 64 / sizeof(T);
  Mask<T> low, high;
#pragma GCC unroll 16
  for (int lane = 0; lane < L; ++lane) {
    const bool even = (lane / half) % 2 == 0;
    low[lane] = even ? lane : L + lane - half;
    high[lane] = even ? lane + half : L + lane;
  }
#pragma GCC unroll 16
  for (int i = 0; i < L; ++i) {
    if ((i / half) % 2 != 0) continue;
    const Vec<T> a = rows[i], b = rows[i + half];
    rows[i] = __builtin_shuffle(a, b, low);
    rows[i + half] = __builtin_shuffle(a, b, high);
  }
}

}  // namespace detail

// out[j] = sum_k w[k] * rows[k * V * L + j] for the V * L values j of a block row, L = 64 / sizeof(T):
// one filterbank band over a bin-major block. The accumulators are V vectors held in registers,
// which a loop over a runtime block width would keep in memory, a load and a store per multiply-add.
template <typename T, int V>
__attribute__((always_inline)) inline void weighted_row_sum(const T* w, const T* rows, int64_t n_rows, T* out) {
  constexpr int L = 64 / sizeof(T);
  detail::Vec<T> acc[V] = {};
  for (int64_t k = 0; k < n_rows; ++k) {
    const T weight = w[k];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      detail::Vec<T> x;
      std::memcpy(&x, rows + (k * V + v) * L, 64);
      acc[v] += weight * x;
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) std::memcpy(out + v * L, &acc[v], 64);
}

// Transposes an L x L tile, L = 64 / sizeof(T) (one 64-byte vector per row): rows of `in` are
// `in_stride` apart, rows of `out` `out_stride` apart (unaligned access is fine). log2(L) rounds of
// two-vector shuffles swap ever smaller off-diagonal blocks: 0.25 shuffles per float, where a
// scalar transpose costs a store per element.
template <typename T>
__attribute__((always_inline)) inline void transpose_tile(const T* in, int64_t in_stride, T* out,
                                                          int64_t out_stride) {
  constexpr int L = 64 / sizeof(T);
  detail::Vec<T> rows[L];
#pragma GCC unroll 16
  for (int i = 0; i < L; ++i) std::memcpy(&rows[i], in + i * in_stride, 64);
  if constexpr (L == 16) detail::transpose_round<T, 8>(rows);
  detail::transpose_round<T, 4>(rows);
  detail::transpose_round<T, 2>(rows);
  detail::transpose_round<T, 1>(rows);
#pragma GCC unroll 16
  for (int i = 0; i < L; ++i) std::memcpy(out + i * out_stride, &rows[i], 64);
}

}  // namespace spectrograms
