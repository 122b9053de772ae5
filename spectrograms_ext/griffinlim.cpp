// The phase update of fast Griffin-Lim (torchaudio.functional.griffinlim, librosa.griffinlim) in one
// pass: next = magnitude * a / (|a| + eps) with a = rebuilt - alpha * previous.
//
// Written as torch ops this is five whole-array passes over a complex spectrogram (a complex
// multiply-subtract, the complex abs, an add, a complex division and a real-by-complex multiply, each
// allocating), which cost four times the STFT and inverse STFT of an iteration together. Here each
// bin is read once and written once.
//
// Numbers: |a| is sqrt(re^2 + im^2) taken in float64 for float32 spectra (the correctly rounded float32
// modulus, as glibc's hypotf gives it); float64 spectra use std::hypot only where the squares would
// overflow or underflow. The quotient is re / d and im / d, which is what NumPy's and torch's complex
// division by a real-valued divisor rounds to.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <c10/util/complex.h>
#include <torch/library.h>

#include <cmath>
#include <limits>

namespace spectrograms {
namespace {

inline float modulus(float re, float im) {
  const double r = re, i = im;
  return float(std::sqrt(r * r + i * i));
}

inline double modulus(double re, double im) {
  const double squares = re * re + im * im;
  // The squares leave float64's normal range only for |a| beyond ~1e154 or below ~1e-154.
  if (squares > std::numeric_limits<double>::min() && squares < std::numeric_limits<double>::max()) {
    return std::sqrt(squares);
  }
  return std::hypot(re, im);
}

template <typename real_t>
void update(const c10::complex<real_t>* rebuilt, const c10::complex<real_t>* previous, const real_t* magnitude,
            c10::complex<real_t>* out, int64_t begin, int64_t end, real_t alpha, real_t eps) {
  for (int64_t k = begin; k < end; ++k) {
    real_t re = rebuilt[k].real(), im = rebuilt[k].imag();
    if (previous != nullptr) {
      re -= alpha * previous[k].real();
      im -= alpha * previous[k].imag();
    }
    const real_t d = modulus(re, im) + eps;
    out[k] = c10::complex<real_t>(re / d * magnitude[k], im / d * magnitude[k]);
  }
}

// Writes into `out` (contiguous, rebuilt's dtype and shape): Griffin-Lim passes the previous
// estimate's buffer, dead once inverted, so an iteration allocates (and page-faults) one spectrogram
// fewer; `out` may alias `previous` (each bin is read before it is written).
void griffinlim_update_into_cpu(const at::Tensor& rebuilt, const c10::optional<at::Tensor>& previous,
                                const at::Tensor& magnitude, double alpha, double eps, at::Tensor& out) {
  TORCH_CHECK_VALUE(rebuilt.scalar_type() == at::kComplexFloat || rebuilt.scalar_type() == at::kComplexDouble,
                    "griffinlim_update: rebuilt must be complex64 or complex128, got ", rebuilt.scalar_type());
  TORCH_CHECK_VALUE(magnitude.scalar_type() == c10::toRealValueType(rebuilt.scalar_type()),
                    "griffinlim_update: magnitude must be the real dtype of rebuilt (", rebuilt.scalar_type(),
                    "), got ", magnitude.scalar_type());
  TORCH_CHECK_VALUE(magnitude.sizes() == rebuilt.sizes(), "griffinlim_update: magnitude has shape ",
                    magnitude.sizes(), ", rebuilt ", rebuilt.sizes());
  const at::Tensor r = rebuilt.contiguous(), m = magnitude.contiguous();
  at::Tensor p;
  if (previous.has_value()) {
    TORCH_CHECK_VALUE(previous->scalar_type() == rebuilt.scalar_type() && previous->sizes() == rebuilt.sizes(),
                      "griffinlim_update: previous must have rebuilt's dtype and shape, got ",
                      previous->scalar_type(), " ", previous->sizes());
    p = previous->contiguous();
  }
  TORCH_CHECK_VALUE(out.scalar_type() == rebuilt.scalar_type() && out.sizes() == rebuilt.sizes() &&
                    out.is_contiguous(), "griffinlim_update: out must be a contiguous tensor of rebuilt's dtype "
                    "and shape, got ", out.scalar_type(), " ", out.sizes());
  TORCH_CHECK_VALUE(!out.is_same(rebuilt) && !out.is_same(magnitude), "griffinlim_update: out must not be rebuilt "
                    "or magnitude");
  const int64_t n = r.numel();
  AT_DISPATCH_FLOATING_TYPES(m.scalar_type(), "griffinlim_update", [&] {
    using complex_t = c10::complex<scalar_t>;
    const complex_t* rp = r.const_data_ptr<complex_t>();
    const complex_t* pp = p.defined() ? p.const_data_ptr<complex_t>() : nullptr;
    const scalar_t* mp = m.const_data_ptr<scalar_t>();
    complex_t* op = out.mutable_data_ptr<complex_t>();
    const auto a = scalar_t(alpha), e = scalar_t(eps);
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) { update(rp, pp, mp, op, begin, end, a, e); });
  });
}

at::Tensor griffinlim_update_cpu(const at::Tensor& rebuilt, const c10::optional<at::Tensor>& previous,
                                 const at::Tensor& magnitude, double alpha, double eps) {
  at::Tensor out = at::empty_like(rebuilt, at::MemoryFormat::Contiguous);
  griffinlim_update_into_cpu(rebuilt, previous, magnitude, alpha, eps, out);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(spectrograms, m) {
  m.def("griffinlim_update(Tensor rebuilt, Tensor? previous, Tensor magnitude, float alpha, float eps) -> Tensor");
  // A mutating op returns nothing: torch.compile functionalizes only those (no aliased outputs).
  m.def("griffinlim_update_into(Tensor rebuilt, Tensor? previous, Tensor magnitude, float alpha, float eps, "
        "Tensor(a!) out) -> ()");
}

TORCH_LIBRARY_IMPL(spectrograms, CPU, m) {
  m.impl("griffinlim_update", &griffinlim_update_cpu);
  m.impl("griffinlim_update_into", &griffinlim_update_into_cpu);
}

}  // namespace spectrograms
