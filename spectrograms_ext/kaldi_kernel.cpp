// Kaldi's feature front-end (compute-fbank-feats / compute-mfcc-feats / compute-spectrogram-feats, as
// torchaudio.compliance.kaldi computes it) in one pass per frame: framing (snip_edges, or Kaldi's
// symmetric reflection at the item's own ends), dither from a caller-given noise tensor, DC removal,
// raw log-energy, pre-emphasis, window, windowed energy, zero-padding, r2c, power or magnitude, an
// optional mel bank given as one contiguous run of weights per band, and the log with Kaldi's floor.
//
// float32 signals are worked in float64 (`wide`) and only the output is rounded: a single FFT bin far
// below its frame's energy, and a liftered cepstrum, are ill-conditioned in float32, where torchaudio's
// own float32 result is up to 2e-3 from the exact value of its computation; worked in float64 the kernel
// gives that exact value, for a float64 FFT of 512 points that costs a few percent more than float32's.
// Sums run over 16 partial sums (a single running sum is a chain of dependent additions, 4 cycles a
// sample, which the compiler may not reorder without -ffast-math).
//
// Mean subtraction and the MFCC's DCT and lifter act across frames or bands and are one vectorised
// torch step after this op (spectrograms/compliance/kaldi_native.py).
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <tuple>
#include <vector>

#include "fftw_plans.h"
#include "framing.h"
#include "math.h"

namespace spectrograms {
namespace {

// Kaldi floors spectra and energies at float's machine epsilon whatever the precision of the data.
constexpr double kEpsilon = 1.1920928955078125e-07;

// Frames per task: enough that a task is worth a thread (framing.h's parallel_grain), few enough that
// a busy core holding one task does not hold up the call for long.
constexpr int64_t kFramesPerTask = 32;

// out[i] = log(max(in[i], eps)). The floor is a loop of its own: with the select inside, GCC does not
// vectorise the polynomial log.
__attribute__((always_inline)) inline void log_floored(const float* in, float* out, int64_t n) {
  constexpr float eps = float(kEpsilon), ln10 = 2.302585092994046f;
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] > eps ? in[i] : eps;
  for (int64_t i = 0; i < n; ++i) out[i] = log10_normal(out[i]) * ln10;
}

__attribute__((always_inline)) inline void log_floored(const double* in, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] > kEpsilon ? in[i] : kEpsilon;
  for (int64_t i = 0; i < n; ++i) out[i] = std::log(out[i]);
}

// Sum of x[i] (of x[i]^2 with Square) in double over 16 partial sums: a single running sum is a chain
// of dependent additions that the compiler may not reorder (no -ffast-math), 4 cycles a sample.
template <bool Square, typename T>
__attribute__((always_inline)) inline double wide_sum(const T* x, int64_t n) {
  constexpr int L = 16;
  double acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
#pragma GCC unroll 16
    for (int l = 0; l < L; ++l) {
      const double v = x[i + l];
      acc[l] += Square ? v * v : v;
    }
  double sum = 0;
  for (; i < n; ++i) {
    const double v = x[i];
    sum += Square ? v * v : v;
  }
  for (int l = 0; l < L; ++l) sum += acc[l];
  return sum;
}

// sum_i w[i] * p[i] over 8 partial sums, in T (torch's matmul also accumulates in the dtype).
template <typename T>
__attribute__((always_inline)) inline T dot(const T* w, const T* p, int64_t n) {
  constexpr int L = 8;
  T acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
#pragma GCC unroll 8
    for (int l = 0; l < L; ++l) acc[l] += w[i + l] * p[i + l];
  T sum = 0;
  for (; i < n; ++i) sum += w[i] * p[i];
  for (int l = 0; l < L; ++l) sum += acc[l];
  return sum;
}

