"""Checks shared by the parameter classes and entry points: each names the parameter, the value and
what is allowed."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import torch

from .errors import InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_T = TypeVar("_T")


def positive_int(name: str, value: object) -> int:
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


def bounded_int(name: str, value: object, high: int) -> int:
    """A positive int at most ``high``."""
    checked = positive_int(name, value)
    if checked > high:
        raise InvalidInputError(f"{name} must be at most {high}, got {checked}")
    return checked


def bounded_float(name: str, value: object, low: float, high: float) -> float:
    """A finite float in ``[low, high]``."""
    checked = finite_float(name, value)
    if not low <= checked <= high:
        raise InvalidInputError(f"{name} must be in [{low:g}, {high:g}], got {checked:g}")
    return checked


def finite_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be finite, got {value}")
    return float(value)


def positive_float(name: str, value: object) -> float:
    checked = finite_float(name, value)
    if checked <= 0:
        raise InvalidInputError(f"{name} must be positive, got {checked}")
    return checked


def non_negative_float(name: str, value: object) -> float:
    checked = finite_float(name, value)
    if checked < 0:
        raise InvalidInputError(f"{name} must be >= 0, got {checked}")
    return checked


def one_of(name: str, value: _T, allowed: tuple[_T, ...]) -> _T:
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def optional_positive_int(name: str, value: object) -> int | None:
    """None, or ``value`` checked by :func:`positive_int`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be a positive int or None, got {type(value).__name__} {value!r}")
    return positive_int(name, value)


def check_type(name: str, value: object, expected: type[_T]) -> _T:
    """Refuses ``value`` unless it is an instance of ``expected``, naming the parameter."""
    if not isinstance(value, expected):
        raise InvalidTypeError(f"{name} must be a {expected.__name__}, got {type(value).__name__}")
    return value


def call_native(op: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
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


def real_array(name: str, values: object) -> npt.NDArray[np.float64]:
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


def finite_result(name: str, result: npt.NDArray[np.float64], what: str) -> npt.NDArray[np.float64]:
    """Refuses a conversion whose result left float64's range (``what`` says which input values do)."""
    import numpy as np

    if not np.isfinite(result).all():
        raise InvalidInputError(f"{name} out of range: {what}")
    return result


def torch_dtype(name: str, value, *, floating: bool = True) -> torch.dtype:
    """A ``torch.dtype`` (a floating one unless ``floating=False``); torch itself reads an int here as
    a device index or a scalar-type code and fails far away with a message naming neither."""
    if not isinstance(value, torch.dtype):
        raise InvalidTypeError(f"{name} must be a torch.dtype (e.g. torch.float32), got {type(value).__name__} {value!r}")
    if floating and not value.is_floating_point:
        raise InvalidInputError(f"{name} must be a floating torch.dtype (float16/bfloat16/float32/float64), got {value}")
    return value


def torch_device(name: str, value) -> torch.device:
    """A device given as a ``torch.device``, a string ("cpu", "cuda:0") or a CUDA index that exists on
    this machine; torch refuses the others (a float, a negative index, a CUDA device without a driver)
    with a RuntimeError/TypeError that names no parameter."""
    if isinstance(value, bool) or not isinstance(value, (torch.device, str, numbers.Integral)):
        raise InvalidTypeError(f"{name} must be a torch.device, a device string or a CUDA index, "
                               f"got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral) and not 0 <= value < 2**31:
        raise InvalidInputError(f"{name} as a CUDA index must be in [0, 2**31), got {value}")
    try:
        device = torch.device("cuda", int(value)) if isinstance(value, numbers.Integral) else torch.device(value)
    except (RuntimeError, ValueError, TypeError, OverflowError) as error:
        raise InvalidInputError(f"{name} is not a device torch knows: {value!r} ({str(error).splitlines()[0]})") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        available = torch.cuda.device_count() if torch.cuda.is_available() else 0
        raise InvalidInputError(f"{name}={value!r}: this machine has {available} CUDA device(s)")
    if device.type not in ("cpu", "cuda", "meta", "mps", "xpu"):
        raise InvalidInputError(f"{name} must be a cpu or cuda device, got {value!r}")
    return device


# Elements of one array whose size parameters (not the signal) decide: far above any audio feature's
# filterbank, kernel or mask (a 1-hour clip's (80, 360000) fbank is 3e7) and small enough (2 GiB in
# float64) that the few temporaries built alongside fit, so a typo in a size costs an error message
# instead of the machine's memory.
MAX_ELEMENTS = 2**28


def allocation(names: str, *shape: int) -> None:
    """Refuses an array of ``shape`` (which the parameters in ``names`` determine) above
    :data:`MAX_ELEMENTS`, before it is allocated. Not checked while compiling: the sizes are symbolic
    there, and the eager call has checked them."""
    if torch.compiler.is_compiling():
        return
    total = 1
    for size in shape:
        total *= max(int(size), 0)
    if total > MAX_ELEMENTS:
        raise InvalidInputError(f"{names} would make the library allocate an array of shape {tuple(shape)} "
                                f"({total:.3g} elements, at most {MAX_ELEMENTS} allowed); use smaller sizes")


def sequence(name: str, value, item_type: type | tuple = object, *, allow_empty: bool = True) -> list:
    """``value`` as a list, refused unless it is a list/tuple (or other non-string iterable) whose
    items are ``item_type``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InvalidTypeError(f"{name} must be a sequence, got {type(value).__name__} {value!r:.80}")
    items = list(value)
    if not allow_empty and not items:
        raise InvalidInputError(f"{name} must not be empty")
    for index, item in enumerate(items):
        if not isinstance(item, item_type):
            expected = getattr(item_type, "__name__", None) or " or ".join(t.__name__ for t in item_type)
            raise InvalidTypeError(f"{name}[{index}] must be a {expected}, got {type(item).__name__}")
    return items


def unknown_enum_value(enum_type, value):
    """What an Enum's ``_missing_`` raises: the value refused by name with the members allowed (Python's
    own is a plain ValueError "None is not a valid MelScale")."""
    allowed = ", ".join(repr(member.value) for member in enum_type)
    raise InvalidInputError(f"{enum_type.__name__} value must be one of {allowed}; got {value!r:.80}")


def path_like(name: str, value):
    """``value`` as a ``pathlib.Path``, refused unless it is a str or an ``os.PathLike``."""
    import os
    from pathlib import Path

    if not isinstance(value, (str, os.PathLike)) or (isinstance(value, str) and not value):
        raise InvalidTypeError(f"{name} must be a path (a non-empty str or os.PathLike), got {type(value).__name__} "
                               f"{value!r:.80}")
    return Path(value)
