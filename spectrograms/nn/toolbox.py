"""torchaudio.transforms' toolbox layers: resampling, mel scaling and its inverse, inverse STFT,
Griffin-Lim, LFCC, spectral centroid, sliding-window CMN, loudness, fades and volume.

Each layer takes torchaudio's keywords, positional order and defaults and returns torchaudio's values
(the functional forms are in :mod:`spectrograms.functional`). Matrices and kernels (mel/linear
filterbanks, DCTs, resampling kernels) are persistent float32 buffers under torchaudio's names, so a
torchaudio ``state_dict`` loads; each also has a non-persistent float64 twin, used for float64 input,
so ``.double()`` layers compute with float64-exact buffers rather than float32 values widened.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import functional as SF
from .._validate import non_negative_float, positive_int
from ..errors import InvalidInputError
from .spectral import Spectrogram as _Spectrogram

__all__ = [
    "Resample",
    "MelScale",
    "InverseMelScale",
    "InverseSpectrogram",
    "GriffinLim",
    "LFCC",
    "SpectralCentroid",
    "SlidingWindowCmn",
    "Loudness",
    "Fade",
    "Vol",
]


def _register_matrix(module: nn.Module, name: str, matrix64: torch.Tensor):
    """``name``: float32 persistent buffer (torchaudio's state_dict); ``_name64``: its float64 twin."""
    module.register_buffer(name, matrix64.to(torch.float32))
    module.register_buffer(f"_{name}64", matrix64.clone(), persistent=False)


def _matrix_for(module: nn.Module, name: str, dtype: torch.dtype) -> torch.Tensor:
    twin = getattr(module, f"_{name}64")
    if dtype == torch.float64 and twin.dtype == torch.float64:
        return twin
    return getattr(module, name).to(dtype)


def _in_compute_dtype(x: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 are computed in float32 (the output is cast back), as every layer here does."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _window(window_fn, win_length, wkwargs):
    return window_fn(win_length, **(wkwargs or {})).to(torch.float32)


def _framing(n_fft, win_length, hop_length):
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    if win_length > n_fft:
        raise InvalidInputError(f"win_length must be in [1, n_fft={n_fft}], got {win_length}")
    hop_length = win_length // 2 if hop_length is None else positive_int("hop_length", hop_length)
    return n_fft, win_length, hop_length


class Resample(nn.Module):
    """Band-limited resampling, ``(..., time) -> (..., ceil(time * new_freq / orig_freq))``.

    As ``torchaudio.transforms.Resample(orig_freq=16000, new_freq=16000,
    resampling_method="sinc_interp_hann", lowpass_filter_width=6, rolloff=0.99, beta=None, dtype=None)``:
    the windowed-sinc polyphase kernel (``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"``) is a buffer
    ``kernel`` of shape ``(new, 1, 2 * width + orig)`` (rates divided by their gcd), applied to the
    whole signal by the native polyphase op on CPU without autograd, else by one strided ``conv1d``.
    The kernel is computed in float64 (with torchaudio's float32 phase offsets for the default
    ``dtype=None``); ``dtype`` sets the buffer's dtype (default float32, torchaudio's), and float64
    input uses a float64 kernel. Differentiable, ``torch.compile(fullgraph=True)``-clean.
    """

    def __init__(self, orig_freq: int = 16000, new_freq: int = 16000, resampling_method: str = "sinc_interp_hann",
                 lowpass_filter_width: int = 6, rolloff: float = 0.99, beta: float | None = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.orig_freq = SF._integer_rate("orig_freq", orig_freq)
        self.new_freq = SF._integer_rate("new_freq", new_freq)
        self.gcd = math.gcd(self.orig_freq, self.new_freq)
        self.resampling_method, self.lowpass_filter_width, self.rolloff, self.beta = (
            resampling_method, lowpass_filter_width, rolloff, beta)
        if self.orig_freq != self.new_freq:
            rates = (self.orig_freq // self.gcd, self.new_freq // self.gcd, lowpass_filter_width, rolloff,
                     resampling_method, beta)
            kernel, self.width = SF.sinc_resample_kernel(*rates)
            # torchaudio's default-dtype kernel has float32 phase offsets (see sinc_resample_kernel)
            kernel32 = SF.sinc_resample_kernel(*rates, phase_dtype=torch.float32)[0] if dtype is None else kernel
            self.register_buffer("kernel", kernel32.to(dtype or torch.float32))
            self.register_buffer("_kernel64", kernel, persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self.orig_freq == self.new_freq:
            return waveform
        signal = _in_compute_dtype(SF._float_tensor("waveform", waveform))
        kernel = _matrix_for(self, "kernel", signal.dtype)
        out = SF.apply_resample_kernel(signal, self.orig_freq // self.gcd, self.new_freq // self.gcd, kernel,
                                       self.width)
        return out.to(waveform.dtype)

    def extra_repr(self) -> str:
        return f"orig_freq={self.orig_freq}, new_freq={self.new_freq}, resampling_method={self.resampling_method!r}"


class MelScale(nn.Module):
    """Linear-frequency spectrogram to mel bands, ``(..., n_stft, time) -> (..., n_mels, time)``.

    As ``torchaudio.transforms.MelScale(n_mels=128, sample_rate=16000, f_min=0.0, f_max=None,
    n_stft=201, norm=None, mel_scale="htk")``; the filterbank is the buffer ``fb``, ``(n_stft, n_mels)``.
    """

    def __init__(self, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0, f_max: float | None = None,
                 n_stft: int = 201, norm: str | None = None, mel_scale: str = "htk"):
        super().__init__()
        self.n_mels, self.sample_rate, self.f_min = n_mels, sample_rate, f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.norm, self.mel_scale = norm, mel_scale
        if f_min > self.f_max:
            raise InvalidInputError(f"f_min must be at most f_max, got f_min={f_min}, f_max={self.f_max}")
        _register_matrix(self, "fb", SF._melscale_fbanks64(n_stft, f_min, self.f_max, n_mels, sample_rate, norm,
                                                           mel_scale))

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        spec = _in_compute_dtype(SF._float_tensor("specgram", specgram))
        fb = _matrix_for(self, "fb", spec.dtype)
        if spec.dim() < 2 or spec.shape[-2] != fb.shape[0]:
            raise InvalidInputError(f"specgram must have shape (..., n_stft={fb.shape[0]}, time), "
                                    f"got {tuple(spec.shape)}")
        return torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2).to(specgram.dtype)


class InverseMelScale(nn.Module):
    """Mel bands back to a linear-frequency spectrogram, ``(..., n_mels, time) -> (..., n_stft, time)``.

    As ``torchaudio.transforms.InverseMelScale(n_stft, n_mels=128, sample_rate=16000, f_min=0.0,
    f_max=None, norm=None, mel_scale="htk", driver="gels")``: the non-negative part of the least-squares
    solution of ``fb.T @ spec = mel`` (``torch.linalg.lstsq`` with ``driver``).
    """

    def __init__(self, n_stft: int, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0,
                 f_max: float | None = None, norm: str | None = None, mel_scale: str = "htk", driver: str = "gels"):
        super().__init__()
        if driver not in ("gels", "gelsy", "gelsd", "gelss"):
            raise InvalidInputError(f"driver must be one of 'gels', 'gelsy', 'gelsd', 'gelss', got {driver!r}")
        self.n_mels, self.sample_rate, self.f_min, self.driver = n_mels, sample_rate, f_min, driver
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        if f_min > self.f_max:
            raise InvalidInputError(f"f_min must be at most f_max, got f_min={f_min}, f_max={self.f_max}")
        _register_matrix(self, "fb", SF._melscale_fbanks64(n_stft, f_min, self.f_max, n_mels, sample_rate, norm,
                                                           mel_scale))

    def forward(self, melspec: torch.Tensor) -> torch.Tensor:
        mel = _in_compute_dtype(SF._float_tensor("melspec", melspec))
        fb = _matrix_for(self, "fb", mel.dtype)
        if mel.dim() < 2 or mel.shape[-2] != fb.shape[1]:
            raise InvalidInputError(f"melspec must have shape (..., n_mels={fb.shape[1]}, time), got {tuple(mel.shape)}")
        shape = mel.shape
        packed = mel.reshape(-1, shape[-2], shape[-1])
        solution = torch.linalg.lstsq(fb.transpose(-1, -2)[None], packed, driver=self.driver).solution
        return torch.relu(solution).reshape(*shape[:-2], fb.shape[0], shape[-1]).to(melspec.dtype)


class InverseSpectrogram(nn.Module):
    """Complex spectrogram to waveform, ``(..., n_fft // 2 + 1, frames) -> (..., time)``.

    As ``torchaudio.transforms.InverseSpectrogram(n_fft=400, win_length=None, hop_length=None, pad=0,
    window_fn=torch.hann_window, normalized=False, wkwargs=None, center=True, pad_mode="reflect",
    onesided=True)``; ``forward(spectrogram, length=None)``. On the native ISTFT op, differentiable
    with respect to the spectrogram (torchaudio's gradcheck passes) and compile-clean.
    """

    def __init__(self, n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None, pad: int = 0,
                 window_fn=torch.hann_window, normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True):
        super().__init__()
        self.n_fft, self.win_length, self.hop_length = _framing(n_fft, win_length, hop_length)
        self.pad, self.normalized, self.center, self.pad_mode, self.onesided = pad, normalized, center, pad_mode, onesided
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))

    def forward(self, spectrogram: torch.Tensor, length: int | None = None) -> torch.Tensor:
        return SF.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft, self.hop_length,
                                      self.win_length, self.normalized, self.center, self.pad_mode, self.onesided)


