// Which instruction-set level the dispatched kernels (spectrogram_block.cpp) run at: the best one
// both compiled in and supported by this CPU, found once per process with __builtin_cpu_supports;
// the environment variable SPECTROGRAMS_CPU (baseline, avx2 or avx512) asks for a lower one, to
// compare levels or to rule one out.
#pragma once

#include <string>
#include <vector>

namespace spectrograms {

enum class CpuLevel : int { baseline = 0, avx2 = 1, avx512 = 2 };

// The level in use; raises ValueError (by name) for a SPECTROGRAMS_CPU this build or CPU cannot honour.
CpuLevel cpu_kernel_level();

const char* cpu_level_name(CpuLevel level);

// The levels this build compiled the kernels for, weakest first.
std::vector<std::string> compiled_cpu_levels();

// The best level this CPU supports among the compiled ones (SPECTROGRAMS_CPU aside).
CpuLevel detected_cpu_level();

}  // namespace spectrograms
