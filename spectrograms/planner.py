"""Plans: everything about a spectrogram that does not depend on the signal, built once.

A plan holds the parameters, the window and the filterbank (in CSR form, per dtype); its
:meth:`SpectrogramPlan.compute` runs one native pass per call. Build a plan once and call it on many
signals; the ``compute_*`` functions use the same plans through a small cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Optional, Union, get_args, overload

import numpy as np
import torch

from . import ops
from ._validate import call_native, check_type, check_unread_samples_finite, torch_device, torch_dtype
from .errors import InvalidInputError, InvalidTypeError
from .filterbanks import (
    Filterbank,
    chroma_filterbank,
    dct_matrix,
    erb_filterbank,
    lifter_weights,
    loghz_filterbank,
    mel_filterbank,
)
from .inputs import as_signal
from .params import (
    ChromaParams,
    ErbParams,
    LogHzParams,
    LogParams,
    MelParams,
    MfccParams,
    SpectrogramParams,
    StftParams,
)
from .results import Chromagram, Mfcc, Spectrogram, StftResult

if TYPE_CHECKING:  # both import this module at run time
    from .cqt import CqtDbPlan, CqtMagnitudePlan, CqtParams, CqtPlan, CqtPowerPlan
    from .stream import FeatureStream

__all__ = ["SpectrogramPlan", "SpectrogramPlanner", "MfccPlan", "ChromagramPlan", "window_tensor", "band_filterbank"]

_SCALES = ("power", "magnitude", "db")

#: The parameters of a band spectrogram's filterbank.
BandParams = Union[MelParams, ErbParams, LogHzParams]

# The argument name of each band parameter type, for the type errors.
_BANDS: dict[type[BandParams], str] = {MelParams: "mel_params", ErbParams: "erb_params", LogHzParams: "loghz_params"}

#: The kinds of :func:`cached_plan` that make a :class:`SpectrogramPlan`: ``"<bands>_<scale>"``.
SpectrogramKind = Literal["linear_power", "linear_magnitude", "linear_db", "mel_power", "mel_magnitude", "mel_db",
                          "erb_power", "erb_magnitude", "erb_db", "loghz_power", "loghz_magnitude", "loghz_db"]
_SPECTROGRAM_KINDS: dict[str, SpectrogramKind] = {kind: kind for kind in get_args(SpectrogramKind)}


@functools.lru_cache(maxsize=64)
def window_tensor(stft: StftParams, dtype: torch.dtype, device: torch.device | str | None = None) -> torch.Tensor:
    """The window of ``stft`` as a tensor of shape ``(n_fft,)`` in ``dtype`` on ``device`` (default
    CPU); cached, so do not modify it."""
    check_type("stft", stft, StftParams)
    window = stft.window.coefficients(stft.n_fft, torch_dtype("dtype", dtype))
    return window if device is None else window.to(torch_device("device", device))


def band_filterbank(params: SpectrogramParams, band_params: object, band_type: type[BandParams]) -> Filterbank:
    """The filterbank of ``band_params`` (a :class:`MelParams`, :class:`ErbParams` or
    :class:`LogHzParams`, which ``band_type`` names) for ``params``, after checking both types."""
    check_type("params", params, SpectrogramParams)
    checked = check_type(_BANDS[band_type], band_params, band_type)
    if isinstance(checked, MelParams):
        return mel_filterbank(params, checked)
    if isinstance(checked, ErbParams):
        return erb_filterbank(params, checked)
    return loghz_filterbank(params, checked)


def _framing(stft: StftParams) -> dict[str, object]:
    """The framing keywords of the ops."""
    return dict(n_fft=stft.n_fft, hop_length=stft.hop_size, center=stft.centre, pad_mode=stft.pad_mode)


def _power_fits_float32(signal: torch.Tensor) -> bool:
    """Whether the float32 band power of ``signal`` keeps float32 precision: samples between 1e-12 and
    1e10 in magnitude (or silence) give ``|X|^2`` far inside float32's normal range for any ``n_fft``
    up to 2^24. Streams compute in float32 and equal the offline values bitwise in this range."""
    peak = float(signal.abs().amax()) if signal.numel() else 0.0
    return peak == 0.0 or 1e-12 <= peak <= 1e10


class SpectrogramPlan:
    """A reusable spectrogram computation.

    Args:
        params: framing, window and sample rate.
        scale: ``"power"`` (``|X|^2``), ``"magnitude"`` (``|X|``; with a filterbank the seed library's
            ``sqrt(filterbank @ |X|^2)``, the root of the band power) or ``"db"`` (power in dB).
        filterbank: bands to map the FFT bins to (None for the linear spectrogram).
        root_of_band_power: False makes a band magnitude ``filterbank @ |X|`` (librosa's and torchaudio's
            ``power=1``) instead of the seed's root of the band power.
        db_params: the dB floor, for ``scale="db"`` (default ``LogParams()``, -80 dB).
    """

    def __init__(self, params: SpectrogramParams, *, scale: str = "power", filterbank: Filterbank | None = None,
                 db_params: LogParams | None = None, root_of_band_power: bool = True):
        check_type("params", params, SpectrogramParams)
        if scale not in _SCALES:
            raise InvalidInputError(f"scale must be one of {_SCALES}, got {scale!r}")
        if db_params is not None:
            check_type("db_params", db_params, LogParams)
        self.params = params
        self.scale = scale
        self.filterbank = filterbank
        self.db_params = (db_params or LogParams()) if scale == "db" else None
        # The seed's band magnitude: the native pass gives the band power, its root is taken after.
        self.magnitude_from_power = scale == "magnitude" and filterbank is not None and bool(root_of_band_power)
        self._native_kwargs: dict[tuple[torch.dtype, torch.device], dict[str, object]] = {}

    @property
    def n_bins(self) -> int:
        """Rows of the output: bands of the filterbank, else ``n_fft // 2 + 1``."""
        return self.filterbank.n_bands if self.filterbank is not None else self.params.stft.n_bins

    @property
    def frequencies(self) -> np.ndarray:
        """Hz of each output row, shape ``(n_bins,)``."""
        return self.filterbank.frequencies if self.filterbank is not None else self.params.bin_frequencies()

    def output_shape(self, n_samples: int) -> tuple[int, int]:
        """``(n_bins, n_frames)`` of the result for a signal of ``n_samples`` samples, without computing it."""
        return self.n_bins, self.params.stft.n_frames(n_samples)

    def apply(self, signal: torch.Tensor) -> torch.Tensor:
        """The spectrogram of a float tensor of shape ``(..., time)`` as a tensor ``(..., n_bins, n_frames)``."""
        stft = self.params.stft
        stft.n_frames(signal.shape[-1])  # clear errors for empty and too-short signals
        check_unread_samples_finite(signal, stft.n_fft, stft.hop_size, stft.centre)
        if not self.magnitude_from_power:
            return call_native(ops.spectrogram, signal, **self._kwargs_for(signal))
        if signal.dtype == torch.float32 and not _power_fits_float32(signal):
            # |X|^2 would leave float32's range where |X| does not: the band power in float64.
            wide = signal.double()
            return call_native(ops.spectrogram, wide, **self._kwargs_for(wide)).sqrt().float()
        return call_native(ops.spectrogram, signal, **self._kwargs_for(signal)).sqrt()

    def _kwargs_for(self, signal: torch.Tensor) -> dict[str, object]:
        # Made once per dtype and device: per-clip calls in a data pipeline are short enough that
        # rebuilding these (window lookup, CSR, keyword dict) would show in their time.
        key = (signal.dtype, signal.device)
        if key not in self._native_kwargs:
            stft = self.params.stft
            self._native_kwargs[key] = dict(
                window=window_tensor(stft, signal.dtype, signal.device), **_framing(stft),
                power=1.0 if self.scale == "magnitude" and not self.magnitude_from_power else 2.0,
                filterbank=self.filterbank.csr(signal.dtype) if self.filterbank is not None else None,
                floor_db=self.db_params.floor_db if self.db_params else None)
        return self._native_kwargs[key]

    def compute(self, samples: object) -> Spectrogram:
        """Computes the spectrogram of one signal ``(time,)`` or a batch ``(batch, time)``.

        Args:
            samples: NumPy array, torch tensor or list of floats (see :mod:`spectrograms.inputs`).

        Returns:
            A :class:`Spectrogram` of shape ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``.
        """
        signal = as_signal(samples)
        tensor = self.apply(signal)
        band_params = self.filterbank.params if self.filterbank is not None else None
        return Spectrogram(
            tensor, self.frequencies, None, self.params,
            scale=self.scale, frequency_scale=self.filterbank.name if self.filterbank is not None else "linear",
            band_params=band_params, db_params=self.db_params, n_samples=signal.shape[-1],
        )

    def __call__(self, samples: object) -> Spectrogram:
        return self.compute(samples)

    def stream(self) -> FeatureStream:
        """A stream of this plan: ``push`` chunks, get the new frames; see :mod:`spectrograms.stream`."""
        from .stream import plan_stream
        return plan_stream(self)

    def __repr__(self) -> str:
        bands = self.filterbank.name if self.filterbank is not None else "linear"
        return f"SpectrogramPlan({bands} {self.scale}, n_bins={self.n_bins}, params={self.params})"


