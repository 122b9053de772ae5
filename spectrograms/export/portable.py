"""The spectrogram op in plain torch ops, for graphs that must run without the op library (ONNX).

The native op is a fused FFTW pass; here the same values come from operators every ONNX runtime
has: reflect/constant padding, a gather of the frames, the windowed real DFT as matrix products, the
power or magnitude, a dense filterbank and the dB floor. Matrix products rather than ONNX's STFT/DFT
operators: onnxruntime runs GEMM with its tuned kernels, while its DFT for sizes like 400 (not a
power of two) falls back to a slow path.

The DFT of size ``N = N1 * N2`` is one Cooley-Tukey step done as two products (a size-``N1`` DFT of
the real frame, twiddles, a size-``N2`` DFT of the half spectrum that is kept), ``N (2 N1 + 2 N2)``
multiply-adds per frame instead of the ``N**2`` of one dense DFT matrix (about 5x fewer at 400 or
512), and the rounding of two short sums rather than one long one, which keeps float32 dB values
within about 2e-4 dB of float64 ones, as close as the float32 FFT of the native op. Sizes without a
useful factor (primes) use the dense matrix.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def split_size(n_fft: int) -> tuple[int, int] | None:
    """``(N1, N2)`` with ``N1 * N2 = n_fft``, ``N1 <= N2`` and ``N1`` the largest divisor up to
    ``sqrt(n_fft)``; None when that divisor is below 4 (the split would save little)."""
    for first in range(math.isqrt(n_fft), 3, -1):
        if n_fft % first == 0:
            return first, n_fft // first
    return None


def _angles(rows: torch.Tensor, cols: torch.Tensor, n: int) -> torch.Tensor:
    """``2 pi (r c mod n) / n`` in float64: the phase reduced modulo ``n`` first, so that even float64
    bases are exact to rounding. Graph ops at every call (not a cached tensor, not a NumPy constant):
    the exporter traces under a fake-tensor mode, where a tensor cached by an earlier export cannot
    enter, and a decomposition may not create constants; an ONNX runtime folds them when it loads."""
    return ((rows[:, None] * cols[None, :]) % n).to(torch.float64) * (2.0 * math.pi / n)


def _product(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """``left @ right``; for one 3-D operand and one matrix, a ``bmm`` with the matrix expanded (a view).
    ``matmul`` would fold ``(frames, rows)`` into one dimension, a reshape whose divisibility guards on
    a dynamic frame count ``torch.export`` cannot prove (``(16 n + 16) % (n + 1) == 0``); ``bmm`` keeps
    the frames a dimension of their own (the Kaldi export path's 2-D frames)."""
    if left.dim() == 3 and right.dim() == 2:
        return torch.bmm(left, right.expand(left.shape[0], -1, -1))
    if left.dim() == 2 and right.dim() == 3:
        return torch.bmm(left.expand(right.shape[0], -1, -1), right)
    return left @ right


def _dft_power_layout(frames: torch.Tensor, n_fft: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real and imaginary parts of the DFT of windowed ``frames (..., n_fft)``, and the bin of each
    column: ``(real, imag, bins)`` with ``real``/``imag`` ``(..., M)`` and ``bins (M,)`` int64, ``M >=
    n_fft // 2 + 1``; columns whose bin exceeds ``n_fft // 2`` are to be ignored."""
    dtype, device = frames.dtype, frames.device
    split = split_size(n_fft)
    if split is None:
        n = torch.arange(n_fft, device=device)
        k = torch.arange(n_fft // 2 + 1, device=device)
        angle = _angles(n, k, n_fft)
        spectrum = frames @ torch.cat([torch.cos(angle), -torch.sin(angle)], dim=1).to(dtype)
        return spectrum[..., :n_fft // 2 + 1], spectrum[..., n_fft // 2 + 1:], k
    n1_size, n2_size = split
    k2_size = n2_size // 2 + 1  # bins k = k1 + N1 k2 up to n_fft // 2 need k2 <= N2 // 2
    n1, n2 = torch.arange(n1_size, device=device), torch.arange(n2_size, device=device)
    k2 = torch.arange(k2_size, device=device)
    # Stage 1: over n1 (sample n = N2 n1 + n2), all N1 frequencies k1: (..., 2 N1, N2).
    angle1 = _angles(n1, n1, n1_size)
    stage1 = torch.cat([torch.cos(angle1), -torch.sin(angle1)], dim=0).to(dtype)
    part = _product(stage1, frames.unflatten(-1, (n1_size, n2_size)))
    re, im = part[..., :n1_size, :], part[..., n1_size:, :]
    # Twiddles exp(-2 pi i k1 n2 / N).
    twiddle = _angles(n1, n2, n_fft)
    t_re, t_im = torch.cos(twiddle).to(dtype), (-torch.sin(twiddle)).to(dtype)
    re, im = re * t_re - im * t_im, re * t_im + im * t_re
    # Stage 2: over n2, frequencies k2 <= N2 // 2 only: re @ [C | S] + im @ [-S | C] -> (..., N1, 2 K2)
    # (two products and a sum rather than one product of a concatenation: no copy of the spectrum).
    angle2 = _angles(n2, k2, n2_size)
    c2, s2 = torch.cos(angle2), -torch.sin(angle2)
    spectrum = (_product(re, torch.cat([c2, s2], dim=1).to(dtype))
                + _product(im, torch.cat([-s2, c2], dim=1).to(dtype)))
    real, imag = spectrum[..., :k2_size].flatten(-2), spectrum[..., k2_size:].flatten(-2)  # column k1 K2 + k2
    bins = (n1[:, None] + n1_size * k2[None, :]).flatten()
    return real, imag, bins


def dense_from_csr(fb_crow: torch.Tensor, fb_col: torch.Tensor, fb_val: torch.Tensor, n_bins: int) -> torch.Tensor:
    """The CSR filterbank as a dense ``(n_bands, n_bins)`` matrix, with ops ONNX has (comparisons, a sum
    and a scatter-add; no searchsorted). Its inputs are the layer's buffers, so an ONNX runtime folds it
    into a constant when the session is created."""
    n_bands = fb_crow.shape[0] - 1
    positions = torch.arange(fb_col.shape[0], device=fb_col.device)
    # The row of entry p is the number of rows that end at or before p.
    rows = (positions[:, None] >= fb_crow[None, 1:]).sum(dim=1)
    dense = torch.zeros(n_bands, n_bins, dtype=fb_val.dtype, device=fb_val.device)
    return dense.index_put((rows, fb_col), fb_val, accumulate=True)


def portable_spectrogram(signal: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, center: bool,
                         pad_mode: str, power: float | None, filterbank: torch.Tensor | None = None,
                         floor_db: float | None = None) -> torch.Tensor:
    """``spectrograms::spectrogram`` (or ``spectrograms::stft`` for ``power=None``) in plain torch ops.

    Args:
        signal: float32 or float64 ``(..., time)``; window: ``(n_fft,)`` of the same dtype.
        n_fft, hop_length, center, pad_mode: the framing (``pad_mode`` ``"reflect"`` or ``"constant"``).
        power: 2.0 (power), 1.0 (magnitude) or None (the complex STFT).
        filterbank: dense ``(n_bands, n_fft // 2 + 1)`` matrix, or None.
        floor_db: dB with this floor (``10 log10`` of power, ``20 log10`` of magnitude), or None.

    Returns:
        ``(..., n_bands or n_fft // 2 + 1, n_frames)``: the op's values to float rounding (the DFT is a
        matrix product here, an FFT in the op).
    """
    n_bins = n_fft // 2 + 1
    lead = signal.shape[:-1]
    flat = signal.reshape(-1, signal.shape[-1])
    if center:
        pad = n_fft // 2
        flat = F.pad(flat[:, None, :], (pad, pad), mode=pad_mode).squeeze(1)
    n_frames = 1 + (flat.shape[-1] - n_fft) // hop_length
    frames = flat.unfold(-1, n_fft, hop_length)  # (B, frames, n_fft)
    real, imag, bins = _dft_power_layout(frames * window, n_fft)
    if power is None or filterbank is None:
        # Columns in bin order (a gather), only the bins 0 .. n_fft // 2.
        order = torch.argsort(bins)[:n_bins]
        real, imag = real[..., order], imag[..., order]
        if power is None:
            return torch.complex(real, imag).transpose(-1, -2).reshape(*lead, n_bins, n_frames)
    values = real * real + imag * imag
    if power == 1.0:
        values = values.sqrt()
    if filterbank is not None:
        # The filterbank's columns put in the DFT's column order, zero for the bins past n_fft // 2, so
        # the spectrum is never reordered (an ONNX runtime folds this gather into the constant).
        valid = (bins < n_bins).to(filterbank.dtype)
        values = values @ (filterbank[:, bins.clamp(max=n_bins - 1)] * valid).transpose(0, 1)
    if floor_db is not None:
        scale = 20.0 if power == 1.0 else 10.0
        amin = max(10.0 ** (floor_db / scale), torch.finfo(signal.dtype).tiny)
        values = scale * torch.log10(values.clamp(min=amin))
    values = values.transpose(-1, -2)
    return values.reshape(*lead, values.shape[-2], n_frames)
