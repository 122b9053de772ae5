"""The frame count of the STFT framing, the one formula every layer uses (mirrors FrameGeometry in
spectrograms_ext/framing.h): the signal is padded by ``n_fft // 2`` on both sides when centred, and a
frame starts every ``hop_length`` samples while a whole ``n_fft`` fits.
"""

from __future__ import annotations

from typing import TypeVar

import torch

_Count = TypeVar("_Count", int, torch.Tensor)


def n_frames(n_samples: _Count, n_fft: int, hop_length: int, center: bool) -> _Count:
    """``1 + (n_samples + 2 * pad - n_fft) // hop_length`` with ``pad = n_fft // 2 if center else 0``.

    ``n_samples`` may be an int or an int tensor of any shape; the result is of the same kind. It is
    0 or negative for signals too short to hold one frame (callers check or clamp).
    """
    pad = n_fft // 2 if center else 0
    return 1 + (n_samples + 2 * pad - n_fft) // hop_length


def unread_samples(n_samples: int, n_fft: int, hop_length: int, center: bool) -> slice | None:
    """The samples no frame reads, where the kernel's own NaN/Inf check cannot see them: ``None`` if
    every sample is read, the whole signal when frames leave gaps (``hop_length > n_fft``), else the
    tail after the last frame."""
    if hop_length > n_fft:
        return slice(0, n_samples)
    frames = n_frames(n_samples, n_fft, hop_length, center)
    end = (frames - 1) * hop_length - (n_fft // 2 if center else 0) + n_fft
    return slice(end, n_samples) if 0 < frames and end < n_samples else None
