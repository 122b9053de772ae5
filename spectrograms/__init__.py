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
from .features import (
    compute_chromagram,
    compute_erb_db_spectrogram,
    compute_erb_magnitude_spectrogram,
    compute_erb_power_spectrogram,
    compute_istft,
    compute_loghz_db_spectrogram,
    compute_loghz_magnitude_spectrogram,
    compute_loghz_power_spectrogram,
    compute_mfcc,
)
from .fft import (
    compute_fft,
    compute_irfft,
    compute_magnitude_spectrum,
    compute_power_spectrum,
    compute_rfft,
    fft2d,
    ifft2d,
    magnitude_spectrum_2d,
    power_spectrum_2d,
)
from .errors import DimensionMismatchError, FFTBackendError, InvalidInputError, InvalidTypeError, SpectrogramError
from .filterbanks import Filterbank, mel_filterbank
from .filterbanks import chroma_filterbank, dct_matrix, erb_filterbank, lifter_weights, loghz_filterbank
from .params import LogParams, MelNorm, MelParams, MelScale, SpectrogramParams, StftParams, WindowType
from .planner import SpectrogramPlan, SpectrogramPlanner
from .planner import ChromagramPlan, MfccPlan
from .params import ChromaParams, ErbParams, LogHzParams, MfccParams
from .results import Spectrogram, StftResult
from .results import Chromagram, Fft2dResult, Mfcc

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
    # features and FFT family
    "compute_erb_power_spectrogram",
    "compute_erb_magnitude_spectrogram",
    "compute_erb_db_spectrogram",
    "compute_loghz_power_spectrogram",
    "compute_loghz_magnitude_spectrogram",
    "compute_loghz_db_spectrogram",
    "compute_mfcc",
    "compute_chromagram",
    "compute_istft",
    "compute_fft",
    "compute_rfft",
    "compute_irfft",
    "compute_power_spectrum",
    "compute_magnitude_spectrum",
    "fft2d",
    "ifft2d",
    "power_spectrum_2d",
    "magnitude_spectrum_2d",
    "ErbParams",
    "LogHzParams",
    "ChromaParams",
    "MfccParams",
    "erb_filterbank",
    "loghz_filterbank",
    "chroma_filterbank",
    "dct_matrix",
    "lifter_weights",
    "MfccPlan",
    "ChromagramPlan",
    "Chromagram",
    "Mfcc",
    "Fft2dResult",
]
