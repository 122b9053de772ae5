#include "cpu_dispatch.h"

#include <c10/util/Exception.h>

#include <cstdlib>

namespace spectrograms {

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;  // only the baseline is compiled elsewhere
#endif

CpuLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // libgcc's checks include the OS's support (XCR0) for the AVX and AVX-512 register state.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return CpuLevel::avx512;
  if (avx2) return CpuLevel::avx2;
#endif
  return CpuLevel::baseline;
}

struct Choice {
  CpuLevel level;
  std::string error;  // a bad SPECTROGRAMS_CPU, reported at every use
};

Choice choose() {
  const CpuLevel detected = detect();
  const char* requested = std::getenv("SPECTROGRAMS_CPU");
  if (requested == nullptr || *requested == '\0') return {detected, ""};
  const std::string name(requested);
  for (const CpuLevel level : {CpuLevel::baseline, CpuLevel::avx2, CpuLevel::avx512}) {
    if (name != cpu_level_name(level)) continue;
    if (level > detected)
      return {detected, "SPECTROGRAMS_CPU='" + name + "' asks for kernels this " +
                            (kX86 ? "CPU" : "build (not x86)") + " cannot run; it supports up to '" +
                            cpu_level_name(detected) + "'"};
    return {level, ""};
  }
  return {detected, "SPECTROGRAMS_CPU must be one of 'baseline', 'avx2' or 'avx512' (or unset), got '" + name + "'"};
}

}  // namespace

const char* cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::avx512: return "avx512";
    case CpuLevel::avx2: return "avx2";
    default: return "baseline";
  }
}

CpuLevel detected_cpu_level() {
  static const CpuLevel level = detect();
  return level;
}

CpuLevel cpu_kernel_level() {
  static const Choice choice = choose();
  TORCH_CHECK_VALUE(choice.error.empty(), choice.error);
  return choice.level;
}

std::vector<std::string> compiled_cpu_levels() {
  if (!kX86) return {"baseline"};
  return {"baseline", "avx2", "avx512"};
}

}  // namespace spectrograms
