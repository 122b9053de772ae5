"""Checks shared by the parameter classes and entry points: each names the parameter, the value and
what is allowed."""

from __future__ import annotations

import math
import numbers

from .errors import InvalidInputError, InvalidTypeError


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise InvalidInputError(f"{name} must be a positive int, got {value}")
    return int(value)


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
    as the library's :class:`InvalidInputError` (the op's message names what is wrong)."""
    try:
        return op(*args, **kwargs)
    except ValueError as error:
        raise InvalidInputError(str(error)) from None
