// The stream of the fused spectrogram (spectrograms/stream.py): the carried samples, the counters and
// the per-dtype set-up (window, filterbank bands, FFTW plan) live in one C++ object, so that a warm
// push of a few milliseconds is one call that appends the samples and computes only the frames that
// became complete. Python's per-push cost is then one method call; the offline kernel, called per
// push, rebuilt its bands from the CSR and worked on a whole block of 64 frames for one new frame.
//
// Frames are computed as spectrogram.cpp computes them (the same window multiply, cached FFTW plan,
// power or magnitude, transposed blocks, weighted_row_sum and to_db of math.h, each output value the
// same sequence of operations), so a streamed frame is bitwise the offline one. Blocks are filled
// across the signals of a batch (a push of 10 ms to 64 streams is one block of 64 frames, not 64
// blocks of one). A block with a value outside the dtype's range, or NaN/Inf samples, is handed to
// the offline kernel itself, which redoes it in a wider type or raises its error.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <torch/custom_class.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "fftw_plans.h"
#include "framing.h"
#include "math.h"
#include "spectrogram.h"
#include "stream_kernel.h"

// The operator library the class is registered in (another name only for development builds that
// load beside the installed extension).
#ifndef SPECTROGRAMS_STREAM_LIBRARY
#define SPECTROGRAMS_STREAM_LIBRARY spectrograms
#endif

namespace spectrograms {
namespace {

// One contiguous run of weights per band, as the offline kernel lays out a CSR filterbank (a band
// with gaps gets explicit zeros inside its run).
template <typename T>
struct BandRuns {
  std::vector<int64_t> start, length, offset;
  std::vector<T> weights;

  BandRuns(const at::Tensor& crow_t, const at::Tensor& col_t, const at::Tensor& val_t, int64_t n_bins) {
    TORCH_CHECK_VALUE(crow_t.dim() == 1 && crow_t.size(0) >= 2 && crow_t.scalar_type() == at::kLong,
                      "filterbank crow_indices must be a 1-D int64 tensor of length n_bands + 1");
    TORCH_CHECK_VALUE(col_t.dim() == 1 && col_t.scalar_type() == at::kLong && val_t.dim() == 1 &&
                          val_t.size(0) == col_t.size(0),
                      "filterbank col_indices and values must be 1-D, one value per column index");
    const auto crow_c = crow_t.contiguous(), col_c = col_t.contiguous();
    const at::Tensor val_c = val_t.to(c10::CppTypeToScalarType<T>::value).contiguous();
    const int64_t* crow = crow_c.data_ptr<int64_t>();
    const int64_t* col = col_c.data_ptr<int64_t>();
    const T* val = val_c.data_ptr<T>();
    const int64_t n_bands = crow_t.size(0) - 1;
    TORCH_CHECK_VALUE(crow[0] == 0 && crow[n_bands] == col_t.size(0), "filterbank crow_indices must run from 0 to nnz");
    for (int64_t m = 0; m < n_bands; ++m) {
      TORCH_CHECK_VALUE(crow[m] <= crow[m + 1], "filterbank crow_indices must be non-decreasing");
      int64_t lo = n_bins, hi = -1;
      for (int64_t j = crow[m]; j < crow[m + 1]; ++j) {
        TORCH_CHECK_VALUE(col[j] >= 0 && col[j] < n_bins, "filterbank column ", col[j],
                          " is outside [0, n_fft // 2 + 1 = ", n_bins, ")");
        lo = std::min(lo, col[j]);
        hi = std::max(hi, col[j]);
      }
      const int64_t run = hi >= lo ? hi - lo + 1 : 0;
      start.push_back(run ? lo : 0);
      length.push_back(run);
      offset.push_back(int64_t(weights.size()));
      weights.resize(weights.size() + run, T(0));
      for (int64_t j = crow[m]; j < crow[m + 1]; ++j) weights[offset[m] + col[j] - lo] += val[j];
    }
  }
  int64_t count() const { return int64_t(start.size()); }
};

// What a stream computes per frame, fixed when it is made.
struct FrameSpec {
  int64_t n_fft, hop, left_pad;
  bool reflect, magnitude;
  std::optional<double> floor_db;
  at::Tensor window;  // (n_fft,), the stream's dtype
  std::optional<at::Tensor> crow, col, val;
};

// The state of a stream in one dtype (StreamCore, stream_kernel.h); see the Python FeatureStream for the
// arithmetic of positions: frame i reads the padded samples [i * hop - left_pad, i * hop - left_pad + n_fft).
template <typename T>
class TypedStream final : public StreamCore {
 public:
  explicit TypedStream(FrameSpec spec) : spec_(std::move(spec)), n_bins_(spec_.n_fft / 2 + 1) {
    const auto& s = spec_;
    TORCH_CHECK_VALUE(s.n_fft > 0 && s.hop > 0 && s.left_pad >= 0, "n_fft and hop must be positive, left_pad >= 0");
    TORCH_CHECK_VALUE(s.window.dim() == 1 && s.window.size(0) == s.n_fft, "window must have shape (n_fft,)");
    TORCH_CHECK_VALUE(bool(s.crow) == bool(s.col) && bool(s.col) == bool(s.val),
                      "the filterbank needs all of crow_indices, col_indices and values, or none");
    window_ = s.window.contiguous();
    if (s.crow) bands_.emplace(*s.crow, *s.col, *s.val, n_bins_);
    n_out_ = bands_ ? bands_->count() : n_bins_;
    if (bands_) group_bands();
    db_scale_ = s.magnitude ? T(20) : T(10);
    amin_ = s.floor_db ? std::max<T>(T(std::pow(10.0, *s.floor_db / double(db_scale_))), std::numeric_limits<T>::min())
                       : T(0);
    // samples a reflection needs before frame 0 can be made: x[left] (reflect) or x[left - 1] (zeros)
    first_needs_ = std::max(s.n_fft - s.left_pad, s.reflect && s.left_pad ? s.left_pad + 1 : s.left_pad);
    plan_.emplace(cached_plan<T>(Transform::r2c, s.n_fft));
    reset();
  }

