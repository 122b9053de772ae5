// librosa's spectral descriptors (centroid, bandwidth, rolloff, flatness) in one fused pass
// per frame: window -> float64 r2c -> magnitude -> the frame's statistic, without materialising the
// (bins, frames) spectrogram and the four or five whole-array float64 passes over it that the
// whole-tensor formulas make (spectrograms/compat/librosa/feature/spectral.py calls this op).
//
// Numbers: librosa transforms float32 audio in float64 (its window is float64) and rounds the
// spectrum to float32, so with `round32` each magnitude is rounded to float32 before the statistic,
// and the intermediates librosa keeps in float32 (the normalised weights of the centroid, the cumulative
// sum and threshold of the rolloff, S ** power of the flatness) are
// rounded or accumulated in float32 at the same place. Sums librosa takes in float64 are taken in
// float64 here (in another order: the parity tests bound that).
#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "fftw_plans.h"
#include "framing.h"

namespace spectrograms {
namespace {

enum class Kind { centroid, bandwidth, bandwidth_raw, rolloff, flatness };

Kind parse_kind(const std::string& kind) {
  if (kind == "centroid") return Kind::centroid;
  if (kind == "bandwidth") return Kind::bandwidth;
  if (kind == "bandwidth_raw") return Kind::bandwidth_raw;
  if (kind == "rolloff") return Kind::rolloff;
  if (kind == "flatness") return Kind::flatness;
  TORCH_CHECK_VALUE(false, "kind must be one of 'centroid', 'bandwidth', 'bandwidth_raw', 'rolloff', 'flatness', "
                    "got '", kind, "'");
}

struct Job {
  Kind kind;
  double param, amin;
  bool round32;
  int64_t n_bins;
  const double* freq;
};

inline double as_stored(double v, bool round32) { return round32 ? double(float(v)) : v; }

// librosa.util.normalize(S, norm=1) leaves a frame whose sum is below the dtype's smallest normal as it is.
inline double l1_length(const double* mag, int64_t n, bool round32) {
  double length = 0;
  for (int64_t k = 0; k < n; ++k) length += mag[k];
  const double tiny = round32 ? double(std::numeric_limits<float>::min()) : std::numeric_limits<double>::min();
  return length < tiny ? 1.0 : length;
}

inline double centroid_of(const Job& job, const double* mag, double length) {
  double c = 0;
  for (int64_t k = 0; k < job.n_bins; ++k) c += job.freq[k] * as_stored(mag[k] / length, job.round32);
  return c;
}

// Writes the frame's statistic to *out; `tmp` holds n_bins values.
void frame_statistic(const Job& job, const double* mag, double* tmp, double* out) {
  const int64_t n = job.n_bins;
  switch (job.kind) {
    case Kind::centroid: {
      out[0] = centroid_of(job, mag, l1_length(mag, n, job.round32));
      return;
    }
    case Kind::bandwidth:
    case Kind::bandwidth_raw: {
      const double length = l1_length(mag, n, job.round32);
      const double c = centroid_of(job, mag, length);
      const bool norm = job.kind == Kind::bandwidth;
      const double p = job.param;
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        const double w = norm ? as_stored(mag[k] / length, job.round32) : mag[k];
        const double d = std::abs(job.freq[k] - c);
        sum += w * (p == 2.0 ? d * d : p == 1.0 ? d : std::pow(d, p));
      }
      out[0] = p == 2.0 ? std::sqrt(sum) : std::pow(sum, 1.0 / p);
      return;
    }
    case Kind::rolloff: {
      // np.cumsum is sequential, in float32 for float32 S; the threshold is float32 too
      int64_t k = 0;
      if (job.round32) {
        float total = 0;
        for (int64_t i = 0; i < n; ++i) tmp[i] = total += float(mag[i]);
        const float threshold = float(job.param) * total;
        while (k < n && !(float(tmp[k]) >= threshold)) ++k;
      } else {
        double total = 0;
        for (int64_t i = 0; i < n; ++i) tmp[i] = total += mag[i];
        const double threshold = job.param * total;
        while (k < n && !(tmp[k] >= threshold)) ++k;
      }
      out[0] = k < n ? job.freq[k] : std::numeric_limits<double>::quiet_NaN();
      return;
    }
    case Kind::flatness: {
      const double p = job.param;
      double log_sum = 0, sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        double v = p == 1.0 ? mag[k] : p == 2.0 ? mag[k] * mag[k] : std::pow(mag[k], p);
        v = std::max(as_stored(v, job.round32), job.amin);
        v = as_stored(v, job.round32);
        log_sum += std::log(v);
        sum += v;
      }
      out[0] = std::exp(log_sum / double(n)) / (sum / double(n));
      return;
    }
  }
}

