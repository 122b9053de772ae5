"""librosa.onset.onset_strength: spectral flux of the dB mel spectrogram."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ._spectrum import _power_to_db
from ._util import ParameterError, as_tensor, out, positive_int
from .feature import spectral

__all__ = ["onset_strength"]


def onset_strength(*, y=None, sr: float = 22050, S=None, lag: int = 1, max_size: int = 1, ref=None,
                   detrend: bool = False, center: bool = True, feature=None, aggregate=None, **kwargs):
    """librosa.onset.onset_strength: ``(..., frames)`` onset envelope, the mean over mel bands of the
    positive first difference (at ``lag``) of the dB mel spectrogram against a ``max_size``
    band-maximum-filtered reference; centred by ``n_fft // (2 * hop_length)`` frames.

    ``feature`` (default our :func:`feature.melspectrogram`) and ``aggregate`` (default mean; a
    callable like ``np.mean``/``np.median`` is applied along the bands) as librosa's.
    """
    if aggregate is False:
        raise ParameterError("aggregate parameter cannot be False when computing full-spectrum onset strength.")
    lag, max_size = positive_int("lag", lag), positive_int("max_size", max_size)
    n_fft, hop_length = kwargs.pop("n_fft", 2048), kwargs.pop("hop_length", 512)
    if S is None:
        if feature is None:
            feature = spectral.melspectrogram
            kwargs.setdefault("fmax", 0.5 * sr)
        S_t, was_numpy = as_tensor("S", feature(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, **kwargs))
        S_t = _power_to_db(S_t.abs(), 1.0, 1e-10, 80.0)
        if not isinstance(y, torch.Tensor) and isinstance(S_t, torch.Tensor):
            was_numpy = not isinstance(y, torch.Tensor)
    else:
        S_t, was_numpy = as_tensor("S", S)
    if S_t.dim() < 2:
        S_t = S_t.reshape(1, -1)
    if ref is None:
        if max_size == 1:
            ref_t = S_t
        else:
            # scipy.ndimage.maximum_filter1d along the bands (nearest-edge extension, window centred
            # at size // 2) as one unfold of the edge-padded bands
            left, right = max_size // 2, (max_size - 1) // 2
            moved = S_t.transpose(-1, -2)
            flat = moved.reshape(-1, 1, moved.shape[-1])
            padded = torch.nn.functional.pad(flat, (left, right), mode="replicate")
            ref_t = padded.unfold(-1, max_size, 1).amax(dim=-1).reshape(moved.shape).transpose(-1, -2)
    else:
        ref_t, _ = as_tensor("ref", ref)
        if tuple(ref_t.shape) != tuple(S_t.shape):
            raise ParameterError(f"Reference spectrum shape {tuple(ref_t.shape)} must match input spectrum {tuple(S_t.shape)}")
    onset_env = torch.clamp(S_t[..., lag:] - ref_t[..., :-lag], min=0.0)
    if aggregate is None or aggregate is np.mean:
        onset_env = onset_env.mean(dim=-2, keepdim=True)
    elif callable(aggregate):
        value = aggregate(onset_env.cpu().numpy(), axis=-2)
        onset_env = torch.as_tensor(np.asarray(value), dtype=onset_env.dtype).unsqueeze(-2)
    else:
        raise ParameterError(f"aggregate={aggregate!r} must be None or a callable such as np.mean")
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    onset_env = torch.nn.functional.pad(onset_env, (int(pad_width), 0))
    if detrend:
        # lfilter([1, -1], [1, -0.99]): a first difference then a leaky integrator, y[n] = d[n] + 0.99 y[n-1],
        # as a convolution with the integrator's impulse response 0.99^k (one FFT, not a loop)
        d = onset_env - torch.nn.functional.pad(onset_env, (1, 0))[..., :-1]
        n = d.shape[-1]
        response = 0.99 ** torch.arange(n, dtype=torch.float64)
        size = 2 * n
        onset_env = torch.fft.irfft(torch.fft.rfft(d.to(torch.float64), n=size) * torch.fft.rfft(response, n=size),
                                    n=size)[..., :n]  # float64, as lfilter gives
    if center:
        onset_env = onset_env[..., :S_t.shape[-1]]
    return out(onset_env[..., 0, :], was_numpy)
