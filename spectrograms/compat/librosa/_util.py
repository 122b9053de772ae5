"""What every librosa-compatible function shares: array in/out, librosa's error type, windows,
``util.normalize`` and the padding modes librosa hands to ``np.pad``."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch

from ...errors import InvalidInputError, InvalidTypeError


class ParameterError(InvalidInputError):
    """librosa's ``ParameterError``: a bad argument. Also a ``ValueError`` (librosa's is not) and a
    :class:`~spectrograms.errors.SpectrogramError`, so ``except ValueError`` code keeps working."""


# librosa.stft accepts these np.pad modes when centring; 'wrap', 'maximum', 'mean', 'median' and
# 'minimum' it refuses (its head and tail are padded from a prefix and a suffix, where those modes
# would give other numbers than padding the whole signal).
STFT_PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")
NP_PAD_MODES = STFT_PAD_MODES + ("wrap", "maximum", "mean", "median", "minimum")


def as_tensor(name: str, value, *, audio: bool = False, allow_complex: bool = False):
    """``(tensor, was_numpy)``: a torch tensor of ``value`` (sharing NumPy's memory where it can) and
    whether the caller gave something other than a tensor, so the result goes back as NumPy.

    Integer arrays are refused for audio (librosa: "Audio data must be floating-point"); float16
    is computed in float32 as the package's reliability rules ask.
    """
    was_numpy = not isinstance(value, torch.Tensor)
    if was_numpy:
        try:
            array = np.asarray(value)
        except Exception as error:  # ragged lists and other things NumPy cannot make an array of
            raise InvalidTypeError(f"{name} must be an array, got {type(value).__name__}: {error}") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise InvalidTypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
        if not array.flags.writeable or array.dtype.byteorder not in ("=", "|") or not array.flags.aligned:
            array = np.array(array, dtype=array.dtype.newbyteorder("="))
        tensor = torch.from_numpy(array) if array.dtype != np.float16 else torch.from_numpy(array.astype(np.float32))
    else:
        tensor = value
    if tensor.is_complex():
        if not allow_complex:
            raise ParameterError(f"{name} must be real-valued, got dtype {tensor.dtype}")
    elif not tensor.is_floating_point():
        if audio:
            raise ParameterError(f"{name}: audio data must be floating-point, got dtype {tensor.dtype}")
        tensor = tensor.to(torch.float64)
    if tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.to(torch.float32)
    if audio:
        if tensor.dim() == 0:
            raise ParameterError(f"{name}: audio data must be at least one-dimensional, got a scalar")
        if not bool(torch.isfinite(tensor).all()):
            raise ParameterError(f"{name}: audio buffer is not finite everywhere (NaN or Inf samples)")
    return tensor, was_numpy


def out(tensor: torch.Tensor, was_numpy: bool):
    """Hands a result back in the caller's kind: NumPy for NumPy (or list) input, else the tensor."""
    return tensor.detach().cpu().numpy() if was_numpy else tensor


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ParameterError(f"{name}={value} must be a positive integer")
    return int(value)


def real_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ParameterError(f"{name} must be finite, got {value}")
    return float(value)


def positive_number(name: str, value) -> float:
    value = real_number(name, value)
    if value <= 0:
        raise ParameterError(f"{name}={value} must be strictly positive")
    return value


def real_dtype_of(dtype: torch.dtype) -> torch.dtype:
    return {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)


def complex_dtype_of(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype in (torch.float64, torch.complex128) else torch.complex64


def torch_dtype(name: str, dtype) -> torch.dtype:
    """A NumPy or torch dtype (``np.float32``, ``'complex64'``, ``torch.float64``) as a torch dtype."""
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        numpy_dtype = np.dtype(dtype)
    except TypeError:
        raise InvalidTypeError(f"{name} must be a NumPy or torch dtype, got {dtype!r}") from None
    mapping = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
               np.dtype(np.complex64): torch.complex64, np.dtype(np.complex128): torch.complex128}
    if numpy_dtype not in mapping:
        raise ParameterError(f"{name} must be float32, float64, complex64 or complex128, got {numpy_dtype}")
    return mapping[numpy_dtype]


def get_window(window, Nx: int, *, fftbins: bool = True) -> np.ndarray:
    """librosa.filters.get_window: a window of ``Nx`` samples as a float64 NumPy array.

    ``'hann'`` (the default everywhere) is computed here; other names, tuples and numbers go to
    ``scipy.signal.get_window`` exactly as librosa does (scipy is a librosa dependency); a callable
    is called with ``Nx``; an array of length ``Nx`` is used as it is.
    """
    Nx = positive_int("Nx", Nx)
    if callable(window):
        return np.asarray(window(Nx))
    if isinstance(window, str) and window == "hann":
        # periodic (fftbins=True) or symmetric Hann, as scipy's general_cosine computes it
        m = Nx + 1 if fftbins and Nx > 1 else Nx
        if m == 1:
            return np.ones(1)
        fac = np.linspace(-np.pi, np.pi, m)
        w = 0.5 + 0.5 * np.cos(fac)
        return w[:Nx]
    if isinstance(window, (str, tuple)) or np.isscalar(window):
        import scipy.signal

        try:
            return scipy.signal.get_window(window, Nx, fftbins=fftbins)
        except ValueError as error:
            raise ParameterError(f"window={window!r} is not a window scipy.signal.get_window knows: {error}") from None
    if isinstance(window, (np.ndarray, list, torch.Tensor)):
        array = np.asarray(window.detach().cpu() if isinstance(window, torch.Tensor) else window, dtype=np.float64)
        if array.shape != (Nx,):
            raise ParameterError(f"Window size mismatch: window has shape {array.shape}, expected ({Nx},)")
        return array
    raise ParameterError(f"Invalid window specification: {window!r} (a name, a tuple, a number, a callable or an array)")


def pad_center(data: np.ndarray, size: int) -> np.ndarray:
    """librosa.util.pad_center along the last axis: zeros split evenly, the extra one at the end."""
    n = data.shape[-1]
    if size < n:
        raise ParameterError(f"Target size ({size:d}) must be at least input size ({n:d})")
    lpad = (size - n) // 2
    return np.pad(data, [(0, 0)] * (data.ndim - 1) + [(lpad, size - n - lpad)])


def stft_window(window, win_length: int, n_fft: int, dtype: torch.dtype, device) -> torch.Tensor:
    """The analysis window of ``win_length`` samples, centred in ``n_fft`` (librosa's stft/istft)."""
    return torch.as_tensor(pad_center(get_window(window, win_length, fftbins=True), n_fft), dtype=dtype, device=device)


def normalize(S: torch.Tensor, norm, dim: int, threshold: float | None = None) -> torch.Tensor:
    """librosa.util.normalize with ``fill=None``: each slice along ``dim`` divided by its norm, slices
    whose norm is below ``threshold`` (default the dtype's smallest normal) left as they are.

    norm: None, ``np.inf``, ``-np.inf``, 0 (count of non-zeros) or a positive number (the p-norm).
    The norms are taken in float64 as librosa takes them (``np.abs(S).astype(float)``).
    """
    if norm is None:
        return S
    if isinstance(norm, bool) or not isinstance(norm, numbers.Real) or not (norm > 0 or norm == 0 or norm == -np.inf):
        raise ParameterError(f"Unsupported norm: {norm!r} (None, np.inf, -np.inf, 0 or a positive number)")
    if not bool(torch.isfinite(S).all()):
        raise ParameterError("Input must be finite (normalize)")
    if threshold is None:
        threshold = float(torch.finfo(real_dtype_of(S.dtype)).tiny)
    mag = S.abs().to(torch.float64)
    if norm == np.inf:
        length = mag.amax(dim=dim, keepdim=True)
    elif norm == -np.inf:
        length = mag.amin(dim=dim, keepdim=True)
    elif norm == 0:
        length = (mag > 0).sum(dim=dim, keepdim=True).to(torch.float64)
    else:
        length = (mag ** float(norm)).sum(dim=dim, keepdim=True) ** (1.0 / float(norm))
    length = torch.where(length < threshold, torch.ones_like(length), length)
    return (S / length).to(S.dtype)


def pad_signal(y: torch.Tensor, pad: int, mode: str) -> torch.Tensor:
    """``np.pad(y, (pad, pad), mode)`` along the last axis, for any of librosa's NumPy modes."""
    if pad == 0:
        return y
    if mode == "constant":
        return torch.nn.functional.pad(y, (pad, pad))
    if mode in ("edge", "wrap", "reflect") and (mode == "edge" or y.shape[-1] > pad):
        torch_mode = {"edge": "replicate", "wrap": "circular", "reflect": "reflect"}[mode]
        flat = y.reshape(-1, 1, y.shape[-1])
        return torch.nn.functional.pad(flat, (pad, pad), mode=torch_mode).reshape(*y.shape[:-1], -1)
    # The rest (and reflections longer than the signal) as NumPy pads: one call, not per frame.
    array = y.detach().cpu().numpy()
    padded = np.pad(array, [(0, 0)] * (array.ndim - 1) + [(pad, pad)], mode=mode)
    return torch.from_numpy(padded).to(y.device)


def check_pad_mode(pad_mode, allowed=STFT_PAD_MODES) -> str:
    if callable(pad_mode) or pad_mode not in allowed:
        raise ParameterError(f"pad_mode={pad_mode!r} is not supported; use one of {', '.join(map(repr, allowed))}")
    return pad_mode


def warn(message: str):
    warnings.warn(message, UserWarning, stacklevel=3)
