"""Per-channel energy normalisation (PCEN), with librosa's parameters, defaults and numbers.

``pcen = (S / (eps + M)^gain + bias)^power - bias^power`` where ``M`` is ``S`` (or its maximum over
``max_size`` neighbouring bands) smoothed along time by the first-order IIR filter
``M[t] = b * S[t] + (1 - b) * M[t - 1]``, evaluated in the log domain as librosa does.

The filter runs without a Python loop over frames: blocks of ``_BLOCK`` frames are solved with a
lower-triangular matrix of powers of ``1 - b`` (only non-negative exponents, so nothing overflows on
long inputs), and the block end states, themselves a first-order recursion with coefficient
``(1 - b)^_BLOCK``, are solved the same way recursively (depth ``log_BLOCK(frames)``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validate import MAX_HOP, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, bounded_float, check_type
from .errors import InvalidInputError, InvalidTypeError

__all__ = ["compute_pcen", "pcen_unchecked", "pcen_smoothing_coefficient", "first_order_scan", "PcenPlan"]

_BLOCK = 64


def pcen_smoothing_coefficient(time_constant: float, sr: float, hop_length: int) -> float:
    """librosa's default ``b``: the root of ``b^2 + (1 - b) / T - 2 = 0`` with ``T = time_constant * sr / hop``."""
    time_constant = bounded_float("time_constant", time_constant, 0.0, 1e9)
    sr = bounded_float("sr", sr, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    t_frames = time_constant * sr / bounded_float("hop_length", hop_length, 1e-9, MAX_HOP)
    if t_frames * t_frames < 1e-150:
        # T -> 0: b = 1 - T^2 + O(T^4); librosa's quotient would divide 0 by 0.
        return 1.0 - t_frames * t_frames
    return (math.sqrt(1 + 4 * t_frames ** 2) - 1) / (2 * t_frames ** 2)


def first_order_scan(u: torch.Tensor, decay: torch.Tensor, initial) -> torch.Tensor:
    """``y[t] = u[t] + decay * y[t - 1]`` along the last axis, with ``y[0] = u[0] + initial``.

    Args:
        u: ``(..., frames)``.
        decay: a scalar or a tensor broadcastable to ``(..., 1)`` (e.g. ``(bins, 1)``), in ``[0, 1]``.
        initial: what is added to the first frame, broadcastable to ``(..., 1)``.

    Returns:
        ``y``, the shape of ``u``. Differentiable in all three arguments.
    """
    check_type("u", u, torch.Tensor)
    if u.dim() == 0 or not u.is_floating_point():
        raise InvalidInputError(f"u must be a float tensor (..., frames), got {u.dtype} of shape {tuple(u.shape)}")
    frames = u.shape[-1]
    decay = _broadcastable("decay", decay, u)
    initial = _broadcastable("initial", initial, u)
    if frames == 0:
        return u
    block = max(1, min(_BLOCK, frames))
    n_blocks = -(-frames // block)
    blocks = torch.nn.functional.pad(u, (0, n_blocks * block - frames)).reshape(*u.shape[:-1], n_blocks, block)
    steps = torch.arange(block, device=u.device).to(u.dtype)
    lag = steps[:, None] - steps[None, :]
    # decay^lag on and below the diagonal (exponents >= 0 only: no overflow), 0 above it.
    powers = torch.where(lag >= 0, torch.pow(decay[..., None], lag.clamp(min=0)), torch.zeros((), dtype=u.dtype))
    local = torch.matmul(blocks, powers.transpose(-1, -2))
    if n_blocks == 1:
        carry = initial.expand(*torch.broadcast_shapes(initial.shape, (*u.shape[:-1], 1)))
    else:
        # carry_j (added, times decay^i, to frame i of block j) obeys carry_j = decay * local_end_{j-1}
        # + decay^block * carry_{j-1}: the same recursion over blocks, solved recursively.
        ends = decay * local[..., :-1, -1]
        carry = first_order_scan(torch.cat([torch.zeros_like(ends[..., :1]), ends], dim=-1),
                                 torch.pow(decay, block), initial)
    out = local + carry.unsqueeze(-1) * torch.pow(decay[..., None], steps)
    return out.reshape(*u.shape[:-1], n_blocks * block)[..., :frames]


def _broadcastable(name, value, u):
    """``value`` as a tensor like ``u``, refused unless it broadcasts to ``(..., 1)`` of ``u``."""
    try:
        value = torch.as_tensor(value, dtype=u.dtype, device=u.device)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        raise InvalidTypeError(f"{name} must be a number or a tensor, got {type(value).__name__} {value!r:.80}") from None
    target = (*u.shape[:-1], 1)
    try:
        if torch.broadcast_shapes(value.shape, target) != target:
            raise RuntimeError
    except RuntimeError:
        raise InvalidInputError(f"{name} of shape {tuple(value.shape)} must broadcast to {target}") from None
    return value


def _check_nonnegative(name, value, strict=False):
    if isinstance(value, torch.Tensor):
        bad = bool((value <= 0).any()) if strict else bool((value < 0).any())
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise InvalidTypeError(f"{name} must be a number, got {value!r}")
        bad = not math.isfinite(value) or (value <= 0 if strict else value < 0)
    if bad:
        raise InvalidInputError(f"{name} must be {'> 0' if strict else '>= 0'} and finite, got {value!r}")


def _max_over_bands(spec: torch.Tensor, max_size: int) -> torch.Tensor:
    """Maximum over ``max_size`` neighbouring bands (axis -2), edges mirrored like scipy's
    ``maximum_filter1d(mode='reflect')`` (d c b a | a b c d | d c b a)."""
    n = spec.shape[-2]
    offsets = torch.arange(max_size, device=spec.device) - max_size // 2
    index = torch.arange(n, device=spec.device)[:, None] + offsets[None, :]
    folded = torch.remainder(index, 2 * n)
    folded = torch.where(folded >= n, 2 * n - 1 - folded, folded)
    gathered = spec[..., folded.reshape(-1), :].reshape(*spec.shape[:-2], n, max_size, spec.shape[-1])
    return gathered.amax(dim=-2)


def compute_pcen(spectrogram, *, sr: float = 22050, hop_length: int = 512, gain=0.98, bias=2, power=0.5,
                 time_constant: float = 0.4, eps: float = 1e-6, b=None, max_size: int = 1, zi=None,
                 return_zf: bool = False):
    """PCEN of a non-negative (power or magnitude) spectrogram, equal to ``librosa.pcen``.

    Args:
        spectrogram: ``(..., bins, frames)`` NumPy array or torch tensor (float32 or float64); the
            result has the same kind, shape and dtype.
        sr, hop_length: sample rate and hop, used only for the default ``b`` (defaults 22050, 512).
        gain, bias, power: the AGC exponent (default 0.98), the offset (2) and the compression
            exponent (0.5; 0 means ``log1p``); scalars or tensors broadcastable to ``(..., bins, 1)``.
        time_constant: seconds of the smoother, for the default ``b`` (default 0.4).
        eps: floor of the denominator (default 1e-6).
        b: smoothing coefficient in [0, 1]; default from ``time_constant``.
        max_size: bands of the maximum filter applied before smoothing (default 1, none).
        zi: filter state to start from, broadcastable to ``(..., bins, 1)``: the ``zf`` of the
            previous chunk when streaming (default: librosa's steady state ``1 - b``).
        return_zf: also return the final filter state ``(..., bins, 1)``.

    Returns:
        The PCEN spectrogram, and ``zf`` if ``return_zf``. Differentiable in the input and the
        parameters when given as tensors; compiles with ``torch.compile(fullgraph=True)``.

    Raises:
        InvalidInputError: a parameter out of range, or an input with fewer than 2 dimensions.
        InvalidTypeError: an input that is neither an array nor a tensor.
    """
    as_numpy = isinstance(spectrogram, np.ndarray)
    if as_numpy:
        spec = torch.from_numpy(np.ascontiguousarray(spectrogram))
    elif isinstance(spectrogram, torch.Tensor):
        spec = spectrogram
    else:
        raise InvalidTypeError(f"spectrogram must be a NumPy array or a torch tensor, got {type(spectrogram).__name__}")
    if spec.dim() < 2:
        raise InvalidInputError(f"spectrogram must have shape (..., bins, frames), got shape {tuple(spec.shape)}")
    if not (spec.is_floating_point() or spec.is_complex()):
        raise InvalidTypeError(f"spectrogram must be float32 or float64, got {spec.dtype}")
    if spec.is_complex():
        spec = spec.abs()
    for name, value, strict in (("gain", gain, False), ("bias", bias, False), ("power", power, False),
                                ("eps", eps, True), ("time_constant", time_constant, True)):
        _check_nonnegative(name, value, strict)
    if isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)) or max_size < 1:
        raise InvalidInputError(f"max_size must be a positive integer, got {max_size!r}")
    if b is None:
        _check_nonnegative("sr", sr, True)
        _check_nonnegative("hop_length", hop_length, True)
        b = pcen_smoothing_coefficient(time_constant, sr, hop_length)
    if not isinstance(b, torch.Tensor) and not 0 <= b <= 1:
        raise InvalidInputError(f"b must be between 0 and 1, got {b!r}")
    out, zf = pcen_unchecked(spec, gain=gain, bias=bias, power=power, eps=eps, b=b, max_size=int(max_size), zi=zi)
    if as_numpy:
        out, zf = out.numpy(), zf.numpy()
    return (out, zf) if return_zf else out


