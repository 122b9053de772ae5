"""Feature functions beyond the linear and mel spectrograms: ERB and log-Hz spectrograms, MFCC,
chromagram, and the inverse STFT.

Like :mod:`spectrograms.compute`, each takes one signal ``(time,)`` or a batch ``(batch, time)`` as a
NumPy array, torch tensor or list of floats, builds (or reuses) a plan and runs the fused native op;
float32 input gives float32 results, float64 gives float64.
"""

from __future__ import annotations

import torch

from . import ops
from ._validate import call_native, check_type, optional_positive_int
from .errors import InvalidInputError
from .fft import as_complex
from .params import ChromaParams, ErbParams, LogHzParams, LogParams, MelParams, MfccParams, SpectrogramParams
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


def compute_erb_power_spectrogram(samples, params: SpectrogramParams, erb_params: ErbParams) -> Spectrogram:
    """ERB (gammatone-style) filterbank applied to ``|X|^2``, shape ``(n_filters, n_frames)``.

    See :func:`spectrograms.erb_filterbank` for the filters.
    """
    return cached_plan("erb_power", params, erb_params).compute(samples)


def compute_erb_magnitude_spectrogram(samples, params: SpectrogramParams, erb_params: ErbParams) -> Spectrogram:
    """ERB filterbank applied to ``|X|``, shape ``(n_filters, n_frames)``."""
    return cached_plan("erb_magnitude", params, erb_params).compute(samples)


def compute_erb_db_spectrogram(samples, params: SpectrogramParams, erb_params: ErbParams,
                               db_params: LogParams | None = None) -> Spectrogram:
    """ERB band power in dB with a floor, shape ``(n_filters, n_frames)``; ``db_params`` defaults to -80 dB."""
    return cached_plan("erb_db", params, erb_params, db_params).compute(samples)


def compute_loghz_power_spectrogram(samples, params: SpectrogramParams, loghz_params: LogHzParams) -> Spectrogram:
    """``|X|^2`` on log-spaced frequencies, shape ``(n_bins, n_frames)``.

    See :func:`spectrograms.loghz_filterbank` for the bands.
    """
    return cached_plan("loghz_power", params, loghz_params).compute(samples)


def compute_loghz_magnitude_spectrogram(samples, params: SpectrogramParams,
                                        loghz_params: LogHzParams) -> Spectrogram:
    """``|X|`` on log-spaced frequencies, shape ``(n_bins, n_frames)``."""
    return cached_plan("loghz_magnitude", params, loghz_params).compute(samples)


def compute_loghz_db_spectrogram(samples, params: SpectrogramParams, loghz_params: LogHzParams,
                                 db_params: LogParams | None = None) -> Spectrogram:
    """Log-Hz power in dB with a floor, shape ``(n_bins, n_frames)``; ``db_params`` defaults to -80 dB."""
    return cached_plan("loghz_db", params, loghz_params, db_params).compute(samples)


def compute_mfcc(samples, params: SpectrogramParams, mel: MelParams | int, mfcc_params: MfccParams | None = None,
                 *, db_params: LogParams | None = None) -> Mfcc:
    """Mel-frequency cepstral coefficients, shape ``(n_mfcc, n_frames)`` (or ``(batch, n_mfcc, n_frames)``).

    The orthonormal DCT-II over the mel power in dB, ``10 log10(max(P_mel, 10^(floor_db/10)))``,
    keeping the first ``n_mfcc`` coefficients and applying the lifter: the same numbers as
    ``librosa.feature.mfcc(S=<that mel dB>, n_mfcc=n_mfcc, dct_type=2, norm="ortho", lifter=lifter)``.

    Args:
        samples: one signal ``(time,)`` or a batch ``(batch, time)``.
        params: framing, window and sample rate.
        mel: a :class:`MelParams`, or an int number of mel bands (``MelParams(mel)``).
        mfcc_params: default ``MfccParams()`` (13 coefficients, no lifter).
        db_params: the dB floor of the mel bands (default ``LogParams()``, -80 dB).
    """
    return cached_plan("mfcc", params, mel, mfcc_params, db_params).compute(samples)


def compute_chromagram(samples, params: SpectrogramParams, chroma_params: ChromaParams | None = None) -> Chromagram:
    """Energy per pitch class, shape ``(n_chroma, n_frames)``, rows C, C#, ..., B.

    The power spectrogram through :func:`spectrograms.chroma_filterbank`, each frame then normalised
    by ``chroma_params.norm`` (default: its maximum, so the strongest pitch class is 1; silent frames
    stay 0). With the defaults this is ``librosa.feature.chroma_stft(tuning=0.0)`` under the same STFT.

    Args:
        samples: one signal ``(time,)`` or a batch ``(batch, time)``.
        params: framing, window and sample rate.
        chroma_params: default ``ChromaParams()``; :meth:`ChromaParams.music_standard` limits the bins
            to the piano's range.
    """
    return cached_plan("chromagram", params, chroma_params).compute(samples)


def compute_istft(stft, params: SpectrogramParams | None = None, *, length: int | None = None) -> torch.Tensor:
    """The signal back from its STFT: inverse FFT of each frame, windowed overlap-add, divided by the
    window-square sum (the least-squares inverse, as ``torch.istft``).

    ``compute_istft(compute_stft(x, params))`` returns ``x`` (to about 1e-6 relative in float32)
    whenever the window-square sum of the setting never vanishes inside the signal, which every
    COLA setting (e.g. Hann with ``hop_size <= n_fft / 2``) and ``centre=True`` with a window that is
    non-zero in its middle satisfy.

    Args:
        stft: an :class:`StftResult`, or a complex NumPy array or torch tensor of shape
            ``(n_fft // 2 + 1, n_frames)`` or ``(batch, n_fft // 2 + 1, n_frames)``.
        params: the STFT's parameters; default the :class:`StftResult`'s own (required for arrays).
        length: samples to return; default the StftResult's signal length, else
            ``n_fft + hop_size * (n_frames - 1)``, less ``2 * (n_fft // 2)`` with ``centre=True``.

    Returns:
        A float32 (complex64 input) or float64 tensor of shape ``(length,)`` or ``(batch, length)``.

    Raises:
        InvalidTypeError: ``stft`` is not complex or ``params`` is not a SpectrogramParams.
        InvalidInputError: a bin count that does not match ``n_fft``, a bad ``length``, non-finite
            values, or a setting that cannot be inverted (the window-square sum is ~0 somewhere).
    """
    if isinstance(stft, StftResult):
        params = stft.params if params is None else params
        if length is None:
            length = stft.n_samples
        stft = stft.tensor
    elif params is None:
        raise InvalidInputError("params is required to invert an STFT given as an array (an StftResult carries its own)")
    check_type("params", params, SpectrogramParams)
    spectrum = as_complex(stft, name="stft", min_dims=2, max_dims=3)
    length = optional_positive_int("length", length)
    stft_params = params.stft
    if spectrum.shape[-2] != stft_params.n_bins:
        raise InvalidInputError(
            f"the STFT has {spectrum.shape[-2]} frequency bins but n_fft={stft_params.n_fft} needs "
            f"n_fft // 2 + 1 = {stft_params.n_bins}"
        )
    real_dtype = torch.float32 if spectrum.dtype == torch.complex64 else torch.float64
    return call_native(ops.istft, spectrum, window_tensor(stft_params, real_dtype, spectrum.device),
                       n_fft=stft_params.n_fft, hop_length=stft_params.hop_size, center=stft_params.centre,
                       length=length)
