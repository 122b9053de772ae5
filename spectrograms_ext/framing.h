// Frame geometry and windowed frame loading shared by the spectrogram, STFT and ISTFT kernels.
#pragma once

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace spectrograms {

enum class PadMode { constant, reflect };

inline PadMode parse_pad_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::constant;
  if (mode == "reflect") return PadMode::reflect;
  TORCH_CHECK_VALUE(false, "pad_mode must be 'constant' or 'reflect', got '", mode, "'");
}

// Frames of n_fft samples every hop samples. With center, frame f is centred on sample f * hop: the
// signal is virtually padded by n_fft / 2 on both sides (zeros or a reflection), by index arithmetic
// rather than a padded copy.
struct FrameGeometry {
  int64_t n_samples;
  int64_t n_fft;
  int64_t hop;
  int64_t pad;  // virtual padding before sample 0
  int64_t n_frames;
  PadMode pad_mode;

  FrameGeometry(int64_t n_samples_, int64_t n_fft_, int64_t hop_, bool center, PadMode mode)
      : n_samples(n_samples_), n_fft(n_fft_), hop(hop_), pad(center ? n_fft_ / 2 : 0), pad_mode(mode) {
    TORCH_CHECK_VALUE(n_fft > 0, "n_fft must be positive, got ", n_fft);
    TORCH_CHECK_VALUE(hop > 0, "hop_length must be positive, got ", hop);
    TORCH_CHECK_VALUE(n_samples > 0, "the signal is empty (time axis of length 0)");
    const int64_t padded = n_samples + 2 * pad;
    TORCH_CHECK_VALUE(padded >= n_fft, "the signal has ", n_samples, " samples, fewer than n_fft=", n_fft,
                      (center ? "" : " (with center=False a signal needs at least n_fft samples)"));
    TORCH_CHECK_VALUE(!center || mode != PadMode::reflect || pad < n_samples,
                      "pad_mode='reflect' needs more than n_fft // 2 = ", pad, " samples, got ", n_samples);
    n_frames = 1 + (padded - n_fft) / hop;
  }
};

// Tasks worth handing to a thread at once, for tasks of `frames_per_task` frames: a thread is worth
// waking only for about 256 frames (~100 us at n_fft 512), so per-clip calls stay on the calling
// thread instead of paying for a parallel region, which costs a scheduler time slice when the other
// cores are busy.
inline int64_t parallel_grain(int64_t frames_per_task) {
  return std::max<int64_t>(1, 256 / frames_per_task);
}

// One thread's view of tasks shared out by parallel_tasks: next() gives its next task, taking a new
// chunk of `chunk` tasks from the shared counter when its own chunk is done.
class TaskCursor {
 public:
  TaskCursor(std::atomic<int64_t>& counter, int64_t n_tasks, int64_t chunk)
      : counter_(counter), n_tasks_(n_tasks), chunk_(chunk) {}

  bool next(int64_t& task) {
    if (pos_ == end_) {
      const int64_t begin = counter_.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= n_tasks_) return false;
      pos_ = begin;
      end_ = std::min(begin + chunk_, n_tasks_);
    }
    task = pos_++;
    return true;
  }

 private:
  std::atomic<int64_t>& counter_;
  const int64_t n_tasks_, chunk_;
  int64_t pos_ = 0, end_ = 0;
};

// Runs worker(cursor) once on each thread that takes part (set-up of its scratch buffers, then a loop
// over cursor.next()) for tasks [0, n_tasks): at most one per chunk of torch's intra-op threads, or
// just the calling thread inside a parallel region or with one thread. Tasks are claimed a chunk at a time rather than
// split into one fixed slice per thread: a thread that starts late or loses its core for a while, as
// on a busy or virtual machine, then does less work instead of holding up the whole call.
template <typename Worker>
inline void parallel_tasks(int64_t n_tasks, int64_t chunk, const Worker& worker) {
  std::atomic<int64_t> counter{0};
  at::parallel_for(0, (n_tasks + chunk - 1) / chunk, 1, [&](int64_t, int64_t) {
    TaskCursor cursor(counter, n_tasks, chunk);
    worker(cursor);
  });
}

inline int64_t reflect_index(int64_t j, int64_t n) { return j < 0 ? -j : 2 * (n - 1) - j; }

// out[i] = window[i] * x[f * hop - pad + i], reading outside [0, n_samples) as zero or a reflection.
template <typename T>
__attribute__((always_inline)) inline void load_windowed_frame(const T* x, const FrameGeometry& g, int64_t frame, const T* window,
                                T* out) {
  const int64_t start = frame * g.hop - g.pad;
  const int64_t n = g.n_fft;
  if (start >= 0 && start + n <= g.n_samples) {
    const T* src = x + start;
    for (int64_t i = 0; i < n; ++i) out[i] = src[i] * window[i];
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t j = start + i;
    if (j < 0 || j >= g.n_samples) {
      if (g.pad_mode == PadMode::constant) {
        out[i] = T(0);
        continue;
      }
      j = reflect_index(j, g.n_samples);
    }
    out[i] = x[j] * window[i];
  }
}

// Number of elements to keep between rows of a scratch block so every row keeps 64-byte alignment.
template <typename T>
inline int64_t aligned_stride(int64_t n) {
  const int64_t per_line = 64 / int64_t(sizeof(T));
  return (n + per_line - 1) / per_line * per_line;
}

inline void check_window(const at::Tensor& window, const at::Tensor& x, int64_t n_fft) {
  TORCH_CHECK_VALUE(window.dim() == 1 && window.size(0) == n_fft, "window must have shape (n_fft,) = (",
                    n_fft, ",), got ", window.sizes());
  TORCH_CHECK_VALUE(window.scalar_type() == x.scalar_type(), "window dtype ", window.scalar_type(),
                    " differs from the signal dtype ", x.scalar_type());
  TORCH_CHECK_VALUE(window.device() == x.device(), "window is on ", window.device(), ", the signal on ",
                    x.device());
}

inline void check_signal(const at::Tensor& x) {
  TORCH_CHECK_VALUE(x.dim() >= 1, "the signal must have shape (..., time), got a 0-d tensor");
  TORCH_CHECK_VALUE(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble,
                    "the signal must be float32 or float64, got ", x.scalar_type());
}

// Output shape: the signal's leading dims, then the trailing dims given.
inline std::vector<int64_t> batch_shape_with(const at::Tensor& x, std::initializer_list<int64_t> tail) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end() - 1);
  shape.insert(shape.end(), tail);
  return shape;
}

}  // namespace spectrograms
