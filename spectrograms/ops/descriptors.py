"""The fused spectral-descriptor op (spectrograms_ext/descriptors.cpp): CPU only, no autograd formula.

:mod:`spectrograms.compat.librosa.feature.spectral` calls it for the centroid, bandwidth, rolloff
and flatness of a plain CPU signal that needs no gradient, in eager mode; everything else
(``S=`` input, 2-D ``freq``, gradients, tracing) takes the whole-tensor torch formulas, which compute
the same numbers to rounding.
"""

from __future__ import annotations

import torch

from .. import _extension  # noqa: F401  (registers the ops)
from ._dispatch import call_op, direct_call_allowed


def native_descriptor_allowed(signal: torch.Tensor) -> bool:
    """Whether the native op may compute this call: a plain CPU tensor, no gradient, no tracing."""
    return signal.dtype in (torch.float32, torch.float64) and direct_call_allowed(signal)


def spectral_descriptor(signal: torch.Tensor, window: torch.Tensor, *, n_fft: int, hop_length: int, center: bool,
                        pad_mode: str, freq: torch.Tensor, kind: str, param: float = 0.0, amin: float = 1e-10,
                        round32: bool) -> torch.Tensor:
    """``(..., time)`` float64 -> ``(..., 1, frames)`` float64, the statistic of each frame."""
    return call_op(torch.ops.spectrograms.spectral_descriptor.default, signal, window, n_fft, hop_length, center,
                   pad_mode, freq, kind, float(param), float(amin), round32)


@torch.library.register_fake("spectrograms::spectral_descriptor")
def _(signal, window, n_fft, hop_length, center, pad_mode, freq, kind, param, amin, round32):
    pad = n_fft // 2 if center else 0
    frames = 1 + (signal.shape[-1] + 2 * pad - n_fft) // hop_length
    return signal.new_empty((*signal.shape[:-1], 1, frames))
