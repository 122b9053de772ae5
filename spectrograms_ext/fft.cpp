// The FFT family with NumPy's semantics: 1-D real transforms along the last dim (rfft, its full
// complex spectrum, irfft) and 2-D real transforms of the last two dims (rfft2, irfft2). Sizes follow
// the data, so plans come from the cache with FFTW_ESTIMATE (planned at once, reused when seen again).
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/complex.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <vector>

#include "fftw_plans.h"
#include "math.h"

namespace spectrograms {
namespace {

constexpr const char* kNonFinite =
    "the input contains NaN or Inf values (or values so large that the transform overflows); clean it, "
    "e.g. with torch.nan_to_num, first";

void check_real(const at::Tensor& x, const char* name, int64_t min_dims) {
  TORCH_CHECK_VALUE(x.dim() >= min_dims, name, " must have at least ", min_dims, " dimension(s), got shape ",
                    x.sizes());
  TORCH_CHECK_VALUE(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, name,
                    " must be float32 or float64, got ", x.scalar_type());
}

void check_complex(const at::Tensor& x, const char* name, int64_t min_dims) {
  TORCH_CHECK_VALUE(x.dim() >= min_dims, name, " must have at least ", min_dims, " dimension(s), got shape ",
                    x.sizes());
  TORCH_CHECK_VALUE(x.scalar_type() == at::kComplexFloat || x.scalar_type() == at::kComplexDouble, name,
                    " must be complex64 or complex128, got ", x.scalar_type());
}

std::vector<int64_t> shape_with_last(const at::Tensor& x, int64_t n_trailing, std::initializer_list<int64_t> tail) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end() - n_trailing);
  shape.insert(shape.end(), tail);
  return shape;
}

// ---- 1-D ---------------------------------------------------------------------------------------

// Each row: its first min(N, n) samples, zero-padded to n, transformed; with `full`, the upper half
// of the spectrum is filled by Hermitian symmetry, as numpy.fft.fft gives it for real input.
template <typename T>
void rfft_kernel(const at::Tensor& x, int64_t n, bool full, at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t n_in = x.size(-1), n_bins = n / 2 + 1, n_out = full ? n : n_bins;
  const int64_t rows = x.numel() / n_in, copied = std::min(n_in, n);
  const auto plan = cached_plan<T>(Transform::r2c, n, Rigor::estimate);
  const T* in_base = x.data_ptr<T>();
  auto* out_base = out.data_ptr<c10::complex<T>>();
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    AlignedBuffer<T> frame(n + 2);
    AlignedBuffer<Complex> spectrum(n_bins);
    for (int64_t r = begin; r < end; ++r) {
      std::copy(in_base + r * n_in, in_base + r * n_in + copied, frame.get());
      std::fill(frame.get() + copied, frame.get() + n, T(0));
      Fftw<T>::r2c(plan, frame.get(), spectrum.get());
      // Every bin, not only DC: finite samples can still overflow the transform in any bin.
      if (!all_finite(reinterpret_cast<const T*>(spectrum.get()), 2 * n_bins)) non_finite = true;
      c10::complex<T>* y = out_base + r * n_out;
      for (int64_t k = 0; k < n_bins; ++k) y[k] = c10::complex<T>(spectrum.get()[k][0], spectrum.get()[k][1]);
      if (full)
        for (int64_t k = n_bins; k < n; ++k) y[k] = std::conj(y[n - k]);
    }
  });
  TORCH_CHECK_VALUE(!non_finite, kNonFinite);
}

at::Tensor rfft_cpu(const at::Tensor& signal, std::optional<int64_t> n, bool onesided) {
  check_real(signal, "the signal", 1);
  const int64_t size = n.value_or(signal.size(-1));
  TORCH_CHECK_VALUE(size > 0, "n must be positive, got ", size);
  const auto complex_type = signal.scalar_type() == at::kFloat ? at::kComplexFloat : at::kComplexDouble;
  auto out = at::empty(shape_with_last(signal, 1, {onesided ? size / 2 + 1 : size}),
                       signal.options().dtype(complex_type));
  if (out.numel() == 0 || signal.numel() == 0) return out.zero_();
  const auto x = signal.contiguous();
  if (x.scalar_type() == at::kFloat)
    rfft_kernel<float>(x, size, !onesided, out);
  else
    rfft_kernel<double>(x, size, !onesided, out);
  return out;
}

