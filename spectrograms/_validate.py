"""Checks shared by the parameter classes and entry points: each names the parameter, the value and
what is allowed."""

from __future__ import annotations

import math
import numbers

import torch

from .errors import InvalidInputError, InvalidTypeError


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise InvalidInputError(f"{name} must be a positive int, got {value}")
    return int(value)


# Size limits, checked before anything is allocated so that a typo costs an error message rather
# than gigabytes: each is far above what audio features use (n_fft 400..8192, hops of 10 ms, 40..512
# bands) and below where memory or the native ops' int64 arithmetic would give out.
MAX_N_FFT = 2**24
MAX_HOP = 2**31 - 1
MAX_BANDS = 16384
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1e-3, 1e9


def bounded_int(name: str, value, high: int) -> int:
    """A positive int at most ``high``."""
    value = positive_int(name, value)
    if value > high:
        raise InvalidInputError(f"{name} must be at most {high}, got {value}")
    return value


def bounded_float(name: str, value, low: float, high: float) -> float:
    """A finite float in ``[low, high]``."""
    value = finite_float(name, value)
    if not low <= value <= high:
        raise InvalidInputError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")
    return value


def finite_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be finite, got {value}")
    return float(value)


def positive_float(name: str, value) -> float:
    value = finite_float(name, value)
    if value <= 0:
        raise InvalidInputError(f"{name} must be positive, got {value}")
    return value


def non_negative_float(name: str, value) -> float:
    value = finite_float(name, value)
    if value < 0:
        raise InvalidInputError(f"{name} must be >= 0, got {value}")
    return value


def one_of(name: str, value, allowed: tuple):
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def optional_positive_int(name: str, value) -> int | None:
    """None, or ``value`` checked by :func:`positive_int`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be a positive int or None, got {type(value).__name__} {value!r}")
    return positive_int(name, value)


def check_type(name: str, value, expected: type):
    """Refuses ``value`` unless it is an instance of ``expected``, naming the parameter."""
    if not isinstance(value, expected):
        raise InvalidTypeError(f"{name} must be a {expected.__name__}, got {type(value).__name__}")
    return value


def call_native(op, *args, **kwargs):
    """Calls a native op, reporting the ValueError it raises for NaN/Inf input or impossible sizes
    as the library's :class:`InvalidInputError` (the op's message names what is wrong).

    While compiling, the op is called as it is: its fake kernel raises nothing to translate, and the
    compiled graph should not carry an exception handler around it.
    """
    if torch.compiler.is_compiling():
        return op(*args, **kwargs)
    try:
        return op(*args, **kwargs)
    except ValueError as error:
        raise InvalidInputError(str(error)) from None


def check_unread_samples_finite(signal: torch.Tensor, n_fft: int, hop_length: int, center: bool) -> None:
    """Refuses NaN/Inf in samples that no frame reads, which the native kernel never sees: a signal
    is either clean or refused, whatever the framing."""
    from .ops._frames import unread_samples

    if torch.compiler.is_compiling():
        return
    unread = unread_samples(signal.shape[-1], n_fft, hop_length, center)
    if unread is not None and not bool(torch.isfinite(signal[..., unread]).all()):
        raise InvalidInputError(
            "the signal contains NaN or Inf samples (in samples no frame reads); clean it, e.g. with "
            "torch.nan_to_num, before computing"
        )


def real_array(name: str, values):
    """``values`` (a number or an array-like of them) as a finite float64 NumPy array."""
    import numpy as np

    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise InvalidTypeError(f"{name} must be real numbers, got {type(values).__name__} of dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{name} must be finite, got {np.count_nonzero(~np.isfinite(array))} NaN/Inf value(s)")
    return array


def finite_result(name: str, result, what: str):
    """Refuses a conversion whose result left float64's range (``what`` says which input values do)."""
    import numpy as np

    if not np.isfinite(result).all():
        raise InvalidInputError(f"{name} out of range: {what}")
    return result
