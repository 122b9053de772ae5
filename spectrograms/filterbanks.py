"""Filterbanks that map the ``n_fft // 2 + 1`` FFT bins to fewer bands.

Each builder returns a :class:`Filterbank`: a float64 matrix of shape ``(n_bands, n_bins)`` with the
centre frequency of each band. The native op receives it in CSR form (:meth:`Filterbank.csr`), so
each band only touches the bins where its weights are non-zero.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from ._validate import (MAX_BANDS, allocation, MAX_N_FFT, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, bounded_float, bounded_int, check_type,
                        finite_float, finite_result, non_negative_float, positive_float, positive_int, real_array)
from .errors import InvalidInputError
from .params import MIN_LIFTER, ChromaParams, ErbParams, LogHzParams, MelNorm, MelParams, MelScale, SpectrogramParams

__all__ = [
    "Filterbank",
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "hz_to_erb_rate",
    "erb_rate_to_hz",
    "erb_bandwidth",
    "erb_filterbank",
    "loghz_filterbank",
    "chroma_filterbank",
    "librosa_chroma_weights",
    "PITCH_CLASSES",
    "chroma_labels",
    "dct_matrix",
    "dct_basis",
    "mel_weights",
    "check_mel_norm",
    "lifter_weights",
]


@dataclass(frozen=True, eq=False)
class Filterbank:
    """A bank of spectral filters.

    Attributes:
        name: what the bands are (``"mel"``, ``"erb"``, ...).
        matrix: float64 weights of shape ``(n_bands, n_fft // 2 + 1)``.
        frequencies: float64 centre frequency in Hz of each band, shape ``(n_bands,)``.
        params: the parameter object the bank was built from.
    """

    name: str
    matrix: np.ndarray
    frequencies: np.ndarray
    params: object
    _csr_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_bands(self) -> int:
        return self.matrix.shape[0]

    def csr(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(crow_indices, col_indices, values)`` of the matrix, values in ``dtype``; cached per dtype."""
        if dtype not in self._csr_cache:
            rows, cols = np.nonzero(self.matrix)
            crow = np.searchsorted(rows, np.arange(self.n_bands + 1))
            self._csr_cache[dtype] = (
                torch.from_numpy(crow.astype(np.int64)),
                torch.from_numpy(cols.astype(np.int64)),
                torch.from_numpy(self.matrix[rows, cols]).to(dtype),
            )
        return self._csr_cache[dtype]

    def dense(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The matrix as a dense tensor of shape ``(n_bands, n_bins)``."""
        return torch.from_numpy(self.matrix).to(dtype)


def _mel_scale(scale) -> MelScale:
    try:
        return MelScale(scale)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in MelScale)
        raise InvalidInputError(f"scale must be one of {allowed}; got {scale!r}") from None


def hz_to_mel(frequencies, scale: MelScale = MelScale.slaney) -> np.ndarray:
    """Hz to mel on the HTK or Slaney scale (as ``librosa.hz_to_mel``)."""
    f = real_array("frequencies", frequencies)
    if _mel_scale(scale) is MelScale.htk:
        with np.errstate(divide="ignore", invalid="ignore"):
            mels = 2595.0 * np.log10(1.0 + f / 700.0)
        return finite_result("frequencies", mels, "the HTK mel scale is defined above -700 Hz")
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    linear = f / f_sp
    with np.errstate(divide="ignore"):
        logarithmic = min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, logarithmic, linear)


def mel_to_hz(mels, scale: MelScale = MelScale.slaney) -> np.ndarray:
    """Mel to Hz on the HTK or Slaney scale (as ``librosa.mel_to_hz``)."""
    m = real_array("mels", mels)
    too_high = "they map beyond float64's largest value (about 1.8e308 Hz)"
    with np.errstate(over="ignore"):
        if _mel_scale(scale) is MelScale.htk:
            return finite_result("mels", 700.0 * (10.0 ** (m / 2595.0) - 1.0), too_high)
        f_sp, min_log_hz = 200.0 / 3, 1000.0
        min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
        hz = np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)
    return finite_result("mels", hz, too_high)


def mel_filterbank(params: SpectrogramParams, mel: MelParams) -> Filterbank:
    """Triangular mel filters, the same construction as ``librosa.filters.mel`` and
    ``torchaudio.functional.melscale_fbanks``.

    ``n_mels + 2`` points equally spaced in mel between ``f_min`` and ``f_max`` give the edges; filter
    ``m`` rises from point ``m`` to ``m + 1`` and falls to ``m + 2``, evaluated at the bin frequencies
    ``k * sample_rate / n_fft``.

    Returns:
        A Filterbank of shape ``(n_mels, n_fft // 2 + 1)`` whose frequencies are the filter centres.
    """
    check_type("params", params, SpectrogramParams)
    check_type("mel", mel, MelParams)
    f_max = mel.resolved_f_max(params.sample_rate)
    bins = params.bin_frequencies()
    edges = mel_to_hz(np.linspace(hz_to_mel(mel.f_min, mel.scale), hz_to_mel(f_max, mel.scale), mel.n_mels + 2),
                      mel.scale)
    if not (np.diff(edges) > 0).all():
        # A band so narrow that neighbouring edges coincide in float64 would divide by a zero width.
        raise InvalidInputError(
            f"f_min={mel.f_min} Hz to f_max={f_max} Hz is too narrow for n_mels={mel.n_mels} distinct filter "
            "edges; widen the band or use fewer mels"
        )
    weights, centres = mel_weights(bins, mel.n_mels, mel.f_min, f_max, mel.scale, mel.norm)
    return Filterbank("mel", weights, centres, mel)


MEL_NUMERIC_NORMS = (1, 2, math.inf)


def check_mel_norm(norm):
    """``norm`` of a mel filterbank: None, a :class:`MelNorm` or its name, or librosa's numbers ``1``,
    ``2``, ``np.inf`` (each filter scaled to unit l1, l2 or max norm, as ``librosa.util.normalize``).

    Returns the norm as a :class:`MelNorm` or ``math.inf``.
    """
    if norm is None:
        return MelNorm.none
    if isinstance(norm, (int, float, np.integer, np.floating)) and not isinstance(norm, bool):
        if norm in MEL_NUMERIC_NORMS:
            return {1: MelNorm.l1, 2: MelNorm.l2}.get(norm, math.inf)
        raise InvalidInputError(f"norm must be None, 'slaney' or one of librosa's numbers 1, 2, np.inf; got {norm!r}")
    try:
        return MelNorm(norm)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"norm must be None, 'slaney' or one of librosa's numbers 1, 2, np.inf; got {norm!r}") from None


def mel_weights(bin_frequencies: np.ndarray, n_mels: int, f_min: float, f_max: float, scale=MelScale.slaney,
                norm=MelNorm.none) -> tuple[np.ndarray, np.ndarray]:
    """The float64 weights ``(n_mels, n_bins)`` and centres ``(n_mels,)`` of triangular mel filters between
    ``f_min`` and ``f_max``, unchecked against the sample rate: an ``f_max`` above the Nyquist frequency
    leaves the top filters (partly) empty, and ``f_min >= f_max`` gives all-zero filters, which is what
    torchaudio and librosa compute for those ranges (the callers warn).

    ``norm``: as :func:`check_mel_norm` returns it (``MelNorm`` or ``math.inf``).
    """
    bin_frequencies = real_array("bin_frequencies", bin_frequencies).reshape(-1)
    if bin_frequencies.size == 0:
        raise InvalidInputError("bin_frequencies must hold at least one frequency, got none")
    n_mels = bounded_int("n_mels", n_mels, MAX_BANDS)
    f_min, f_max = finite_float("f_min", f_min), finite_float("f_max", f_max)
    allocation("n_mels and bin_frequencies", n_mels + 2, bin_frequencies.size)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2), scale)
    centres = edges[1:-1].copy()
    widths = np.diff(edges)
    if not (widths > 0).all():
        # Coinciding or descending edges: torchaudio's triangles are all zero there (0/0 is resolved to 0),
        # librosa's too (its NaNs aside); both leave the caller a warning.
        return np.zeros((n_mels, len(bin_frequencies))), centres
    ramps = edges[:, None] - bin_frequencies[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm is MelNorm.slaney:
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    elif norm in (MelNorm.l1, MelNorm.l2) or norm == math.inf:
        order = {MelNorm.l1: 1, MelNorm.l2: 2}.get(norm, np.inf)
        norms = np.linalg.norm(weights, ord=order, axis=1, keepdims=True)
        weights = np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0)
    empty = np.flatnonzero(weights.max(axis=1) == 0)
    if empty.size:
        warnings.warn(
            f"{empty.size} of {n_mels} mel filters are empty (no FFT bin falls inside them); "
            "use fewer mels or a larger n_fft",
            stacklevel=4,
        )
    return weights, centres


# ERB: Glasberg & Moore (1990), "Derivation of auditory filter shapes from notched-noise data".


def hz_to_erb_rate(frequencies) -> np.ndarray:
    """Hz to ERB-rate (the number of ERBs below the frequency): ``21.4 log10(1 + 0.00437 f)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = 21.4 * np.log10(1.0 + 0.00437 * real_array("frequencies", frequencies))
    return finite_result("frequencies", rates, "the ERB-rate scale is defined above -1/0.00437 Hz")


def erb_rate_to_hz(erb_rates) -> np.ndarray:
    """ERB-rate to Hz, the inverse of :func:`hz_to_erb_rate`."""
    with np.errstate(over="ignore"):
        hz = (10.0 ** (real_array("erb_rates", erb_rates) / 21.4) - 1.0) / 0.00437
    return finite_result("erb_rates", hz, "they map beyond float64's largest value (about 1.8e308 Hz)")


def erb_bandwidth(frequencies) -> np.ndarray:
    """Equivalent rectangular bandwidth in Hz of the auditory filter at each frequency: ``24.7 (1 + 0.00437 f)``."""
    with np.errstate(over="ignore"):
        bandwidth = 24.7 * (1.0 + 0.00437 * real_array("frequencies", frequencies))
    return finite_result("frequencies", bandwidth, "bandwidths beyond float64's range")


# Gammatone weights below this (-60 dB) are set to exactly 0, so each band stays sparse.
GAMMATONE_FLOOR = 1e-6


def erb_filterbank(params: SpectrogramParams, erb: ErbParams) -> Filterbank:
    """4th-order gammatone filters, one ERB wide, between ``f_min`` and ``f_max``.

    Band ``m`` has centre ``f_m`` (``n_filters`` points from ``f_min`` to ``f_max`` inclusive) and the
    power response of a 4th-order gammatone filter, ``w(f) = (1 + ((f - f_m) / b_m) ** 2) ** -4`` with
    ``b_m = 1.019 * erb_bandwidth(f_m)``, evaluated at the bin frequencies ``k * sample_rate / n_fft``;
    the peak weight is 1 (unit gain at the centre). ``spacing="linear"`` (the seed library's) spaces the
    centres equally in ERB bandwidth, that is in Hz, and keeps every weight; ``spacing="erb_rate"``
    spaces them equally in :func:`hz_to_erb_rate` and sets weights below ``GAMMATONE_FLOOR`` (-60 dB) to
    0, so each band stays sparse.

    Returns:
        A Filterbank of shape ``(n_filters, n_fft // 2 + 1)`` whose frequencies are the centres.
    """
    check_type("params", params, SpectrogramParams)
    check_type("erb", erb, ErbParams)
    f_max = erb.resolved_f_max(params.sample_rate)
    if erb.spacing == "linear":
        centres = np.linspace(erb.f_min, f_max, erb.n_filters)
    else:
        centres = erb_rate_to_hz(np.linspace(hz_to_erb_rate(erb.f_min), hz_to_erb_rate(f_max), erb.n_filters))
    centres[0] = erb.f_min  # exactly, despite the round trip through ERB-rate
    if erb.n_filters > 1:
        centres[-1] = f_max
    widths = 1.019 * erb_bandwidth(centres)
    offsets = (params.bin_frequencies()[None, :] - centres[:, None]) / widths[:, None]
    weights = (1.0 + offsets**2) ** -4
    if erb.spacing == "erb_rate":
        weights[weights < GAMMATONE_FLOOR] = 0.0
    _warn_empty("ERB", weights, "use fewer filters, a larger n_fft or a higher f_min")
    return Filterbank("erb", weights, centres, erb)


def loghz_filterbank(params: SpectrogramParams, loghz: LogHzParams) -> Filterbank:
    """Bands with log-spaced centres ``c_m`` (``n_bins`` points from ``f_min`` to ``f_max`` inclusive,
    equally spaced in log frequency).

    ``shape="interpolated"`` (the seed library's): band ``m`` is the spectrum linearly interpolated at
    ``c_m`` between the FFT bins below and above it.

    ``shape="triangular"``: band ``m`` has a triangular response rising from the previous centre to ``c_m`` and
    falling to the next (the end bands extend by the same ratio). A triangle is never narrower than
    one FFT bin on either side, so where the centres are closer than the bins (low frequencies) a band
    is the linear interpolation of the spectrum at ``c_m``; where they are wider apart it averages
    the bins it covers. Each row sums to 1, so a flat spectrum of value ``P`` gives ``P`` in every band.

    Returns:
        A Filterbank of shape ``(n_bins, n_fft // 2 + 1)`` whose frequencies are the centres.
    """
    check_type("params", params, SpectrogramParams)
    check_type("loghz", loghz, LogHzParams)
    f_max = loghz.resolved_f_max(params.sample_rate)
    if loghz.shape == "interpolated":
        return _interpolated_loghz(params, loghz, f_max)
    centres = np.geomspace(loghz.f_min, f_max, loghz.n_bins)
    bin_width = params.sample_rate / params.stft.n_fft
    ratio = (f_max / loghz.f_min) ** (1.0 / (loghz.n_bins - 1)) if loghz.n_bins > 1 else 1.0
    padded = np.concatenate(([centres[0] / ratio], centres, [centres[-1] * ratio]))
    lower = np.minimum(padded[:-2], centres - bin_width)
    upper = np.maximum(padded[2:], centres + bin_width)
    bins = params.bin_frequencies()[None, :]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # checked below
        rising = (bins - lower[:, None]) / (centres - lower)[:, None]
        falling = (upper[:, None] - bins) / (upper - centres)[:, None]
        weights = np.maximum(0.0, np.minimum(rising, falling))
        weights /= weights.sum(axis=1, keepdims=True)  # every row has a bin within one bin width of its centre
    if not np.isfinite(weights).all():
        # f_max / f_min beyond float64 (f_min=5e-324) makes the centres' ratio infinite.
        raise InvalidInputError(
            f"f_min={loghz.f_min:g} Hz and f_max={f_max:g} Hz are too far apart for log-spaced bands "
            "(their ratio leaves float64's range); raise f_min")
    return Filterbank("loghz", weights, centres, loghz)


def _interpolated_loghz(params: SpectrogramParams, loghz: LogHzParams, f_max: float) -> Filterbank:
    # The centres as the seed computes them, exp(log f_min + i * step), to match its axis to the last bit.
    step = (math.log(f_max) - math.log(loghz.f_min)) / max(loghz.n_bins - 1, 1)
    centres = np.exp(math.log(loghz.f_min) + np.arange(loghz.n_bins) * step)
    position = centres / (params.sample_rate / params.stft.n_fft)  # in FFT bins
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(np.ceil(position).astype(np.int64), params.stft.n_bins - 1)
    fraction = np.where(lower == upper, 0.0, position - lower)
    rows = np.arange(loghz.n_bins)
    weights = np.zeros((loghz.n_bins, params.stft.n_bins))
    weights[rows, lower] = 1.0 - fraction
    np.add.at(weights, (rows, upper), fraction)
    return Filterbank("loghz", weights, centres, loghz)


PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def chroma_labels(n_chroma: int) -> tuple[str, ...]:
    """Row labels of a chromagram: ``PITCH_CLASSES`` for 12 bins; with more, ``"C"``, ``"C+1/2"``, ...

    Raises:
        InvalidInputError: ``n_chroma`` is not a positive multiple of 12.
    """
    if isinstance(n_chroma, bool) or not isinstance(n_chroma, int) or n_chroma <= 0 or n_chroma % 12:
        raise InvalidInputError(f"n_chroma must be a positive multiple of 12, got {n_chroma!r}")
    if n_chroma > MAX_BANDS:  # as ChromaParams: 10**9 labels took minutes and all the memory there was
        raise InvalidInputError(f"n_chroma must be at most {MAX_BANDS}, got {n_chroma}")
    per_class = n_chroma // 12
    return tuple(name if j == 0 else f"{name}+{j}/{per_class}" for name in PITCH_CLASSES for j in range(per_class))


def chroma_filterbank(params: SpectrogramParams, chroma: ChromaParams) -> Filterbank:
    """Chroma filters of ``chroma.shape``, over the bins in ``[f_min, f_max]``.

    ``"gaussian"`` (the seed library's): a bin at ``f`` Hz (``f > 0``) sits at pitch class
    ``p = n_chroma * log2(f / tuning) + 9 n_chroma / 12`` (mod ``n_chroma``; 0 is C); its weight for chroma
    ``c`` is ``exp(-d ** 2 / (2 s ** 2))`` with ``d`` the circular distance between ``p`` and ``c`` and
    ``s = n_chroma / 12`` (one semitone); each chroma row is then scaled to sum 1.

    ``"librosa"``: the construction of ``librosa.filters.chroma``. Each FFT bin ``k > 0`` sits at
    ``v_k = n_chroma * log2(f_k / A0)`` chroma bins above A0 (27.5 Hz at ``tuning=440``; the DC bin is placed
    1.5 octaves below bin 1). Its weight for chroma ``c`` is a Gaussian in the circular distance ``d``
    between ``v_k`` and ``c``, ``exp(-0.5 * (2 d / w_k) ** 2)`` with ``w_k`` the bin's width in chroma bins
    (at least 1); each bin's weights have unit L2 norm across chroma, times an octave weighting
    ``exp(-0.5 * ((v_k / n_chroma - 5) / 2) ** 2)`` centred on octave 5 (about 880 Hz); rows start at C.

    Returns:
        A Filterbank ``"chroma"`` of shape ``(n_chroma, n_fft // 2 + 1)`` whose frequencies are the
        pitch classes in octave 4 (C4 = 261.6 Hz at ``tuning=440``).
    """
    check_type("params", params, SpectrogramParams)
    check_type("chroma", chroma, ChromaParams)
    n_chroma, n_fft, sample_rate = chroma.n_chroma, params.stft.n_fft, params.sample_rate
    if n_fft < 2:
        raise InvalidInputError(f"a chromagram needs n_fft >= 2 (at least one bin above DC), got n_fft={n_fft}")
    bins = params.bin_frequencies()
    weights = (_seed_chroma_weights if chroma.shape == "gaussian" else _librosa_chroma_weights)(chroma, n_fft, sample_rate)
    weights[:, (bins < chroma.f_min) | (bins > chroma.resolved_f_max(sample_rate))] = 0.0
    if chroma.shape == "gaussian":
        totals = weights.sum(axis=1, keepdims=True)
        weights = np.divide(weights, totals, out=weights, where=totals > 0)
    centres = chroma.tuning * 2.0 ** (np.arange(n_chroma) / n_chroma - 9 / 12)
    return Filterbank("chroma", np.ascontiguousarray(weights), centres, chroma)


def _seed_chroma_weights(chroma: ChromaParams, n_fft: int, sample_rate: float) -> np.ndarray:
    n_chroma = chroma.n_chroma
    frequencies = np.arange(1, n_fft // 2 + 1) * sample_rate / n_fft  # DC has no pitch
    classes = np.remainder(n_chroma * np.log2(frequencies / chroma.tuning) + 0.75 * n_chroma, n_chroma)
    distance = np.abs(classes[None, :] - np.arange(n_chroma)[:, None])
    distance = np.minimum(distance, n_chroma - distance) / (n_chroma / 12)
    return np.concatenate((np.zeros((n_chroma, 1)), np.exp(-0.5 * distance**2)), axis=1)


def _librosa_chroma_weights(chroma: ChromaParams, n_fft: int, sample_rate: float) -> np.ndarray:
    return librosa_chroma_weights(sample_rate, n_fft, chroma.n_chroma, chroma.tuning_bins)


def librosa_chroma_weights(sample_rate: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0,
                           ctroct: float = 5.0, octwidth: float | None = 2.0, base_c: bool = True) -> np.ndarray:
    """``librosa.filters.chroma(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm=2, base_c)`` in
    float64, shape ``(n_chroma, n_fft // 2 + 1)``: Gaussian pitch-class weights of each bin (unit L2 norm
    across chroma), times a Gaussian octave weighting centred on octave ``ctroct`` with half-width
    ``octwidth`` octaves (none for None), rows starting at C (``base_c``) or at A; ``tuning`` in
    fractions of a chroma bin."""
    sample_rate = bounded_float("sample_rate", sample_rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    n_fft = bounded_int("n_fft", n_fft, MAX_N_FFT)
    if n_fft < 2:
        raise InvalidInputError(f"n_fft must be at least 2 (one bin above DC), got {n_fft}")
    n_chroma = bounded_int("n_chroma", n_chroma, MAX_BANDS)
    # Beyond a few bins a tuning is a different reference pitch; 2 ** (tuning / n_chroma) must stay finite.
    tuning = bounded_float("tuning", tuning, -1000.0 * n_chroma, 1000.0 * n_chroma)
    ctroct = bounded_float("ctroct", ctroct, -1e6, 1e6)
    octwidth = None if octwidth is None else positive_float("octwidth", octwidth)
    # Over all n_fft bins, as librosa does, so the widths of the bins kept match its values.
    frequencies = np.arange(1, n_fft) * sample_rate / n_fft
    a0 = 27.5 * 2.0 ** (tuning / n_chroma)
    positions = n_chroma * np.log2(frequencies / a0)
    positions = np.concatenate(([positions[0] - 1.5 * n_chroma], positions))
    widths = np.concatenate((np.maximum(np.diff(positions), 1.0), [1.0]))
    half = np.round(n_chroma / 2)
    distance = np.remainder(positions[None, :] - np.arange(n_chroma)[:, None] + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * distance / widths[None, :]) ** 2)
    weights /= np.linalg.norm(weights, axis=0, keepdims=True)
    if octwidth is not None:
        weights *= np.exp(-0.5 * ((positions / n_chroma - ctroct) / octwidth) ** 2)[None, :]
    if base_c:
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return finite_result("chroma weights", np.ascontiguousarray(weights[:, : n_fft // 2 + 1]),
                         f"ctroct={ctroct} or octwidth={octwidth} leave float64's range")


def dct_matrix(n_mfcc: int, n_mels: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The orthonormal DCT-II, rows ``0 .. n_mfcc - 1``: ``D @ x`` equals
    ``scipy.fft.dct(x, type=2, norm="ortho", axis=0)[:n_mfcc]``.

    ``D[k, m] = s_k cos(pi k (m + 1/2) / n_mels)`` with ``s_0 = sqrt(1 / n_mels)`` and
    ``s_k = sqrt(2 / n_mels)`` otherwise.

    Returns:
        Shape ``(n_mfcc, n_mels)``.

    Raises:
        InvalidInputError: ``n_mfcc`` larger than ``n_mels``.
    """
    n_mfcc, n_mels = bounded_int("n_mfcc", n_mfcc, MAX_BANDS), bounded_int("n_mels", n_mels, MAX_BANDS)
    if n_mfcc > n_mels:
        raise InvalidInputError(f"n_mfcc={n_mfcc} must be at most the number of mel bands n_mels={n_mels}")
    k = torch.arange(n_mfcc, dtype=torch.float64)[:, None]
    m = torch.arange(n_mels, dtype=torch.float64)[None, :]
    basis = torch.cos(torch.pi * k * (m + 0.5) / n_mels) * math.sqrt(2.0 / n_mels)
    basis[0] /= math.sqrt(2.0)
    return basis.to(dtype)


def dct_basis(n_mfcc: int, n_mels: int, dct_type: int = 2, norm: str | None = "ortho",
              dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Rows ``0 .. n_mfcc - 1`` of the DCT of type 1, 2 or 3 as a matrix ``(n_mfcc, n_mels)``: ``D @ x``
    equals ``scipy.fft.dct(x, type=dct_type, norm=norm, axis=0)[:n_mfcc]`` (librosa's ``mfcc``; type 2
    is also ``torchaudio.functional.create_dct(n_mfcc, n_mels, norm).T``). Built in float64.

    Raises:
        InvalidInputError: ``dct_type`` not 1, 2 or 3; ``norm`` not None or ``"ortho"``; ``n_mfcc`` larger
            than ``n_mels``; type 1 with fewer than 2 bands.
    """
    if dct_type not in (1, 2, 3) or isinstance(dct_type, bool):
        raise InvalidInputError(f"dct_type must be 1, 2 or 3, got {dct_type!r}")
    if norm not in (None, "ortho"):
        raise InvalidInputError(f"norm must be None or 'ortho', got {norm!r}")
    if dct_type == 2 and norm == "ortho":
        return dct_matrix(n_mfcc, n_mels, dtype)
    n_mfcc, n_mels = bounded_int("n_mfcc", n_mfcc, MAX_BANDS), bounded_int("n_mels", n_mels, MAX_BANDS)
    if n_mfcc > n_mels:
        raise InvalidInputError(f"n_mfcc={n_mfcc} must be at most the number of mel bands n_mels={n_mels}")
    k = torch.arange(n_mfcc, dtype=torch.float64)[:, None]
    m = torch.arange(n_mels, dtype=torch.float64)[None, :]
    if dct_type == 2:  # unnormalised: 2 sum x_m cos(pi k (2m + 1) / 2N)
        return (2.0 * torch.cos(torch.pi * k * (m + 0.5) / n_mels)).to(dtype)
    if dct_type == 3:  # x_0 + 2 sum_{m >= 1} x_m cos(pi m (2k + 1) / 2N)
        basis = 2.0 * torch.cos(torch.pi * m * (k + 0.5) / n_mels)
        basis[:, 0] = 1.0
        if norm == "ortho":  # the transpose of the orthonormal DCT-II
            basis = basis * math.sqrt(1.0 / (2.0 * n_mels))
            basis[:, 0] = math.sqrt(1.0 / n_mels)
        return basis.to(dtype)
    if n_mels < 2:
        raise InvalidInputError(f"dct_type=1 needs at least 2 mel bands, got n_mels={n_mels}")
    # type 1: x_0 + (-1)^k x_{N-1} + 2 sum_{m=1}^{N-2} x_m cos(pi k m / (N - 1))
    basis = 2.0 * torch.cos(torch.pi * k * m / (n_mels - 1))
    basis[:, 0] /= 2.0
    basis[:, -1] /= 2.0
    if norm == "ortho":  # scipy's orthonormal DCT-I: end samples weighted sqrt(2), end rows / sqrt(2)
        basis[:, 0] *= math.sqrt(2.0)
        basis[:, -1] *= math.sqrt(2.0)
        basis *= math.sqrt(1.0 / (2.0 * (n_mels - 1)))
        basis[0] /= math.sqrt(2.0)
        if n_mfcc == n_mels:
            basis[-1] /= math.sqrt(2.0)
    return basis.to(dtype)


def lifter_weights(n_mfcc: int, lifter: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Cepstral lifter ``1 + (lifter / 2) sin(pi (k + 1) / lifter)`` for ``k = 0 .. n_mfcc - 1``
    (librosa's and HTK's); all ones for ``lifter == 0``.

    Returns:
        Shape ``(n_mfcc,)``.
    """
    n_mfcc, lifter = bounded_int("n_mfcc", n_mfcc, MAX_BANDS), non_negative_float("lifter", lifter)
    if 0 < lifter < MIN_LIFTER:  # as MfccParams: sin(pi k / lifter) of a subnormal lifter is NaN
        raise InvalidInputError(f"lifter must be 0 (none) or at least {MIN_LIFTER}, got {lifter}")
    if lifter == 0:
        return torch.ones(n_mfcc, dtype=dtype)
    k = torch.arange(1, n_mfcc + 1, dtype=torch.float64)
    return (1.0 + (lifter / 2.0) * torch.sin(torch.pi * k / lifter)).to(dtype)


def _warn_empty(name: str, weights: np.ndarray, advice: str):
    empty = np.flatnonzero(weights.max(axis=1) == 0)
    if empty.size:
        warnings.warn(f"{empty.size} of {weights.shape[0]} {name} filters are empty (no FFT bin falls inside "
                      f"them); {advice}", stacklevel=3)