class GriffinLim(nn.Module):
    """Waveform from a magnitude/power spectrogram by fast Griffin-Lim, ``(..., n_fft // 2 + 1, frames) -> (..., time)``.

    As ``torchaudio.transforms.GriffinLim(n_fft=400, n_iter=32, win_length=None, hop_length=None,
    window_fn=torch.hann_window, power=2.0, wkwargs=None, momentum=0.99, length=None, rand_init=True)``,
    on the native STFT/ISTFT ops; ``rand_init`` draws the initial phases as torchaudio does, so a
    seeded run gives torchaudio's result.
    """

    def __init__(self, n_fft: int = 400, n_iter: int = 32, win_length: int | None = None,
                 hop_length: int | None = None, window_fn=torch.hann_window, power: float = 2.0,
                 wkwargs: dict | None = None, momentum: float = 0.99, length: int | None = None,
                 rand_init: bool = True):
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise InvalidInputError(f"momentum must be in [0, 1), got {momentum}")
        self.n_fft, self.win_length, self.hop_length = _framing(n_fft, win_length, hop_length)
        self.n_iter, self.power, self.momentum, self.length, self.rand_init = n_iter, power, momentum, length, rand_init
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        if specgram.shape[-2] != self.n_fft // 2 + 1:
            raise InvalidInputError(f"specgram must have shape (..., n_fft // 2 + 1 = {self.n_fft // 2 + 1}, frames), "
                                    f"got {tuple(specgram.shape)}")
        return SF.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length, self.power,
                             self.n_iter, self.momentum, self.length, self.rand_init)


