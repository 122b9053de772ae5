"""The binaural compute functions: one native STFT call over every channel, then elementwise tensor
arithmetic on the band of bins (no loop over frames or bins)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import ops
from .._dtype import resolve_dtype
from .._validate import call_native, check_type, check_unread_samples_finite
from ..errors import DimensionMismatchError, InvalidInputError
from ..inputs import as_signal
from .params import (
    ILDSpectrogramParams,
    ILRSpectrogramParams,
    IPDSpectrogramParams,
    ITDSpectrogramParams,
    _BandParams,
)
from .results import IldSpectrogram, IlrSpectrogram, IpdSpectrogram, ItdSpectrogram

# The seed's conversion of a mean ITD to degrees of azimuth: 0.86 ms is taken as 90 degrees.
_ITD_AT_90_DEGREES = 0.00086


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
    window = stft.window.coefficients(stft.n_fft, signal.dtype).to(signal.device)
    check_unread_samples_finite(signal, stft.n_fft, stft.hop_size, stft.centre)
    spectrum = call_native(ops.stft, signal, window, n_fft=stft.n_fft, hop_length=stft.hop_size,
                           center=stft.centre, pad_mode=stft.pad_mode)
    start, stop = params._bins
    return spectrum[..., start:stop, :]


def _magnitude(spectrum: torch.Tensor) -> torch.Tensor:
    """``sqrt(re^2 + im^2)``, the seed's magnitude (not ``hypot``: the zero test below must see the same
    underflow of ``|X|^2`` that the seed's does)."""
    parts = torch.view_as_real(spectrum)
    squared = parts[..., 0].square() + parts[..., 1].square()
    # Where |X|^2 leaves the dtype's range (|X| above about 1.8e19 in float32) the seed's formula gives
    # inf, and the ILD/ILR of two infinities is NaN: there hypot gives |X| itself, which fits.
    return torch.where(torch.isinf(squared), torch.hypot(parts[..., 0], parts[..., 1]), squared.sqrt())


def _angle(spectrum: torch.Tensor, magnitude: torch.Tensor) -> torch.Tensor:
    """``angle(X)``, 0 where ``|X|`` is 0 (the seed takes the phase of such a bin as 1 + 0i). The seed
    takes the angle of ``X / |X|``, which differs from ``atan2(im, re)`` by rounding only."""
    parts = torch.view_as_real(spectrum)
    angle = torch.atan2(parts[..., 1], parts[..., 0])
    return torch.where(magnitude > 0, angle, torch.zeros_like(angle))


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
    left_magnitude, right_magnitude = _magnitude(left), _magnitude(right)
    left_angle, right_angle = _angle(left, left_magnitude), _angle(right, right_magnitude)
    power = params.magphase_power
    intensity = left_magnitude.pow(power) + right_magnitude.pow(power)
    start, stop = params._bins
    real = left_magnitude.dtype
    # Divided as the seed divides: wrapped / ((2 pi * df) * k), in the compute precision.
    device = left_magnitude.device
    scale = (torch.tensor(2 * math.pi, dtype=real, device=device)
             * torch.tensor(params._bin_width, dtype=real, device=device)
             * torch.arange(start, stop, dtype=real, device=device)).unsqueeze(-1)
    itd = _wrap(left_angle - right_angle) / scale
    return torch.where(intensity > 0, itd, torch.zeros_like(itd))


def _ilr(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    left_magnitude, right_magnitude = _magnitude(left), _magnitude(right)
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
    ipd = _angle(left, _magnitude(left)) - _angle(right, _magnitude(right))
    if params.wrapped:
        ipd = _wrap(ipd)
    return IpdSpectrogram(ipd, params, *_axes(params, ipd.shape[-1]))


def compute_ild_spectrogram(audio, params: ILDSpectrogramParams, dtype: str | None = None) -> IldSpectrogram:
    """Interaural level difference spectrogram (dB, ``-20 log10(|R| / |L|)``) of a stereo signal;
    arguments, shapes and errors as :func:`compute_itd_spectrogram`."""
    left, right = _channels(audio, params, ILDSpectrogramParams, dtype)
    left_magnitude, right_magnitude = _magnitude(left), _magnitude(right)
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
    degrees = (per_frame.abs() * torch.tensor(1.0 / _ITD_AT_90_DEGREES, dtype=real, device=per_frame.device)
               * torch.tensor(90.0, dtype=real, device=per_frame.device)).mean(-1)
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
