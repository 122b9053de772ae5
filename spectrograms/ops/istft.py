"""The inverse STFT op (spectrograms_ext/istft.cpp)."""

from __future__ import annotations

import torch

from ._dispatch import call_op
from .fft import _check_finite, _hermitian_half, _hermitian_weights


def istft(
    stft: torch.Tensor,
    window: torch.Tensor,
    *,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    length: int | None = None,
) -> torch.Tensor:
    """Inverts an STFT by inverse real FFTs, windowed overlap-add and division by the window-square sum.

    The same least-squares inverse as ``torch.istft``: it returns the signal exactly whenever the
    STFT came from :func:`spectrograms.ops.stft` with the same window, hop and centring and the
    window-square sum is non-zero everywhere it is kept (NOLA; every COLA setting satisfies it).

    Args:
        stft: complex64 or complex128, shape ``(..., n_fft // 2 + 1, n_frames)``.
        window: float32 (for complex64) or float64, shape ``(n_fft,)``.
        n_fft, hop_length: frame length and hop in samples.
        center: the frames were centred (``n_fft // 2`` samples are dropped at the start).
        length: samples to return (zero-padded past the last frame); default
            ``n_fft + hop_length * (n_frames - 1)`` less ``2 * (n_fft // 2)`` when centred.

    Returns:
        float32 or float64, shape ``(..., length)``.

    Raises:
        ValueError: bad shapes or dtypes, or a window-square sum of ~0 inside the kept samples
            (the setting cannot be inverted).
    """
    return call_op(torch.ops.spectrograms.istft.default, stft, window, n_fft, hop_length, center, length)


def istft_length(n_frames, n_fft: int, hop_length: int, center: bool, length: int | None):
    """Samples ``istft`` returns (mirrors istft.cpp)."""
    if length is not None:
        return length
    return n_fft + hop_length * (n_frames - 1) - (2 * (n_fft // 2) if center else 0)


@torch.library.register_fake("spectrograms::istft")
def _(stft, window, n_fft, hop_length, center, length):
    real_dtype = torch.float32 if stft.dtype == torch.complex64 else torch.float64
    samples = istft_length(stft.shape[-1], n_fft, hop_length, center, length)
    return stft.new_empty((*stft.shape[:-2], samples), dtype=real_dtype)


def window_envelope(window: torch.Tensor, n_frames: int, hop_length: int) -> torch.Tensor:
    """``sum_f window[p - f * hop_length] ** 2`` for every position ``p`` of the overlap-added signal,
    shape ``(n_fft + hop_length * (n_frames - 1),)``."""
    n_fft = window.shape[0]
    squares = (window * window).expand(n_frames, n_fft).T.unsqueeze(0)
    total = n_fft + hop_length * (n_frames - 1)
    return torch.nn.functional.fold(squares, (1, total), (1, n_fft), stride=(1, hop_length)).reshape(total)


# Autograd: the ISTFT is linear in the STFT, so the backward applies the adjoint: spread the gradient
# back over the frames (divided by the envelope, times the window), then the adjoint of the frame
# inverse, which is the forward rfft / n_fft with the conjugate-pair bins counted twice.


def _setup_istft(ctx, inputs, output):
    stft, window, n_fft, hop_length, center, length = inputs
    ctx.save_for_backward(window)
    ctx.n_fft, ctx.hop, ctx.center, ctx.n_frames = n_fft, hop_length, center, stft.shape[-1]


def _istft_backward(ctx, grad):
    if ctx.needs_input_grad[1]:
        raise NotImplementedError("spectrograms.ops.istft has no gradient with respect to the window")
    (window,) = ctx.saved_tensors
    n_fft, hop, n_frames = ctx.n_fft, ctx.hop, ctx.n_frames
    envelope = window_envelope(window, n_frames, hop)
    start = n_fft // 2 if ctx.center else 0
    covered = min(grad.shape[-1], envelope.shape[0] - start)
    padded = grad.new_zeros((*grad.shape[:-1], envelope.shape[0]))
    padded[..., start:start + covered] = grad[..., :covered] / envelope[start:start + covered]
    frames = padded.unfold(-1, n_fft, hop) * window  # (..., n_frames, n_fft)
    bins = torch.fft.rfft(frames, dim=-1) / n_fft
    bins = bins * _hermitian_weights(n_fft, bins.shape[-1], grad.dtype, grad.device)
    return bins.transpose(-1, -2), None, None, None, None, None


torch.library.register_autograd("spectrograms::istft", _istft_backward, setup_context=_setup_istft)


# --- The CUDA kernel -----------------------------------------------------------------------------


def aten_istft(stft: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, center: bool,
               length: int | None) -> torch.Tensor:
    """``spectrograms::istft`` from torch.fft and fold (cuFFT on CUDA), with the native kernel's checks
    and messages; registered as the CUDA kernel and tested against the native one on CPU."""
    if stft.dim() < 2:
        raise ValueError(f"the STFT must have shape (..., n_fft // 2 + 1, n_frames), got {list(stft.shape)}")
    if stft.dtype not in (torch.complex64, torch.complex128):
        raise ValueError(f"the STFT must be complex64 or complex128, got {stft.dtype}")
    if n_fft <= 0 or hop_length <= 0:
        raise ValueError(f"n_fft and hop_length must be positive, got {n_fft} and {hop_length}")
    if stft.shape[-2] != n_fft // 2 + 1:
        raise ValueError(f"the STFT has {stft.shape[-2]} frequency bins but n_fft={n_fft} needs "
                         f"n_fft // 2 + 1 = {n_fft // 2 + 1}")
    n_frames = stft.shape[-1]
    if n_frames == 0:
        raise ValueError("the STFT has no frames (n_frames=0)")
    real_dtype = torch.float32 if stft.dtype == torch.complex64 else torch.float64
    if window.dim() != 1 or window.shape[0] != n_fft:
        raise ValueError(f"window must have shape (n_fft,) = ({n_fft},), got {list(window.shape)}")
    if window.dtype != real_dtype:
        raise ValueError(f"window dtype {window.dtype} does not match the STFT dtype {stft.dtype}")
    if length is not None and length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    samples = istft_length(n_frames, n_fft, hop_length, center, length)
    start = n_fft // 2 if center else 0
    envelope = window_envelope(window, n_frames, hop_length)
    covered = min(samples, envelope.shape[0] - start)
    kept = envelope[start:start + covered]
    low = kept < 1e-11 * (window * window).max()
    if bool(low.any()):
        position = int(torch.nonzero(low)[0])
        raise ValueError(
            f"cannot invert this STFT: the window-square sum is ~0 at output sample {position} (n_fft={n_fft}, "
            f"hop_length={hop_length}, center={center}), so no frame carries that sample; use a smaller "
            "hop_length, center=True, or a window that is non-zero at its ends")
    frames = torch.fft.irfft(_hermitian_half(stft.transpose(-1, -2), n_fft), n=n_fft, dim=-1) * window
    batch = frames.shape[:-2]
    columns = frames.reshape(-1, n_frames, n_fft).transpose(1, 2)
    signal = torch.nn.functional.fold(columns, (1, envelope.shape[0]), (1, n_fft), stride=(1, hop_length))
    signal = signal.reshape(*batch, envelope.shape[0])[..., start:start + covered] / kept
    return _check_finite(torch.nn.functional.pad(signal, (0, samples - covered)))


torch.library.register_kernel("spectrograms::istft", "cuda", aten_istft)