class LFCC(nn.Module):
    """Linear-frequency cepstral coefficients, ``(..., time) -> (..., n_lfcc, frames)``.

    As ``torchaudio.transforms.LFCC(sample_rate=16000, n_filter=128, f_min=0.0, f_max=None, n_lfcc=40,
    dct_type=2, norm="ortho", log_lf=False, speckwargs=None)``: the power spectrogram of
    :class:`~spectrograms.nn.Spectrogram` (``speckwargs`` are its torchaudio keywords), triangular
    filters evenly spaced in Hz (buffer ``filter_mat``), then dB with ``top_db=80`` as torchaudio
    applies it (or ``log(x + 1e-6)`` with ``log_lf``), then the DCT (buffer ``dct_mat``).
    """

    def __init__(self, sample_rate: int = 16000, n_filter: int = 128, f_min: float = 0.0, f_max: float | None = None,
                 n_lfcc: int = 40, dct_type: int = 2, norm: str | None = "ortho", log_lf: bool = False,
                 speckwargs: dict | None = None):
        super().__init__()
        if dct_type != 2:
            raise InvalidInputError(f"dct_type must be 2 (DCT-II, torchaudio's only type), got {dct_type}")
        self.sample_rate, self.n_filter, self.f_min = sample_rate, n_filter, f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_lfcc, self.norm, self.log_lf = positive_int("n_lfcc", n_lfcc), norm, log_lf
        if n_lfcc > n_filter:
            raise InvalidInputError(f"n_lfcc must be at most n_filter={n_filter}, got {n_lfcc}")
        speckwargs = dict(speckwargs or {})
        self.Spectrogram = _Spectrogram(sample_rate=sample_rate, **speckwargs)
        n_freqs = self.Spectrogram.n_fft // 2 + 1
        _register_matrix(self, "filter_mat", SF._linear_fbanks64(n_freqs, f_min, self.f_max, n_filter, sample_rate))
        _register_matrix(self, "dct_mat", SF._create_dct64(n_lfcc, n_filter, norm))
        self.top_db = 80.0

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = _in_compute_dtype(SF._float_tensor("waveform", waveform))
        spec = self.Spectrogram(signal)
        spec = torch.matmul(spec.transpose(-1, -2), _matrix_for(self, "filter_mat", spec.dtype)).transpose(-1, -2)
        if self.log_lf:
            spec = torch.log(spec + 1e-6)
        else:
            spec = SF.amplitude_to_DB(spec, 10.0, 1e-10, 0.0, self.top_db)
        lfcc = torch.matmul(spec.transpose(-1, -2), _matrix_for(self, "dct_mat", spec.dtype)).transpose(-1, -2)
        return lfcc.to(waveform.dtype)