class SpectrogramPlanner:
    """Makes plans. ``planner.mel_db_plan(params, mel_params, db_params).compute(x)``."""

    def linear_power_plan(self, params: SpectrogramParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="power")

    def linear_magnitude_plan(self, params: SpectrogramParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="magnitude")

    def linear_db_plan(self, params: SpectrogramParams, db_params: LogParams | None = None) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="db", db_params=db_params)

    def mel_power_plan(self, params: SpectrogramParams, mel_params: MelParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="power", filterbank=band_filterbank(params, mel_params, MelParams))

    def mel_magnitude_plan(self, params: SpectrogramParams, mel_params: MelParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="magnitude", filterbank=band_filterbank(params, mel_params, MelParams))

    def mel_db_plan(self, params: SpectrogramParams, mel_params: MelParams,
                    db_params: LogParams | None = None) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="db", filterbank=band_filterbank(params, mel_params, MelParams),
                               db_params=db_params)

    def erb_power_plan(self, params: SpectrogramParams, erb_params: ErbParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="power", filterbank=band_filterbank(params, erb_params, ErbParams))

    def erb_magnitude_plan(self, params: SpectrogramParams, erb_params: ErbParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="magnitude", filterbank=band_filterbank(params, erb_params, ErbParams))

    def erb_db_plan(self, params: SpectrogramParams, erb_params: ErbParams,
                    db_params: LogParams | None = None) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="db", filterbank=band_filterbank(params, erb_params, ErbParams),
                               db_params=db_params)

    def loghz_power_plan(self, params: SpectrogramParams, loghz_params: LogHzParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="power", filterbank=band_filterbank(params, loghz_params, LogHzParams))

    def loghz_magnitude_plan(self, params: SpectrogramParams, loghz_params: LogHzParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="magnitude", filterbank=band_filterbank(params, loghz_params, LogHzParams))

    def loghz_db_plan(self, params: SpectrogramParams, loghz_params: LogHzParams,
                      db_params: LogParams | None = None) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="db", filterbank=band_filterbank(params, loghz_params, LogHzParams),
                               db_params=db_params)

    def mfcc_plan(self, params: SpectrogramParams, mel: MelParams | int, mfcc_params: MfccParams | None = None,
                  db_params: LogParams | None = None) -> MfccPlan:
        return MfccPlan(params, mel, mfcc_params, db_params)

    def chromagram_plan(self, params: SpectrogramParams, chroma_params: ChromaParams | None = None) -> ChromagramPlan:
        return ChromagramPlan(params, chroma_params)

    # The CQT plans live in spectrograms.cqt (imported here, when asked for, as that module imports this one).
    def cqt_power_plan(self, params: SpectrogramParams, cqt_params: CqtParams,
                       dtype: str | None = None) -> CqtPowerPlan:
        from .cqt import CqtPowerPlan
        return CqtPowerPlan(params, cqt_params, dtype=dtype)

    def cqt_magnitude_plan(self, params: SpectrogramParams, cqt_params: CqtParams,
                           dtype: str | None = None) -> CqtMagnitudePlan:
        from .cqt import CqtMagnitudePlan
        return CqtMagnitudePlan(params, cqt_params, dtype=dtype)

    def cqt_db_plan(self, params: SpectrogramParams, cqt_params: CqtParams, db_params: LogParams,
                    dtype: str | None = None) -> CqtDbPlan:
        from .cqt import CqtDbPlan
        return CqtDbPlan(params, cqt_params, db_params, dtype=dtype)


