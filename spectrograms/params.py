"""Parameter objects. Each validates itself on construction, is immutable and hashable (so plans built
from equal parameters are shared), and names the offending parameter when a value is not allowed.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
import torch

from ._validate import (
    MAX_BANDS,
    MAX_HOP,
    MAX_N_FFT,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    bounded_float,
    bounded_int,
    finite_float,
    non_negative_float,
    one_of,
    positive_float,
    positive_int,
    unknown_enum_value,
)
from .errors import InvalidInputError, InvalidTypeError
from .ops._frames import n_frames as frame_count

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)

__all__ = [
    "WindowType",
    "StftParams",
    "SpectrogramParams",
    "LogParams",
    "MelNorm",
    "MelScale",
    "MelParams",
    "ErbParams",
    "LogHzParams",
    "ChromaParams",
    "MfccParams",
]


class WindowType:
    """A window function, evaluated for a given ``n_fft`` by :meth:`coefficients`.

    Two conventions, as the two communities spell them:

    * ``WindowType.hann`` (also the string ``"hann"``, and the window of a ``StftParams`` given none) is
      periodic ("DFT-even", denominator ``n``), as ``torch.hann_window(n)``, librosa and
      ``scipy.signal.get_window("hann", n)`` make it: what torchaudio's and librosa's numbers need.
    * The seed library's named windows are symmetric (denominator ``n - 1``, as ``numpy.hanning``):
      ``WindowType.hanning``, ``WindowType.hamming``, ``WindowType.blackman``, ``WindowType.kaiser(beta)``
      and ``WindowType.gaussian(std)`` (std in samples), so a seed user's code gives the seed's numbers.

    ``window.periodic()`` and ``window.symmetric()`` give the other convention of any named window
    (``WindowType.hann == WindowType.hanning.periodic()``); ``is_periodic`` says which one it is.
    ``WindowType.rectangular`` is the same either way. ``WindowType.custom(coefficients, normalize=None)``
    takes any coefficients of length ``n_fft``; ``normalize`` is None, ``"sum"`` (coefficients sum to 1),
    ``"peak"`` (maximum 1) or ``"energy"`` (squares sum to 1).
    """

    hann: ClassVar[WindowType]
    hanning: ClassVar[WindowType]
    hamming: ClassVar[WindowType]
    blackman: ClassVar[WindowType]
    rectangular: ClassVar[WindowType]

    _NORMALIZATIONS = (None, "sum", "peak", "energy")

    def __init__(self, kind: str, parameter: float | None = None, custom: tuple[float, ...] | None = None,
                 periodic: bool = False):
        self.kind = kind
        self.parameter = parameter
        self._custom = custom
        # Only the named tapered windows have two conventions; the others are one window either way.
        self.is_periodic = bool(periodic) and kind not in ("rectangular", "custom")

    @classmethod
    def kaiser(cls, beta: float, periodic: bool = False) -> WindowType:
        """Kaiser window with shape parameter ``0 <= beta <= 700``: symmetric (the seed library's and
        ``numpy.kaiser``), or periodic (``torch.kaiser_window``) with ``periodic=True``.

        I0(beta) overflows float64 just above 700, which would make every coefficient NaN.
        """
        return cls("kaiser", bounded_float("beta", beta, 0.0, MAX_KAISER_BETA), periodic=_flag("periodic", periodic))

    @classmethod
    def gaussian(cls, std: float, periodic: bool = False) -> WindowType:
        """Gaussian window with standard deviation ``std > 0`` in samples: symmetric (centred on
        ``(n - 1) / 2``, the seed library's), or periodic (centred on ``n / 2``, scipy's
        ``get_window``) with ``periodic=True``."""
        return cls("gaussian", positive_float("std", std), periodic=_flag("periodic", periodic))

    def periodic(self) -> WindowType:
        """This window in the periodic convention (itself for rectangular and custom windows)."""
        return WindowType(self.kind, self.parameter, self._custom, periodic=True)

    def symmetric(self) -> WindowType:
        """This window in the symmetric convention (itself for rectangular and custom windows)."""
        return WindowType(self.kind, self.parameter, self._custom, periodic=False)

    @classmethod
    def custom(cls, coefficients: npt.ArrayLike, normalize: str | None = None) -> WindowType:
        """A window given by its coefficients (any 1-D real sequence; its length must equal n_fft)."""
        one_of("normalize", normalize, cls._NORMALIZATIONS)
        if np.iscomplexobj(coefficients):
            raise InvalidTypeError("coefficients must be real numbers; got complex values (pass .real or abs())")
        try:
            values = np.asarray(coefficients, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                f"coefficients must be a 1-D sequence of real numbers, got {type(coefficients).__name__}"
            ) from None
        if values.ndim != 1 or values.size == 0:
            raise InvalidInputError(f"coefficients must be a non-empty 1-D sequence, got shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise InvalidInputError("coefficients must all be finite")
        if normalize == "sum":
            values = values / _nonzero("sum", values.sum())
        elif normalize == "peak":
            values = values / _nonzero("peak", np.abs(values).max())
        elif normalize == "energy":
            # Scaled by the peak first: squaring coefficients near 1e200 would overflow to inf.
            values = values / _nonzero("peak", np.abs(values).max())
            values = values / _nonzero("energy", math.sqrt((values**2).sum()))
        return cls("custom", custom=tuple(values.tolist()))

    # The seed library's window makers: symmetric windows of length n as NumPy arrays ("float64" or
    # "float32"). make_kaiser follows numpy.kaiser (the seed's Bessel I0 is off for beta > 3.75).
    @staticmethod
    def make_hanning(n: int, dtype: str = "float64") -> npt.NDArray[np.floating[Any]]:
        """Symmetric Hann window ``0.5 - 0.5 cos(2 pi k / (n - 1))`` of length ``n`` (``numpy.hanning``)."""
        return WindowType.hanning._symmetric(n, dtype)

    @staticmethod
    def make_hamming(n: int, dtype: str = "float64") -> npt.NDArray[np.floating[Any]]:
        """Symmetric Hamming window of length ``n`` (``numpy.hamming``)."""
        return WindowType.hamming._symmetric(n, dtype)

    @staticmethod
    def make_blackman(n: int, dtype: str = "float64") -> npt.NDArray[np.floating[Any]]:
        """Symmetric Blackman window of length ``n`` (``numpy.blackman``)."""
        return WindowType.blackman._symmetric(n, dtype)

    @staticmethod
    def make_kaiser(n: int, beta: float, dtype: str = "float64") -> npt.NDArray[np.floating[Any]]:
        """Symmetric Kaiser window of length ``n`` (``numpy.kaiser(n, beta)``)."""
        return WindowType.kaiser(beta)._symmetric(n, dtype)

    @staticmethod
    def make_gaussian(n: int, std: float, dtype: str = "float64") -> npt.NDArray[np.floating[Any]]:
        """Symmetric Gaussian window of length ``n``, ``std`` in samples, centred on ``(n - 1) / 2``."""
        return WindowType.gaussian(std)._symmetric(n, dtype)

    def _symmetric(self, n: int, dtype: str) -> npt.NDArray[np.floating[Any]]:
        numpy_dtype = {"float64": np.float64, "float32": np.float32}.get(dtype)
        if numpy_dtype is None:
            raise InvalidInputError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        return self.coefficients(n, periodic=False).numpy().astype(numpy_dtype)

    def coefficients(self, n_fft: int, dtype: torch.dtype = torch.float64, periodic: bool | None = None) -> torch.Tensor:
        """The window as a tensor of shape ``(n_fft,)`` in its own convention, or with ``periodic`` True
        (denominator ``n_fft``) or False (denominator ``n_fft - 1``) in that one. Custom windows are
        their coefficients either way.

        Raises:
            InvalidInputError: a custom window whose length is not ``n_fft``.
        """
        n_fft = positive_int("n_fft", n_fft)
        periodic = self.is_periodic if periodic is None else periodic
        f64 = torch.float64
        if self.kind == "hanning":
            window = torch.hann_window(n_fft, periodic=periodic, dtype=f64)
        elif self.kind == "hamming":
            window = torch.hamming_window(n_fft, periodic=periodic, dtype=f64)
        elif self.kind == "blackman":
            window = torch.blackman_window(n_fft, periodic=periodic, dtype=f64)
        elif self.kind == "rectangular":
            window = torch.ones(n_fft, dtype=f64)
        elif self.kind == "kaiser":
            window = torch.kaiser_window(n_fft, periodic=periodic, beta=self._parameter(), dtype=f64)
        elif self.kind == "gaussian":
            n = torch.arange(n_fft, dtype=f64) - (n_fft / 2 if periodic else (n_fft - 1) / 2)
            window = torch.exp(-0.5 * (n / self._parameter()) ** 2)
        else:
            custom = self._coefficients()
            if len(custom) != n_fft:
                raise InvalidInputError(
                    f"the custom window has {len(custom)} coefficients but n_fft is {n_fft}; "
                    "they must be equal"
                )
            window = torch.tensor(custom, dtype=f64)
        return window.to(dtype)

    # kaiser() and gaussian() always set the parameter, custom() the coefficients: these say so to the
    # type checker and fail loudly if a hand-made WindowType lacks them.
    def _parameter(self) -> float:
        if self.parameter is None:
            raise InvalidInputError(f"a {self.kind} window needs its parameter; make it with WindowType.{self.kind}()")
        return self.parameter

    def _coefficients(self) -> tuple[float, ...]:
        if self._custom is None:
            raise InvalidInputError("a custom window needs its coefficients; make it with WindowType.custom()")
        return self._custom

    def _key(self) -> tuple[str, float | None, tuple[float, ...] | None, bool]:
        return (self.kind, self.parameter, self._custom, self.is_periodic)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WindowType) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self.kind == "custom":
            return f"WindowType.custom(<{len(self._coefficients())} coefficients>)"
        if self.kind == "hanning" and self.is_periodic:
            return "WindowType.hann"
        if self.parameter is not None:
            return f"WindowType.{self.kind}({self.parameter}{', periodic=True' if self.is_periodic else ''})"
        return f"WindowType.{self.kind}{'.periodic()' if self.is_periodic else ''}"


def _alias(name: str, value: _T | None, alias: str, alias_value: _T | None, default: _T | None) -> _T:
    """The value of a parameter that has two spellings (the seed's ``name`` and torchaudio's ``alias``)."""
    if value is not None and alias_value is not None:
        raise InvalidTypeError(f"{name} and {alias} are the same parameter; pass one of them, got "
                               f"{name}={value!r} and {alias}={alias_value!r}")
    value = alias_value if value is None else value
    if value is not None:
        return value
    if default is None:
        raise InvalidTypeError(f"StftParams needs {name} (or {alias}): the samples between frame starts")
    return default


def _nonzero(name: str, value: float) -> float:
    if value == 0:
        raise InvalidInputError(f"cannot normalize a window by its {name}: it is 0")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


for _name in ("hanning", "hamming", "blackman", "rectangular"):
    setattr(WindowType, _name, WindowType(_name))
WindowType.hann = WindowType("hanning", periodic=True)

# "hann" is torch's, librosa's and scipy's spelling, whose Hann is periodic; the others are the seed's.
_WINDOW_NAMES = {"hann": "hann", "hanning": "hanning", "hamming": "hamming", "blackman": "blackman",
                 "rectangular": "rectangular", "boxcar": "rectangular", "ones": "rectangular"}


def _as_window(window: object) -> WindowType:
    if isinstance(window, WindowType):
        return window
    if isinstance(window, str) and window.lower() in _WINDOW_NAMES:
        named: WindowType = getattr(WindowType, _WINDOW_NAMES[window.lower()])
        return named
    raise InvalidTypeError(
        f"window must be a WindowType (e.g. WindowType.hann) or one of {sorted(_WINDOW_NAMES)}, got {window!r}"
    )


@dataclass(frozen=True, init=False)
class StftParams:
    """Framing and window of a short-time Fourier transform.

    Args:
        n_fft: frame length and FFT size in samples; the transform has ``n_fft // 2 + 1`` bins.
        hop_size: samples between the starts of successive frames.
        window: a :class:`WindowType` (or its name, e.g. ``"hann"``); default ``WindowType.hann``, the
            periodic Hann of torch and librosa (the seed library always names its window; its
            ``WindowType.hanning`` is the symmetric one).
        centre: if True (default), frame ``t`` is centred on sample ``t * hop_size`` and the signal is
            padded by ``n_fft // 2`` on both sides, as librosa and torchaudio do; there are
            ``1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop_size`` frames (``1 + n_samples //
            hop_size`` for even ``n_fft``). If False, frames start at sample 0 and there are
            ``1 + (n_samples - n_fft) // hop_size`` of them.
        pad_mode: ``"constant"`` (zeros, librosa's default) or ``"reflect"`` (torchaudio's default).
        hop_length, center: torchaudio's and librosa's names for ``hop_size`` and ``centre``
            (keyword only); giving both spellings of one parameter is refused.
    """

    n_fft: int
    hop_size: int
    window: WindowType = field(default_factory=lambda: WindowType.hann)
    centre: bool = True
    pad_mode: str = "constant"

    # A hand-written __init__ (the dataclass is init=False) only to take the aliases; fields, equality,
    # hashing, repr and dataclasses.replace stay the dataclass's.
    def __init__(self, n_fft: int, hop_size: int | None = None, window: WindowType | str | None = None,
                 centre: bool | None = None, pad_mode: str = "constant", *, hop_length: int | None = None,
                 center: bool | None = None):
        # torchaudio's spellings are checked under their own names, so an error names what was passed.
        if hop_length is not None and hop_size is None:
            bounded_int("hop_length", hop_length, MAX_HOP)
        if center is not None and centre is None and not isinstance(center, bool):
            raise InvalidTypeError(f"center must be a bool, got {center!r}")
        object.__setattr__(self, "n_fft", n_fft)
        object.__setattr__(self, "hop_size", _alias("hop_size", hop_size, "hop_length", hop_length, None))
        object.__setattr__(self, "window", WindowType.hann if window is None else window)
        object.__setattr__(self, "centre", _alias("centre", centre, "center", center, True))
        object.__setattr__(self, "pad_mode", pad_mode)
        self.__post_init__()

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_fft", bounded_int("n_fft", self.n_fft, MAX_N_FFT))
        object.__setattr__(self, "hop_size", bounded_int("hop_size", self.hop_size, MAX_HOP))
        object.__setattr__(self, "window", _as_window(self.window))
        if not isinstance(self.centre, bool):
            raise InvalidTypeError(f"centre must be a bool, got {self.centre!r}")
        one_of("pad_mode", self.pad_mode, ("constant", "reflect"))
        if self.window.kind == "custom":
            self.window.coefficients(self.n_fft)  # raises if the length is not n_fft

    @property
    def n_bins(self) -> int:
        """Number of frequency bins of the real FFT: ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a signal of ``n_samples`` samples.

        Raises:
            InvalidInputError: an empty signal, or one shorter than ``n_fft`` with ``centre=False``.
        """
        n_samples = int(n_samples)
        if n_samples <= 0:
            raise InvalidInputError(f"the signal is empty (n_samples={n_samples}); it needs at least 1 sample")
        pad = self.n_fft // 2 if self.centre else 0
        if n_samples + 2 * pad < self.n_fft:
            raise InvalidInputError(
                f"the signal has {n_samples} samples but n_fft is {self.n_fft}; with centre=False a signal "
                "needs at least n_fft samples (or use centre=True)"
            )
        if self.centre and self.pad_mode == "reflect" and n_samples <= pad:
            raise InvalidInputError(
                f"pad_mode='reflect' needs more than n_fft // 2 = {pad} samples, got {n_samples}; "
                "use pad_mode='constant' for such short signals"
            )
        return frame_count(n_samples, self.n_fft, self.hop_size, self.centre)


@dataclass(frozen=True)
class SpectrogramParams:
    """STFT parameters plus the sample rate that gives the axes their units.

    Args:
        stft: the :class:`StftParams`.
        sample_rate: samples per second (> 0).
    """

    stft: StftParams
    sample_rate: float

    def __post_init__(self) -> None:
        if not isinstance(self.stft, StftParams):
            raise InvalidTypeError(f"stft must be a StftParams, got {type(self.stft).__name__}")
        object.__setattr__(self, "sample_rate", _sample_rate(self.sample_rate))

    @classmethod
    def speech_default(cls, sample_rate: float) -> SpectrogramParams:
        """32 ms Hann frames every 10 ms at 16 kHz (n_fft 512, hop 160), scaled to ``sample_rate``."""
        sample_rate = _sample_rate(sample_rate)
        n_fft = 1 << max(4, math.ceil(math.log2(0.032 * sample_rate)))
        return cls(StftParams(n_fft, max(1, round(0.010 * sample_rate))), sample_rate)

    @classmethod
    def music_default(cls, sample_rate: float) -> SpectrogramParams:
        """Hann frames of 2048 samples every 512 (librosa's defaults)."""
        return cls(StftParams(2048, 512), sample_rate)

    @property
    def nyquist(self) -> float:
        return self.sample_rate / 2

    def bin_frequencies(self) -> npt.NDArray[np.float64]:
        """Centre frequency in Hz of each FFT bin, shape ``(n_fft // 2 + 1,)``."""
        return np.arange(self.stft.n_bins) * self.sample_rate / self.stft.n_fft

    def frame_times(self, n_frames: int) -> npt.NDArray[np.float64]:
        """``i * hop / sample_rate`` for each frame ``i``, shape ``(n_frames,)``: the frame's centre with
        ``centre=True``, its first sample without (the seed library's and ``librosa.frames_to_time``'s
        convention, which add no offset either way)."""
        return np.arange(n_frames) * self.stft.hop_size / self.sample_rate


@dataclass(frozen=True)
class LogParams:
    """Decibel conversion: ``dB = 10 * log10(max(P, 10 ** (floor_db / 10)))`` for power ``P``.

    Args:
        floor_db: the lowest value in dB (finite; default -80). Below about -379 dB the floor is the
            smallest normal float32 instead.
    """

    floor_db: float = -80.0

    def __post_init__(self) -> None:
        floor_db = finite_float("floor_db", self.floor_db)
        if floor_db > MAX_FLOOR_DB:
            raise InvalidInputError(
                f"floor_db must be at most {MAX_FLOOR_DB} dB (float32's largest power is 385.3 dB), got {floor_db}"
            )
        lowest = -float(np.finfo(np.float32).max)
        if floor_db < lowest:  # batches pad with the floor, and are held in float32
            raise InvalidInputError(f"floor_db must be at least {lowest:g} (float32's range), got {floor_db:g}")
        object.__setattr__(self, "floor_db", floor_db)


class MelNorm(str, enum.Enum):
    """Normalisation of mel filters: none, ``slaney`` (area 1 per filter, librosa's default), or unit
    ``l1`` / ``l2`` norm per filter."""

    none = "none"
    slaney = "slaney"
    l1 = "l1"
    l2 = "l2"
    # The seed library's spellings, as aliases of the same members ("None" is added below the class,
    # since it cannot be written as a name in a class body).
    Slaney = "slaney"
    L1 = "l1"
    L2 = "l2"

    @classmethod
    def _missing_(cls, value: object) -> None:
        unknown_enum_value(cls, value)


MelNorm._member_map_["None"] = MelNorm.none
type.__setattr__(MelNorm, "None", MelNorm.none)


class MelScale(str, enum.Enum):
    """Hz-to-mel mapping: ``slaney`` (linear below 1 kHz, logarithmic above; librosa's default) or
    ``htk`` (2595 log10(1 + f / 700); torchaudio's default)."""

    slaney = "slaney"
    htk = "htk"

    @classmethod
    def _missing_(cls, value: object) -> None:
        unknown_enum_value(cls, value)


MAX_KAISER_BETA = 700.0
MAX_FLOOR_DB = 385.0
MIN_LIFTER = 1e-6


def _sample_rate(value: object) -> float:
    # Outside this range the axes (bin * rate / n_fft, frame * hop / rate) stop being finite numbers.
    return bounded_float("sample_rate", value, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)


def _as_enum(enum_type: type[_E], name: str, value: object) -> _E:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in enum_type)
        raise InvalidInputError(f"{name} must be one of {allowed}; got {value!r}") from None


