"""The MDCT (a lapped transform) and its inverse, as the seed library defines them, on FFTW.

``mdct`` frames the signal without padding (``(len - window_size) // hop + 1`` frames), applies the
window and computes ``X[k] = sum_m w[m] x[m] cos(pi / N (m + 1/2 + N/2)(k + 1/2))`` for the ``N =
window_size / 2`` coefficients. ``imdct`` evaluates ``(2 / N) sum_k X[k] cos(...)``, applies the window
again and overlap-adds, so a sine window at hop ``N`` (:meth:`MdctParams.sine_window`) reconstructs the
signal exactly away from the first and last half window (time-domain aliasing cancellation).

Both are one real FFT of length ``4 N`` per frame (the MDCT's odd-frequency cosines are the odd bins of
that transform), batched over every frame and signal in one native call; the overlap-add is one
``fold``. The window follows the seed library: its named windows are symmetric (denominator ``N - 1``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import ops
from ._dtype import resolve_dtype
from ._validate import MAX_HOP, MAX_N_FFT, bounded_int, call_native, check_type, optional_positive_int
from .errors import InvalidInputError
from .inputs import as_signal, as_tensor
from .params import WindowType

__all__ = ["MdctParams", "mdct", "imdct"]


class MdctParams:
    """Window size ``2N`` (even, >= 4), hop and window of an MDCT.

    Raises:
        InvalidInputError: an odd ``window_size`` or one below 4, or a non-positive hop.
        InvalidTypeError: ``window`` is not a :class:`WindowType`.
    """

    def __init__(self, window_size: int, hop_size: int, window: WindowType):
        window_size = bounded_int("window_size", window_size, MAX_N_FFT)
        if window_size % 2 or window_size < 4:
            raise InvalidInputError(f"window_size must be even and >= 4, got {window_size}")
        self._window_size = window_size
        self._hop_size = bounded_int("hop_size", hop_size, MAX_HOP)
        check_type("window", window, WindowType)
        self._window = window

    @classmethod
    def sine_window(cls, window_size: int) -> MdctParams:
        """A sine window ``sin(pi (n + 1/2) / window_size)`` at hop ``window_size / 2``: perfect
        reconstruction."""
        window_size = bounded_int("window_size", window_size, MAX_N_FFT)
        if window_size % 2 or window_size < 4:
            raise InvalidInputError(f"window_size must be even and >= 4, got {window_size}")
        sine = torch.sin(math.pi * (torch.arange(window_size, dtype=torch.float64) + 0.5) / window_size)
        return cls(window_size, window_size // 2, WindowType.custom(sine.tolist()))

    @property
    def window_size(self) -> int:
        return self._window_size

    @property
    def hop_size(self) -> int:
        return self._hop_size

    @property
    def window(self) -> WindowType:
        return self._window

    @property
    def n_coefficients(self) -> int:
        """Coefficients per frame, ``window_size // 2``."""
        return self._window_size // 2

    def window_tensor(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return self._window.coefficients(self._window_size, dtype)

    def __eq__(self, other):
        return isinstance(other, MdctParams) and (self._window_size, self._hop_size, self._window) == (
            other._window_size, other._hop_size, other._window)

    def __hash__(self):
        return hash((self._window_size, self._hop_size, self._window))

    def __repr__(self):
        return f"MdctParams(window_size={self._window_size}, hop_size={self._hop_size}, window={self._window!r})"


def mdct(samples, params: MdctParams, dtype: str | None = None) -> torch.Tensor:
    """MDCT coefficients, shape ``(N, n_frames)`` (``(..., N, n_frames)`` for a batch ``(..., time)``).

    Raises:
        InvalidInputError: fewer samples than ``window_size``; NaN or Inf samples.
    """
    check_type("params", params, MdctParams)
    signal = as_signal(samples, max_dims=8)
    signal = signal.to(resolve_dtype(dtype, signal))
    two_n, n = params.window_size, params.n_coefficients
    if signal.shape[-1] < two_n:
        raise InvalidInputError(f"samples has {signal.shape[-1]} samples; the MDCT needs at least "
                                f"window_size = {two_n}")
    if not torch.isfinite(signal).all():
        raise InvalidInputError("samples contains NaN or Inf")
    frames = signal.unfold(-1, two_n, params.hop_size) * params.window_tensor(signal.dtype)
    odd_bins = call_native(ops.rfft, frames.contiguous(), 2 * two_n)[..., 1:2 * n:2]
    coefficients = (odd_bins * _twiddle(n, signal.dtype)).real
    return coefficients.transpose(-1, -2).contiguous()


def imdct(coefficients, params: MdctParams, original_length: int | None = None,
          dtype: str | None = None) -> torch.Tensor:
    """The signal back from :func:`mdct` coefficients ``(..., N, n_frames)``, by windowed overlap-add.

    Returns:
        shape ``(..., hop * n_frames + window_size - hop)``, truncated to ``original_length`` if given.

    Raises:
        InvalidInputError: the coefficients' rows differ from ``params.n_coefficients``, or are not finite.
    """
    check_type("params", params, MdctParams)
    values = as_tensor(coefficients, "coefficients")
    values = values.to(resolve_dtype(dtype, values))
    n, two_n, hop = params.n_coefficients, params.window_size, params.hop_size
    if values.dim() < 2 or values.shape[-2] != n:
        raise InvalidInputError(f"coefficients must have shape (..., {n}, n_frames) for window_size {two_n}, "
                                f"got shape {tuple(values.shape)}")
    if not torch.isfinite(values).all():
        raise InvalidInputError("coefficients contains NaN or Inf")
    original_length = optional_positive_int("original_length", original_length)
    n_frames = values.shape[-1]
    batch = values.shape[:-2]
    length = hop * n_frames + two_n - hop
    if n_frames == 0:
        return values.new_zeros(*batch, 0)
    # (2/N) sum_k X[k] cos(pi/N (m + n0)(k + 1/2)) is 4 * irfft of the twiddled X placed on the odd bins.
    half = values.new_zeros(*batch, n_frames, two_n + 1, dtype=_complex(values.dtype))
    half[..., 1:2 * n:2] = values.transpose(-1, -2) * _twiddle(n, values.dtype).conj()
    frames = 4 * call_native(ops.irfft, half, 2 * two_n)[..., :two_n] * params.window_tensor(values.dtype)
    flat = frames.reshape(-1, n_frames, two_n).transpose(1, 2)
    signal = F.fold(flat, output_size=(1, length), kernel_size=(1, two_n), stride=(1, hop))
    signal = signal.reshape(*batch, length)
    return signal[..., :original_length] if original_length is not None else signal


def _twiddle(n: int, dtype: torch.dtype) -> torch.Tensor:
    """``exp(-i pi n0 (2k + 1) / (2N))`` with ``n0 = 1/2 + N/2``: the phase of the MDCT's time origin."""
    k = torch.arange(n, dtype=torch.float64)
    twiddle = torch.polar(torch.ones(n, dtype=torch.float64), -math.pi * (0.5 + n / 2) * (2 * k + 1) / (2 * n))
    return twiddle.to(_complex(dtype))


def _complex(dtype: torch.dtype) -> torch.dtype:
    return torch.complex64 if dtype == torch.float32 else torch.complex128
