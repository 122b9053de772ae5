"""``torch.nn`` front-ends: feature layers that compose in ``nn.Sequential`` with the model after them.

Every feature layer is constructible from the parameter objects of the seed API
(``MelSpectrogram(params, mel_params)``) or from torchaudio's keywords
(``MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=128)``, with torchaudio's
defaults: Hann window, ``hop_length = win_length // 2``, ``center=True``, ``pad_mode="reflect"``,
HTK mel scale, no mel normalisation).

Shapes: input ``(time,)``, ``(batch, time)`` or ``(batch, channels, time)`` (any ``(..., time)``);
output ``(..., bins, frames)``, e.g. ``(batch, n_mels, frames)``. :func:`frame_lengths` (and each
layer's ``frame_lengths`` method) maps sample counts to frame counts for masking padded batches.

Devices, dtypes and autograd: the window and the filterbank (CSR, plus the DCT of :class:`MFCC`) are
persistent buffers, so ``state_dict`` round-trips and ``.to(device)`` moves them; CPU tensors run the
native FFTW kernel, CUDA tensors the cuFFT-based kernel. The features are differentiable with respect to
the input (gradients flow to whatever produced the waveform) and trace without graph breaks under
``torch.compile(fullgraph=True)`` and ``torch.export``. Buffers are float32 (``.double()`` for float64
features). ``.half()`` / ``.bfloat16()`` policy: the transforms compute in float32 for float16 and
bfloat16 input and return the input's dtype, so a half-precision model can take them as they are;
the buffers are cast to the compute dtype on the fly.
"""

from __future__ import annotations

import inspect
import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from . import ops
from ._validate import (
    call_native,
    check_type,
    check_unread_samples_finite,
    finite_float,
    non_negative_float,
    one_of,
    positive_float,
    positive_int,
)
from .errors import InvalidInputError, InvalidTypeError
from .filterbanks import Filterbank, chroma_filterbank, dct_matrix
from .params import (
    ChromaParams,
    ErbParams,
    LogHzParams,
    LogParams,
    MelParams,
    MfccParams,
    SpectrogramParams,
    StftParams,
    WindowType,
)
from .ops._frames import n_frames
from .planner import MfccPlan, band_filterbank, normalize_frames, window_tensor
from .torch import lengths_to_mask

__all__ = [
    "Spectrogram",
    "MelSpectrogram",
    "ErbSpectrogram",
    "LogHzSpectrogram",
    "AmplitudeToDB",
    "MFCC",
    "Chromagram",
    "FrequencyMasking",
    "TimeMasking",
    "UtteranceNorm",
    "ComputeDeltas",
    "frame_lengths",
]


def frame_lengths(sample_lengths, n_fft: int, hop_length: int, center: bool = True):
    """Frame counts of signals of ``sample_lengths`` samples (what a padded batch's mask needs).

    Args:
        sample_lengths: an int or an int tensor of any shape (e.g. ``(batch,)``).
        n_fft, hop_length, center: the framing of the transform (``center`` default True).

    Returns:
        The frame count of :meth:`spectrograms.StftParams.n_frames` (``1 + n // hop_length`` with
        ``center`` and an even ``n_fft``, ``1 + (n - n_fft) // hop_length`` without ``center``), 0 for
        signals too short for one frame; an int for an int, an int64 tensor for a tensor.

    Raises:
        InvalidTypeError: ``sample_lengths`` is neither an int nor an integer tensor.
        InvalidInputError: ``n_fft`` or ``hop_length`` not a positive int.
    """
    n_fft, hop_length = positive_int("n_fft", n_fft), positive_int("hop_length", hop_length)
    if isinstance(sample_lengths, torch.Tensor):
        if sample_lengths.dtype.is_floating_point or sample_lengths.dtype.is_complex:
            raise InvalidTypeError(f"sample_lengths must be an integer tensor, got dtype {sample_lengths.dtype}")
        return n_frames(sample_lengths.long(), n_fft, hop_length, center).clamp(min=0)
    if isinstance(sample_lengths, bool) or not isinstance(sample_lengths, numbers.Integral):
        raise InvalidTypeError(f"sample_lengths must be an int or an int tensor, got {type(sample_lengths).__name__}")
    return max(n_frames(int(sample_lengths), n_fft, hop_length, center), 0)