class MfccPlan:
    """A reusable MFCC computation: the fused mel dB pass, then the orthonormal DCT-II over the mel
    bands (and the lifter) as one ``(n_mfcc, n_mels)`` matrix product.

    ``mfcc = lifter * dct(10 log10(max(mel power, 10^(floor_db/10))))``, the same as
    ``librosa.feature.mfcc(S=<that mel dB>, dct_type=2, norm="ortho", lifter=lifter)``.

    Args:
        params: framing, window and sample rate.
        mel: a :class:`MelParams`, or an int number of mel bands (``MelParams(mel)``: 0 Hz to Nyquist,
            Slaney scale, no normalisation).
        mfcc_params: default ``MfccParams()`` (13 coefficients, no lifter).
        db_params: the dB floor of the mel bands (default ``LogParams()``, -80 dB).

    Raises:
        InvalidTypeError: a parameter of the wrong type.
        InvalidInputError: ``n_mfcc`` above the number of mel bands.
    """

    def __init__(self, params: SpectrogramParams, mel: MelParams | int, mfcc_params: MfccParams | None = None,
                 db_params: LogParams | None = None):
        check_type("params", params, SpectrogramParams)
        mel_params = as_mel_params(mel)
        mfcc_params = check_type("mfcc_params", MfccParams() if mfcc_params is None else mfcc_params, MfccParams)
        # Resolved here rather than read back from the mel plan, whose db_params is optional for its other scales.
        db = LogParams() if db_params is None else check_type("db_params", db_params, LogParams)
        self.mel_plan = SpectrogramPlan(params, scale="db", filterbank=band_filterbank(params, mel_params, MelParams),
                                        db_params=db)
        self.params, self.mel_params, self.mfcc_params = params, mel_params, mfcc_params
        self.db_params = db
        basis = dct_matrix(mfcc_params.n_mfcc, mel_params.n_mels)
        self._basis = lifter_weights(mfcc_params.n_mfcc, mfcc_params.lifter)[:, None] * basis
        self._basis_cache: dict[tuple[torch.dtype, torch.device], torch.Tensor] = {}

    @property
    def n_mfcc(self) -> int:
        return self.mfcc_params.n_mfcc

    def basis(self, dtype: torch.dtype, device: torch.device | str | None = None) -> torch.Tensor:
        """The liftered DCT matrix, shape ``(n_mfcc, n_mels)`` (cached per dtype and device)."""
        key = (dtype, torch.device(device or "cpu"))
        if key not in self._basis_cache:
            self._basis_cache[key] = self._basis.to(dtype=dtype, device=key[1])
        return self._basis_cache[key]

    def apply(self, signal: torch.Tensor) -> torch.Tensor:
        """MFCCs of a float tensor ``(..., time)`` as a tensor ``(..., n_mfcc, n_frames)``."""
        mel_db = self.mel_plan.apply(signal)
        return torch.matmul(self.basis(mel_db.dtype, mel_db.device), mel_db)

    def compute(self, samples: object) -> Mfcc:
        """MFCCs of one signal ``(time,)`` or a batch ``(batch, time)`` as an :class:`Mfcc` of shape
        ``(n_mfcc, n_frames)`` or ``(batch, n_mfcc, n_frames)``."""
        signal = as_signal(samples)
        tensor = self.apply(signal)
        return Mfcc(tensor, self.params.frame_times(tensor.shape[-1]), self.params, self.mel_params,
                    self.mfcc_params, self.db_params, n_samples=signal.shape[-1])

    def __call__(self, samples: object) -> Mfcc:
        return self.compute(samples)

    def stream(self) -> FeatureStream:
        """A stream of this plan: ``push`` chunks, get the new frames; see :mod:`spectrograms.stream`."""
        from .stream import plan_stream
        return plan_stream(self)

    def __repr__(self) -> str:
        return f"MfccPlan(n_mfcc={self.n_mfcc}, n_mels={self.mel_params.n_mels}, params={self.params})"


