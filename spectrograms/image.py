"""2-D FFT image helpers of the seed library: FFT convolution, radial frequency masks, edges, sharpening.

Each takes a real image ``(rows, cols)`` (or a batch ``(..., rows, cols)``, our superset) and works in the
2-D half spectrum of :func:`spectrograms.fft2d`, so the whole batch is one FFTW call each way. The
definitions are the seed library's, including its frequency mask: the mask is laid over the half
spectrum ``(rows, cols // 2 + 1)`` with the same wrap-around distance rule on both axes, and its radius
is ``cutoff_fraction * min(rows // 2, (cols // 2 + 1) // 2)`` bins.

``dtype``: ``"float64"``/``"float32"`` as in the seed library; ``None`` (default) keeps float32 data in
float32 and computes everything else in float64.
"""

from __future__ import annotations

import torch

from . import ops
from ._dtype import complex_of, resolve_dtype
from ._validate import bounded_float, call_native, finite_float, positive_int
from .errors import InvalidInputError
from .fft import as_complex, as_real
from .results import Fft2dResult

__all__ = [
    "gaussian_kernel_2d",
    "convolve_fft",
    "lowpass_filter",
    "highpass_filter",
    "bandpass_filter",
    "detect_edges_fft",
    "sharpen_fft",
    "Fft2dPlanner",
]

MAX_KERNEL_SIZE = 4095  # 128 MiB of float64
_EDGE_CUTOFF = 0.1  # the seed library's fixed high-pass cut-offs
_SHARPEN_CUTOFF = 0.2


def gaussian_kernel_2d(size: int, sigma: float, dtype: str | None = "float64") -> torch.Tensor:
    """A normalised ``(size, size)`` Gaussian kernel (sums to 1), centred on ``size // 2``.

    Raises:
        InvalidInputError: ``size`` not a positive odd integer, or ``sigma`` not finite and > 0.
    """
    size = positive_int("size", size)
    if size % 2 == 0:
        raise InvalidInputError(f"size must be a positive odd integer, got {size}")
    if size > MAX_KERNEL_SIZE:  # (size, size) float64: 10**6 asked for terabytes
        raise InvalidInputError(f"size must be at most {MAX_KERNEL_SIZE}, got {size}")
    sigma = finite_float("sigma", sigma)
    if sigma <= 0:
        raise InvalidInputError(f"sigma must be > 0, got {sigma}")
    offsets = torch.arange(size, dtype=torch.float64) - size // 2
    squared = offsets[:, None] ** 2 + offsets[None, :] ** 2
    # The centre is exp(0) = 1 whatever sigma is: written out, since 0 / (2 sigma^2) is 0/0 = NaN once
    # sigma^2 underflows (sigma=1e-200), where the kernel is the unit impulse it tends to.
    kernel = torch.where(squared == 0, torch.ones_like(squared), torch.exp(-squared / (2.0 * sigma * sigma)))
    return (kernel / kernel.sum()).to(resolve_dtype(dtype, torch.empty(0, dtype=torch.float64)))