at::Tensor spectral_descriptor_cpu(const at::Tensor& signal, const at::Tensor& window, int64_t n_fft,
                                   int64_t hop_length, bool center, c10::string_view pad_mode,
                                   const at::Tensor& freq, c10::string_view kind, double param, double amin,
                                   bool round32) {
  check_signal(signal);
  TORCH_CHECK_VALUE(signal.scalar_type() == at::kDouble, "spectral_descriptor computes in float64: signal must be "
                    "float64, got ", signal.scalar_type());
  check_window(window, signal, n_fft);
  const FrameGeometry g(signal.size(-1), n_fft, hop_length, center, parse_pad_mode(std::string(pad_mode)));
  Job job{parse_kind(std::string(kind)), param, amin, round32, n_fft / 2 + 1, nullptr};
  TORCH_CHECK_VALUE(freq.dim() == 1 && freq.size(0) == job.n_bins && freq.scalar_type() == at::kDouble,
                    "freq must be float64 of shape (n_fft // 2 + 1,) = (", job.n_bins, ",), got ", freq.sizes(),
                    " ", freq.scalar_type());
  TORCH_CHECK_VALUE(job.kind != Kind::rolloff || (param > 0 && param < 1), "roll_percent must lie in (0, 1), got ",
                    param);
  TORCH_CHECK_VALUE(job.kind != Kind::flatness || amin > 0, "amin must be positive, got ", amin);
  TORCH_CHECK_VALUE((job.kind != Kind::bandwidth && job.kind != Kind::bandwidth_raw) || param > 0,
                    "p must be positive, got ", param);
  const auto x = signal.contiguous();
  const auto w = window.contiguous();
  const auto f = freq.contiguous();
  job.freq = f.data_ptr<double>();
  const int64_t n_signals = x.numel() / g.n_samples;
  auto result = at::empty(batch_shape_with(x, {1, g.n_frames}), x.options());
  if (result.numel() == 0) return result;
  const double* x_base = x.data_ptr<double>();
  const double* win = w.data_ptr<double>();
  double* out_base = result.data_ptr<double>();
  const auto plan = cached_plan<double>(Transform::r2c, g.n_fft);
  const int64_t n_tasks = n_signals * g.n_frames;
  parallel_tasks(n_tasks, parallel_grain(1), [&](TaskCursor& cursor) {
    using Complex = Fftw<double>::Complex;
    Scratch<double, 0> frame(aligned_stride<double>(g.n_fft));
    Scratch<Complex, 1> spectrum(job.n_bins);
    Scratch<double, 2> mag(2 * aligned_stride<double>(job.n_bins));
    double* tmp = mag.get() + aligned_stride<double>(job.n_bins);
    int64_t task;
    while (cursor.next(task)) {
      const int64_t s = task / g.n_frames, t = task % g.n_frames;
      load_windowed_frame(x_base + s * g.n_samples, g, t, win, frame.get());
      Fftw<double>::r2c(plan, frame.get(), spectrum.get());
      const Complex* X = spectrum.get();
      double* m = mag.get();
      for (int64_t k = 0; k < job.n_bins; ++k) m[k] = as_stored(std::sqrt(X[k][0] * X[k][0] + X[k][1] * X[k][1]), round32);
      frame_statistic(job, m, tmp, out_base + s * g.n_frames + t);
    }
  });
  return result;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("spectral_descriptor(Tensor signal, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, "
        "Tensor freq, str kind, float param, float amin, bool round32) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("spectral_descriptor", &spectral_descriptor_cpu); }

}  // namespace spectrograms
