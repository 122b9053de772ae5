"""The spectrogram op in plain torch ops, for graphs that must run without the op library (ONNX).

The native op is a fused FFTW pass; here the same values come from operators every ONNX runtime
has: reflect/constant padding, a gather of the frames, one matrix product with the windowed real-DFT
basis (cos and -sin rows), the power or magnitude, a dense filterbank and the dB floor. A matrix
product rather than ONNX's STFT/DFT operators: onnxruntime runs GEMM with its tuned kernels, while its
DFT for sizes like 400 (not a power of two) falls back to a slow path.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=16)
def _dft_basis(n_fft: int, dtype: torch.dtype) -> torch.Tensor:
    """``(n_fft, 2 * (n_fft // 2 + 1))``: columns ``cos(2 pi k n / N)`` then ``-sin(2 pi k n / N)``.

    Built in float64 with the phase reduced modulo ``N`` before the multiplication by ``2 pi / N``, so
    that even float64 bases are exact to rounding, then cast.
    """
    n = torch.arange(n_fft, dtype=torch.int64)
    k = torch.arange(n_fft // 2 + 1, dtype=torch.int64)
    phase = (n[:, None] * k[None, :]) % n_fft
    angle = phase.to(torch.float64) * (2.0 * math.pi / n_fft)
    return torch.cat([torch.cos(angle), -torch.sin(angle)], dim=1).to(dtype)


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
    starts = torch.arange(n_frames, device=flat.device) * hop_length
    frames = flat[:, starts[:, None] + torch.arange(n_fft, device=flat.device)[None, :]]  # (B, frames, n_fft)
    basis = _dft_basis(n_fft, signal.dtype).to(signal.device) * window[:, None]
    spectrum = frames @ basis  # (B, frames, 2 * n_bins)
    real, imag = spectrum[..., :n_bins], spectrum[..., n_bins:]
    if power is None:
        return torch.complex(real, imag).transpose(-1, -2).reshape(*lead, n_bins, n_frames)
    values = real * real + imag * imag
    if power == 1.0:
        values = values.sqrt()
    if filterbank is not None:
        values = values @ filterbank.transpose(0, 1)
    if floor_db is not None:
        scale = 20.0 if power == 1.0 else 10.0
        amin = max(10.0 ** (floor_db / scale), torch.finfo(signal.dtype).tiny)
        values = scale * torch.log10(values.clamp(min=amin))
    values = values.transpose(-1, -2)
    return values.reshape(*lead, values.shape[-2], n_frames)