class SpectralCentroid(nn.Module):
    """Spectral centroid of each frame in Hz, ``(..., time) -> (..., frames)``.

    As ``torchaudio.transforms.SpectralCentroid(sample_rate, n_fft=400, win_length=None,
    hop_length=None, pad=0, window_fn=torch.hann_window, wkwargs=None)`` (magnitude STFT, centred with
    reflect padding; silent frames give NaN, as in torchaudio).
    """

    def __init__(self, sample_rate: int, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0, window_fn=torch.hann_window, wkwargs: dict | None = None):
        super().__init__()
        self.sample_rate = sample_rate
        self.n_fft, self.win_length, self.hop_length = _framing(n_fft, win_length, hop_length)
        self.pad = int(non_negative_float("pad", pad))
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return SF.spectral_centroid(waveform, self.sample_rate, self.pad, self.window, self.n_fft, self.hop_length,
                                    self.win_length)


class SlidingWindowCmn(nn.Module):
    """Sliding-window cepstral mean (and variance) normalisation, ``(..., time, freq)`` in and out.

    As ``torchaudio.transforms.SlidingWindowCmn(cmn_window=600, min_cmn_window=100, center=False,
    norm_vars=False)``; see :func:`spectrograms.functional.sliding_window_cmn` (one cumulative sum, no
    per-frame loop).
    """

    def __init__(self, cmn_window: int = 600, min_cmn_window: int = 100, center: bool = False,
                 norm_vars: bool = False):
        super().__init__()
        self.cmn_window = positive_int("cmn_window", cmn_window)
        self.min_cmn_window = positive_int("min_cmn_window", min_cmn_window)
        self.center, self.norm_vars = center, norm_vars

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        return SF.sliding_window_cmn(specgram, self.cmn_window, self.min_cmn_window, self.center, self.norm_vars)


