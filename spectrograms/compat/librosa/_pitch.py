"""librosa's tuning estimate (piptrack's peaks, then a histogram of their deviation from the
equal-tempered grid) on whole tensors, for ``chroma_stft(tuning=None)``."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._convert import _fft_frequencies, _hz_to_octs
from ._util import warn


def _piptrack(S: torch.Tensor, sr: float, n_fft: int, fmin: float = 150.0, fmax: float = 4000.0,
              threshold: float = 0.1):
    """``(pitches, mags)`` as librosa.piptrack with ``S`` given and ``ref=np.max``."""
    S = S.abs()
    fmin, fmax = max(fmin, 0.0), min(fmax, float(sr) / 2)
    freqs = _fft_frequencies(sr, n_fft).to(S.device)
    # np.gradient along the bins: central differences inside, one-sided at the two ends
    avg = torch.empty_like(S)
    avg[..., 1:-1, :] = (S[..., 2:, :] - S[..., :-2, :]) / 2
    avg[..., :1, :] = S[..., 1:2, :] - S[..., :1, :]
    avg[..., -1:, :] = S[..., -1:, :] - S[..., -2:-1, :]
    # parabolic interpolation of each bin's neighbourhood; 0 where the vertex is over a bin away
    a = S[..., 2:, :] + S[..., :-2, :] - 2 * S[..., 1:-1, :]
    b = (S[..., 2:, :] - S[..., :-2, :]) / 2
    inner = torch.where(b.abs() >= a.abs(), torch.zeros_like(a), -b / torch.where(a == 0, torch.ones_like(a), a))
    shift = torch.nn.functional.pad(inner.transpose(-1, -2), (1, 1)).transpose(-1, -2)
    dskew = 0.5 * avg * shift
    freq_mask = ((fmin <= freqs) & (freqs < fmax))[:, None]
    ref_value = threshold * S.amax(dim=-2, keepdim=True)
    x = S * (S > ref_value)
    # librosa.util.localmax along the bins: the first bin never, the last if above its neighbour
    lmax = torch.zeros_like(x, dtype=torch.bool)
    lmax[..., 1:-1, :] = (x[..., 1:-1, :] > x[..., :-2, :]) & (x[..., 1:-1, :] >= x[..., 2:, :])
    lmax[..., -1, :] = x[..., -1, :] > x[..., -2, :]
    peaks = freq_mask & lmax
    bins = torch.arange(S.shape[-2], dtype=S.dtype, device=S.device)[:, None]
    pitches = torch.where(peaks, (bins + shift) * float(sr) / n_fft, torch.zeros_like(S))
    mags = torch.where(peaks, S + dskew, torch.zeros_like(S))
    return pitches, mags


def _pitch_tuning(frequencies: torch.Tensor, resolution: float, bins_per_octave: int) -> float:
    frequencies = frequencies[frequencies > 0]
    if frequencies.numel() == 0:
        warn("Trying to estimate tuning from empty frequency set.")
        return 0.0
    residual = torch.remainder(bins_per_octave * _hz_to_octs(frequencies.to(torch.float64), 0.0, 12), 1.0)
    residual = torch.where(residual >= 0.5, residual - 1.0, residual)
    edges = np.linspace(-0.5, 0.5, int(math.ceil(1.0 / resolution)) + 1)
    # np.histogram: half-open bins, the last one closed
    values = residual.cpu().numpy()
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = len(edges) - 2
    keep = (index >= 0) & (index < len(edges) - 1)
    counts = np.bincount(index[keep], minlength=len(edges) - 1)
    return float(edges[int(np.argmax(counts))])


def _estimate_tuning(S: torch.Tensor, sr: float, n_fft: int, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    pitch, mag = _piptrack(S, sr, n_fft)
    mask = pitch > 0
    threshold = float(torch.median(mag[mask]).item()) if bool(mask.any()) else 0.0
    if bool(mask.any()):
        # np.median averages the two middle values of an even count; torch.median takes the lower
        values = torch.sort(mag[mask]).values
        m = values.numel()
        threshold = float(values[m // 2]) if m % 2 else float((values[m // 2 - 1] + values[m // 2]) / 2)
    return _pitch_tuning(pitch[(mag >= threshold) & mask], resolution, bins_per_octave)
