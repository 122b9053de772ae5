"""Hugging Face ``transformers``' audio feature extractors with its arguments, defaults and numbers:
:class:`WhisperFeatureExtractor` (Whisper), :class:`ASTFeatureExtractor` (Audio Spectrogram
Transformer) and :class:`SeamlessM4TFeatureExtractor` (SeamlessM4T, w2v-BERT 2.0).

Each takes the constructor keywords of the ``transformers`` 5.x class of the same name (or its
``to_dict()`` through :meth:`~_Extractor.from_dict`, or the ``transformers`` object itself through
:meth:`~_Extractor.from_transformers`: no download, no ``from_pretrained``), and its ``__call__``
takes the same arguments and returns the same ``input_features`` / ``input_values`` and
``attention_mask``: a ``transformers.BatchFeature`` where ``transformers`` is importable, else
:class:`BatchFeature`, a dict with attribute access.

Unlike ``transformers``, which computes item by item (NumPy for AST and SeamlessM4T), the items of a
call are padded into one ``(batch, time)`` tensor in one vectorised step and computed in one kernel
call: Whisper on the fused native log-mel op (:func:`spectrograms.whisper.whisper_log_mel`), AST and
SeamlessM4T on :func:`spectrograms.compliance.kaldi.fbank_batch`; padding, truncation, normalisation and
the attention masks are each one tensor operation over the batch.

Departures, each refused by name rather than computed differently: ``padding_side="left"``, and
inputs that ``transformers`` itself cannot stack (ragged items without padding) or cannot frame (an
item shorter than one 25 ms frame for AST/SeamlessM4T, a single frame for SeamlessM4T's per-bin
variance, which ``transformers`` returns as NaN).
"""

from __future__ import annotations

import logging
import math
import numbers

import numpy as np
import torch

from .compliance.kaldi import fbank_batch, spectrogram_batch
from .compliance.kaldi import mel_scale as kaldi_mel_scale
from .errors import InvalidInputError, InvalidTypeError
from .whisper import whisper_log_mel

__all__ = ["WhisperFeatureExtractor", "ASTFeatureExtractor", "SeamlessM4TFeatureExtractor", "BatchFeature",
           "ast_features", "seamless_features"]

_log = logging.getLogger(__name__)
_PADDINGS = {True: "longest", False: "do_not_pad", "longest": "longest", "max_length": "max_length",
             "do_not_pad": "do_not_pad"}
# Keys of transformers' to_dict() that are derived from the others (or name the class) rather than
# being constructor arguments.
_DERIVED_KEYS = ("feature_extractor_type", "processor_class", "n_samples", "nb_max_frames", "mel_filters", "window")


