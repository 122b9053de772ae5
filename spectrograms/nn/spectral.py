"""Spectral feature layers: linear, mel, ERB and log-Hz spectrograms, chroma, dB and MFCC."""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from typing import Optional

import numpy as np
import torch
from torch import nn

from .._validate import (
    non_negative_float,
    one_of,
)
from ..errors import InvalidInputError, InvalidTypeError
from .._validate import MAX_BANDS, bounded_int, finite_float, positive_float
from ..filterbanks import (
    Filterbank,
    check_mel_norm,
    chroma_filterbank,
    dct_basis,
    librosa_chroma_weights,
    lifter_weights,
    mel_weights,
)
from ..params import (
    ChromaParams,
    ErbParams,
    LogHzParams,
    LogParams,
    MelParams,
    MfccParams,
    SpectrogramParams,
)
from ..planner import MfccPlan, band_filterbank, normalize_frames
from ._common import (
    _STFT_KEYWORDS,
    _check_db,
    _check_power,
    _objects_or_keywords,
    _SpectralTransform,
    _stft_keywords,
)


# torchaudio's positional parameter orders. Parameters this library has no counterpart for (``pad``,
# ``onesided``, ``return_complex``) are accepted only at torchaudio's default, so a positional call that
# would mean something different is refused rather than silently computing another transform.
_UNSUPPORTED_DEFAULTS = {"pad": 0, "onesided": (None, True), "return_complex": (None, True)}
_SPECTROGRAM_ORDER = ("n_fft", "win_length", "hop_length", "pad", "window_fn", "power", "normalized", "wkwargs",
                      "center", "pad_mode", "onesided", "return_complex")
_MEL_ORDER = ("sample_rate", "n_fft", "win_length", "hop_length", "f_min", "f_max", "pad", "n_mels", "window_fn",
              "power", "normalized", "wkwargs", "center", "pad_mode", "onesided", "norm", "mel_scale")
_MFCC_ORDER = ("sample_rate", "n_mfcc", "dct_type", "norm", "log_mels", "melkwargs")
_DB_ORDER = ("stype", "top_db")


def _torchaudio_positional(order: tuple[str, ...], first: tuple[type, ...] = (numbers.Real,)):
    """Lets a constructor also take torchaudio's positional form (``MelSpectrogram(16000, 512)``).

    The call is in torchaudio's form when its first positional argument is of a ``first`` type (a
    number, or a string for AmplitudeToDB) rather than a parameter object; the positional values are
    then named by ``order`` and passed on as keywords, so the keyword path validates them.
    """

    def decorate(init):
        @functools.wraps(init)  # keeps the signature, which _objects_or_keywords reads its defaults from
        def __init__(self, *args, **kwargs):
            if not args or isinstance(args[0], bool) or not isinstance(args[0], first):
                return init(self, *args, **kwargs)
            cls = type(self).__name__
            if len(args) > len(order):
                raise InvalidTypeError(f"{cls} takes at most {len(order)} positional arguments in torchaudio's "
                                       f"order ({', '.join(order)}), got {len(args)}")
            for name, value in zip(order, args):
                if name in kwargs:
                    raise InvalidTypeError(f"{cls} got {name} both positionally and as a keyword")
                if name in _UNSUPPORTED_DEFAULTS:
                    allowed = _UNSUPPORTED_DEFAULTS[name]
                    allowed = allowed if isinstance(allowed, tuple) else (allowed,)
                    if value not in allowed:
                        raise InvalidInputError(f"{cls}: {name}={value!r} is not supported; only torchaudio's "
                                                f"default ({' or '.join(map(repr, allowed))}) is")
                    continue
                kwargs[name] = value
            return init(self, **kwargs)

        return __init__

    return decorate


