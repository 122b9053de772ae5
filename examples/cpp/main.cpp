// Features of a WAV file from a deployed front-end, in C++ with libtorch and no Python code:
//
//   spectrograms_features OP_LIBRARY AUDIO.wav MODEL [MODEL ...] [--out DIR]
//
// OP_LIBRARY is the spectrograms op library (spectrograms/_C*.so of the installed package): loading it
// registers the spectrograms::* operators the saved graphs call. Each MODEL is a TorchScript file
// (torch.jit.script / torch.jit.trace, then .save) or an AOTInductor package (.pt2, from
// torch._inductor.aoti_compile_and_package), taking a (channels, time) float32 waveform. For each one
// the program prints the output's shape and its first values, and with --out writes the output as raw
// little-endian float32 to DIR/<model file name>.f32 (what the repository's test compares with Python).
#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#include <torch/script.h>

#include "wav.h"

namespace {

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

at::Tensor run_model(const std::string& path, const at::Tensor& waveform) {
  if (ends_with(path, ".pt2")) {
    torch::inductor::AOTIModelPackageLoader loader(path);
    return loader.run({waveform}).at(0);
  }
  torch::jit::script::Module module = torch::jit::load(path);
  module.eval();
  return module.forward({waveform}).toTensor();
}

void print_summary(const std::string& path, const at::Tensor& features) {
  std::cout << base_name(path) << ": features " << features.sizes() << " " << features.dtype() << "\n";
  // The first 4 bins of the first 3 frames of the first channel.
  const at::Tensor head = features.select(0, 0).narrow(0, 0, std::min<int64_t>(4, features.size(1)))
                              .narrow(1, 0, std::min<int64_t>(3, features.size(2)));
  std::cout << "  first bins x frames:\n" << head << "\n";
  std::cout << "  mean " << features.mean().item<double>() << ", min " << features.min().item<double>()
            << ", max " << features.max().item<double>() << "\n";
}

void write_raw(const std::string& path, const at::Tensor& features) {
  const at::Tensor values = features.to(at::kFloat).contiguous();
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(values.data_ptr<float>()), values.numel() * sizeof(float));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models;
  std::string out_dir;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      out_dir = argv[++i];
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 3) {
    std::cerr << "usage: " << argv[0] << " OP_LIBRARY AUDIO.wav MODEL [MODEL ...] [--out DIR]\n";
    return 2;
  }
  // RTLD_GLOBAL: the op library's registrations go into libtorch's dispatcher, shared with the models.
  if (dlopen(positional[0].c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    std::cerr << "cannot load the op library " << positional[0] << ": " << dlerror() << "\n";
    return 1;
  }
  try {
    const wav::Audio audio = wav::read(positional[1]);
    const at::Tensor waveform = torch::from_blob(const_cast<float*>(audio.samples.data()),
                                                 {audio.channels, audio.frames()}, at::kFloat).clone();
    std::cout << base_name(positional[1]) << ": " << audio.channels << " channel(s), " << audio.frames()
              << " samples at " << audio.sample_rate << " Hz\n";
    torch::NoGradGuard no_grad;
    for (size_t i = 2; i < positional.size(); ++i) {
      const at::Tensor features = run_model(positional[i], waveform);
      print_summary(positional[i], features);
      if (!out_dir.empty()) write_raw(out_dir + "/" + base_name(positional[i]) + ".f32", features);
    }
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