class BatchFeature(dict):
    """What the extractors return where ``transformers`` is not installed: a dict whose keys are also
    attributes (``features.input_features``), as ``transformers.BatchFeature``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _batch_feature(data: dict, return_tensors):
    """``data`` (tensors) as ``return_tensors`` asks: ``"pt"`` tensors, ``"np"`` / ``None`` arrays."""
    if return_tensors is not None and str(getattr(return_tensors, "value", return_tensors)) not in ("pt", "np"):
        raise InvalidInputError(f"return_tensors must be 'pt', 'np' or None, got {return_tensors!r}")
    kind = str(getattr(return_tensors, "value", return_tensors))
    out = {}
    for key, value in data.items():
        if isinstance(value, list):  # AST's unstacked output for return_tensors=None
            out[key] = [item.numpy() for item in value]
        else:
            out[key] = value if kind == "pt" else value.numpy()
    try:
        from transformers import BatchFeature as _HFBatchFeature
    except ImportError:
        return BatchFeature(out)
    return _HFBatchFeature(out)


# --- Arguments --------------------------------------------------------------------------------------


def _int_or_none(name, value, minimum):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an int or None, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be an int >= {minimum} or None, got {value}")
    return int(value)


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    return int(value)


def _real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite real number, got {type(value).__name__} {value!r}")
    return float(value)


def _padding_strategy(padding):
    if padding.__class__.__name__ == "PaddingStrategy":  # transformers' enum, by value
        padding = padding.value
    if not isinstance(padding, (bool, str)) or padding not in _PADDINGS:
        raise InvalidInputError(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad', "
                                f"got {padding!r}")
    return _PADDINGS[padding]


def _round_up(length, multiple):
    if length is not None and multiple is not None and length % multiple:
        return (length // multiple + 1) * multiple
    return length


def _pad_lengths(lengths, strategy, max_length, truncation, pad_to_multiple_of):
    """``SequenceFeatureExtractor.pad``'s arithmetic on the item lengths: ``(kept lengths, width)``."""
    if truncation:
        if max_length is None:
            raise InvalidInputError("truncation=True needs max_length (an int), got None")
        lengths = lengths.clamp(max=_round_up(max_length, pad_to_multiple_of))
    longest = int(lengths.max())
    if strategy == "longest":
        target = _round_up(longest, pad_to_multiple_of)
    elif strategy == "max_length":
        if max_length is None:
            raise InvalidInputError("padding='max_length' needs max_length (an int), got None")
        target = _round_up(max_length, pad_to_multiple_of)
    else:
        target = 0
    if longest > target and int(lengths.min()) != longest:
        raise InvalidInputError(f"items of lengths {sorted(set(lengths.tolist()))} cannot be stacked without padding "
                                f"them (padding={strategy!r}, max_length={max_length}); use padding='longest'")
    return lengths, max(target, longest)


