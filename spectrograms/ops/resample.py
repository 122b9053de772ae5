"""The polyphase resampling op (spectrograms_ext/resample.cpp): CPU only, no autograd formula.

:func:`spectrograms.functional.apply_resample_kernel` calls it for CPU float32/float64 input that
needs no gradient, in eager mode; CUDA input, autograd and traced or compiled graphs take the
``conv1d`` path, which computes the same sums (to rounding) and is differentiable.
"""

from __future__ import annotations

import torch

from .. import _extension  # noqa: F401  (registers the ops)
from ._dispatch import direct_call_allowed, hold


def native_resample_allowed(waveform: torch.Tensor, kernel: torch.Tensor) -> bool:
    """Whether ``resample_poly`` may compute this call: plain CPU float32/float64 tensors of one
    dtype, nothing needing a gradient, no tracing, compiling, dispatch mode or functorch transform."""
    return (waveform.dtype in (torch.float32, torch.float64) and kernel.dtype == waveform.dtype
            and direct_call_allowed(waveform, kernel))


def resample_poly(waveform: torch.Tensor, kernel: torch.Tensor, orig_freq: int, new_freq: int,
                  width: int) -> torch.Tensor:
    """``(..., time) -> (..., ceil(new_freq * time / orig_freq))`` with a kernel of
    :func:`spectrograms.functional.sinc_resample_kernel` (``(new_freq, 1, 2 * width + orig_freq)``,
    rates divided by their gcd), applied phase by phase without padding the signal."""
    references = [hold(waveform), hold(kernel)]  # noqa: F841  (released on return, with the GIL held)
    with torch._C._AutoDispatchBelowAutograd():
        return torch.ops.spectrograms.resample_poly.default(waveform, kernel, orig_freq, new_freq, width)


@torch.library.register_fake("spectrograms::resample_poly")
def _(waveform, kernel, orig_freq, new_freq, width):
    length = waveform.shape[-1]
    return waveform.new_empty((*waveform.shape[:-1], (new_freq * length + orig_freq - 1) // orig_freq))