  void reset() override {
    buffer_ = at::Tensor();
    batch_.clear();
    rows_ = 0;
    start_ = fill_ = received_ = next_ = 0;
  }

  std::vector<int64_t> counters() const override {
    return {received_, next_, fill_, buffer_.defined() ? buffer_.size(1) : 0};
  }
  int64_t frames_emitted() const override { return next_; }

  at::Tensor push(const at::Tensor& chunk) override {
    TORCH_CHECK_TYPE(chunk.scalar_type() == window_.scalar_type(), "samples has dtype ", chunk.scalar_type(),
                     " but this stream computes in ", window_.scalar_type());
    TORCH_CHECK_VALUE(chunk.device().is_cpu(), "samples must be on the CPU, got ", chunk.device());
    TORCH_CHECK_VALUE(chunk.dim() == 1 || chunk.dim() == 2, "samples must have shape (time,) or (batch, time), got ",
                      chunk.sizes());
    const std::vector<int64_t> batch(chunk.sizes().begin(), chunk.sizes().end() - 1);
    const int64_t n = chunk.size(-1);
    if (!buffer_.defined()) {
      TORCH_CHECK_VALUE(batch.empty() || batch[0] > 0, "samples has an empty batch (shape ", chunk.sizes(), ")");
      batch_ = batch;
      rows_ = batch.empty() ? 1 : batch[0];
      buffer_ = at::empty({rows_, 4 * spec_.n_fft + 2 * n}, window_.options());
    } else {
      TORCH_CHECK_VALUE(batch == batch_, "samples has batch shape ", c10::IntArrayRef(batch),
                        " but this stream started with ", c10::IntArrayRef(batch_));
    }
    if (n) append(chunk.contiguous(), n);
    return emit(ready());
  }

