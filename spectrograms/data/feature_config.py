"""The feature config the data pipeline, the recipes and ``spectrograms extract`` share.

Its own module, free of Lightning, so that extraction workers (one process per core, or Dask
workers) can read a config without importing Lightning, which takes seconds per process.
:mod:`spectrograms.data.datamodule` re-exports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..errors import InvalidInputError
from ..params import (
    ChromaParams,
    ErbParams,
    LogHzParams,
    LogParams,
    MelParams,
    MfccParams,
    SpectrogramParams,
    StftParams,
)
from ..planner import SpectrogramPlanner
from .frontend_kinds import KaldiFbankPlan, WhisperLogMelPlan

__all__ = ["FeatureConfig"]

FeatureKind = Literal["linear", "mel", "erb", "loghz", "mfcc", "chroma", "kaldi_fbank", "whisper"]
FeatureScale = Literal["power", "magnitude", "db"]

# f_min=None means "the usual lowest frequency of this kind": ERB and log-Hz bands are spaced on
# (near-)logarithmic scales that cannot start at 0 Hz.
_DEFAULT_F_MIN = {"mel": 0.0, "erb": 50.0, "loghz": 50.0, "mfcc": 0.0, "chroma": 0.0, "linear": 0.0,
                  "kaldi_fbank": 20.0, "whisper": 0.0}
# The fields only kind="kaldi_fbank" reads, with their defaults.
_KALDI_FIELDS = {"frame_length": None, "frame_shift": None, "dither": 0.0, "use_energy": False}
_BAND_PARAMS = {"mel": MelParams, "erb": ErbParams, "loghz": LogHzParams}  # each (n_bands, f_min, f_max)


@dataclass(frozen=True)
class FeatureConfig:
    """Which spectrogram to compute, as plain values a YAML config can hold.

    Args:
        kind: ``"linear"`` (FFT bins), ``"mel"``, ``"erb"``, ``"loghz"`` (log-spaced bands),
            ``"mfcc"``, ``"chroma"``, or a model front-end (spectrograms/data/frontend_kinds.py):
            ``"kaldi_fbank"`` (:func:`spectrograms.compliance.kaldi.fbank`: ``n_bands`` mel bins from
            ``f_min`` (default 20 Hz) to ``f_max`` (default Nyquist), frames of ``n_fft`` samples every
            ``hop_size`` (400 and 160 are Kaldi's 25 and 10 ms at 16 kHz), povey window, no dither;
            ``window``, ``scale`` and ``floor_db`` do not apply) or ``"whisper"`` (openai-whisper's log-mel:
            16 kHz, ``n_bands`` 80 or 128; the framing is whisper's). Default ``"mel"``.
        scale: ``"power"``, ``"magnitude"`` or ``"db"`` (default) for linear/mel/erb/loghz. MFCCs are
            always computed from mel dB and chroma from power, so it is ignored for those.
        sample_rate: rate in Hz the audio is loaded (or synthesised) at. Default 16000.
        n_fft: FFT size and frame length in samples. Default 512 (32 ms at 16 kHz).
        hop_size: samples between frames. Default 256 (16 ms at 16 kHz).
        window: window name (``"hann"``, ``"hamming"``, ``"blackman"``, ``"rectangular"``). Default Hann.
        n_bands: mel bands, ERB filters or log-Hz bins; for MFCCs the mel bands they come from.
            Default 64.
        f_min: lowest band frequency in Hz; None (default) means 0 Hz for mel/MFCC/chroma and 50 Hz for
            ERB and log-Hz.
        f_max: highest band frequency in Hz; None (default) means the Nyquist frequency.
        floor_db: dB floor for ``scale="db"`` and MFCCs, and the value dB batches are padded with.
            Default -80.
        n_mfcc: coefficients for ``kind="mfcc"``. Default 13.
        frame_length, frame_shift: ``kind="kaldi_fbank"`` only: Kaldi's frame length and shift in ms
            (truncated to samples as Kaldi does); None (default) means ``n_fft`` and ``hop_size`` samples.
        dither: ``kind="kaldi_fbank"`` only: Kaldi's dither (Gaussian noise of this standard deviation
            added to every frame; fresh noise on every call). Default 0.
        use_energy: ``kind="kaldi_fbank"`` only: prepend the frame's log energy as a feature row (Kaldi's
            ``--use-energy``; ``n_features`` is then ``n_bands + 1``). Default False.

    Raises:
        spectrograms.InvalidInputError: from :meth:`build_plan` (called by the constructor to fail at
            configuration time) for values the parameter objects reject.
    """

    kind: FeatureKind = "mel"
    scale: FeatureScale = "db"
    sample_rate: int = 16000
    n_fft: int = 512
    hop_size: int = 256
    window: str = "hann"
    n_bands: int = 64
    f_min: float | None = None
    f_max: float | None = None
    floor_db: float = -80.0
    n_mfcc: int = 13
    frame_length: float | None = None
    frame_shift: float | None = None
    dither: float = 0.0
    use_energy: bool = False

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in _DEFAULT_F_MIN:
            raise InvalidInputError(f"kind must be one of {sorted(_DEFAULT_F_MIN)}; got {self.kind!r}")
        if not isinstance(self.scale, str) or self.scale not in ("power", "magnitude", "db"):
            raise InvalidInputError(f"scale must be 'power', 'magnitude' or 'db'; got {self.scale!r}")
        self._check_kaldi_fields()
        self.build_plan()  # validates every value now, not in the first DataLoader worker

    def _check_kaldi_fields(self):
        """The Kaldi-only fields: refused by name on other kinds (silently ignoring them would give a
        feature other than the one configured), and checked for type and range."""
        given = {name: getattr(self, name) for name, default in _KALDI_FIELDS.items() if getattr(self, name) != default}
        if self.kind != "kaldi_fbank":
            if given:
                raise InvalidInputError(f"{', '.join(f'{k}={v!r}' for k, v in given.items())}: only kind='kaldi_fbank' "
                                        f"takes {'/'.join(_KALDI_FIELDS)}; got kind={self.kind!r}")
            return
        for name in ("frame_length", "frame_shift"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value <= 0):
                raise InvalidInputError(f"{name} must be a positive number of ms or None (n_fft/hop_size samples), "
                                        f"got {value!r}")
        if (isinstance(self.dither, bool) or not isinstance(self.dither, (int, float)) or not math.isfinite(self.dither)
                or self.dither < 0):
            raise InvalidInputError(f"dither must be a finite number >= 0 (0 for none), got {self.dither!r}")
        if not isinstance(self.use_energy, bool):
            raise InvalidInputError(f"use_energy must be True or False, got {self.use_energy!r}")

    @property
    def n_features(self) -> int:
        """Rows of each feature matrix (the ``n_bins`` of ``(batch, n_bins, n_frames)``)."""
        return {
            "linear": self.n_fft // 2 + 1,
            "mfcc": self.n_mfcc,
            "chroma": 12,
            "kaldi_fbank": self.n_bands + int(self.use_energy),
        }.get(self.kind, self.n_bands)

    def spectrogram_params(self) -> SpectrogramParams:
        """The framing as :class:`~spectrograms.SpectrogramParams`."""
        stft = StftParams(self.n_fft, self.hop_size, window=self.window)
        return SpectrogramParams(stft, self.sample_rate)  # which checks it by name (float() would not)

    def build_plan(self):
        """A plan whose ``compute(waveform)`` returns this feature for a ``(time,)`` signal.

        Returns:
            a :class:`~spectrograms.SpectrogramPlan`, :class:`~spectrograms.MfccPlan`,
            :class:`~spectrograms.ChromagramPlan`, or for the front-end kinds a
            :class:`~spectrograms.data.frontend_kinds.KaldiFbankPlan` / ``WhisperLogMelPlan``.
        """
        if self.kind == "kaldi_fbank":
            # Kaldi takes frames in ms and truncates ms * rate to samples: half a sample more than n_fft
            # (hop_size) keeps that truncation from landing one sample short.
            params = self.spectrogram_params()  # checks n_fft, hop_size and sample_rate by name
            rate = float(params.sample_rate)
            return KaldiFbankPlan(dict(
                sample_frequency=rate, num_mel_bins=self.n_bands,
                frame_length=(params.stft.n_fft + 0.5) * 1000.0 / rate if self.frame_length is None
                else float(self.frame_length),
                frame_shift=(params.stft.hop_size + 0.5) * 1000.0 / rate if self.frame_shift is None
                else float(self.frame_shift), dither=float(self.dither), use_energy=self.use_energy,
                low_freq=_DEFAULT_F_MIN[self.kind] if self.f_min is None else self.f_min,
                high_freq=0.0 if self.f_max is None else self.f_max, round_to_power_of_two=True,
                preemphasis_coefficient=0.97, window_type="povey", snip_edges=True))
        if self.kind == "whisper":
            if self.sample_rate != 16000:
                raise InvalidInputError(f"sample_rate must be 16000 for the whisper kind, got {self.sample_rate!r}")
            return WhisperLogMelPlan(self.n_bands)
        planner = SpectrogramPlanner()
        params = self.spectrogram_params()
        f_min = _DEFAULT_F_MIN[self.kind] if self.f_min is None else self.f_min
        db = LogParams(self.floor_db)
        if self.kind == "mfcc":
            mel = MelParams(self.n_bands, f_min, self.f_max)
            return planner.mfcc_plan(params, mel, MfccParams(self.n_mfcc), db)
        if self.kind == "chroma":
            return planner.chromagram_plan(params, ChromaParams.librosa(f_min=f_min, f_max=self.f_max))
        # The planner's <kind>_<scale>_plan(params[, band params][, db params]) family.
        arguments = [params]
        if self.kind in _BAND_PARAMS:
            arguments.append(_BAND_PARAMS[self.kind](self.n_bands, f_min, self.f_max))
        if self.scale == "db":
            arguments.append(db)
        return getattr(planner, f"{self.kind}_{self.scale}_plan")(*arguments)
