"""ONNX translation of the native ops: decompositions that ``torch.onnx.export(..., dynamo=True)`` applies.

The ONNX exporter captures the model with ``torch.export`` (where the ``spectrograms::*`` ops stay
whole, through their fake kernels), then decomposes every op it has no ONNX function for with the
decompositions registered in ``torch._decomp``. Registering :func:`portable_spectrogram` there for
``spectrograms::spectrogram`` makes every call site of the op exportable (the spectral layers, the
Whisper front-end, the spectral centroid, ...) with a plain ``torch.onnx.export`` and no argument from
the user. ``torch.export``'s and Inductor's default decompositions are explicit lists of aten ops, so
``torch.compile``, ``torch.export`` and AOTInductor keep the fused op (Inductor through the explicit
fallback that the op's fake kernel registers, see ``spectrograms/ops/spectrogram.py``); but the fake-tensor mode
prefers a registered decomposition to an op's fake kernel when shapes are symbolic, unless the op
has a meta entry, so the op's fake kernel is entered in ``torch._decomp.meta_table`` too: traced with
dynamic shapes, the op's output shape comes from its own fake kernel (one symbolic frame count, no
guards from this module's reshapes), as without this module.

Not translated: ``spectrograms::stft`` / ``istft`` (complex tensors, which onnxruntime's CPU kernels
do not take) and the FFT ops.
"""

from __future__ import annotations

import torch
from torch._decomp import meta_table, register_decomposition
from torch._library.simple_registry import singleton as _fake_registry

from .. import ops as _ops  # noqa: F401  (registers the spectrograms::* schemas this module decomposes)
from .portable import dense_from_csr, portable_spectrogram


@register_decomposition(torch.ops.spectrograms.spectrogram.default)
def _spectrogram_for_onnx(signal: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, center: bool,
                          pad_mode: str, power: float, fb_crow: torch.Tensor | None, fb_col: torch.Tensor | None,
                          fb_val: torch.Tensor | None, floor_db: float | None) -> torch.Tensor:
    dense = None if fb_val is None else dense_from_csr(fb_crow, fb_col, fb_val, n_fft // 2 + 1)
    return portable_spectrogram(signal, window, n_fft, hop_length, center, pad_mode, power, dense, floor_db)


# See the module docstring: keeps dynamic-shape tracing outside ONNX on the op's own fake kernel.
meta_table[torch.ops.spectrograms.spectrogram.default] = _fake_registry.find("spectrograms::spectrogram").fake_impl.kernel
