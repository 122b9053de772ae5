// The CPU spectrogram kernel, shared by the op registration (spectrogram.cpp) and the direct
// binding that plans call (module.cpp).
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string_view>

namespace spectrograms {

at::Tensor spectrogram_cpu(const at::Tensor& signal, const at::Tensor& window, int64_t n_fft, int64_t hop_length,
                           bool center, std::string_view pad_mode, double power,
                           const std::optional<at::Tensor>& fb_crow, const std::optional<at::Tensor>& fb_col,
                           const std::optional<at::Tensor>& fb_val, std::optional<double> floor_db);

}  // namespace spectrograms
