// The polyphase resampling kernel (resample.cpp), declared for callers outside the op registration.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace spectrograms {

// waveform (..., time) float32/float64; kernel (new_freq, [1,] 2 * width + orig_freq) of the same dtype,
// rates divided by their gcd. Returns (..., ceil(new_freq * time / orig_freq)).
at::Tensor resample_poly_cpu(const at::Tensor& waveform, const at::Tensor& kernel, int64_t orig_freq,
                             int64_t new_freq, int64_t width);

}  // namespace spectrograms
