// The pybind11 binding of the native spectrogram stream (stream_kernel.h), the object
// spectrograms/stream.py pushes through. A warm 10 ms push computes one frame in about a microsecond;
// the same push through the TorchScript class (torch.classes.spectrograms.SpectrogramStream) paid
// several more for the ScriptObject method call (argument boxing into IValues, schema matching), so
// Python calls the class here directly and the TorchScript registration stays for TorchScript/C++.
#include <torch/extension.h>

#include "stream_kernel.h"

namespace spectrograms {
namespace {

// Pushes of fewer samples than this keep the GIL: releasing and retaking it costs about as much as
// the frame a 10 ms push computes, and such a push ends before another thread would get far.
constexpr int64_t kReleaseGilSamples = 4096;

at::Tensor push(SpectrogramStream& stream, const at::Tensor& chunk) {
  if (chunk.numel() < kReleaseGilSamples) return stream.push(chunk);
  // pybind11 holds `chunk` until the GIL is back, so no reference is dropped without it (module.cpp).
  pybind11::gil_scoped_release release;
  return stream.push(chunk);
}

at::Tensor emit(SpectrogramStream& stream, int64_t stop) {
  pybind11::gil_scoped_release release;
  return stream.emit(stop);
}

}  // namespace

void bind_streams(pybind11::module& m) {
  pybind11::class_<SpectrogramStream, c10::intrusive_ptr<SpectrogramStream>>(
      m, "SpectrogramStream",
      "A spectrogram stream's native state: (window, n_fft, hop, left_pad, reflect, magnitude, floor_db, "
      "crow, col, val); push(chunk) -> new frames, emit(stop), reset(), counters(), frames_emitted()")
      .def(pybind11::init<at::Tensor, int64_t, int64_t, int64_t, bool, bool, std::optional<double>,
                          std::optional<at::Tensor>, std::optional<at::Tensor>, std::optional<at::Tensor>>())
      .def("push", &push, "appends (time,) or (batch, time) samples; returns the frames that became complete")
      .def("emit", &emit, "the frames up to `stop` (flush), with the end padding")
      .def("reset", &SpectrogramStream::reset)
      .def("counters", &SpectrogramStream::counters, "(received, frames emitted, carried, capacity)")
      .def("frames_emitted", &SpectrogramStream::frames_emitted);
}

}  // namespace spectrograms
