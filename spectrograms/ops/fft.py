"""The FFT family ops (spectrograms_ext/fft.cpp): NumPy's ``rfft``, ``fft`` of real input, ``irfft``,
``rfft2`` and ``irfft2`` on FFTW, with NumPy's truncation, zero-padding and ``1 / n`` inverse scaling.
"""

from __future__ import annotations

import torch

from ._dispatch import call_op

_COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}
_REAL = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def rfft(signal: torch.Tensor, n: int | None = None, *, onesided: bool = True) -> torch.Tensor:
    """FFT of real input along the last dim, as ``numpy.fft.rfft(signal, n)``.

    Args:
        signal: float32 or float64, shape ``(..., N)``.
        n: transform length (default ``N``); the signal is truncated or zero-padded to it.
        onesided: return the ``n // 2 + 1`` non-negative frequencies; if False, all ``n`` frequencies
            (the upper half by Hermitian symmetry), as ``numpy.fft.fft(signal, n)``.

    Returns:
        complex64 (complex128 for float64), shape ``(..., n // 2 + 1)`` or ``(..., n)``.
    """
    return call_op(torch.ops.spectrograms.rfft.default, signal, n, onesided)


def irfft(spectrum: torch.Tensor, n: int | None = None) -> torch.Tensor:
    """Inverse of :func:`rfft` along the last dim, as ``numpy.fft.irfft(spectrum, n)``.

    Args:
        spectrum: complex64 or complex128, shape ``(..., m)``.
        n: output length (default ``2 * (m - 1)``); the first ``n // 2 + 1`` bins are used,
            zero-padded if there are fewer. The imaginary parts of DC and (even ``n``) Nyquist are ignored.

    Returns:
        float32 or float64, shape ``(..., n)``, scaled by ``1 / n``.
    """
    return call_op(torch.ops.spectrograms.irfft.default, spectrum, n)


def rfft2(data: torch.Tensor) -> torch.Tensor:
    """2-D FFT of real input over the last two dims, as ``numpy.fft.rfft2(data)``.

    Args:
        data: float32 or float64, shape ``(..., rows, cols)``.

    Returns:
        complex64 or complex128, shape ``(..., rows, cols // 2 + 1)``.
    """
    return call_op(torch.ops.spectrograms.rfft2.default, data)


def irfft2(spectrum: torch.Tensor, ncols: int) -> torch.Tensor:
    """Inverse of :func:`rfft2`, as ``numpy.fft.irfft2(spectrum, s=(rows, ncols))``.

    Args:
        spectrum: complex64 or complex128, shape ``(..., rows, m)``; columns past ``ncols // 2 + 1``
            are dropped, missing ones are zeros.
        ncols: columns of the real output.

    Returns:
        float32 or float64, shape ``(..., rows, ncols)``, scaled by ``1 / (rows * ncols)``.
    """
    return call_op(torch.ops.spectrograms.irfft2.default, spectrum, ncols)


