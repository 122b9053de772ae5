"""Calling the ops from Python with as few trips through the GIL as possible."""

from __future__ import annotations

import torch

from .._extension import _C

# hold(tensor) returns an object that keeps a C++ reference to the tensor while it lives, so that an op
# called through the dispatcher does not retake the GIL mid-call (spectrograms_ext/module.cpp says why).
hold = _C.hold


def direct_call_allowed(data: torch.Tensor) -> bool:
    """Whether a CPU kernel may be called directly (``spectrograms._C``) rather than through the
    dispatcher: an eager call on a plain CPU tensor that needs no gradient, with no dispatch or function
    mode, no tracing and no functorch transform active, since those need the dispatcher to see the call."""
    return (type(data) is torch.Tensor and data.is_cpu and not (data.requires_grad and torch.is_grad_enabled())
            and not torch.compiler.is_compiling() and not torch.jit.is_tracing()
            and not torch._C._len_torch_dispatch_stack()
            and not torch._C._are_functorch_transforms_active() and not torch._C._is_torch_function_mode_enabled())


def call_op(op, data: torch.Tensor, *args):
    """``op(data, *args)``, dispatched below the autograd key unless ``data`` needs a gradient.

    The ops' backward formulas are registered from Python (``torch.library.register_autograd``), so a
    call through the autograd key runs about 5 us of Python, holding the GIL, even when nothing needs
    a gradient: a tenth of a one-second clip's spectrogram. Gradients flow only to ``data`` (windows
    and filterbanks are fixed), so its ``requires_grad`` decides. While compiling, the op is traced as
    it is. ``data`` is held for the call (see ``hold``).
    """
    if (data.requires_grad and torch.is_grad_enabled()) or torch.compiler.is_compiling():
        return op(data, *args)
    reference = hold(data)  # noqa: F841  (released on return, with the GIL held)
    with torch._C._AutoDispatchBelowAutograd():
        return op(data, *args)