# --- Construction from torchaudio's keywords -------------------------------------------------------


_STFT_KEYWORDS = ("sample_rate", "n_fft", "win_length", "hop_length", "window_fn", "wkwargs", "normalized",
                  "center", "pad_mode")


def _stft_keywords(arguments: dict) -> SpectrogramParams:
    """SpectrogramParams equivalent to torchaudio's Spectrogram keywords (``_STFT_KEYWORDS`` of ``arguments``).

    A window shorter than ``n_fft`` is zero-padded on both sides, and ``normalized`` scales the window
    (by its L2 norm, or ``1 / sqrt(n_fft)`` for ``"frame_length"``), which is what ``torch.stft`` and
    torchaudio do to the spectrum.
    """
    sample_rate, n_fft, win_length, hop_length, window_fn, wkwargs, normalized, center, pad_mode = (
        arguments[name] for name in _STFT_KEYWORDS)
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    if win_length > n_fft:
        raise InvalidInputError(f"win_length must be in [1, n_fft={n_fft}], got {win_length}")
    hop_length = win_length // 2 if hop_length is None else hop_length
    if normalized not in (False, True, "window", "frame_length"):
        raise InvalidInputError(f"normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")
    if window_fn is torch.hann_window and not wkwargs and win_length == n_fft and not normalized:
        window = WindowType.hanning
    else:
        coefficients = window_fn(win_length, **(wkwargs or {})).to(torch.float64)
        left = (n_fft - win_length) // 2
        coefficients = F.pad(coefficients, (left, n_fft - win_length - left))
        if normalized in (True, "window"):
            coefficients = coefficients / coefficients.square().sum().sqrt()
        elif normalized == "frame_length":
            coefficients = coefficients / math.sqrt(n_fft)
        window = WindowType.custom(coefficients.tolist())
    return SpectrogramParams(StftParams(n_fft, hop_length, window, centre=center, pad_mode=pad_mode), sample_rate)


def _keywords_given(init, arguments: dict, names) -> list[str]:
    """The keyword arguments among ``names`` that differ from their default in ``init``'s signature."""
    defaults = inspect.signature(init).parameters
    return [name for name in names if arguments[name] is not defaults[name].default
            and arguments[name] != defaults[name].default]


def _objects_or_keywords(init, arguments: dict, keywords, objects: dict):
    """Refuses mixing the parameter-object form with torchaudio keywords, which would be ambiguous."""
    passed = [name for name, (value, _) in objects.items() if value is not None]
    given = _keywords_given(init, arguments, keywords)
    if passed and given:
        raise InvalidTypeError(
            f"pass either parameter objects ({', '.join(objects)}) or torchaudio-style keywords, not both; "
            f"got {', '.join(passed)} and {', '.join(given)}"
        )
    for name, (value, expected) in objects.items():
        if value is not None:
            check_type(name, value, expected)


def _check_power(power, allow_complex: bool = False) -> float | None:
    if power is None and allow_complex:
        return None
    if power not in (1, 2):
        also = ", or None for the complex STFT" if allow_complex else ""
        raise InvalidInputError(f"power must be 1.0 (magnitude) or 2.0 (power){also}; got {power!r}")
    return float(power)


def _check_db(db_params) -> float | None:
    if db_params is None:
        return None
    check_type("db_params", db_params, LogParams)
    return db_params.floor_db


# --- Feature layers ---------------------------------------------------------------------------------


