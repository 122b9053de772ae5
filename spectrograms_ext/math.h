// Small vectorisable numeric helpers for the kernels' inner loops.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace spectrograms {

// log10 of a positive, normal float, written so that GCC vectorises loops calling it (std::log10f
// is a scalar libm call). Splits x = m * 2^e with m in [sqrt(1/2), sqrt(2)) and evaluates ln(m) with
// the degree-9 minimax polynomial of Cephes' logf in t = m - 1 (about 1 ulp; no division).
inline float log10_normal(float x) {
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
inline void to_db(const float* in, float* out, int64_t n, float amin, float scale) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale * log10_normal(in[i] > amin ? in[i] : amin);
}

inline void to_db(const double* in, double* out, int64_t n, double amin, double scale) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale * std::log10(in[i] > amin ? in[i] : amin);
}

}  // namespace spectrograms
