// Polyphase band-limited resampling on the CPU: torchaudio's windowed-sinc kernel applied directly to
// the signal, phase by phase, with no padded copy of the signal and no convolution over the taps that
// a phase never uses.
//
// The kernel comes from Python (spectrograms.functional.sinc_resample_kernel), shape (new, 2 * width +
// orig) for rates divided by their gcd: output sample m * new + j is the dot product of row j with the
// input samples [m * orig - width, m * orig - width + 2 * width + orig), zeros outside the signal. That
// is what torchaudio's strided conv1d over the zero-padded signal computes. Row j is the same sinc
// centred at j * orig / new, so all but about 2 * lowpass_filter_width * orig / min(orig, new) of its
// taps lie past the window's end, where torchaudio clamps the time and the tap is ~1e-17 (float64
// sinc at a multiple of pi) times a window that is ~0 there: each row is trimmed to the span between its
// first and last tap above kTrimRelative of its peak, which at 44.1 -> 16 kHz leaves 34 of 475 taps.
// Dropping those taps changes each output by less than half an ulp of the signal's magnitude.
#include "resample.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace spectrograms {
namespace {

// A tap is kept unless it lies outside the span of taps above this fraction of the row's peak, relative
// to the dtype's epsilon: a trimmed tap contributes at most ~1e-3 ulp of the largest sample, and at
// most a few hundred taps are trimmed per row.
template <typename T>
T trim_threshold() {
  return std::numeric_limits<T>::epsilon() * T(1e-3);
}

struct Span {
  int64_t begin, end;  // taps [begin, end) of a kernel row
};

template <typename T>
std::vector<Span> row_spans(const T* kernel, int64_t rows, int64_t taps) {
  std::vector<Span> spans(rows);
  for (int64_t j = 0; j < rows; ++j) {
    const T* row = kernel + j * taps;
    T peak = 0;
    for (int64_t k = 0; k < taps; ++k) peak = std::max(peak, std::abs(row[k]));
    const T threshold = peak * trim_threshold<T>();
    int64_t begin = 0, end = taps;
    while (begin < end && !(std::abs(row[begin]) > threshold)) ++begin;
    while (end > begin && !(std::abs(row[end - 1]) > threshold)) --end;
    spans[j] = {begin, end};
  }
  return spans;
}

// One tap of a phase: its value and where its input stream starts in a task's deinterleaved buffer.
template <typename T>
struct Tap {
  T value;
  int64_t offset;
};

// Output sample m * new + j reads input m * orig + k - width through tap k of row j. Writing
// k - width = q * orig + r (0 <= r < orig), that is sample m + q of the input's r-th polyphase stream
// x_r[t] = x[t * orig + r]. Each task deinterleaves its stretch of the signal into those streams (zeros
// outside the signal, which is torchaudio's padding, so the loops below need no bounds checks) and then
// computes a run of B outputs of one phase at a time as a sum over that phase's taps of a scalar times a
// contiguous run of a stream: broadcast multiply-adds over contiguous memory, which the compiler
// vectorises across outputs without reassociating the sum (each output adds its taps in row order).
template <typename T>
void resample_kernel(const T* signal, int64_t n_signals, int64_t length, const T* kernel, int64_t orig,
                     int64_t new_, int64_t width, int64_t taps, int64_t target, T* out) {
  const std::vector<Span> spans = row_spans(kernel, new_, taps);
  const int64_t n_blocks = (target + new_ - 1) / new_;
  auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  int64_t q_min = std::numeric_limits<int64_t>::max(), q_max = std::numeric_limits<int64_t>::min();
  for (const Span& span : spans) {
    if (span.end <= span.begin) continue;
    q_min = std::min(q_min, floor_div(span.begin - width, orig));
    q_max = std::max(q_max, floor_div(span.end - 1 - width, orig));
  }
  if (q_min > q_max) q_min = q_max = 0;  // an all-zero kernel: every output is 0
  // Outputs per phase per task: the task's deinterleaved input (orig streams of B + q_max - q_min
  // samples) stays within about 128 KiB, in L2 while every phase reads it.
  const int64_t block = std::clamp<int64_t>(32768 / orig, 64, 2048);
  const int64_t stream = block + q_max - q_min;
  std::vector<std::vector<Tap<T>>> phase_taps(new_);
  for (int64_t j = 0; j < new_; ++j) {
    for (int64_t k = spans[j].begin; k < spans[j].end; ++k) {
      const int64_t q = floor_div(k - width, orig), r = k - width - q * orig;
      phase_taps[j].push_back({kernel[j * taps + k], r * stream + (q - q_min)});
    }
  }
  const int64_t tasks_per_signal = (n_blocks + block - 1) / block;
  at::parallel_for(0, n_signals * tasks_per_signal, 1, [&](int64_t task_begin, int64_t task_end) {
    std::vector<T> streams(orig * stream), acc(block);
    for (int64_t task = task_begin; task < task_end; ++task) {
      const int64_t s = task / tasks_per_signal;
      const T* x = signal + s * length;
      T* y = out + s * target;
      const int64_t m_begin = (task % tasks_per_signal) * block;
      const int64_t t0 = m_begin + q_min;
      for (int64_t t = 0; t < stream; ++t) {
        const int64_t first = (t0 + t) * orig;
        for (int64_t r = 0; r < orig; ++r) {
          const int64_t i = first + r;
          streams[r * stream + t] = (i >= 0 && i < length) ? x[i] : T(0);
        }
      }
      for (int64_t j = 0; j < new_; ++j) {
        // outputs m * new + j < target for m in [m_begin, m_begin + count)
        const int64_t count = std::min(block, (target - j + new_ - 1) / new_ - m_begin);
        if (count <= 0) continue;
        T* a = acc.data();
        std::fill(a, a + count, T(0));
        // Eight, then four taps per pass over the run: the partial sums stay in registers for several
        // multiply-adds instead of one (same order of additions as one tap at a time).
        const std::vector<Tap<T>>& row = phase_taps[j];
        const T* base = streams.data();
        size_t t = 0;
        for (; t + 8 <= row.size(); t += 8) {
          T h[8];
          const T* src[8];
          for (int l = 0; l < 8; ++l) h[l] = row[t + l].value, src[l] = base + row[t + l].offset;
          for (int64_t i = 0; i < count; ++i) {
            T v = a[i];
            v += h[0] * src[0][i];
            v += h[1] * src[1][i];
            v += h[2] * src[2][i];
            v += h[3] * src[3][i];
            v += h[4] * src[4][i];
            v += h[5] * src[5][i];
            v += h[6] * src[6][i];
            v += h[7] * src[7][i];
            a[i] = v;
          }
        }
        for (; t + 4 <= row.size(); t += 4) {
          const T h0 = row[t].value, h1 = row[t + 1].value, h2 = row[t + 2].value, h3 = row[t + 3].value;
          const T *s0 = base + row[t].offset, *s1 = base + row[t + 1].offset, *s2 = base + row[t + 2].offset,
                  *s3 = base + row[t + 3].offset;
          for (int64_t i = 0; i < count; ++i) {
            T v = a[i];
            v += h0 * s0[i];
            v += h1 * s1[i];
            v += h2 * s2[i];
            v += h3 * s3[i];
            a[i] = v;
          }
        }
        for (; t < row.size(); ++t) {
          const T h = row[t].value;
          const T* src = base + row[t].offset;
          for (int64_t i = 0; i < count; ++i) a[i] += h * src[i];
        }
        T* dst = y + m_begin * new_ + j;
        for (int64_t i = 0; i < count; ++i) dst[i * new_] = a[i];
      }
    }
  });
}

}  // namespace