def _collect(raw_speech, channels=False):
    """The items of ``raw_speech`` in one zero-padded float32 ``(batch, time)`` tensor, their lengths
    and whether the input was a batch.

    Items are cast to float32 first, as ``transformers`` does (so float64 input gives its numbers). With
    ``channels`` (SeamlessM4T) an item may be ``(channels, time)``, of which channel 0 is used.
    """
    if isinstance(raw_speech, torch.Tensor):
        raw_speech = raw_speech.detach().cpu().numpy()
    if isinstance(raw_speech, np.ndarray):
        batched = raw_speech.ndim > 1
        if raw_speech.ndim > (3 if channels else 2):
            raise InvalidInputError(f"raw_speech must be (time,) or (batch, time){' or (batch, channels, time)' * channels}"
                                    f", got an array of shape {raw_speech.shape} (only mono audio is supported)")
        items = list(raw_speech) if batched else [raw_speech]
    elif isinstance(raw_speech, (list, tuple)):
        if len(raw_speech) == 0:
            raise InvalidInputError("raw_speech is an empty list; pass at least one signal")
        batched = isinstance(raw_speech[0], (np.ndarray, torch.Tensor, list, tuple))
        items = list(raw_speech) if batched else [raw_speech]
    else:
        raise InvalidTypeError(f"raw_speech must be a NumPy array, a torch.Tensor or a list of them (or of floats), "
                               f"got {type(raw_speech).__name__}")
    arrays = []
    for index, item in enumerate(items):  # conversion only; the features are computed on the whole batch
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().numpy()
        try:
            array = np.asarray(item, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise InvalidTypeError(f"raw_speech item {index} is not an array of numbers: {error}") from None
        if channels and array.ndim == 2:
            array = array[0]
        if array.ndim != 1:
            raise InvalidInputError(f"raw_speech item {index} must be 1-D (mono samples), got shape {array.shape}")
        arrays.append(array)
    lengths = np.array([array.shape[0] for array in arrays], dtype=np.int64)
    width = int(lengths.max())
    signal = np.zeros((len(arrays), width), dtype=np.float32)
    for row, array in zip(signal, arrays):  # one copy per item (a masked scatter of the whole batch cost more)
        row[: array.shape[0]] = array
    # A float64 sum of float32 samples cannot overflow (|x| < 3.4e38, fewer than 1e270 samples), so it is
    # finite exactly when every sample is: one pass, without an isfinite mask of the whole batch.
    if not math.isfinite(float(signal.sum(dtype=np.float64))):
        raise InvalidInputError("raw_speech contains NaN or Inf samples; clean it, e.g. with np.nan_to_num, first")
    return torch.from_numpy(signal), torch.from_numpy(lengths), batched


def _fit(signal, lengths, width, padding_value):
    """``signal`` cut or padded to ``width`` columns, ``padding_value`` past each item's length."""
    if signal.shape[1] >= width:
        signal = signal[:, :width]
    else:
        signal = torch.nn.functional.pad(signal, (0, width - signal.shape[1]))
    valid = torch.arange(width)[None, :] < lengths[:, None]
    return torch.where(valid, signal, torch.tensor(padding_value, dtype=signal.dtype)), valid


def _check_sampling_rate(extractor, sampling_rate):
    if sampling_rate is None:
        _log.warning("It is strongly recommended to pass the `sampling_rate` argument to `%s()`; without it a "
                     "signal at another rate gives wrong features silently.", type(extractor).__name__)
    elif sampling_rate != extractor.sampling_rate:
        raise InvalidInputError(f"sampling_rate={sampling_rate!r} does not match this {type(extractor).__name__}'s "
                                f"{extractor.sampling_rate} Hz (the rate its model was trained at); resample first")


class _Extractor:
    """What the three extractors share: keyword storage, ``to_dict``/``from_dict``/``from_transformers``."""

    model_input_names: list[str] = []

    def _init_common(self, feature_size, sampling_rate, padding_value, kwargs):
        self.feature_size = _positive_int("feature_size", feature_size)
        self.sampling_rate = _positive_int("sampling_rate", sampling_rate)
        self.padding_value = _real("padding_value", padding_value)
        self.padding_side = kwargs.pop("padding_side", "right")
        if self.padding_side != "right":
            raise InvalidInputError(f"padding_side must be 'right' (left padding is not supported here), "
                                    f"got {self.padding_side!r}")
        for key in _DERIVED_KEYS:
            kwargs.pop(key, None)
        self._extra = dict(kwargs)  # transformers keeps unknown keywords as attributes; so do we
        for key, value in kwargs.items():
            setattr(self, key, value)

    def to_dict(self) -> dict:
        """The constructor keywords (``transformers``' ``to_dict()`` less the derived entries)."""
        return {**self._config(), **self._extra, "padding_side": self.padding_side,
                "feature_extractor_type": type(self).__name__}

    @classmethod
    def from_dict(cls, feature_extractor_dict: dict, **kwargs):
        """Builds the extractor from a ``transformers`` ``to_dict()`` (or ``preprocessor_config.json``)
        dict, keywords overriding it, as ``transformers``' ``from_dict``."""
        if not isinstance(feature_extractor_dict, dict):
            raise InvalidTypeError(f"feature_extractor_dict must be a dict, got {type(feature_extractor_dict).__name__}")
        kind = feature_extractor_dict.get("feature_extractor_type")
        if kind is not None and kind != cls.__name__:
            raise InvalidInputError(f"this config is for {kind!r}, not {cls.__name__}; build that class from it")
        return cls(**{**feature_extractor_dict, **kwargs})

    @classmethod
    def from_transformers(cls, extractor):
        """Builds the extractor from a ``transformers`` extractor instance of the same name."""
        if type(extractor).__name__ != cls.__name__ or not hasattr(extractor, "to_dict"):
            raise InvalidTypeError(f"from_transformers takes a transformers {cls.__name__}, "
                                   f"got {type(extractor).__name__}")
        return cls.from_dict(extractor.to_dict())

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._config().items())})"


