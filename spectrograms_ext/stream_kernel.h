// The native spectrogram stream (stream_kernel.cpp), shared by its TorchScript class registration
// (torch.classes.spectrograms.SpectrogramStream, for TorchScript and C++ users) and the direct pybind11
// binding that spectrograms/stream.py pushes through (stream_python.cpp): a ScriptObject method call
// boxes its arguments into IValues and costs microseconds, more than a 10 ms push computes.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/custom_class.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace spectrograms {

// The state of a stream in one dtype (TypedStream<T> in stream_kernel.cpp).
class StreamCore {
 public:
  virtual ~StreamCore() = default;
  virtual at::Tensor push(const at::Tensor& chunk) = 0;
  virtual at::Tensor emit(int64_t stop) = 0;
  virtual void reset() = 0;
  virtual std::vector<int64_t> counters() const = 0;  // received, frames emitted, carried, capacity
  virtual int64_t frames_emitted() const = 0;
};

class SpectrogramStream : public torch::CustomClassHolder {
 public:
  SpectrogramStream(at::Tensor window, int64_t n_fft, int64_t hop, int64_t left_pad, bool reflect, bool magnitude,
                    std::optional<double> floor_db, std::optional<at::Tensor> crow, std::optional<at::Tensor> col,
                    std::optional<at::Tensor> val);
  at::Tensor push(const at::Tensor& chunk) { return core_->push(chunk); }
  at::Tensor emit(int64_t stop) { return core_->emit(stop); }
  void reset() { core_->reset(); }
  std::vector<int64_t> counters() const { return core_->counters(); }
  int64_t frames_emitted() const { return core_->frames_emitted(); }

 private:
  std::unique_ptr<StreamCore> core_;
};

}  // namespace spectrograms
