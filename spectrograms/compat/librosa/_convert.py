"""librosa.core.convert: the mel scale (Slaney or HTK), octaves and the FFT/mel frequency grids."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._util import ParameterError, as_tensor, out, positive_int, real_number

__all__ = ["hz_to_mel", "mel_to_hz", "hz_to_octs", "mel_frequencies", "fft_frequencies"]

# Slaney's Auditory Toolbox: linear below 1 kHz (200/3 Hz per mel), logarithmic above
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = math.log(6.4) / 27.0


def _hz_to_mel(f: torch.Tensor, htk: bool) -> torch.Tensor:
    if htk:
        return 2595.0 * torch.log10(1.0 + f / 700.0)
    linear = f / _F_SP
    # clamp inside the log so the branch not taken cannot make NaN/inf that where() would keep in grads
    logs = _MIN_LOG_MEL + torch.log(torch.clamp(f, min=_MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return torch.where(f >= _MIN_LOG_HZ, logs, linear)


def _mel_to_hz(m: torch.Tensor, htk: bool) -> torch.Tensor:
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _F_SP * m
    logs = _MIN_LOG_HZ * torch.exp(_LOGSTEP * (torch.clamp(m, min=_MIN_LOG_MEL) - _MIN_LOG_MEL))
    return torch.where(m >= _MIN_LOG_MEL, logs, linear)


def _scalar(result: torch.Tensor, was_numpy: bool):
    value = out(result, was_numpy)
    return value[()] if was_numpy and result.dim() == 0 else value


def hz_to_mel(frequencies, *, htk: bool = False):
    """librosa.hz_to_mel: Hz to mels (Slaney's scale, or HTK's ``2595 log10(1 + f / 700)``)."""
    f, was_numpy = as_tensor("frequencies", frequencies)
    return _scalar(_hz_to_mel(f, bool(htk)), was_numpy)


def mel_to_hz(mels, *, htk: bool = False):
    """librosa.mel_to_hz: mels to Hz, the inverse of :func:`hz_to_mel`."""
    m, was_numpy = as_tensor("mels", mels)
    return _scalar(_mel_to_hz(m, bool(htk)), was_numpy)


def _hz_to_octs(f: torch.Tensor, tuning: float, bins_per_octave: int) -> torch.Tensor:
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    return torch.log2(f / (a440 / 16))


def hz_to_octs(frequencies, *, tuning: float = 0.0, bins_per_octave: int = 12):
    """librosa.hz_to_octs: octave numbers, ``log2(f / (A440 / 16))`` with A440 shifted by ``tuning``."""
    f, was_numpy = as_tensor("frequencies", frequencies)
    tuning = real_number("tuning", tuning)
    return _scalar(_hz_to_octs(f, tuning, positive_int("bins_per_octave", bins_per_octave)), was_numpy)


def _mel_frequencies(n_mels: int, fmin: float, fmax: float, htk: bool) -> torch.Tensor:
    lo, hi = _hz_to_mel(torch.tensor(fmin, dtype=torch.float64), htk), _hz_to_mel(torch.tensor(fmax, dtype=torch.float64), htk)
    # np.linspace's formula (start + i * step, the last point exactly the stop), which torch.linspace
    # does not follow for every size
    steps = torch.arange(n_mels, dtype=torch.float64)
    grid = lo + steps * ((hi - lo) / (n_mels - 1)) if n_mels > 1 else lo.reshape(1)
    if n_mels > 1:
        grid[-1] = hi
    return _mel_to_hz(grid, htk)


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False) -> np.ndarray:
    """librosa.mel_frequencies: ``n_mels`` frequencies (Hz) evenly spaced on the mel scale."""
    n_mels = int(n_mels) if not isinstance(n_mels, bool) and isinstance(n_mels, (int, np.integer)) and n_mels >= 0 else None
    if n_mels is None:
        raise ParameterError("n_mels must be a non-negative integer")
    if n_mels == 0:
        return np.zeros(0)
    return _mel_frequencies(n_mels, real_number("fmin", fmin), real_number("fmax", fmax), bool(htk)).numpy()


def _fft_frequencies(sr: float, n_fft: int) -> torch.Tensor:
    # np.fft.rfftfreq: k * (1 / (n * d)) with d = 1 / sr
    return torch.arange(n_fft // 2 + 1, dtype=torch.float64) * (1.0 / (n_fft * (1.0 / sr)))


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """librosa.fft_frequencies: the centre frequencies (Hz) of the ``1 + n_fft // 2`` rfft bins."""
    return _fft_frequencies(real_number("sr", sr), positive_int("n_fft", n_fft)).numpy()
