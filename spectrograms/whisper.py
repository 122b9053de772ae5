"""openai-whisper's audio front-end: ``log_mel_spectrogram``, ``pad_or_trim`` and the constants, with
openai-whisper's values (80 mels for every model up to large-v2, 128 for large-v3).

The log-mel is one call of the fused native op (reflect-centred frames, periodic Hann window, r2c,
``|X|^2``, the sparse Slaney mel bank and ``10 log10(max(P, 1e-10))``), then whisper's dynamic-range
clamp and scaling as a clamp and a multiply-add in place on the op's output (no copies, no float64). Works on CPU (FFTW) and CUDA (cuFFT), is differentiable
with respect to the audio and traces under ``torch.compile``.

One departure, on purpose: a batch ``(batch, time)`` is normalised per item (each clip's own maximum),
which is what a batch of separate calls gives. openai-whisper's own batched call takes one maximum over
the whole batch, so a loud clip changes a quiet clip's features; ``normalize="batch"`` reproduces that.
"""

from __future__ import annotations

import math

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from . import ops
from ._validate import call_native
from .errors import InvalidInputError, InvalidTypeError
from .filterbanks import hz_to_mel, mel_to_hz

__all__ = [
    "SAMPLE_RATE",
    "N_FFT",
    "HOP_LENGTH",
    "CHUNK_LENGTH",
    "N_SAMPLES",
    "N_FRAMES",
    "N_SAMPLES_PER_TOKEN",
    "FRAMES_PER_SECOND",
    "TOKENS_PER_SECOND",
    "mel_filters",
    "pad_or_trim",
    "log_mel_spectrogram",
]

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_LENGTH = 30
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30-second chunk
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 frames in a mel spectrogram input
N_SAMPLES_PER_TOKEN = HOP_LENGTH * 2  # the initial convolutions have stride 2
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 10 ms per audio frame
TOKENS_PER_SECOND = SAMPLE_RATE // N_SAMPLES_PER_TOKEN  # 20 ms per audio token

# whisper clamps log10 power at 1e-10, i.e. -100 dB.
_FLOOR_DB = -100.0
_NORMALIZE = ("item", "batch")