class Spectrogram(_SpectralTransform):
    """Linear-frequency spectrogram, ``(..., time) -> (..., n_fft // 2 + 1, n_frames)``.

    ``Spectrogram(params)`` with a :class:`~spectrograms.SpectrogramParams`, or torchaudio's keywords,
    or its positional form in its order (``Spectrogram(400)``, ``Spectrogram(512, None, 128)``).

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
        pad_mode: ``"reflect"`` (default, as torchaudio), ``"constant"``, ``"replicate"`` or
            ``"circular"`` (``torch.stft``'s modes; the last two pad in the layer, before the native pass).
        sample_rate: gives the frequency axis its units (default 16000).
    """

    @_torchaudio_positional(_SPECTROGRAM_ORDER)
    def __init__(self, params: SpectrogramParams | None = None, db_params: LogParams | None = None, *,
                 n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                 window_fn=torch.hann_window, wkwargs: dict | None = None, power: float | None = 2.0,
                 normalized: bool | str = False, center: bool = True, pad_mode: str = "reflect",
                 sample_rate: float = 16000.0):
        arguments = locals()
        _objects_or_keywords(Spectrogram.__init__, arguments, _STFT_KEYWORDS, {"params": (params, SpectrogramParams)})
        torch_pad = None
        if params is None:
            params, torch_pad = _stft_keywords(arguments), pad_mode
        power = _check_power(power, allow_complex=True)
        if power is None and db_params is not None:
            raise InvalidInputError("db_params needs power 1.0 or 2.0; the complex STFT (power=None) has no dB form")
        super().__init__(params, None, power, _check_db(db_params), pad_mode=torch_pad)


class _BandSpectrogram(_SpectralTransform):
    """A spectrogram through the filterbank of ``band_params`` (see :func:`spectrograms.planner.band_filterbank`)."""

    def __init__(self, params, band_params, db_params, power, band_type, seed_form: bool,
                 pad_mode: str | None = None, filterbank: Filterbank | None = None):
        # Built from the seed's objects, power=1 is the seed's band magnitude (the root of the band power);
        # from torchaudio's keywords it is torchaudio's filterbank @ |X|.
        power, floor_db = _check_power(power), _check_db(db_params)
        if filterbank is None:
            filterbank = band_filterbank(params, band_params, band_type)
        super().__init__(params, filterbank, power, floor_db, root_of_band_power=seed_form,
                         pad_mode=None if seed_form else pad_mode)
        self.band_params = band_params


class MelSpectrogram(_BandSpectrogram):
    """Mel spectrogram, ``(..., time) -> (..., n_mels, n_frames)``.

    ``MelSpectrogram(params, mel_params[, db_params])`` with the seed's parameter objects, or
    torchaudio's keywords (``MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=128)``;
    defaults as ``torchaudio.transforms.MelSpectrogram``: n_fft 400, hop ``win_length // 2``, 128 mels
    on the HTK scale without normalisation, reflect padding), also positionally in torchaudio's order
    (``MelSpectrogram(16000, 512, None, 256)``). The filterbank is a CSR buffer, applied
    inside the fused native pass.

    Args:
        params, mel_params: seed form (:class:`~spectrograms.SpectrogramParams`,
            :class:`~spectrograms.MelParams`).
        db_params: if given, output in dB with this floor, fused into the same pass. (Or follow the
            layer with :class:`AmplitudeToDB`.)
        sample_rate, n_fft, win_length, hop_length, window_fn, wkwargs, normalized, center, pad_mode:
            as :class:`Spectrogram` (sample_rate default 16000).
        f_min, f_max: frequency range in Hz (default 0 to Nyquist). As in torchaudio and librosa, an
            ``f_max`` above the Nyquist frequency or ``f_min >= f_max`` is accepted with a UserWarning
            (the filters beyond Nyquist are empty; an empty range gives all-zero filters).
        n_mels: number of mel bands (default 128).
        power: 2.0 (power, default) or 1.0 (magnitude).
        norm: None (default), ``"slaney"`` (area-normalised filters), or librosa's numbers ``1``, ``2``,
            ``np.inf`` (each filter scaled to unit l1, l2 or max norm).
        mel_scale: ``"htk"`` (default) or ``"slaney"``.
    """

    @_torchaudio_positional(_MEL_ORDER)
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
        seed_form = params is not None
        filterbank = None
        if params is None:
            params = _stft_keywords(arguments)
            one_of("mel_scale", mel_scale, ("htk", "slaney"))  # MelParams would name it "scale"
            mel_params, filterbank = _keyword_mel_filterbank(params, n_mels, f_min, f_max, norm, mel_scale)
        super().__init__(params, mel_params, db_params, power, MelParams, seed_form, pad_mode, filterbank)


