"""NeMo's ASR front-end, ``AudioToMelSpectrogramPreprocessor`` (Conformer, FastConformer, Parakeet,
Canary, Citrinet, QuartzNet, TitaNet ...), with NeMo's constructor keywords, defaults, shapes and values,
without NeMo.

NeMo's pipeline (``nemo.collections.asr.parts.preprocessing.features.FilterbankFeatures``): dither
(training only), pre-emphasis over the whole signal (zeroed past each item's length), an STFT with a
symmetric window of ``n_window_size`` centred in ``n_fft`` (zero-padded by ``n_fft // 2``, or NeMo's
``exact_pad``), ``|X| ** mag_power``, librosa's Slaney mel bank, ``log(x + guard)``, per-feature
normalisation over each item's valid frames, padding value past them and padding to a multiple of
``pad_to``. Here the STFT, power and mel bank are one call of the fused native op over the whole batch
and every other step is one tensor operation over the batch.

Departures, each on purpose: gradients flow (NeMo's preprocessor runs under ``no_grad``); float64 input
is computed and returned in float64 (NeMo casts to float32); an unknown ``window``, ``normalize``
string or ``mel_norm`` is refused by name (NeMo silently computes without a window or without
normalisation); ``use_torchaudio=True`` (NeMo's other implementation) is refused.
Bug-compatible: ``frame_splicing=k`` repeats the features ``k`` times along the feature axis, which is
what NeMo's ``splice_frames`` computes.

The recipe of NeMo's Conformer/Parakeet configs is ``window_size=0.025, features=80, n_fft=512``;
the constructor defaults are NeMo's (20 ms window, 64 features).
"""

from __future__ import annotations

import math
import numbers
import random

import numpy as np
import torch
from torch import nn

from . import ops
from ._validate import call_native
from .errors import InvalidInputError, InvalidTypeError
from .filterbanks import hz_to_mel, mel_to_hz

__all__ = ["AudioToMelSpectrogramPreprocessor", "FilterbankFeatures", "librosa_mel_bank"]

CONSTANT = 1e-5  # NeMo's std guard of the normalisation and its default dither
_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window, "blackman": torch.blackman_window,
            "bartlett": torch.bartlett_window}
_NO_NORMALIZE = (None, False, "", "none", "None", "NA")


