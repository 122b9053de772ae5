"""Procedurally generated sound classes for smoke tests, demos and training recipes.

Every item is synthesised on demand from ``numpy.random.default_rng([seed, index])``, so the data set
needs no files, no download and no memory, and item ``i`` is bit-identical whichever process, worker
or access order produces it.

The classes are built so that a small CNN on log-mel spectrograms can tell them apart from the shape
of their time-frequency pattern (sweep direction, number of partials, amplitude vs. frequency
modulation, broadband transients vs. band-limited noise), while random frequencies, rates, levels,
envelopes and background noise keep the task from being solvable by a single threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["CLASS_NAMES", "SyntheticAudioDataset", "synthesize"]

#: Names of the available classes, in their default label order.
CLASS_NAMES: tuple[str, ...] = (
    "tone",
    "chirp_up",
    "chirp_down",
    "harmonic",
    "am",
    "fm",
    "noise_burst",
    "clicks",
)

# Below this rate the class frequency ranges would collapse (every generator keeps its content under
# 0.45 * sample_rate so nothing aliases).
_MIN_SAMPLE_RATE = 4000


def _loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    # Pitch is perceived (and mel-binned) logarithmically, so draw frequencies uniformly in log space.
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _fade(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Raised-cosine attack/release envelope of random lengths; avoids onset clicks in tonal classes."""
    attack = min(int(rng.uniform(0.005, 0.05) * sample_rate), n // 2)
    release = min(int(rng.uniform(0.01, 0.1) * sample_rate), n // 2)
    env = np.ones(n)
    if attack > 0:
        env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    if release > 0:
        env[n - release :] = 0.5 + 0.5 * np.cos(np.pi * np.arange(1, release + 1) / release)
    return env


def _tone(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    freq = _loguniform(rng, 150.0, min(3000.0, 0.45 * sr))
    return np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)) * _fade(len(t), sr, rng)


def _exp_chirp(rng: np.random.Generator, t: np.ndarray, sr: int, upward: bool) -> np.ndarray:
    # An exponential sweep moves at a constant rate on the (log-like) mel axis, so the spectrogram
    # shows a straight diagonal whose slope sign is the only thing separating up from down.
    f_low = _loguniform(rng, 100.0, 600.0)
    f_high = min(f_low * rng.uniform(3.0, 8.0), 0.45 * sr)
    f_start, f_end = (f_low, f_high) if upward else (f_high, f_low)
    length = max(len(t) / sr, 1e-9)
    k = f_end / f_start
    phase = 2 * np.pi * f_start * length / math.log(k) * (np.power(k, t / length) - 1.0)
    return np.sin(phase + rng.uniform(0, 2 * np.pi)) * _fade(len(t), sr, rng)


def _chirp_up(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    return _exp_chirp(rng, t, sr, upward=True)


def _chirp_down(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    return _exp_chirp(rng, t, sr, upward=False)


def _harmonic(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    # At least four partials (the lowest f0 range keeps 4 * f0 below 0.45 * sr even at 4 kHz), so a
    # stack of parallel lines, not a single line, is what separates this class from "tone".
    f0 = _loguniform(rng, 100.0, 400.0)
    n_partials = min(int(rng.integers(4, 11)), int(0.45 * sr // f0))
    rolloff = rng.uniform(0.3, 1.2)
    out = np.zeros_like(t)
    for k in range(1, n_partials + 1):
        amp = k**-rolloff * rng.uniform(0.7, 1.0)
        out += amp * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    return out * _fade(len(t), sr, rng)


def _am(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    # Slow (2-8 Hz), deep modulation shows up as pulsing across spectrogram frames that survives a
    # CNN's time pooling; faster rates would only add sidebands a mel filterbank cannot resolve.
    carrier = _loguniform(rng, 200.0, min(3000.0, 0.45 * sr))
    rate = rng.uniform(2.0, 8.0)
    depth = rng.uniform(0.8, 1.0)
    mod = 1.0 - depth * (0.5 - 0.5 * np.cos(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)))
    return mod * np.sin(2 * np.pi * carrier * t + rng.uniform(0, 2 * np.pi)) * _fade(len(t), sr, rng)


def _fm(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    # Vibrato-like FM: a wavy line of constant loudness, the mirror image of "am".
    deviation = rng.uniform(0.08, 0.25)
    carrier = _loguniform(rng, 300.0, min(2500.0, 0.45 * sr / (1 + deviation)))
    rate = rng.uniform(2.0, 8.0)
    index = deviation * carrier / rate
    phase = 2 * np.pi * carrier * t + index * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
    return np.sin(phase + rng.uniform(0, 2 * np.pi)) * _fade(len(t), sr, rng)


def _noise_burst(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    # One to three band-limited noise bursts of tens to hundreds of milliseconds: blobs in a band,
    # unlike the full-height, few-millisecond lines of "clicks".
    n = len(t)
    centre = _loguniform(rng, 300.0, min(4000.0, 0.3 * sr))
    width_octaves = rng.uniform(0.3, 1.5)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    octaves_from_centre = np.log2(np.maximum(freqs, 1.0) / centre)
    gain = np.exp(-0.5 * (octaves_from_centre / (width_octaves / 2)) ** 2)
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * gain, n)

    gate = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        length = min(max(int(rng.uniform(0.05, 0.25) * sr), 2), n)
        start = int(rng.integers(0, n - length + 1))
        gate[start : start + length] = np.maximum(gate[start : start + length], np.hanning(length))
    return noise * gate


def _clicks(rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    # A jittered train of millisecond-scale broadband transients; at least 4 Hz so even the shortest
    # clip holds two clicks.
    n = len(t)
    interval = 1.0 / rng.uniform(4.0, 25.0)
    decay = rng.uniform(0.0005, 0.003)
    click_len = max(int(8 * decay * sr), 1)
    shape = np.exp(-np.arange(click_len) / (decay * sr))
    out = np.zeros(n)
    time = rng.uniform(0.0, interval)
    while (start := int(time * sr)) < n:
        stop = min(start + click_len, n)
        out[start:stop] += rng.uniform(0.5, 1.0) * rng.standard_normal(stop - start) * shape[: stop - start]
        time += interval * rng.uniform(0.8, 1.2)
    return out


_GENERATORS: dict[str, Callable[[np.random.Generator, np.ndarray, int], np.ndarray]] = {
    "tone": _tone,
    "chirp_up": _chirp_up,
    "chirp_down": _chirp_down,
    "harmonic": _harmonic,
    "am": _am,
    "fm": _fm,
    "noise_burst": _noise_burst,
    "clicks": _clicks,
}


def synthesize(class_name: str, n_samples: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Synthesise one random example of a class.

    The class-specific signal gets white background noise at a random 15-35 dB SNR and is then scaled
    to a random peak level between -18 and -1 dBFS, so absolute level carries no class information.

    Args:
        class_name: One of :data:`CLASS_NAMES`.
        n_samples: Length of the result in samples (>= 1).
        sample_rate: Sample rate in Hz (>= 4000); all content stays below ``0.45 * sample_rate``.
        rng: Source of randomness; the result is a pure function of its state.

    Returns:
        float32 array of shape ``(n_samples,)`` with values in ``[-1, 1]``.

    Raises:
        ValueError: Unknown class name, ``n_samples < 1`` or ``sample_rate < 4000``.
    """
    if class_name not in _GENERATORS:
        raise ValueError(f"class_name must be one of {list(CLASS_NAMES)}; got {class_name!r}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1; got {n_samples}")
    if sample_rate < _MIN_SAMPLE_RATE:
        raise ValueError(f"sample_rate must be >= {_MIN_SAMPLE_RATE} Hz; got {sample_rate}")

    t = np.arange(n_samples) / sample_rate
    signal = _GENERATORS[class_name](rng, t, sample_rate)

    rms = float(np.sqrt(np.mean(signal**2)))
    snr_db = rng.uniform(15.0, 35.0)
    # A clip can be all silence (e.g. a burst gated to zero by rounding); fall back to a fixed noise
    # floor rather than dividing by zero.
    noise_std = (rms if rms > 0 else 1e-3) * 10 ** (-snr_db / 20)
    signal = signal + noise_std * rng.standard_normal(n_samples)

    peak_db = rng.uniform(-18.0, -1.0)
    signal *= 10 ** (peak_db / 20) / max(float(np.max(np.abs(signal))), 1e-12)
    return signal.astype(np.float32)


class SyntheticAudioDataset(Dataset):
    """Map-style data set of procedurally generated, labelled sounds.

    Item ``i`` has class ``classes[i % len(classes)]`` (so every prefix of the data set is balanced to
    within one item per class), a duration drawn uniformly from ``[min_duration, max_duration]`` and
    class-consistent random parameters (see :func:`synthesize`). Items are generated from
    ``numpy.random.default_rng([seed, i])`` on each access: deterministic for ``(seed, i)`` regardless
    of access order, ``DataLoader`` workers or process, and nothing is held in memory.

    Args:
        n_items: Number of items. Default 2000.
        sample_rate: Sample rate in Hz (>= 4000). Default 16000.
        min_duration: Shortest item in seconds (> 0). Default 0.5.
        max_duration: Longest item in seconds (>= ``min_duration``). Default 2.0.
        seed: Non-negative integer selecting the data; different seeds give different items. Default 0.
        classes: Subset of :data:`CLASS_NAMES`, in the label order wanted. Default: all of them.

    Attributes:
        classes: Class names; a label is an index into this list.
        labels: Label of every item, ``labels[i] == self[i][1]``, available without synthesis
            (e.g. for samplers).
        sample_rate: Sample rate of every waveform in Hz.

    Example:
        >>> ds = SyntheticAudioDataset(n_items=16, seed=1)
        >>> waveform, label = ds[3]
        >>> waveform.dtype, waveform.ndim, ds.classes[label]
        (torch.float32, 1, 'harmonic')
    """

    def __init__(
        self,
        n_items: int = 2000,
        sample_rate: int = 16000,
        min_duration: float = 0.5,
        max_duration: float = 2.0,
        seed: int = 0,
        classes: list[str] | None = None,
    ) -> None:
        if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 0:
            raise ValueError(f"n_items must be a non-negative int; got {n_items!r}")
        valid_rate = isinstance(sample_rate, int) and not isinstance(sample_rate, bool)
        if not valid_rate or sample_rate < _MIN_SAMPLE_RATE:
            raise ValueError(f"sample_rate must be an int >= {_MIN_SAMPLE_RATE} Hz; got {sample_rate!r}")
        if not (math.isfinite(min_duration) and min_duration > 0):
            raise ValueError(f"min_duration must be a finite number > 0 seconds; got {min_duration!r}")
        if not (math.isfinite(max_duration) and max_duration >= min_duration):
            raise ValueError(
                f"max_duration must be finite and >= min_duration ({min_duration}); got {max_duration!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            # default_rng([seed, i]) rejects negative entries; say so up front instead of at item 0.
            raise ValueError(f"seed must be a non-negative int; got {seed!r}")
        classes = list(CLASS_NAMES) if classes is None else list(classes)
        _check_classes(classes)

        self.n_items = n_items
        self.sample_rate = sample_rate
        self.min_duration = float(min_duration)
        self.max_duration = float(max_duration)
        self.seed = seed
        self.classes = classes
        self.labels = [i % len(classes) for i in range(n_items)]

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        """Synthesise item ``index``.

        Args:
            index: Item index; negative values count from the end, as for a list.

        Returns:
            ``(waveform, label)``: float32 tensor of shape ``(time,)`` with
            ``time = round(duration * sample_rate)``, and the int class label.

        Raises:
            IndexError: ``index`` out of range.
        """
        if not -self.n_items <= index < self.n_items:
            raise IndexError(f"index {index} out of range for SyntheticAudioDataset of length {self.n_items}")
        index %= self.n_items
        rng = np.random.default_rng([self.seed, index])
        duration = rng.uniform(self.min_duration, self.max_duration)
        n_samples = max(round(duration * self.sample_rate), 1)
        label = self.labels[index]
        waveform = synthesize(self.classes[label], n_samples, self.sample_rate, rng)
        return torch.from_numpy(waveform), label

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_items={self.n_items}, sample_rate={self.sample_rate}, "
            f"min_duration={self.min_duration}, max_duration={self.max_duration}, seed={self.seed}, "
            f"classes={self.classes})"
        )


def _check_classes(classes: Sequence[str]) -> None:
    unknown = [c for c in classes if c not in _GENERATORS]
    if unknown:
        raise ValueError(f"classes contains unknown names {unknown}; available: {list(CLASS_NAMES)}")
    if not classes:
        raise ValueError(f"classes must name at least one class; available: {list(CLASS_NAMES)}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must not repeat a name; got {list(classes)}")