class Loudness(nn.Module):
    """Integrated loudness (ITU-R BS.1770-4) in LUFS, ``(..., channels, time) -> (...)``.

    As ``torchaudio.transforms.Loudness(sample_rate)``; see :func:`spectrograms.functional.loudness`.
    """

    def __init__(self, sample_rate: int):
        super().__init__()
        self.sample_rate = sample_rate

    def forward(self, wavefrom: torch.Tensor) -> torch.Tensor:  # torchaudio's parameter name, typo included
        return SF.loudness(wavefrom, self.sample_rate)


_FADE_SHAPES = ("linear", "exponential", "logarithmic", "quarter_sine", "half_sine")


class Fade(nn.Module):
    """Fade in and out, ``(..., time)`` in and out.

    As ``torchaudio.transforms.Fade(fade_in_len=0, fade_out_len=0, fade_shape="linear")``, shapes
    ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"``, ``"half_sine"`` (with
    torchaudio's curves, including its exponential).
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0, fade_shape: str = "linear"):
        super().__init__()
        if fade_shape not in _FADE_SHAPES:
            raise InvalidInputError(f"fade_shape must be one of {_FADE_SHAPES}, got {fade_shape!r}")
        for name, value in (("fade_in_len", fade_in_len), ("fade_out_len", fade_out_len)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(f"{name} must be a non-negative int, got {value!r}")
        self.fade_in_len, self.fade_out_len, self.fade_shape = fade_in_len, fade_out_len, fade_shape

    def _curve(self, n: int, rising: bool, device, dtype) -> torch.Tensor:
        x = torch.linspace(0, 1, n, device=device, dtype=dtype)
        shape = self.fade_shape
        if shape == "linear":
            return x if rising else 1 - x
        if shape == "exponential":
            return torch.pow(2, x - 1) * x if rising else torch.pow(2, -x) * (1 - x)
        if shape == "logarithmic":
            return torch.log10(0.1 + x) + 1 if rising else torch.log10(1.1 - x) + 1
        if shape == "quarter_sine":
            return torch.sin(x * math.pi / 2 + (0 if rising else math.pi / 2))
        return torch.sin(x * math.pi + (-math.pi / 2 if rising else math.pi / 2)) / 2 + 0.5

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        n = waveform.shape[-1]
        if self.fade_in_len > n or self.fade_out_len > n:
            raise InvalidInputError(f"fade_in_len={self.fade_in_len} and fade_out_len={self.fade_out_len} must be "
                                    f"at most the waveform's length {n}")
        dtype = torch.float32 if waveform.dtype != torch.float64 else torch.float64
        ones_in = torch.ones(n - self.fade_in_len, device=waveform.device, dtype=dtype)
        ones_out = torch.ones(n - self.fade_out_len, device=waveform.device, dtype=dtype)
        fade_in = torch.cat((self._curve(self.fade_in_len, True, waveform.device, dtype), ones_in)).clamp(0, 1)
        fade_out = torch.cat((ones_out, self._curve(self.fade_out_len, False, waveform.device, dtype))).clamp(0, 1)
        return (fade_in * fade_out * waveform).to(waveform.dtype)


class Vol(nn.Module):
    """Gain, then clamping to [-1, 1], ``(..., time)`` in and out.

    As ``torchaudio.transforms.Vol(gain, gain_type="amplitude")``: ``gain_type`` ``"amplitude"``
    (a factor, >= 0), ``"power"`` (a power ratio, >= 0) or ``"db"`` (decibels).
    """

    def __init__(self, gain: float, gain_type: str = "amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise InvalidInputError(f"gain_type must be 'amplitude', 'power' or 'db', got {gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise InvalidInputError(f"gain must be non-negative for gain_type={gain_type!r}, got {gain}")
        self.gain, self.gain_type = gain, gain_type

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = SF.gain(waveform, self.gain)
        else:
            waveform = SF.gain(waveform, 10 * math.log10(self.gain))
        return torch.clamp(waveform, -1, 1)