def _check_f_range(params: MelParams | ErbParams | LogHzParams | ChromaParams, *, f_min_positive: bool = False) -> None:
    """Validates ``f_min`` and ``f_max`` of a band parameter object in place (``f_max`` None = Nyquist)."""
    check = positive_float if f_min_positive else non_negative_float
    object.__setattr__(params, "f_min", check("f_min", params.f_min))
    if params.f_max is not None:
        object.__setattr__(params, "f_max", positive_float("f_max", params.f_max))
        if params.f_min >= params.f_max:
            raise InvalidInputError(f"f_min must be below f_max, got f_min={params.f_min}, f_max={params.f_max}")


class _FrequencyRange:
    """``resolved_f_max`` for band parameters with ``f_min`` and an optional ``f_max``."""

    f_min: float
    f_max: float | None

    def resolved_f_max(self, sample_rate: float) -> float:
        """``f_max``, or the Nyquist frequency when it is None; checks it against ``sample_rate``.

        Raises:
            InvalidInputError: ``f_max`` above the Nyquist frequency, or ``f_min`` not below it.
        """
        nyquist = sample_rate / 2
        f_max = nyquist if self.f_max is None else self.f_max
        if f_max > nyquist:
            raise InvalidInputError(
                f"f_max={f_max} Hz is above the Nyquist frequency {nyquist} Hz of sample_rate={sample_rate}"
            )
        if self.f_min >= f_max:
            raise InvalidInputError(f"f_min={self.f_min} Hz must be below f_max={f_max} Hz")
        return f_max