  at::Tensor emit(int64_t stop) override {
    const int64_t first = next_;
    const int64_t nf = std::max<int64_t>(stop - first, 0);
    at::Tensor out = at::empty(out_shape(nf), window_.options());
    if (nf == 0) return out;
    const auto& s = spec_;
    const int64_t low = first * s.hop - s.left_pad, span = (nf - 1) * s.hop + s.n_fft;
    const bool inside = low >= start_ && low + span <= received_;
    at::Tensor segment = inside ? buffer_ : padded(low, span);  // the frames' padded samples, by row
    const T* base = segment.data_ptr<T>() + (inside ? low - start_ : 0);
    const bool fits = rows_ * nf < kDirectFrames ? frames_direct(base, segment.stride(0), nf, out.data_ptr<T>())
                                                 : frames(base, segment.stride(0), nf, out.data_ptr<T>());
    if (!fits) {
      if (inside) segment = buffer_.narrow(1, low - start_, span);
      // Out of range or NaN/Inf: the offline kernel on the same samples redoes it exactly, or raises.
      out = spectrogram_cpu(segment, window_, s.n_fft, s.hop, false, "constant", s.magnitude ? 1.0 : 2.0, s.crow, s.col,
                            s.val, s.floor_db)
                .reshape(out_shape(nf));
    }
    next_ = stop;
    return out;
  }

 private:
  std::vector<int64_t> out_shape(int64_t frames) const {
    std::vector<int64_t> shape(batch_);
    shape.push_back(n_out_);
    shape.push_back(frames);
    return shape;
  }

  int64_t ready() const {
    if (received_ < first_needs_) return 0;
    return std::max<int64_t>(0, (received_ + spec_.left_pad - spec_.n_fft) / spec_.hop + 1);
  }

  void append(const at::Tensor& chunk, int64_t n) {
    if (fill_ + n > buffer_.size(1)) compact(n);
    const int64_t capacity = buffer_.size(1);
    T* dst = buffer_.data_ptr<T>() + fill_;
    const T* src = chunk.data_ptr<T>();
    for (int64_t r = 0; r < rows_; ++r) std::memcpy(dst + r * capacity, src + r * n, n * sizeof(T));
    fill_ += n;
    received_ += n;
  }

  // Drops the columns no frame needs any more (keeping the last n_fft samples, which a reflection at
  // the end may read) and makes room for `incoming` samples, in a larger buffer if need be.
  void compact(int64_t incoming) {
    const int64_t next_start = next_ * spec_.hop - spec_.left_pad;
    const int64_t keep_from = std::max({int64_t(0), start_, std::min(next_start, received_ - spec_.n_fft)});
    const int64_t drop = keep_from - start_, kept = fill_ - drop, needed = kept + incoming;
    const int64_t old_capacity = buffer_.size(1);
    at::Tensor target = buffer_;
    if (needed > old_capacity) target = at::empty({rows_, 2 * needed + 2 * spec_.n_fft}, window_.options());
    const int64_t capacity = target.size(1);
    const T* src = buffer_.data_ptr<T>();
    T* dst = target.data_ptr<T>();
    for (int64_t r = 0; r < rows_; ++r)
      std::memmove(dst + r * capacity, src + r * old_capacity + drop, kept * sizeof(T));
    buffer_ = target;
    start_ = keep_from;
    fill_ = kept;
  }

  // The samples [low, low + span) of every row with the padding rule outside [0, received): zeros, or
  // the reflection x[-p] / x[2n - 2 - p] (pad_mode="reflect").
  at::Tensor padded(int64_t low, int64_t span) const {
    at::Tensor segment = at::empty({rows_, span}, window_.options());
    const int64_t capacity = buffer_.size(1), n = received_;
    const T* src = buffer_.data_ptr<T>();
    T* dst = segment.data_ptr<T>();
    for (int64_t i = 0; i < span; ++i) {
      int64_t p = low + i;
      const bool outside = p < 0 || p >= n;
      if (outside && !spec_.reflect) {
        for (int64_t r = 0; r < rows_; ++r) dst[r * span + i] = T(0);
        continue;
      }
      if (outside) p = p < 0 ? -p : 2 * n - 2 - p;
      const int64_t column = std::clamp<int64_t>(p - start_, 0, fill_ - 1);
      for (int64_t r = 0; r < rows_; ++r) dst[r * span + i] = src[r * capacity + column];
    }
    return segment;
  }