class WhisperFeatureExtractor(_Extractor):
    """Whisper's log-mel features as ``transformers.WhisperFeatureExtractor`` (every Whisper checkpoint:
    ``feature_size`` 80, or 128 for large-v3).

    ``__call__(raw_speech, ...)["input_features"]`` has shape ``(batch, feature_size, width // hop_length)``
    where ``width`` is the padded sample count (``chunk_length * sampling_rate`` by default).
    """

    model_input_names = ["input_features"]

    def __init__(self, feature_size=80, sampling_rate=16000, hop_length=160, chunk_length=30, n_fft=400,
                 padding_value=0.0, dither=0.0, return_attention_mask=False, **kwargs):
        self._init_common(feature_size, sampling_rate, padding_value, kwargs)
        self.hop_length = _positive_int("hop_length", hop_length)
        self.chunk_length = _positive_int("chunk_length", chunk_length)
        self.n_fft = _positive_int("n_fft", n_fft)
        if self.n_fft < 2:
            raise InvalidInputError(f"n_fft must be at least 2, got {n_fft}")
        self.dither = _real("dither", dither)
        self.return_attention_mask = bool(return_attention_mask)
        self.n_samples = self.chunk_length * self.sampling_rate
        self.nb_max_frames = self.n_samples // self.hop_length

    def _config(self):
        return dict(feature_size=self.feature_size, sampling_rate=self.sampling_rate, hop_length=self.hop_length,
                    chunk_length=self.chunk_length, n_fft=self.n_fft, padding_value=self.padding_value,
                    dither=self.dither, return_attention_mask=self.return_attention_mask)

    def __call__(self, raw_speech, truncation: bool = True, pad_to_multiple_of: int | None = None,
                 return_tensors=None, return_attention_mask: bool | None = None, padding="max_length",
                 max_length: int | None = None, sampling_rate: int | None = None, do_normalize: bool | None = None,
                 device: str | torch.device | None = "cpu", **kwargs):
        """Features of one signal or a batch; arguments as ``transformers`` (``device`` runs the kernel there).

        Returns:
            ``input_features`` float32 ``(batch, feature_size, frames)``; ``attention_mask`` int32
            ``(batch, frames)`` when ``return_attention_mask`` (per sample, ``(batch, width)``, when only
            ``do_normalize`` or the constructor asked for it, as ``transformers``).
        """
        _check_sampling_rate(self, sampling_rate)
        strategy = _padding_strategy(padding)
        max_length = _int_or_none("max_length", max_length, 0)
        pad_to_multiple_of = _int_or_none("pad_to_multiple_of", pad_to_multiple_of, 1)
        signal, lengths, _ = _collect(raw_speech)
        lengths, width = _pad_lengths(lengths, strategy, max_length or self.n_samples, truncation,
                                      pad_to_multiple_of)
        signal, valid = _fit(signal, lengths, width, self.padding_value)
        with_mask = return_attention_mask or do_normalize
        with_mask = self.return_attention_mask if with_mask is None else with_mask
        if do_normalize:  # each item to zero mean, unit variance over its own samples (in float64, then float32)
            wide = signal.double()
            count = lengths.clamp(min=1)[:, None].double()
            mean = (wide * valid).sum(1, keepdim=True) / count
            var = (((wide - mean) * valid) ** 2).sum(1, keepdim=True) / count
            normed = ((wide - mean) / torch.sqrt(var + 1e-7)).float()
            signal = torch.where(valid, normed, torch.tensor(self.padding_value, dtype=torch.float32))
        if device is not None:
            signal = signal.to(device)
        if self.dither != 0.0:
            signal = signal + self.dither * torch.randn_like(signal)
        if width <= self.n_fft // 2:
            raise InvalidInputError(f"the padded audio has {width} samples; Whisper's reflect padding needs more than "
                                    f"n_fft // 2 = {self.n_fft // 2} (pad to max_length)")
        features = whisper_log_mel(signal, n_mels=self.feature_size, n_fft=self.n_fft, hop_length=self.hop_length,
                                   sample_rate=self.sampling_rate, f_max=8000.0).float().cpu()
        data = {"input_features": features}
        if with_mask:
            mask = valid.to(torch.int32)
            if return_attention_mask:  # from samples to frames, as transformers (its last frame is dropped)
                mask = mask[:, ::self.hop_length]
                if width % self.hop_length:
                    mask = mask[:, :-1]
            data["attention_mask"] = mask
        return _batch_feature(data, return_tensors)


