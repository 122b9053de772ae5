"""The fused spectrogram op (spectrograms_ext/spectrogram.cpp)."""

from __future__ import annotations

import math
import sys

import torch

from . import _aten
from .._extension import _C
from ._dispatch import call_op, direct_call_allowed, library_error
from ._frames import n_frames


def spectrogram(
    signal: torch.Tensor,
    window: torch.Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    filterbank: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    floor_db: float | None = None,
) -> torch.Tensor:
    """Frames, windows, transforms and reduces a signal in one native pass.

    Args:
        signal: float32 or float64, shape ``(..., time)``.
        window: same dtype, shape ``(n_fft,)``.
        n_fft, hop_length: frame length and hop in samples.
        center: centre frame ``t`` on sample ``t * hop_length`` (pad ``n_fft // 2`` on both sides).
        pad_mode: ``"constant"`` or ``"reflect"`` padding for ``center``.
        power: 2 for power ``|X|^2``, 1 for magnitude ``|X|``.
        filterbank: optional CSR ``(crow_indices, col_indices, values)`` of an ``(n_bands, n_fft//2+1)``
            matrix applied to each frame.
        floor_db: if given, return ``10 log10(max(P, 10^(floor_db/10)))`` (20 log10 for magnitude).

    Returns:
        Shape ``(..., n_bands or n_fft // 2 + 1, n_frames)``, dtype of ``signal``.
    """
    crow, col, val = filterbank if filterbank is not None else (None, None, None)
    args = (signal, window, n_fft, hop_length, center, pad_mode, float(power), crow, col, val, floor_db)
    if direct_call_allowed(signal, window, crow, col, val):  # the same CPU kernel, one trip through the GIL
        try:
            return _C.spectrogram(*args)
        except TypeError:  # an argument pybind11 cannot convert: let the op report it as usual
            pass
        except ValueError as error:  # a TORCH_CHECK_VALUE of the kernel: the library's own error type
            raise library_error(error) from error
    return call_op(torch.ops.spectrograms.spectrogram.default, *args)


def _keep_fused_op_in_inductor() -> None:
    """Registers Inductor's fallback to the native op before Inductor creates it implicitly.

    The op has a decomposition in ``torch._decomp``'s global table (the ONNX route,
    :mod:`spectrograms.export.onnx`), and Inductor's implicit fallback refuses such an op when the
    ``CI`` environment variable is set (GitHub Actions sets it), failing ``torch.compile`` and
    AOTInductor of every model with our layers there. An explicit fallback says the fused kernel is
    wanted. Done here, in the fake kernel that Inductor's tracing runs, because Inductor's lowering
    module takes seconds to import: only a process that compiles pays for it.
    """
    lowering = sys.modules.get("torch._inductor.lowering")
    op = torch.ops.spectrograms.spectrogram.default
    if lowering is None or op in lowering.lowerings:
        return
    tag = torch._library.utils.get_layout_constraint_tag(op, with_default=True)
    lowering.make_fallback(op, layout_constraint=lowering.tag_to_layout_constraint(tag), override_decomp=True)


@torch.library.register_fake("spectrograms::spectrogram")
def _(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val, floor_db):
    _keep_fused_op_in_inductor()
    # The fake kernel also runs for a meta window beside a real signal; without this it would return
    # uninitialised memory there instead of the native kernel's error.
    torch._check_value(window.device == signal.device,
                       lambda: f"window is on {window.device}, the signal on {signal.device}")
    n_out = fb_crow.shape[0] - 1 if fb_crow is not None else n_fft // 2 + 1
    frames = n_frames(signal.shape[-1], n_fft, hop_length, center)
    return signal.new_empty((*signal.shape[:-1], n_out, frames))


# --- Autograd and the CUDA kernel -------------------------------------------------------------------


def _reference_spectrogram(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val,
                           floor_db):
    """The op written with ATen calls (``torch.stft``, i.e. cuFFT on CUDA, then torch ops), on any device.

    Same arguments, values, checks and error messages as the native kernel. Registered as the op's
    CUDA kernel; on CPU it is tested against the native FFTW kernel.
    """
    return _aten.spectrogram(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val,
                             floor_db)


torch.library.register_kernel("spectrograms::spectrogram", "cuda", _reference_spectrogram)


def _setup_context(ctx, inputs, output):
    signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val, floor_db = inputs
    ctx.save_for_backward(signal, window, fb_crow, fb_col, fb_val)
    ctx.args = (n_fft, hop_length, center, pad_mode)
    ctx.power = power
    ctx.floor_db = floor_db


def _backward(ctx, grad):
    """Gradient with respect to the signal only (window and filterbank are fixed buffers).

    Recomputes the complex STFT, which the fused forward never materialises, and chains the adjoints:
    dB -> filterbank^T -> power or magnitude -> STFT adjoint (overlap-add of the windowed inverse real
    FFT, then the adjoint of the padding). Written in differentiable torch ops
    (and the stft op, which has its own formula), so double backward works too.
    """
    signal, window, fb_crow, fb_col, fb_val = ctx.saved_tensors
    if not ctx.needs_input_grad[0]:
        return (None,) * 11
    n_fft = ctx.args[0]
    spectrum = torch.ops.spectrograms.stft.default(signal, window, *ctx.args)
    filterbank = None
    if fb_crow is not None:
        filterbank = _aten.dense_filterbank(fb_crow, fb_col, fb_val, n_fft // 2 + 1, signal.dtype,
                                              signal.device)
    if ctx.floor_db is not None:
        # d/dv scale * log10(max(v, amin)) = scale / (v ln 10) where v > amin, else 0.
        values = _aten.reduce_spectrum(spectrum, ctx.power, filterbank)
        amin = _aten.db_amin(ctx.floor_db, ctx.power, signal.dtype)
        grad = grad * (_aten.db_scale(ctx.power) / math.log(10.0)) / values.clamp(min=amin) * (values > amin)
    if filterbank is not None:
        grad = filterbank.transpose(0, 1) @ grad
    if ctx.power == 1.0:
        # d|X| = Re(conj(X / |X|) dX); |X| = 0 gives 0 (X / tiny is 0 there), as torch.abs does.
        magnitude = spectrum.abs().clamp(min=torch.finfo(signal.dtype).tiny)
        grad_spectrum = grad * (spectrum / magnitude)
    else:
        grad_spectrum = 2.0 * grad * spectrum
    grad_signal = _aten.stft_adjoint(grad_spectrum, window, signal.shape[-1], *ctx.args)
    return (grad_signal,) + (None,) * 10


torch.library.register_autograd("spectrograms::spectrogram", _backward, setup_context=_setup_context)