class _SpectralTransform(nn.Module):
    """Window, framing and an optional filterbank as buffers; forward is one call of the fused op."""

    def __init__(self, params: SpectrogramParams, filterbank: Filterbank | None, power: float | None,
                 floor_db: float | None):
        super().__init__()
        check_type("params", params, SpectrogramParams)
        self.params = params
        stft = params.stft
        self.n_fft, self.hop_length = stft.n_fft, stft.hop_size
        self.center, self.pad_mode = stft.centre, stft.pad_mode
        self.power, self.floor_db = power, floor_db
        # Clones: the plan caches share these tensors, and load_state_dict copies into buffers in place.
        self.register_buffer("window", window_tensor(stft, torch.float32).clone())
        csr = filterbank.csr(torch.float32) if filterbank is not None else (None, None, None)
        for name, tensor in zip(("fb_crow", "fb_col", "fb_val"), csr):
            self.register_buffer(name, tensor.clone() if tensor is not None else None)
        self.frequencies = filterbank.frequencies if filterbank is not None else params.bin_frequencies()

    @property
    def n_bins(self) -> int:
        """Rows of the output: the filterbank's bands, else ``n_fft // 2 + 1``."""
        return len(self.frequencies)

    def frame_lengths(self, sample_lengths):
        """Frame counts of inputs of ``sample_lengths`` samples (see :func:`frame_lengths`)."""
        return frame_lengths(sample_lengths, self.n_fft, self.hop_length, self.center)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """Computes the features.

        Args:
            waveform: float tensor ``(..., time)``.

        Returns:
            ``(..., n_bins, n_frames)`` in the input's dtype (complex for ``power=None``).
        """
        signal = _compute_dtype(waveform)
        check_unread_samples_finite(signal, self.n_fft, self.hop_length, self.center)
        window = self.window.to(signal.dtype)
        if self.power is None:
            return call_native(ops.stft, signal, window, n_fft=self.n_fft, hop_length=self.hop_length,
                               center=self.center, pad_mode=self.pad_mode)
        filterbank = None
        if self.fb_crow is not None:
            filterbank = (self.fb_crow, self.fb_col, self.fb_val.to(signal.dtype))
        out = call_native(ops.spectrogram, signal, window, n_fft=self.n_fft, hop_length=self.hop_length,
                          center=self.center, pad_mode=self.pad_mode, power=self.power, filterbank=filterbank,
                          floor_db=self.floor_db)
        return out.to(waveform.dtype)

    def extra_repr(self) -> str:
        scale = {None: "complex", 1.0: "magnitude", 2.0: "power"}[self.power]
        db = f", floor_db={self.floor_db}" if self.floor_db is not None else ""
        return (f"n_fft={self.n_fft}, hop_length={self.hop_length}, n_bins={self.n_bins}, {scale}{db}, "
                f"center={self.center}, pad_mode={self.pad_mode!r}")


def _compute_dtype(waveform: torch.Tensor) -> torch.Tensor:
    if not isinstance(waveform, torch.Tensor):
        raise InvalidTypeError(f"the input must be a torch.Tensor (..., time), got {type(waveform).__name__}")
    if waveform.dtype in (torch.float32, torch.float64):
        return waveform
    if waveform.dtype in (torch.float16, torch.bfloat16):
        return waveform.float()  # the kernels are float32/float64; the result goes back to the input dtype
    raise InvalidTypeError(f"the input must be a floating-point waveform, got dtype {waveform.dtype}")


class Spectrogram(_SpectralTransform):
    """Linear-frequency spectrogram, ``(..., time) -> (..., n_fft // 2 + 1, n_frames)``.

    ``Spectrogram(params)`` with a :class:`~spectrograms.SpectrogramParams`, or torchaudio's keywords.

    Args:
        params: framing, window and sample rate (seed form).
        db_params: if given, the output is in dB with this floor (power: ``10 log10``, magnitude:
            ``20 log10``), fused into the same pass.
        n_fft: FFT size (default 400).
        win_length: window length, at most ``n_fft`` (default ``n_fft``; shorter windows are
            zero-padded to ``n_fft`` on both sides, as ``torch.stft`` does).
        hop_length: default ``win_length // 2``.
        window_fn: window function ``window_fn(win_length, **wkwargs)`` (default ``torch.hann_window``).
        wkwargs: keyword arguments of ``window_fn``.
        power: 2.0 for power (default), 1.0 for magnitude, None for the complex STFT.
        normalized: False (default); True or ``"window"`` divides by the window's L2 norm,
            ``"frame_length"`` by ``sqrt(n_fft)``.
        center: centre frames on ``t * hop_length`` (default True).
        pad_mode: ``"reflect"`` (default, as torchaudio) or ``"constant"``.
        sample_rate: gives the frequency axis its units (default 16000).
    """

    def __init__(self, params: SpectrogramParams | None = None, db_params: LogParams | None = None, *,
                 n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                 window_fn=torch.hann_window, wkwargs: dict | None = None, power: float | None = 2.0,
                 normalized: bool | str = False, center: bool = True, pad_mode: str = "reflect",
                 sample_rate: float = 16000.0):
        arguments = locals()
        _objects_or_keywords(Spectrogram.__init__, arguments, _STFT_KEYWORDS, {"params": (params, SpectrogramParams)})
        if params is None:
            params = _stft_keywords(arguments)
        power = _check_power(power, allow_complex=True)
        if power is None and db_params is not None:
            raise InvalidInputError("db_params needs power 1.0 or 2.0; the complex STFT (power=None) has no dB form")
        super().__init__(params, None, power, _check_db(db_params))


