"""Calling an op without its Python autograd layer when its input needs no gradient."""

from __future__ import annotations

import torch


def call_op(op, data: torch.Tensor, *args):
    """``op(data, *args)``, dispatched below the autograd key unless ``data`` needs a gradient.

    The ops' backward formulas are registered from Python (``torch.library.register_autograd``), so a
    call through the autograd key runs about 5 us of Python, holding the GIL, even when nothing needs
    a gradient: a tenth of a one-second clip's spectrogram, and time that two Python threads computing
    features would otherwise queue for. Gradients flow only to ``data`` (windows and filterbanks are
    fixed), so its ``requires_grad`` decides. While compiling, the op is traced as it is.
    """
    if (data.requires_grad and torch.is_grad_enabled()) or torch.compiler.is_compiling():
        return op(data, *args)
    with torch._C._AutoDispatchBelowAutograd():
        return op(data, *args)
