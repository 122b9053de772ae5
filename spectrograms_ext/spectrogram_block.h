// One block of the fused spectrogram kernel (frames -> window -> r2c -> power or magnitude ->
// transposed tiles -> filterbank -> dB), compiled once per x86 instruction-set level in
// spectrogram_block.cpp and picked at run time (cpu_dispatch.h), so that a portable build runs the
// hot loops with AVX2/FMA or AVX-512 where the CPU has them.
#pragma once

#include <cstdint>
#include <vector>

#include "fftw_plans.h"
#include "framing.h"

namespace spectrograms {

// A filterbank as one contiguous run of weights per band: band m reads bins
// [start[m], start[m] + length[m]) with weights[offset[m] ...]. Mel, ERB and log-Hz bands are
// contiguous already; a band with gaps (chroma) gets explicit zeros inside its run.
template <typename T>
struct Bands {
  std::vector<int64_t> start, length, offset;
  std::vector<T> weights;
  int64_t count() const { return int64_t(start.size()); }
};

// What every block of one call shares (read-only while the threads run).
template <typename T>
struct BlockJob {
  const T* signal_base;  // n_signals contiguous signals of g.n_samples
  const T* window;
  FrameGeometry g;
  typename Fftw<T>::Plan plan;
  const Bands<T>* bands;  // null: no filterbank
  bool magnitude;
  bool db;
  T amin, db_scale;
  int64_t n_bins, n_out;
  int64_t frames_per_block;  // B: 16, 32 or 64
  int64_t blocks_per_signal;
  int64_t tile_stride;
  T* out_base;  // (n_signals, n_out, g.n_frames)
};

// One thread's buffers (64-byte aligned): a frame (n_fft), its spectrum (n_bins), a tile of L
// frame-major spectra (L * tile_stride), the block's bin-major spectra (tile_stride * B) and a row (B).
template <typename T>
struct BlockScratch {
  T* frame;
  typename Fftw<T>::Complex* spectrum;
  T* tile;
  T* power;
  T* row;
};

// Computes block `task` (signal task / blocks_per_signal, frames from (task % blocks_per_signal) * B)
// into the output. Returns false when a value left T's range or was NaN: the caller then redoes the
// block in a wider type, which tells NaN/Inf samples from overflow.
template <typename T>
using BlockFunction = bool (*)(const BlockJob<T>&, const BlockScratch<T>&, int64_t task);

// The block function of the level cpu_kernel_level() names (chosen once per process).
template <typename T>
BlockFunction<T> spectrogram_block_function();

}  // namespace spectrograms