def _fbank_frame_options(sampling_rate):
    """Kaldi fbank options for ``transformers``' fixed 400-sample frames, 160-sample hop and 512-point
    FFT at ``sampling_rate`` (Kaldi takes milliseconds): the smallest millisecond values whose sample
    counts come out exactly 400 and 160."""
    options = {}
    for name, samples in (("frame_length", 400), ("frame_shift", 160)):
        value = samples * 1000.0 / sampling_rate
        while int(sampling_rate * value * 0.001) < samples:
            value = math.nextafter(value, math.inf)
        options[name] = value
    return options


class ASTFeatureExtractor(_Extractor):
    """The Audio Spectrogram Transformer's features as ``transformers.ASTFeatureExtractor``: Kaldi fbank
    (``torchaudio.compliance.kaldi.fbank`` with a Hanning window, ``num_mel_bins`` bins), cut or zero-padded
    to ``max_length`` frames, then ``(x - mean) / (2 std)``.

    ``__call__(raw_speech, ...)["input_values"]``: ``(batch, max_length, num_mel_bins)`` (a list of
    ``(max_length, num_mel_bins)`` arrays for ``return_tensors=None``, as ``transformers``).
    """

    model_input_names = ["input_values", "attention_mask"]

    def __init__(self, feature_size=1, sampling_rate=16000, num_mel_bins=128, max_length=1024, padding_value=0.0,
                 do_normalize=True, mean=-4.2677393, std=4.5689974, return_attention_mask=False, **kwargs):
        self._init_common(feature_size, sampling_rate, padding_value, kwargs)
        if self.feature_size != 1:
            raise InvalidInputError(f"feature_size must be 1 for AST (the raw waveform's size per step), got {feature_size}")
        self.num_mel_bins = _positive_int("num_mel_bins", num_mel_bins)
        self.max_length = _positive_int("max_length", max_length)
        self.do_normalize = bool(do_normalize)
        self.mean, self.std = _real("mean", mean), _real("std", std)
        if self.do_normalize and self.std == 0.0:
            raise InvalidInputError("std must be non-zero when do_normalize=True, got 0")
        self.return_attention_mask = bool(return_attention_mask)

    def _config(self):
        return dict(feature_size=self.feature_size, sampling_rate=self.sampling_rate, num_mel_bins=self.num_mel_bins,
                    max_length=self.max_length, padding_value=self.padding_value, do_normalize=self.do_normalize,
                    mean=self.mean, std=self.std, return_attention_mask=self.return_attention_mask)

    def normalize(self, input_values):
        """``(x - mean) / (2 std)``, AST's normalisation (AudioSet statistics by default)."""
        return (input_values - self.mean) / (self.std * 2)

    def __call__(self, raw_speech, sampling_rate: int | None = None, return_tensors=None, **kwargs):
        """Features of one signal or a batch; arguments as ``transformers``."""
        _check_sampling_rate(self, sampling_rate)
        signal, lengths, _ = _collect(raw_speech)
        _check_frames(lengths, int(self.sampling_rate * 25.0 * 0.001), "AST")
        features = ast_features(signal, lengths, sampling_rate=self.sampling_rate, num_mel_bins=self.num_mel_bins,
                                max_length=self.max_length, mean=self.mean if self.do_normalize else None,
                                std=self.std)
        values = features.float()
        return _batch_feature({"input_values": list(values) if return_tensors is None else values}, return_tensors)