class ChromagramPlan:
    """A reusable chromagram computation: the fused pass through the chroma filterbank (of the magnitude
    spectrogram for the seed's Gaussian filters, of the power spectrogram for librosa's), then each frame
    normalised as ``chroma_params.norm`` says.

    With ``ChromaParams()`` this is the seed library's ``compute_chromagram``; with ``ChromaParams.librosa()``
    it is ``librosa.feature.chroma_stft(..., tuning=0.0)`` under the same STFT (Hann, centre, constant padding).

    Args:
        params: framing, window and sample rate.
        chroma_params: default ``ChromaParams()``.
    """

    def __init__(self, params: SpectrogramParams, chroma_params: ChromaParams | None = None):
        check_type("params", params, SpectrogramParams)
        chroma_params = check_type("chroma_params", ChromaParams() if chroma_params is None else chroma_params,
                                   ChromaParams)
        # The seed's chroma is of the magnitude spectrogram, librosa's of the power spectrogram.
        scale = "magnitude" if chroma_params.shape == "gaussian" else "power"
        self.spectrum_plan = SpectrogramPlan(params, scale=scale, filterbank=chroma_filterbank(params, chroma_params),
                                             root_of_band_power=False)
        self.params, self.chroma_params = params, chroma_params

    @property
    def n_chroma(self) -> int:
        return self.chroma_params.n_chroma

    def apply(self, signal: torch.Tensor) -> torch.Tensor:
        """The chromagram of a float tensor ``(..., time)`` as a tensor ``(..., n_chroma, n_frames)``."""
        return normalize_frames(self.spectrum_plan.apply(signal), self.chroma_params.norm)

    def compute(self, samples: object) -> Chromagram:
        """The chromagram of one signal ``(time,)`` or a batch ``(batch, time)`` as a :class:`Chromagram`
        of shape ``(n_chroma, n_frames)`` or ``(batch, n_chroma, n_frames)``."""
        signal = as_signal(samples)
        tensor = self.apply(signal)
        return Chromagram(tensor, self.spectrum_plan.frequencies, self.params.frame_times(tensor.shape[-1]),
                          self.params, self.chroma_params, n_samples=signal.shape[-1])

    def __call__(self, samples: object) -> Chromagram:
        return self.compute(samples)

    def stream(self) -> FeatureStream:
        """A stream of this plan: ``push`` chunks, get the new frames; see :mod:`spectrograms.stream`."""
        from .stream import plan_stream
        return plan_stream(self)

    def __repr__(self) -> str:
        return f"ChromagramPlan(n_chroma={self.n_chroma}, norm={self.chroma_params.norm!r}, params={self.params})"


