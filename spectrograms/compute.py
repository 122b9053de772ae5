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

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any, TypeAlias, Union

import numpy as np
import torch

from ._dtype import resolve_dtype
from ._typing import SignalLike
from ._validate import check_type, finite_float
from .errors import InvalidInputError, InvalidTypeError
from .inputs import as_signal
from .params import LogParams, MelParams, SpectrogramParams
from .planner import cached_plan, spectrogram_kind, stft_result
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


#: librosa's ``ref``: the power that is 0 dB, or a function of the power array (such as ``np.max``) giving it.
DbRef: TypeAlias = Union[float, Callable[[np.ndarray[Any, Any]], object]]


def signal_in(samples: SignalLike, dtype: str | None) -> torch.Tensor:
    """``samples`` as a signal tensor in the compute dtype the seed's ``dtype`` keyword asks for."""
    signal = as_signal(samples)
    return signal.to(resolve_dtype(dtype, signal)) if dtype is not None else signal


def one_db_params(db_params: LogParams | None, db: LogParams | None) -> LogParams | None:
    """The dB parameters given under either of the seed's two spellings (``db_params``, ``db``)."""
    if db_params is not None and db is not None:
        raise InvalidTypeError("db_params and db are the same parameter; pass one of them")
    db_params = db if db_params is None else db_params
    return None if db_params is None else check_type("db_params", db_params, LogParams)


def spectrogram_of(bands: str, scale: str, samples: SignalLike, params: SpectrogramParams,
                   band_args: tuple[object, ...], db_params: LogParams | None, dtype: str | None,
                   ref: DbRef = 1.0, top_db: float | None = None) -> Spectrogram:
    """``compute_<bands>_<scale>_spectrogram`` as the seed library defines it (see the module), with
    librosa's ``ref`` and ``top_db`` for dB (see :func:`compute_linear_db_spectrogram`)."""
    options = scale == "db" and _db_options_given(ref, top_db)
    if scale == "db" and db_params is None:
        if options:
            db_params = LogParams(LIBROSA_FLOOR_DB)
        else:
            warnings.warn(f"compute_{bands}_db_spectrogram without LogParams returns power values, as "
                          "spectrograms 2.1.3 does; pass LogParams() for dB with the -80 dB floor", UserWarning,
                          stacklevel=3)
            scale = "power"
    if options:
        assert db_params is not None  # set just above whenever options are given
        return _db_with_options(bands, samples, params, band_args, db_params, dtype, ref, top_db)
    extra = (db_params,) if scale == "db" else ()
    return cached_plan(spectrogram_kind(bands, scale), params, *band_args, *extra).compute(signal_in(samples, dtype))


# librosa.power_to_db's amin = 1e-10, the floor when ref/top_db are given without LogParams.
LIBROSA_FLOOR_DB = -100.0


def _db_options_given(ref: object, top_db: object) -> bool:
    """Checks librosa's ``ref`` and ``top_db``; True unless both are at their no-op defaults."""
    if top_db is not None:
        if finite_float("top_db", top_db) < 0:
            raise InvalidInputError(f"top_db must be non-negative (dB below the maximum), got {top_db}")
    if callable(ref):
        return True
    if isinstance(ref, bool) or not isinstance(ref, numbers.Real):
        raise InvalidTypeError(f"ref must be a positive number or a callable (such as np.max) returning one, got "
                               f"{type(ref).__name__} {ref!r}")
    if not (math.isfinite(ref) and float(ref) > 0):
        raise InvalidInputError(f"ref must be a positive finite number (the power that is 0 dB), got {ref!r}")
    return float(ref) != 1.0 or top_db is not None


