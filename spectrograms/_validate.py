"""Checks shared by the parameter classes: each names the parameter, the value and what is allowed."""

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
