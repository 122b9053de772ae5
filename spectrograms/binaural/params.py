"""The parameters of the four binaural spectrograms: STFT parameters plus a band of FFT bins, checked
by the seed library's rules (its Rust constructors) when they are made."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validate import check_type, finite_float
from ..errors import InvalidInputError, InvalidTypeError
from ..params import SpectrogramParams


MAX_MAGPHASE_POWER = 64


def _round_half_away(x: float) -> int:
    """Rust's ``f64::round`` (halves away from zero), not Python's round-half-even."""
    low = math.floor(x)
    return int(low + 1 if x - low >= 0.5 else low)


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
        if magphase_power > MAX_MAGPHASE_POWER:
            # |X|^p is only the silence test: beyond this it leaves float range for ordinary magnitudes
            # (and a power beyond int64 raised OverflowError in the computation).
            raise InvalidInputError(f"magphase_power must be at most {MAX_MAGPHASE_POWER}, got {magphase_power}")
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