def convolve_fft(image, kernel, dtype: str | None = None) -> torch.Tensor:
    """Circular convolution of ``image`` with ``kernel`` (centred on ``kernel.shape // 2``), same size.

    Raises:
        InvalidInputError: the kernel is larger than the image on either axis, or not 2-D.
    """
    values = _image(image, dtype)
    weights = as_real(kernel, name="kernel", min_dims=2).to(values.dtype)
    if weights.dim() != 2:
        raise InvalidInputError(f"kernel must be 2-D (rows, cols), got shape {tuple(weights.shape)}")
    rows, cols = values.shape[-2:]
    k_rows, k_cols = weights.shape
    if k_rows > rows or k_cols > cols:
        raise InvalidInputError(f"kernel shape {(k_rows, k_cols)} must not exceed the image's {(rows, cols)}")
    # The kernel's centre goes to (0, 0) and the rest wraps around, so the output is not shifted.
    padded = torch.zeros(rows, cols, dtype=values.dtype)
    row_index = (torch.arange(k_rows) - k_rows // 2) % rows
    col_index = (torch.arange(k_cols) - k_cols // 2) % cols
    padded[row_index[:, None], col_index[None, :]] = weights
    spectrum = call_native(ops.rfft2, values) * call_native(ops.rfft2, padded)
    return call_native(ops.irfft2, spectrum.contiguous(), cols)


def lowpass_filter(image, cutoff_fraction: float, dtype: str | None = None) -> torch.Tensor:
    """Keeps the frequencies within ``cutoff_fraction`` (0 to 1) of the mask radius (see the module)."""
    cutoff = bounded_float("cutoff_fraction", cutoff_fraction, 0.0, 1.0)
    return _masked(_image(image, dtype), lambda shape: _lowpass_mask(shape, cutoff))


def highpass_filter(image, cutoff_fraction: float, dtype: str | None = None) -> torch.Tensor:
    """Removes the frequencies within ``cutoff_fraction`` (0 to 1) of the mask radius."""
    cutoff = bounded_float("cutoff_fraction", cutoff_fraction, 0.0, 1.0)
    return _masked(_image(image, dtype), lambda shape: 1.0 - _lowpass_mask(shape, cutoff))


def bandpass_filter(image, low_cutoff: float, high_cutoff: float, dtype: str | None = None) -> torch.Tensor:
    """Keeps the frequencies between ``low_cutoff`` (excluded) and ``high_cutoff`` (included).

    Raises:
        InvalidInputError: a cut-off outside 0 to 1, or ``low_cutoff >= high_cutoff``.
    """
    low = bounded_float("low_cutoff", low_cutoff, 0.0, 1.0)
    high = bounded_float("high_cutoff", high_cutoff, 0.0, 1.0)
    if low >= high:
        raise InvalidInputError(f"high_cutoff ({high}) must be greater than low_cutoff ({low})")
    return _masked(_image(image, dtype), lambda shape: _lowpass_mask(shape, high) - _lowpass_mask(shape, low))


def detect_edges_fft(image, dtype: str | None = None) -> torch.Tensor:
    """Edges as the seed library defines them: a high-pass filter at cut-off 0.1."""
    return highpass_filter(image, _EDGE_CUTOFF, dtype)


def sharpen_fft(image, amount: float, dtype: str | None = None) -> torch.Tensor:
    """``image + amount * highpass_filter(image, 0.2)``; ``amount`` must be finite and >= 0."""
    amount = finite_float("amount", amount)
    if amount < 0:
        raise InvalidInputError(f"amount must be >= 0, got {amount}")
    values = _image(image, dtype)
    return values + amount * highpass_filter(values, _SHARPEN_CUTOFF)


class Fft2dPlanner:
    """The seed library's 2-D FFT planner: a fixed working precision for the planner's lifetime.

    FFTW plans are cached by the extension for every caller, so the planner only fixes the dtype; it is
    kept so that seed code runs unchanged.
    """

    def __init__(self, dtype: str = "float64"):
        self._dtype = resolve_dtype(dtype, torch.empty(0))

    @property
    def dtype(self) -> str:
        """``"float64"`` or ``"float32"``."""
        return "float32" if self._dtype == torch.float32 else "float64"

    def fft2d(self, data) -> Fft2dResult:
        values = as_real(data, name="data", min_dims=2).to(self._dtype)
        return Fft2dResult(call_native(ops.rfft2, values), tuple(values.shape[-2:]))

    def ifft2d(self, spectrum, output_ncols: int) -> torch.Tensor:
        if isinstance(spectrum, Fft2dResult):
            spectrum = spectrum.tensor
        values = as_complex(spectrum, name="spectrum", min_dims=2).to(complex_of(self._dtype))
        output_ncols = positive_int("output_ncols", output_ncols)
        if values.shape[-1] != output_ncols // 2 + 1:
            raise InvalidInputError(f"spectrum has {values.shape[-1]} columns; output_ncols={output_ncols} "
                                    f"needs {output_ncols // 2 + 1}")
        return call_native(ops.irfft2, values, output_ncols)

    def power_spectrum_2d(self, data) -> torch.Tensor:
        return self.fft2d(data).power()

    def magnitude_spectrum_2d(self, data) -> torch.Tensor:
        return self.fft2d(data).magnitude()

    def __repr__(self) -> str:
        return f"Fft2dPlanner(dtype={self.dtype!r})"


def _image(image, dtype) -> torch.Tensor:
    values = as_real(image, name="image", min_dims=2)
    return values.to(resolve_dtype(dtype, values)).contiguous()


def _lowpass_mask(shape: tuple[int, int], cutoff: float) -> torch.Tensor:
    """1 inside the radius on the half spectrum ``shape``, distances wrapped as the seed library does."""
    rows, cols = shape

    def wrapped(n: int) -> torch.Tensor:
        index = torch.arange(n, dtype=torch.float64)
        return torch.where(index <= n // 2, index, (index - n).abs())

    radius_squared = (min(rows // 2, cols // 2) * cutoff) ** 2
    distance_squared = wrapped(rows)[:, None] ** 2 + wrapped(cols)[None, :] ** 2
    return (distance_squared <= radius_squared).to(torch.float64)


def _masked(values: torch.Tensor, mask_of) -> torch.Tensor:
    spectrum = call_native(ops.rfft2, values)
    mask = mask_of(tuple(spectrum.shape[-2:])).to(values.dtype)
    return call_native(ops.irfft2, (spectrum * mask).contiguous(), values.shape[-1])

