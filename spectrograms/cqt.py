"""The constant-Q transform of the seed library: ``CqtParams``, the three CQT plans and their one-call
functions.

Definition (the seed's, which users' trained models have seen). Each frame is the *unwindowed* run of
``n_fft`` samples the STFT would frame (centre padding with zeros). Bin ``b`` has the centre frequency
``f_b = f_min 2^(b / bins_per_octave)`` and a kernel of ``L_b = round(q sr / f_b)`` samples (clipped to
``[1, n_fft]``), a symmetric window times ``exp(2 pi i f_b n / sr)``, whose entries below
``sparsity_threshold`` times its largest magnitude are zeroed and which is then scaled to unit energy.
The kernel is aligned with the *end* of the frame: ``c_b = sum_k conj(kernel_b[k]) frame[n_fft - L_b + k]``.
Power is ``|c_b|^2``, magnitude ``|c_b|``, dB ``10 log10(max(power, 10^(floor_db / 10)))``.

All kernels sit in one ``(2 n_bins, n_fft)`` real matrix (real and imaginary parts), so a whole batch
of frames is one matrix product; no loop over frames or bins.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import torch

from ._dtype import plan_dtype
from ._validate import (MAX_BANDS, MAX_HOP, MAX_N_FFT, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, allocation, bounded_float,
                        bounded_int, check_type, positive_float)
from .errors import InvalidInputError
from .inputs import as_signal
from .params import LogParams, SpectrogramParams, WindowType
from .results import Spectrogram
from .typed_plans import check_frame_request

__all__ = [
    "CqtParams",
    "CqtPlan",
    "CqtPowerPlan",
    "CqtMagnitudePlan",
    "CqtDbPlan",
    "compute_cqt_power_spectrogram",
    "compute_cqt_magnitude_spectrogram",
    "compute_cqt_db_spectrogram",
    "cqt_kernels",
    "cqt_tensor",
    "blocked_kernels",
]

@dataclasses.dataclass(frozen=True)
class CqtParams:
    """Constant-Q bins: ``bins_per_octave * n_octaves`` bins from ``f_min`` Hz upwards.

    Args:
        bins_per_octave: bins per octave (12 for semitones).
        n_octaves: octaves spanned.
        f_min: centre frequency of the lowest bin in Hz (finite, > 0).
        q_factor: quality factor ``f_b / bandwidth_b``; None means ``1 / (2^(1 / bins_per_octave) - 1)``,
            one bin's spacing.
        window: the window of each kernel (default Hann), symmetric as the seed library's.
        sparsity_threshold: kernel entries below this fraction of the kernel's largest magnitude are
            zeroed (default 0.01; 0 keeps all).
        normalize: scale each kernel to unit energy (default True).
    """

    bins_per_octave: int
    n_octaves: int
    f_min: float
    q_factor: float | None = None
    window: WindowType = WindowType.hanning
    sparsity_threshold: float = 0.01
    normalize: bool = True

    def __post_init__(self):
        bins_per_octave = bounded_int("bins_per_octave", self.bins_per_octave, MAX_BANDS)
        n_octaves = bounded_int("n_octaves", self.n_octaves, MAX_BANDS)
        if bins_per_octave * n_octaves > MAX_BANDS:
            raise InvalidInputError(f"bins_per_octave * n_octaves must be at most {MAX_BANDS}, "
                                    f"got {bins_per_octave} * {n_octaves}")
        object.__setattr__(self, "bins_per_octave", bins_per_octave)
        object.__setattr__(self, "n_octaves", n_octaves)
        object.__setattr__(self, "f_min", positive_float("f_min", self.f_min))
        q_factor = 1.0 / (2.0 ** (1.0 / bins_per_octave) - 1.0) if self.q_factor is None else self.q_factor
        object.__setattr__(self, "q_factor", positive_float("q_factor", q_factor))
        check_type("window", self.window, WindowType)
        threshold = self.sparsity_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold < 1.0:
            raise InvalidInputError(f"sparsity_threshold must be a number in [0, 1), got {threshold!r}")
        object.__setattr__(self, "sparsity_threshold", float(threshold))
        if not isinstance(self.normalize, bool):
            raise InvalidInputError(f"normalize must be True or False, got {self.normalize!r}")

    @property
    def num_bins(self) -> int:
        """``bins_per_octave * n_octaves``."""
        return self.bins_per_octave * self.n_octaves

    @property
    def frequencies(self) -> np.ndarray:
        """Centre frequency of each bin in Hz, shape ``(num_bins,)``."""
        return self.f_min * np.exp2(np.arange(self.num_bins) / self.bins_per_octave)

    def __repr__(self):
        return f"CqtParams(num_bins={self.num_bins})"


def kernel_lengths(cqt_params: CqtParams, sample_rate: float, n_fft: int) -> np.ndarray:
    """Samples of each bin's kernel, ``round(q sr / f_b)`` (half away from zero, as the seed library
    rounds) clipped to ``[1, n_fft]``; non-increasing, as the bins rise in frequency."""
    lengths = np.floor(cqt_params.q_factor * sample_rate / cqt_params.frequencies + 0.5)
    return np.clip(lengths, 1, n_fft).astype(np.int64)


def _kernel_arguments(cqt_params, sample_rate, n_fft) -> tuple[CqtParams, float, int]:
    """The kernels' arguments checked before the cache (which needs them hashable) and before the
    ``(2 * num_bins, n_fft)`` matrix is allocated."""
    check_type("cqt_params", cqt_params, CqtParams)
    sample_rate = bounded_float("sample_rate", sample_rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    n_fft = bounded_int("n_fft", n_fft, MAX_N_FFT)
    allocation("n_fft and cqt_params", 2 * cqt_params.num_bins, n_fft)
    return cqt_params, sample_rate, n_fft


def cqt_kernels(cqt_params: CqtParams, sample_rate: float, n_fft: int) -> torch.Tensor:
    """The kernels as a float64 tensor of shape ``(2 * num_bins, n_fft)``: rows ``2b`` and ``2b + 1``
    are the real part and the negated imaginary part of ``conj(kernel_b)``, placed at the end of the
    frame, so that ``kernels @ frame`` gives the real and imaginary parts of every bin (cached; do not
    modify it).

    Raises:
        InvalidInputError: the top bin at or above the Nyquist frequency.
    """
    return _cqt_kernels(*_kernel_arguments(cqt_params, sample_rate, n_fft))


@functools.lru_cache(maxsize=32)
def _cqt_kernels(cqt_params: CqtParams, sample_rate: float, n_fft: int) -> torch.Tensor:
    frequencies = cqt_params.frequencies
    if frequencies[-1] >= sample_rate / 2.0:
        raise InvalidInputError(
            f"CQT maximum frequency must be below Nyquist frequency: the top bin of {cqt_params} is "
            f"{frequencies[-1]:.6g} Hz, Nyquist is {sample_rate / 2.0:.6g} Hz at sample_rate={sample_rate:g} "
            "(lower f_min or n_octaves, or raise the sample rate)")
    # round() half away from zero, as the seed library rounds.
    lengths = kernel_lengths(cqt_params, sample_rate, n_fft)
    kernels = np.zeros((2 * cqt_params.num_bins, n_fft))
    windows = {}
    for row, (frequency, length) in enumerate(zip(frequencies, lengths)):  # once per plan, per bin
        if length not in windows:
            windows[length] = cqt_params.window.coefficients(int(length), periodic=False).numpy()
        phase = 2.0 * math.pi * frequency * (np.arange(length) / sample_rate)
        kernel = windows[length] * (np.cos(phase) + 1j * np.sin(phase))
        magnitude = np.abs(kernel)
        largest = magnitude.max(initial=0.0)
        if cqt_params.sparsity_threshold > 0 and largest > 0:
            kernel[magnitude < largest * cqt_params.sparsity_threshold] = 0
        if cqt_params.normalize:
            energy = np.sum(kernel.real ** 2 + kernel.imag ** 2)
            if energy > 0:
                kernel = kernel * (1.0 / math.sqrt(energy))
        kernels[2 * row, n_fft - length:] = kernel.real
        kernels[2 * row + 1, n_fft - length:] = -kernel.imag
    return torch.from_numpy(kernels)


# Above this many hop-sized blocks per frame the per-block products get too thin and copying the
# frames out (one product) is faster.
_MAX_BLOCKS = 64


def blocked_kernels(cqt_params: CqtParams, sample_rate: float, n_fft: int,
                    hop_length: int) -> tuple[torch.Tensor, list[int]]:
    """:func:`cqt_kernels` laid out for :func:`cqt_tensor`: the matrix zero-padded to a whole number of
    hops, and for each hop-sized block of the frame the number of leading rows with a non-zero entry in
    it (kernels end with the frame, so the long low-frequency ones come first). An empty list (more
    than ``_MAX_BLOCKS`` blocks) means "frame by copying", with the unpadded matrix."""
    return _blocked_kernels(*_kernel_arguments(cqt_params, sample_rate, n_fft),
                            bounded_int("hop_length", hop_length, MAX_HOP))


@functools.lru_cache(maxsize=32)
def _blocked_kernels(cqt_params: CqtParams, sample_rate: float, n_fft: int,
                     hop_length: int) -> tuple[torch.Tensor, list[int]]:
    kernels = _cqt_kernels(cqt_params, sample_rate, n_fft)
    n_blocks = -(-n_fft // hop_length)
    if n_blocks > _MAX_BLOCKS:
        return kernels, []
    kernels = torch.nn.functional.pad(kernels, (0, n_blocks * hop_length - n_fft))
    nonzero = kernels.unflatten(1, (n_blocks, hop_length)).ne(0).any(-1)  # (rows, blocks)
    rows = torch.arange(1, kernels.shape[0] + 1)[:, None]
    return kernels, (nonzero * rows).amax(0).tolist()


def cqt_tensor(signal: torch.Tensor, kernels: torch.Tensor, blocks: list[int], n_fft: int, hop_length: int,
               center: bool, scale: str, floor_db: float | None) -> torch.Tensor:
    """The CQT of ``signal`` ``(..., time)`` with the :func:`blocked_kernels` ``kernels`` and ``blocks``
    (``kernels`` in the signal's dtype and device) as ``(..., n_bins, n_frames)`` in ``scale``;
    ``floor_db`` None leaves a dB scale as power."""
    if center:  # zeros, as the seed frames the CQT
        signal = torch.nn.functional.pad(signal, (n_fft // 2, n_fft // 2))
    n_frames = (signal.shape[-1] - n_fft) // hop_length + 1
    if len(blocks) == 0:
        parts = torch.matmul(signal.unfold(-1, n_fft, hop_length), kernels.T)
    else:
        # The signal as rows of one hop: frame t's block a is row t + a, so each block of every frame
        # is one product over a contiguous view, and the frames are never copied out.
        n_rows = n_frames + len(blocks) - 1
        signal = torch.nn.functional.pad(signal, (0, max(0, n_rows * hop_length - signal.shape[-1])))
        rows = signal[..., :n_rows * hop_length].unflatten(-1, (n_rows, hop_length))
        parts = signal.new_zeros(rows.shape[:-2] + (n_frames, kernels.shape[0]))
        for block, active in enumerate(blocks):  # once per block of a frame, not per frame
            if active > 0:
                part = kernels[:active, block * hop_length:(block + 1) * hop_length]
                parts[..., :active] += torch.matmul(rows[..., block:block + n_frames, :], part.T)
    # parts: (..., n_frames, 2 n_bins), real and imaginary part of each bin in turn
    power = parts.unflatten(-1, (kernels.shape[0] // 2, 2)).square().sum(-1).transpose(-1, -2)
    if scale == "magnitude":
        return power.sqrt()
    if scale == "db" and floor_db is not None:
        return 10.0 * torch.log10(power.clamp_min(10.0 ** (floor_db / 10.0)))
    return power


class CqtPlan:
    """A reusable CQT spectrogram: the kernels of ``cqt_params`` for the framing of ``params``.

    Args:
        params: framing (``n_fft``, hop, centre) and sample rate; the window is the kernels'.
        cqt_params: the bins.
        scale: ``"power"``, ``"magnitude"`` or ``"db"``.
        db_params: the dB floor for ``scale="db"``; None gives the power values, as the seed library's
            dB functions do without ``LogParams``.
        dtype: ``"float32"`` or ``"float64"`` to cast the input to; None keeps the input's.

    Raises:
        InvalidInputError: the top bin at or above the Nyquist frequency, an unknown scale or dtype.
    """

    def __init__(self, params: SpectrogramParams, cqt_params: CqtParams, *, scale: str = "power",
                 db_params: LogParams | None = None, dtype: str | None = None):
        check_type("params", params, SpectrogramParams)
        check_type("cqt_params", cqt_params, CqtParams)
        if scale not in ("power", "magnitude", "db"):
            raise InvalidInputError(f"scale must be one of 'power', 'magnitude', 'db'; got {scale!r}")
        if db_params is not None:
            check_type("db_params", db_params, LogParams)
        self.params, self.cqt_params, self.scale = params, cqt_params, scale
        self.db_params = db_params if scale == "db" else None
        self._kernels, self._blocks = blocked_kernels(cqt_params, params.sample_rate, params.stft.n_fft,
                                                      params.stft.hop_size)
        self._kernels_by_dtype: dict = {}
        self._dtype = plan_dtype(dtype)
        self.dtype = dtype

    @property
    def n_bins(self) -> int:
        return self.cqt_params.num_bins

    @property
    def frequencies(self) -> np.ndarray:
        return self.cqt_params.frequencies

    def output_shape(self, n_samples: int) -> tuple[int, int]:
        """``(n_bins, n_frames)`` of the result for a signal of ``n_samples`` samples."""
        return self.n_bins, self.params.stft.n_frames(n_samples)

    def kernels(self, dtype: torch.dtype, device=None) -> torch.Tensor:
        """:func:`cqt_kernels` as a tensor in ``dtype`` on ``device`` (cached per dtype and device)."""
        key = (dtype, torch.device(device or "cpu"))
        if key not in self._kernels_by_dtype:
            self._kernels_by_dtype[key] = self._kernels.to(dtype=dtype, device=key[1])
        return self._kernels_by_dtype[key]

    def apply(self, signal: torch.Tensor) -> torch.Tensor:
        """The CQT of a float tensor ``(..., time)`` as a tensor ``(..., n_bins, n_frames)``;
        differentiable, and compilable (plain torch operations)."""
        stft = self.params.stft
        stft.n_frames(signal.shape[-1])  # clear errors for empty and too-short signals
        if not torch.compiler.is_compiling():  # a host sync, which a compiled graph should not carry
            if not bool(torch.isfinite(signal).all()):
                raise InvalidInputError("samples must be finite; the signal has NaN or Inf values")
        floor_db = self.db_params.floor_db if self.db_params is not None else None
        return cqt_tensor(signal, self.kernels(signal.dtype, signal.device), self._blocks, stft.n_fft,
                          stft.hop_size, stft.centre, self.scale, floor_db)

    def _signal(self, samples) -> torch.Tensor:
        signal = as_signal(samples)
        return signal if self._dtype is None else signal.to(self._dtype)

    def compute(self, samples) -> Spectrogram:
        """The CQT spectrogram of one signal ``(time,)`` or a batch ``(batch, time)``, shape
        ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``."""
        signal = self._signal(samples)
        tensor = self.apply(signal)
        return Spectrogram(tensor, self.frequencies, None, self.params, scale=self.scale, frequency_scale="cqt",
                           band_params=self.cqt_params, db_params=self.db_params, n_samples=signal.shape[-1])

    def __call__(self, samples) -> Spectrogram:
        return self.compute(samples)

    def compute_frame(self, samples, frame_idx: int) -> np.ndarray:
        """Frame ``frame_idx`` of the CQT of one signal ``(time,)``, shape ``(n_bins,)``."""
        signal = self._signal(samples)
        stft = self.params.stft
        frame_idx = check_frame_request(signal, stft, frame_idx)
        pad = stft.n_fft // 2 if stft.centre else 0
        start = frame_idx * stft.hop_size - pad
        # The frame's own samples with the zeros of the centre padding, framed without centring.
        frame = signal[max(start, 0):start + stft.n_fft]
        frame = torch.nn.functional.pad(frame, (max(-start, 0), stft.n_fft - frame.shape[-1] - max(-start, 0)))
        framing = SpectrogramParams(type(stft)(stft.n_fft, stft.hop_size, stft.window, False), self.params.sample_rate)
        plan = CqtPlan(framing, self.cqt_params, scale=self.scale, db_params=self.db_params)
        return plan.apply(frame)[..., 0].detach().numpy()

    def stream(self):
        """A stream of this plan (every CQT kind: power, magnitude, dB): ``push`` chunks of any size, get
        the new frames, equal to :meth:`apply` on the whole signal; see :mod:`spectrograms.stream`."""
        from .stream import cqt_stream
        return cqt_stream(self)

    def __repr__(self):
        return f"{type(self).__name__}({self.scale}, n_bins={self.n_bins}, params={self.params})"


class CqtPowerPlan(CqtPlan):
    """The seed library's ``CqtPowerPlan(params, cqt_params, dtype=None)``: ``|c|^2``."""

    def __init__(self, params: SpectrogramParams, cqt_params: CqtParams, dtype: str | None = None):
        super().__init__(params, cqt_params, scale="power", dtype=dtype)


class CqtMagnitudePlan(CqtPlan):
    """The seed library's ``CqtMagnitudePlan(params, cqt_params, dtype=None)``: ``|c|``."""

    def __init__(self, params: SpectrogramParams, cqt_params: CqtParams, dtype: str | None = None):
        super().__init__(params, cqt_params, scale="magnitude", dtype=dtype)


class CqtDbPlan(CqtPlan):
    """The seed library's ``CqtDbPlan(params, cqt_params, db_params, dtype=None)``: power in dB."""

    def __init__(self, params: SpectrogramParams, cqt_params: CqtParams, db_params: LogParams,
                 dtype: str | None = None):
        check_type("db_params", db_params, LogParams)
        super().__init__(params, cqt_params, scale="db", db_params=db_params, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _cached_cqt_plan(params, cqt_params, scale, db_params, dtype) -> CqtPlan:
    return CqtPlan(params, cqt_params, scale=scale, db_params=db_params, dtype=dtype)


def _compute(samples, params, cqt_params, scale, db_params, dtype) -> Spectrogram:
    try:
        plan = _cached_cqt_plan(params, cqt_params, scale, db_params, dtype)
    except TypeError:  # unhashable arguments: the plan's checks name them
        plan = CqtPlan(params, cqt_params, scale=scale, db_params=db_params, dtype=dtype)
    return plan.compute(samples)


def compute_cqt_power_spectrogram(samples, params: SpectrogramParams, cqt: CqtParams, db: LogParams | None = None,
                                  dtype: str | None = None) -> Spectrogram:
    """CQT power ``|c|^2``, shape ``(n_bins, n_frames)``; ``db`` is accepted and ignored, as the seed
    library ignores it."""
    return _compute(samples, params, cqt, "power", None, dtype)


def compute_cqt_magnitude_spectrogram(samples, params: SpectrogramParams, cqt: CqtParams,
                                      db: LogParams | None = None, dtype: str | None = None) -> Spectrogram:
    """CQT magnitude ``|c|``; ``db`` is accepted and ignored, as the seed library ignores it."""
    return _compute(samples, params, cqt, "magnitude", None, dtype)


def compute_cqt_db_spectrogram(samples, params: SpectrogramParams, cqt: CqtParams, db: LogParams | None = None,
                               dtype: str | None = None) -> Spectrogram:
    """CQT power in dB with the floor of ``db``; without ``db`` the power itself, as the seed library
    gives it."""
    return _compute(samples, params, cqt, "db", db, dtype)
