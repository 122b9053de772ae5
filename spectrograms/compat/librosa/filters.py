"""librosa.filters: the mel and chroma filterbanks and get_window, with librosa's defaults.

The banks are built in float64 and rounded to ``dtype`` (float32 by default, as librosa's), so a
float64 spectrogram times the default bank uses the same float32-rounded weights librosa uses.
"""

from __future__ import annotations

import numpy as np
import torch

from ._convert import _fft_frequencies, _hz_to_octs, _mel_frequencies
from ._util import ParameterError, get_window, normalize, positive_int, real_number, torch_dtype, warn

__all__ = ["mel", "chroma", "get_window"]


def _mel_tensor(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype) -> torch.Tensor:
    sr = real_number("sr", sr)
    if sr <= 0:
        raise ParameterError(f"sr={sr} must be strictly positive")
    n_fft = positive_int("n_fft", n_fft)
    n_mels = positive_int("n_mels", n_mels)
    fmin = real_number("fmin", fmin)
    fmax = float(sr) / 2 if fmax is None else real_number("fmax", fmax)
    if isinstance(norm, str) and norm != "slaney":
        raise ParameterError(f"Unsupported norm={norm!r} (None, 'slaney' or a number for util.normalize)")
    fftfreqs = _fft_frequencies(sr, n_fft)
    mel_f = _mel_frequencies(n_mels + 2, fmin, fmax, bool(htk))
    fdiff = mel_f[1:] - mel_f[:-1]
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = torch.clamp(torch.minimum(lower, upper), min=0.0).to(dtype)
    if norm == "slaney":
        # Slaney-style: each triangle has unit area (2 / its width in Hz)
        enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
        weights = (weights.to(torch.float64) * enorm[:, None]).to(dtype)
    else:
        weights = normalize(weights, norm, dim=-1)
    if not bool(((mel_f[:-2] == 0) | (weights.amax(dim=1) > 0)).all()):
        warn("Empty filters detected in mel frequency basis. Some channels will produce empty responses. "
             "Try increasing your sampling rate (and fmax) or reducing n_mels.")
    return weights


def mel(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax=None, htk: bool = False,
        norm="slaney", dtype=np.float32) -> np.ndarray:
    """librosa.filters.mel: the ``(n_mels, 1 + n_fft // 2)`` matrix of triangular mel filters.

    ``norm='slaney'`` (unit-area triangles), None, or a number for ``util.normalize`` (1, 2, np.inf);
    ``htk`` picks HTK's mel formula over Slaney's.
    """
    return _mel_tensor(sr, n_fft, n_mels, fmin, fmax, htk, norm, torch_dtype("dtype", dtype)).numpy()


def _chroma_tensor(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c, dtype) -> torch.Tensor:
    sr = real_number("sr", sr)
    if sr <= 0:
        raise ParameterError(f"sr={sr} must be strictly positive")
    n_fft = positive_int("n_fft", n_fft)
    n_chroma = positive_int("n_chroma", n_chroma)
    tuning, ctroct = real_number("tuning", tuning), real_number("ctroct", ctroct)
    frequencies = torch.arange(1, n_fft, dtype=torch.float64) * (sr / n_fft)  # np.linspace(0, sr, n_fft, False)[1:]
    frqbins = n_chroma * _hz_to_octs(frequencies, tuning, n_chroma)
    # DC gets a bin 1.5 octaves below the first one
    frqbins = torch.cat([frqbins[:1] - 1.5 * n_chroma, frqbins])
    binwidthbins = torch.cat([torch.clamp(frqbins[1:] - frqbins[:-1], min=1.0), torch.ones(1, dtype=torch.float64)])
    D = frqbins[None, :] - torch.arange(n_chroma, dtype=torch.float64)[:, None]
    n_chroma2 = float(np.round(float(n_chroma) / 2))
    # project into the range -n_chroma/2 .. n_chroma/2 (the +10 n_chroma keeps the remainder positive)
    D = torch.remainder(D + n_chroma2 + 10 * n_chroma, n_chroma) - n_chroma2
    wts = torch.exp(-0.5 * (2 * D / binwidthbins[None, :]) ** 2)
    wts = normalize(wts, norm, dim=0)
    if octwidth is not None:
        octwidth = real_number("octwidth", octwidth)
        wts = wts * torch.exp(-0.5 * ((frqbins / n_chroma - ctroct) / octwidth) ** 2)[None, :]
    if base_c:
        wts = torch.roll(wts, -3 * (n_chroma // 12), dims=0)
    return wts[:, :int(1 + n_fft / 2)].to(dtype).contiguous()


def chroma(*, sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0, ctroct: float = 5.0,
           octwidth=2, norm=2, base_c: bool = True, dtype=np.float32) -> np.ndarray:
    """librosa.filters.chroma: the ``(n_chroma, 1 + n_fft // 2)`` chroma filterbank (Ellis'
    chromagram_E): Gaussian bumps per pitch class, weighted by a Gaussian over octaves centred on
    ``ctroct`` of width ``octwidth`` (None: no weighting), starting at C when ``base_c``."""
    return _chroma_tensor(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c, torch_dtype("dtype", dtype)).numpy()
