"""Plans: everything about a spectrogram that does not depend on the signal, built once.

A plan holds the parameters, the window and the filterbank (in CSR form, per dtype); its
:meth:`SpectrogramPlan.compute` runs one native pass per call. Build a plan once and call it on many
signals; the ``compute_*`` functions use the same plans through a small cache.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from . import ops
from .errors import InvalidInputError, InvalidTypeError
from .filterbanks import Filterbank, mel_filterbank
from .inputs import as_signal
from .params import LogParams, MelParams, SpectrogramParams, StftParams
from .results import Spectrogram, StftResult

__all__ = ["SpectrogramPlan", "SpectrogramPlanner", "window_tensor"]

_SCALES = ("power", "magnitude", "db")


@functools.lru_cache(maxsize=64)
def window_tensor(stft: StftParams, dtype: torch.dtype) -> torch.Tensor:
    """The window of ``stft`` as a tensor of shape ``(n_fft,)`` (cached; do not modify it)."""
    return stft.window.coefficients(stft.n_fft, dtype)


def _check_type(name: str, value, expected: type):
    if not isinstance(value, expected):
        raise InvalidTypeError(f"{name} must be a {expected.__name__}, got {type(value).__name__}")


class SpectrogramPlan:
    """A reusable spectrogram computation.

    Args:
        params: framing, window and sample rate.
        scale: ``"power"`` (``|X|^2``), ``"magnitude"`` (``|X|``) or ``"db"`` (power in dB).
        filterbank: bands to map the FFT bins to (None for the linear spectrogram).
        db_params: the dB floor, for ``scale="db"`` (default ``LogParams()``, -80 dB).
    """

    def __init__(self, params: SpectrogramParams, *, scale: str = "power", filterbank: Filterbank | None = None,
                 db_params: LogParams | None = None):
        _check_type("params", params, SpectrogramParams)
        if scale not in _SCALES:
            raise InvalidInputError(f"scale must be one of {_SCALES}, got {scale!r}")
        if db_params is not None:
            _check_type("db_params", db_params, LogParams)
        self.params = params
        self.scale = scale
        self.filterbank = filterbank
        self.db_params = (db_params or LogParams()) if scale == "db" else None

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
        filterbank = self.filterbank.csr(signal.dtype) if self.filterbank is not None else None
        try:
            return ops.spectrogram(
                signal, window_tensor(stft, signal.dtype).to(signal.device), n_fft=stft.n_fft,
                hop_length=stft.hop_size, center=stft.centre, pad_mode=stft.pad_mode,
                power=1.0 if self.scale == "magnitude" else 2.0, filterbank=filterbank,
                floor_db=self.db_params.floor_db if self.db_params else None,
            )
        except ValueError as error:
            raise InvalidInputError(str(error)) from None

    def compute(self, samples) -> Spectrogram:
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
            tensor, self.frequencies, self.params.frame_times(tensor.shape[-1]), self.params,
            scale=self.scale, frequency_scale=self.filterbank.name if self.filterbank is not None else "linear",
            band_params=band_params, db_params=self.db_params, n_samples=signal.shape[-1],
        )

    def __call__(self, samples) -> Spectrogram:
        return self.compute(samples)

    def __repr__(self):
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
        return SpectrogramPlan(params, scale="power", filterbank=_mel(params, mel_params))

    def mel_magnitude_plan(self, params: SpectrogramParams, mel_params: MelParams) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="magnitude", filterbank=_mel(params, mel_params))

    def mel_db_plan(self, params: SpectrogramParams, mel_params: MelParams,
                    db_params: LogParams | None = None) -> SpectrogramPlan:
        return SpectrogramPlan(params, scale="db", filterbank=_mel(params, mel_params), db_params=db_params)


def _mel(params: SpectrogramParams, mel_params: MelParams) -> Filterbank:
    _check_type("params", params, SpectrogramParams)
    _check_type("mel_params", mel_params, MelParams)
    return mel_filterbank(params, mel_params)


@functools.lru_cache(maxsize=64)
def cached_plan(kind: str, *args) -> SpectrogramPlan:
    """The plan ``SpectrogramPlanner().<kind>_plan(*args)``, shared between calls with equal parameters."""
    return getattr(SpectrogramPlanner(), f"{kind}_plan")(*args)


def compute_stft_tensor(signal: torch.Tensor, params: SpectrogramParams) -> torch.Tensor:
    stft = params.stft
    stft.n_frames(signal.shape[-1])
    try:
        return ops.stft(signal, window_tensor(stft, signal.dtype).to(signal.device), n_fft=stft.n_fft,
                        hop_length=stft.hop_size, center=stft.centre, pad_mode=stft.pad_mode)
    except ValueError as error:
        raise InvalidInputError(str(error)) from None


def stft_result(samples, params: SpectrogramParams) -> StftResult:
    _check_type("params", params, SpectrogramParams)
    signal = as_signal(samples)
    tensor = compute_stft_tensor(signal, params)
    return StftResult(tensor, params.bin_frequencies(), params.frame_times(tensor.shape[-1]), params,
                      signal.shape[-1])