// T: the signal's dtype; W: the dtype the frame is worked in (T, or double for float32 input computed
// wide, see the op's `wide`); O: the output's (T, or double for a wide float32 signal whose caller keeps
// computing on the features in float64 and would otherwise copy the whole signal to float64 first).
template <typename T, typename W, typename O>
struct Job {
  const T* signal;  // (batch, n_samples)
  int64_t batch, n_samples;
  const int64_t* lengths;
  const int64_t* counts;
  const W* window;
  int64_t size, shift, padded, n_bins, n_frames;
  bool snip_edges;
  const T* noise;  // (batch, n_frames, size) or null
  W dither;
  bool remove_dc, raw_energy, use_power, use_log;
  W preemphasis;
  std::optional<double> log_energy_floor;
  // Bands: band m reads bins [start[m], start[m] + length[m]) with weights[m * width ...].
  const int64_t* band_start;
  const int64_t* band_length;
  const W* band_weights;
  int64_t n_bands, band_width;
  int64_t n_cols, feature_col, energy_col;
  O* out;         // (batch, n_frames, n_cols)
  O* energy_out;  // (batch, n_frames)
};

template <typename W>
W log_energy(double sum_of_squares, const std::optional<double>& floor) {
  // torchaudio: energy.clamp(min=eps).log(), then clamped at log(energy_floor) when that is not 0.
  const W energy = std::max(W(sum_of_squares), W(kEpsilon));
  W value = std::log(energy);
  if (floor) value = std::max(value, W(*floor));
  return value;
}

// Reads frame f of item b into frame[0, size): snip_edges frames start at f * shift; the others are
// centred on f * shift + shift / 2, reading past either end of the item reflected with the end
// sample repeated (Kaldi's convention: index -1 is sample 0, index n is sample n - 1).
template <typename T, typename W, typename O>
void load_frame(const Job<T, W, O>& job, const T* x, int64_t length, int64_t f, W* frame) {
  const int64_t start = job.snip_edges ? f * job.shift : f * job.shift - (job.size / 2 - job.shift / 2);
  if (start >= 0 && start + job.size <= length) {
    const T* src = x + start;
    for (int64_t i = 0; i < job.size; ++i) frame[i] = W(src[i]);
    return;
  }
  for (int64_t i = 0; i < job.size; ++i) {
    int64_t j = start + i;
    if (j < 0) j = -j - 1;
    if (j >= length) j = 2 * length - 1 - j;
    frame[i] = W(x[std::min(std::max<int64_t>(j, 0), length - 1)]);
  }
}

// Returns false when a value left T's range (a frame too loud for float32): the log would hide it.
template <typename T, typename W, typename O>
bool frame_features(const Job<T, W, O>& job, typename Fftw<W>::Plan plan, int64_t b, int64_t f, W* frame, W* fft_in,
                    typename Fftw<W>::Complex* spectrum, W* power, W* values) {
  const int64_t size = job.size;
  load_frame(job, job.signal + b * job.n_samples, job.lengths[b], f, frame);
  if (job.noise != nullptr) {
    const T* noise = job.noise + (b * job.n_frames + f) * size;
    for (int64_t i = 0; i < size; ++i) frame[i] = frame[i] + job.dither * W(noise[i]);
  }
  if (job.remove_dc) {
    const W mean = W(wide_sum<false>(frame, size) / double(size));
    for (int64_t i = 0; i < size; ++i) frame[i] -= mean;
  }
  W energy = 0;
  if (job.raw_energy) energy = log_energy<W>(wide_sum<true>(frame, size), job.log_energy_floor);
  // Pre-emphasis (the first sample is its own predecessor) and the window in one pass.
  const W c = job.preemphasis;
  fft_in[0] = (frame[0] - c * frame[0]) * job.window[0];
  for (int64_t i = 1; i < size; ++i) fft_in[i] = (frame[i] - c * frame[i - 1]) * job.window[i];
  if (!job.raw_energy) energy = log_energy<W>(wide_sum<true>(fft_in, size), job.log_energy_floor);
  // fft_in[size, padded) stays zero: r2c leaves its input as it is.
  Fftw<W>::r2c(plan, fft_in, spectrum);
  const W* s = reinterpret_cast<const W*>(spectrum);
  for (int64_t k = 0; k < job.n_bins; ++k) power[k] = s[2 * k] * s[2 * k] + s[2 * k + 1] * s[2 * k + 1];
  if (!job.use_power)
    for (int64_t k = 0; k < job.n_bins; ++k) power[k] = std::sqrt(power[k]);
  O* row = job.out + (b * job.n_frames + f) * job.n_cols;
  O* features = row + job.feature_col;
  W* result = power;
  int64_t n_features = job.n_bins;
  if (job.band_start != nullptr) {
    for (int64_t m = 0; m < job.n_bands; ++m) {
      values[m] = dot(job.band_weights + m * job.band_width, power + job.band_start[m], job.band_length[m]);
    }
    result = values;
    n_features = job.n_bands;
  }
  // Rounded to O first and the log taken there: for float32 output the vectorised float log (about
  // 1 ulp) of the rounded value is as good as libm's scalar double log, which cost 20 ns a value.
  for (int64_t i = 0; i < n_features; ++i) features[i] = O(result[i]);
  // Checked before the log, which would floor a NaN and map Inf to a finite number; a float32 value
  // out of range comes out Inf here even when worked in double.
  const bool finite = all_finite(features, n_features) && std::isfinite(O(energy));
  if (job.use_log) log_floored(features, features, n_features);
  if (job.energy_col >= 0) row[job.energy_col] = O(energy);
  job.energy_out[b * job.n_frames + f] = O(energy);
  return finite;
}