def _keyword_mel_filterbank(params: SpectrogramParams, n_mels, f_min, f_max, norm, mel_scale):
    """The MelParams (None where they cannot hold the range) and the filterbank of torchaudio's keywords.

    torchaudio and librosa build filters for any range: above the Nyquist frequency the filters are
    empty, and ``f_min >= f_max`` gives all-zero filters. Both are accepted here too, with a UserWarning,
    rather than refused as :class:`MelParams` (the seed's object) refuses them.
    """
    n_mels = bounded_int("n_mels", n_mels, MAX_BANDS)
    f_min = non_negative_float("f_min", f_min)
    nyquist = params.sample_rate / 2
    given_f_max = None if f_max is None else positive_float("f_max", f_max)
    f_max = nyquist if given_f_max is None else given_f_max
    mel_norm = check_mel_norm(norm)
    if f_max > nyquist:
        warnings.warn(f"f_max={f_max} Hz is above the Nyquist frequency {nyquist} Hz of sample_rate="
                      f"{params.sample_rate}: the filters above it are empty", UserWarning, stacklevel=4)
    if f_min >= f_max:
        warnings.warn(f"f_min={f_min} Hz is not below f_max={f_max} Hz: all {n_mels} mel filters are zero",
                      UserWarning, stacklevel=4)
    weights, centres = mel_weights(params.bin_frequencies(), n_mels, f_min, f_max, mel_scale, mel_norm)
    representable = f_min < f_max <= nyquist and mel_norm != math.inf
    mel_params = MelParams(n_mels, f_min, given_f_max, norm=mel_norm, scale=mel_scale) if representable else None
    return mel_params, Filterbank("mel", weights, centres, mel_params)


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
        seed_form = params is not None
        if params is None:
            params = _stft_keywords(arguments)
            erb_params = ErbParams(n_filters, f_min, f_max)
        super().__init__(params, erb_params, db_params, power, ErbParams, seed_form, pad_mode)


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
        seed_form = params is not None
        if params is None:
            params = _stft_keywords(arguments)
            loghz_params = LogHzParams(n_bins, f_min, f_max)
        super().__init__(params, loghz_params, db_params, power, LogHzParams, seed_form, pad_mode)