@dataclass(frozen=True)
class MelParams(_FrequencyRange):
    """A mel filterbank of triangular filters.

    Args:
        n_mels: number of mel bands (> 0).
        f_min: lowest frequency in Hz (>= 0; default 0).
        f_max: highest frequency in Hz (> f_min, at most the Nyquist frequency, which is checked
            when the sample rate is known); None means the Nyquist frequency.
        norm: a :class:`MelNorm` or its name (default ``MelNorm.none``; None means the same).
        scale: a :class:`MelScale` or its name (default ``slaney``).
    """

    n_mels: int
    f_min: float = 0.0
    f_max: float | None = None
    norm: MelNorm = MelNorm.none
    scale: MelScale = MelScale.slaney

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_mels", bounded_int("n_mels", self.n_mels, MAX_BANDS))
        _check_f_range(self)
        object.__setattr__(self, "norm", _as_enum(MelNorm, "norm", MelNorm.none if self.norm is None else self.norm))
        object.__setattr__(self, "scale", _as_enum(MelScale, "scale", self.scale))


@dataclass(frozen=True)
class ErbParams(_FrequencyRange):
    """A bank of 4th-order gammatone filters, one ERB wide each (see :func:`spectrograms.erb_filterbank`).

    Args:
        n_filters: number of bands (> 0).
        f_min: centre frequency in Hz of the lowest band (>= 0; default 50).
        f_max: centre frequency in Hz of the highest band (> f_min, at most the Nyquist frequency,
            checked when the sample rate is known); None means the Nyquist frequency.
        spacing: where the centres lie between ``f_min`` and ``f_max``: ``"linear"`` (default, the seed
            library's: equal steps of ERB bandwidth, which is linear in Hz, and every weight kept) or
            ``"erb_rate"`` (Glasberg & Moore's ERB-number scale, the auditory standard: equal steps of
            ``21.4 log10(1 + 0.00437 f)``, weights below -60 dB dropped).
    """

    n_filters: int
    f_min: float = 50.0
    f_max: float | None = None
    spacing: str = "linear"

    SPACINGS: ClassVar[tuple[str, ...]] = ("linear", "erb_rate")

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_filters", bounded_int("n_filters", self.n_filters, MAX_BANDS))
        _check_f_range(self)
        one_of("spacing", self.spacing, self.SPACINGS)


