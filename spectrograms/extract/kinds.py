"""The feature kinds extraction computes, each behind one small interface.

* :class:`~spectrograms.data.datamodule.FeatureConfig` (the DataModule's config: linear, mel, ERB,
  log-Hz, MFCC, chroma), computed with its plan on the native op.
* :class:`KaldiFbankConfig`: Kaldi's log mel filterbank (``compute-fbank-feats``) through
  :func:`spectrograms.compliance.kaldi.fbank`, the front-end of k2/icefall and lhotse recipes.

Every kind is stored as ``(n_bins, n_frames)`` (Kaldi's ``(frames, bins)`` is transposed), so the
shards, the reader and the collate are the same for all of them. An extractor has ``one(waveform)``
(a ``(time,)`` float32 tensor in, a ``(n_bins, n_frames)`` tensor out) and ``batch(padded, lengths)``
(``(batch, time)`` on any device in, ``(batch, n_bins, max_frames)`` and per-item frame counts out,
each item's frames equal to ``one`` of it).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import torch

from ..errors import InvalidInputError

__all__ = ["KALDI_FBANK", "KaldiFbankConfig", "build_extractor", "feature_from_dict", "feature_to_dict"]

KALDI_FBANK = "kaldi-fbank"


@dataclasses.dataclass(frozen=True)
class KaldiFbankConfig:
    """Kaldi log mel filterbank features, as :func:`spectrograms.compliance.kaldi.fbank` computes them.

    Args:
        kind: always ``"kaldi-fbank"`` (what tells a stored config apart from a FeatureConfig).
        sample_rate: rate in Hz the audio is loaded at (Kaldi's ``sample_frequency``). Default 16000.
        num_mel_bins: mel bands. Default 80 (the icefall/lhotse default).
        frame_length, frame_shift: in milliseconds. Defaults 25 and 10.
        low_freq: lowest band edge in Hz. Default 20.
        high_freq: highest band edge in Hz; <= 0 is an offset from Nyquist. Default -400 (lhotse's).
        dither: dither amount; 0 (default) makes the features deterministic.
        energy_floor: floor of the log energy. Default 1e-10 (lhotse's).
        snip_edges: Kaldi's framing (frames fully inside the signal) when True; False (default,
            lhotse's) centres frames so that ``frames = round(time / shift)``.
        use_energy: append the log energy as a column. Default False.
        window_type: ``"povey"`` (default), ``"hann"``, ``"hamming"``, ``"rectangular"``, ``"blackman"``.
        preemphasis_coefficient: Default 0.97. remove_dc_offset: Default True.

    Raises:
        InvalidInputError: an option the Kaldi front-end refuses (checked on construction).
    """

    kind: Literal["kaldi-fbank"] = KALDI_FBANK
    sample_rate: int = 16000
    num_mel_bins: int = 80
    frame_length: float = 25.0
    frame_shift: float = 10.0
    low_freq: float = 20.0
    high_freq: float = -400.0
    dither: float = 0.0
    energy_floor: float = 1e-10
    snip_edges: bool = False
    use_energy: bool = False
    window_type: str = "povey"
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True

    def __post_init__(self):
        if self.kind != KALDI_FBANK:
            raise InvalidInputError(f"kind must be {KALDI_FBANK!r} for KaldiFbankConfig; got {self.kind!r}")
        # One frame of silence through the real front-end validates every option now.
        from ..compliance import kaldi

        kaldi.fbank(torch.zeros(1, math.ceil(self.sample_rate * self.frame_length / 1000)), **self.options)

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`spectrograms.compliance.kaldi.fbank`."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.pop("kind")
        fields["sample_frequency"] = float(fields.pop("sample_rate"))
        return fields

    @property
    def n_features(self) -> int:
        return self.num_mel_bins + int(self.use_energy)

    @property
    def pad_value(self) -> float:
        """What padded frames hold: the log of Kaldi's floor, the value of digital silence."""
        return math.log(torch.finfo(torch.float32).eps)


def feature_from_dict(fields: dict) -> Any:
    """The config a ``config.json`` ``features`` dict (or a YAML mapping) describes."""
    from ..data.feature_config import FeatureConfig

    if not isinstance(fields, dict):
        raise InvalidInputError(f"feature must be a FeatureConfig, a KaldiFbankConfig or a dict; got {fields!r}")
    cls = KaldiFbankConfig if fields.get("kind") == KALDI_FBANK else FeatureConfig
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise InvalidInputError(f"feature: unknown field(s) {unknown} for {cls.__name__}; allowed: {sorted(names)}")
    try:
        return cls(**fields)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"feature={fields!r}: {exc}") from exc


def feature_to_dict(config: Any) -> dict:
    return dataclasses.asdict(config)


class _PlanExtractor:
    def __init__(self, config):
        # Results gain .to_torch() from spectrograms.torch; a worker process may not have imported it yet.
        from .. import torch as _results_to_torch  # noqa: F401

        self.plan = config.build_plan()
        self.stft = self.plan.params.stft

    def one(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.plan.compute(waveform).to_torch()

    def batch(self, padded: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from ..nn import frame_lengths

        # The plan pads frames with zeros, so an item's frames never see the padding after it.
        out = self.plan.compute(padded).to_torch()
        return out, frame_lengths(lengths, self.stft.n_fft, self.stft.hop_size, self.stft.centre)


class _KaldiExtractor:
    def __init__(self, config: KaldiFbankConfig):
        self.options = config.options

    def one(self, waveform: torch.Tensor) -> torch.Tensor:
        from ..compliance import kaldi

        return kaldi.fbank(waveform[None], **self.options).T

    def batch(self, padded: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from ..compliance import kaldi

        features, counts = kaldi.fbank_batch(padded, lengths.to(padded.device), **self.options)
        return features.transpose(1, 2), counts.cpu()


class _WhisperExtractor(_PlanExtractor):
    """Whisper's log-mel of a padded batch, each item equal to its own unbatched call: past its end an
    item is continued by its own reflection (what the unbatched reflect padding reads) and its peak is
    taken over its own ``time // 160`` frames, not over the padding (whose frames see zeros)."""

    def batch(self, padded: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from .. import whisper

        half = whisper.N_FFT // 2
        lengths = lengths.to(device=padded.device, dtype=torch.long)
        if bool((lengths <= half).any()):
            item = int(torch.nonzero(lengths <= half).flatten()[0])
            raise InvalidInputError(f"item {item} has {int(lengths[item])} samples; whisper's reflect padding "
                                    f"needs more than n_fft // 2 = {half}")
        position = torch.arange(padded.shape[1] + half, device=padded.device)[None, :]
        end = lengths[:, None]
        index = torch.where(position < end, position, 2 * end - 2 - position)  # torch's reflect: L + k -> L - 2 - k
        signal = padded.gather(1, index.clamp(0, padded.shape[1] - 1)) * (position < end + half)
        counts = lengths // whisper.HOP_LENGTH
        features = whisper.whisper_log_mel(signal, n_mels=self.plan.n_mels, frames=counts)
        return features[..., :int(counts.max())], counts.cpu()


def build_extractor(config: Any):
    """The extractor of a config (see the module docstring)."""
    if isinstance(config, KaldiFbankConfig):
        return _KaldiExtractor(config)
    return _WhisperExtractor(config) if getattr(config, "kind", None) == "whisper" else _PlanExtractor(config)