def pcen_unchecked(spec: torch.Tensor, *, gain, bias, power, eps: float, b, max_size: int = 1, zi=None):
    """:func:`compute_pcen` on a float tensor with ``b`` given, without the checks (no host syncs, so
    it compiles with ``fullgraph=True`` with tensor parameters too): ``(pcen, zf)``. Parameters given as
    Python numbers are still checked (that costs no sync); tensor parameters are the caller's to check."""
    for name, value, strict in (("gain", gain, False), ("bias", bias, False), ("power", power, False),
                                ("eps", eps, True), ("b", b, False)):
        if not isinstance(value, torch.Tensor):
            _check_nonnegative(name, value, strict)
    if not isinstance(b, torch.Tensor) and b > 1:
        raise InvalidInputError(f"b must be between 0 and 1, got {b!r}")
    b = torch.as_tensor(b, dtype=spec.dtype, device=spec.device)
    ref = spec if max_size == 1 else _max_over_bands(spec, max_size)
    state = (1 - b) if zi is None else torch.as_tensor(zi, dtype=spec.dtype, device=spec.device)
    smooth = first_order_scan(b * ref, 1 - b, state)
    zf = ((1 - b) * smooth[..., -1:]) if spec.shape[-1] else state.expand(*spec.shape[:-1], 1)
    # log domain, as librosa, for the same numbers and no overflow of (eps + M)^-gain
    agc = torch.exp(-gain * (math.log(eps) + torch.log1p(smooth / eps)))
    return _compress(spec * agc, bias, power), zf


