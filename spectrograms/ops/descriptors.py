"""The fused spectral-descriptor op (spectrograms_ext/descriptors.cpp): CPU only, no autograd formula.

:mod:`spectrograms.compat.librosa.feature.spectral` calls it for the centroid, bandwidth, rolloff,
flatness and contrast of a plain CPU signal that needs no gradient, in eager mode; everything else
(``S=`` input, 2-D ``freq``, gradients, tracing) takes the whole-tensor torch formulas, which compute
the same numbers to rounding.
"""

from __future__ import annotations

import torch

from .. import _extension  # noqa: F401  (registers the ops)
from ._dispatch import direct_call_allowed, hold


def native_descriptor_allowed(signal: torch.Tensor) -> bool:
    """Whether the native op may compute this call: a plain CPU tensor, no gradient, no tracing."""
    return signal.dtype in (torch.float32, torch.float64) and direct_call_allowed(signal)


def spectral_descriptor(signal: torch.Tensor, window: torch.Tensor, *, n_fft: int, hop_length: int, center: bool,
                        pad_mode: str, freq: torch.Tensor, kind: str, param: float = 0.0, amin: float = 1e-10,
                        round32: bool, bands: torch.Tensor | None = None) -> torch.Tensor:
    """``(..., time)`` float64 -> ``(..., rows, frames)`` float64: one row per frame statistic
    (``2 * len(bands)`` rows, valleys then peaks, for ``kind='contrast'``)."""
    references = [hold(signal), hold(window), hold(freq)]  # noqa: F841  (released on return, with the GIL held)
    with torch._C._AutoDispatchBelowAutograd():
        return torch.ops.spectrograms.spectral_descriptor.default(signal, window, n_fft, hop_length, center, pad_mode,
                                                                  freq, kind, float(param), float(amin), round32,
                                                                  bands)


@torch.library.register_fake("spectrograms::spectral_descriptor")
def _(signal, window, n_fft, hop_length, center, pad_mode, freq, kind, param, amin, round32, bands):
    pad = n_fft // 2 if center else 0
    frames = 1 + (signal.shape[-1] + 2 * pad - n_fft) // hop_length
    rows = 2 * bands.shape[0] if kind == "contrast" else 1
    return signal.new_empty((*signal.shape[:-1], rows, frames))
