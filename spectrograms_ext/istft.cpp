// The inverse STFT: complex (..., n_fft / 2 + 1, frames) back to a real signal (..., length) by
// inverse transforms, windowed overlap-add and division by the window-square sum (the least-squares
// inverse of the STFT, as torch.istft and librosa.istft compute it).
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/complex.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "fftw_plans.h"
#include "framing.h"
#include "math.h"

namespace spectrograms {
namespace {

// The output, in the coordinates of the overlap-added signal: frame f covers [f * hop, f * hop + n_fft);
// the kept samples are [start, start + length), of which those at or past `available` lie beyond the
// last frame and are zero.
struct IstftGeometry {
  int64_t n_fft, hop, n_frames, start, length, available;

  // Frames that touch the positions [a, b).
  int64_t first_frame(int64_t a) const { return std::max<int64_t>(0, (a - n_fft + hop) / hop); }
  int64_t end_frame(int64_t b) const { return std::min(n_frames, (b - 1) / hop + 1); }
};

// Output positions per task: many frames' worth, so frames straddling two tiles (which both
// transform) are a small share of the work.
int64_t tile_length(const IstftGeometry& g) { return std::max<int64_t>(g.hop * 64, g.n_fft); }

// sum_f window[p - f * hop]^2 for each kept position p; refuses the settings if it vanishes anywhere
// a frame should have covered, since the signal there cannot be recovered.
template <typename T>
std::vector<T> window_envelope(const T* window, const IstftGeometry& g, bool center) {
  std::vector<T> square(g.n_fft);
  T peak = 0;
  for (int64_t i = 0; i < g.n_fft; ++i) {
    square[i] = window[i] * window[i];
    peak = std::max(peak, square[i]);
  }
  const int64_t covered = std::min(g.length, g.available - g.start);
  std::vector<T> envelope(std::max<int64_t>(covered, 0), T(0));
  const int64_t tile = tile_length(g);
  at::parallel_for(0, (covered + tile - 1) / tile, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t a = g.start + t * tile, b = std::min(g.start + covered, a + tile);
      for (int64_t f = g.first_frame(a); f < g.end_frame(b); ++f) {
        const int64_t lo = std::max(a, f * g.hop), hi = std::min(b, f * g.hop + g.n_fft);
        for (int64_t p = lo; p < hi; ++p) envelope[p - g.start] += square[p - f * g.hop];
      }
    }
  });
  // torch.istft's threshold, relative to the window's peak so that scaling the window changes nothing.
  const T threshold = T(1e-11) * peak;
  for (int64_t i = 0; i < covered; ++i) {
    TORCH_CHECK_VALUE(envelope[i] > threshold, "cannot invert this STFT: the window-square sum is ~0 at output "
                      "sample ", i, " (n_fft=", g.n_fft, ", hop_length=", g.hop, ", center=",
                      center ? "True" : "False", "), so no frame carries that sample; use a smaller hop_length, "
                      "center=True, or a window that is non-zero at its ends");
  }
  return envelope;
}

template <typename T>
void istft_kernel(const at::Tensor& spec, const at::Tensor& window, const IstftGeometry& g, bool center,
                  at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t n_bins = g.n_fft / 2 + 1;
  const int64_t n_signals = out.numel() / g.length;
  const std::vector<T> envelope = window_envelope(window.data_ptr<T>(), g, center);
  const int64_t covered = int64_t(envelope.size());
  const int64_t tile = tile_length(g);
  const int64_t tiles = (g.length + tile - 1) / tile;
  const auto plan = cached_plan<T>(Transform::c2r, g.n_fft);
  const auto* spec_base = spec.data_ptr<c10::complex<T>>();
  const T* win = window.data_ptr<T>();
  T* out_base = out.data_ptr<T>();
  // FFTW's c2r is unnormalised; the 1 / n_fft goes into the synthesis window.
  std::vector<T> synthesis(win, win + g.n_fft);
  for (T& w : synthesis) w /= T(g.n_fft);
  std::atomic<bool> non_finite{false};

  // Each task owns a tile of one output signal and transforms every frame touching it, so tasks
  // never write to the same memory; frames straddling two tiles are transformed by both.
  at::parallel_for(0, n_signals * tiles, 1, [&](int64_t begin, int64_t end) {
    AlignedBuffer<Complex> spectrum(n_bins);
    AlignedBuffer<T> frame(aligned_stride<T>(g.n_fft) + 2);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t s = task / tiles;
      const int64_t i0 = (task % tiles) * tile, i1 = std::min(g.length, i0 + tile);
      T* y = out_base + s * g.length;
      std::fill(y + i0, y + i1, T(0));
      const int64_t a = g.start + i0, b = g.start + std::min(i1, covered);  // positions frames reach
      if (a >= b) continue;
      const c10::complex<T>* columns = spec_base + s * n_bins * g.n_frames;
      bool finite = true;
      for (int64_t f = g.first_frame(a); f < g.end_frame(b); ++f) {
        for (int64_t k = 0; k < n_bins; ++k) {
          const c10::complex<T> c = columns[k * g.n_frames + f];
          spectrum.get()[k][0] = c.real();
          spectrum.get()[k][1] = c.imag();
        }
        // c2r reads the bins as one half of a Hermitian spectrum; NumPy and torch drop the imaginary
        // parts of DC and (for even n_fft) Nyquist, which that half cannot carry. Do so explicitly.
        spectrum.get()[0][1] = 0;
        if (g.n_fft % 2 == 0) spectrum.get()[n_bins - 1][1] = 0;
        Fftw<T>::c2r(plan, spectrum.get(), frame.get());
        // Frame sample j lands on output sample f * hop + j - start.
        const int64_t offset = f * g.hop - g.start;
        const int64_t j0 = std::max(a, f * g.hop) - f * g.hop, j1 = std::min(b, f * g.hop + g.n_fft) - f * g.hop;
        const T* x = frame.get();
        for (int64_t j = j0; j < j1; ++j) y[offset + j] += synthesis[j] * x[j];
        finite = finite && all_finite(x + j0, j1 - j0);
      }
      if (!finite) non_finite = true;
      for (int64_t i = i0; i < std::min(i1, covered); ++i) y[i] /= envelope[i];
    }
  });
  TORCH_CHECK_VALUE(!non_finite, "the STFT contains NaN or Inf values (or values so large that the inverse "
                                 "overflows); clean it, e.g. with torch.nan_to_num, before inverting");
}