// Copies m bins into a Hermitian half-spectrum of n_bins for a length-n inverse: truncates or
// zero-pads like NumPy, and keeps only the real parts of DC and (n even) Nyquist, which a real
// signal's spectrum cannot give an imaginary part (NumPy drops them too).
template <typename T>
void load_half_spectrum(const c10::complex<T>* src, int64_t m, int64_t n, typename Fftw<T>::Complex* dst) {
  const int64_t n_bins = n / 2 + 1, copied = std::min(m, n_bins);
  for (int64_t k = 0; k < copied; ++k) {
    dst[k][0] = src[k].real();
    dst[k][1] = src[k].imag();
  }
  for (int64_t k = copied; k < n_bins; ++k) dst[k][0] = dst[k][1] = T(0);
  dst[0][1] = T(0);
  if (n % 2 == 0) dst[n_bins - 1][1] = T(0);
}

template <typename T>
void irfft_kernel(const at::Tensor& spec, int64_t n, at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t m = spec.size(-1), n_bins = n / 2 + 1, rows = out.numel() / n;
  const auto plan = cached_plan<T>(Transform::c2r, n, Rigor::estimate);
  const auto* in_base = spec.data_ptr<c10::complex<T>>();
  T* out_base = out.data_ptr<T>();
  const T scale = T(1) / T(n);
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    AlignedBuffer<Complex> spectrum(n_bins);
    AlignedBuffer<T> frame(n + 2);
    for (int64_t r = begin; r < end; ++r) {
      load_half_spectrum(in_base + r * m, m, n, spectrum.get());
      Fftw<T>::c2r(plan, spectrum.get(), frame.get());
      T* y = out_base + r * n;
      for (int64_t i = 0; i < n; ++i) y[i] = frame.get()[i] * scale;
      // Every value (a sum of finite values could overflow where none of them does).
      if (!all_finite(y, n)) non_finite = true;
    }
  });
  TORCH_CHECK_VALUE(!non_finite, kNonFinite);
}

at::Tensor irfft_cpu(const at::Tensor& spectrum, std::optional<int64_t> n) {
  check_complex(spectrum, "the spectrum", 1);
  const int64_t size = n.value_or(2 * (spectrum.size(-1) - 1));
  TORCH_CHECK_VALUE(size > 0, "n must be positive, got ", size,
                    (n ? "" : " (the default 2 * (m - 1) for a spectrum of m bins; pass n)"));
  const auto real_type = spectrum.scalar_type() == at::kComplexFloat ? at::kFloat : at::kDouble;
  auto out = at::empty(shape_with_last(spectrum, 1, {size}), spectrum.options().dtype(real_type));
  TORCH_CHECK_VALUE(out.numel() == 0 || spectrum.size(-1) > 0, "the spectrum has no bins (last dim of length 0)");
  if (out.numel() == 0) return out;
  const auto x = spectrum.contiguous();
  if (real_type == at::kFloat)
    irfft_kernel<float>(x, size, out);
  else
    irfft_kernel<double>(x, size, out);
  return out;
}

// ---- 2-D ---------------------------------------------------------------------------------------

template <typename T>
void rfft2_kernel(const at::Tensor& x, at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t rows = x.size(-2), cols = x.size(-1), half = cols / 2 + 1;
  const int64_t items = x.numel() / (rows * cols);
  const auto plan = cached_plan_2d<T>(Transform::r2c, rows, cols);
  const T* in_base = x.data_ptr<T>();
  auto* out_base = out.data_ptr<c10::complex<T>>();
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, items, 1, [&](int64_t begin, int64_t end) {
    // Scratch from fftw_malloc: a batch item inside a tensor need not have the plan's alignment.
    AlignedBuffer<T> image(rows * cols);
    AlignedBuffer<Complex> spectrum(rows * half);
    for (int64_t item = begin; item < end; ++item) {
      std::copy(in_base + item * rows * cols, in_base + (item + 1) * rows * cols, image.get());
      Fftw<T>::r2c(plan, image.get(), spectrum.get());
      if (!all_finite(reinterpret_cast<const T*>(spectrum.get()), 2 * rows * half)) non_finite = true;
      c10::complex<T>* y = out_base + item * rows * half;
      for (int64_t i = 0; i < rows * half; ++i) y[i] = c10::complex<T>(spectrum.get()[i][0], spectrum.get()[i][1]);
    }
  });
  TORCH_CHECK_VALUE(!non_finite, kNonFinite);
}

