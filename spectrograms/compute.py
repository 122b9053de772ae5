"""The one-call functions of the seed API. Each builds (or reuses) a plan and computes with it.

All take one signal ``(time,)`` or a batch ``(batch, time)`` as a NumPy array, torch tensor or list
of floats, and return results whose shape is ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``.
float32 input gives float32 results, float64 gives float64; see :mod:`spectrograms.inputs` for other
dtypes.
"""

from __future__ import annotations

from .params import LogParams, MelParams, SpectrogramParams
from .planner import cached_plan, stft_result
from .results import Spectrogram, StftResult

__all__ = [
    "compute_linear_power_spectrogram",
    "compute_linear_magnitude_spectrogram",
    "compute_linear_db_spectrogram",
    "compute_mel_power_spectrogram",
    "compute_mel_magnitude_spectrogram",
    "compute_mel_db_spectrogram",
    "compute_stft",
]


def compute_linear_power_spectrogram(samples, params: SpectrogramParams) -> Spectrogram:
    """Power ``|X|^2`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``."""
    return cached_plan("linear_power", params).compute(samples)


def compute_linear_magnitude_spectrogram(samples, params: SpectrogramParams) -> Spectrogram:
    """Magnitude ``|X|`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``."""
    return cached_plan("linear_magnitude", params).compute(samples)


def compute_linear_db_spectrogram(samples, params: SpectrogramParams,
                                  db_params: LogParams | None = None) -> Spectrogram:
    """Power in dB, ``10 log10(max(|X|^2, 10^(floor_db/10)))``; ``db_params`` defaults to -80 dB."""
    return cached_plan("linear_db", params, db_params).compute(samples)


def compute_mel_power_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams) -> Spectrogram:
    """Mel filterbank applied to ``|X|^2``, shape ``(n_mels, n_frames)``."""
    return cached_plan("mel_power", params, mel_params).compute(samples)


def compute_mel_magnitude_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams) -> Spectrogram:
    """Mel filterbank applied to ``|X|``, shape ``(n_mels, n_frames)``."""
    return cached_plan("mel_magnitude", params, mel_params).compute(samples)


def compute_mel_db_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams,
                               db_params: LogParams | None = None) -> Spectrogram:
    """Mel power in dB with a floor, shape ``(n_mels, n_frames)``; ``db_params`` defaults to -80 dB."""
    return cached_plan("mel_db", params, mel_params, db_params).compute(samples)


def compute_stft(samples, params: SpectrogramParams) -> StftResult:
    """Complex STFT, shape ``(n_fft // 2 + 1, n_frames)``; the same values as ``torch.stft`` with
    ``return_complex=True`` under the same window, centre and padding."""
    return stft_result(samples, params)