class _BandSpectrogram(_SpectralTransform):
    """A spectrogram through the filterbank of ``band_params`` (see :func:`spectrograms.planner.band_filterbank`)."""

    def __init__(self, params, band_params, db_params, power, band_type):
        power, floor_db = _check_power(power), _check_db(db_params)
        super().__init__(params, band_filterbank(params, band_params, band_type), power, floor_db)
        self.band_params = band_params


class MelSpectrogram(_BandSpectrogram):
    """Mel spectrogram, ``(..., time) -> (..., n_mels, n_frames)``.

    ``MelSpectrogram(params, mel_params[, db_params])`` with the seed's parameter objects, or
    torchaudio's keywords (``MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=128)``;
    defaults as ``torchaudio.transforms.MelSpectrogram``: n_fft 400, hop ``win_length // 2``, 128 mels
    on the HTK scale without normalisation, reflect padding). The filterbank is a CSR buffer, applied
    inside the fused native pass.

    Args:
        params, mel_params: seed form (:class:`~spectrograms.SpectrogramParams`,
            :class:`~spectrograms.MelParams`).
        db_params: if given, output in dB with this floor, fused into the same pass. (Or follow the
            layer with :class:`AmplitudeToDB`.)
        sample_rate, n_fft, win_length, hop_length, window_fn, wkwargs, normalized, center, pad_mode:
            as :class:`Spectrogram` (sample_rate default 16000).
        f_min, f_max: frequency range in Hz (default 0 to Nyquist).
        n_mels: number of mel bands (default 128).
        power: 2.0 (power, default) or 1.0 (magnitude).
        norm: None (default) or ``"slaney"`` (area-normalised filters).
        mel_scale: ``"htk"`` (default) or ``"slaney"``.
    """

    def __init__(self, params: SpectrogramParams | None = None, mel_params: MelParams | None = None,
                 db_params: LogParams | None = None, *, sample_rate: float = 16000.0, n_fft: int = 400,
                 win_length: int | None = None, hop_length: int | None = None, f_min: float = 0.0,
                 f_max: float | None = None, n_mels: int = 128, window_fn=torch.hann_window,
                 power: float = 2.0, normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", norm: str | None = None, mel_scale: str = "htk"):
        arguments = locals()
        _objects_or_keywords(MelSpectrogram.__init__, arguments,
                             (*_STFT_KEYWORDS, "f_min", "f_max", "n_mels", "norm", "mel_scale"),
                             {"params": (params, SpectrogramParams), "mel_params": (mel_params, MelParams)})
        if (params is None) != (mel_params is None):
            raise InvalidTypeError("the seed form needs both params and mel_params: MelSpectrogram(params, mel_params)")
        if params is None:
            params = _stft_keywords(arguments)
            mel_params = MelParams(n_mels, f_min, f_max, norm=norm, scale=mel_scale)
        super().__init__(params, mel_params, db_params, power, MelParams)


class ErbSpectrogram(_BandSpectrogram):
    """ERB-rate (gammatone-style) spectrogram, ``(..., time) -> (..., n_filters, n_frames)``.

    ``ErbSpectrogram(params, erb_params[, db_params])``, or keywords: the STFT keywords of
    :class:`MelSpectrogram`, plus ``n_filters`` (default 64), ``f_min`` (default 50 Hz) and ``f_max``
    (default Nyquist). See :func:`spectrograms.filterbanks.erb_filterbank` for the filters.
    """

    def __init__(self, params: SpectrogramParams | None = None, erb_params: ErbParams | None = None,
                 db_params: LogParams | None = None, *, sample_rate: float = 16000.0, n_fft: int = 400,
                 win_length: int | None = None, hop_length: int | None = None, n_filters: int = 64,
                 f_min: float = 50.0, f_max: float | None = None, window_fn=torch.hann_window, power: float = 2.0,
                 normalized: bool | str = False, wkwargs: dict | None = None, center: bool = True,
                 pad_mode: str = "reflect"):
        arguments = locals()
        _objects_or_keywords(ErbSpectrogram.__init__, arguments, (*_STFT_KEYWORDS, "n_filters", "f_min", "f_max"),
                             {"params": (params, SpectrogramParams), "erb_params": (erb_params, ErbParams)})
        if (params is None) != (erb_params is None):
            raise InvalidTypeError("the seed form needs both params and erb_params: ErbSpectrogram(params, erb_params)")
        if params is None:
            params = _stft_keywords(arguments)
            erb_params = ErbParams(n_filters, f_min, f_max)
        super().__init__(params, erb_params, db_params, power, ErbParams)


class LogHzSpectrogram(_BandSpectrogram):
    """Spectrogram on log-spaced frequency bands, ``(..., time) -> (..., n_bins, n_frames)``.

    ``LogHzSpectrogram(params, loghz_params[, db_params])``, or keywords: the STFT keywords of
    :class:`MelSpectrogram`, plus ``n_bins`` (default 128), ``f_min`` (default 32.7 Hz, C1) and
    ``f_max`` (default Nyquist). See :func:`spectrograms.filterbanks.loghz_filterbank`.
    """

    def __init__(self, params: SpectrogramParams | None = None, loghz_params: LogHzParams | None = None,
                 db_params: LogParams | None = None, *, sample_rate: float = 16000.0, n_fft: int = 400,
                 win_length: int | None = None, hop_length: int | None = None, n_bins: int = 128,
                 f_min: float = 32.703195662574764, f_max: float | None = None, window_fn=torch.hann_window,
                 power: float = 2.0, normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect"):
        arguments = locals()
        _objects_or_keywords(LogHzSpectrogram.__init__, arguments, (*_STFT_KEYWORDS, "n_bins", "f_min", "f_max"),
                             {"params": (params, SpectrogramParams), "loghz_params": (loghz_params, LogHzParams)})
        if (params is None) != (loghz_params is None):
            raise InvalidTypeError(
                "the seed form needs both params and loghz_params: LogHzSpectrogram(params, loghz_params)"
            )
        if params is None:
            params = _stft_keywords(arguments)
            loghz_params = LogHzParams(n_bins, f_min, f_max)
        super().__init__(params, loghz_params, db_params, power, LogHzParams)


class Chromagram(_SpectralTransform):
    """Chromagram (pitch-class energy), ``(..., time) -> (..., n_chroma, n_frames)``.

    The power spectrogram through the chroma filterbank (in the fused pass), then each frame normalised
    by ``norm``: the computation of :class:`spectrograms.planner.ChromagramPlan`.

    ``Chromagram(params[, chroma_params])``, or keywords: the STFT keywords of :class:`MelSpectrogram`
    plus ``n_chroma`` (12), ``tuning`` (0), ``f_min`` (0), ``f_max`` (Nyquist) and ``norm`` (``"max"``,
    ``"l1"``, ``"l2"`` or None). See :func:`spectrograms.filterbanks.chroma_filterbank`.
    """

    def __init__(self, params: SpectrogramParams | None = None, chroma_params: ChromaParams | None = None, *,
                 sample_rate: float = 16000.0, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, n_chroma: int = 12, tuning: float = 0.0, f_min: float = 0.0,
                 f_max: float | None = None, norm: str | None = "max", window_fn=torch.hann_window,
                 normalized: bool | str = False, wkwargs: dict | None = None, center: bool = True,
                 pad_mode: str = "reflect"):
        arguments = locals()
        _objects_or_keywords(Chromagram.__init__, arguments,
                             (*_STFT_KEYWORDS, "n_chroma", "tuning", "f_min", "f_max", "norm"),
                             {"params": (params, SpectrogramParams), "chroma_params": (chroma_params, ChromaParams)})
        if params is None and chroma_params is not None:
            raise InvalidTypeError("the seed form needs params: Chromagram(params, chroma_params)")
        if params is None:
            params = _stft_keywords(arguments)
            chroma_params = ChromaParams(n_chroma, tuning, f_min, f_max, norm)
        chroma_params = ChromaParams() if chroma_params is None else chroma_params
        super().__init__(params, chroma_filterbank(params, chroma_params), 2.0, None)
        self.chroma_params = chroma_params

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return normalize_frames(super().forward(waveform), self.chroma_params.norm)


class AmplitudeToDB(nn.Module):
    """Power or magnitude to decibels, ``(..., bins, frames)`` in and out.

    ``out = multiplier * log10(max(x, amin))`` with multiplier 10 for power and 20 for magnitude.

    Args:
        db_params: seed form: ``amin`` is the linear value of ``db_params.floor_db``, so the output
            floor is ``floor_db`` dB (the same as the fused ``db_params`` of the spectrogram layers).
            Default: torchaudio's ``amin = 1e-10`` (-100 dB for power).
        stype: ``"power"`` (default) or ``"magnitude"``.
        top_db: if given, values more than ``top_db`` below each spectrogram's maximum (over its last
            two axes) are raised to ``max - top_db``. (torchaudio takes the maximum over the last three
            axes, which mixes the items of a ``(batch, bins, frames)`` input; this layer does not.)
    """

    def __init__(self, db_params: LogParams | None = None, *, stype: str = "power", top_db: float | None = None):
        super().__init__()
        one_of("stype", stype, ("power", "magnitude"))
        top_db = None if top_db is None else non_negative_float("top_db", top_db)
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        floor_db = _check_db(db_params)
        self.amin = 1e-10 if floor_db is None else 10.0 ** (floor_db / self.multiplier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_db = self.multiplier * torch.log10(x.clamp(min=self.amin))
        if self.top_db is not None:
            if x.dim() < 2:
                raise InvalidInputError(
                    f"top_db needs a spectrogram of shape (..., bins, frames), got shape {tuple(x.shape)}")
            x_db = torch.maximum(x_db, x_db.amax(dim=(-2, -1), keepdim=True) - self.top_db)
        return x_db

    def extra_repr(self) -> str:
        return f"stype={self.stype!r}, amin={self.amin:g}, top_db={self.top_db}"


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients, ``(..., time) -> (..., n_mfcc, n_frames)``.

    Seed form ``MFCC(params, mel_params, mfcc_params=None, db_params=None)``: mel power in dB with a
    fixed floor (default -80 dB) fused in the native pass, then the orthonormal DCT-II and the lifter of
    ``mfcc_params``: the computation of :class:`spectrograms.planner.MfccPlan`.

    torchaudio form ``MFCC(sample_rate=16000, n_mfcc=40, dct_type=2, norm="ortho", log_mels=False,
    melkwargs=None)``: as ``torchaudio.transforms.MFCC``: a :class:`MelSpectrogram` from ``melkwargs``,
    then dB with ``top_db=80`` (or ``log(mel + 1e-6)`` with ``log_mels``), then the orthonormal DCT-II.

    The DCT (times the lifter) is a buffer of shape ``(n_mfcc, n_mels)``.
    """

    def __init__(self, params: SpectrogramParams | None = None, mel_params: MelParams | None = None,
                 mfcc_params: MfccParams | None = None, db_params: LogParams | None = None, *,
                 sample_rate: float = 16000.0, n_mfcc: int = 40, dct_type: int = 2, norm: str | None = "ortho",
                 log_mels: bool = False, melkwargs: dict | None = None):
        super().__init__()
        arguments = locals()
        _objects_or_keywords(MFCC.__init__, arguments,
                             ("sample_rate", "n_mfcc", "dct_type", "norm", "log_mels", "melkwargs"),
                             {"params": (params, SpectrogramParams), "mel_params": (mel_params, MelParams),
                              "mfcc_params": (mfcc_params, MfccParams)})
        if any(p is not None for p in (params, mel_params, mfcc_params, db_params)):
            if params is None or mel_params is None:
                raise InvalidTypeError("the seed form needs both params and mel_params: MFCC(params, mel_params)")
            plan = MfccPlan(params, mel_params, mfcc_params, db_params)
            self.mel_spectrogram = MelSpectrogram(params, mel_params, plan.db_params)
            self.amplitude_to_db = nn.Identity()
            self.log_mels = False
            basis = plan.basis(torch.float32)
        else:
            if dct_type != 2:
                raise InvalidInputError(f"only dct_type=2 is supported, got {dct_type}")
            if norm != "ortho":
                raise InvalidInputError(f"only norm='ortho' is supported, got {norm!r}")
            self.mel_spectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
            self.log_mels = log_mels
            self.amplitude_to_db = nn.Identity() if log_mels else AmplitudeToDB(stype="power", top_db=80.0)
            basis = dct_matrix(n_mfcc, self.mel_spectrogram.n_bins, torch.float32)
        self.register_buffer("dct", basis.clone())

    @property
    def n_mfcc(self) -> int:
        return self.dct.shape[0]

    def frame_lengths(self, sample_lengths):
        return self.mel_spectrogram.frame_lengths(sample_lengths)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        mel = self.mel_spectrogram(waveform)
        mel = torch.log(mel + 1e-6) if self.log_mels else self.amplitude_to_db(mel)
        return torch.matmul(self.dct.to(mel.dtype), mel)


# --- Training-time layers ---------------------------------------------------------------------------


class _AxisMasking(nn.Module):
    """SpecAugment masking of one band of rows (frequency) or columns (time), as torchaudio's."""

    def __init__(self, name: str, mask_param: int, axis: int, iid_masks: bool, p: float, mask_value: float):
        super().__init__()
        if isinstance(mask_param, bool) or not isinstance(mask_param, int) or mask_param < 0:
            raise InvalidInputError(f"{name} must be a non-negative int, got {mask_param!r}")
        p = finite_float("p", p)
        if not 0.0 <= p <= 1.0:
            raise InvalidInputError(f"p must be in [0, 1], got {p}")
        self.mask_param, self.axis, self.iid_masks, self.p, self.mask_value = mask_param, axis, iid_masks, p, mask_value

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        """Masks one random band.

        Args:
            specgram: ``(..., bins, frames)``.

        Returns:
            The same shape; a random band of width ``[0, mask_param)`` set to ``mask_value`` (one band
            for the whole batch, or one per item and channel with ``iid_masks``). In eval mode the input
            is returned unchanged.
        """
        if specgram.dim() < 2:
            raise InvalidInputError(f"{type(self).__name__} needs a spectrogram of shape (..., bins, frames), "
                                    f"got shape {tuple(specgram.shape)}")
        if not self.training:
            return specgram
        size = specgram.shape[self.axis]
        mask_param = self.mask_param if self.p == 1.0 else min(self.mask_param, int(size * self.p))
        if mask_param < 1:
            return specgram
        # Per item and channel with iid_masks, else one band for all; drawn on the device (no sync).
        lead = tuple(specgram.shape[:-2]) if self.iid_masks else ()
        width = torch.rand(lead, device=specgram.device) * mask_param
        start = torch.rand(lead, device=specgram.device) * (size - width)
        start, end = start.long()[..., None], (start.long() + width.long())[..., None]
        positions = torch.arange(size, device=specgram.device)
        mask = (positions >= start) & (positions < end)  # (*lead, size)
        mask = mask[..., :, None] if self.axis == -2 else mask[..., None, :]
        return specgram.masked_fill(mask, self.mask_value)

    def extra_repr(self) -> str:
        return f"mask_param={self.mask_param}, iid_masks={self.iid_masks}, p={self.p}, mask_value={self.mask_value}"


class FrequencyMasking(_AxisMasking):
    """SpecAugment frequency masking: a random band of ``[0, freq_mask_param)`` rows set to ``mask_value``.

    As ``torchaudio.transforms.FrequencyMasking``, but active only in training mode (identity after
    ``model.eval()``, so it can stay in an inference pipeline). ``mask_value`` defaults to 0; for dB
    features use the floor (e.g. -80). Input and output ``(..., bins, frames)``.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False, mask_value: float = 0.0):
        super().__init__("freq_mask_param", freq_mask_param, -2, iid_masks, 1.0, mask_value)


class TimeMasking(_AxisMasking):
    """SpecAugment time masking: a random run of ``[0, time_mask_param)`` frames set to ``mask_value``,
    at most the fraction ``p`` of the frames.

    As ``torchaudio.transforms.TimeMasking``, but active only in training mode. Input and output
    ``(..., bins, frames)``.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0, mask_value: float = 0.0):
        super().__init__("time_mask_param", time_mask_param, -1, iid_masks, p, mask_value)


class UtteranceNorm(nn.Module):
    """Per-utterance mean and variance normalisation (CMVN) of each bin over the valid frames.

    Args:
        normalize_variance: also divide by the standard deviation (default True); False only
            subtracts the mean.
        eps: added to the variance (default 1e-5).

    Call as ``norm(x)`` or ``norm(x, lengths)``: ``x`` is ``(batch, [channels,] bins, frames)``,
    ``lengths`` the int frame counts ``(batch,)`` of a padded batch (e.g. from the feature layer's
    ``frame_lengths``). With lengths the statistics use only each item's own frames, and the padded
    frames of the output are 0.
    """

    def __init__(self, normalize_variance: bool = True, eps: float = 1e-5):
        super().__init__()
        self.normalize_variance, self.eps = bool(normalize_variance), positive_float("eps", eps)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            mean = x.mean(dim=-1, keepdim=True)
            centred = x - mean
            if not self.normalize_variance:
                return centred
            return centred * torch.rsqrt(centred.square().mean(dim=-1, keepdim=True) + self.eps)
        if x.dim() < 3 or lengths.shape != x.shape[:1]:
            raise InvalidInputError(
                f"lengths must have shape (batch,) = ({x.shape[0]},) for input (batch, ..., bins, frames), "
                f"got lengths {tuple(lengths.shape)} for input {tuple(x.shape)}"
            )
        broadcast = (x.shape[0],) + (1,) * (x.dim() - 2)
        mask = lengths_to_mask(lengths, x.shape[-1]).reshape(*broadcast, x.shape[-1]).to(x.dtype)
        count = lengths.reshape(broadcast + (1,)).clamp(min=1).to(x.dtype)
        mean = (x * mask).sum(dim=-1, keepdim=True) / count
        centred = (x - mean) * mask
        if not self.normalize_variance:
            return centred
        return centred * torch.rsqrt(centred.square().sum(dim=-1, keepdim=True) / count + self.eps)

    def extra_repr(self) -> str:
        return f"normalize_variance={self.normalize_variance}, eps={self.eps}"


class ComputeDeltas(nn.Module):
    """Delta (time-derivative) coefficients along the frames axis, as ``torchaudio.transforms.ComputeDeltas``.

    ``d_t = sum_{n=1..N} n (c_{t+n} - c_{t-n}) / (2 sum n^2)`` with ``N = (win_length - 1) // 2``, the
    edges padded by ``mode`` (``"replicate"`` default). Input and output ``(..., bins, frames)``; apply
    twice for delta-deltas.
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate"):
        super().__init__()
        if isinstance(win_length, bool) or not isinstance(win_length, int) or win_length < 3:
            raise InvalidInputError(f"win_length must be an int >= 3, got {win_length!r}")
        self.win_length, self.mode = win_length, one_of("mode", mode, ("replicate", "reflect", "circular", "constant"))
        n = (win_length - 1) // 2
        kernel = torch.arange(-n, n + 1, dtype=torch.float32) / (n * (n + 1) * (2 * n + 1) / 3)
        # Derived from win_length, so not part of the state_dict; a buffer so that .to(device) moves it.
        self.register_buffer("kernel", kernel.reshape(1, 1, -1), persistent=False)

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        n = (self.win_length - 1) // 2
        flat = specgram.reshape(-1, 1, specgram.shape[-1])
        padded = F.pad(flat, (n, n), mode=self.mode)
        return F.conv1d(padded, self.kernel.to(specgram.dtype)).reshape(specgram.shape)

    def extra_repr(self) -> str:
        return f"win_length={self.win_length}, mode={self.mode!r}"