def librosa_mel_bank(sample_rate: float, n_fft: int, n_mels: int, fmin: float, fmax: float,
                     norm: str | None = "slaney") -> np.ndarray:
    """``librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm=norm)``: float64
    ``(n_mels, n_fft // 2 + 1)`` triangles equally spaced on the Slaney mel scale, each scaled to unit
    area for ``norm="slaney"`` (NeMo's ``mel_norm``)."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    weights = np.maximum(0.0, np.minimum(-ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]))
    if norm == "slaney":
        weights = weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights


def _int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidInputError(f"{name} must be an int >= {minimum}, got {type(value).__name__} {value!r}")
    return int(value)


def _real(name, value, minimum=-math.inf):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < minimum:
        raise InvalidInputError(f"{name} must be a finite real number >= {minimum}, got {type(value).__name__} "
                                f"{value!r}")
    return float(value)


class FilterbankFeatures(nn.Module):
    """NeMo's ``FilterbankFeatures`` (what the preprocessor holds as ``.featurizer``), window and
    filterbank as the buffers ``window`` ``(n_window_size,)`` and ``fb`` ``(1, nfilt, n_fft // 2 + 1)``,
    so a NeMo checkpoint's preprocessor entries load into it.

    ``forward(x (batch, time), seq_len (batch,))`` returns ``(features (batch, nfilt * frame_splicing,
    frames), frame_lengths (batch,))``.
    """

    def __init__(self, sample_rate=16000, n_window_size=320, n_window_stride=160, window="hann",
                 normalize="per_feature", n_fft=None, preemph=0.97, nfilt=64, lowfreq=0, highfreq=None, log=True,
                 log_zero_guard_type="add", log_zero_guard_value=2**-24, dither=CONSTANT, pad_to=16,
                 max_duration=16.7, frame_splicing=1, exact_pad=False, pad_value=0, mag_power=2.0, rng=None,
                 nb_augmentation_prob=0.0, nb_max_freq=4000, mel_norm="slaney", stft_exact_pad=False,
                 stft_conv=False):
        super().__init__()
        self.sample_rate = _real("sample_rate", sample_rate, 1e-3)
        self.win_length = _int("n_window_size", n_window_size, 2)
        self.hop_length = _int("n_window_stride", n_window_stride, 1)
        self.n_fft = 2 ** math.ceil(math.log2(self.win_length)) if n_fft is None else _int("n_fft", n_fft, 2)
        if self.n_fft < self.win_length:
            raise InvalidInputError(f"n_fft={n_fft} must be at least the window's {self.win_length} samples")
        if exact_pad and self.hop_length % 2:
            raise InvalidInputError(f"exact_pad=True needs an even hop, got n_window_stride={self.hop_length}")
        self.exact_pad = bool(exact_pad)
        self.stft_pad_amount = (self.n_fft - self.hop_length) // 2 if self.exact_pad else None
        if window not in _WINDOWS:
            raise InvalidInputError(f"window must be one of {', '.join(_WINDOWS)}; got {window!r}")
        if not (normalize in _NO_NORMALIZE or normalize in ("per_feature", "all_features")
                or (isinstance(normalize, dict) and {"fixed_mean", "fixed_std"} <= set(normalize))):
            raise InvalidInputError(f"normalize must be 'per_feature', 'all_features', a dict with fixed_mean and "
                                    f"fixed_std, or None/'NA' for none; got {normalize!r}")
        self.normalize = None if normalize in _NO_NORMALIZE else normalize
        self.preemph = None if preemph is None else _real("preemph", preemph)
        self.nfilt = _int("features", nfilt, 1)
        self.frame_splicing = _int("frame_splicing", frame_splicing, 1)
        self.log = bool(log)
        if log_zero_guard_type not in ("add", "clamp"):
            raise InvalidInputError(f"log_zero_guard_type must be 'add' or 'clamp', got {log_zero_guard_type!r}")
        self.log_zero_guard_type = log_zero_guard_type
        if not (log_zero_guard_value in ("tiny", "eps") or (isinstance(log_zero_guard_value, numbers.Real)
                                                           and not isinstance(log_zero_guard_value, bool)
                                                           and 0 < log_zero_guard_value < math.inf)):
            raise InvalidInputError(f"log_zero_guard_value must be a positive number, 'tiny' or 'eps', got "
                                    f"{log_zero_guard_value!r}")
        self.log_zero_guard_value = log_zero_guard_value
        self.dither = _real("dither", dither, 0.0)
        if not (pad_to == "max" or (isinstance(pad_to, numbers.Integral) and not isinstance(pad_to, bool))):
            raise InvalidInputError(f"pad_to must be an int (0 for none) or 'max', got {pad_to!r}")
        self.pad_to = pad_to
        self.pad_value = _real("pad_value", pad_value)
        self.mag_power = _real("mag_power", mag_power, 0.0)
        if self.mag_power == 0.0:
            raise InvalidInputError("mag_power must be > 0, got 0")
        if mel_norm not in ("slaney", None):
            raise InvalidInputError(f"mel_norm must be 'slaney' or None, got {mel_norm!r}")
        lowfreq = _real("lowfreq", lowfreq, 0.0)
        highfreq = _real("highfreq", highfreq or self.sample_rate / 2, 0.0)
        if not lowfreq < highfreq <= self.sample_rate / 2:
            raise InvalidInputError(f"lowfreq={lowfreq} and highfreq={highfreq} must satisfy 0 <= lowfreq < highfreq "
                                    f"<= sample_rate / 2 = {self.sample_rate / 2}")
        self.register_buffer("window", _WINDOWS[window](self.win_length, periodic=False))
        bank = librosa_mel_bank(self.sample_rate, self.n_fft, self.nfilt, lowfreq, highfreq, mel_norm)
        self.register_buffer("fb", torch.tensor(bank, dtype=torch.float32).unsqueeze(0))
        self.max_length = int(self.get_seq_len(torch.tensor(max_duration * self.sample_rate)))
        if pad_to != "max" and pad_to > 0:
            self.max_length += pad_to - self.max_length % pad_to
        self.nb_augmentation_prob = _real("nb_augmentation_prob", nb_augmentation_prob, 0.0)
        if self.nb_augmentation_prob > 0.0:
            if nb_max_freq >= self.sample_rate / 2:
                self.nb_augmentation_prob = 0.0
            else:
                self._nb_max_fft_bin = int(nb_max_freq / self.sample_rate * self.n_fft)
        self._rng = random.Random() if rng is None else rng
        self._refresh()
        self.register_load_state_dict_post_hook(lambda module, _: module._refresh())

    def _refresh(self):
        """The window centred in ``n_fft`` (as ``torch.stft`` places a shorter window) and the mel bank
        as CSR, derived from the ``window`` / ``fb`` buffers (again after ``load_state_dict``)."""
        left = (self.n_fft - self.win_length) // 2
        padded = torch.nn.functional.pad(self.window, (left, self.n_fft - self.win_length - left))
        bank = self.fb[0].detach().cpu()
        rows, cols = torch.nonzero(bank, as_tuple=True)  # row-major, as CSR stores them
        crow = torch.searchsorted(rows, torch.arange(bank.shape[0] + 1))
        self.register_buffer("_padded_window", padded, persistent=False)
        self.register_buffer("_fb_crow", crow.to(self.fb.device), persistent=False)
        self.register_buffer("_fb_col", cols.to(self.fb.device), persistent=False)
        self.register_buffer("_fb_val", bank[rows, cols].float().to(self.fb.device), persistent=False)

    def get_seq_len(self, seq_len: torch.Tensor) -> torch.Tensor:
        """Frames of a ``seq_len``-sample signal: ``(seq_len + 2 pad - n_fft) // hop``, NeMo's count
        (one less than the STFT's frames; the last is padding)."""
        pad = self.stft_pad_amount * 2 if self.stft_pad_amount is not None else self.n_fft // 2 * 2
        return torch.floor_divide(seq_len + pad - self.n_fft, self.hop_length).to(torch.long)

    @property
    def filter_banks(self) -> torch.Tensor:
        return self.fb

    def _guard(self, dtype):
        if self.log_zero_guard_value == "tiny":
            return torch.finfo(dtype).tiny
        if self.log_zero_guard_value == "eps":
            return torch.finfo(dtype).eps
        return float(self.log_zero_guard_value)

    def forward(self, x: torch.Tensor, seq_len: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, seq_len = _check_batch(x, seq_len)
        frames_len = self.get_seq_len(seq_len)
        frames_len = torch.where(seq_len == 0, torch.zeros_like(frames_len), frames_len)
        if self.stft_pad_amount is not None:
            x = torch.nn.functional.pad(x, (self.stft_pad_amount, self.stft_pad_amount))
        if self.training and self.dither > 0:
            x = x + self.dither * torch.randn_like(x)
        if self.preemph is not None:
            x = torch.cat((x[:, :1], x[:, 1:] - self.preemph * x[:, :-1]), dim=1)
            # NeMo masks by the sample count in the (possibly exact-padded) signal's own coordinates
            x = x.masked_fill(torch.arange(x.shape[1], device=x.device)[None, :] >= seq_len[:, None], 0.0)
        window = self._padded_window.to(x.dtype)
        narrowband = self.training and self.nb_augmentation_prob > 0.0
        bank = (self._fb_crow, self._fb_col, self._fb_val.to(x.dtype))
        if self.mag_power in (1.0, 2.0) and not narrowband:  # power and mel bank inside the fused op
            mel = call_native(ops.spectrogram, x, window, n_fft=self.n_fft, hop_length=self.hop_length,
                              center=not self.exact_pad, pad_mode="constant", power=self.mag_power, filterbank=bank)
        else:
            spec = call_native(ops.spectrogram, x, window, n_fft=self.n_fft, hop_length=self.hop_length,
                               center=not self.exact_pad, pad_mode="constant", power=1.0)
            if narrowband:  # NeMo's narrow-band augmentation: items drawn with nb_augmentation_prob lose the top
                drawn = torch.tensor([self._rng.random() < self.nb_augmentation_prob for _ in range(x.shape[0])],
                                     device=x.device)
                high = torch.arange(spec.shape[1], device=x.device) >= self._nb_max_fft_bin
                spec = spec.masked_fill(drawn[:, None, None] & high[None, :, None], 0.0)
            mel = torch.matmul(self.fb.to(x.dtype), spec.pow(self.mag_power) if self.mag_power != 1.0 else spec)
        if self.log:
            guard = self._guard(mel.dtype)
            mel = torch.log(mel + guard) if self.log_zero_guard_type == "add" else torch.log(mel.clamp(min=guard))
        if self.frame_splicing > 1:
            mel = mel.repeat(1, self.frame_splicing, 1)
        valid = torch.arange(mel.shape[-1], device=mel.device)[None, :] < frames_len[:, None]
        if self.normalize is not None:
            mel = _normalize(mel, valid, frames_len, self.normalize)
        mel = mel.masked_fill(~valid[:, None, :], self.pad_value)
        if self.pad_to == "max":
            mel = torch.nn.functional.pad(mel, (0, self.max_length - mel.shape[-1]), value=self.pad_value)
        elif self.pad_to > 0 and mel.shape[-1] % self.pad_to:
            mel = torch.nn.functional.pad(mel, (0, self.pad_to - mel.shape[-1] % self.pad_to), value=self.pad_value)
        return mel, frames_len


def _normalize(x, valid, frames_len, kind):
    """NeMo's ``normalize_batch``: ``(x - mean) / (std + 1e-5)`` over each item's valid frames, per
    feature or over all features (unbiased std; a one-frame item's NaN std is 0 per feature, as NeMo)."""
    mask = valid[:, None, :]
    if isinstance(kind, dict):
        mean = torch.as_tensor(kind["fixed_mean"], dtype=x.dtype, device=x.device).reshape(1, -1, 1)
        std = torch.as_tensor(kind["fixed_std"], dtype=x.dtype, device=x.device).reshape(1, -1, 1)
        return (x - mean) / std
    count = frames_len.to(x.dtype)
    if kind == "per_feature":
        mean = torch.where(mask, x, 0.0).sum(2) / count[:, None]
        var = torch.where(mask, x - mean[..., None], 0.0).pow(2).sum(2) / (count[:, None] - 1.0)
        std = torch.sqrt(var)
        std = std.masked_fill(std.isnan(), 0.0) + CONSTANT
        return (x - mean[..., None]) / std[..., None]
    total = count * x.shape[1]
    mean = torch.where(mask, x, 0.0).sum((1, 2)) / total
    std = torch.sqrt(torch.where(mask, x - mean[:, None, None], 0.0).pow(2).sum((1, 2)) / (total - 1.0)) + CONSTANT
    return (x - mean[:, None, None]) / std[:, None, None]


def _check_batch(x, seq_len):
    if not isinstance(x, torch.Tensor) or not isinstance(seq_len, torch.Tensor):
        raise InvalidTypeError(f"input_signal and length must be torch.Tensors, got {type(x).__name__} and "
                               f"{type(seq_len).__name__}")
    if x.dim() != 2:
        raise InvalidInputError(f"input_signal must have shape (batch, time), got {tuple(x.shape)}")
    if not x.dtype.is_floating_point:
        raise InvalidTypeError(f"input_signal must hold floating-point samples, got {x.dtype}")
    if x.dtype not in (torch.float32, torch.float64):
        x = x.float()  # NeMo computes half-precision input in float32 too
    if seq_len.dtype.is_floating_point or seq_len.dtype == torch.bool or seq_len.dim() != 1 \
            or seq_len.shape[0] != x.shape[0]:
        raise InvalidInputError(f"length must be an integer tensor of shape ({x.shape[0]},), got {seq_len.dtype} "
                                f"{tuple(seq_len.shape)}")
    if not torch.compiler.is_compiling() and seq_len.numel() and (int(seq_len.min()) < 0
                                                                  or int(seq_len.max()) > x.shape[1]):
        raise InvalidInputError(f"length must lie in [0, {x.shape[1]}] (the time axis), got {seq_len.tolist()}")
    return x, seq_len.to(device=x.device, dtype=torch.long)


class AudioToMelSpectrogramPreprocessor(nn.Module):
    """NeMo's ``AudioToMelSpectrogramPreprocessor``: ``forward(input_signal (batch, time), length
    (batch,))`` to ``(processed_signal (batch, features, frames), processed_length (batch,))``, frames a
    multiple of ``pad_to``, ``processed_length = length // hop`` for the default centred STFT.

    Window size and stride in seconds (``window_size``, ``window_stride``) or samples (``n_window_size``,
    ``n_window_stride``), one of each; other keywords as NeMo's (``dither`` applies in ``.train()`` mode
    only, as NeMo's). The parameters are those of ``.featurizer`` (:class:`FilterbankFeatures`).
    """

    def __init__(self, sample_rate=16000, window_size=0.02, window_stride=0.01, n_window_size=None,
                 n_window_stride=None, window="hann", normalize="per_feature", n_fft=None, preemph=0.97, features=64,
                 lowfreq=0, highfreq=None, log=True, log_zero_guard_type="add", log_zero_guard_value=2**-24,
                 dither=1e-5, pad_to=16, frame_splicing=1, exact_pad=False, pad_value=0, mag_power=2.0, rng=None,
                 nb_augmentation_prob=0.0, nb_max_freq=4000, use_torchaudio: bool = False, mel_norm="slaney",
                 stft_exact_pad=False, stft_conv=False):
        super().__init__()
        if window_size and n_window_size:
            raise InvalidInputError(f"pass window_size ({window_size} s) or n_window_size ({n_window_size} samples), "
                                    "not both")
        if window_stride and n_window_stride:
            raise InvalidInputError(f"pass window_stride ({window_stride} s) or n_window_stride ({n_window_stride} "
                                    "samples), not both")
        if use_torchaudio:
            raise InvalidInputError("use_torchaudio=True (NeMo's torchaudio-based featurizer) is not provided; use the "
                                    "default use_torchaudio=False, whose numbers this class gives")
        self._sample_rate = sample_rate
        if window_size:
            n_window_size = int(_real("window_size", window_size, 0.0) * _real("sample_rate", sample_rate, 1e-3))
        if window_stride:
            n_window_stride = int(_real("window_stride", window_stride, 0.0) * _real("sample_rate", sample_rate, 1e-3))
        if n_window_size is None or n_window_stride is None:
            raise InvalidInputError("the window needs a size and a stride: window_size/window_stride (s) or "
                                    "n_window_size/n_window_stride (samples)")
        self.win_length, self.hop_length = n_window_size, n_window_stride
        self.featurizer = FilterbankFeatures(
            sample_rate=sample_rate, n_window_size=n_window_size, n_window_stride=n_window_stride, window=window,
            normalize=normalize, n_fft=n_fft, preemph=preemph, nfilt=features, lowfreq=lowfreq, highfreq=highfreq,
            log=log, log_zero_guard_type=log_zero_guard_type, log_zero_guard_value=log_zero_guard_value,
            dither=dither, pad_to=pad_to, frame_splicing=frame_splicing, exact_pad=exact_pad, pad_value=pad_value,
            mag_power=mag_power, rng=rng, nb_augmentation_prob=nb_augmentation_prob, nb_max_freq=nb_max_freq,
            mel_norm=mel_norm)

    def forward(self, input_signal: torch.Tensor, length: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.featurizer(input_signal, length)

    def get_features(self, input_signal, length):
        return self.featurizer(input_signal, length)

    @property
    def filter_banks(self) -> torch.Tensor:
        return self.featurizer.fb

    def extra_repr(self) -> str:
        f = self.featurizer
        return (f"sample_rate={self._sample_rate}, n_window_size={f.win_length}, n_window_stride={f.hop_length}, "
                f"n_fft={f.n_fft}, features={f.nfilt}, normalize={f.normalize!r}, pad_to={f.pad_to!r}")