def ast_features(signal: torch.Tensor, lengths: torch.Tensor, *, sampling_rate: float = 16000,
                 num_mel_bins: int = 128, max_length: int = 1024, mean: float | None = -4.2677393,
                 std: float = 4.5689974) -> torch.Tensor:
    """AST's features of a padded batch ``signal (batch, time)`` with ``lengths (batch,)``: Kaldi fbank
    (Hanning window), cut or zero-padded to ``max_length`` frames, ``(x - mean) / (2 std)`` unless
    ``mean`` is None. Float64 ``(batch, max_length, num_mel_bins)``; differentiable."""
    features = _ast_fbank(signal, lengths, float(sampling_rate), num_mel_bins)
    if features.shape[1] >= max_length:
        features = features[:, :max_length]
    else:  # the frames past each item's own count are already zero
        features = torch.nn.functional.pad(features, (0, 0, 0, max_length - features.shape[1]))
    return features if mean is None else (features - mean) / (std * 2)


# A power of two, so the scaling is exact: it lifts every power-spectrum bin of float32 audio in [-1, 1]
# above Kaldi's epsilon floor (spectrogram_batch clamps the log power there) by 2 ** 24, so no bin a
# mel filter sums is lost to the floor.
_AST_SCALE = 2.0**12


def _ast_fbank(signal, lengths, sampling_rate, num_mel_bins):
    """torchaudio's ``kaldi.fbank(window_type="hanning", num_mel_bins=...)`` of each item, zero past its
    frames: ``(batch, frames, num_mel_bins)``.

    ``compliance.kaldi`` refuses a mel filter that no FFT bin falls into (as Kaldi does), but AST's
    default, 128 filters in a 512-point FFT, has such filters at the low end and torchaudio gives them
    ``log(eps)``. So the power spectrum comes from ``spectrogram_batch`` (the same frames, window and FFT),
    and the bank below keeps empty filters. Returns float64.
    """
    # In float64, rounded once at the end: the filters near the epsilon floor (log energy ~ -15) are
    # ill-conditioned in float32, where torchaudio's own values are ~1e-3 off its float64 ones.
    log_power, counts = spectrogram_batch(signal.double() * _AST_SCALE, lengths, sample_frequency=sampling_rate,
                                          window_type="hanning")
    power = log_power[..., :-1].exp()  # column 0 holds the log energy, but 0 Hz has no weight below
    bank = _kaldi_mel_bank(num_mel_bins, 2 * power.shape[-1], sampling_rate, 20.0).to(dtype=power.dtype, device=power.device)
    mel = (power @ bank.T) * (1.0 / _AST_SCALE**2)
    features = mel.clamp(min=torch.finfo(torch.float32).eps).log()
    return features * (torch.arange(features.shape[1], device=features.device)[None, :] < counts[:, None])[..., None]


