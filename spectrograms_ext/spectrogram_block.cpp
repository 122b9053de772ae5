// The spectrogram kernel's block function compiled for three x86 levels and chosen at run time:
// the baseline of the build (-march of setup.py), AVX2+FMA, and AVX-512 (F/BW/DQ/VL). The 64-byte
// vectors of math.h's transpose and band sums become one zmm register, two ymm or four xmm.
//
// How the levels stay apart: every header is included first, with the build's own target, and
// only the functions of spectrogram_block_body.inc are defined under a `#pragma GCC target`, each
// level in its own namespace. The helpers they call (math.h, framing.h) are inlined into them and
// so compiled for their level; any out-of-line copy of a header's inline function comes from the
// baseline, so the one the linker keeps runs on every CPU. The level names its ISA extensions
// rather than an -march, which would change the tuning too and forbid that inlining.
#include <algorithm>
#include <cstring>

#include "cpu_dispatch.h"
#include "fftw_plans.h"
#include "framing.h"
#include "math.h"
#include "spectrogram_block.h"

namespace spectrograms {

namespace baseline {
#include "spectrogram_block_body.inc"
}  // namespace baseline

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "spectrogram_block_body.inc"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")
namespace avx512 {
#include "spectrogram_block_body.inc"
}  // namespace avx512
#pragma GCC pop_options
#endif

template <typename T>
BlockFunction<T> spectrogram_block_function() {
  switch (cpu_kernel_level()) {
#if defined(__x86_64__) || defined(__i386__)
    case CpuLevel::avx512: return &avx512::spectrogram_block<T>;
    case CpuLevel::avx2: return &avx2::spectrogram_block<T>;
#endif
    default: return &baseline::spectrogram_block<T>;
  }
}

template BlockFunction<float> spectrogram_block_function<float>();
template BlockFunction<double> spectrogram_block_function<double>();

}  // namespace spectrograms
