// The fused spectrogram op: frames -> window -> r2c -> power or magnitude -> optional sparse
// filterbank -> optional dB, in one pass over blocks of frames with per-thread scratch. No padded
// copy of the signal and no complex STFT intermediate is ever made.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <atomic>
#include <cstring>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "fftw_plans.h"
#include "framing.h"
#include "math.h"
#include "spectrogram.h"
#include "spectrogram_block.h"

namespace spectrograms {
namespace {

// Builds the bands from a CSR matrix (n_bands, n_bins): crow (n_bands + 1), col (nnz), val (nnz).
template <typename T>
Bands<T> bands_from_csr(const at::Tensor& crow_t, const at::Tensor& col_t, const at::Tensor& val_t,
                        int64_t n_bins) {
  TORCH_CHECK_VALUE(crow_t.dim() == 1 && crow_t.size(0) >= 2 && crow_t.scalar_type() == at::kLong,
                    "filterbank crow_indices must be a 1-D int64 tensor of length n_bands + 1");
  TORCH_CHECK_VALUE(col_t.dim() == 1 && col_t.scalar_type() == at::kLong,
                    "filterbank col_indices must be a 1-D int64 tensor");
  TORCH_CHECK_VALUE(val_t.dim() == 1 && val_t.size(0) == col_t.size(0),
                    "filterbank values must be 1-D with one value per column index");
  const auto crow_c = crow_t.contiguous(), col_c = col_t.contiguous(), val_c = val_t.contiguous();
  const int64_t* crow = crow_c.data_ptr<int64_t>();
  const int64_t* col = col_c.data_ptr<int64_t>();
  const T* val = val_c.data_ptr<T>();
  const int64_t n_bands = crow_t.size(0) - 1, nnz = col_t.size(0);
  TORCH_CHECK_VALUE(crow[0] == 0 && crow[n_bands] == nnz, "filterbank crow_indices must run from 0 to nnz");
  Bands<T> bands;
  for (int64_t m = 0; m < n_bands; ++m) {
    TORCH_CHECK_VALUE(crow[m] <= crow[m + 1], "filterbank crow_indices must be non-decreasing");
    int64_t lo = n_bins, hi = -1;
    for (int64_t j = crow[m]; j < crow[m + 1]; ++j) {
      TORCH_CHECK_VALUE(col[j] >= 0 && col[j] < n_bins, "filterbank column ", col[j],
                        " is outside [0, n_fft // 2 + 1 = ", n_bins, ")");
      lo = std::min(lo, col[j]);
      hi = std::max(hi, col[j]);
    }
    if (hi < lo) lo = hi = 0;  // an empty band reads nothing
    const int64_t length = crow[m + 1] > crow[m] ? hi - lo + 1 : 0;
    bands.start.push_back(lo);
    bands.length.push_back(length);
    bands.offset.push_back(int64_t(bands.weights.size()));
    bands.weights.resize(bands.weights.size() + length, T(0));
    for (int64_t j = crow[m]; j < crow[m + 1]; ++j) bands.weights[bands.offset[m] + col[j] - lo] += val[j];
  }
  return bands;
}

// Frames per block: as many as keep the block's power spectra within 64 KiB (L1 and a little L2;
// measured as fast as 128 KiB and faster than 32 KiB, whose 16-frame blocks repeat the per-band
// work too often), at least 16 so each output row is written in runs of at least 64 bytes; a
// power of two, so the loops over frames vectorise without remainders.
template <typename T>
int64_t frames_per_block(int64_t n_bins) {
  int64_t frames = 64;
  while (frames > 16 && frames * n_bins * int64_t(sizeof(T)) > 64 * 1024) frames /= 2;
  return frames;
}

// The arithmetic type the rare blocks that do not fit T are recomputed in: double for float
// (|X|^2 of any finite float32 spectrum fits), long double (x87: 15 exponent bits) for double.
template <typename T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, long double>;

constexpr const char* kNonFinite =
    "the signal contains NaN or Inf samples (or values so large that a frame's transform overflows); clean "
    "it, e.g. with torch.nan_to_num, before computing";

// One block of frames again, in Wide<T>: called when a value of the fast path left T's range (or
// was NaN/Inf), it tells those apart. NaN or Inf in the transform itself (from the samples, or an FFT
// that overflowed) is the caller's error `non_finite`; a power, magnitude or band sum beyond T's range
// is exact here, so in dB it gives the right finite value, and as a linear value it is `overflow`
// (there is no right answer in T); otherwise the values are simply the exact ones.
template <typename T>
void wide_block(const T* signal, const FrameGeometry& g, int64_t f0, int64_t nf, const T* win,
                typename Fftw<T>::Plan plan, T* frame, typename Fftw<T>::Complex* spectrum, bool magnitude,
                const std::optional<Bands<T>>& bands, bool db, T amin, T db_scale, T* out_rows,
                std::atomic<bool>& non_finite, std::atomic<bool>& overflow) {
  using W = Wide<T>;
  const int64_t n_bins = g.n_fft / 2 + 1;
  const int64_t n_out = bands ? bands->count() : n_bins;
  std::vector<W> values(n_bins);
  for (int64_t j = 0; j < nf; ++j) {
    load_windowed_frame(signal, g, f0 + j, win, frame);
    Fftw<T>::r2c(plan, frame, spectrum);
    const T* c = reinterpret_cast<const T*>(spectrum);
    if (!all_finite(c, 2 * n_bins)) {
      non_finite = true;
      return;
    }
    for (int64_t k = 0; k < n_bins; ++k) {
      const W re = c[2 * k], im = c[2 * k + 1], p = re * re + im * im;
      values[k] = magnitude ? std::sqrt(p) : p;
    }
    for (int64_t m = 0; m < n_out; ++m) {
      W v = 0;
      if (bands) {
        const T* w = bands->weights.data() + bands->offset[m];
        for (int64_t i = 0; i < bands->length[m]; ++i) v += W(w[i]) * values[bands->start[m] + i];
      } else {
        v = values[m];
      }
      T result;
      if (db) {
        result = T(W(db_scale) * std::log10(std::max(v, W(amin))));
      } else if (v > W(std::numeric_limits<T>::max())) {
        overflow = true;
        result = std::numeric_limits<T>::infinity();
      } else {
        result = T(v);
      }
      out_rows[m * g.n_frames + j] = result;
    }
  }
}

template <typename T>
void spectrogram_kernel(const at::Tensor& x, const at::Tensor& window, const FrameGeometry& g, bool magnitude,
                        const std::optional<Bands<T>>& bands, std::optional<double> floor_db,
                        at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t n_bins = g.n_fft / 2 + 1;
  const int64_t B = frames_per_block<T>(n_bins);
  const int64_t n_out = bands ? bands->count() : n_bins;
  const int64_t n_signals = x.numel() / g.n_samples;
  const int64_t blocks_per_signal = (g.n_frames + B - 1) / B;
  const auto plan = cached_plan<T>(Transform::r2c, g.n_fft);
  const T* signal_base = x.data_ptr<T>();
  const T* win = window.data_ptr<T>();
  T* out_base = out.data_ptr<T>();
  // Power in dB is 10 log10, magnitude in dB 20 log10; the floor is clamped to the smallest normal
  // number so the log stays exact.
  const T db_scale = magnitude ? T(20) : T(10);
  const T amin = floor_db ? std::max<T>(T(std::pow(10.0, *floor_db / double(db_scale))),
                                        std::numeric_limits<T>::min())
                          : T(0);
  std::atomic<bool> non_finite{false}, overflow{false};

  constexpr int64_t L = 64 / sizeof(T);  // frames per transposed tile: one vector
  const int64_t tile_stride = aligned_stride<T>(n_bins);
  const BlockJob<T> job{signal_base, win, g, plan, bands ? &*bands : nullptr, magnitude, bool(floor_db), amin,
                        db_scale, n_bins, n_out, B, blocks_per_signal, tile_stride, out_base};
  // The block's loops compiled for this CPU's instruction set (spectrogram_block.cpp).
  const BlockFunction<T> block = spectrogram_block_function<T>();

  parallel_tasks(n_signals * blocks_per_signal, parallel_grain(B), [&](TaskCursor& tasks) {
    Scratch<T, 0> frame(aligned_stride<T>(g.n_fft));
    Scratch<Complex, 1> spectrum(n_bins);
    // Power of L frames, frame-major, as the FFT produces it; transposed tile by tile into...
    Scratch<T, 2> tile(L * tile_stride);
    // ...the power of a block of frames, bin-major ([bin][frame]): the filterbank then sums rows of
    // B frames with one weight per bin, which vectorises, where a frame-major layout would need a
    // horizontal sum per band and frame. (FFTW writing bin-major output itself measured slower.)
    Scratch<T, 3> power(tile_stride * B);
    Scratch<T, 4> row(B);
    const BlockScratch<T> scratch{frame.get(), spectrum.get(), tile.get(), power.get(), row.get()};
    for (int64_t task; tasks.next(task);) {
      if (block(job, scratch, task)) continue;
      const int64_t s = task / blocks_per_signal;
      const int64_t f0 = (task % blocks_per_signal) * B;
      wide_block<T>(signal_base + s * g.n_samples, g, f0, std::min(B, g.n_frames - f0), win, plan, frame.get(),
                    spectrum.get(), magnitude, bands, bool(floor_db), amin, db_scale,
                    out_base + s * n_out * g.n_frames + f0, non_finite, overflow);
    }
  });
  TORCH_CHECK_VALUE(!non_finite, kNonFinite);
  constexpr bool single = std::is_same_v<T, float>;
  TORCH_CHECK_VALUE(!overflow, "the spectrogram of this signal exceeds the ", single ? "float32" : "float64",
                    " range (", std::numeric_limits<T>::max(), "): its ", magnitude ? "magnitude" : "power (|X|^2)",
                    bands ? " summed over a filterbank band" : "", " overflows. Scale the signal down (",
                    single ? "float32 audio is normally within [-1, 1]), pass float64, " : "), ",
                    "or ask for dB values, which are computed without overflow");
}

}  // namespace

at::Tensor spectrogram_cpu(const at::Tensor& signal, const at::Tensor& window, int64_t n_fft, int64_t hop_length,
                           bool center, std::string_view pad_mode, double power,
                           const std::optional<at::Tensor>& fb_crow, const std::optional<at::Tensor>& fb_col,
                           const std::optional<at::Tensor>& fb_val, std::optional<double> floor_db) {
  check_signal(signal);
  check_window(window, signal, n_fft);
  TORCH_CHECK_VALUE(power == 1.0 || power == 2.0, "power must be 1 (magnitude) or 2 (power), got ", power);
  TORCH_CHECK_VALUE(!floor_db || std::isfinite(*floor_db), "floor_db must be finite, got ", *floor_db);
  TORCH_CHECK_VALUE(bool(fb_crow) == bool(fb_col) && bool(fb_col) == bool(fb_val),
                    "the filterbank needs all of crow_indices, col_indices and values, or none");
  const FrameGeometry g(signal.size(-1), n_fft, hop_length, center, parse_pad_mode(std::string(pad_mode)));
  const int64_t n_bins = n_fft / 2 + 1;
  const int64_t n_out = fb_crow ? fb_crow->size(0) - 1 : n_bins;
  auto out = at::empty(batch_shape_with(signal, {n_out, g.n_frames}), signal.options());
  if (out.numel() == 0) return out;
  const auto x = signal.contiguous();
  const auto w = window.contiguous();
  if (x.scalar_type() == at::kFloat) {
    std::optional<Bands<float>> bands;
    if (fb_crow) bands = bands_from_csr<float>(*fb_crow, *fb_col, fb_val->to(at::kFloat), n_bins);
    spectrogram_kernel<float>(x, w, g, power == 1.0, bands, floor_db, out);
  } else {
    std::optional<Bands<double>> bands;
    if (fb_crow) bands = bands_from_csr<double>(*fb_crow, *fb_col, fb_val->to(at::kDouble), n_bins);
    spectrogram_kernel<double>(x, w, g, power == 1.0, bands, floor_db, out);
  }
  return out;
}

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def(
      "spectrogram(Tensor signal, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, "
      "float power, Tensor? fb_crow, Tensor? fb_col, Tensor? fb_val, float? floor_db) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("spectrogram", &spectrogram_cpu); }

}  // namespace spectrograms
