"""The complex STFT op (spectrograms_ext/stft.cpp)."""

from __future__ import annotations

import torch

from . import _aten
from ._dispatch import call_op
from ._frames import n_frames


def stft(
    signal: torch.Tensor,
    window: torch.Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "constant",
) -> torch.Tensor:
    """Short-time Fourier transform of a real signal.

    Args:
        signal: float32 or float64, shape ``(..., time)``.
        window: same dtype, shape ``(n_fft,)``.

    Returns:
        complex64 (complex128 for float64 input), shape ``(..., n_fft // 2 + 1, n_frames)``; the same
        values as ``torch.stft(..., return_complex=True)`` with the same window and padding.
    """
    return call_op(torch.ops.spectrograms.stft.default, signal, window, n_fft, hop_length, center, pad_mode)


@torch.library.register_fake("spectrograms::stft")
def _(signal, window, n_fft, hop_length, center, pad_mode):
    # The fake kernel also runs for a meta window beside a real signal; without this it would return
    # uninitialised memory there instead of the native kernel's error.
    torch._check_value(window.device == signal.device,
                       lambda: f"window is on {window.device}, the signal on {signal.device}")
    complex_dtype = torch.complex64 if signal.dtype == torch.float32 else torch.complex128
    frames = n_frames(signal.shape[-1], n_fft, hop_length, center)
    return signal.new_empty((*signal.shape[:-1], n_fft // 2 + 1, frames), dtype=complex_dtype)


# --- Autograd and the CUDA kernel -------------------------------------------------------------------


def _reference_stft(signal, window, n_fft, hop_length, center, pad_mode):
    """The op written with ATen calls (``torch.stft``, i.e. cuFFT on CUDA), on any device.

    Registered as the op's CUDA kernel; on CPU it is tested against the native FFTW kernel.
    """
    return _aten.stft(signal, window, n_fft, hop_length, center, pad_mode)


torch.library.register_kernel("spectrograms::stft", "cuda", _reference_stft)


def _setup_context(ctx, inputs, output):
    signal, window, n_fft, hop_length, center, pad_mode = inputs
    ctx.save_for_backward(window)
    ctx.args = (signal.shape[-1], n_fft, hop_length, center, pad_mode)


def _backward(ctx, grad):
    # The STFT is linear in the signal: the gradient is its adjoint applied to grad. The window gets no
    # gradient (it is a fixed buffer in every front-end).
    (window,) = ctx.saved_tensors
    grad_signal = _aten.stft_adjoint(grad, window, *ctx.args) if ctx.needs_input_grad[0] else None
    return grad_signal, None, None, None, None, None


torch.library.register_autograd("spectrograms::stft", _backward, setup_context=_setup_context)