// Whether the samples are finite, and then whether the features are: the kernel's two refusals.
struct Verdict {
  bool samples_finite, features_finite;
};

// Each task also checks the samples it owns for NaN/Inf ([f0 * shift, f1 * shift) of its item, the last
// task of an item up to the end of the row): together the tasks read every sample of the tensor once,
// so a signal is refused whichever samples its frames read, as the torch path refuses it.
template <typename T, typename W, typename O>
Verdict run(const Job<T, W, O>& job) {
  std::atomic<bool> finite{true}, samples_finite{true};
  using Complex = typename Fftw<W>::Complex;
  const auto plan = cached_plan<W>(Transform::r2c, job.padded);
  const int64_t tasks_per_item = (job.n_frames + kFramesPerTask - 1) / kFramesPerTask;
  parallel_tasks(job.batch * tasks_per_item, parallel_grain(kFramesPerTask), [&](TaskCursor& tasks) {
    Scratch<W, 0> frame(aligned_stride<W>(job.size));
    Scratch<W, 1> fft_in(aligned_stride<W>(job.padded));
    Scratch<Complex, 2> spectrum(job.n_bins);
    Scratch<W, 3> power(aligned_stride<W>(job.n_bins));
    Scratch<W, 4> values(aligned_stride<W>(std::max<int64_t>(job.n_bands, 1)));
    // A kept scratch buffer may hold an earlier call's values; the zero padding must be zero.
    std::fill(fft_in.get() + job.size, fft_in.get() + job.padded, W(0));
    for (int64_t task; tasks.next(task);) {
      const int64_t b = task / tasks_per_item;
      const int64_t f0 = (task % tasks_per_item) * kFramesPerTask;
      const int64_t f1 = std::min(f0 + kFramesPerTask, job.n_frames);
      const int64_t valid = std::min(f1, job.counts[b]);
      const int64_t own_begin = std::min(f0 * job.shift, job.n_samples);
      const int64_t own_end = f1 == job.n_frames ? job.n_samples : std::min(f1 * job.shift, job.n_samples);
      if (!all_finite(job.signal + b * job.n_samples + own_begin, own_end - own_begin)) samples_finite = false;
      bool ok = true;
      for (int64_t f = f0; f < valid; ++f)
        ok &= frame_features(job, plan, b, f, frame.get(), fft_in.get(), spectrum.get(), power.get(), values.get());
      if (!ok) finite = false;
      const int64_t first_pad = std::max(f0, valid);
      if (first_pad < f1) {  // frames past the item's own count are 0, as the torch path leaves them
        std::fill(job.out + (b * job.n_frames + first_pad) * job.n_cols, job.out + (b * job.n_frames + f1) * job.n_cols,
                  O(0));
        std::fill(job.energy_out + b * job.n_frames + first_pad, job.energy_out + b * job.n_frames + f1, O(0));
      }
    }
  });
  return {samples_finite, finite};
}