class Chromagram(_SpectralTransform):
    """Chromagram (pitch-class energy), ``(..., time) -> (..., n_chroma, n_frames)``.

    The spectrogram through the chroma filterbank (in the fused pass), then each frame normalised by
    ``norm``: the computation of :class:`spectrograms.planner.ChromagramPlan`.

    ``Chromagram(params[, chroma_params])`` (the seed's chroma by default), or keywords: the STFT keywords
    of :class:`MelSpectrogram` plus librosa's ``n_chroma`` (12), ``tuning`` (0, in chroma bins; None
    estimates it from each input as ``librosa.feature.chroma_stft`` does, pooled over the batch as
    librosa pools channels), ``f_min`` (0), ``f_max`` (Nyquist), ``norm`` (``"max"``, ``"l1"``, ``"l2"``,
    None, or librosa's numbers ``np.inf``, 1, 2) and ``librosa.filters.chroma``'s ``ctroct`` (5),
    ``octwidth`` (2; None for no octave weighting) and ``base_c`` (True: rows start at C, else at A),
    which give ``librosa.feature.chroma_stft``. See :func:`spectrograms.filterbanks.chroma_filterbank`.
    """

    def __init__(self, params: SpectrogramParams | None = None, chroma_params: ChromaParams | None = None, *,
                 sample_rate: float = 16000.0, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, n_chroma: int = 12, tuning: float | None = 0.0, f_min: float = 0.0,
                 f_max: float | None = None, norm: str | None = "max", window_fn=torch.hann_window,
                 normalized: bool | str = False, wkwargs: dict | None = None, center: bool = True,
                 pad_mode: str = "reflect", ctroct: float = 5.0, octwidth: float | None = 2.0, base_c: bool = True):
        arguments = locals()
        _objects_or_keywords(Chromagram.__init__, arguments,
                             (*_STFT_KEYWORDS, "n_chroma", "tuning", "f_min", "f_max", "norm", "ctroct", "octwidth",
                              "base_c"),
                             {"params": (params, SpectrogramParams), "chroma_params": (chroma_params, ChromaParams)})
        if params is None and chroma_params is not None:
            raise InvalidTypeError("the seed form needs params: Chromagram(params, chroma_params)")
        torch_pad, filterbank = None, None
        self._estimate_tuning = False
        if params is None:
            params, torch_pad = _stft_keywords(arguments), pad_mode
            ctroct = finite_float("ctroct", ctroct)
            octwidth = None if octwidth is None else positive_float("octwidth", octwidth)
            if not isinstance(base_c, bool):
                raise InvalidTypeError(f"base_c must be a bool, got {type(base_c).__name__} {base_c!r}")
            self._estimate_tuning = tuning is None
            chroma_params = ChromaParams.librosa(n_chroma, 0.0 if tuning is None else tuning, _chroma_norm(norm),
                                                 f_min, f_max)
            self._octaves = (ctroct, octwidth, base_c)
            if self._estimate_tuning:
                filterbank = None  # the power spectrogram; the filters follow each input's tuning
            elif (ctroct, octwidth, base_c) != (5.0, 2.0, True):
                filterbank = self._librosa_filterbank(params, chroma_params, chroma_params.tuning_bins)
        chroma_params = ChromaParams() if chroma_params is None else chroma_params
        if filterbank is None and not self._estimate_tuning:
            filterbank = chroma_filterbank(params, chroma_params)
        power = 1.0 if chroma_params.shape == "gaussian" else 2.0  # the seed's chroma is of magnitudes
        super().__init__(params, filterbank, power, None, pad_mode=torch_pad)
        self.chroma_params = chroma_params
        self.norm: Optional[str] = chroma_params.norm  # typed for TorchScript: None or a string
        self._tuned_filters: dict = {}
        if self._estimate_tuning:
            self.frequencies = chroma_filterbank(params, chroma_params).frequencies

    def _librosa_filterbank(self, params: SpectrogramParams, chroma: ChromaParams, tuning: float) -> Filterbank:
        """librosa.filters.chroma with this layer's octave weighting and rotation, masked to [f_min, f_max]."""
        ctroct, octwidth, base_c = self._octaves
        weights = librosa_chroma_weights(params.sample_rate, params.stft.n_fft, chroma.n_chroma, tuning, ctroct,
                                         octwidth, base_c)
        bins = params.bin_frequencies()
        weights[:, (bins < chroma.f_min) | (bins > chroma.resolved_f_max(params.sample_rate))] = 0.0
        first = 0 if base_c else 9 * chroma.n_chroma // 12
        centres = 440.0 * 2.0 ** ((tuning + first + np.arange(chroma.n_chroma)) / chroma.n_chroma - 9 / 12)
        return Filterbank("chroma", weights, centres, chroma)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = _in_float32(waveform)
        if torch.jit.is_scripting():  # (TorchScript has no super())
            chroma = normalize_frames(self._features_scripted(signal), self.norm)
        elif self._estimate_tuning:
            chroma = normalize_frames(self._chroma_of_estimated_tuning(signal), self.norm)
        else:
            chroma = normalize_frames(self._features(signal), self.norm)
        return chroma.to(waveform.dtype)

    @torch.jit.unused
    def _chroma_of_estimated_tuning(self, signal: torch.Tensor) -> torch.Tensor:
        """librosa.feature.chroma_stft(tuning=None): the tuning of the power spectrogram's peaks
        (librosa.estimate_tuning(S=power, bins_per_octave=n_chroma)), then that tuning's filters."""
        from ..compat.librosa._tuning import _piptrack_tensor, pitch_tuning

        power = self._features(signal)
        n_bins = power.shape[-2]
        pitch, mag = _piptrack_tensor(power.detach().cpu(), self.params.sample_rate, 2 * (n_bins - 1), 150.0,
                                      4000.0, 0.1, None)
        pitch, mag = pitch.numpy(), mag.numpy()
        mask = pitch > 0
        threshold = np.median(mag[mask]) if mask.any() else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # silence: librosa's "empty frequency set" warning, tuning 0
            tuning = pitch_tuning(pitch[(mag >= threshold) & mask], bins_per_octave=self.chroma_params.n_chroma)
        key = (tuning, power.dtype, power.device)
        if key not in self._tuned_filters:  # at most 100 tunings (librosa's 0.01-bin histogram)
            filterbank = self._librosa_filterbank(self.params, self.chroma_params, tuning)
            self._tuned_filters[key] = filterbank.dense(power.dtype).to(power.device)
        self.last_tuning = tuning
        return torch.matmul(self._tuned_filters[key], power)


def _chroma_norm(norm):
    """librosa's numeric frame norms as the names ChromaParams takes: np.inf is "max", 1 "l1", 2 "l2"."""
    if isinstance(norm, numbers.Real) and not isinstance(norm, bool):
        names = {math.inf: "max", 1: "l1", 2: "l2"}
        if norm in names:
            return names[norm]
        raise InvalidInputError(f"norm must be 'max', 'l1', 'l2', None or librosa's np.inf, 1, 2; got {norm!r}")
    return norm