@torch.library.register_fake("spectrograms::rfft")
def _(signal, n, onesided):
    size = signal.shape[-1] if n is None else n
    return signal.new_empty((*signal.shape[:-1], size // 2 + 1 if onesided else size),
                            dtype=_COMPLEX[signal.dtype])


@torch.library.register_fake("spectrograms::irfft")
def _(spectrum, n):
    size = 2 * (spectrum.shape[-1] - 1) if n is None else n
    return spectrum.new_empty((*spectrum.shape[:-1], size), dtype=_REAL[spectrum.dtype])


@torch.library.register_fake("spectrograms::rfft2")
def _(data):
    return data.new_empty((*data.shape[:-1], data.shape[-1] // 2 + 1), dtype=_COMPLEX[data.dtype])


@torch.library.register_fake("spectrograms::irfft2")
def _(spectrum, ncols):
    return spectrum.new_empty((*spectrum.shape[:-1], ncols), dtype=_REAL[spectrum.dtype])


# Autograd. Every op here is linear, so each backward applies the adjoint, written with torch.fft
# (ATen) so that double backward and other devices work too. For a real-to-complex map y = A x the
# gradient is Re(A^H g); for the complex-to-real inverses it is the forward transform of g with the
# bins that appear twice in a Hermitian spectrum (all but DC and Nyquist) counted twice.


def _fit_last(tensor: torch.Tensor, size: int) -> torch.Tensor:
    """Truncates or zero-pads the last dim to ``size``."""
    if tensor.shape[-1] >= size:
        return tensor[..., :size]
    return torch.nn.functional.pad(tensor, (0, size - tensor.shape[-1]))


def _hermitian_weights(n: int, n_bins: int, dtype: torch.dtype, device) -> torch.Tensor:
    """1 for DC and (even n) Nyquist, 2 for the bins that stand for a conjugate pair."""
    weights = torch.full((n_bins,), 2.0, dtype=dtype, device=device)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    return weights


def _setup_rfft(ctx, inputs, output):
    signal, n, onesided = inputs
    ctx.n_in, ctx.n, ctx.onesided = signal.shape[-1], (signal.shape[-1] if n is None else n), onesided


def _rfft_backward(ctx, grad):
    full = _fit_last(grad, ctx.n) if ctx.onesided else grad
    return _fit_last(torch.fft.ifft(full, dim=-1).real * ctx.n, ctx.n_in), None, None


def _setup_irfft(ctx, inputs, output):
    spectrum, n = inputs
    ctx.m, ctx.n = spectrum.shape[-1], output.shape[-1]


def _irfft_backward(ctx, grad):
    bins = torch.fft.rfft(grad, dim=-1) / ctx.n
    bins = bins * _hermitian_weights(ctx.n, bins.shape[-1], grad.dtype, grad.device)
    return _fit_last(bins, ctx.m), None


def _setup_rfft2(ctx, inputs, output):
    ctx.cols = inputs[0].shape[-1]


def _rfft2_backward(ctx, grad):
    rows, cols = grad.shape[-2], ctx.cols
    return torch.fft.ifft2(_fit_last(grad, cols)).real * (rows * cols)


def _setup_irfft2(ctx, inputs, output):
    spectrum, ncols = inputs
    ctx.m, ctx.ncols = spectrum.shape[-1], ncols


def _irfft2_backward(ctx, grad):
    rows, ncols = grad.shape[-2], ctx.ncols
    bins = torch.fft.rfft2(grad) / (rows * ncols)
    bins = bins * _hermitian_weights(ncols, bins.shape[-1], grad.dtype, grad.device)
    return _fit_last(bins, ctx.m), None


torch.library.register_autograd("spectrograms::rfft", _rfft_backward, setup_context=_setup_rfft)
torch.library.register_autograd("spectrograms::irfft", _irfft_backward, setup_context=_setup_irfft)
torch.library.register_autograd("spectrograms::rfft2", _rfft2_backward, setup_context=_setup_rfft2)
torch.library.register_autograd("spectrograms::irfft2", _irfft2_backward, setup_context=_setup_irfft2)


# --- The CUDA kernels ----------------------------------------------------------------------------
# The same ops written with torch.fft (cuFFT on CUDA), registered as the CUDA kernels; on CPU they
# are tested against the native FFTW kernels. They check what the C++ kernels check, with the same
# messages, and project the input onto what a real transform can carry, as the C++ kernels do.

NON_FINITE_MESSAGE = ("the input contains NaN or Inf values (or values so large that the transform overflows); "
                      "clean it, e.g. with torch.nan_to_num, first")


def _check_dtype(tensor: torch.Tensor, name: str, min_dims: int, kinds: dict):
    if tensor.dim() < min_dims:
        raise ValueError(f"{name} must have at least {min_dims} dimension(s), got shape {list(tensor.shape)}")
    if tensor.dtype not in kinds:
        wanted = " or ".join(str(dtype).replace("torch.", "") for dtype in kinds)
        raise ValueError(f"{name} must be {wanted}, got {tensor.dtype}")


def _check_finite(values: torch.Tensor) -> torch.Tensor:
    if values.numel() and not bool(torch.isfinite(values).all()):
        raise ValueError(NON_FINITE_MESSAGE)
    return values


def _hermitian_half(spectrum: torch.Tensor, n: int) -> torch.Tensor:
    """The first ``n // 2 + 1`` bins (zero-padded), imaginary parts of DC and (even n) Nyquist dropped."""
    half = _fit_last(spectrum, n // 2 + 1).clone()
    half[..., 0] = half[..., 0].real.to(half.dtype)
    if n % 2 == 0:
        half[..., -1] = half[..., -1].real.to(half.dtype)
    return half


def aten_rfft(signal: torch.Tensor, n: int | None, onesided: bool) -> torch.Tensor:
    _check_dtype(signal, "the signal", 1, _COMPLEX)
    size = signal.shape[-1] if n is None else n
    if size <= 0:
        raise ValueError(f"n must be positive, got {size}")
    transform = torch.fft.rfft if onesided else torch.fft.fft
    return _check_finite(transform(signal, n=size, dim=-1))


def aten_irfft(spectrum: torch.Tensor, n: int | None) -> torch.Tensor:
    _check_dtype(spectrum, "the spectrum", 1, _REAL)
    size = 2 * (spectrum.shape[-1] - 1) if n is None else n
    if size <= 0:
        raise ValueError(f"n must be positive, got {size}")
    return _check_finite(torch.fft.irfft(_hermitian_half(spectrum, size), n=size, dim=-1))


def aten_rfft2(data: torch.Tensor) -> torch.Tensor:
    _check_dtype(data, "data", 2, _COMPLEX)
    return _check_finite(torch.fft.rfft2(data))


def aten_irfft2(spectrum: torch.Tensor, ncols: int) -> torch.Tensor:
    _check_dtype(spectrum, "the spectrum", 2, _REAL)
    if ncols <= 0:
        raise ValueError(f"output_ncols must be positive, got {ncols}")
    half = _fit_last(spectrum, ncols // 2 + 1).clone()
    # Columns 0 and (even ncols) Nyquist keep their Hermitian part along the rows, as NumPy's irfft2 does.
    rows = half.shape[-2]
    mirror = (-torch.arange(rows, device=half.device)) % rows
    edges = [0] + ([half.shape[-1] - 1] if ncols % 2 == 0 else [])
    for c in edges:
        column = half[..., :, c]
        half[..., :, c] = (column + column[..., mirror].conj()) / 2
    return _check_finite(torch.fft.irfft2(half, s=(rows, ncols)))


torch.library.register_kernel("spectrograms::rfft", "cuda", aten_rfft)
torch.library.register_kernel("spectrograms::irfft", "cuda", aten_irfft)
torch.library.register_kernel("spectrograms::rfft2", "cuda", aten_rfft2)
torch.library.register_kernel("spectrograms::irfft2", "cuda", aten_irfft2)
