"""Thin wrappers over the native ops ``torch.ops.spectrograms.*``: tensors in, tensors out.

Each module registers its op's fake kernel (for ``torch.compile`` and ``torch.export``) next to the
wrapper. Shapes are ``(..., time)`` in and ``(..., bins, frames)`` out.
"""

from .. import _extension  # noqa: F401  (registers the ops)
from .spectrogram import spectrogram
from .stft import stft
from .istft import istft
from .fft import irfft, irfft2, rfft, rfft2

__all__ = ["spectrogram", "stft", "istft", "rfft", "irfft", "rfft2", "irfft2"]