  // The bands of one frame, L bands at a time in the lanes of a vector (frames_direct). One band's
  // sum is a chain of dependent multiply-adds; a frame of 80 bands summed band after band waited on
  // that chain (~0.5 us of a 10 ms push). Each lane still sums its own band from k = 0 up, in T, as
  // weighted_row_sum does in the blocked path, so the values are the same; the lanes of a shorter
  // band run on with weight 0 on a bin of its own, which adds an exact +0 to a sum of weights >= 0
  // times powers >= 0 (the bins are checked finite first).
  void group_bands() {
    constexpr int64_t L = 64 / sizeof(T);
    const int64_t n_groups = (n_out_ + L - 1) / L;
    group_offset_.assign(n_groups + 1, 0);
    for (int64_t g = 0; g < n_groups; ++g) {
      int64_t longest = 0;
      for (int64_t m = g * L; m < std::min(n_out_, (g + 1) * L); ++m) longest = std::max(longest, bands_->length[m]);
      group_offset_[g + 1] = group_offset_[g] + longest * L;
    }
    group_weights_.assign(group_offset_[n_groups], T(0));
    group_bins_.assign(group_offset_[n_groups], 0);
    for (int64_t g = 0; g < n_groups; ++g)
      for (int64_t j = 0; j < L && g * L + j < n_out_; ++j) {
        const int64_t m = g * L + j;
        for (int64_t k = 0; k < bands_->length[m]; ++k) {
          group_weights_[group_offset_[g] + k * L + j] = bands_->weights[bands_->offset[m] + k];
          group_bins_[group_offset_[g] + k * L + j] = int32_t(bands_->start[m] + k);
        }
      }
  }

  void band_sums_grouped(const T* bins, T* out) const {
    constexpr int64_t L = 64 / sizeof(T);
    const int64_t n_groups = int64_t(group_offset_.size()) - 1;
    for (int64_t g = 0; g < n_groups; ++g) {
      // The multiply-add is written as weighted_row_sum's (math.h), so that it is contracted alike.
      detail::Vec<T> acc = {};
      const T* w = group_weights_.data() + group_offset_[g];
      const int32_t* index = group_bins_.data() + group_offset_[g];
      const int64_t steps = (group_offset_[g + 1] - group_offset_[g]) / L;
      for (int64_t k = 0; k < steps; ++k) {
        alignas(64) T gathered[L];
        for (int64_t j = 0; j < L; ++j) gathered[j] = bins[index[k * L + j]];
        detail::Vec<T> x, weight;
        std::memcpy(&x, gathered, 64);
        std::memcpy(&weight, w + k * L, 64);
        acc += weight * x;
      }
      std::memcpy(out + g * L, &acc, 64);
    }
  }

  // Fewer frames than this are computed one at a time (frames_direct): the blocked path pads a block
  // to 16 frames, and for the one frame of a 10 ms push clearing, transposing and summing 15 frames of
  // zeros costs more than the frame itself.
  static constexpr int64_t kDirectFrames = 8;

