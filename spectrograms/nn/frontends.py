"""``nn.Module`` forms of the model front-ends: openai-whisper's log-mel
(:class:`WhisperLogMelSpectrogram`) and Kaldi's fbank, MFCC and spectrogram (:class:`KaldiFbank`,
:class:`KaldiMFCC`, :class:`KaldiSpectrogram`, on ``spectrograms.compliance.kaldi``). NeMo's
preprocessor is itself a module: :class:`spectrograms.nemo.AudioToMelSpectrogramPreprocessor`.

Each layer's forward is one functional call over the whole input, so it composes in ``nn.Sequential``,
moves with ``.to(device)`` and is differentiable with respect to the audio. The Whisper layer holds its
window and filterbank as buffers and traces under ``torch.compile(fullgraph=True)``; the Kaldi layers
hold only their options and run under ``torch.compile`` with graph breaks (their input checks read
values), under ``torch.jit.trace`` for a fixed input length (the frame count is then fixed) and not
under ``torch.jit.script`` (their options are keyword dicts). ``torch.onnx.export(dynamo=True)`` and
``torch.export`` of a whole waveform (no ``lengths``) take :mod:`spectrograms.export.kaldi`, the same
steps in torch ops with a dynamic time axis (``tests/test_export_onnx.py``).
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from .. import whisper as _whisper
from ..compliance import kaldi as _kaldi
from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["WhisperLogMelSpectrogram", "KaldiFbank", "KaldiMFCC", "KaldiSpectrogram"]


class WhisperLogMelSpectrogram(nn.Module):
    """openai-whisper's log-mel front-end: ``(..., time)`` 16 kHz audio to ``(..., n_mels, time // 160)``.

    Args:
        n_mels: 80 (tiny ... large-v2) or 128 (large-v3).
        normalize: ``"item"`` (each clip clamped at its own maximum minus 8, default) or ``"batch"``
            (one maximum over the batch, as openai-whisper's batched call).
    """

    def __init__(self, n_mels: int = 80, normalize: str = "item"):
        super().__init__()
        if n_mels not in (80, 128):
            raise InvalidInputError(f"n_mels must be 80 or 128 (whisper's banks), got {n_mels!r}")
        if normalize not in ("item", "batch"):
            raise InvalidInputError(f"normalize must be 'item' or 'batch', got {normalize!r}")
        self.n_mels, self.normalize = n_mels, normalize
        crow, col, val = _whisper._csr(float(_whisper.SAMPLE_RATE), _whisper.N_FFT, n_mels, _whisper.SAMPLE_RATE / 2)
        self.register_buffer("window", torch.hann_window(_whisper.N_FFT))
        self.register_buffer("fb_crow", crow.clone())
        self.register_buffer("fb_col", col.clone())
        self.register_buffer("fb_val", val.float())

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        signal = audio.float() if audio.dtype == torch.float16 or audio.dtype == torch.bfloat16 else audio
        if torch.jit.is_scripting():  # TorchScript takes no keyword-only arguments
            return self._scripted(signal).to(audio.dtype)
        return self._eager(signal).to(audio.dtype)

    @torch.jit.unused
    def _eager(self, signal: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():  # torch 2.14's ONNX translation of a full amax() fails
            return self._scripted(signal)
        bank = (self.fb_crow, self.fb_col, self.fb_val.to(signal.dtype))
        return _whisper.log_mel_from_bank(signal, self.window.to(signal.dtype), bank, normalize=self.normalize)

    def _scripted(self, signal: torch.Tensor) -> torch.Tensor:
        """:func:`spectrograms.whisper.log_mel_from_bank` for TorchScript and ONNX export: the same op
        call and the same clamp at the maximum minus 8."""
        db = torch.ops.spectrograms.spectrogram(signal, self.window.to(signal.dtype), _whisper.N_FFT,
                                                _whisper.HOP_LENGTH, True, "reflect", 2.0, self.fb_crow,
                                                self.fb_col, self.fb_val.to(signal.dtype), _whisper._FLOOR_DB)
        log_spec = db[..., :-1] * 0.1
        if self.normalize == "item" and log_spec.dim() > 2:
            peak = log_spec.amax(dim=[-2, -1], keepdim=True)
        else:
            peak = log_spec.reshape(-1).amax(dim=0)
        return (torch.maximum(log_spec, peak - 8.0) + 4.0) / 4.0

    def extra_repr(self) -> str:
        return f"n_mels={self.n_mels}, normalize={self.normalize!r}"


class _KaldiLayer(nn.Module):
    """``torchaudio.compliance.kaldi``'s feature function as a layer: its keywords, checked when the
    layer is built (one call on a one-frame signal, so a bad option fails here and not in training)."""

    _function = staticmethod(_kaldi.fbank)
    _batch_function = staticmethod(_kaldi.fbank_batch)

    def __init__(self, **options):
        super().__init__()
        parameters = inspect.signature(self._function).parameters
        known = [name for name in parameters if name not in ("waveform", "generator")]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise InvalidTypeError(f"{type(self).__name__} got unknown option(s) {', '.join(unknown)}; it takes "
                                   f"{', '.join(known)} (torchaudio.compliance.kaldi's keywords)")
        self.options = {name: options.get(name, parameters[name].default) for name in known}
        self.channel = self.options.pop("channel")
        try:
            samples = max(2, int(float(self.options["sample_frequency"]) * float(self.options["frame_length"]) / 1000))
            samples = min(samples, 1 << 20)
        except (TypeError, ValueError, OverflowError):
            samples = 2  # the dry run below names the option
        self._batch_function(torch.zeros(1, samples + 1, dtype=torch.float64), **self.options)

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None):
        """``(time,)`` or ``(channels, time)`` (``channel`` picks one, as torchaudio) to ``(frames, bins)``;
        ``(batch, time)`` with ``lengths (batch,)`` to ``(features (batch, frames, bins), frame_lengths)``."""
        if not isinstance(waveform, torch.Tensor):
            raise InvalidTypeError(f"waveform must be a torch.Tensor, got {type(waveform).__name__}")
        signal = waveform.float() if waveform.dtype in (torch.float16, torch.bfloat16) else waveform
        if lengths is None and (torch.onnx.is_in_onnx_export() or torch.compiler.is_exporting()):
            # The kernel's frame count is a value the exporters cannot trace; the same steps in torch ops.
            from ..export.kaldi import kaldi_features
            return kaldi_features(self._function.__name__, signal, self.channel, self.options).to(waveform.dtype)
        if lengths is None:
            return self._function(signal, channel=self.channel, **self.options).to(waveform.dtype)
        features, frame_lengths = self._batch_function(signal, lengths, **self.options)
        return features.to(waveform.dtype), frame_lengths

    def extra_repr(self) -> str:
        defaults = inspect.signature(self._function).parameters
        changed = {k: v for k, v in self.options.items() if v != defaults[k].default}
        return ", ".join(f"{k}={v!r}" for k, v in changed.items())


class KaldiFbank(_KaldiLayer):
    """Kaldi's log mel filterbank (``compute-fbank-feats``) as a layer, with
    ``torchaudio.compliance.kaldi.fbank``'s keywords, defaults and values: the front-end of wenet,
    icefall/k2, WeSpeaker, FunASR, SpeechBrain's and ESPnet's Kaldi recipes, AST and BEATs.

    Example:
        ``KaldiFbank(num_mel_bins=80, dither=0.0)(waveform)`` -> ``(frames, 80)``.
    """

    _function = staticmethod(_kaldi.fbank)
    _batch_function = staticmethod(_kaldi.fbank_batch)


class KaldiMFCC(_KaldiLayer):
    """Kaldi's MFCC (``compute-mfcc-feats``) as a layer, with ``torchaudio.compliance.kaldi.mfcc``'s
    keywords, defaults and values: ``(frames, num_ceps)``."""

    _function = staticmethod(_kaldi.mfcc)
    _batch_function = staticmethod(_kaldi.mfcc_batch)


class KaldiSpectrogram(_KaldiLayer):
    """Kaldi's log power spectrogram (``compute-spectrogram-feats``) as a layer, with
    ``torchaudio.compliance.kaldi.spectrogram``'s keywords, defaults and values: ``(frames, padded // 2 + 1)``."""

    _function = staticmethod(_kaldi.spectrogram)
    _batch_function = staticmethod(_kaldi.spectrogram_batch)