def _kaldi_mel_bank(num_bins, padded, sampling_rate, low_freq):
    """Kaldi's triangular filters, equal width on ``1127 ln(1 + f / 700)`` from ``low_freq`` to Nyquist,
    over the ``padded // 2`` bins below Nyquist, ``(num_bins, padded // 2)``, empty filters kept.

    Computed in float32 with ``ln(1 + x)`` (not ``log1p``), the arithmetic torchaudio's bank is made
    with: a low filter's edge weights come from differences of nearby mel values, so float64 weights
    move a one-bin filter's log energy by ~1e-3 against torchaudio's.
    """
    low, high = kaldi_mel_scale(low_freq), kaldi_mel_scale(0.5 * sampling_rate)
    delta = (high - low) / (num_bins + 1)
    index = torch.arange(num_bins)[:, None]
    left, centre, right = low + index * delta, low + (index + 1.0) * delta, low + (index + 2.0) * delta
    bins = 1127.0 * (1.0 + (sampling_rate / padded) * torch.arange(padded // 2, dtype=torch.float32) / 700.0).log()
    rising, falling = (bins - left) / (centre - left), (right - bins) / (right - centre)
    return torch.minimum(rising, falling).clamp(min=0.0)


def _check_frames(lengths, frame, who):
    short = lengths < frame
    if bool(short.any()):
        item = int(torch.nonzero(short).flatten()[0])
        raise InvalidInputError(f"raw_speech item {item} has {int(lengths[item])} samples, fewer than one {frame}-sample "
                                f"frame ({who}'s 25 ms); pad it first")


class SeamlessM4TFeatureExtractor(_Extractor):
    """SeamlessM4T's (and w2v-BERT 2.0's) features as ``transformers.SeamlessM4TFeatureExtractor``.

    A Kaldi fbank of the audio scaled to 16-bit range (povey window, 25/10 ms, 512-point FFT, pre-emphasis
    0.97, DC removal, ``num_mel_bins`` bins from 20 Hz to Nyquist, no dither), normalised per mel bin over
    each item's frames (mean, unbiased variance + 1e-7), padded, then every ``stride`` frames concatenated:
    ``input_features`` ``(batch, frames // stride, num_mel_bins * stride)`` and ``attention_mask``
    ``(batch, frames // stride)``.

    ``transformers`` computes the fbank in float64 NumPy (its spectrum rounded to complex64); here it is
    computed in float64 by :func:`~spectrograms.compliance.kaldi.fbank_batch` and rounded to float32 once,
    after the normalisation, which is what bounds the residual difference (stated in the tests).
    """

    model_input_names = ["input_features", "attention_mask"]

    def __init__(self, feature_size=80, sampling_rate=16000, num_mel_bins=80, padding_value=0.0, stride=2, **kwargs):
        kwargs.pop("return_attention_mask", None)  # transformers fixes it at True whatever the config says
        self._init_common(feature_size, sampling_rate, padding_value, kwargs)
        self.num_mel_bins = _positive_int("num_mel_bins", num_mel_bins)
        if self.feature_size != self.num_mel_bins:
            raise InvalidInputError(f"feature_size={feature_size} must equal num_mel_bins={num_mel_bins} "
                                    "(the frames are padded as vectors of num_mel_bins features)")
        self.stride = _positive_int("stride", stride)
        self.return_attention_mask = True

    def _config(self):
        return dict(feature_size=self.feature_size, sampling_rate=self.sampling_rate, num_mel_bins=self.num_mel_bins,
                    padding_value=self.padding_value, stride=self.stride, return_attention_mask=True)

    def __call__(self, raw_speech, padding=True, pad_to_multiple_of: int | None = 2, max_length: int | None = None,
                 truncation: bool = False, return_tensors=None, sampling_rate: int | None = None,
                 return_attention_mask: bool | None = None, do_normalize_per_mel_bins: bool | None = True, **kwargs):
        """Features of one signal or a batch (an item may be ``(channels, time)``: channel 0 is used);
        arguments as ``transformers``."""
        _check_sampling_rate(self, sampling_rate)
        strategy = _padding_strategy(padding)
        max_length = _int_or_none("max_length", max_length, 0)
        pad_to_multiple_of = _int_or_none("pad_to_multiple_of", pad_to_multiple_of, 1)
        if return_attention_mask is None:
            return_attention_mask = self.return_attention_mask
        signal, lengths, _ = _collect(raw_speech, channels=True)
        features, mask = seamless_features(
            signal, lengths, sampling_rate=self.sampling_rate, num_mel_bins=self.num_mel_bins, stride=self.stride,
            padding_value=self.padding_value, normalize=bool(do_normalize_per_mel_bins), padding=strategy,
            max_length=max_length, truncation=truncation, pad_to_multiple_of=pad_to_multiple_of)
        features, mask = features.float(), mask.to(torch.int32)
        data = {"input_features": features}
        if return_attention_mask:
            data["attention_mask"] = mask
        return _batch_feature(data, return_tensors)


def seamless_features(signal: torch.Tensor, lengths: torch.Tensor, *, sampling_rate: int = 16000,
                      num_mel_bins: int = 80, stride: int = 2, padding_value: float = 0.0, normalize: bool = True,
                      padding: str = "longest", max_length: int | None = None, truncation: bool = False,
                      pad_to_multiple_of: int | None = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """SeamlessM4T's features of a padded batch ``signal (batch, time)`` (samples in [-1, 1]) with
    ``lengths (batch,)``: ``(features (batch, frames // stride, num_mel_bins * stride) float64,
    attention_mask (batch, frames // stride) bool)``; differentiable. ``padding`` is ``"longest"``,
    ``"max_length"`` or ``"do_not_pad"``; the other arguments as the extractor's."""
    _check_frames(lengths, 400, "SeamlessM4T")
    # Scaled in the signal's own dtype (exact: a power of two) and read as float64 by the kernel, which
    # returns float64 features (dtype=): a float64 copy of the whole signal cost more in fresh pages than
    # its arithmetic. The log-mel stays float64 until the end: the float32 kernel output, normalised per
    # bin, moved speech by 5e-4 from transformers (a bin of little spread), past the 1e-4.
    scaled = signal * 32768.0 if signal.dtype in (torch.float32, torch.float64) else signal.double() * 32768.0
    features, counts = fbank_batch(scaled, lengths, sample_frequency=float(sampling_rate), dtype=torch.float64,
                                   num_mel_bins=num_mel_bins, low_freq=20.0, high_freq=float(sampling_rate // 2),
                                   dither=0.0, **_fbank_frame_options(sampling_rate))
    del scaled
    counts = counts.cpu()
    frames = torch.arange(features.shape[1], device=features.device)
    # In place where autograd allows (the features are this call's own tensor): each fresh
    # (batch, frames, bins) float64 temporary costs its page faults, more than its arithmetic.
    in_place = not features.requires_grad
    if normalize:
        if bool((counts < 2).any()):
            item = int(torch.nonzero(counts < 2).flatten()[0])
            raise InvalidInputError(f"raw_speech item {item} gives {int(counts[item])} frame; per-mel-bin "
                                    "normalisation needs 2 (560 samples) or do_normalize_per_mel_bins=False")
        valid = (frames[None, :] < counts.to(features.device)[:, None])[..., None]
        n = counts.to(features.device)[:, None, None].double()
        # Centred and masked once (padding frames are zero in and out; padding_value is written below).
        mean = features.sum(1, keepdim=True) / n
        centred = features.sub_(mean).mul_(valid) if in_place else (features - mean) * valid
        std = torch.sqrt(torch.linalg.vector_norm(centred, dim=1, keepdim=True).square() / (n - 1) + 1e-7)
        features = centred.div_(std) if in_place else centred / std
    counts, width = _pad_lengths(counts, padding, max_length, truncation, pad_to_multiple_of)
    if features.shape[1] >= width:
        features = features[:, :width]
    else:
        features = torch.nn.functional.pad(features, (0, 0, 0, width - features.shape[1]))
    mask = torch.arange(width, device=features.device)[None, :] < counts.to(features.device)[:, None]
    if in_place:
        features = features.masked_fill_(~mask[..., None], padding_value)
    else:
        features = torch.where(mask[..., None], features, torch.tensor(padding_value, dtype=features.dtype,
                                                                       device=features.device))
    kept = width - width % stride
    features = features[:, :kept].reshape(features.shape[0], kept // stride, -1)
    # transformers keeps frames whose index is 1 modulo the stride (none at all for stride 1)
    return features, mask[:, :kept][:, torch.arange(kept, device=mask.device) % stride == 1]
