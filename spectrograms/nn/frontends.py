"""``nn.Module`` forms of the model front-ends (``spectrograms.whisper``; more in ``spectrograms.frontends``).

Each layer holds its window and filterbank as buffers and its forward is one functional call, so it
composes in ``nn.Sequential``, moves with ``.to(device)``, is differentiable with respect to the audio
and traces under ``torch.compile(fullgraph=True)``.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import whisper as _whisper
from ..errors import InvalidInputError

__all__ = ["WhisperLogMelSpectrogram"]


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
