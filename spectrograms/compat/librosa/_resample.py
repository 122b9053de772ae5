"""librosa.resample for the resamplers whose numbers can be reproduced: SciPy's polyphase filter
(``res_type='polyphase'``, scipy.signal.resample_poly) and its FFT method (``'fft'``/``'scipy'``,
scipy.signal.resample).

librosa's default ``'soxr_hq'`` (and the other soxr qualities, resampy's ``'kaiser_best'``/
``'kaiser_fast'`` and libsamplerate's ``'sinc_*'``/``'linear'``/``'zero_order_hold'``) are other
libraries' filter designs, not reproducible here to float precision; they are refused by name.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._util import ParameterError, as_tensor, out, real_number

__all__ = ["resample"]

_MATCHED = ("polyphase", "fft", "scipy")
_UNMATCHED = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq", "kaiser_best", "kaiser_fast", "linear",
              "zero_order_hold", "sinc_best", "sinc_medium", "sinc_fastest")


def _firwin_kaiser(numtaps: int, cutoff: float, beta: float = 5.0) -> torch.Tensor:
    """scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta)): a windowed-sinc low-pass with
    unit DC gain, in float64."""
    m = torch.arange(numtaps, dtype=torch.float64) - 0.5 * (numtaps - 1)
    h = cutoff * torch.sinc(cutoff * m)
    n = torch.arange(numtaps, dtype=torch.float64)
    ratio = (2 * n / (numtaps - 1) - 1) if numtaps > 1 else torch.zeros(1, dtype=torch.float64)
    window = torch.special.i0(beta * torch.sqrt(torch.clamp(1 - ratio ** 2, min=0.0))) / torch.special.i0(
        torch.tensor(beta, dtype=torch.float64))
    h = h * window
    return h / h.sum()


def _resample_poly(x: torch.Tensor, up: int, down: int) -> torch.Tensor:
    """scipy.signal.resample_poly(x, up, down) along the last axis as one strided convolution with
    ``up`` output channels (one per polyphase branch), interleaved afterwards."""
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return x.clone()
    n_in = x.shape[-1]
    n_out = -(-n_in * up // down)
    max_rate = max(up, down)
    half_len = 10 * max_rate
    # scipy rounds the filter to the input dtype before scaling it by up
    h = (_firwin_kaiser(2 * half_len + 1, 1.0 / max_rate).to(x.dtype) * up).to(torch.float64)
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    # Output m is sum_i x[i] h[s_m - i up], s_m = (m + n_pre_remove) down - n_pre_pad. Branch c (m = c + up k)
    # has a fixed phase r_c = s_c mod up and start q_c = s_c // up: taps h[r_c + l up] on x[q_c + k down - l].
    s = (torch.arange(up) + n_pre_remove) * down - n_pre_pad
    r, q = torch.remainder(s, up), torch.div(s, up, rounding_mode="floor")
    taps = torch.div(2 * half_len - r, up, rounding_mode="floor") + 1
    pad_left = int(max(0, int((taps - 1 - q).max())))
    width = int((q + pad_left).max()) + 1
    weight = torch.zeros(up, width, dtype=torch.float64)
    for c in range(up):  # builds the filter bank (up rows), not the signal
        l = torch.arange(int(taps[c]))
        j = int(q[c]) + pad_left - l
        keep = j < width
        weight[c, j[keep]] = h[int(r[c]) + l[keep] * up]
    n_k = -(-n_out // up)
    needed = (n_k - 1) * down + width
    flat = x.reshape(-1, 1, n_in)
    padded = torch.nn.functional.pad(flat, (pad_left, max(0, needed - pad_left - n_in)))
    branches = torch.nn.functional.conv1d(padded, weight.to(x.dtype).to(x.device).unsqueeze(1), stride=down)
    y = branches[..., :n_k].transpose(1, 2).reshape(flat.shape[0], -1)[:, :n_out]
    return y.reshape(*x.shape[:-1], n_out)


def _resample_fft(x: torch.Tensor, num: int) -> torch.Tensor:
    """scipy.signal.resample(x, num) of a real signal along the last axis."""
    n_x = x.shape[-1]
    m = min(num, n_x)
    X = torch.fft.rfft(x, dim=-1)[..., :m // 2 + 1]
    if m % 2 == 0 and num != n_x:
        factor = torch.ones(X.shape[-1], dtype=x.dtype, device=x.device)
        factor[m // 2] = 2.0 if num < n_x else 0.5
        X = X * factor
    return torch.fft.irfft(X / (n_x / num), n=num, dim=-1)


def resample(y, *, orig_sr: float, target_sr: float, res_type: str = "soxr_hq", fix: bool = True, scale: bool = False,
             axis: int = -1, **kwargs):
    """librosa.resample along ``axis``; ``res_type`` ``'polyphase'`` or ``'fft'``/``'scipy'`` (see the
    module's note on the others, including librosa's default ``'soxr_hq'``, which is refused)."""
    y_t, was_numpy = as_tensor("y", y, audio=True)
    orig_sr, target_sr = real_number("orig_sr", orig_sr), real_number("target_sr", target_sr)
    if orig_sr <= 0 or target_sr <= 0:
        raise ParameterError(f"orig_sr={orig_sr} and target_sr={target_sr} must be positive")
    if not isinstance(axis, int) or not -y_t.dim() <= axis < y_t.dim():
        raise ParameterError(f"axis={axis!r} is out of range for y with {y_t.dim()} dimensions")
    if res_type in _UNMATCHED:
        raise ParameterError(f"res_type={res_type!r} is another library's resampler whose numbers cannot be "
                             f"reproduced here; use one of {', '.join(map(repr, _MATCHED))}")
    if res_type not in _MATCHED:
        raise ParameterError(f"res_type={res_type!r} is not a resampler; use one of {', '.join(map(repr, _MATCHED))}")
    if set(kwargs) - {"mode", "constant_values"}:
        raise ParameterError(f"unexpected keyword arguments: {sorted(set(kwargs) - {'mode', 'constant_values'})}")
    if orig_sr == target_sr:
        return y
    ratio = target_sr / orig_sr
    moved = y_t.movedim(axis, -1)
    n_samples = int(np.ceil(moved.shape[-1] * ratio))
    if res_type == "polyphase":
        if int(orig_sr) != orig_sr or int(target_sr) != target_sr:
            raise ParameterError("polyphase resampling is only supported for integer-valued sampling rates.")
        g = math.gcd(int(orig_sr), int(target_sr))
        y_hat = _resample_poly(moved, int(target_sr) // g, int(orig_sr) // g)
    else:
        y_hat = _resample_fft(moved, n_samples)
    if fix:
        if y_hat.shape[-1] > n_samples:
            y_hat = y_hat[..., :n_samples]
        elif y_hat.shape[-1] < n_samples:
            mode = kwargs.get("mode", "constant")
            if mode != "constant":
                raise ParameterError(f"fix_length mode={mode!r}: only 'constant' padding is supported")
            y_hat = torch.nn.functional.pad(y_hat, (0, n_samples - y_hat.shape[-1]),
                                            value=float(kwargs.get("constant_values", 0.0)))
    if scale:
        y_hat = y_hat / np.sqrt(ratio)
    return out(y_hat.movedim(-1, axis).to(y_t.dtype), was_numpy)
