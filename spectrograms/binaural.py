"""Binaural spectrograms of the seed library ``spectrograms`` 2.1.3: ITD, IPD, ILD and ILR.

Each compares the STFTs of the left and right channel of a stereo signal over a band of FFT bins
``[round(start_freq / df), round(end_freq / df))`` with ``df = sample_rate / n_fft`` (the seed's
definitions, from Binaspect):

* ITD (seconds): ``wrap(angle(L) - angle(R)) / (2 pi df k)`` for bin ``k``, 0 where both magnitudes
  (raised to ``magphase_power``) are 0;
* IPD (radians): ``angle(L) - angle(R)``, wrapped to ``[-pi, pi)`` if ``wrapped``;
* ILD (dB): ``-20 log10(|R| / |L|)``, NaN where a channel is silent;
* ILR (in [-1, 1]): ``1 - |R|/|L|`` where the right is quieter, else ``-(1 - |L|/|R|)``, NaN where a
  channel is silent.

As in the seed library the window is symmetric (``numpy.hanning``'s), frames are centred with zero
padding when ``centre`` is set, a signal shorter than one frame gives one zero-padded frame, and the
time axis is ``frame * hop / sample_rate``. Both channels (and, for the ``*_diff`` functions, both
signals) go through one native STFT call as a batch; everything after it is vectorised over bins and
frames.

Supersets of the seed library: torch tensors and NumPy arrays in, tensors out; float32 input stays
float32 unless ``dtype`` says otherwise (the seed library always defaults to float64); a batch of
stereo signals ``(..., 2, time)`` gives results ``(..., n_bins, n_frames)``. Departures: stereo
channels of different lengths, NaN/Inf samples, and band parameters the seed library accepts but then
crashes on (or its Rust core refuses) raise named errors.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from . import ops
from ._dtype import resolve_dtype
from ._validate import call_native, check_type, check_unread_samples_finite, finite_float
from .errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from .inputs import as_signal
from .params import SpectrogramParams
from .results import TensorResult

__all__ = [
    "ILDSpectrogramParams", "ILRSpectrogramParams", "IPDSpectrogramParams", "ITDSpectrogramParams",
    "IldSpectrogram", "IlrSpectrogram", "IpdSpectrogram", "ItdSpectrogram", "compute_ild_spectrogram",
    "compute_ilr_spectrogram", "compute_ilr_spectrogram_diff", "compute_ipd_spectrogram",
    "compute_itd_spectrogram", "compute_itd_spectrogram_diff",
]

_DEFAULT_HISTOGRAM_BINS = 400
_MAX_HISTOGRAM_BINS = 1 << 20  # far above any use; bounds the allocation before it happens
# The seed's conversion of a mean ITD to degrees of azimuth: 0.86 ms is taken as 90 degrees.
_ITD_AT_90_DEGREES = 0.00086


def _round_half_away(x: float) -> int:
    """Rust's ``f64::round`` (halves away from zero), not Python's round-half-even."""
    low = math.floor(x)
    return int(low + 1 if x - low >= 0.5 else low)


# --- Parameters ------------------------------------------------------------------------------------


class _BandParams:
    """What the four parameter classes share: the STFT parameters and the band of FFT bins."""

    _name = ""

    def __init__(self, spectrogram_params, start_freq, end_freq, default_start: float, default_end: float):
        check_type("spectrogram_params", spectrogram_params, SpectrogramParams)
        start = finite_float("start_freq", default_start if start_freq is None else start_freq)
        end = finite_float("end_freq", default_end if end_freq is None else end_freq)
        # The seed library's own rules (its Rust constructors), for all four classes.
        if start <= 0 or end <= 0:
            raise InvalidInputError(f"start_freq and end_freq must be positive, got start_freq={start:g}, "
                                    f"end_freq={end:g}")
        if start >= end:
            raise InvalidInputError(f"start_freq must be less than end_freq, got start_freq={start:g} >= "
                                    f"end_freq={end:g}")
        nyquist = spectrogram_params.sample_rate / 2
        if end > nyquist:
            raise InvalidInputError(f"end_freq must be at most the Nyquist frequency {nyquist:g} Hz "
                                    f"(sample_rate / 2), got {end:g}")
        bin_width = spectrogram_params.sample_rate / spectrogram_params.stft.n_fft
        start_bin, stop_bin = _round_half_away(start / bin_width), _round_half_away(end / bin_width)
        if stop_bin <= start_bin:
            # The seed library panics here (an empty band); say which bins the band rounds to instead.
            raise InvalidInputError(
                f"start_freq={start:g} and end_freq={end:g} select no FFT bin: both round to bin {start_bin} "
                f"of width {bin_width:g} Hz (sample_rate / n_fft); widen the band or raise n_fft")
        self._spectrogram_params = spectrogram_params
        self._start_freq, self._end_freq = start, end
        self._bins = (start_bin, stop_bin)
        self._bin_width = bin_width

    @property
    def spectrogram_params(self) -> SpectrogramParams:
        """The STFT parameters and sample rate."""
        return self._spectrogram_params

    @property
    def start_freq(self) -> float:
        """Lower edge of the band in Hz (its first bin is ``round(start_freq * n_fft / sample_rate)``)."""
        return self._start_freq

    @property
    def end_freq(self) -> float:
        """Upper edge of the band in Hz (the bin ``round(end_freq * n_fft / sample_rate)`` is excluded)."""
        return self._end_freq

    def _key(self):
        return (type(self), self._spectrogram_params, self._start_freq, self._end_freq)

    def __eq__(self, other):
        return isinstance(other, _BandParams) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return (f"{type(self).__name__}(spectrogram_params={self._spectrogram_params!r}, "
                f"start_freq={self._start_freq!r}, end_freq={self._end_freq!r})")


class ITDSpectrogramParams(_BandParams):
    """Parameters of the interaural time difference spectrogram (the seed's defaults: 50 to 620 Hz,
    where the phase difference of a head-sized delay is unambiguous).

    Args:
        spectrogram_params: the :class:`SpectrogramParams` (STFT framing, window, sample rate).
        start_freq: lower band edge in Hz (> 0; None gives the default 50).
        end_freq: upper band edge in Hz (> start_freq, at most sample_rate / 2; None gives 620).
        magphase_power: the magnitudes are raised to this power before the silence test
            (``|L|^p + |R|^p > 0``); 0 or None mean 1, as in the seed library.

    Raises:
        InvalidTypeError: a parameter of the wrong type.
        InvalidInputError: frequencies out of range, or a band that contains no FFT bin.
    """

    def __init__(self, spectrogram_params: SpectrogramParams, start_freq: float | None = 50.0,
                 end_freq: float | None = 620.0, magphase_power: int | None = 1):
        super().__init__(spectrogram_params, start_freq, end_freq, 50.0, 620.0)
        if magphase_power is None or (isinstance(magphase_power, numbers.Integral) and magphase_power == 0):
            magphase_power = 1
        if isinstance(magphase_power, bool) or not isinstance(magphase_power, numbers.Integral):
            raise InvalidTypeError(f"magphase_power must be a positive int, got {type(magphase_power).__name__} "
                                   f"{magphase_power!r}")
        if magphase_power < 0:
            raise InvalidInputError(f"magphase_power must be a positive int, got {magphase_power}")
        self._magphase_power = int(magphase_power)

    @property
    def magphase_power(self) -> int:
        """The power the magnitudes are raised to before the silence test."""
        return self._magphase_power

    def _key(self):
        return (*super()._key(), self._magphase_power)

    def __repr__(self):
        return f"{super().__repr__()[:-1]}, magphase_power={self._magphase_power})"


class IPDSpectrogramParams(_BandParams):
    """Parameters of the interaural phase difference spectrogram (defaults 50 to 620 Hz, unwrapped).

    Args:
        spectrogram_params: the :class:`SpectrogramParams`.
        start_freq: lower band edge in Hz (> 0).
        end_freq: upper band edge in Hz (> start_freq, at most sample_rate / 2).
        wrapped: if True, the phase difference is wrapped to ``[-pi, pi)``; else it is
            ``angle(L) - angle(R)`` in ``(-2 pi, 2 pi]``.

    Raises:
        InvalidTypeError: a parameter of the wrong type (``wrapped`` must be a bool, as in the seed).
        InvalidInputError: frequencies out of range, or a band that contains no FFT bin.
    """

    def __init__(self, spectrogram_params: SpectrogramParams, start_freq: float = 50.0, end_freq: float = 620.0,
                 wrapped: bool = False):
        super().__init__(spectrogram_params, start_freq, end_freq, 50.0, 620.0)
        if wrapped is None:
            wrapped = False
        if not isinstance(wrapped, (bool, np.bool_)):
            raise InvalidTypeError(f"wrapped must be a bool, got {type(wrapped).__name__} {wrapped!r}")
        self._wrapped = bool(wrapped)

    @property
    def wrapped(self) -> bool:
        """Whether the phase difference is wrapped to ``[-pi, pi)``."""
        return self._wrapped

    def _key(self):
        return (*super()._key(), self._wrapped)

    def __repr__(self):
        return f"{super().__repr__()[:-1]}, wrapped={self._wrapped})"


class ILDSpectrogramParams(_BandParams):
    """Parameters of the interaural level difference spectrogram (defaults 1700 to 4600 Hz, where the
    head shadow makes level the dominant cue).

    Args:
        spectrogram_params: the :class:`SpectrogramParams`.
        start_freq: lower band edge in Hz (> 0).
        end_freq: upper band edge in Hz (> start_freq, at most sample_rate / 2).

    Raises:
        InvalidTypeError: a parameter of the wrong type.
        InvalidInputError: frequencies out of range, or a band that contains no FFT bin.
    """

    def __init__(self, spectrogram_params: SpectrogramParams, start_freq: float = 1700.0, end_freq: float = 4600.0):
        super().__init__(spectrogram_params, start_freq, end_freq, 1700.0, 4600.0)


class ILRSpectrogramParams(_BandParams):
    """Parameters of the interaural level ratio spectrogram (defaults 1700 to 4600 Hz).

    Args:
        spectrogram_params: the :class:`SpectrogramParams`.
        start_freq: lower band edge in Hz (> 0).
        end_freq: upper band edge in Hz (> start_freq, at most sample_rate / 2).

    Raises:
        InvalidTypeError: a parameter of the wrong type.
        InvalidInputError: frequencies out of range, or a band that contains no FFT bin.
    """

    def __init__(self, spectrogram_params: SpectrogramParams, start_freq: float = 1700.0, end_freq: float = 4600.0):
        super().__init__(spectrogram_params, start_freq, end_freq, 1700.0, 4600.0)


# --- Results ---------------------------------------------------------------------------------------


class _BinauralResult(TensorResult):
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
    def n_bins(self) -> int:
        """Number of frequency bins (rows)."""
        return self.tensor.shape[-2]

    @property
    def n_frames(self) -> int:
        """Number of frames (columns)."""
        return self.tensor.shape[-1]

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


# --- Computation -----------------------------------------------------------------------------------


def _stereo(audio, name: str) -> torch.Tensor:
    """``audio`` as a float tensor ``(..., 2, time)``: a pair ``[left, right]`` of signals ``(time,)``
    (or ``(batch, time)``), or an array/tensor whose second-to-last axis holds the two channels."""
    if isinstance(audio, (list, tuple)):
        if len(audio) != 2:
            raise InvalidInputError(f"{name} must hold 2 channels [left, right], got {len(audio)}")
        left = as_signal(audio[0], name=f"{name}[0] (left)")
        right = as_signal(audio[1], name=f"{name}[1] (right)")
        if left.shape != right.shape:
            raise DimensionMismatchError(
                f"the channels of {name} must have the same shape, got left {tuple(left.shape)} and right "
                f"{tuple(right.shape)}; pad or trim one of them")
        common = torch.promote_types(left.dtype, right.dtype)
        return torch.stack([left.to(common), right.to(common)], dim=-2)
    signal = as_signal(audio, name=name, max_dims=3)
    if signal.dim() < 2 or signal.shape[-2] != 2:
        raise InvalidInputError(f"{name} must be [left, right] or have shape (2, time) or (batch, 2, time), "
                                f"got shape {tuple(signal.shape)}")
    return signal


def _spectra(signal: torch.Tensor, params: _BandParams, dtype) -> torch.Tensor:
    """The complex STFT of ``signal`` ``(..., time)`` restricted to the band: ``(..., n_bins, n_frames)``,
    with the seed's symmetric window and framing (one native call for every channel)."""
    signal = signal.to(resolve_dtype(dtype, signal)).contiguous()
    stft = params.spectrogram_params.stft
    if stft.pad_mode == "reflect":
        stft.n_frames(signal.shape[-1])  # reflect padding (our superset) needs a longer signal
    pad = stft.n_fft // 2 if stft.centre else 0
    if signal.shape[-1] + 2 * pad < stft.n_fft:
        # The seed library makes one frame, zero beyond the signal, where a whole frame does not fit.
        signal = torch.nn.functional.pad(signal, (0, stft.n_fft - 2 * pad - signal.shape[-1]))
    window = stft.window.coefficients(stft.n_fft, signal.dtype, periodic=False)
    check_unread_samples_finite(signal, stft.n_fft, stft.hop_size, stft.centre)
    spectrum = call_native(ops.stft, signal, window, n_fft=stft.n_fft, hop_length=stft.hop_size,
                           center=stft.centre, pad_mode=stft.pad_mode)
    start, stop = params._bins
    return spectrum[..., start:stop, :]


