"""librosa's feature API (names, signatures, defaults, outputs) computed on this package's kernels.

Replace ``import librosa`` with ``from spectrograms.compat import librosa``: core functions live at
the top level as in librosa, with ``feature`` (and ``feature.inverse``), ``filters`` and ``onset``
submodules. NumPy arrays in give NumPy arrays out (librosa's dtypes); torch tensors in give tensors.
Bad arguments raise :class:`ParameterError`, a ``spectrograms`` ``InvalidInputError`` and so a
``ValueError``.
"""

from . import feature, filters, onset
from ._convert import fft_frequencies, hz_to_mel, hz_to_octs, mel_frequencies, mel_to_hz
from ._resample import resample
from ._spectrum import amplitude_to_db, db_to_amplitude, db_to_power, griffinlim, istft, power_to_db, stft
from ._util import ParameterError, get_window
from .constantq import cqt, icqt, vqt

__all__ = ["feature", "filters", "onset", "ParameterError", "stft", "istft", "power_to_db", "amplitude_to_db",
           "db_to_power", "db_to_amplitude", "griffinlim", "hz_to_mel", "mel_to_hz", "hz_to_octs", "mel_frequencies",
           "fft_frequencies", "resample", "get_window", "cqt", "vqt", "icqt"]
