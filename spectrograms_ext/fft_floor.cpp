// The benchmark's floor: FFTW's r2c over exactly the frames the spectrogram op transforms, with the
// same plan, precision and threads, and nothing else (each frame is copied into aligned scratch, as
// an FFT of a strided signal needs, but not windowed, reduced or written out). No spectrogram can be
// faster than this, so `python -m spectrograms.bench` reports every method as a ratio to it.
#include <ATen/core/Tensor.h>
#include <ATen/ops/scalar_tensor.h>
#include <torch/library.h>

#include "fftw_plans.h"
#include "framing.h"

namespace spectrograms {
namespace {

template <typename T>
double fft_floor_kernel(const at::Tensor& x, const FrameGeometry& g) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t n_signals = x.numel() / g.n_samples;
  const auto plan = cached_plan<T>(Transform::r2c, g.n_fft);
  const T* base = x.data_ptr<T>();
  std::vector<double> dc(n_signals * g.n_frames);  // keeps the transforms from being optimised away
  parallel_tasks(n_signals * g.n_frames, parallel_grain(1), [&](TaskCursor& tasks) {
    AlignedBuffer<T> frame(aligned_stride<T>(g.n_fft));
    AlignedBuffer<Complex> spectrum(g.n_fft / 2 + 1);
    for (int64_t task; tasks.next(task);) {
      const int64_t start = (task % g.n_frames) * g.hop - g.pad;
      const T* signal = base + (task / g.n_frames) * g.n_samples;
      if (start >= 0 && start + g.n_fft <= g.n_samples) {
        std::memcpy(frame.get(), signal + start, g.n_fft * sizeof(T));
      } else {
        for (int64_t i = 0; i < g.n_fft; ++i) {
          const int64_t j = start + i;
          frame.get()[i] = j >= 0 && j < g.n_samples ? signal[j] : T(0);
        }
      }
      Fftw<T>::r2c(plan, frame.get(), spectrum.get());
      dc[task] = spectrum.get()[0][0];
    }
  });
  double total = 0;
  for (double v : dc) total += v;
  return total;
}

at::Tensor fft_floor_cpu(const at::Tensor& signal, int64_t n_fft, int64_t hop_length, bool center) {
  check_signal(signal);
  const FrameGeometry g(signal.size(-1), n_fft, hop_length, center, PadMode::constant);
  const auto x = signal.contiguous();
  const double total = x.scalar_type() == at::kFloat ? fft_floor_kernel<float>(x, g) : fft_floor_kernel<double>(x, g);
  return at::scalar_tensor(total, signal.options().dtype(at::kDouble));
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("_fft_floor(Tensor signal, int n_fft, int hop_length, bool center) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("_fft_floor", &fft_floor_cpu); }

}  // namespace spectrograms