@torch.jit.unused
def _check_spectrogram(x, needs_two_axes: bool) -> None:
    if not isinstance(x, torch.Tensor):
        raise InvalidTypeError(f"the input must be a torch.Tensor spectrogram, got {type(x).__name__}")
    if not x.is_floating_point():
        raise InvalidTypeError(f"the input must be a real floating-point spectrogram, got dtype {x.dtype}")
    if needs_two_axes and x.dim() < 2:
        raise InvalidInputError(f"top_db needs a spectrogram of shape (..., bins, frames), got shape {tuple(x.shape)}")


@torch.jit.unused
def _check_finite_db(x_db: torch.Tensor) -> None:
    if not torch.compiler.is_compiling() and not bool(torch.isfinite(x_db).all()):
        raise InvalidInputError("the spectrogram given to AmplitudeToDB contains NaN or Inf values")


class AmplitudeToDB(nn.Module):
    """Power or magnitude to decibels, ``(..., bins, frames)`` in and out.

    ``out = multiplier * log10(max(x, amin))`` with multiplier 10 for power and 20 for magnitude.

    Args:
        db_params: seed form: ``amin`` is the linear value of ``db_params.floor_db``, so the output
            floor is ``floor_db`` dB (the same as the fused ``db_params`` of the spectrogram layers).
            Default: torchaudio's ``amin = 1e-10`` (-100 dB for power).
        stype: ``"power"`` (default) or ``"magnitude"``; torchaudio's positional form
            ``AmplitudeToDB("power", 80)`` gives ``stype`` and ``top_db``.
        top_db: if given, values more than ``top_db`` below each spectrogram's maximum (over its last
            two axes) are raised to ``max - top_db``. (torchaudio takes the maximum over the last three
            axes, which mixes the items of a ``(batch, bins, frames)`` input; this layer does not.)
    """

    @_torchaudio_positional(_DB_ORDER, first=(str,))
    def __init__(self, db_params: LogParams | None = None, *, stype: str = "power", top_db: float | None = None):
        super().__init__()
        one_of("stype", stype, ("power", "magnitude"))
        top_db = None if top_db is None else non_negative_float("top_db", top_db)
        self.stype = stype
        self.top_db: Optional[float] = top_db  # typed for TorchScript: None or a float
        self.multiplier = 10.0 if stype == "power" else 20.0
        floor_db = _check_db(db_params)
        self.amin = 1e-10 if floor_db is None else 10.0 ** (floor_db / self.multiplier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_scripting():
            _check_spectrogram(x, self.top_db is not None)
        # Half precision: amin (1e-10) underflows to 0 in float16, so the log is taken in float32 and only
        # the dB values (which fit) go back to the input dtype.
        linear = x.float() if x.dtype == torch.float16 or x.dtype == torch.bfloat16 else x
        x_db = self.multiplier * torch.log10(linear.clamp(min=self.amin))
        top_db = self.top_db
        if top_db is not None and x.numel() > 0:
            x_db = torch.maximum(x_db, x_db.amax(dim=[-2, -1], keepdim=True) - top_db)
        # NaN/Inf in the spectrogram would come out as NaN/Inf dB: refused eagerly (a compiled, scripted
        # or exported graph skips the check, which would need a host sync).
        if not torch.jit.is_scripting():
            _check_finite_db(x_db)
        return x_db.to(x.dtype)

    def extra_repr(self) -> str:
        return f"stype={self.stype!r}, amin={self.amin:g}, top_db={self.top_db}"


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients, ``(..., time) -> (..., n_mfcc, n_frames)``.

    Seed form ``MFCC(params, mel_params, mfcc_params=None, db_params=None)``: mel power in dB with a
    fixed floor (default -80 dB) fused in the native pass, then the orthonormal DCT-II and the lifter of
    ``mfcc_params``: the computation of :class:`spectrograms.planner.MfccPlan`.

    torchaudio form ``MFCC(sample_rate=16000, n_mfcc=40, dct_type=2, norm="ortho", log_mels=False,
    melkwargs=None)``: as ``torchaudio.transforms.MFCC``: a :class:`MelSpectrogram` from ``melkwargs``,
    then dB with ``top_db=80`` (or ``log(mel + 1e-6)`` with ``log_mels``), then the DCT-II (``dct_type``
    2, torchaudio's only type; ``norm`` ``"ortho"`` or None, as ``scipy.fft.dct``) and librosa's
    ``lifter`` (default 0, none); also positionally (``MFCC(16000, 13)``).

    The DCT (times the lifter) is a buffer of shape ``(n_mfcc, n_mels)``.
    """

    @_torchaudio_positional(_MFCC_ORDER)
    def __init__(self, params: SpectrogramParams | None = None, mel_params: MelParams | None = None,
                 mfcc_params: MfccParams | None = None, db_params: LogParams | None = None, *,
                 sample_rate: float = 16000.0, n_mfcc: int = 40, dct_type: int = 2, norm: str | None = "ortho",
                 log_mels: bool = False, melkwargs: dict | None = None, lifter: float = 0.0):
        super().__init__()
        arguments = locals()
        _objects_or_keywords(MFCC.__init__, arguments,
                             ("sample_rate", "n_mfcc", "dct_type", "norm", "log_mels", "melkwargs", "lifter"),
                             {"params": (params, SpectrogramParams), "mel_params": (mel_params, MelParams),
                              "mfcc_params": (mfcc_params, MfccParams)})
        if any(p is not None for p in (params, mel_params, mfcc_params, db_params)):
            if params is None or mel_params is None:
                raise InvalidTypeError("the seed form needs both params and mel_params: MFCC(params, mel_params)")
            plan = MfccPlan(params, mel_params, mfcc_params, db_params)
            self.mel_spectrogram = MelSpectrogram(params, mel_params, plan.db_params)
            self.amplitude_to_db = nn.Identity()
            self.log_mels = False
            basis64 = plan.basis(torch.float64)
        else:
            if isinstance(dct_type, bool) or dct_type != 2:  # torchaudio's only type (librosa's 1 and 3: compat)
                raise InvalidInputError(f"dct_type must be 2 (the DCT-II, torchaudio's only type), got {dct_type!r}")
            if norm not in (None, "ortho"):
                raise InvalidInputError(f"norm must be 'ortho' or None (unnormalised DCT), got {norm!r}")
            if melkwargs is not None and not isinstance(melkwargs, dict):
                raise InvalidTypeError(f"melkwargs must be a dict of MelSpectrogram keywords or None, got "
                                       f"{type(melkwargs).__name__}")
            self.mel_spectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
            self.log_mels = log_mels
            self.amplitude_to_db = nn.Identity() if log_mels else AmplitudeToDB(stype="power", top_db=80.0)
            # librosa's lifter 1 + (L / 2) sin(pi (k + 1) / L) on the coefficients (0: none)
            weights = lifter_weights(n_mfcc, lifter)
            basis64 = dct_basis(n_mfcc, self.mel_spectrogram.n_bins, dct_type, norm) * weights[:, None]
        self.register_buffer("dct", basis64.to(torch.float32))
        # float64 twin (not state), as the spectrogram layers' windows: a .double() layer computes with the
        # DCT built in float64, not float32 values widened.
        self.register_buffer("_dct64", basis64.clone(), persistent=False)

    @property
    def n_mfcc(self) -> int:
        return self.dct.shape[0]

    def frame_lengths(self, sample_lengths):
        return self.mel_spectrogram.frame_lengths(sample_lengths)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = _in_float32(waveform)
        mel = self.mel_spectrogram(signal)
        mel = torch.log(mel + 1e-6) if self.log_mels else self.amplitude_to_db(mel)
        dct = self._dct64 if mel.dtype == torch.float64 and self._dct64.dtype == torch.float64 else self.dct
        mfcc = torch.matmul(dct.to(mel.dtype), mel)
        return mfcc.to(waveform.dtype)


def _in_float32(waveform: torch.Tensor) -> torch.Tensor:
    """A float16/bfloat16 waveform as float32, so that a layer's whole chain (power, dB, DCT,
    normalisation) runs in float32 and only its output is cast back: float16 holds neither the power of
    ordinary audio (it overflows above 65504) nor small band powers (they flush to 0, and dB of 0 and
    0/0 normalisations are NaN). Anything else is passed on as it is, for the layers to check."""
    if not torch.jit.is_scripting() and not isinstance(waveform, torch.Tensor):
        return waveform
    if waveform.dtype == torch.float16 or waveform.dtype == torch.bfloat16:
        return waveform.float()
    return waveform


# --- Training-time layers ---------------------------------------------------------------------------

