// The short-time Fourier transform with complex output (..., n_fft / 2 + 1, frames).
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/complex.h>
#include <torch/library.h>

#include <atomic>
#include <cmath>

#include "fftw_plans.h"
#include "framing.h"
#include "math.h"

namespace spectrograms {
namespace {

template <typename T>
void stft_kernel(const at::Tensor& x, const at::Tensor& window, const FrameGeometry& g, at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t n_bins = g.n_fft / 2 + 1;
  const int64_t n_signals = x.numel() / g.n_samples;
  const int64_t stride = aligned_stride<Complex>(n_bins);
  const int64_t block = std::clamp<int64_t>((64 * 1024) / int64_t(stride * sizeof(Complex)), 4, 64);
  const int64_t blocks_per_signal = (g.n_frames + block - 1) / block;
  const auto plan = cached_plan<T>(Transform::r2c, g.n_fft);
  const T* signal_base = x.data_ptr<T>();
  const T* win = window.data_ptr<T>();
  auto* out_base = out.data_ptr<c10::complex<T>>();
  std::atomic<bool> non_finite{false};

  parallel_tasks(n_signals * blocks_per_signal, parallel_grain(block), [&](TaskCursor& tasks) {
    AlignedBuffer<T> frame(aligned_stride<T>(g.n_fft));
    AlignedBuffer<Complex> spectra(block * stride);
    for (int64_t task; tasks.next(task);) {
      const int64_t s = task / blocks_per_signal;
      const int64_t f0 = (task % blocks_per_signal) * block;
      const int64_t nf = std::min(block, g.n_frames - f0);
      bool finite = true;
      for (int64_t j = 0; j < nf; ++j) {
        Complex* spectrum = spectra.get() + j * stride;
        load_windowed_frame(signal_base + s * g.n_samples, g, f0 + j, win, frame.get());
        Fftw<T>::r2c(plan, frame.get(), spectrum);
        // Every bin, not only DC: with finite samples the transform can still overflow in any bin.
        finite = finite && all_finite(reinterpret_cast<const T*>(spectrum), 2 * n_bins);
      }
      if (!finite) non_finite = true;
      auto* rows = out_base + s * n_bins * g.n_frames + f0;
      for (int64_t k = 0; k < n_bins; ++k)
        for (int64_t j = 0; j < nf; ++j) {
          const Complex& c = spectra.get()[j * stride + k];
          rows[k * g.n_frames + j] = c10::complex<T>(c[0], c[1]);
        }
    }
  });
  TORCH_CHECK_VALUE(!non_finite, "the signal contains NaN or Inf samples (or values so large that a frame's "
                                 "transform overflows); clean it, e.g. with torch.nan_to_num, before computing");
}

at::Tensor stft_cpu(const at::Tensor& signal, const at::Tensor& window, int64_t n_fft, int64_t hop_length,
                    bool center, c10::string_view pad_mode) {
  check_signal(signal);
  check_window(window, signal, n_fft);
  const FrameGeometry g(signal.size(-1), n_fft, hop_length, center, parse_pad_mode(std::string(pad_mode)));
  const auto complex_type = signal.scalar_type() == at::kFloat ? at::kComplexFloat : at::kComplexDouble;
  auto out = at::empty(batch_shape_with(signal, {n_fft / 2 + 1, g.n_frames}), signal.options().dtype(complex_type));
  if (out.numel() == 0) return out;
  const auto x = signal.contiguous();
  const auto w = window.contiguous();
  if (x.scalar_type() == at::kFloat)
    stft_kernel<float>(x, w, g, out);
  else
    stft_kernel<double>(x, w, g, out);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("stft(Tensor signal, Tensor window, int n_fft, int hop_length, bool center, str pad_mode) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("stft", &stft_cpu); }

}  // namespace spectrograms
