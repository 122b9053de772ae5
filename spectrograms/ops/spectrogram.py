"""The fused spectrogram op (spectrograms_ext/spectrogram.cpp)."""

from __future__ import annotations

import torch

from ._frames import n_frames


def spectrogram(
    signal: torch.Tensor,
    window: torch.Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    filterbank: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    floor_db: float | None = None,
) -> torch.Tensor:
    """Frames, windows, transforms and reduces a signal in one native pass.

    Args:
        signal: float32 or float64, shape ``(..., time)``.
        window: same dtype, shape ``(n_fft,)``.
        n_fft, hop_length: frame length and hop in samples.
        center: centre frame ``t`` on sample ``t * hop_length`` (pad ``n_fft // 2`` on both sides).
        pad_mode: ``"constant"`` or ``"reflect"`` padding for ``center``.
        power: 2 for power ``|X|^2``, 1 for magnitude ``|X|``.
        filterbank: optional CSR ``(crow_indices, col_indices, values)`` of an ``(n_bands, n_fft//2+1)``
            matrix applied to each frame.
        floor_db: if given, return ``10 log10(max(P, 10^(floor_db/10)))`` (20 log10 for magnitude).

    Returns:
        Shape ``(..., n_bands or n_fft // 2 + 1, n_frames)``, dtype of ``signal``.
    """
    crow, col, val = filterbank if filterbank is not None else (None, None, None)
    return torch.ops.spectrograms.spectrogram.default(
        signal, window, n_fft, hop_length, center, pad_mode, float(power), crow, col, val, floor_db
    )


@torch.library.register_fake("spectrograms::spectrogram")
def _(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val, floor_db):
    n_out = fb_crow.shape[0] - 1 if fb_crow is not None else n_fft // 2 + 1
    frames = n_frames(signal.shape[-1], n_fft, hop_length, center)
    return signal.new_empty((*signal.shape[:-1], n_out, frames))
