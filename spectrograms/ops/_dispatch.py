"""Calling the ops from Python with as few trips through the GIL as possible: the direct binding of
the spectrogram kernel and ``hold``. ``spectrograms_ext/module.cpp`` says why a call through
``torch.ops`` otherwise retakes the GIL once per input tensor, mid-call, where Python threads queue (a
uprobe on CPython's ``take_gil`` counted nine acquisitions per ``plan.compute`` before, two after).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import torch

from .._extension import _C
from ..errors import ArgumentTypeError, InvalidInputError, SpectrogramError

# hold(tensor): an object that keeps a C++ reference to the tensor while it lives, so that the op's
# own references come and go without the GIL.
hold = _C.hold

_R = TypeVar("_R")


def _needs_grad(tensors: Iterable[torch.Tensor]) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def direct_call_allowed(*tensors: torch.Tensor | None) -> bool:
    """Whether a CPU kernel may be called directly (``spectrograms._C``) rather than through the
    dispatcher with these tensor arguments (None for absent optional ones): plain, strided CPU tensors
    that need no gradient, in eager mode with no dispatch or function mode, tracing or functorch
    transform active, since those need the dispatcher to see the call."""
    given = [t for t in tensors if t is not None]
    # torch._C._is_tracing() is torch.jit.is_tracing() outside TorchScript, with the type torch.jit does not re-export.
    return (all(type(t) is torch.Tensor and t.is_cpu and t.layout == torch.strided for t in given)
            and not _needs_grad(given) and not torch.compiler.is_compiling() and not torch._C._is_tracing()
            and not torch._C._len_torch_dispatch_stack() and not torch._C._are_functorch_transforms_active()
            and not torch._C._is_torch_function_mode_enabled())


def call_op(op: Callable[..., _R], *args: object) -> _R:
    """``op(*args)``, dispatched below the autograd key when none of its tensor arguments needs a
    gradient, with each of them held for the call (see ``hold``).

    The ops' backward formulas are registered from Python (``torch.library.register_autograd``), so a
    call through the autograd key runs about 5 us of Python, holding the GIL, even when nothing needs
    a gradient: a tenth of a one-second clip's spectrogram. While compiling, the op is traced as it is.
    """
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if torch.compiler.is_compiling():
        return op(*args)
    try:
        if _needs_grad(tensors):
            return op(*args)
        references = [hold(t) for t in tensors]  # noqa: F841  (released on return, with the GIL held)
        with torch._C._AutoDispatchBelowAutograd():
            return op(*args)
    except (ValueError, RuntimeError) as error:
        translated = library_error(error)
        if translated is error:
            raise
        raise translated from error


def library_error(error: Exception) -> Exception:
    """The library's error for what a native kernel or the dispatcher raised (the README promises only
    ``SpectrogramError``s): TORCH_CHECK_VALUE messages name the argument and the
    value already, so they are kept as they are. Anything else (a kernel's internal failure) is
    returned unchanged."""
    if isinstance(error, SpectrogramError):
        return error
    if isinstance(error, ValueError):
        return InvalidInputError(str(error))
    if isinstance(error, RuntimeError) and "Expected a value of type" in str(error):
        return ArgumentTypeError(str(error))
    return error
