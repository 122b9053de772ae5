"""librosa.feature.delta: Savitzky-Golay derivatives along an axis, librosa's modes included."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ...._deltas import edge_matrices, savgol_coefficients
from .._util import ParameterError, as_tensor, out, real_number

__all__ = ["delta"]

_MODES = ("interp", "mirror", "constant", "nearest", "wrap")


def _padded(x: torch.Tensor, half: int, mode: str, cval: float) -> torch.Tensor:
    """``x`` extended by ``half`` samples each side along the last axis, as scipy.ndimage's modes
    extend it (by index arithmetic, so any length works, even shorter than the extension)."""
    n = x.shape[-1]
    if mode in ("constant", "interp"):
        return torch.nn.functional.pad(x, (half, half), value=cval if mode == "constant" else 0.0)
    i = torch.arange(-half, n + half, device=x.device)
    if mode == "nearest":
        index = i.clamp(0, n - 1)
    elif mode == "wrap":
        index = torch.remainder(i, n)
    else:  # mirror: d c b | a b c d | c b a
        period = max(2 * (n - 1), 1)
        m = torch.remainder(i, period)
        index = torch.where(m < n, m, period - m) if n > 1 else torch.zeros_like(i)
    return x.index_select(-1, index)


def delta(data, *, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp", **kwargs):
    """librosa.feature.delta: the ``order``-th Savitzky-Golay derivative of ``data`` along ``axis``
    (``scipy.signal.savgol_filter(data, width, deriv=order, polyorder=order, mode=mode)``).

    Args:
        width: odd window length >= 3 (at most the axis length for ``mode='interp'``).
        order: derivative order, a positive int.
        mode: ``'interp'`` (polynomial fit at the edges, default), ``'mirror'``, ``'constant'``
            (``cval``), ``'nearest'`` or ``'wrap'``.
        kwargs: ``polyorder`` (default ``order``), ``cval`` (0), ``delta`` (1.0, the sample spacing).
    """
    x, was_numpy = as_tensor("data", data)
    if x.dim() == 0:
        x = x.reshape(1)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or not -x.dim() <= axis < x.dim():
        raise ParameterError(f"axis={axis!r} is out of range for data with {x.dim()} dimensions")
    if mode not in _MODES:
        raise ParameterError(f"mode={mode!r} must be one of {', '.join(map(repr, _MODES))}")
    if mode == "interp" and isinstance(width, numbers.Integral) and width > x.shape[axis]:
        raise ParameterError(f"when mode='interp', width={width} cannot exceed data.shape[axis]={x.shape[axis]}")
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 3 or width % 2 != 1:
        raise ParameterError(f"width={width!r} must be an odd integer >= 3")
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order <= 0:
        raise ParameterError(f"order={order!r} must be a positive integer")
    unknown = set(kwargs) - {"polyorder", "cval", "delta", "deriv"}
    if unknown:
        raise ParameterError(f"unexpected keyword arguments for savgol_filter: {sorted(unknown)}")
    polyorder = kwargs.get("polyorder", order)
    if isinstance(polyorder, bool) or not isinstance(polyorder, numbers.Integral) or not order <= polyorder < width:
        raise ParameterError(f"polyorder={polyorder!r} must be an integer in [order={order}, width={width})")
    cval = real_number("cval", kwargs.get("cval", 0.0))
    spacing = real_number("delta", kwargs.get("delta", 1.0))
    if spacing <= 0:
        raise ParameterError(f"delta={spacing} must be positive")
    width, order, polyorder = int(width), int(order), int(polyorder)
    half = width // 2
    moved = x.movedim(axis, -1)
    flat = moved.reshape(-1, 1, moved.shape[-1])
    kernel = torch.tensor(savgol_coefficients(width, polyorder, order, spacing), dtype=x.dtype, device=x.device)
    result = torch.nn.functional.conv1d(_padded(flat, half, mode, cval), kernel.reshape(1, 1, -1))
    if mode == "interp":
        left, right = (torch.tensor(m, dtype=x.dtype, device=x.device) for m in edge_matrices(width, polyorder, order, spacing))
        n = flat.shape[-1]
        result = torch.cat([flat[..., :width] @ left.T, result[..., half:n - half], flat[..., n - width:] @ right.T], dim=-1)
    return out(result.reshape(moved.shape).movedim(-1, axis), was_numpy)