  // frames() for a few frames, without blocks. Every output value is the same sequence of operations
  // as in the blocked path (a band sums w[k] * power[k] from k = 0 up, in T), so the values are equal.
  bool frames_direct(const T* base, int64_t row_stride, int64_t nf, T* out) const {
    using Complex = typename Fftw<T>::Complex;
    Scratch<T, 10> frame(aligned_stride<T>(spec_.n_fft));
    Scratch<Complex, 11> spectrum(n_bins_);
    // The power laid out as one column of a bin-major block (bin k at k * L), so that a band is summed
    // by the same weighted_row_sum as in a block; the other lanes are never read back.
    constexpr int64_t L = 64 / sizeof(T);
    Scratch<T, 16> sums(aligned_stride<T>(n_out_ + L));
    T* band_sums = sums.get();
    Scratch<T, 17> bin(aligned_stride<T>(n_bins_));
    const T* win = window_.data_ptr<T>();
    const auto plan = static_cast<typename Fftw<T>::Plan>(*plan_);
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t fi = 0; fi < nf; ++fi) {
        const T* src = base + r * row_stride + fi * spec_.hop;
        T* f = frame.get();
        for (int64_t i = 0; i < spec_.n_fft; ++i) f[i] = src[i] * win[i];
        Fftw<T>::r2c(plan, f, spectrum.get());
        const T* c = reinterpret_cast<const T*>(spectrum.get());
        T* b = bin.get();
        if (spec_.magnitude)
          magnitudes(c, b, n_bins_);
        else
          for (int64_t k = 0; k < n_bins_; ++k) b[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
        if (!all_finite(b, n_bins_)) return false;
        if (bands_) {
          band_sums_grouped(b, band_sums);
          if (!all_finite(band_sums, n_out_)) return false;
        }
        T* dst = out + r * n_out_ * nf + fi;
        for (int64_t m = 0; m < n_out_; ++m) {
          T v;
          if (bands_) {
            v = band_sums[m];
          } else {
            v = b[m];
          }
          if (spec_.floor_db) to_db(&v, &v, 1, amin_, db_scale_);
          dst[m * nf] = v;
        }
      }
    }
    return true;
  }

