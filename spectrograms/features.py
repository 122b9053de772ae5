"""Feature functions beyond the linear and mel spectrograms: ERB and log-Hz spectrograms, MFCC,
chromagram, and the inverse STFT.

Like :mod:`spectrograms.compute`, each takes one signal ``(time,)`` or a batch ``(batch, time)`` as a
NumPy array, torch tensor or list of floats, builds (or reuses) a plan and runs the fused native op;
float32 input gives float32 results, float64 gives float64.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy.typing as npt
import torch

from . import ops
from ._validate import call_native, check_type, optional_positive_int
from .errors import InvalidInputError, InvalidTypeError
from ._dtype import complex_of, resolve_dtype
from ._typing import SignalLike
from .compute import one_db_params, signal_in, spectrogram_of
from .fft import as_complex
from .ops.istft import window_envelope
from .params import (ChromaParams, ErbParams, LogHzParams, LogParams, MelParams, MfccParams, SpectrogramParams,
                     StftParams, WindowType)
from .planner import cached_plan, window_tensor
from .results import Chromagram, Mfcc, Spectrogram, StftResult

__all__ = [
    "compute_erb_power_spectrogram",
    "compute_erb_magnitude_spectrogram",
    "compute_erb_db_spectrogram",
    "compute_loghz_power_spectrogram",
    "compute_loghz_magnitude_spectrogram",
    "compute_loghz_db_spectrogram",
    "compute_mfcc",
    "compute_chromagram",
    "compute_istft",
]


def compute_erb_power_spectrogram(samples: SignalLike, params: SpectrogramParams, erb_params: ErbParams,
                                  db: LogParams | None = None, dtype: str | None = None, *,
                                  db_params: LogParams | None = None) -> Spectrogram:
    """ERB (gammatone-style) filterbank applied to ``|X|^2``, shape ``(n_filters, n_frames)``; ``db`` is
    ignored. See :func:`spectrograms.erb_filterbank` for the filters."""
    one_db_params(db_params, db)
    return spectrogram_of("erb", "power", samples, params, (erb_params,), None, dtype)


def compute_erb_magnitude_spectrogram(samples: SignalLike, params: SpectrogramParams, erb_params: ErbParams,
                                      db: LogParams | None = None, dtype: str | None = None, *,
                                      db_params: LogParams | None = None) -> Spectrogram:
    """ERB filterbank applied to ``|X|``, shape ``(n_filters, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("erb", "magnitude", samples, params, (erb_params,), None, dtype)


def compute_erb_db_spectrogram(samples: SignalLike, params: SpectrogramParams, erb_params: ErbParams,
                               db: LogParams | None = None, dtype: str | None = None, *,
                               db_params: LogParams | None = None) -> Spectrogram:
    """ERB band power in dB with the floor of ``db``; without ``db`` the power (the seed's)."""
    return spectrogram_of("erb", "db", samples, params, (erb_params,), one_db_params(db_params, db), dtype)


def compute_loghz_power_spectrogram(samples: SignalLike, params: SpectrogramParams, loghz_params: LogHzParams,
                                    db: LogParams | None = None, dtype: str | None = None, *,
                                    db_params: LogParams | None = None) -> Spectrogram:
    """``|X|^2`` on log-spaced frequencies, shape ``(n_bins, n_frames)``; ``db`` is ignored. See
    :func:`spectrograms.loghz_filterbank` for the bands."""
    one_db_params(db_params, db)
    return spectrogram_of("loghz", "power", samples, params, (loghz_params,), None, dtype)


def compute_loghz_magnitude_spectrogram(samples: SignalLike, params: SpectrogramParams, loghz_params: LogHzParams,
                                        db: LogParams | None = None, dtype: str | None = None, *,
                                        db_params: LogParams | None = None) -> Spectrogram:
    """``|X|`` on log-spaced frequencies, shape ``(n_bins, n_frames)``; ``db`` is ignored."""
    one_db_params(db_params, db)
    return spectrogram_of("loghz", "magnitude", samples, params, (loghz_params,), None, dtype)


def compute_loghz_db_spectrogram(samples: SignalLike, params: SpectrogramParams, loghz_params: LogHzParams,
                                 db: LogParams | None = None, dtype: str | None = None, *,
                                 db_params: LogParams | None = None) -> Spectrogram:
    """Log-Hz power in dB with the floor of ``db``; without ``db`` the power (the seed's)."""
    return spectrogram_of("loghz", "db", samples, params, (loghz_params,), one_db_params(db_params, db), dtype)


def compute_mfcc(samples: SignalLike, params: SpectrogramParams | StftParams | None = None,
                 mel: MelParams | int | float | None = None, mfcc_params: MfccParams | int | None = None,
                 *seed_args: object, db_params: LogParams | None = None, dtype: str | None = None,
                 **seed_keywords: object) -> Mfcc:
    """Mel-frequency cepstral coefficients, shape ``(n_mfcc, n_frames)`` (or ``(batch, n_mfcc, n_frames)``).

    ``compute_mfcc(samples, params, mel, mfcc_params)``: the orthonormal DCT-II over the mel power in dB,
    ``10 log10(max(P_mel, 10^(floor_db/10)))``, keeping the first ``n_mfcc`` coefficients and applying
    the lifter: the same numbers as ``librosa.feature.mfcc(S=<that mel dB>, n_mfcc=n_mfcc, dct_type=2,
    norm="ortho", lifter=lifter)``.

    ``compute_mfcc(samples, stft_params, sample_rate, n_mels, mfcc_params, dtype=None)``, the seed
    library's form (a :class:`StftParams` second): its definition, the unnormalised DCT-II
    ``sum_i x_i cos(pi k (i + 1/2) / n_mels)`` of the mel dB (bands 0 Hz to Nyquist, -80 dB floor),
    weighted by its lifter ``1 + (L / 2) sin(pi k / L)`` with ``L = mfcc_params.lifter`` or the seed's
    22 where that is 0.

    Args:
        samples: one signal ``(time,)`` or a batch ``(batch, time)``.
        params: framing, window and sample rate.
        mel: a :class:`MelParams`, or an int number of mel bands (``MelParams(mel)``).
        mfcc_params: default ``MfccParams()`` (13 coefficients, no lifter).
        db_params: the dB floor of the mel bands (default ``LogParams()``, -80 dB).
        dtype: ``"float32"`` or ``"float64"`` to compute in; None keeps the input's.
    """
    stft_params = seed_keywords.pop("stft_params", None)
    if isinstance(params, StftParams) or (params is None and stft_params is not None):
        # The seed's arguments, by position or keyword, are checked by the constructors _seed_mfcc calls.
        given: dict[str, Any]
        unknown = set(seed_keywords) - {"sample_rate", "n_mels"}
        if unknown or len(seed_args) > 2:
            raise InvalidTypeError(f"the seed's compute_mfcc(samples, stft_params, sample_rate, n_mels, mfcc_params, "
                                   f"dtype) got unexpected arguments: {sorted(unknown) or seed_args[2:]}")
        if seed_keywords:  # the keyword form: mfcc_params and dtype are this function's own keywords
            if mel is not None or seed_args:
                raise InvalidTypeError("compute_mfcc: pass sample_rate and n_mels either by position or by keyword")
            given = dict(seed_keywords, mfcc_params=mfcc_params, dtype=dtype)
        else:  # positions: (sample_rate, n_mels, mfcc_params, dtype) fill (mel, mfcc_params, *seed_args)
            given = dict(zip(("sample_rate", "n_mels", "mfcc_params", "dtype"), (mel, mfcc_params, *seed_args)))
            given["dtype"] = given.get("dtype") if dtype is None else dtype
        return _seed_mfcc(samples, params if params is not None else stft_params, **given)
    if seed_args or seed_keywords or stft_params is not None:
        raise InvalidTypeError("compute_mfcc takes (samples, params, mel, mfcc_params) or the seed's "
                               "(samples, stft_params, sample_rate, n_mels, mfcc_params, dtype)")
    return cached_plan("mfcc", params, mel, mfcc_params, db_params).compute(signal_in(samples, dtype))


def _seed_mfcc(samples: SignalLike, stft_params: object, sample_rate: float | None = None, n_mels: int | None = None,
               mfcc_params: MfccParams | None = None, dtype: str | None = None) -> Mfcc:
    stft_params = check_type("stft_params", stft_params, StftParams)
    if sample_rate is None or n_mels is None:
        raise InvalidTypeError("the seed's compute_mfcc needs sample_rate and n_mels")
    mfcc_params = check_type("mfcc_params", MfccParams() if mfcc_params is None else mfcc_params, MfccParams)
    params = SpectrogramParams(stft_params, sample_rate)
    mel_params = MelParams(n_mels, 0.0, params.sample_rate / 2)
    if mfcc_params.n_mfcc > mel_params.n_mels:
        raise InvalidInputError(f"n_mfcc ({mfcc_params.n_mfcc}) must be at most n_mels ({mel_params.n_mels})")
    db_params = LogParams(-80.0)
    signal = signal_in(samples, dtype)
    mel_db = cached_plan("mel_db", params, mel_params, db_params).apply(signal)
    basis = _seed_mfcc_basis(mfcc_params.n_mfcc, mel_params.n_mels, mfcc_params.lifter or 22.0)
    tensor = torch.matmul(basis.to(mel_db.dtype), mel_db)
    return Mfcc(tensor, params.frame_times(tensor.shape[-1]), params, mel_params, mfcc_params, db_params,
                n_samples=signal.shape[-1])


@functools.lru_cache(maxsize=16)
def _seed_mfcc_basis(n_mfcc: int, n_mels: int, lifter: float) -> torch.Tensor:
    """The seed's liftered, unnormalised DCT-II rows, ``(n_mfcc, n_mels)`` float64."""
    k = torch.arange(n_mfcc, dtype=torch.float64)[:, None]
    i = torch.arange(n_mels, dtype=torch.float64)[None, :]
    weights = 1.0 + (lifter / 2.0) * torch.sin(math.pi * k / lifter)
    return weights * torch.cos(math.pi * k * (i + 0.5) / n_mels)


def compute_chromagram(samples: SignalLike, params: SpectrogramParams | StftParams | None = None, *args: object,
                       dtype: str | None = None, **keywords: object) -> Chromagram:
    """Energy per pitch class, shape ``(n_chroma, n_frames)``, rows C, C#, ..., B.

    ``compute_chromagram(samples, params, chroma_params=None)``: the spectrogram through
    :func:`spectrograms.chroma_filterbank`, each frame then normalised by ``chroma_params.norm``. With
    ``ChromaParams()`` (the default) these are the seed library's numbers; ``ChromaParams.librosa()`` gives
    ``librosa.feature.chroma_stft(tuning=0.0)`` under the same STFT.

    ``compute_chromagram(samples, stft_params, sample_rate, chroma_params, dtype=None)`` is the seed's form
    (a :class:`StftParams` second), by position or keyword.

    Args:
        samples: one signal ``(time,)`` or a batch ``(batch, time)``.
        params: framing, window and sample rate.
        chroma_params: default ``ChromaParams()``.
        dtype: ``"float32"`` or ``"float64"`` to compute in; None keeps the input's.
    """
    stft_params = keywords.pop("stft_params", None)
    # The seed's arguments, by position or keyword; SpectrogramParams and the plan check them.
    given: dict[str, Any]
    names: tuple[str, ...]
    if isinstance(params, StftParams) or (params is None and stft_params is not None):
        names, stft_params = ("sample_rate", "chroma_params"), params if params is not None else stft_params
        if len(args) > 3 or (len(args) == 3 and dtype is not None):
            raise InvalidTypeError(f"the seed's compute_chromagram(samples, stft_params, sample_rate, chroma_params, "
                                   f"dtype) got {2 + len(args)} positional arguments")
        given = dict(zip((*names, "dtype"), args))
        dtype = given.pop("dtype", dtype)
    else:
        names = ("chroma_params",)
        if len(args) > 1:
            raise InvalidTypeError("compute_chromagram takes (samples, params, chroma_params) or the seed's "
                                   "(samples, stft_params, sample_rate, chroma_params, dtype)")
        given = dict(zip(names, args))
    for name in list(keywords):
        if name not in names or name in given:
            reason = "twice" if name in given else "unexpected"
            raise InvalidTypeError(f"compute_chromagram got the argument {name!r} {reason}")
        given[name] = keywords.pop(name)
    if stft_params is not None:
        if given.get("sample_rate") is None:
            raise InvalidTypeError("the seed's compute_chromagram needs sample_rate")
        params = SpectrogramParams(check_type("stft_params", stft_params, StftParams), given["sample_rate"])
    return cached_plan("chromagram", params, given.get("chroma_params")).compute(signal_in(samples, dtype))


def compute_istft(stft: StftResult | torch.Tensor | npt.ArrayLike, params: SpectrogramParams | int | None = None, hop_size: int | None = None,
                  window: WindowType | None = None, center: bool = True, dtype: str | None = None, *,
                  length: int | None = None) -> torch.Tensor:
    """The signal back from its STFT: inverse FFT of each frame, windowed overlap-add, divided by the
    window-square sum (the least-squares inverse, as ``torch.istft``).

    ``compute_istft(compute_stft(x, params))`` returns ``x`` (to about 1e-6 relative in float32)
    whenever the window-square sum of the setting never vanishes inside the signal, which every
    COLA setting (e.g. Hann with ``hop_size <= n_fft / 2``) and ``centre=True`` with a window that is
    non-zero in its middle satisfy.

    ``compute_istft(stft_matrix, n_fft, hop_size, window, center=True, dtype=None)`` is the seed
    library's form of the same call; as in the seed, samples that no frame carries (a window that is zero
    at its ends, without centring or with ``hop_size == n_fft``) are 0 there, with a warning when they lie
    inside the signal (the ``SpectrogramParams`` form refuses them). A tensor that requires grad keeps its graph.

    Args:
        stft: an :class:`StftResult`, or a complex NumPy array or torch tensor of shape
            ``(n_fft // 2 + 1, n_frames)`` or ``(batch, n_fft // 2 + 1, n_frames)``.
        params: the STFT's parameters; default the :class:`StftResult`'s own (required for arrays).
            An int is the seed's ``n_fft``, with ``hop_size``, ``window`` and ``center``.
        dtype: ``"float32"`` or ``"float64"`` for the result; None follows the input.
        length: samples to return; default the StftResult's signal length, else
            ``n_fft + hop_size * (n_frames - 1)``, less ``2 * (n_fft // 2)`` with ``centre=True``.

    Returns:
        A float32 (complex64 input) or float64 tensor of shape ``(length,)`` or ``(batch, length)``.

    Raises:
        InvalidTypeError: ``stft`` is not complex or ``params`` is not a SpectrogramParams.
        InvalidInputError: a bin count that does not match ``n_fft``, a bad ``length``, non-finite
            values, or a setting that cannot be inverted (the window-square sum is ~0 somewhere).
    """
    seed_form = isinstance(params, int) and not isinstance(params, bool)
    given: object = params
    if isinstance(params, int) and not isinstance(params, bool):  # the seed's (n_fft, hop_size, window, center)
        if hop_size is None or window is None:
            raise InvalidTypeError("compute_istft(stft_matrix, n_fft, hop_size, window, center=True) needs "
                                   "hop_size and window")
        given = SpectrogramParams(StftParams(params, hop_size, window, center), 1.0)
    elif hop_size is not None or window is not None:
        raise InvalidTypeError("hop_size and window go with an int n_fft (the seed's form); params carries them")
    if isinstance(stft, StftResult):
        given = stft.params if given is None else given
        if length is None:
            length = stft.n_samples
        stft = stft.tensor
    elif given is None:
        raise InvalidInputError("params is required to invert an STFT given as an array (an StftResult carries its own)")
    spectrogram_params = check_type("params", given, SpectrogramParams)
    spectrum = as_complex(stft, name="stft", min_dims=2, max_dims=3)
    if isinstance(stft, torch.Tensor) and stft.requires_grad:
        spectrum = stft.to(spectrum.dtype)  # keep the graph: the inverse is linear, its gradient the adjoint
    length = optional_positive_int("length", length)
    stft_params = spectrogram_params.stft
    if spectrum.shape[-2] != stft_params.n_bins:
        raise InvalidInputError(
            f"the STFT has {spectrum.shape[-2]} frequency bins but n_fft={stft_params.n_fft} needs "
            f"n_fft // 2 + 1 = {stft_params.n_bins}"
        )
    real_dtype = resolve_dtype(dtype, spectrum)
    spectrum = spectrum.to(complex_of(real_dtype))
    taper = window_tensor(stft_params, real_dtype, spectrum.device)
    if seed_form:
        envelope = window_envelope(taper, spectrum.shape[-1], stft_params.hop_size)
        uncovered = envelope <= _UNCOVERED * (taper * taper).max()
        if bool(uncovered.any()):
            return _istft_zero_where_uncovered(spectrum, taper, envelope, uncovered, stft_params, length)
    return call_native(ops.istft, spectrum, taper, n_fft=stft_params.n_fft, hop_length=stft_params.hop_size,
                       center=stft_params.centre, length=length)


# A window-square sum below this fraction of the window's peak square carries no sample (as istft.cpp).
_UNCOVERED = 1e-11


def _istft_zero_where_uncovered(spectrum: torch.Tensor, window: torch.Tensor, envelope: torch.Tensor,
                                uncovered: torch.Tensor, stft_params: StftParams, length: int | None) -> torch.Tensor:
    """The seed library's inverse where some samples are carried by no frame (a window that is zero at its
    ends with centre=False, or a hop longer than the window): those samples are 0, the others the
    least-squares inverse. A gap inside the signal is warned about, since its samples are lost."""
    n_fft, hop = stft_params.n_fft, stft_params.hop_size
    covered = (~uncovered).nonzero()
    gap = int(uncovered[int(covered[0]):int(covered[-1]) + 1].sum()) if covered.numel() else uncovered.numel()
    if gap:
        warnings.warn(f"{gap} samples inside the signal are carried by no frame (n_fft={n_fft}, hop_size={hop}, "
                      f"window={stft_params.window}); they are returned as 0, as the seed library does",
                      UserWarning, stacklevel=3)
    frames = call_native(ops.irfft, spectrum.transpose(-1, -2).contiguous(), n_fft) * window
    batch = frames.reshape(-1, *frames.shape[-2:]).transpose(-1, -2)
    overlapped = torch.nn.functional.fold(batch, (1, envelope.shape[0]), (1, n_fft), stride=(1, hop))
    overlapped = overlapped.reshape(*frames.shape[:-2], envelope.shape[0])
    signal = torch.where(uncovered, torch.zeros((), dtype=overlapped.dtype),
                         overlapped / torch.where(uncovered, 1.0, envelope))
    start = n_fft // 2 if stft_params.centre else 0
    kept = envelope.shape[0] - 2 * start if length is None else length
    signal = signal[..., start:start + kept]
    return torch.nn.functional.pad(signal, (0, kept - signal.shape[-1]))