at::Tensor rfft2_cpu(const at::Tensor& data) {
  check_real(data, "data", 2);
  const int64_t rows = data.size(-2), cols = data.size(-1);
  TORCH_CHECK_VALUE(rows > 0 && cols > 0, "data must have at least one row and one column, got shape ",
                    data.sizes());
  const auto complex_type = data.scalar_type() == at::kFloat ? at::kComplexFloat : at::kComplexDouble;
  auto out = at::empty(shape_with_last(data, 2, {rows, cols / 2 + 1}), data.options().dtype(complex_type));
  if (out.numel() == 0) return out;
  const auto x = data.contiguous();
  if (x.scalar_type() == at::kFloat)
    rfft2_kernel<float>(x, out);
  else
    rfft2_kernel<double>(x, out);
  return out;
}

template <typename T>
void irfft2_kernel(const at::Tensor& spec, int64_t ncols, at::Tensor& out) {
  using Complex = typename Fftw<T>::Complex;
  const int64_t rows = spec.size(-2), m = spec.size(-1), half = ncols / 2 + 1;
  const int64_t items = out.numel() / (rows * ncols);
  const auto plan = cached_plan_2d<T>(Transform::c2r, rows, ncols);
  const auto* in_base = spec.data_ptr<c10::complex<T>>();
  T* out_base = out.data_ptr<T>();
  const T scale = T(1) / (T(rows) * T(ncols));
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, items, 1, [&](int64_t begin, int64_t end) {
    AlignedBuffer<Complex> spectrum(rows * half);
    AlignedBuffer<T> image(rows * ncols);
    for (int64_t item = begin; item < end; ++item) {
      const c10::complex<T>* src = in_base + item * rows * m;
      Complex* dst = spectrum.get();
      for (int64_t r = 0; r < rows; ++r) load_half_spectrum(src + r * m, m, ncols, dst + r * half);
      // Columns 0 and (ncols even) ncols / 2 must be Hermitian along the rows for a real result.
      // NumPy's irfft2 (an inverse along the rows, then a real inverse that drops the imaginary part)
      // amounts to keeping their Hermitian part, so that is what the c2r transform is given.
      for (int64_t c : {int64_t(0), ncols % 2 == 0 ? half - 1 : int64_t(-1)}) {
        if (c < 0 || c >= std::min(m, half)) continue;
        for (int64_t r = 0; r < rows; ++r) {
          const c10::complex<T> u = src[r * m + c], v = std::conj(src[((rows - r) % rows) * m + c]);
          dst[r * half + c][0] = (u.real() + v.real()) / T(2);
          dst[r * half + c][1] = (u.imag() + v.imag()) / T(2);
        }
      }
      Fftw<T>::c2r(plan, spectrum.get(), image.get());
      T* y = out_base + item * rows * ncols;
      for (int64_t i = 0; i < rows * ncols; ++i) y[i] = image.get()[i] * scale;
      if (!all_finite(y, rows * ncols)) non_finite = true;
    }
  });
  TORCH_CHECK_VALUE(!non_finite, kNonFinite);
}

at::Tensor irfft2_cpu(const at::Tensor& spectrum, int64_t ncols) {
  check_complex(spectrum, "the spectrum", 2);
  TORCH_CHECK_VALUE(ncols > 0, "output_ncols must be positive, got ", ncols);
  const int64_t rows = spectrum.size(-2);
  TORCH_CHECK_VALUE(rows > 0 && spectrum.size(-1) > 0,
                    "the spectrum must have at least one row and one column, got shape ", spectrum.sizes());
  const auto real_type = spectrum.scalar_type() == at::kComplexFloat ? at::kFloat : at::kDouble;
  auto out = at::empty(shape_with_last(spectrum, 2, {rows, ncols}), spectrum.options().dtype(real_type));
  if (out.numel() == 0) return out;
  const auto x = spectrum.contiguous();
  if (real_type == at::kFloat)
    irfft2_kernel<float>(x, ncols, out);
  else
    irfft2_kernel<double>(x, ncols, out);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("rfft(Tensor signal, int? n, bool onesided) -> Tensor");
  m.def("irfft(Tensor spectrum, int? n) -> Tensor");
  m.def("rfft2(Tensor data) -> Tensor");
  m.def("irfft2(Tensor spectrum, int ncols) -> Tensor");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) {
  m.impl("rfft", &rfft_cpu);
  m.impl("irfft", &irfft_cpu);
  m.impl("rfft2", &rfft2_cpu);
  m.impl("irfft2", &irfft2_cpu);
}

}  // namespace spectrograms