  // The nf frames of every row of `base` (rows `row_stride` apart, frames hop apart) into out
  // (rows, n_out, nf). Returns false if a value left T's range (nothing is then to be trusted).
  bool frames(const T* base, int64_t row_stride, int64_t nf, T* out) const {
    using Complex = typename Fftw<T>::Complex;
    constexpr int64_t L = 64 / sizeof(T);
    const int64_t total = rows_ * nf;
    // Blocks as the offline kernel makes them (at most 64 KiB of power), but no wider than the push
    // needs: a 10 ms push has one frame per stream.
    int64_t B = 64;
    while (B > 16 && B * n_bins_ * int64_t(sizeof(T)) > 64 * 1024) B /= 2;
    while (B > 16 && B / 2 >= total) B /= 2;
    const int64_t n_blocks = (total + B - 1) / B;
    const int64_t tile_stride = aligned_stride<T>(n_bins_);
    const T* win = window_.data_ptr<T>();
    const auto plan = static_cast<typename Fftw<T>::Plan>(*plan_);
    std::atomic<bool> fits_all{true};
    parallel_tasks(n_blocks, parallel_grain(B), [&](TaskCursor& tasks) {
      Scratch<T, 10> frame(aligned_stride<T>(spec_.n_fft));
      Scratch<Complex, 11> spectrum(n_bins_);
      Scratch<T, 12> tile(L * tile_stride);
      Scratch<T, 13> power(tile_stride * B);
      Scratch<T, 14> row(B);
      Scratch<int64_t, 15> dest(B);  // where frame j of the block goes in out, band 0
      for (int64_t task; tasks.next(task);) {
        const int64_t q0 = task * B, nb = std::min(B, total - q0);
        T* p = power.get();
        bool fits = true;
        for (int64_t j0 = 0; j0 < B; j0 += L) {
          for (int64_t j = j0; j < j0 + L; ++j) {
            T* tile_row = tile.get() + (j - j0) * tile_stride;
            if (j >= nb) {
              std::memset(tile_row, 0, tile_stride * sizeof(T));
              continue;
            }
            const int64_t q = q0 + j, r = q / nf, f_index = q % nf;
            dest.get()[j] = r * n_out_ * nf + f_index;
            const T* src = base + r * row_stride + f_index * spec_.hop;
            T* f = frame.get();
            for (int64_t i = 0; i < spec_.n_fft; ++i) f[i] = src[i] * win[i];
            Fftw<T>::r2c(plan, f, spectrum.get());
            const T* c = reinterpret_cast<const T*>(spectrum.get());
            if (spec_.magnitude)
              magnitudes(c, tile_row, n_bins_);
            else
              for (int64_t k = 0; k < n_bins_; ++k) tile_row[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
            fits = fits && all_finite(tile_row, n_bins_);
          }
          for (int64_t k0 = 0; k0 < n_bins_; k0 += L) transpose_tile(tile.get() + k0, tile_stride, p + k0 * B + j0, B);
        }
        if (!fits) {
          fits_all = false;
          continue;
        }
        for (int64_t m = 0; m < n_out_; ++m) {
          T* acc = row.get();
          if (bands_) {
            const T* w = bands_->weights.data() + bands_->offset[m];
            const T* band = p + bands_->start[m] * B;
            const int64_t len = bands_->length[m];
            switch (B / L) {
              case 1: weighted_row_sum<T, 1>(w, band, len, acc); break;
              case 2: weighted_row_sum<T, 2>(w, band, len, acc); break;
              case 4: weighted_row_sum<T, 4>(w, band, len, acc); break;
              default: weighted_row_sum<T, 8>(w, band, len, acc); break;
            }
            fits = fits && all_finite(acc, B);
          } else {
            acc = p + m * B;
          }
          if (spec_.floor_db) to_db(acc, row.get(), B, amin_, db_scale_), acc = row.get();
          const int64_t* d = dest.get();
          T* out_band = out + m * nf;
          for (int64_t j = 0; j < nb; ++j) out_band[d[j]] = acc[j];
        }
        if (!fits) fits_all = false;
      }
    });
    return fits_all;
  }

  FrameSpec spec_;
  int64_t n_bins_, n_out_ = 0, first_needs_ = 0;
  at::Tensor window_;
  std::optional<BandRuns<T>> bands_;
  std::vector<int64_t> group_offset_;  // band groups of frames_direct (group_bands)
  std::vector<T> group_weights_;
  std::vector<int32_t> group_bins_;
  std::optional<PlanRef<T>> plan_;
  T db_scale_ = 1, amin_ = 0;
  at::Tensor buffer_;  // (rows, capacity); column 0 is signal position start_
  std::vector<int64_t> batch_;
  int64_t rows_ = 0, start_ = 0, fill_ = 0, received_ = 0, next_ = 0;
};

}  // namespace

SpectrogramStream::SpectrogramStream(at::Tensor window, int64_t n_fft, int64_t hop, int64_t left_pad, bool reflect,
                                     bool magnitude, std::optional<double> floor_db, std::optional<at::Tensor> crow,
                                     std::optional<at::Tensor> col, std::optional<at::Tensor> val) {
  TORCH_CHECK_VALUE(window.scalar_type() == at::kFloat || window.scalar_type() == at::kDouble,
                    "the stream's window must be float32 or float64, got ", window.scalar_type());
  TORCH_CHECK_VALUE(!floor_db || std::isfinite(*floor_db), "floor_db must be finite");
  FrameSpec spec{n_fft, hop, left_pad, reflect, magnitude, floor_db, window, crow, col, val};
  if (window.scalar_type() == at::kFloat)
    core_ = std::make_unique<TypedStream<float>>(std::move(spec));
  else
    core_ = std::make_unique<TypedStream<double>>(std::move(spec));
}

// torch.classes.spectrograms.SpectrogramStream, for TorchScript and C++; Python's streams use the
// pybind11 binding of the same class (stream_python.cpp).
TORCH_LIBRARY_FRAGMENT(SPECTROGRAMS_STREAM_LIBRARY, m) {
  m.class_<SpectrogramStream>("SpectrogramStream")
      .def(torch::init<at::Tensor, int64_t, int64_t, int64_t, bool, bool, std::optional<double>,
                       std::optional<at::Tensor>, std::optional<at::Tensor>, std::optional<at::Tensor>>())
      .def("push", &SpectrogramStream::push)
      .def("emit", &SpectrogramStream::emit)
      .def("reset", &SpectrogramStream::reset)
      .def("counters", &SpectrogramStream::counters);
}

}  // namespace spectrograms
