"""PCEN as a layer (optionally learnable per band) and a wrapper that runs a feature layer on a batch of
streams chunk by chunk, keeping the stream state between ``forward`` calls.

``StreamingFeatures(nn.Sequential(MelSpectrogram(...), PCEN(...)))`` takes ``(batch, chunk)`` (or
``(chunk,)``, or any ``(..., chunk)``) per call and returns the ``(..., n_bins, new_frames)`` frames that
became complete; concatenated along the last axis with ``flush()``'s they equal the wrapped layer on the
whole signal. The spectral pass runs in the native stream (:mod:`spectrograms.stream`); PCEN carries its
filter state (librosa's ``zi``).
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from ..errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from ..pcen import pcen_smoothing_coefficient, pcen_unchecked
from ..stream import NativeFeatureStream, StreamClosedError, StreamFrames
from ._common import _SpectralTransform
from .spectral import AmplitudeToDB

__all__ = ["PCEN", "StreamingFeatures", "StreamClosedError"]

_MIN_BIAS = 1e-5


def _positive(name: str, value, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (value > 0 if strict else value >= 0) or value != value or value == float("inf"):
        raise InvalidInputError(f"{name} must be {'> 0' if strict else '>= 0'} and finite, got {value!r}")
    return value


class PCEN(nn.Module):
    """Per-channel energy normalisation, ``(..., n_bands, frames) -> (..., n_bands, frames)``, equal to
    ``librosa.pcen`` with the same parameters (and :func:`spectrograms.pcen.compute_pcen`).

    ``pcen = (S / (eps + M)^gain + bias)^power - bias^power``, ``M[t] = b S[t] + (1 - b) M[t - 1]``,
    starting from librosa's steady state. With ``trainable=True`` gain, bias, power and ``b`` are
    parameters (one per band with ``n_bands``): the learnable PCEN of Wang et al. (2017), "Trainable
    frontend for robust and far-field keyword spotting". The values are clamped to their valid ranges
    in ``forward`` (gain, power >= 0, bias >= 1e-5, b in [0, 1]; identity, with gradient 1, inside them).

    Args:
        n_bands: bands of the input, for per-band parameters; None for scalars (then ``trainable``
            learns one value for all bands).
        sr, hop_length: sample rate and hop of the input frames, for the default ``b`` (16000, 160).
        gain, bias, power, time_constant, eps, b: librosa's parameters and defaults (0.98, 2, 0.5, 0.4,
            1e-6, None: from ``time_constant``). ``power=0`` (``log1p``) is for fixed parameters only.
        trainable: make gain, bias, power and b learnable.

    Input: a non-negative float tensor (power or magnitude mel spectrogram); differentiable, compiles
    with ``torch.compile(fullgraph=True)``.
    """

    def __init__(self, n_bands: int | None = None, *, sr: float = 16000.0, hop_length: int = 160, gain=0.98,
                 bias=2.0, power=0.5, time_constant: float = 0.4, eps: float = 1e-6, b=None,
                 trainable: bool = False):
        super().__init__()
        if n_bands is not None and (isinstance(n_bands, bool) or not isinstance(n_bands, int) or n_bands < 1):
            raise InvalidInputError(f"n_bands must be a positive integer or None, got {n_bands!r}")
        values = dict(gain=_positive("gain", gain), bias=_positive("bias", bias), power=_positive("power", power))
        self.eps = _positive("eps", eps, strict=True)
        if b is None:
            b = pcen_smoothing_coefficient(_positive("time_constant", time_constant, strict=True),
                                           _positive("sr", sr, strict=True), _positive("hop_length", hop_length, True))
        values["b"] = _positive("b", b)
        if values["b"] > 1:
            raise InvalidInputError(f"b must be between 0 and 1, got {b!r}")
        if trainable and values["power"] == 0:
            raise InvalidInputError("power=0 (log1p compression) has no gradient in power; use power > 0 with "
                                    "trainable=True")
        self.n_bands, self.trainable = n_bands, trainable
        # Fixed values stay Python numbers: the exact arithmetic of compute_pcen (librosa's numbers in
        # float64) and nothing for torch.compile to guard on. Learnable ones are float32 parameters.
        self._fixed = None if trainable else values
        if trainable:
            shape = (n_bands, 1) if n_bands is not None else ()
            for name, value in values.items():
                setattr(self, name, nn.Parameter(torch.full(shape, value, dtype=torch.float32)))

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.step(spectrogram)[0]

    def step(self, spectrogram: torch.Tensor, zi: torch.Tensor | None = None):
        """PCEN of one chunk of frames from the filter state ``zi`` (None: the steady state), and the
        state to pass with the next chunk: ``(pcen, zf)``."""
        if not isinstance(spectrogram, torch.Tensor) or not spectrogram.is_floating_point():
            raise InvalidTypeError(f"the input must be a floating-point tensor spectrogram, got "
                                   f"{getattr(spectrogram, 'dtype', type(spectrogram).__name__)}")
        if spectrogram.dim() < 2 or (self.n_bands is not None and spectrogram.shape[-2] != self.n_bands):
            raise InvalidInputError(f"the input must have shape (..., {self.n_bands or 'bands'}, frames), got "
                                    f"{tuple(spectrogram.shape)}")
        spec = spectrogram.float() if spectrogram.dtype in (torch.float16, torch.bfloat16) else spectrogram
        if self._fixed is not None:
            values = self._fixed
        else:  # bias kept off 0, where (x / bias) of the log1p form has no finite value
            dtype = spec.dtype
            values = dict(gain=self.gain.to(dtype).clamp(min=0), bias=self.bias.to(dtype).clamp(min=_MIN_BIAS),
                          power=self.power.to(dtype).clamp(min=0), b=self.b.to(dtype).clamp(0, 1))
        out, zf = pcen_unchecked(spec, eps=self.eps, zi=zi, **values)
        return out.to(spectrogram.dtype), zf

    def extra_repr(self) -> str:
        fixed = "".join(f", {k}={v:g}" for k, v in (self._fixed or {}).items())
        return f"n_bands={self.n_bands}, eps={self.eps:g}, trainable={self.trainable}{fixed}"


class _LayerPlan:
    """What :class:`~spectrograms.stream.NativeFeatureStream` reads from a plan, from a spectral layer's
    own buffers (so the stream computes with the layer's window and filterbank, state_dict included)."""

    def __init__(self, layer: _SpectralTransform):
        self.params, self._layer = layer.params, layer

    def _kwargs_for(self, signal: torch.Tensor) -> dict:
        layer, dtype = self._layer, signal.dtype
        filterbank = None
        if layer.fb_crow is not None:
            filterbank = (layer.fb_crow.cpu(), layer.fb_col.cpu(), layer._fb_val_for(dtype).cpu().contiguous())
        return dict(window=layer._window_for(dtype).cpu().contiguous(), filterbank=filterbank, power=layer.power,
                    floor_db=layer.floor_db)


class StreamingFeatures(nn.Module):
    """Runs a feature layer on a batch of streams, a chunk per ``forward``, keeping the state between calls.

    Args:
        layer: a spectral layer of :mod:`spectrograms.nn` (``Spectrogram``, ``MelSpectrogram``,
            ``ErbSpectrogram``, ``LogHzSpectrogram``; power, magnitude or fused dB), or an
            ``nn.Sequential`` of one followed by :class:`PCEN` and/or :class:`AmplitudeToDB` without
            ``top_db`` (frame-wise layers).

    ``forward(chunk)``: ``chunk`` is ``(..., time)`` with any number of samples (0 and 1 included), the same
    leading shape and dtype (float32/float64; float16/bfloat16 are computed in float32) on every call
    until :meth:`reset`; returns ``(..., n_bins, new_frames)``. :meth:`flush` returns the last frames
    (right padding) and closes the stream. Inference only: the stream keeps no autograd history.

    Raises:
        InvalidTypeError: another dtype than the stream started with; a layer that cannot stream.
        DimensionMismatchError: another leading (batch) shape than the stream started with.
        StreamClosedError: a forward or flush after :meth:`flush` without :meth:`reset`.
    """

    def __init__(self, layer: nn.Module):
        super().__init__()
        modules = list(layer) if isinstance(layer, nn.Sequential) else [layer]
        if (not modules or not isinstance(modules[0], _SpectralTransform) or modules[0].power is None
                or type(modules[0]).forward is not _SpectralTransform.forward):  # e.g. Chromagram's own forward
            raise InvalidTypeError(f"StreamingFeatures streams a spectral layer of spectrograms.nn (power or "
                                   f"magnitude, optionally dB), optionally followed by PCEN/AmplitudeToDB; got "
                                   f"{type(layer).__name__}")
        for module in modules[1:]:
            if isinstance(module, AmplitudeToDB) and module.top_db is not None:
                raise InvalidTypeError("AmplitudeToDB(top_db=...) clips to the whole input's maximum, which a "
                                       "stream cannot know; use top_db=None to stream it")
            if not isinstance(module, (PCEN, AmplitudeToDB)):
                raise InvalidTypeError(f"StreamingFeatures can follow the spectral layer only with PCEN or "
                                       f"AmplitudeToDB (frame-wise layers), got {type(module).__name__}")
        self.layer = layer
        self._front, self._after = modules[0], modules[1:]
        root = (lambda power, first: power.sqrt()) if self._front.root_of_band_power else None
        self._stream = NativeFeatureStream(_LayerPlan(self._front), template=StreamFrames(torch.empty(0, 0), 0, None),
                                           n_bins=self._front.n_bins, post=root)
        self.reset()

    def reset(self) -> None:
        """Starts new signals: any dtype and batch shape again."""
        self._stream.reset()
        self._input_dtype: torch.dtype | None = None
        self._lead: tuple[int, ...] | None = None
        self._states: list = [None] * len(self._after)

    @property
    def frames_emitted(self) -> int:
        return self._stream.frames_emitted

    @property
    def latency(self) -> int:
        """Samples after a frame's centre needed before it is returned (see FeatureStream.latency)."""
        return self._stream.latency

    def forward(self, chunk: torch.Tensor) -> torch.Tensor:
        if not isinstance(chunk, torch.Tensor):
            raise InvalidTypeError(f"chunk must be a torch.Tensor (..., time), got {type(chunk).__name__}")
        if chunk.dim() == 0:
            raise InvalidInputError("chunk must have shape (..., time), got a 0-d tensor")
        if not chunk.is_floating_point():
            raise InvalidTypeError(f"chunk must be a floating-point waveform, got dtype {chunk.dtype}")
        if self._input_dtype is not None and chunk.dtype != self._input_dtype:
            raise InvalidTypeError(f"chunk has dtype {chunk.dtype} but this stream started with {self._input_dtype}; "
                                   "call reset() to start new streams")
        lead = tuple(chunk.shape[:-1])
        if self._lead is not None and lead != self._lead and not self._stream._closed:
            raise DimensionMismatchError(f"chunk has leading shape {lead} but this stream started with {self._lead}; "
                                         "a stream keeps one batch shape until reset()")
        signal = chunk.float() if chunk.dtype in (torch.float16, torch.bfloat16) else chunk
        frames = self._stream.push(signal.detach().reshape(math.prod(lead), chunk.shape[-1])).tensor
        self._input_dtype, self._lead = chunk.dtype, lead
        return self._finish(frames)

    def flush(self) -> torch.Tensor:
        """The frames that need the end of the signals; closes the stream until :meth:`reset`."""
        return self._finish(self._stream.flush().tensor)

    def _finish(self, frames: torch.Tensor) -> torch.Tensor:
        lead = self._lead or ()
        frames = frames.reshape(*lead, *frames.shape[-2:])
        for index, module in enumerate(self._after):
            if isinstance(module, PCEN):
                frames, self._states[index] = module.step(frames, self._states[index])
            else:
                frames = module(frames)
        return frames.to(self._input_dtype) if self._input_dtype is not None else frames

    def extra_repr(self) -> str:
        return f"frames_emitted={self.frames_emitted}"
