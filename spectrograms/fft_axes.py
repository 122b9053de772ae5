"""Axis helpers for FFT outputs, as the seed library names them: bin frequencies and zero-frequency shifts.

The definitions are NumPy's (``numpy.fft.fftfreq``, ``rfftfreq``, ``fftshift``, ``ifftshift``). The seed
library's ``fftshift`` of an odd-length axis is NumPy's ``ifftshift`` (a known bug there); we follow
NumPy, which agrees with the seed library on every even length.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from ._dtype import resolve_dtype
from ._validate import bounded_int, finite_float
from .errors import InvalidInputError
from .inputs import as_tensor

if TYPE_CHECKING:  # an annotation only: no need to import the FFT module with the axes
    from .fft import TensorLike

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift", "fftshift_1d", "ifftshift_1d"]

# 2 GiB of float64 bin frequencies: an FFT of 2**28 points is over an hour of 48 kHz audio, and a
# typo such as n=10**10 must cost an error message, not the machine's memory.
_MAX_BINS = 2**28


def fftfreq(n: int, d: float = 1.0, dtype: str | None = "float64") -> torch.Tensor:
    """Bin centres of an ``n``-point DFT with sample spacing ``d``: ``[0, 1, ..., -(n//2), ..., -1] / (n d)``."""
    n, d = _length_and_spacing(n, d)
    index = torch.arange(n, dtype=torch.float64)
    index = torch.where(index < (n + 1) // 2, index, index - n)
    return (index / (n * d)).to(_real(dtype))


def rfftfreq(n: int, d: float = 1.0, dtype: str | None = "float64") -> torch.Tensor:
    """Bin centres of an ``n``-point real FFT: ``[0, 1, ..., n // 2] / (n d)``."""
    n, d = _length_and_spacing(n, d)
    return (torch.arange(n // 2 + 1, dtype=torch.float64) / (n * d)).to(_real(dtype))


def fftshift(arr: TensorLike, dtype: str | None = None) -> torch.Tensor:
    """Moves the zero-frequency bin of both axes of a 2-D array (or the last two of ``(..., rows, cols)``)
    to the centre, as ``numpy.fft.fftshift(arr, axes=(-2, -1))``."""
    values = _values(arr, dtype, min_dims=2)
    return torch.roll(values, shifts=(values.shape[-2] // 2, values.shape[-1] // 2), dims=(-2, -1))


def ifftshift(arr: TensorLike, dtype: str | None = None) -> torch.Tensor:
    """The inverse of :func:`fftshift` (they differ on odd lengths)."""
    values = _values(arr, dtype, min_dims=2)
    return torch.roll(values, shifts=(-(values.shape[-2] // 2), -(values.shape[-1] // 2)), dims=(-2, -1))


def fftshift_1d(arr: TensorLike, dtype: str | None = None) -> torch.Tensor:
    """:func:`fftshift` of the last axis only, as ``numpy.fft.fftshift(arr, axes=-1)``."""
    values = _values(arr, dtype, min_dims=1)
    return torch.roll(values, shifts=values.shape[-1] // 2, dims=-1)


def ifftshift_1d(arr: TensorLike, dtype: str | None = None) -> torch.Tensor:
    """The inverse of :func:`fftshift_1d`."""
    values = _values(arr, dtype, min_dims=1)
    return torch.roll(values, shifts=-(values.shape[-1] // 2), dims=-1)


def _length_and_spacing(n: object, d: object) -> tuple[int, float]:
    length = bounded_int("n", n, _MAX_BINS)
    spacing = finite_float("d", d)
    if spacing == 0 or not torch.isfinite(torch.tensor(length * spacing, dtype=torch.float64)):
        raise InvalidInputError(f"d must be finite and non-zero with n * d finite, got d={spacing} for n={length}")
    if not math.isfinite((length // 2) / (length * spacing)):  # the highest bin, about 1 / (2 d): inf for subnormal d
        raise InvalidInputError(f"d={spacing} is too small: the bin frequencies 1 / (n d) leave float64's range")
    return length, spacing


def _real(dtype: str | None) -> torch.dtype:
    return resolve_dtype(dtype, torch.empty(0, dtype=torch.float64))


def _values(arr: TensorLike, dtype: str | None, min_dims: int) -> torch.Tensor:
    """Real or complex input; ``dtype`` sets the real precision (complex stays complex)."""
    values = as_tensor(arr, "arr", allow_complex=True)
    if values.dim() < min_dims:
        raise InvalidInputError(f"arr must have at least {min_dims} dims, got shape {tuple(values.shape)}")
    real = resolve_dtype(dtype, values)
    if values.is_complex():
        return values.to(torch.complex64 if real == torch.float32 else torch.complex128)
    return values.to(real)
