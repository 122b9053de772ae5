"""Layers applied to features: SpecAugment masking, utterance normalisation and deltas."""

from __future__ import annotations

from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import (
    bounded_float,
    finite_float,
    one_of,
    positive_float,
)
from .._deltas import edge_matrices, savgol_coefficients
from ..errors import InvalidInputError


class _AxisMasking(nn.Module):
    """SpecAugment masking of one band of rows (frequency) or columns (time), as torchaudio's."""

    def __init__(self, name: str, mask_param: int, axis: int, iid_masks: bool, p: float, mask_value: float):
        super().__init__()
        if isinstance(mask_param, bool) or not isinstance(mask_param, int) or not 0 <= mask_param <= 2**31 - 1:
            raise InvalidInputError(f"{name} must be an int in [0, 2**31 - 1], got {mask_param!r}")
        # NaN/inf would fill the features with them; beyond float32's range it cannot fill float32 features
        float32_max = float(torch.finfo(torch.float32).max)
        mask_value = bounded_float("mask_value", mask_value, -float32_max, float32_max)
        p = finite_float("p", p)
        if not 0.0 <= p <= 1.0:
            raise InvalidInputError(f"p must be in [0, 1], got {p}")
        self.mask_param, self.axis, self.iid_masks, self.p, self.mask_value = mask_param, axis, iid_masks, p, mask_value
        self._name = type(self).__name__  # for messages (TorchScript has no type())

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        """Masks one random band.

        Args:
            specgram: ``(..., bins, frames)``.

        Returns:
            The same shape; a random band of width ``[0, mask_param)`` set to ``mask_value`` (one band
            for the whole batch, or one per item and channel with ``iid_masks``). In eval mode the input
            is returned unchanged.
        """
        if specgram.dim() < 2:
            raise InvalidInputError(f"{self._name} needs a spectrogram of shape (..., bins, frames), "
                                    f"got shape {list(specgram.shape)}")
        if not self.training:
            return specgram
        size = specgram.shape[self.axis]
        mask_param = self.mask_param if self.p == 1.0 else min(self.mask_param, int(size * self.p))
        if mask_param < 1:
            return specgram
        # Per item and channel with iid_masks, else one band for all; drawn on the device (no sync).
        lead: List[int] = list(specgram.shape[:-2]) if self.iid_masks else []
        width = torch.rand(lead, device=specgram.device) * mask_param
        start = torch.rand(lead, device=specgram.device) * (size - width)
        start, end = start.long()[..., None], (start.long() + width.long())[..., None]
        positions = torch.arange(size, device=specgram.device)
        mask = (positions >= start) & (positions < end)  # (*lead, size)
        mask = mask[..., :, None] if self.axis == -2 else mask[..., None, :]
        return specgram.masked_fill(mask, self.mask_value)

    def extra_repr(self) -> str:
        return f"mask_param={self.mask_param}, iid_masks={self.iid_masks}, p={self.p}, mask_value={self.mask_value}"


class FrequencyMasking(_AxisMasking):
    """SpecAugment frequency masking: a random band of ``[0, freq_mask_param)`` rows set to ``mask_value``.

    As ``torchaudio.transforms.FrequencyMasking``, but active only in training mode (identity after
    ``model.eval()``, so it can stay in an inference pipeline). ``mask_value`` defaults to 0; for dB
    features use the floor (e.g. -80). Input and output ``(..., bins, frames)``.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False, mask_value: float = 0.0):
        super().__init__("freq_mask_param", freq_mask_param, -2, iid_masks, 1.0, mask_value)


class TimeMasking(_AxisMasking):
    """SpecAugment time masking: a random run of ``[0, time_mask_param)`` frames set to ``mask_value``,
    at most the fraction ``p`` of the frames.

    As ``torchaudio.transforms.TimeMasking``, but active only in training mode. Input and output
    ``(..., bins, frames)``.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0, mask_value: float = 0.0):
        super().__init__("time_mask_param", time_mask_param, -1, iid_masks, p, mask_value)


