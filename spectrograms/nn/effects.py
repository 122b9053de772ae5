"""torchaudio.transforms' effects and augmentations: ``TimeStretch``, ``PitchShift``, ``Speed``,
``SpeedPerturbation`` and ``AddNoise``, on :mod:`spectrograms.effects`.

Each layer takes torchaudio's keywords, positional order and defaults and returns torchaudio's values.
Buffers keep torchaudio's names (``phase_advance``, ``window``) in float32, each with a non-persistent
float64 twin computed in float64, used for float64/complex128 input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .. import effects as E
from .. import functional as SF
from .._validate import optional_positive_int, positive_float, positive_int
from ..errors import InvalidInputError, InvalidTypeError
from .toolbox import Resample

__all__ = ["TimeStretch", "PitchShift", "Speed", "SpeedPerturbation", "AddNoise"]


class TimeStretch(nn.Module):
    """Stretches a complex STFT in time without changing its pitch, ``(..., freq, frames) -> (..., freq, ceil(frames / rate))``.

    As ``torchaudio.transforms.TimeStretch(hop_length=None, n_freq=201, fixed_rate=None)``:
    ``hop_length`` defaults to ``n_fft // 2`` with ``n_fft = 2 * (n_freq - 1)``; ``forward(complex_specgrams,
    overriding_rate=None)`` uses ``overriding_rate``, else ``fixed_rate``. See
    :func:`spectrograms.effects.phase_vocoder` (all frames at once, one cumulative sum). Differentiable.
    """

    def __init__(self, hop_length: int | None = None, n_freq: int = 201, fixed_rate: float | None = None):
        super().__init__()
        n_freq = positive_int("n_freq", n_freq)
        n_fft = (n_freq - 1) * 2
        hop_length = optional_positive_int("hop_length", hop_length)
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.fixed_rate = None if fixed_rate is None else positive_float("fixed_rate", fixed_rate)
        advance = torch.linspace(0, math.pi * hop_length, n_freq, dtype=torch.float64)[..., None]
        # torchaudio's buffer is a float32 linspace (not float64 rounded): built the same way
        self.register_buffer("phase_advance", torch.linspace(0, math.pi * hop_length, n_freq)[..., None])
        self.register_buffer("_phase_advance64", advance, persistent=False)

    def forward(self, complex_specgrams: torch.Tensor, overriding_rate: float | None = None) -> torch.Tensor:
        if overriding_rate is None:
            if self.fixed_rate is None:
                raise InvalidInputError("TimeStretch has no fixed_rate: pass overriding_rate to forward, or build "
                                        "it with fixed_rate")
            rate = self.fixed_rate
        else:
            rate = overriding_rate
        double = isinstance(complex_specgrams, torch.Tensor) and complex_specgrams.dtype == torch.complex128
        advance = self._phase_advance64 if double and self._phase_advance64.dtype == torch.float64 else self.phase_advance
        return E.phase_vocoder(complex_specgrams, rate, advance)

    def extra_repr(self) -> str:
        return f"n_freq={self.phase_advance.shape[0]}, fixed_rate={self.fixed_rate}"


class PitchShift(nn.Module):
    """Shifts the pitch by ``n_steps`` steps, ``(..., time)`` in and out.

    As ``torchaudio.transforms.PitchShift(sample_rate, n_steps, bins_per_octave=12, n_fft=512,
    win_length=None, hop_length=None, window_fn=torch.hann_window, wkwargs=None)`` (buffer ``window``);
    see :func:`spectrograms.effects.pitch_shift`. The resampling
    kernel is built on the first call for each device and kept, as torchaudio's lazy kernel is, but
    outside the ``state_dict``.
    """

    def __init__(self, sample_rate: int, n_steps: float, bins_per_octave: int = 12, n_fft: int = 512,
                 win_length: int | None = None, hop_length: int | None = None, window_fn=torch.hann_window,
                 wkwargs: dict | None = None):
        super().__init__()
        self.rate, self.orig_freq = E.pitch_shift_rates(sample_rate, n_steps, bins_per_octave)
        self.sample_rate, self.n_steps, self.bins_per_octave = int(sample_rate), n_steps, bins_per_octave
        self.n_fft, self.win_length, self.hop_length = E._pitch_framing(n_fft, win_length, hop_length)
        if wkwargs is not None and not isinstance(wkwargs, dict):
            raise InvalidTypeError(f"wkwargs must be a dict or None, got {type(wkwargs).__name__}")
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        # A float64 twin for float64 input: the phase vocoder carries phase differences through silent
        # bins, so a window rounded to float32 moves a float64 result by 1e-5, not 1e-8.
        try:
            window64 = window_fn(self.win_length, **{"dtype": torch.float64, **(wkwargs or {})})
        except TypeError:  # a window function without a dtype keyword
            window64 = self.window.to(torch.float64)
        self.register_buffer("_window64", window64, persistent=False)
        self.gcd = math.gcd(self.orig_freq, self.sample_rate)
        self._kernels: dict = {}

    def _resample(self, stretched: torch.Tensor) -> torch.Tensor:
        orig, new = self.orig_freq // self.gcd, self.sample_rate // self.gcd
        key = (stretched.device, stretched.dtype)
        if key not in self._kernels:
            self._kernels[key] = SF.sinc_resample_kernel(orig, new, dtype=stretched.dtype, device=stretched.device,
                                                         compute_dtype=stretched.dtype)
        kernel, width = self._kernels[key]
        return SF.apply_resample_kernel(stretched, orig, new, kernel, width)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        waveform = SF._float_tensor("waveform", waveform)
        double = waveform.dtype == torch.float64 and self._window64.dtype == torch.float64
        window = self._window64 if double else self.window
        return E._pitch_shift(waveform, self.rate, (self.n_fft, self.win_length, self.hop_length), window,
                              self._resample)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, n_steps={self.n_steps}, bins_per_octave={self.bins_per_octave}"


class Speed(nn.Module):
    """Plays the waveform ``factor`` times faster, ``(..., time) -> (..., time')``.

    As ``torchaudio.transforms.Speed(orig_freq, factor)``: a :class:`Resample` from
    ``int(factor * orig_freq)`` to ``orig_freq`` (divided by their gcd; submodule ``resampler``);
    ``forward(waveform, lengths=None) -> (waveform, lengths)``.
    """

    def __init__(self, orig_freq, factor):
        super().__init__()
        self.orig_freq, self.factor = orig_freq, factor
        self.source_sample_rate, self.target_sample_rate = E.speed_rates(orig_freq, factor)
        self.resampler = Resample(orig_freq=self.source_sample_rate, new_freq=self.target_sample_rate)

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None):
        out_lengths = None
        if lengths is not None:
            if not isinstance(lengths, torch.Tensor):
                raise InvalidTypeError(f"lengths must be a torch.Tensor or None, got {type(lengths).__name__}")
            out_lengths = torch.ceil(lengths * self.target_sample_rate / self.source_sample_rate).to(lengths.dtype)
        return self.resampler(waveform), out_lengths


class SpeedPerturbation(nn.Module):
    """Speed perturbation (Ko et al. 2015): a factor drawn uniformly from ``factors`` per call.

    As ``torchaudio.transforms.SpeedPerturbation(orig_freq, factors)`` (submodules ``speeders``, one
    :class:`Speed` per factor). The draw is ``torch.randint(len(factors), ())`` on torch's global
    generator, torchaudio's draw, so the same ``torch.manual_seed`` picks the same factors in the same
    order. ``forward(waveform, lengths=None) -> (waveform, lengths)``.
    """

    def __init__(self, orig_freq: int, factors: Sequence[float]):
        super().__init__()
        if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence) or len(factors) == 0:
            raise InvalidInputError(f"factors must be a non-empty sequence of speed factors, got {factors!r}")
        self.speeders = nn.ModuleList([Speed(orig_freq=orig_freq, factor=factor) for factor in factors])

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None):
        index = int(torch.randint(len(self.speeders), ()))
        return self.speeders[index](waveform, lengths)


class AddNoise(nn.Module):
    """Adds noise at a signal-to-noise ratio, as ``torchaudio.transforms.AddNoise()``:
    ``forward(waveform, noise, snr, lengths=None)``, see :func:`spectrograms.effects.add_noise`."""

    def forward(self, waveform: torch.Tensor, noise: torch.Tensor, snr: torch.Tensor,
                lengths: torch.Tensor | None = None) -> torch.Tensor:
        return E.add_noise(waveform, noise, snr, lengths)