at::Tensor istft_cpu(const at::Tensor& stft, const at::Tensor& window, int64_t n_fft, int64_t hop_length,
                     bool center, std::optional<int64_t> length) {
  TORCH_CHECK_VALUE(stft.dim() >= 2, "the STFT must have shape (..., n_fft // 2 + 1, n_frames), got ",
                    stft.sizes());
  TORCH_CHECK_VALUE(stft.scalar_type() == at::kComplexFloat || stft.scalar_type() == at::kComplexDouble,
                    "the STFT must be complex64 or complex128, got ", stft.scalar_type());
  TORCH_CHECK_VALUE(n_fft > 0, "n_fft must be positive, got ", n_fft);
  TORCH_CHECK_VALUE(hop_length > 0, "hop_length must be positive, got ", hop_length);
  TORCH_CHECK_VALUE(stft.size(-2) == n_fft / 2 + 1, "the STFT has ", stft.size(-2),
                    " frequency bins but n_fft=", n_fft, " needs n_fft // 2 + 1 = ", n_fft / 2 + 1);
  const int64_t n_frames = stft.size(-1);
  TORCH_CHECK_VALUE(n_frames > 0, "the STFT has no frames (n_frames=0)");
  const auto real_type = stft.scalar_type() == at::kComplexFloat ? at::kFloat : at::kDouble;
  TORCH_CHECK_VALUE(window.dim() == 1 && window.size(0) == n_fft, "window must have shape (n_fft,) = (", n_fft,
                    ",), got ", window.sizes());
  TORCH_CHECK_VALUE(window.scalar_type() == real_type, "window dtype ", window.scalar_type(),
                    " does not match the STFT dtype ", stft.scalar_type(), " (needs ", real_type, ")");
  TORCH_CHECK_VALUE(window.device() == stft.device(), "window is on ", window.device(), ", the STFT on ",
                    stft.device());
  TORCH_CHECK_VALUE(!length || *length > 0, "length must be positive, got ", length.value_or(0));
  IstftGeometry g;
  g.n_fft = n_fft;
  g.hop = hop_length;
  g.n_frames = n_frames;
  g.available = n_fft + hop_length * (n_frames - 1);
  g.start = center ? n_fft / 2 : 0;
  g.length = length ? *length : g.available - 2 * g.start;
  TORCH_CHECK_VALUE(g.length > 0, "the STFT's ", n_frames, " frames of n_fft=", n_fft,
                    " give no samples once the centre padding is removed; pass length");
  std::vector<int64_t> shape(stft.sizes().begin(), stft.sizes().end() - 2);
  shape.push_back(g.length);
  auto out = at::empty(shape, stft.options().dtype(real_type));
  if (out.numel() == 0) return out;
  const auto x = stft.contiguous();
  const auto w = window.contiguous();
  if (real_type == at::kFloat)
    istft_kernel<float>(x, w, g, center, out);
  else
    istft_kernel<double>(x, w, g, center, out);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("istft(Tensor stft, Tensor window, int n_fft, int hop_length, bool center, int? length) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("istft", &istft_cpu); }

}  // namespace spectrograms