@dataclass(frozen=True)
class LogHzParams(_FrequencyRange):
    """Log-spaced frequency bands (see :func:`spectrograms.loghz_filterbank`).

    Args:
        n_bins: number of bands (> 0).
        f_min: centre frequency in Hz of the lowest band (> 0, since the spacing is logarithmic).
        f_max: centre frequency in Hz of the highest band (> f_min, at most the Nyquist frequency);
            None means the Nyquist frequency.
        shape: ``"interpolated"`` (default, the seed library's): each band is the spectrum linearly
            interpolated between the two FFT bins around its centre; ``"triangular"``: each band a
            triangle between its neighbours' centres, averaging the bins it covers.
    """

    n_bins: int
    f_min: float
    f_max: float | None = None
    shape: str = "interpolated"

    SHAPES: ClassVar[tuple[str, ...]] = ("interpolated", "triangular")

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_bins", bounded_int("n_bins", self.n_bins, MAX_BANDS))
        _check_f_range(self, f_min_positive=True)
        one_of("shape", self.shape, self.SHAPES)


@dataclass(frozen=True)
class ChromaParams:
    """A chroma (pitch-class) filterbank and the normalisation of each chroma frame; the defaults and the
    positional order are the seed library's, ``ChromaParams(tuning=440.0, f_min=32.7, f_max=4186.0, norm="l2")``.

    Rows are in pitch-class order starting at C (C, C#, D, ..., B for ``n_chroma=12``).

    Args:
        tuning: the reference pitch A4 in Hz (> 0; default 440).
        f_min: FFT bins below this frequency in Hz are left out (>= 0; default 32.7, C1).
        f_max: FFT bins above this frequency in Hz are left out (> f_min; default 4186, C8); None, or a
            value above the Nyquist frequency, keeps every bin up to Nyquist.
        norm: normalisation of each frame's chroma vector: ``"l2"`` (unit length, the seed's default),
            ``"max"`` (largest value 1, librosa's), ``"l1"`` (sum 1) or None. Frames whose norm is below
            the smallest normal float (silence) are left as they are.
        n_chroma: chroma bins per octave: 12 (semitones) or a multiple of 12 (default 12).
        shape: the filters. ``"gaussian"`` (the seed's): each bin in range spreads over the pitch classes by
            a Gaussian of one semitone in its circular distance from them, each chroma row sums to 1, and
            the chromagram is taken of the magnitude spectrogram. ``"librosa"``: the filters of
            ``librosa.filters.chroma`` (Ellis' chromagram), taken of the power spectrogram, as
            ``librosa.feature.chroma_stft`` with ``tuning = n_chroma * log2(tuning / 440)`` chroma bins.
    """

    tuning: float = 440.0
    f_min: float = 32.7
    f_max: float | None = 4186.0
    norm: str | None = "l2"
    n_chroma: int = 12
    shape: str = "gaussian"

    NORMS: ClassVar[tuple[str | None, ...]] = ("max", "l1", "l2", None)
    SHAPES: ClassVar[tuple[str, ...]] = ("gaussian", "librosa")

    def __post_init__(self) -> None:
        n_chroma = bounded_int("n_chroma", self.n_chroma, MAX_BANDS)
        if n_chroma % 12:
            raise InvalidInputError(f"n_chroma must be a positive multiple of 12, got {n_chroma}")
        object.__setattr__(self, "n_chroma", n_chroma)
        object.__setattr__(self, "tuning", positive_float("tuning", self.tuning))
        _check_f_range(self)
        one_of("norm", self.norm, self.NORMS)
        one_of("shape", self.shape, self.SHAPES)

    @property
    def tuning_bins(self) -> float:
        """The deviation of A4 from 440 Hz in chroma bins (librosa's ``tuning`` times ``n_chroma / 12``)."""
        return self.n_chroma * math.log2(self.tuning / 440.0)

    def resolved_f_max(self, sample_rate: float) -> float:
        """``f_max`` capped at the Nyquist frequency (the bins above it do not exist)."""
        return sample_rate / 2 if self.f_max is None else min(self.f_max, sample_rate / 2)

    @classmethod
    def music_standard(cls) -> ChromaParams:
        """The seed's standard for music: 12 pitch classes from C1 (32.7 Hz) to C8 (4186 Hz), A4 = 440 Hz,
        l2-normalised (the defaults)."""
        return cls()

    @classmethod
    def librosa(cls, n_chroma: int = 12, tuning: float = 0.0, norm: str | None = "max", f_min: float = 0.0,
                f_max: float | None = None) -> ChromaParams:
        """``librosa.feature.chroma_stft``'s filters and normalisation (over every bin by default), with
        ``tuning`` as librosa gives it: fractions of a chroma bin, in [-0.5, 0.5]."""
        tuning = finite_float("tuning", tuning)
        if not -0.5 <= tuning <= 0.5:
            raise InvalidInputError(f"tuning must be in [-0.5, 0.5] (fractions of a chroma bin), got {tuning}")
        n_chroma = bounded_int("n_chroma", n_chroma, MAX_BANDS)
        return cls(440.0 * 2.0 ** (tuning / n_chroma), f_min, f_max, norm, n_chroma, "librosa")


@dataclass(frozen=True)
class MfccParams:
    """Mel-frequency cepstral coefficients: an orthonormal DCT-II over the mel dB bands.

    Args:
        n_mfcc: coefficients kept (> 0, at most the number of mel bands; default 13).
        lifter: cepstral liftering ``1 + (lifter / 2) sin(pi (k + 1) / lifter)`` applied to
            coefficient ``k`` (>= 0; 0, the default, means none), as librosa and HTK define it.
    """

    n_mfcc: int = 13
    lifter: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_mfcc", bounded_int("n_mfcc", self.n_mfcc, MAX_BANDS))
        lifter = non_negative_float("lifter", self.lifter)
        if 0 < lifter < MIN_LIFTER:  # sin(pi k / lifter) of a subnormal lifter is NaN
            raise InvalidInputError(f"lifter must be 0 (none) or at least {MIN_LIFTER}, got {lifter}")
        object.__setattr__(self, "lifter", lifter)

    @classmethod
    def speech_standard(cls) -> MfccParams:
        """13 coefficients with the HTK / Kaldi cepstral lifter of 22."""
        return cls(n_mfcc=13, lifter=22.0)
