"""librosa.feature.inverse: mel and MFCC spectrograms back to linear spectrograms and audio.

librosa inverts the mel filterbank with a non-negative least-squares fit (L-BFGS-B started from
the clipped pseudo-inverse, in SciPy, one solve for all frames). The fit is underdetermined above a
few hundred Hz (fewer mel bands than FFT bins), so two solvers agree on ``mel_basis @ S`` rather
than on ``S`` bin by bin; here it is accelerated projected gradient (FISTA) from the same start,
all frames at once, which reaches the same objective.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .. import filters
from .._dct import idct_matrix
from .._spectrum import griffinlim
from .._util import ParameterError, as_tensor, out, positive_int, real_number, torch_dtype, warn

__all__ = ["mel_to_stft", "mel_to_audio", "mfcc_to_mel", "mfcc_to_audio"]


def _nnls(A: torch.Tensor, B: torch.Tensor, n_iter: int = 200) -> torch.Tensor:
    """argmin_{X >= 0} ||A X - B||^2 for every column of ``B`` ``(..., m, t)`` at once (float64)."""
    A64, B64 = A.to(torch.float64), B.to(torch.float64)
    # NumPy's SVD pseudo-inverse of the small bank (torch's first SVD call costs seconds here)
    pinv = torch.from_numpy(np.linalg.pinv(A64.cpu().numpy())).to(B64.device)
    x = torch.clamp(pinv @ B64, min=0.0)
    At = A64.T.contiguous()
    step = 1.0 / float(np.linalg.norm(A64.cpu().numpy(), ord=2) ** 2)
    z, t = x, 1.0
    for _ in range(n_iter):  # iterations over the whole block of frames, not per frame
        x_next = torch.clamp(z - step * (At @ (A64 @ z - B64)), min=0.0)
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        z = x_next + ((t - 1) / t_next) * (x_next - x)
        x, t = x_next, t_next
    return x


def mel_to_stft(M, *, sr: float = 22050, n_fft: int = 2048, power: float = 2.0, **kwargs):
    """librosa.feature.inverse.mel_to_stft: ``(..., 1 + n_fft // 2, frames)`` non-negative linear
    spectrogram whose mel projection approximates ``M`` ``(..., n_mels, frames)``; ``kwargs`` go to
    :func:`filters.mel` (``fmin``, ``fmax``, ``htk``, ``norm``)."""
    M_t, was_numpy = as_tensor("M", M)
    if M_t.dim() < 2:
        raise ParameterError(f"M must have shape (..., n_mels, frames), got {tuple(M_t.shape)}")
    power = real_number("power", power)
    if power <= 0:
        raise ParameterError(f"power={power} must be positive")
    unknown = set(kwargs) - {"fmin", "fmax", "htk", "norm"}
    if unknown:
        raise ParameterError(f"unexpected keyword arguments for filters.mel: {sorted(unknown)}")
    basis = filters._mel_tensor(sr, n_fft, M_t.shape[-2], kwargs.get("fmin", 0.0), kwargs.get("fmax"),
                                kwargs.get("htk", False), kwargs.get("norm", "slaney"), M_t.dtype).to(M_t.device)
    inverse = _nnls(basis, M_t).to(M_t.dtype)
    return out(inverse ** (1.0 / power), was_numpy)


def mel_to_audio(M, *, sr: float = 22050, n_fft: int = 2048, hop_length=None, win_length=None, window="hann",
                 center: bool = True, pad_mode="constant", power: float = 2.0, n_iter: int = 32, length=None,
                 dtype=np.float32, **kwargs):
    """librosa.feature.inverse.mel_to_audio: :func:`mel_to_stft` then :func:`griffinlim`."""
    stft = mel_to_stft(M, sr=sr, n_fft=n_fft, power=power, **kwargs)
    return griffinlim(stft, n_iter=n_iter, hop_length=hop_length, win_length=win_length, n_fft=n_fft,
                      window=window, center=center, dtype=dtype, length=length, pad_mode=pad_mode)


def mfcc_to_mel(mfcc, *, n_mels: int = 128, dct_type: int = 2, norm="ortho", ref: float = 1.0, lifter: float = 0):
    """librosa.feature.inverse.mfcc_to_mel: the power mel spectrogram ``(..., n_mels, frames)`` of
    MFCCs ``(..., n_mfcc, frames)``: undo the lifter, inverse DCT (zero-padded to ``n_mels``),
    ``db_to_power``."""
    x, was_numpy = as_tensor("mfcc", mfcc)
    if x.dim() < 2:
        raise ParameterError(f"mfcc must have shape (..., n_mfcc, frames), got {tuple(x.shape)}")
    n_mels = positive_int("n_mels", n_mels)
    lifter = real_number("lifter", lifter)
    if lifter > 0:
        idx = torch.arange(1, 1 + x.shape[-2], dtype=x.dtype, device=x.device)
        sine = 1 + lifter * 0.5 * torch.sin(np.pi * idx / lifter)
        if bool((sine.abs() < torch.finfo(x.dtype).eps).any()):
            warn("lifter array includes critical values that may invoke underflow.")
        x = x / (sine[:, None] + torch.finfo(x.dtype).tiny)
    elif lifter != 0:
        raise ParameterError("MFCC to mel lifter must be a non-negative number.")
    if not isinstance(ref, numbers.Real) or isinstance(ref, bool):
        raise ParameterError(f"ref={ref!r} must be a number")
    logmel = idct_matrix(n_mels, x.shape[-2], dct_type, norm).to(x.dtype).to(x.device) @ x
    return out(float(ref) * torch.pow(10.0, 0.1 * logmel), was_numpy)


def mfcc_to_audio(mfcc, *, n_mels: int = 128, dct_type: int = 2, norm="ortho", ref: float = 1.0, lifter: float = 0,
                  **kwargs):
    """librosa.feature.inverse.mfcc_to_audio: :func:`mfcc_to_mel` then :func:`mel_to_audio`."""
    mel = mfcc_to_mel(mfcc, n_mels=n_mels, dct_type=dct_type, norm=norm, ref=ref, lifter=lifter)
    return mel_to_audio(mel, **kwargs)
