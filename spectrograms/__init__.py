"""spectrograms: fast audio features for PyTorch on FFTW.

Audio goes in (NumPy array, torch tensor or list; one signal ``(time,)`` or a batch
``(batch, time)``); results come out as tensor-backed objects (:class:`Spectrogram`, ...) that share
their memory with NumPy, PyTorch, JAX and any DLPack consumer.
"""

from . import _extension  # noqa: F401  (fails loudly when the native extension is missing)
from .compute import (
    compute_linear_db_spectrogram,
    compute_linear_magnitude_spectrogram,
    compute_linear_power_spectrogram,
    compute_mel_db_spectrogram,
    compute_mel_magnitude_spectrogram,
    compute_mel_power_spectrogram,
    compute_stft,
)
from .errors import DimensionMismatchError, FFTBackendError, InvalidInputError, InvalidTypeError, SpectrogramError
from .filterbanks import Filterbank, mel_filterbank
from .params import LogParams, MelNorm, MelParams, MelScale, SpectrogramParams, StftParams, WindowType
from .planner import SpectrogramPlan, SpectrogramPlanner
from .results import Spectrogram, StftResult

__version__ = "0.1.0"

__all__ = [
    "compute_linear_db_spectrogram",
    "compute_linear_magnitude_spectrogram",
    "compute_linear_power_spectrogram",
    "compute_mel_db_spectrogram",
    "compute_mel_magnitude_spectrogram",
    "compute_mel_power_spectrogram",
    "compute_stft",
    "DimensionMismatchError",
    "FFTBackendError",
    "InvalidInputError",
    "InvalidTypeError",
    "SpectrogramError",
    "Filterbank",
    "mel_filterbank",
    "LogParams",
    "MelNorm",
    "MelParams",
    "MelScale",
    "SpectrogramParams",
    "StftParams",
    "WindowType",
    "SpectrogramPlan",
    "SpectrogramPlanner",
    "Spectrogram",
    "StftResult",
]
