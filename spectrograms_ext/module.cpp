// The Python module spectrograms._C. Importing it loads the operator registrations of every file in
// spectrograms_ext/; it also records the torch version it was built against (so that a torch upgrade
// without a rebuild gives a clear message instead of an undefined-symbol trace) and holds the two
// functions that let Python threads call the kernels without queueing for the GIL mid-call.
//
// Why they exist: torch takes the GIL whenever C++ drops the last reference to a tensor besides
// Python's own, and the dispatcher drops its references to an op's inputs inside the op, where the
// GIL is released. A call through torch.ops therefore retakes the GIL once per input tensor in the
// middle of the call, and two Python threads computing features wait for each other there.
#include <ATen/record_function.h>
#include <torch/extension.h>
#include <torch/version.h>

#include "cpu_dispatch.h"
#include "fftw_plans.h"
#include "spectrogram.h"

namespace {

// An object that keeps a C++ reference to `tensor` while it lives: the op's own references then come
// and go without the GIL. Made and freed with the GIL held.
pybind11::capsule hold(const at::Tensor& tensor) {
  return pybind11::capsule(new at::Tensor(tensor),
                           [](void* reference) { delete static_cast<at::Tensor*>(reference); });
}

// The CPU spectrogram kernel called directly, for eager calls on plain CPU tensors that need no
// gradient (spectrograms/ops/_dispatch.py decides): the arguments are held by pybind11 until the
// GIL is back, so the call releases it exactly once, and it skips the dispatcher's argument boxing.
// Recorded under the op's name so that it shows in the torch profiler.
at::Tensor spectrogram(const at::Tensor& signal, const at::Tensor& window, int64_t n_fft, int64_t hop_length,
                       bool center, std::string_view pad_mode, double power,
                       const std::optional<at::Tensor>& fb_crow, const std::optional<at::Tensor>& fb_col,
                       const std::optional<at::Tensor>& fb_val, std::optional<double> floor_db) {
  RECORD_FUNCTION("spectrograms::spectrogram", std::vector<c10::IValue>{});
  return spectrograms::spectrogram_cpu(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col,
                                       fb_val, floor_db);
}

}  // namespace

namespace spectrograms {
void bind_streams(pybind11::module& m);  // stream_python.cpp
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.attr("TORCH_VERSION") = TORCH_VERSION;
  spectrograms::bind_streams(m);
  m.def("hold", &hold, "hold(tensor): an object that keeps a C++ reference to tensor while it lives");
  m.def("spectrogram", &spectrogram, pybind11::call_guard<pybind11::gil_scoped_release>(),
        "torch.ops.spectrograms.spectrogram's CPU kernel, called without the dispatcher");
  // The instruction-set level of the dispatched kernels (cpu_dispatch.h), for `spectrograms info`.
  m.def("cpu_kernel_level", [] { return std::string(spectrograms::cpu_level_name(spectrograms::cpu_kernel_level())); },
        "the instruction-set level the spectrogram kernel runs at: 'baseline', 'avx2' or 'avx512'");
  m.def("detected_cpu_level", [] { return std::string(spectrograms::cpu_level_name(spectrograms::detected_cpu_level())); },
        "the best level this CPU supports among the compiled ones, SPECTROGRAMS_CPU aside");
  m.def("compiled_cpu_levels", &spectrograms::compiled_cpu_levels, "the levels the kernels were compiled for");
  // The FFTW plan cache (plan_cache.cpp), wrapped by spectrograms.fft. The GIL is released because
  // these wait for the planner lock, which a kernel may hold while it plans.
  m.def("fft_plan_cache_info", [] {
        const auto info = spectrograms::plan_cache_info();
        return std::make_tuple(info.forward, info.inverse, info.bytes, info.max_plans, info.max_bytes);
      }, pybind11::call_guard<pybind11::gil_scoped_release>(),
        "(forward plans, inverse plans, estimated bytes, max plans, max bytes) of the FFTW plan cache");
  m.def("clear_fft_plan_cache", &spectrograms::clear_plan_cache, pybind11::call_guard<pybind11::gil_scoped_release>(),
        "drops every cached FFTW plan (plans running calls hold are freed when those calls end)");
  m.def("set_fft_plan_cache_limits", &spectrograms::set_plan_cache_limits, pybind11::arg("max_plans"),
        pybind11::arg("max_bytes"), pybind11::call_guard<pybind11::gil_scoped_release>(),
        "bounds the FFTW plan cache by plan count and estimated bytes, evicting what no longer fits");
}
