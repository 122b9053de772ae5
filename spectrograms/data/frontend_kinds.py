"""The model front-end kinds of :class:`~spectrograms.data.feature_config.FeatureConfig`: Kaldi fbank
(``kind="kaldi_fbank"``, :func:`spectrograms.compliance.kaldi.fbank`) and Whisper's log-mel
(``kind="whisper"``, :func:`spectrograms.whisper.log_mel_spectrogram`).

Each is a plan with the interface the DataModule's collate and ``spectrograms extract`` use of the
spectrogram plans: ``compute(waveform)`` returns a result holding ``(n_bins, n_frames)`` (``(batch, n_bins,
n_frames)`` for a ``(batch, time)`` batch of equal-length clips), with the ``floor`` padded batches are
filled with, and ``params.stft`` giving the framing from which frame counts follow.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import InvalidInputError
from ..params import SpectrogramParams, StftParams
from ..results import TensorResult

__all__ = ["FrontEndFeatures", "KaldiFbankPlan", "WhisperLogMelPlan"]

# Kaldi floors log energies at log(float32 eps): the value of digital silence, and of padding.
KALDI_FLOOR = math.log(torch.finfo(torch.float32).eps)


class FrontEndFeatures(TensorResult):
    """A front-end's features, ``(n_bins, n_frames)`` (or ``(batch, n_bins, n_frames)``).

    Attributes:
        tensor: the values, float32 for float32 input.
        floor: the value that means silence here, which padded batches are filled with.
        kind: ``"kaldi_fbank"`` or ``"whisper"``.
        frequencies: each row's mel centre frequency in Hz (0 for Kaldi's energy row), as the spectrogram
            results carry them (``spectrograms features`` writes them next to the values).
        times: each frame's centre in seconds.
    """

    def __init__(self, tensor: torch.Tensor, floor: float, kind: str, frequencies=None, hop_s: float = 0.0,
                 offset_s: float = 0.0):
        super().__init__(tensor)
        self._floor = float(floor)
        self.kind = kind
        self._frequencies = np.zeros(0) if frequencies is None else np.asarray(frequencies, dtype=np.float64)
        self._hop_s, self._offset_s = float(hop_s), float(offset_s)

    @property
    def frequencies(self) -> np.ndarray:
        return self._frequencies

    @property
    def times(self) -> np.ndarray:
        return self._offset_s + self._hop_s * np.arange(self.n_frames)

    @property
    def floor(self) -> float:
        return self._floor

    @property
    def n_frames(self) -> int:
        return int(self.tensor.shape[-1])

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self):
        return f"FrontEndFeatures({self.kind}, shape={self.shape}, dtype={self.dtype})"


def _as_signal(waveform) -> torch.Tensor:
    if isinstance(waveform, np.ndarray):
        waveform = torch.from_numpy(np.ascontiguousarray(waveform))
    if not isinstance(waveform, torch.Tensor):
        raise InvalidInputError(f"waveform must be a NumPy array or a torch.Tensor, got {type(waveform).__name__}")
    if waveform.dim() not in (1, 2):
        raise InvalidInputError(f"waveform must have shape (time,) or (batch, time), got {tuple(waveform.shape)}")
    return waveform if waveform.dtype in (torch.float32, torch.float64) else waveform.float()


class KaldiFbankPlan:
    """Kaldi fbank features as a plan: ``compute(waveform)`` gives ``fbank(waveform, **options).T``.

    Args:
        options: keyword arguments of :func:`spectrograms.compliance.kaldi.fbank` (``snip_edges`` must be
            True, Kaldi's default, so frame counts are ``1 + (time - frame) // shift``, those of
            ``params.stft`` with ``centre=False``). Checked here, on one frame of silence.
    """

    def __init__(self, options: dict):
        from ..compliance import kaldi

        if not options.get("snip_edges", True):
            raise InvalidInputError("the kaldi_fbank kind frames with snip_edges=True (Kaldi's default)")
        self.options = dict(options, snip_edges=True)
        shift, size, padded = kaldi._framing(
            self.options["sample_frequency"], self.options["frame_shift"], self.options["frame_length"],
            self.options.get("round_to_power_of_two", True), self.options["preemphasis_coefficient"],
            self.options["window_type"])
        kaldi.fbank(torch.zeros(1, size), **self.options)  # every option checked now, by name
        self.params = SpectrogramParams(StftParams(size, shift, centre=False), self.options["sample_frequency"])
        rate = float(self.options["sample_frequency"])
        _, centres = kaldi.get_mel_banks(self.options.get("num_mel_bins", 23), padded, rate, *(
            self.options.get(name, default) for name, default in (
                ("low_freq", 20.0), ("high_freq", 0.0), ("vtln_low", 100.0), ("vtln_high", -500.0),
                ("vtln_warp", 1.0))))
        centres = centres.numpy()
        if self.options.get("use_energy", False):  # the energy row: first, or last with htk_compat
            parts = (centres, [0.0]) if self.options.get("htk_compat", False) else ([0.0], centres)
            centres = np.concatenate(parts)
        self._axes = dict(frequencies=centres, hop_s=shift / rate, offset_s=0.5 * size / rate)

    def compute(self, waveform) -> FrontEndFeatures:
        from ..compliance import kaldi

        signal = _as_signal(waveform)
        if signal.dim() == 1:
            return FrontEndFeatures(kaldi.fbank(signal[None], **self.options).T, KALDI_FLOOR, "kaldi_fbank",
                                    **self._axes)
        features, _ = kaldi.fbank_batch(signal, **self.options)
        return FrontEndFeatures(features.transpose(1, 2), KALDI_FLOOR, "kaldi_fbank", **self._axes)


class WhisperLogMelPlan:
    """Whisper's log-mel as a plan: ``compute(waveform)`` gives ``log_mel_spectrogram(waveform, n_mels)``
    (16 kHz; each clip normalised at its own maximum).

    The ``floor`` of a result is what whisper's zero padding of that clip gives, ``max(-1.5, peak - 2)``
    (the dynamic-range clamp at the clip's maximum minus 8 decades, scaled), so a padded batch holds, past
    each clip, the values openai-whisper computes for the clip padded with silence (up to the last frame).
    """

    def __init__(self, n_mels: int):
        from .. import whisper

        if n_mels not in (80, 128):
            raise InvalidInputError(f"n_bands must be 80 or 128 for the whisper kind (its mel banks), got {n_mels!r}")
        self.n_mels = n_mels
        self.params = SpectrogramParams(StftParams(whisper.N_FFT, whisper.HOP_LENGTH, centre=True), whisper.SAMPLE_RATE)
        # whisper's banks are librosa's Slaney mel filters from 0 Hz to Nyquist: centres at the inner points.
        from ..filterbanks import hz_to_mel, mel_to_hz

        points = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(whisper.SAMPLE_RATE / 2), n_mels + 2))
        self._axes = dict(frequencies=points[1:-1], hop_s=whisper.HOP_LENGTH / whisper.SAMPLE_RATE)

    def compute(self, waveform) -> FrontEndFeatures:
        from .. import whisper

        features = whisper.log_mel_spectrogram(_as_signal(waveform), n_mels=self.n_mels)
        peak = float(features.max()) if features.numel() else 0.0
        return FrontEndFeatures(features, max(-1.5, peak - 2.0), "whisper", **self._axes)