def normalize_frames(values: torch.Tensor, norm: Optional[str]) -> torch.Tensor:
    """Each column of ``(..., n_bins, n_frames)`` divided by its ``"max"``, ``"l1"`` or ``"l2"`` norm.

    Columns whose largest value is below the dtype's smallest normal number (silence) are left as they
    are, as ``librosa.util.normalize`` leaves them. Each column is first divided by its largest value, so
    the sum of squares of loud float32 values (|x| above about 1e19) does not overflow to Inf (which made
    the column 0) and that of quiet ones does not underflow. TorchScript compiles it too (hence no
    ``torch.finfo``).
    """
    if norm is None:
        return values
    tiny = 2.2250738585072014e-308 if values.dtype == torch.float64 else 1.1754943508222875e-38  # float32's
    peak = values.abs().amax(dim=-2, keepdim=True)
    silent = peak < tiny
    ones = torch.ones_like(peak)
    scaled = values / torch.where(silent, ones, peak)
    if norm == "max":
        return torch.where(silent, values, scaled)
    if norm == "l1":
        norms = scaled.abs().sum(dim=-2, keepdim=True)
    else:
        norms = torch.linalg.vector_norm(scaled, dim=[-2], keepdim=True)
    return torch.where(silent, values, scaled / torch.where(silent, ones, norms))


