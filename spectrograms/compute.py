"""The one-call functions of the seed API. Each builds (or reuses) a plan and computes with it.

All take one signal ``(time,)`` or a batch ``(batch, time)`` as a NumPy array, torch tensor or list
of floats, and return results whose shape is ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``.
float32 input gives float32 results, float64 gives float64, unless ``dtype`` (``"float32"`` or
``"float64"``, the seed library's keyword) says otherwise; see :mod:`spectrograms.inputs` for other
dtypes.

Called as the seed library is called, they give its values: the ``*_power`` and ``*_magnitude``
functions accept its ``db_params``/``db`` argument and ignore it as it does, and a ``*_db`` function
given no :class:`LogParams` returns the power values, as spectrograms 2.1.3 does (with a warning: pass
``LogParams()`` for dB with the -80 dB floor).
"""

from __future__ import annotations

import warnings

from ._dtype import resolve_dtype
from ._validate import check_type
from .errors import InvalidTypeError
from .inputs import as_signal
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


def signal_in(samples, dtype):
    """``samples`` as a signal tensor in the compute dtype the seed's ``dtype`` keyword asks for."""
    signal = as_signal(samples)
    return signal.to(resolve_dtype(dtype, signal)) if dtype is not None else signal


def one_db_params(db_params, db):
    """The dB parameters given under either of the seed's two spellings (``db_params``, ``db``)."""
    if db_params is not None and db is not None:
        raise InvalidTypeError("db_params and db are the same parameter; pass one of them")
    db_params = db if db_params is None else db_params
    return None if db_params is None else check_type("db_params", db_params, LogParams)


def spectrogram_of(bands: str, scale: str, samples, params, band_args: tuple, db_params, dtype) -> Spectrogram:
    """``compute_<bands>_<scale>_spectrogram`` as the seed library defines it (see the module)."""
    if scale == "db" and db_params is None:
        warnings.warn(f"compute_{bands}_db_spectrogram without LogParams returns power values, as spectrograms "
                      "2.1.3 does; pass LogParams() for dB with the -80 dB floor", UserWarning, stacklevel=3)
        scale = "power"
    extra = (db_params,) if scale == "db" else ()
    return cached_plan(f"{bands}_{scale}", params, *band_args, *extra).compute(signal_in(samples, dtype))


def compute_linear_power_spectrogram(samples, params: SpectrogramParams, db_params: LogParams | None = None,
                                     dtype: str | None = None, *, db: LogParams | None = None) -> Spectrogram:
    """Power ``|X|^2`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``; ``db_params`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("linear", "power", samples, params, (), None, dtype)


def compute_linear_magnitude_spectrogram(samples, params: SpectrogramParams, db_params: LogParams | None = None,
                                         dtype: str | None = None, *, db: LogParams | None = None) -> Spectrogram:
    """Magnitude ``|X|`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``; ``db_params`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("linear", "magnitude", samples, params, (), None, dtype)


def compute_linear_db_spectrogram(samples, params: SpectrogramParams, db_params: LogParams | None = None,
                                  dtype: str | None = None, *, db: LogParams | None = None) -> Spectrogram:
    """Power in dB, ``10 log10(max(|X|^2, 10^(floor_db/10)))``; without ``db_params`` the power (the seed's)."""
    return spectrogram_of("linear", "db", samples, params, (), one_db_params(db_params, db), dtype)


def compute_mel_power_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams,
                                  db: LogParams | None = None, dtype: str | None = None, *,
                                  db_params: LogParams | None = None) -> Spectrogram:
    """Mel filterbank applied to ``|X|^2``, shape ``(n_mels, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("mel", "power", samples, params, (mel_params,), None, dtype)


def compute_mel_magnitude_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams,
                                      db: LogParams | None = None, dtype: str | None = None, *,
                                      db_params: LogParams | None = None) -> Spectrogram:
    """Mel filterbank applied to ``|X|``, shape ``(n_mels, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("mel", "magnitude", samples, params, (mel_params,), None, dtype)


def compute_mel_db_spectrogram(samples, params: SpectrogramParams, mel_params: MelParams,
                               db: LogParams | None = None, dtype: str | None = None, *,
                               db_params: LogParams | None = None) -> Spectrogram:
    """Mel power in dB with the floor of ``db``, shape ``(n_mels, n_frames)``; without ``db`` the power
    (the seed's)."""
    return spectrogram_of("mel", "db", samples, params, (mel_params,), one_db_params(db_params, db), dtype)


def compute_stft(samples, params: SpectrogramParams, dtype: str | None = None) -> StftResult:
    """Complex STFT, shape ``(n_fft // 2 + 1, n_frames)``; the same values as ``torch.stft`` with
    ``return_complex=True`` under the same window, centre and padding."""
    return stft_result(signal_in(samples, dtype), params)
