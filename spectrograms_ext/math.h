// Small vectorisable numeric helpers for the kernels' inner loops.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace spectrograms {

// log10 of a positive, normal float, written so that GCC vectorises loops calling it (std::log10f
// is a scalar libm call). Splits x = m * 2^e with m in [sqrt(1/2), sqrt(2)) and sums the series
// ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172; five terms leave a relative error under
// 1e-9, below float rounding.
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
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float ln_m =
      s * (2.0f + s2 * (0.666666667f + s2 * (0.4f + s2 * (0.285714286f + s2 * 0.222222222f))));
  return float(exponent) * 0.301029996f + ln_m * 0.434294482f;
}

// v[i] = scale * log10(max(v[i], amin)) in place; amin must be a positive normal number.
inline void to_db(float* v, int64_t n, float amin, float scale) {
  for (int64_t i = 0; i < n; ++i) v[i] = scale * log10_normal(v[i] > amin ? v[i] : amin);
}

inline void to_db(double* v, int64_t n, double amin, double scale) {
  for (int64_t i = 0; i < n; ++i) v[i] = scale * std::log10(v[i] > amin ? v[i] : amin);
}

}  // namespace spectrograms
