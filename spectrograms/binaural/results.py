"""The binaural results: tensor-backed (DLPack, ``to_torch``/``to_jax``) with the seed library's members,
and the per-frame histograms, vectorised over bins and frames."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from .._validate import finite_float
from ..errors import InvalidInputError, InvalidTypeError
from ..results import BinsByFrames
from .params import _BandParams

_DEFAULT_HISTOGRAM_BINS = 400
_MAX_HISTOGRAM_BINS = 1 << 20  # far above any use; bounds the allocation before it happens


class _BinauralResult(BinsByFrames):
    """A binaural spectrogram: ``tensor`` of shape ``(n_bins, n_frames)`` (``(..., n_bins, n_frames)``
    for a batch), its axes and parameters, with the seed library's members.

    ``data`` is a writable NumPy view of ``tensor`` and DLPack shares it; ``dtype`` is the NumPy dtype
    name (``"float64"`` or ``"float32"``) as in the seed library, ``tensor.dtype`` the torch dtype.
    """

    _unit = ""

    def __init__(self, tensor: torch.Tensor, params: _BandParams, frequencies: np.ndarray, times: np.ndarray):
        super().__init__(tensor)
        self._params = params
        self._frequencies = frequencies
        self._times = times

    @property
    def dtype(self) -> str:
        """``"float64"`` or ``"float32"`` (the seed library's name for the precision)."""
        return str(self.tensor.dtype).removeprefix("torch.")

    @property
    def frequencies(self) -> list[float]:
        """Hz of each row, ``bin * sample_rate / n_fft``."""
        return self._frequencies.tolist()

    @property
    def times(self) -> list[float]:
        """Seconds of each frame, ``frame * hop_size / sample_rate`` (also without centring)."""
        return self._times.tolist()

    @property
    def params(self):
        """The parameters the spectrogram was computed with."""
        return self._params

    @property
    def unit(self) -> str:
        """What the values measure, e.g. ``"ITD (seconds)"``."""
        return self._unit

    def frequency_range(self) -> tuple[float, float]:
        """Frequencies of the first and last row in Hz."""
        return float(self._frequencies[0]), float(self._frequencies[-1])

    def duration(self) -> float:
        """Seconds between the first and the last frame (the seed's definition)."""
        return float(self._times[-1] - self._times[0])

    def __repr__(self):
        shape = ", ".join(str(size) for size in self.shape)
        return f"{type(self).__name__}(shape=({shape}), dtype={self.dtype})"

    def _histogram(self, num_bins, value_range, default_range, exponent, energy_weighted, normalize):
        """Per-frame histogram ``(..., num_bins, n_frames)`` float64 of the finite values in the range
        (both ends included; the top edge falls in the last bin), raised to ``exponent``, optionally
        normalised to sum 1 per frame. ``energy_weighted`` is accepted and, as in the seed, ignored."""
        if num_bins is None or (isinstance(num_bins, numbers.Integral) and not isinstance(num_bins, bool)
                                and num_bins == 0):
            num_bins = _DEFAULT_HISTOGRAM_BINS  # the seed library reads 0 as "the default"
        if isinstance(num_bins, bool) or not isinstance(num_bins, numbers.Integral):
            raise InvalidTypeError(f"num_bins must be a positive int, got {type(num_bins).__name__} {num_bins!r}")
        if not 0 < num_bins <= _MAX_HISTOGRAM_BINS:
            raise InvalidInputError(f"num_bins must be in [1, {_MAX_HISTOGRAM_BINS}], got {num_bins}")
        low, high = _range(value_range, default_range)
        for name, flag in (("energy_weighted", energy_weighted), ("normalize", normalize)):
            if not isinstance(flag, (bool, np.bool_)):
                raise InvalidTypeError(f"{name} must be a bool, got {type(flag).__name__} {flag!r}")
        values = self.tensor.detach().to(torch.float64)
        width = (high - low) / num_bins
        inside = torch.isfinite(values) & (values >= low) & (values <= high)
        position = torch.nan_to_num((values - low) / width, nan=0.0, posinf=num_bins - 1.0, neginf=0.0)
        index = position.floor().clamp_(0, num_bins - 1).to(torch.int64)
        histogram = values.new_zeros((*values.shape[:-2], num_bins, values.shape[-1]))
        histogram.scatter_add_(-2, index, inside.to(torch.float64))
        if exponent != 1:
            histogram = histogram.pow(exponent)  # 0 ** negative is inf, 0 ** 0 is 1: Rust's powi
        if normalize:
            total = histogram.sum(-2, keepdim=True)
            histogram = torch.where(total > 0, histogram / total, histogram)
        return histogram


def _range(value_range, default):
    if value_range is None:
        return default
    try:
        low, high = value_range
    except (TypeError, ValueError):
        raise InvalidTypeError(f"the histogram range must be a (min, max) pair, got {value_range!r}") from None
    low, high = finite_float("range min", low), finite_float("range max", high)
    if low >= high:
        # The seed library returns all zeros (or one full bin) here, which no caller means.
        raise InvalidInputError(f"the histogram range must have min < max, got ({low:g}, {high:g})")
    return low, high


def _exponent(exponent) -> int:
    if exponent is None:
        return 3
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral):
        raise InvalidTypeError(f"exponent must be an int, got {type(exponent).__name__} {exponent!r}")
    if not -2**31 <= exponent < 2**31:
        raise InvalidInputError(f"exponent must fit in 32 bits, got {exponent}")
    return int(exponent)


