"""The complex STFT op (spectrograms_ext/stft.cpp)."""

from __future__ import annotations

import torch

from ._frames import n_frames


def stft(
    signal: torch.Tensor,
    window: torch.Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "constant",
) -> torch.Tensor:
    """Short-time Fourier transform of a real signal.

    Args:
        signal: float32 or float64, shape ``(..., time)``.
        window: same dtype, shape ``(n_fft,)``.

    Returns:
        complex64 (complex128 for float64 input), shape ``(..., n_fft // 2 + 1, n_frames)``; the same
        values as ``torch.stft(..., return_complex=True)`` with the same window and padding.
    """
    return torch.ops.spectrograms.stft.default(signal, window, n_fft, hop_length, center, pad_mode)


@torch.library.register_fake("spectrograms::stft")
def _(signal, window, n_fft, hop_length, center, pad_mode):
    complex_dtype = torch.complex64 if signal.dtype == torch.float32 else torch.complex128
    frames = n_frames(signal.shape[-1], n_fft, hop_length, center)
    return signal.new_empty((*signal.shape[:-1], n_fft // 2 + 1, frames), dtype=complex_dtype)
