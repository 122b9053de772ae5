"""The fused Griffin-Lim phase update (spectrograms_ext/griffinlim.cpp): CPU only, no autograd formula.

``functional.griffinlim`` and ``compat.librosa.griffinlim`` call it on a plain CPU spectrogram that
needs no gradient, in eager mode; anything else (gradients, CUDA, tracing) takes the torch formula
:func:`phase_update_reference`, which computes the same numbers to rounding.
"""

from __future__ import annotations

import torch

from .. import _extension  # noqa: F401  (registers the ops)
from ._dispatch import call_op, direct_call_allowed


def phase_update(rebuilt: torch.Tensor, previous: torch.Tensor | None, magnitude: torch.Tensor, alpha: float,
                 eps: float, reuse: torch.Tensor | None = None) -> torch.Tensor:
    """``magnitude * a / (|a| + eps)`` with ``a = rebuilt - alpha * previous`` (``previous`` None: 0).

    ``rebuilt`` and ``previous`` complex, ``magnitude`` of their real dtype, all of one shape.
    ``reuse``: a tensor the caller no longer needs (the previous estimate), whose memory the native
    path may write the result into instead of allocating; it must not be ``rebuilt`` or ``magnitude``.
    """
    if (direct_call_allowed(rebuilt, previous, magnitude, reuse)
            and rebuilt.dtype in (torch.complex64, torch.complex128)
            and magnitude.dtype == rebuilt.real.dtype and magnitude.shape == rebuilt.shape):
        args = (rebuilt, previous, magnitude, float(alpha), float(eps))
        if (reuse is not None and reuse.dtype == rebuilt.dtype and reuse.shape == rebuilt.shape
                and reuse.is_contiguous()):
            call_op(torch.ops.spectrograms.griffinlim_update_into.default, *args, reuse)
            return reuse
        return call_op(torch.ops.spectrograms.griffinlim_update.default, *args)
    return phase_update_reference(rebuilt, previous, magnitude, alpha, eps)


def phase_update_reference(rebuilt: torch.Tensor, previous: torch.Tensor | None, magnitude: torch.Tensor,
                           alpha: float, eps: float) -> torch.Tensor:
    """The update as torch ops (differentiable, any device), in torchaudio's order of operations."""
    angles = rebuilt if previous is None else rebuilt - previous * alpha
    return magnitude * (angles / (angles.abs() + eps))


@torch.library.register_fake("spectrograms::griffinlim_update")
def _(rebuilt, previous, magnitude, alpha, eps):
    return torch.empty_like(rebuilt, memory_format=torch.contiguous_format)


@torch.library.register_fake("spectrograms::griffinlim_update_into")
def _(rebuilt, previous, magnitude, alpha, eps, out):
    return None