std::tuple<at::Tensor, at::Tensor> kaldi_frames_features_cpu(
    const at::Tensor& signal, const at::Tensor& lengths, const at::Tensor& counts, const at::Tensor& window,
    const std::optional<at::Tensor>& noise, double dither, int64_t n_frames, int64_t frame_shift,
    int64_t padded_length, bool snip_edges, bool remove_dc_offset, double preemphasis_coefficient, bool raw_energy,
    std::optional<double> log_energy_floor, const std::optional<at::Tensor>& band_start,
    const std::optional<at::Tensor>& band_length, const std::optional<at::Tensor>& band_weights, bool use_power,
    bool use_log, int64_t n_cols, int64_t feature_col, int64_t energy_col, bool wide,
    std::optional<at::ScalarType> out_dtype) {
  TORCH_CHECK_VALUE(signal.dim() == 2, "signal must have shape (batch, time), got ", signal.sizes());
  check_signal(signal);
  const auto dtype = signal.scalar_type();
  // The working dtype: float32 signals computed wide are framed, transformed and summed in float64.
  const auto work = wide ? at::kDouble : dtype;
  const char* work_name = work == at::kFloat ? "float32" : "float64";
  // float64 features of a float32 signal only where it is worked in float64: worked in float32 the
  // extra digits would be noise.
  const auto out_type = out_dtype.value_or(dtype);
  TORCH_CHECK_VALUE(out_type == dtype || (out_type == at::kDouble && work == at::kDouble),
                    "out_dtype must be the signal's dtype, or float64 for a float32 signal worked wide (wide=True), "
                    "got ", out_type, " for a ", dtype, " signal with wide=", wide ? "True" : "False");
  const int64_t batch = signal.size(0), n_samples = signal.size(1);
  const int64_t size = window.dim() == 1 ? window.size(0) : 0;
  TORCH_CHECK_VALUE(window.dim() == 1 && size >= 1, "window must be 1-D and not empty, got ", window.sizes());
  TORCH_CHECK_VALUE(window.scalar_type() == work, "window dtype ", window.scalar_type(), " is not the working dtype ",
                    work_name);
  TORCH_CHECK_VALUE(frame_shift >= 1, "frame_shift must be >= 1 sample, got ", frame_shift);
  TORCH_CHECK_VALUE(padded_length >= size && padded_length % 2 == 0 && padded_length <= (int64_t(1) << 24),
                    "padded_length must be even, at least the window length ", size, " and at most 2^24, got ",
                    padded_length);
  TORCH_CHECK_VALUE(n_frames >= 0, "n_frames must be >= 0, got ", n_frames);
  for (const auto* t : {&lengths, &counts})
    TORCH_CHECK_VALUE(t->dim() == 1 && t->size(0) == batch && t->scalar_type() == at::kLong,
                      "lengths and counts must be int64 of shape (batch,) = (", batch, ",)");
  const auto lengths_c = lengths.contiguous(), counts_c = counts.contiguous();
  const int64_t* length_data = lengths_c.data_ptr<int64_t>();
  const int64_t* count_data = counts_c.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t length = length_data[b], count = count_data[b];
    TORCH_CHECK_VALUE(length >= 0 && length <= n_samples, "lengths[", b, "] = ", length, " is outside [0, ",
                      n_samples, "]");
    TORCH_CHECK_VALUE(count >= 0 && count <= n_frames, "counts[", b, "] = ", count, " is outside [0, n_frames = ",
                      n_frames, "]");
    if (count == 0) continue;
    // Every index a frame reads is clamped into the item (load_frame), so an item of a frame or more
    // is all that reading safely needs.
    TORCH_CHECK_VALUE(length >= size, "item ", b, " has ", length, " samples, fewer than one frame of ", size);
  }
  const int64_t n_bins = padded_length / 2 + 1;
  const bool banded = band_start.has_value();
  TORCH_CHECK_VALUE(banded == band_length.has_value() && banded == band_weights.has_value(),
                    "the mel bank needs all of band_start, band_length and band_weights, or none");
  int64_t n_bands = 0, band_width = 0;
  at::Tensor start_c, length_c, weights_c;
  if (banded) {
    TORCH_CHECK_VALUE(band_weights->dim() == 2 && band_weights->scalar_type() == work,
                      "band_weights must be 2-D (bands, width) of the working dtype ", work_name);
    n_bands = band_weights->size(0);
    band_width = band_weights->size(1);
    TORCH_CHECK_VALUE(n_bands >= 1, "the mel bank has no bands");
    for (const auto* t : {&*band_start, &*band_length})
      TORCH_CHECK_VALUE(t->dim() == 1 && t->size(0) == n_bands && t->scalar_type() == at::kLong,
                        "band_start and band_length must be int64 of shape (bands,) = (", n_bands, ",)");
    start_c = band_start->contiguous();
    length_c = band_length->contiguous();
    weights_c = band_weights->contiguous();
    for (int64_t m = 0; m < n_bands; ++m) {
      const int64_t s = start_c.data_ptr<int64_t>()[m], l = length_c.data_ptr<int64_t>()[m];
      TORCH_CHECK_VALUE(s >= 0 && l >= 0 && l <= band_width && s + l <= n_bins, "band ", m, " reads bins [", s, ", ",
                        s + l, ") of width ", l, "; it must lie in [0, ", n_bins, ") within the width ", band_width);
    }
  }
  const int64_t n_features = banded ? n_bands : n_bins;
  TORCH_CHECK_VALUE(feature_col >= 0 && feature_col + n_features <= n_cols && energy_col >= -1 && energy_col < n_cols,
                    "the output columns (", n_cols, ") must hold the ", n_features, " features from column ",
                    feature_col, " and the energy column ", energy_col);
  at::Tensor noise_c;
  if (noise) {
    TORCH_CHECK_VALUE(noise->dim() == 3 && noise->size(0) == batch && noise->size(1) == n_frames &&
                          noise->size(2) == size && noise->scalar_type() == dtype,
                      "noise must have shape (batch, n_frames, window) = (", batch, ", ", n_frames, ", ", size,
                      ") and the signal's dtype, got ", noise->sizes());
    noise_c = noise->contiguous();
  }
  auto out = at::empty({batch, n_frames, n_cols}, signal.options().dtype(out_type));
  auto energy = at::empty({batch, n_frames}, signal.options().dtype(out_type));
  const auto x = signal.contiguous();
  const auto w = window.contiguous();
  Verdict verdict{true, true};
  const auto compute = [&](auto signal_type, auto work_type, auto out_type_tag) {
    using T = decltype(signal_type);
    using W = decltype(work_type);
    using O = decltype(out_type_tag);
    Job<T, W, O> job{x.data_ptr<T>(), batch, n_samples, length_data, count_data, w.data_ptr<W>(),
                  size, frame_shift, padded_length, n_bins, n_frames, snip_edges,
                  noise ? noise_c.data_ptr<T>() : nullptr, W(dither), remove_dc_offset, raw_energy,
                  use_power, use_log, W(preemphasis_coefficient), log_energy_floor,
                  banded ? start_c.data_ptr<int64_t>() : nullptr, banded ? length_c.data_ptr<int64_t>() : nullptr,
                  banded ? weights_c.data_ptr<W>() : nullptr, n_bands, band_width, n_cols, feature_col,
                  energy_col, out.data_ptr<O>(), energy.data_ptr<O>()};
    // Without frames no task runs, so the samples are checked here.
    verdict = n_frames > 0 ? run(job) : Verdict{all_finite(job.signal, batch * n_samples), true};
  };
  if (dtype == at::kDouble) {
    compute(double(), double(), double());
  } else if (out_type == at::kDouble) {
    compute(float(), double(), double());
  } else if (work == at::kDouble) {
    compute(float(), double(), float());
  } else {
    compute(float(), float(), float());
  }
  TORCH_CHECK_VALUE(verdict.samples_finite,
                    "waveforms contains NaN or Inf samples; clean it, e.g. with torch.nan_to_num, first");
  TORCH_CHECK_VALUE(verdict.features_finite, "the waveform is too loud for ", out_type == at::kFloat ? "float32" : "float64",
                    ": its frame energies leave the range of the dtype; scale it down or pass it as float64");
  return {out, energy};
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def(
      "kaldi_frames_features(Tensor signal, Tensor lengths, Tensor counts, Tensor window, Tensor? noise, "
      "float dither, int n_frames, int frame_shift, int padded_length, bool snip_edges, bool remove_dc_offset, "
      "float preemphasis_coefficient, bool raw_energy, float? log_energy_floor, Tensor? band_start, "
      "Tensor? band_length, Tensor? band_weights, bool use_power, bool use_log, int n_cols, int feature_col, "
      "int energy_col, bool wide, ScalarType? out_dtype=None) -> (Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("kaldi_frames_features", &kaldi_frames_features_cpu); }

}  // namespace spectrograms