at::Tensor resample_poly_cpu(const at::Tensor& signal, const at::Tensor& kernel, int64_t orig_freq,
                             int64_t new_freq, int64_t width) {
  TORCH_CHECK_VALUE(signal.dim() >= 1, "resample: waveform must have shape (..., time), got a 0-d tensor");
  TORCH_CHECK_TYPE(signal.scalar_type() == at::kFloat || signal.scalar_type() == at::kDouble,
                   "resample: waveform must be float32 or float64, got ", signal.scalar_type());
  TORCH_CHECK_TYPE(kernel.scalar_type() == signal.scalar_type(), "resample: kernel dtype ", kernel.scalar_type(),
                   " must match the waveform's ", signal.scalar_type());
  TORCH_CHECK_VALUE(orig_freq > 0 && new_freq > 0, "resample: orig_freq and new_freq must be positive, got ",
                    orig_freq, " and ", new_freq);
  TORCH_CHECK_VALUE(width >= 0, "resample: width must be non-negative, got ", width);
  const int64_t taps = 2 * width + orig_freq;
  TORCH_CHECK_VALUE(kernel.dim() >= 1 && kernel.numel() == new_freq * taps && kernel.size(0) == new_freq,
                    "resample: kernel must have shape (new_freq=", new_freq, ", [1,] 2 * width + orig_freq=", taps,
                    "), got ", kernel.sizes());
  const int64_t length = signal.size(-1);
  // ceil(new * length / orig) in integers, as the torch path computes it.
  TORCH_CHECK_VALUE(length <= std::numeric_limits<int64_t>::max() / new_freq,
                    "resample: waveform of ", length, " samples is too long for new_freq=", new_freq);
  const int64_t target = (new_freq * length + orig_freq - 1) / orig_freq;
  std::vector<int64_t> shape(signal.sizes().begin(), signal.sizes().end());
  shape.back() = target;
  at::Tensor out = at::empty(shape, signal.options());
  if (out.numel() == 0) return out;
  const at::Tensor x = signal.contiguous();
  const at::Tensor k = kernel.contiguous();
  const int64_t n_signals = length > 0 ? x.numel() / length : 0;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "resample_poly", [&] {
    resample_kernel<scalar_t>(x.data_ptr<scalar_t>(), n_signals, length, k.data_ptr<scalar_t>(), orig_freq,
                              new_freq, width, taps, target, out.data_ptr<scalar_t>());
  });
  return out;
}

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("resample_poly(Tensor waveform, Tensor kernel, int orig_freq, int new_freq, int width) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) { m.impl("resample_poly", &resample_poly_cpu); }

}  // namespace spectrograms