def slaney_mel_matrix(sample_rate: float, n_fft: int, n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """librosa's default mel bank (Slaney scale, Slaney area normalisation), float64
    ``(n_mels, n_fft // 2 + 1)``: the bank whisper ships in ``mel_filters.npz``, transformers'
    ``mel_filter_bank(norm="slaney", mel_scale="slaney")`` and NeMo's ``librosa.filters.mel``."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    weights = np.maximum(0.0, np.minimum(-ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


@lru_cache(maxsize=16)
def _csr(sample_rate: float, n_fft: int, n_mels: int, f_max: float):
    matrix = slaney_mel_matrix(sample_rate, n_fft, n_mels, 0.0, f_max)
    rows, cols = np.nonzero(matrix)
    crow = np.searchsorted(rows, np.arange(n_mels + 1))
    return (torch.from_numpy(crow.astype(np.int64)), torch.from_numpy(cols.astype(np.int64)),
            torch.from_numpy(matrix[rows, cols]))


def mel_filters(n_mels: int = 80, device=None) -> torch.Tensor:
    """whisper's mel bank, float32 ``(n_mels, 201)`` (``n_mels`` 80 or 128), as ``whisper.audio.mel_filters``."""
    if n_mels not in (80, 128):
        raise InvalidInputError(f"n_mels must be 80 or 128 (whisper's banks), got {n_mels!r}")
    return torch.from_numpy(slaney_mel_matrix(SAMPLE_RATE, N_FFT, n_mels, 0.0, SAMPLE_RATE / 2)).float().to(device)


def pad_or_trim(array, length: int = N_SAMPLES, *, axis: int = -1):
    """Pads with zeros or trims ``array`` (NumPy array or torch tensor) to ``length`` along ``axis``,
    as ``whisper.pad_or_trim`` (the encoder expects exactly ``N_SAMPLES`` samples or ``N_FRAMES`` frames)."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise InvalidInputError(f"length must be an int >= 0, got {length!r}")
    if isinstance(array, torch.Tensor):
        if array.shape[axis] > length:
            array = array.narrow(axis, 0, length)
        if array.shape[axis] < length:
            pad = [0, 0] * array.dim()
            pad[2 * (array.dim() - 1 - (axis % array.dim())) + 1] = length - array.shape[axis]
            array = F.pad(array, pad)
        return array
    if isinstance(array, np.ndarray):
        if array.shape[axis] > length:
            array = array.take(indices=range(length), axis=axis)
        if array.shape[axis] < length:
            widths = [(0, 0)] * array.ndim
            widths[axis] = (0, length - array.shape[axis])
            array = np.pad(array, widths)
        return array
    raise InvalidTypeError(f"array must be a NumPy array or a torch.Tensor, got {type(array).__name__}")


def _as_audio(audio) -> torch.Tensor:
    if isinstance(audio, str):
        from .data.datasets import load_audio

        return load_audio(audio, SAMPLE_RATE)
    if isinstance(audio, np.ndarray):
        audio = torch.from_numpy(np.ascontiguousarray(audio))
    if not isinstance(audio, torch.Tensor):
        raise InvalidTypeError(f"audio must be a path, a NumPy array or a torch.Tensor, got {type(audio).__name__}")
    if audio.dtype not in (torch.float32, torch.float64):
        if audio.dtype in (torch.float16, torch.bfloat16):
            return audio.float()
        raise InvalidTypeError(f"audio must hold floating-point samples, got dtype {audio.dtype}")
    return audio


def whisper_log_mel(signal: torch.Tensor, *, n_mels: int, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                    sample_rate: float = SAMPLE_RATE, f_max: float = 8000.0, normalize: str = "item",
                    frames: torch.Tensor | None = None) -> torch.Tensor:
    """Whisper's log-mel of ``signal (..., time)`` with any framing (transformers' extractor takes
    ``n_fft``/``hop_length``/``sampling_rate``): ``(..., n_mels, time // hop_length)``. ``frames``
    (``(batch,)``, with ``normalize="item"``): each item's own frame count, so its peak is taken over
    those frames only, not over the padding after it."""
    if normalize not in _NORMALIZE:
        raise InvalidInputError(f"normalize must be 'item' or 'batch', got {normalize!r}")
    if signal.shape[-1] <= n_fft // 2:
        raise InvalidInputError(f"audio has {signal.shape[-1]} samples; whisper's reflect padding needs more than "
                                f"n_fft // 2 = {n_fft // 2}")
    crow, col, val = _csr(float(sample_rate), int(n_fft), int(n_mels), float(f_max))
    device = signal.device
    filterbank = (crow.to(device), col.to(device), val.to(device=device, dtype=signal.dtype))
    window = torch.hann_window(n_fft, dtype=signal.dtype, device=device)
    return log_mel_from_bank(signal, window, filterbank, hop_length=hop_length, normalize=normalize, frames=frames)


def log_mel_from_bank(signal: torch.Tensor, window: torch.Tensor, filterbank, *, hop_length: int = HOP_LENGTH,
                      normalize: str = "item", frames: torch.Tensor | None = None) -> torch.Tensor:
    """Whisper's log-mel with a prepared window and CSR mel bank (what the nn layer holds as buffers):
    tensors only, so it traces under ``torch.compile(fullgraph=True)``."""
    n_fft = window.shape[0]
    db = call_native(ops.spectrogram, signal, window, n_fft=n_fft, hop_length=hop_length, center=True,
                     pad_mode="reflect", power=2.0, filterbank=filterbank, floor_db=_FLOOR_DB)
    db = db[..., :-1]  # whisper drops the last frame
    # whisper's (max(log10 P, peak - 8) + 4) / 4, on dB = 10 log10 P: max(dB, peak_dB - 80) / 40 + 1,
    # which is a clamp at a per-item floor, then one multiply-add.
    if normalize == "item" and db.dim() > 2 and frames is not None:  # a padded batch: each item's own frames
        valid = torch.arange(db.shape[-1], device=db.device) < frames.to(db.device)[:, None]
        peak = db.masked_fill(~valid[:, None, :], -math.inf).amax(dim=(-2, -1), keepdim=True)
    elif normalize == "item" and db.dim() > 2:
        peak = db.amax(dim=(-2, -1), keepdim=True)
    else:
        peak = db.amax()
    if db.requires_grad or torch.compiler.is_compiling() or torch.jit.is_tracing():  # graphs: no in-place
        return torch.maximum(db, peak - 80.0) * 0.025 + 1.0
    # In place on the op's own output (no copies): two passes over it after the peak's.
    return torch.maximum(db, peak - 80.0, out=db).mul_(0.025).add_(1.0)


def log_mel_spectrogram(audio, n_mels: int = 80, padding: int = 0, device=None, *,
                        normalize: str = "item") -> torch.Tensor:
    """openai-whisper's ``log_mel_spectrogram``.

    Args:
        audio: a path (read and resampled to 16 kHz), a NumPy array or a tensor, shape ``(time,)`` or
            ``(batch, time)`` (any ``(..., time)``), 16 kHz.
        n_mels: 80 (tiny ... large-v2) or 128 (large-v3).
        padding: zeros appended to the audio first (whisper's ``transcribe`` passes ``N_SAMPLES``).
        device: move the audio there first (``"cuda"`` runs the cuFFT kernel).
        normalize: ``"item"`` (default) clamps each clip at its own maximum minus 8; ``"batch"`` takes one
            maximum over the whole batch, as openai-whisper's batched call does.

    Returns:
        ``(..., n_mels, (time + padding) // 160)``, float32 (float64 for float64 input).

    Raises:
        InvalidInputError: ``n_mels`` not 80/128, negative ``padding``, too short or non-finite audio.
        InvalidTypeError: audio of another type or an integer dtype.
    """
    if n_mels not in (80, 128):
        raise InvalidInputError(f"n_mels must be 80 or 128 (whisper's banks), got {n_mels!r}")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise InvalidInputError(f"padding must be an int >= 0 (samples), got {padding!r}")
    signal = _as_audio(audio)
    if device is not None:
        signal = signal.to(device)
    if padding > 0:
        signal = F.pad(signal, (0, padding))
    return whisper_log_mel(signal, n_mels=n_mels, normalize=normalize)