def _magnitude_and_angle(spectrum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``|X|`` and ``angle(X)`` as the seed computes them: the angle of ``X / |X|``, 0 where ``|X|^2`` is 0."""
    parts = torch.view_as_real(spectrum)
    real, imag = parts[..., 0], parts[..., 1]
    squared = real * real + imag * imag
    magnitude = squared.sqrt()
    inverse = torch.where(squared > 0, magnitude.reciprocal(), torch.zeros_like(magnitude))
    angle = torch.atan2(imag * inverse, torch.where(squared > 0, real * inverse, torch.ones_like(real)))
    return magnitude, angle


def _wrap(phase: torch.Tensor) -> torch.Tensor:
    """``mod(phase + pi, 2 pi) - pi`` with the seed's ``((x % m) + m) % m`` (C's fmod twice)."""
    two_pi = 2 * math.pi
    return torch.fmod(torch.fmod(phase + math.pi, two_pi) + two_pi, two_pi) - math.pi


def _axes(params: _BandParams, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    start, stop = params._bins
    stft = params.spectrogram_params.stft
    frequencies = np.arange(start, stop, dtype=np.float64) * params._bin_width
    times = np.arange(n_frames, dtype=np.float64) * float(stft.hop_size) / params.spectrogram_params.sample_rate
    return frequencies, times


def _channels(audio, params, kind: type, dtype, name: str = "audio") -> tuple[torch.Tensor, torch.Tensor]:
    check_type("params", params, kind)
    band = _spectra(_stereo(audio, name), params, dtype)
    return band[..., 0, :, :], band[..., 1, :, :]


def _itd(left: torch.Tensor, right: torch.Tensor, params: ITDSpectrogramParams) -> torch.Tensor:
    left_magnitude, left_angle = _magnitude_and_angle(left)
    right_magnitude, right_angle = _magnitude_and_angle(right)
    power = params.magphase_power
    intensity = left_magnitude.pow(power) + right_magnitude.pow(power)
    start, stop = params._bins
    real = left_magnitude.dtype
    # Divided as the seed divides: wrapped / ((2 pi * df) * k), in the compute precision.
    scale = (torch.tensor(2 * math.pi, dtype=real) * torch.tensor(params._bin_width, dtype=real)
             * torch.arange(start, stop, dtype=real)).unsqueeze(-1)
    itd = _wrap(left_angle - right_angle) / scale
    return torch.where(intensity > 0, itd, torch.zeros_like(itd))


def _ilr(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    left_magnitude, _ = _magnitude_and_angle(left)
    right_magnitude, _ = _magnitude_and_angle(right)
    ratio = right_magnitude / left_magnitude
    ilr = torch.where(ratio < 1, 1 - ratio, -(1 - ratio.reciprocal()))
    audible = (left_magnitude > 0) & (right_magnitude > 0)
    return torch.where(audible, ilr, torch.full_like(ilr, math.nan))


def compute_itd_spectrogram(audio, params: ITDSpectrogramParams, dtype: str | None = None) -> ItdSpectrogram:
    """Interaural time difference spectrogram of a stereo signal.

    Args:
        audio: ``[left, right]`` (two signals ``(time,)`` of equal length), or an array/tensor
            ``(2, time)``, or a batch ``(batch, 2, time)``.
        params: the :class:`ITDSpectrogramParams`.
        dtype: ``"float64"`` or ``"float32"``; None keeps float32 input in float32, else float64.

    Returns:
        :class:`ItdSpectrogram`, seconds, shape ``(n_bins, n_frames)`` (``(batch, n_bins, n_frames)``).

    Raises:
        InvalidTypeError: ``params`` or ``audio`` of the wrong type.
        InvalidInputError: not two channels, empty, NaN/Inf samples, or a bad ``dtype``.
        DimensionMismatchError: channels of different lengths.
    """
    left, right = _channels(audio, params, ITDSpectrogramParams, dtype)
    itd = _itd(left, right, params)
    return ItdSpectrogram(itd, params, *_axes(params, itd.shape[-1]))


def compute_ipd_spectrogram(audio, params: IPDSpectrogramParams, dtype: str | None = None) -> IpdSpectrogram:
    """Interaural phase difference spectrogram (radians) of a stereo signal; arguments, shapes and
    errors as :func:`compute_itd_spectrogram`."""
    left, right = _channels(audio, params, IPDSpectrogramParams, dtype)
    ipd = _magnitude_and_angle(left)[1] - _magnitude_and_angle(right)[1]
    if params.wrapped:
        ipd = _wrap(ipd)
    return IpdSpectrogram(ipd, params, *_axes(params, ipd.shape[-1]))


def compute_ild_spectrogram(audio, params: ILDSpectrogramParams, dtype: str | None = None) -> IldSpectrogram:
    """Interaural level difference spectrogram (dB, ``-20 log10(|R| / |L|)``) of a stereo signal;
    arguments, shapes and errors as :func:`compute_itd_spectrogram`."""
    left, right = _channels(audio, params, ILDSpectrogramParams, dtype)
    left_magnitude, _ = _magnitude_and_angle(left)
    right_magnitude, _ = _magnitude_and_angle(right)
    ild = -20.0 * torch.log10(right_magnitude / left_magnitude)
    audible = (left_magnitude > 0) & (right_magnitude > 0)
    ild = torch.where(audible, ild, torch.full_like(ild, math.nan))
    return IldSpectrogram(ild, params, *_axes(params, ild.shape[-1]))


def compute_ilr_spectrogram(audio, params: ILRSpectrogramParams, dtype: str | None = None) -> IlrSpectrogram:
    """Interaural level ratio spectrogram (in [-1, 1]) of a stereo signal; arguments, shapes and errors
    as :func:`compute_itd_spectrogram`."""
    left, right = _channels(audio, params, ILRSpectrogramParams, dtype)
    ilr = _ilr(left, right)
    return IlrSpectrogram(ilr, params, *_axes(params, ilr.shape[-1]))


def _pair(reference, test, params, kind: type, dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Band spectra of both channels of both signals, from one STFT call over all four."""
    check_type("params", params, kind)
    first, second = _stereo(reference, "reference"), _stereo(test, "test")
    if first.shape != second.shape:
        raise DimensionMismatchError(
            f"reference and test must have the same shape, got {tuple(first.shape)} and {tuple(second.shape)}")
    common = torch.promote_types(first.dtype, second.dtype)
    band = _spectra(torch.stack([first.to(common), second.to(common)]), params, dtype)
    return band[0, ..., 0, :, :], band[0, ..., 1, :, :], band[1, ..., 0, :, :], band[1, ..., 1, :, :]


