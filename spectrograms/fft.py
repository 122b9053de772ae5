"""The FFT family on FFTW: 1-D transforms of real input along the last axis, with the seed library's
names (``compute_fft`` the half spectrum, ``compute_rfft`` its magnitude, ``compute_irfft`` the inverse),
and 2-D transforms of real data in the real-input layout ``(rows, cols // 2 + 1)``, as NumPy's.

Input is any real NumPy array, torch tensor or nested list (complex input for the inverses);
integers are transformed as numbers, as NumPy does (not scaled as PCM audio). float32 input computes
in float32 (complex64 spectra), everything else in float64 (complex128). Results are torch tensors
(``.numpy()`` is a zero-copy view), except :func:`fft2d`, which returns an :class:`Fft2dResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, Union

import numpy.typing as npt
import torch

from . import ops
from ._extension import _C
from ._dtype import complex_of, resolve_dtype
from ._validate import allocation, call_native, check_type, optional_positive_int
from .errors import InvalidInputError
from .inputs import as_tensor
from .params import WindowType
from .results import Fft2dResult, magnitude_of, power_of

__all__ = [
    "compute_fft",
    "compute_rfft",
    "compute_irfft",
    "compute_power_spectrum",
    "compute_magnitude_spectrum",
    "fft2d",
    "ifft2d",
    "power_spectrum_2d",
    "magnitude_spectrum_2d",
    "clear_fft_plan_cache",
    "fft_plan_cache_info",
]

_MAX_DIMS = 8

#: What the FFT functions take: a tensor, or anything NumPy makes an array of (nested lists, complex included).
TensorLike: TypeAlias = Union[torch.Tensor, npt.ArrayLike]


def compute_fft(samples: TensorLike, n_fft: int | None = None, dtype: str | None = None) -> torch.Tensor:
    """The non-negative-frequency half of the spectrum of real input along its last axis, as the seed
    library's ``compute_fft`` (and ``numpy.fft.rfft(samples, n_fft)``).

    Args:
        samples: real, shape ``(..., n)``.
        n_fft: transform length (default ``n``); the input is zero-padded to it (the seed refuses a
            longer input, here it is truncated as NumPy does).
        dtype: ``"float32"`` or ``"float64"`` to compute in; None keeps float32 input in float32.

    Returns:
        complex64 (float32) or complex128, shape ``(..., n_fft // 2 + 1)``.
    """
    return _transform(ops.rfft, samples, n_fft, dtype)


def compute_rfft(samples: TensorLike, n_fft: int | None = None, dtype: str | None = None) -> torch.Tensor:
    """The magnitude ``|X[k]|`` of the non-negative-frequency half spectrum, as the seed library's
    ``compute_rfft`` (``numpy.abs(numpy.fft.rfft(samples, n_fft))``).

    Args:
        samples, n_fft, dtype: as :func:`compute_fft`.

    Returns:
        float32 or float64, shape ``(..., n_fft // 2 + 1)``.
    """
    return magnitude_of(compute_fft(samples, n_fft, dtype))


def compute_irfft(spectrum: TensorLike, n_fft: int | None = None, dtype: str | None = None) -> torch.Tensor:
    """The real signal of a half spectrum, as the seed's ``compute_irfft`` and
    ``numpy.fft.irfft(spectrum, n_fft)`` (scaled by ``1 / n_fft``).

    Args:
        spectrum: complex (or real), shape ``(..., m)``.
        n_fft: output length (default ``2 * (m - 1)``); the first ``n_fft // 2 + 1`` bins are used,
            zero-padded if there are fewer. The imaginary parts of DC and (even ``n_fft``) Nyquist are ignored.
        dtype: ``"float32"`` or ``"float64"`` for the result; None follows the spectrum (complex64 gives float32).

    Returns:
        float32 or float64, shape ``(..., n_fft)``.
    """
    values = as_complex(spectrum, name="spectrum", min_dims=1, max_dims=_MAX_DIMS)
    if dtype is not None:
        values = values.to(complex_of(resolve_dtype(dtype, values)))
    if n_fft is None and values.shape[-1] < 2:
        raise InvalidInputError(f"n_fft must be given for a spectrum of {values.shape[-1]} bin(s): the default "
                                "2 * (m - 1) would be 0")
    return call_native(ops.irfft, values, optional_positive_int("n_fft", n_fft))


def compute_power_spectrum(samples: TensorLike, n_fft: int | None = None, window: WindowType | None = None,
                           dtype: str | None = None) -> torch.Tensor:
    """``|rfft(samples * window, n_fft)|^2``, real, shape ``(..., n_fft // 2 + 1)``.

    Args:
        samples: real, shape ``(..., n)``; truncated or zero-padded to ``n_fft`` (default ``n``).
        window: applied to the ``n_fft`` padded samples (the seed library's form); default none.
        dtype: ``"float32"`` or ``"float64"`` to compute in; None keeps float32 input in float32.

    Raises:
        InvalidInputError: a power beyond the float range (float32 samples above about 1e19 / sqrt(n)).
    """
    return power_of(_windowed_rfft(samples, n_fft, window, dtype))


def compute_magnitude_spectrum(samples: TensorLike, n_fft: int | None = None, window: WindowType | None = None,
                               dtype: str | None = None) -> torch.Tensor:
    """``|rfft(samples * window, n_fft)|``, real, shape ``(..., n_fft // 2 + 1)``; arguments as
    :func:`compute_power_spectrum`."""
    return magnitude_of(_windowed_rfft(samples, n_fft, window, dtype))


def _windowed_rfft(samples: TensorLike, n_fft: int | None, window: WindowType | None,
                   dtype: str | None) -> torch.Tensor:
    if window is None:
        return compute_fft(samples, n_fft, dtype)
    values = as_real(samples, name="samples", min_dims=1)
    values = values.to(resolve_dtype(dtype, values))
    checked = optional_positive_int("n_fft", n_fft)
    size = values.shape[-1] if checked is None else checked
    values = torch.nn.functional.pad(values[..., :size], (0, max(0, size - values.shape[-1])))
    values = values * check_type("window", window, WindowType).coefficients(size, values.dtype)
    return compute_fft(values, size)


def clear_fft_plan_cache() -> None:
    """Drops every cached FFTW plan, freeing its memory; plans are made again on next use.

    The cache is bounded anyway (see :func:`fft_plan_cache_info`), so this is for benchmarks (cold
    against warm) and for giving memory back at once. Thread-safe: a plan that a running call is
    using is freed when that call ends.
    """
    _C.clear_fft_plan_cache()


def fft_plan_cache_info() -> tuple[int, int]:
    """``(forward_plans, inverse_plans)``: the FFTW plans (real-to-complex, complex-to-real) cached now.

    The cache is least-recently-used, bounded to 256 plans and an estimated 32 MiB (FFTW's tables take
    about two complex values per transform point), so transforms of ever new lengths, as whole-clip
    FFTs of variable-length recordings are, keep memory flat. A transform too large for the byte
    budget is planned for its call and not kept.
    """
    forward, inverse, *_ = _C.fft_plan_cache_info()
    return forward, inverse


def fft2d(data: TensorLike) -> Fft2dResult:
    """The 2-D FFT of real data over its last two axes, as ``numpy.fft.rfft2(data)``.

    Args:
        data: real, shape ``(rows, cols)`` or ``(..., rows, cols)``.

    Returns:
        An :class:`Fft2dResult` of shape ``(..., rows, cols // 2 + 1)``, complex64 for float32 data and
        complex128 otherwise.
    """
    values = as_real(data, name="data", min_dims=2)
    return Fft2dResult(call_native(ops.rfft2, values), (values.shape[-2], values.shape[-1]))


def ifft2d(spectrum: Fft2dResult | TensorLike, output_ncols: int | None = None) -> torch.Tensor:
    """Real data from its 2-D half spectrum, as ``numpy.fft.irfft2(spectrum, s=(rows, output_ncols))``.

    Args:
        spectrum: an :class:`Fft2dResult`, or complex of shape ``(..., rows, m)``.
        output_ncols: columns of the result; default the Fft2dResult's own, and required for arrays
            (``m`` bins fit both ``2 * (m - 1)`` and ``2 * m - 1`` columns). Spectrum columns past
            ``output_ncols // 2 + 1`` are dropped, missing ones count as zeros.

    Returns:
        float32 (complex64 input) or float64, shape ``(..., rows, output_ncols)``.
    """
    if isinstance(spectrum, Fft2dResult):
        output_ncols = spectrum.n_cols if output_ncols is None else output_ncols
        spectrum = spectrum.tensor
    elif output_ncols is None:
        raise InvalidInputError("output_ncols is required for a spectrum given as an array (an Fft2dResult "
                                "carries its own)")
    values = as_complex(spectrum, name="spectrum", min_dims=2, max_dims=_MAX_DIMS)
    return call_native(ops.irfft2, values, optional_positive_int("output_ncols", output_ncols))


def power_spectrum_2d(data: TensorLike) -> torch.Tensor:
    """``|fft2d(data)|^2``, real, shape ``(..., rows, cols // 2 + 1)``."""
    return fft2d(data).power()


def magnitude_spectrum_2d(data: TensorLike) -> torch.Tensor:
    """``|fft2d(data)|``, real, shape ``(..., rows, cols // 2 + 1)``."""
    return fft2d(data).magnitude()


def as_real(values: object, *, name: str, min_dims: int = 1) -> torch.Tensor:
    """``values`` as a contiguous float32 or float64 tensor of ``min_dims`` to 8 dims with no empty axis.

    float32 stays float32; float16 and bfloat16 become float32; float64 and integers become float64.

    Raises:
        InvalidTypeError: not an array, tensor or sequence of numbers; complex or boolean data.
        InvalidInputError: too few or too many dims, or an empty axis.
    """
    tensor = as_tensor(values, name)
    if tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.float()
    elif tensor.dtype != torch.float32:
        tensor = tensor.to(torch.float64)
    return _check_shape(tensor, name, min_dims, _MAX_DIMS).contiguous()


def as_complex(values: object, *, name: str, min_dims: int = 1, max_dims: int = _MAX_DIMS) -> torch.Tensor:
    """``values`` as a contiguous complex64 or complex128 tensor of ``min_dims`` to ``max_dims`` dims.

    complex64 (and float32) give complex64; everything else numeric gives complex128.

    Raises:
        InvalidTypeError: not an array, tensor or sequence of numbers; boolean data.
        InvalidInputError: too few or too many dims, or an empty axis.
    """
    tensor = as_tensor(values, name, allow_complex=True)
    if tensor.dtype in (torch.complex64, torch.complex32, torch.float32, torch.float16, torch.bfloat16):
        tensor = tensor.to(torch.complex64)
    else:
        tensor = tensor.to(torch.complex128)
    return _check_shape(tensor, name, min_dims, max_dims).contiguous()


def _check_shape(tensor: torch.Tensor, name: str, min_dims: int, max_dims: int) -> torch.Tensor:
    if not min_dims <= tensor.dim() <= max_dims:
        axes = "(..., n)" if min_dims == 1 else "(..., rows, cols)"
        raise InvalidInputError(f"{name} must have shape {axes} with {min_dims} to {max_dims} dims, "
                                f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise InvalidInputError(f"{name} is empty (shape {tuple(tensor.shape)})")
    return tensor


def _transform(op: Callable[[torch.Tensor, int | None], torch.Tensor], samples: TensorLike, n_fft: int | None,
               dtype: str | None = None) -> torch.Tensor:
    values = as_real(samples, name="samples", min_dims=1)
    values = values.to(resolve_dtype(dtype, values))
    size = optional_positive_int("n_fft", n_fft)
    if size is not None and size > values.shape[-1]:
        # Zero-padding beyond the signal is what can ask for any size (FFTW aborts the process when its
        # own allocation fails): bounded before the op, while a transform no longer than the signal is not.
        allocation("n_fft", values[..., 0].numel(), size)
    return call_native(op, values, size)