class ItdSpectrogram(_BinauralResult):
    """Interaural time difference in seconds, shape ``(n_bins, n_frames)`` (positive: left leads)."""

    _unit = "ITD (seconds)"

    def histogram(self, num_bins: int | None = None, delay_range: tuple[float, float] | None = None,
                  energy_weighted: bool = False, normalize: bool = False) -> torch.Tensor:
        """Per-frame histogram of the delays: float64 tensor ``(num_bins, n_frames)``.

        Args:
            num_bins: histogram bins (None or 0: 400).
            delay_range: (min, max) in seconds (default +-0.88 ms, about a head's width).
            energy_weighted: accepted and ignored, as in the seed library.
            normalize: scale each frame's histogram to sum 1.
        """
        return self._histogram(num_bins, delay_range, (-0.00088, 0.00088), 1, energy_weighted, normalize)


class IpdSpectrogram(_BinauralResult):
    """Interaural phase difference in radians, shape ``(n_bins, n_frames)``."""

    _unit = "IPD (radians)"

    def histogram(self, num_bins: int | None = None, phase_range: tuple[float, float] | None = None,
                  energy_weighted: bool = False, normalize: bool = False) -> torch.Tensor:
        """Per-frame histogram of the phase differences: float64 tensor ``(num_bins, n_frames)``.

        Args:
            num_bins: histogram bins (None or 0: 400).
            phase_range: (min, max) in radians (default (-pi, pi)).
            energy_weighted: accepted and ignored, as in the seed library.
            normalize: scale each frame's histogram to sum 1.
        """
        return self._histogram(num_bins, phase_range, (-math.pi, math.pi), 1, energy_weighted, normalize)


class IldSpectrogram(_BinauralResult):
    """Interaural level difference in dB, shape ``(n_bins, n_frames)`` (positive: left louder; NaN
    where a channel is silent)."""

    _unit = "ILD (dB)"

    def histogram(self, num_bins: int | None = None, db_range: tuple[float, float] | None = None,
                  exponent: int | None = None, energy_weighted: bool = False,
                  normalize: bool = False) -> torch.Tensor:
        """Per-frame histogram of the level differences: float64 tensor ``(num_bins, n_frames)``.

        Args:
            num_bins: histogram bins (None or 0: 400).
            db_range: (min, max) in dB (default (-24, 24)).
            exponent: the counts are raised to this power to sharpen peaks (None: 3).
            energy_weighted: accepted and ignored, as in the seed library.
            normalize: scale each frame's histogram to sum 1 (after the exponent).
        """
        return self._histogram(num_bins, db_range, (-24.0, 24.0), _exponent(exponent), energy_weighted, normalize)


class IlrSpectrogram(_BinauralResult):
    """Interaural level ratio in [-1, 1], shape ``(n_bins, n_frames)`` (positive: left louder; NaN where
    a channel is silent)."""

    _unit = "ILR (normalized)"

    def histogram(self, num_bins: int | None = None, ratio_range: tuple[float, float] | None = None,
                  exponent: int | None = None, energy_weighted: bool = False,
                  normalize: bool = False) -> torch.Tensor:
        """Per-frame histogram of the level ratios: float64 tensor ``(num_bins, n_frames)``.

        Args:
            num_bins: histogram bins (None or 0: 400).
            ratio_range: (min, max) (default (-1, 1)).
            exponent: the counts are raised to this power to sharpen peaks (None: 3).
            energy_weighted: accepted and ignored, as in the seed library.
            normalize: scale each frame's histogram to sum 1 (after the exponent).
        """
        return self._histogram(num_bins, ratio_range, (-1.0, 1.0), _exponent(exponent), energy_weighted, normalize)
