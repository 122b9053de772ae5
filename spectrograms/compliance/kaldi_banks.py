"""Kaldi's mel scale and triangular mel filters (``MelBanks``, with VTLN warping), as
``torchaudio.compliance.kaldi`` builds them, and the option checks they share with
:mod:`spectrograms.compliance.kaldi` (which re-exports the public names)."""

from __future__ import annotations

import math
import numbers

import torch

from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["get_mel_banks", "mel_scale", "inverse_mel_scale"]

def mel_scale(frequency):
    """Kaldi's mel scale ``1127 ln(1 + f / 700)`` (tensor or float)."""
    if isinstance(frequency, torch.Tensor):
        return 1127.0 * torch.log1p(frequency / 700.0)
    return 1127.0 * math.log1p(frequency / 700.0)


def inverse_mel_scale(mel):
    """Inverse of :func:`mel_scale`: ``700 (exp(m / 1127) - 1)``."""
    if isinstance(mel, torch.Tensor):
        return 700.0 * torch.expm1(mel / 1127.0)
    return 700.0 * math.expm1(mel / 1127.0)


# --- Options --------------------------------------------------------------------------------------


def _number(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidTypeError(f"{name} must be a finite real number, got {type(value).__name__} {value!r}")
    return float(value)


def _integer(name, value, minimum) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def _warp_frequency(freq, vtln_low, vtln_high, low_freq, high_freq, warp):
    """Kaldi's piecewise-linear VTLN warp of frequencies (Hz): linear by ``1 / warp`` between the
    inflection points, with the two outer pieces bent so ``low_freq`` and ``high_freq`` stay put."""
    lower = vtln_low * max(1.0, warp)
    upper = vtln_high * min(1.0, warp)
    scale = 1.0 / warp
    scale_left = (scale * lower - low_freq) / (lower - low_freq)
    scale_right = (high_freq - scale * upper) / (high_freq - upper)
    warped = torch.where(freq < lower, low_freq + scale_left * (freq - low_freq),
                         torch.where(freq < upper, scale * freq, high_freq + scale_right * (freq - high_freq)))
    return torch.where((freq < low_freq) | (freq > high_freq), freq, warped)


def get_mel_banks(num_bins: int, window_length_padded: int, sample_freq: float, low_freq: float,
                  high_freq: float, vtln_low: float, vtln_high: float, vtln_warp_factor: float,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Kaldi's triangular mel filters (equal width in Kaldi's mel scale), optionally VTLN-warped.

    Returns:
        ``(banks, centre_frequencies)``: float64 shapes ``(num_bins, window_length_padded // 2)`` (no
        Nyquist column, as torchaudio) and ``(num_bins,)`` in Hz.

    Raises:
        InvalidInputError: fewer than 4 bins, cut-offs outside ``[0, nyquist]`` or crossed, VTLN points
            outside ``(low_freq, high_freq)``, or a filter no FFT bin falls into (too many bins).
    """
    num_bins = _integer("num_mel_bins", num_bins, 4)
    nyquist = 0.5 * sample_freq
    low_freq, high_freq = _number("low_freq", low_freq), _number("high_freq", high_freq)
    vtln_low, vtln_high = _number("vtln_low", vtln_low), _number("vtln_high", vtln_high)
    vtln_warp_factor = _number("vtln_warp", vtln_warp_factor)
    if high_freq <= 0.0:
        high_freq += nyquist  # zero or negative: an offset from Nyquist
    if not (0.0 <= low_freq < nyquist and 0.0 < high_freq <= nyquist and low_freq < high_freq):
        raise InvalidInputError(f"low_freq={low_freq} and high_freq={high_freq} (after offsetting a value <= 0 "
                                f"from Nyquist) must satisfy 0 <= low_freq < high_freq <= nyquist={nyquist}")
    if vtln_high < 0.0:
        vtln_high += nyquist
    if vtln_warp_factor <= 0.0:
        raise InvalidInputError(f"vtln_warp must be > 0, got {vtln_warp_factor}")
    if vtln_warp_factor != 1.0 and not (low_freq < vtln_low < high_freq and 0.0 < vtln_high < high_freq
                                        and vtln_low < vtln_high):
        raise InvalidInputError(f"vtln_low={vtln_low} and vtln_high={vtln_high} (after offsetting a negative value "
                                f"from Nyquist) must satisfy low_freq={low_freq} < vtln_low < vtln_high < "
                                f"high_freq={high_freq}")
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high_freq)
    step = (mel_high - mel_low) / (num_bins + 1)
    points = mel_low + step * torch.arange(num_bins + 2, dtype=torch.float64)
    if vtln_warp_factor != 1.0:
        points = mel_scale(_warp_frequency(inverse_mel_scale(points), vtln_low, vtln_high, low_freq, high_freq,
                                           vtln_warp_factor))
    left, centre, right = points[:-2, None], points[1:-1, None], points[2:, None]
    bin_mels = mel_scale(sample_freq / window_length_padded
                         * torch.arange(window_length_padded // 2, dtype=torch.float64))[None, :]
    rising = (bin_mels - left) / (centre - left)
    falling = (right - bin_mels) / (right - centre)
    if vtln_warp_factor == 1.0:
        banks = torch.minimum(rising, falling).clamp(min=0.0)
    else:  # warping can reorder the three points, so pick each side by where the bin lies
        banks = torch.where((bin_mels > left) & (bin_mels <= centre), rising,
                            torch.where((bin_mels > centre) & (bin_mels < right), falling, 0.0))
    empty = torch.nonzero(banks.amax(dim=1) <= 0).flatten()
    if empty.numel():
        raise InvalidInputError(f"num_mel_bins={num_bins} is too many for a {window_length_padded}-point FFT "
                                f"between {low_freq} and {high_freq} Hz: mel bin {int(empty[0])} holds no FFT bin "
                                "(use fewer bins or a longer frame_length)")
    return banks, inverse_mel_scale(points[1:-1])