def _scalar(value: torch.Tensor):
    return float(value) if value.dim() == 0 else value.to(torch.float64)


def _finite_median(values: torch.Tensor) -> torch.Tensor:
    """Median over the last axis of the finite values (mean of the middle two for an even count; NaN
    where none is finite), as the seed library takes it."""
    finite = torch.isfinite(values)
    count = finite.sum(-1, keepdim=True)
    ordered = torch.where(finite, values, torch.full_like(values, math.inf)).sort(-1).values
    upper = ordered.gather(-1, (count // 2).clamp(max=values.shape[-1] - 1))
    lower = ordered.gather(-1, ((count - 1) // 2).clamp(min=0))
    median = torch.where(count % 2 == 1, upper, (lower + upper) / 2)
    return torch.where(count > 0, median, torch.full_like(median, math.nan)).squeeze(-1)


def compute_itd_spectrogram_diff(reference, test, params: ITDSpectrogramParams, dtype: str | None = None):
    """How far the ITD of ``test`` is from that of ``reference``, frame by frame.

    Args:
        reference, test: stereo signals of the same shape (as for :func:`compute_itd_spectrogram`).
        params: the :class:`ITDSpectrogramParams`.
        dtype: ``"float64"`` or ``"float32"`` (None: float32 stays float32, else float64).

    Returns:
        ``(itd_time_diff, mean_diff_degrees, mean_diff_itd)``: the mean over bins of ``test - reference``
        per frame (tensor ``(n_frames,)``), its mean absolute value as degrees of azimuth (0.86 ms taken
        as 90 degrees) and its median over the frames with finite values (floats; tensors ``(batch,)``
        for a batch).

    Raises:
        DimensionMismatchError: ``reference`` and ``test`` (or their channels) differ in length.
        InvalidInputError, InvalidTypeError: as :func:`compute_itd_spectrogram`.
    """
    reference_left, reference_right, test_left, test_right = _pair(reference, test, params, ITDSpectrogramParams,
                                                                   dtype)
    diff = _itd(test_left, test_right, params) - _itd(reference_left, reference_right, params)
    per_frame = diff.sum(-2) / diff.shape[-2]
    real = per_frame.dtype
    degrees = (per_frame.abs() * torch.tensor(1.0 / _ITD_AT_90_DEGREES, dtype=real)
               * torch.tensor(90.0, dtype=real)).mean(-1)
    return per_frame, _scalar(degrees), _scalar(_finite_median(per_frame))


def compute_ilr_spectrogram_diff(reference, test, params: ILRSpectrogramParams, dtype: str | None = None):
    """How far the ILR of ``test`` is from that of ``reference``, frame by frame.

    Args:
        reference, test: stereo signals of the same shape (as for :func:`compute_ilr_spectrogram`).
        params: the :class:`ILRSpectrogramParams`.
        dtype: ``"float64"`` or ``"float32"`` (None: float32 stays float32, else float64).

    Returns:
        ``(ilr_time_diff, mean_diff)``: the mean over bins of ``test - reference`` per frame, skipping
        NaN (silent bins; NaN where a frame has none), tensor ``(n_frames,)``, and the mean of its
        absolute value over the frames that are not NaN (a float; a tensor ``(batch,)`` for a batch).

    Raises:
        DimensionMismatchError: ``reference`` and ``test`` (or their channels) differ in length.
        InvalidInputError, InvalidTypeError: as :func:`compute_ilr_spectrogram`.
    """
    reference_left, reference_right, test_left, test_right = _pair(reference, test, params, ILRSpectrogramParams,
                                                                   dtype)
    diff = _ilr(test_left, test_right) - _ilr(reference_left, reference_right)
    per_frame = _nan_mean(diff, -2)
    return per_frame, _scalar(_nan_mean(per_frame.abs(), -1))


def _nan_mean(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean skipping NaN (not Inf), NaN where every value is NaN."""
    kept = ~torch.isnan(values)
    count = kept.sum(dim)
    total = torch.where(kept, values, torch.zeros_like(values)).sum(dim)
    return torch.where(count > 0, total / count.clamp(min=1).to(values.dtype), torch.full_like(total, math.nan))