def _db_with_options(bands: str, samples: SignalLike, params: SpectrogramParams, band_args: tuple[object, ...],
                     db_params: LogParams, dtype: str | None, ref: DbRef, top_db: float | None) -> Spectrogram:
    """librosa.power_to_db: ``10 log10(max(P, amin)) - 10 log10(max(amin, ref))``, then values more than
    ``top_db`` below the maximum raised to it; ``amin`` is the floor of ``db_params``."""
    amin = 10.0 ** (db_params.floor_db / 10.0)
    if callable(ref):
        # librosa calls ref on the power array itself (for a batch: all items at once).
        power = cached_plan(spectrogram_kind(bands, "power"), params, *band_args).compute(signal_in(samples, dtype))
        value = ref(power.tensor.detach().cpu().numpy())
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)) \
                or not math.isfinite(value):
            raise InvalidInputError(f"ref returned {value!r}; it must return a finite real number")
        ref_power = float(value)
        tensor = 10.0 * torch.log10(power.tensor.clamp(min=amin))
        result = power
    else:
        ref_power = float(ref)
        plan = cached_plan(spectrogram_kind(bands, "db"), params, *band_args, db_params)
        result = plan.compute(signal_in(samples, dtype))
        tensor = result.tensor
    offset = 10.0 * math.log10(max(amin, ref_power))
    if offset != 0.0:
        tensor = tensor - offset
    if top_db is not None and tensor.numel() > 0:
        # per item, over its bins and frames (librosa's maximum of one spectrogram)
        tensor = torch.maximum(tensor, tensor.amax(dim=(-2, -1), keepdim=True) - float(top_db))
    return Spectrogram(tensor, result.frequencies, None, result.params, scale="db",
                       frequency_scale=result.frequency_scale, band_params=result.band_params,
                       db_params=LogParams(db_params.floor_db - offset), n_samples=result.n_samples)


def compute_linear_power_spectrogram(samples: SignalLike, params: SpectrogramParams, db_params: LogParams | None = None,
                                     dtype: str | None = None, *, db: LogParams | None = None) -> Spectrogram:
    """Power ``|X|^2`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``; ``db_params`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("linear", "power", samples, params, (), None, dtype)


def compute_linear_magnitude_spectrogram(samples: SignalLike, params: SpectrogramParams, db_params: LogParams | None = None,
                                         dtype: str | None = None, *, db: LogParams | None = None) -> Spectrogram:
    """Magnitude ``|X|`` of the STFT, shape ``(n_fft // 2 + 1, n_frames)``; ``db_params`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("linear", "magnitude", samples, params, (), None, dtype)


def compute_linear_db_spectrogram(samples: SignalLike, params: SpectrogramParams, db_params: LogParams | None = None,
                                  dtype: str | None = None, *, db: LogParams | None = None, ref: DbRef = 1.0,
                                  top_db: float | None = None) -> Spectrogram:
    """Power in dB, ``10 log10(max(|X|^2, 10^(floor_db/10)))``; without ``db_params`` the power (the seed's).

    ``ref`` and ``top_db`` are ``librosa.power_to_db``'s: ``ref`` (a positive number, or a callable such
    as ``np.max`` called with the power array) is the power that is 0 dB, subtracted as
    ``10 log10(max(amin, ref))``; ``top_db`` (>= 0) raises values more than that below each item's
    maximum. Given without ``db_params``, the floor is librosa's ``amin = 1e-10`` (-100 dB).
    """
    return spectrogram_of("linear", "db", samples, params, (), one_db_params(db_params, db), dtype, ref, top_db)


def compute_mel_power_spectrogram(samples: SignalLike, params: SpectrogramParams, mel_params: MelParams,
                                  db: LogParams | None = None, dtype: str | None = None, *,
                                  db_params: LogParams | None = None) -> Spectrogram:
    """Mel filterbank applied to ``|X|^2``, shape ``(n_mels, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("mel", "power", samples, params, (mel_params,), None, dtype)


def compute_mel_magnitude_spectrogram(samples: SignalLike, params: SpectrogramParams, mel_params: MelParams,
                                      db: LogParams | None = None, dtype: str | None = None, *,
                                      db_params: LogParams | None = None) -> Spectrogram:
    """Mel filterbank applied to ``|X|``, shape ``(n_mels, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("mel", "magnitude", samples, params, (mel_params,), None, dtype)


def compute_mel_db_spectrogram(samples: SignalLike, params: SpectrogramParams, mel_params: MelParams,
                               db: LogParams | None = None, dtype: str | None = None, *,
                               db_params: LogParams | None = None, ref: DbRef = 1.0, top_db: float | None = None
                               ) -> Spectrogram:
    """Mel power in dB with the floor of ``db``, shape ``(n_mels, n_frames)``; without ``db`` the power
    (the seed's). ``ref`` and ``top_db``: librosa's, as in :func:`compute_linear_db_spectrogram`."""
    return spectrogram_of("mel", "db", samples, params, (mel_params,), one_db_params(db_params, db), dtype, ref,
                          top_db)


def compute_stft(samples: SignalLike, params: SpectrogramParams, dtype: str | None = None) -> StftResult:
    """Complex STFT, shape ``(n_fft // 2 + 1, n_frames)``; the same values as ``torch.stft`` with
    ``return_complex=True`` under the same window, centre and padding."""
    return stft_result(signal_in(samples, dtype), params)
