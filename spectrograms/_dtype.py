"""The seed library's ``dtype="float64" | "float32"`` keyword, shared by the functions that take it.

``None`` (our default) keeps float32 input in float32 and computes everything else in float64; the
seed library's own default, ``"float64"``, is one explicit choice away.
"""

from __future__ import annotations

import torch

from .errors import InvalidInputError

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def resolve_dtype(dtype: str | torch.dtype | None, values: torch.Tensor) -> torch.dtype:
    """The real compute dtype for ``values`` under the ``dtype`` keyword.

    Raises:
        InvalidInputError: ``dtype`` is not None, ``"float64"`` or ``"float32"``.
    """
    if dtype is None:
        real = values.real if values.is_complex() else values
        return torch.float32 if real.dtype in (torch.float32, torch.float16, torch.bfloat16) else torch.float64
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dtype
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise InvalidInputError(f"dtype must be 'float64', 'float32' or None, got {dtype!r}")
    return _DTYPES[dtype]


def complex_of(real: torch.dtype) -> torch.dtype:
    """complex64 for float32, complex128 for float64."""
    return torch.complex64 if real == torch.float32 else torch.complex128


def plan_dtype(dtype: str | None) -> torch.dtype | None:
    """The dtype a plan casts its input to under the ``dtype`` keyword: None (keep the input's),
    ``"float32"`` or ``"float64"``.

    Raises:
        InvalidInputError: any other value.
    """
    if dtype is None:
        return None
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise InvalidInputError(f"dtype must be 'float64', 'float32' or None (the input's), got {dtype!r}")
    return _DTYPES[dtype]