def as_mel_params(mel: object) -> MelParams:
    """``mel`` as :class:`MelParams`: itself, or ``MelParams(mel)`` for an int number of bands."""
    if isinstance(mel, MelParams):
        return mel
    if isinstance(mel, int) and not isinstance(mel, bool):
        return MelParams(n_mels=mel)
    raise InvalidTypeError(f"mel must be a MelParams or an int number of mel bands, got {type(mel).__name__}")


#: What :func:`cached_plan` makes.
AnyPlan = Union[SpectrogramPlan, MfccPlan, ChromagramPlan, "CqtPlan"]


def spectrogram_kind(bands: str, scale: str) -> SpectrogramKind:
    """The :func:`cached_plan` kind of a ``bands`` (``"linear"``, ``"mel"``, ...) spectrogram in ``scale``."""
    kind = f"{bands}_{scale}"
    if kind not in _SPECTROGRAM_KINDS:
        raise InvalidInputError(f"no spectrogram of bands {bands!r} in scale {scale!r}; the kinds are "
                                f"{sorted(_SPECTROGRAM_KINDS)}")
    return _SPECTROGRAM_KINDS[kind]


# The arguments stay untyped objects: each plan checks their types and names the wrong one.
@overload
def cached_plan(kind: SpectrogramKind, *args: object) -> SpectrogramPlan: ...
@overload
def cached_plan(kind: Literal["mfcc"], *args: object) -> MfccPlan: ...
@overload
def cached_plan(kind: Literal["chromagram"], *args: object) -> ChromagramPlan: ...
@overload
def cached_plan(kind: Literal["cqt_power"], *args: object) -> CqtPowerPlan: ...
@overload
def cached_plan(kind: Literal["cqt_magnitude"], *args: object) -> CqtMagnitudePlan: ...
@overload
def cached_plan(kind: Literal["cqt_db"], *args: object) -> CqtDbPlan: ...
def cached_plan(kind: str, *args: object) -> AnyPlan:
    """The plan ``SpectrogramPlanner().<kind>_plan(*args)``, shared between calls with equal parameters.

    Arguments that cannot be hashed (wrong types) bypass the cache, so the plan's own checks name them.
    """
    try:
        hash(args)
    except TypeError:
        return _make_plan(kind, *args)
    return _cached_plan(kind, *args)


def _make_plan(kind: str, *args: object) -> AnyPlan:
    make: Callable[..., AnyPlan] = getattr(SpectrogramPlanner(), f"{kind}_plan")
    return make(*args)


# typed: 1 and True (or 1.0) are equal keys otherwise, and only the first is a valid mel band count.
_cached_plan = functools.lru_cache(maxsize=64, typed=True)(_make_plan)


def stft_tensor(signal: torch.Tensor, params: SpectrogramParams) -> torch.Tensor:
    """The complex STFT of a float tensor ``(..., time)`` as a tensor ``(..., n_fft // 2 + 1, n_frames)``."""
    stft = params.stft
    stft.n_frames(signal.shape[-1])  # clear errors for empty and too-short signals
    return call_native(ops.stft, signal, window_tensor(stft, signal.dtype, signal.device), **_framing(stft))


def stft_result(samples: object, params: SpectrogramParams) -> StftResult:
    """The :class:`StftResult` of one signal ``(time,)`` or a batch ``(batch, time)``."""
    check_type("params", params, SpectrogramParams)
    signal = as_signal(samples)
    tensor = stft_tensor(signal, params)
    return StftResult(tensor, params.bin_frequencies(), params.frame_times(tensor.shape[-1]), params,
                      signal.shape[-1])