class UtteranceNorm(nn.Module):
    """Per-utterance mean and variance normalisation (CMVN) of each bin over the valid frames.

    Args:
        normalize_variance: also divide by the standard deviation (default True); False only
            subtracts the mean.
        eps: added to the variance (default 1e-5).

    Call as ``norm(x)`` or ``norm(x, lengths)``: ``x`` is ``(batch, [channels,] bins, frames)``,
    ``lengths`` the int frame counts ``(batch,)`` of a padded batch (e.g. from the feature layer's
    ``frame_lengths``). With lengths the statistics use only each item's own frames, and the padded
    frames of the output are 0.
    """

    def __init__(self, normalize_variance: bool = True, eps: float = 1e-5):
        super().__init__()
        self.normalize_variance, self.eps = bool(normalize_variance), positive_float("eps", eps)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            mean = x.mean(dim=-1, keepdim=True)
            centred = x - mean
            if not self.normalize_variance:
                return centred
            return centred * torch.rsqrt(centred.square().mean(dim=-1, keepdim=True) + self.eps)
        if x.dim() < 3 or lengths.dim() != 1 or lengths.shape[0] != x.shape[0]:
            raise InvalidInputError(
                f"lengths must have shape (batch,) = ({x.shape[0]},) for input (batch, ..., bins, frames), "
                f"got lengths {list(lengths.shape)} for input {list(x.shape)}"
            )
        broadcast = [x.shape[0]] + [1] * (x.dim() - 2)
        mask = (torch.arange(x.shape[-1], device=lengths.device) < lengths[:, None])  # lengths_to_mask
        mask = mask.reshape(broadcast + [x.shape[-1]]).to(x.dtype)
        count = lengths.reshape(broadcast + [1]).clamp(min=1).to(x.dtype)
        mean = (x * mask).sum(dim=-1, keepdim=True) / count
        centred = (x - mean) * mask
        if not self.normalize_variance:
            return centred
        return centred * torch.rsqrt(centred.square().sum(dim=-1, keepdim=True) / count + self.eps)

    def extra_repr(self) -> str:
        return f"normalize_variance={self.normalize_variance}, eps={self.eps}"


class ComputeDeltas(nn.Module):
    """Delta (time-derivative) coefficients along the frames axis, as ``torchaudio.transforms.ComputeDeltas``
    and ``librosa.feature.delta``.

    The ``order``-th Savitzky-Golay derivative over ``win_length`` frames (order 1 is torchaudio's
    ``d_t = sum_n n (c_{t+n} - c_{t-n}) / (2 sum n^2)``), the edges padded by ``mode``
    (``"replicate"`` default, ``"reflect"``, ``"circular"``, ``"constant"``) or, with librosa's
    ``"interp"``, fitted by the polynomial through the first/last ``win_length`` frames. The weights
    are float64 numbers cast to the input's dtype in forward, so a float64 input is float64-exact
    whatever dtype the module was moved to. Input and output ``(..., bins, frames)``.
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate", order: int = 1):
        super().__init__()
        if isinstance(win_length, bool) or not isinstance(win_length, int) or win_length < 3:
            raise InvalidInputError(f"win_length must be an int >= 3, got {win_length!r}")
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order < win_length:
            raise InvalidInputError(f"order must be an int in [1, win_length={win_length}), got {order!r}")
        self.win_length, self.order = win_length, order
        self.mode = one_of("mode", mode, ("replicate", "reflect", "circular", "constant", "interp"))
        # An even win_length uses the centred odd window below it, as torchaudio does.
        width = 2 * ((win_length - 1) // 2) + 1
        if width <= order:
            raise InvalidInputError(f"order={order} needs win_length > {order} (odd), got {win_length}")
        self._width = width
        self._coeffs: List[float] = savgol_coefficients(width, order, order)
        left, right = edge_matrices(width, order, order)
        self._left: List[List[float]] = left
        self._right: List[List[float]] = right

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        n = (self._width - 1) // 2
        frames = specgram.shape[-1]
        flat = specgram.reshape(-1, 1, frames)
        kernel = torch.tensor(self._coeffs, dtype=specgram.dtype, device=specgram.device).reshape(1, 1, -1)
        if self.mode == "interp":
            if frames < self._width:
                raise InvalidInputError(f"mode='interp' needs at least win_length={self._width} frames, got {frames}")
            inner = F.conv1d(flat, kernel)
            left = torch.tensor(self._left, dtype=specgram.dtype, device=specgram.device)
            right = torch.tensor(self._right, dtype=specgram.dtype, device=specgram.device)
            out = torch.cat([flat[..., :self._width] @ left.T, inner, flat[..., frames - self._width:] @ right.T], dim=-1)
            return out.reshape(specgram.shape)
        padded = F.pad(flat, (n, n), mode=self.mode)
        return F.conv1d(padded, kernel).reshape(specgram.shape)

    def extra_repr(self) -> str:
        return f"win_length={self.win_length}, mode={self.mode!r}, order={self.order}"