def _compress(normalised, bias, power):
    if not isinstance(power, torch.Tensor) and power == 0:
        return torch.log1p(normalised)
    if not isinstance(bias, torch.Tensor) and bias == 0:
        return torch.exp(power * torch.log(normalised))
    if not isinstance(bias, torch.Tensor) and bias < 1e-30:
        # normalised / bias would overflow to inf; (n + bias)^p - bias^p is the same quantity.
        return torch.pow(normalised + bias, power) - bias ** power
    return bias ** power * torch.expm1(power * torch.log1p(normalised / bias))


class PcenPlan:
    """PCEN of a mel spectrogram as a reusable plan: the fused mel pass, then :func:`compute_pcen`
    with ``sr`` and ``hop_length`` taken from ``params`` (librosa's defaults for everything else).

    Args:
        params: a :class:`~spectrograms.params.SpectrogramParams`.
        mel_params: a :class:`~spectrograms.params.MelParams`.
        magnitude: PCEN of the mel magnitude instead of the mel power (default False).
        **pcen: :func:`compute_pcen`'s parameters (gain, bias, power, time_constant, eps, b, max_size).

    ``plan.apply(signal)`` gives ``(..., n_mels, frames)``; ``plan.stream()`` carries the filter state
    (librosa's ``zi``) between pushes, so streamed PCEN equals the offline one within float rounding.
    """

    def __init__(self, params, mel_params, *, magnitude: bool = False, **pcen):
        from .params import MelParams
        from .planner import SpectrogramPlan, band_filterbank

        # librosa's magnitude mel (filterbank @ |X|), not the seed's root of the band power
        self.mel_plan = SpectrogramPlan(params, scale="magnitude" if magnitude else "power",
                                        filterbank=band_filterbank(params, mel_params, MelParams),
                                        root_of_band_power=False)
        self.params, self.mel_params = params, mel_params
        unknown = set(pcen) - {"gain", "bias", "power", "time_constant", "eps", "b", "max_size"}
        if unknown:
            raise InvalidInputError(f"PcenPlan got unknown parameter(s) {sorted(unknown)}")
        self.pcen = dict(pcen, sr=params.sample_rate, hop_length=params.stft.hop_size)
        compute_pcen(torch.ones(1, 1), **self.pcen)  # parameter errors now, not at the first signal

    def apply(self, signal: torch.Tensor, zi=None, return_zf: bool = False):
        """PCEN of a float tensor ``(..., time)`` as ``(..., n_mels, frames)`` (and ``zf``)."""
        return compute_pcen(self.mel_plan.apply(signal), zi=zi, return_zf=return_zf, **self.pcen)

    def compute(self, samples):
        """A :class:`~spectrograms.results.Spectrogram` (scale ``"pcen"``) of ``(time,)`` or ``(batch, time)``."""
        from .inputs import as_signal
        from .results import Spectrogram

        signal = as_signal(samples)
        return Spectrogram(self.apply(signal), self.mel_plan.frequencies, None, self.params, scale="pcen",
                           frequency_scale="mel", band_params=self.mel_params, n_samples=signal.shape[-1])

    def __call__(self, samples):
        return self.compute(samples)

    def stream(self):
        from .stream import plan_stream
        return plan_stream(self)

    def _make_stream(self):
        from .stream import NativeFeatureStream, StreamSpectrogram, _offset, _template

        stft, pcen = self.params.stft, self.pcen

        class FilterState:
            zi = None

            def reset(self):
                self.zi = None

        state = FilterState()

        def carry_pcen(mel, first):
            out, state.zi = compute_pcen(mel, zi=state.zi, return_zf=True, **pcen)
            return out

        template = _template(StreamSpectrogram, torch.empty(self.mel_plan.n_bins, 0), self.mel_plan.frequencies, None,
                             self.params, hop=stft.hop_size, offset=_offset(stft), scale="pcen",
                             frequency_scale="mel", band_params=self.mel_params)
        return NativeFeatureStream(self.mel_plan, template=template, n_bins=self.mel_plan.n_bins, post=carry_pcen,
                                   state=state)
