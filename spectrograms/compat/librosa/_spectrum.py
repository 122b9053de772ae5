"""librosa.core.spectrum: stft, istft, the dB conversions and Griffin-Lim, on the native STFT kernel."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ... import ops
from ...ops.griffinlim import phase_update
from ._util import (
    ParameterError,
    as_tensor,
    check_pad_mode,
    complex_dtype_of,
    out,
    pad_signal,
    positive_int,
    positive_number,
    real_dtype_of,
    stft_window,
    torch_dtype,
    warn,
)

__all__ = ["stft", "istft", "power_to_db", "amplitude_to_db", "db_to_power", "db_to_amplitude", "griffinlim"]


def _frame_args(n_fft, hop_length, win_length):
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    if win_length > n_fft:
        raise ParameterError(f"win_length={win_length} must be at most n_fft={n_fft}")
    hop_length = max(win_length // 4, 1) if hop_length is None else positive_int("hop_length", hop_length)
    return n_fft, hop_length, win_length


def _stft_tensor(y: torch.Tensor, n_fft: int, hop_length: int, win_length: int, window, center: bool,
                 pad_mode: str, power: float | None = None) -> torch.Tensor:
    """The complex STFT (``power=None``) or ``|STFT| ** power`` of a real tensor, librosa's framing.

    float32 input is transformed in float64 and the result rounded to float32, which is what librosa
    does (its float64 window promotes the float32 frames before the FFT); that is what makes the
    float32 results agree to float32 rounding rather than to float32 FFT noise.
    """
    pad_mode = check_pad_mode(pad_mode)
    n = y.shape[-1]
    if center:
        if n_fft > n:
            warn(f"n_fft={n_fft} is too large for input signal of length={n}")
    elif n_fft > n:
        raise ParameterError(f"n_fft={n_fft} is too large for uncentered analysis of input signal of length={n}")
    work = y.to(torch.float64)
    native_pad = pad_mode == "constant" or (pad_mode == "reflect" and n > n_fft // 2)
    if center and not native_pad:
        work, center = pad_signal(work, n_fft // 2, pad_mode), False
    window_t = stft_window(window, win_length, n_fft, torch.float64, y.device)
    mode = pad_mode if center else "constant"
    if power in (1.0, 2.0):  # the fused native pass: frame, window, transform and |X|^p in one go
        result = ops.spectrogram(work.contiguous(), window_t, n_fft=n_fft, hop_length=hop_length, center=center,
                                 pad_mode=mode, power=power)
        return result.to(y.dtype)
    spectrum = ops.stft(work.contiguous(), window_t, n_fft=n_fft, hop_length=hop_length, center=center,
                        pad_mode=mode)
    if power is None:
        return spectrum.to(complex_dtype_of(y.dtype))
    # librosa raises |X| (rounded to float32 for float32 input) to the power
    return spectrum.abs().to(y.dtype) ** power


def stft(y, *, n_fft: int = 2048, hop_length=None, win_length=None, window="hann", center: bool = True,
         dtype=None, pad_mode="constant", out=None):
    """librosa.stft: complex STFT ``(..., 1 + n_fft // 2, n_frames)`` of ``y`` ``(..., n)``.

    Defaults as librosa's: ``hop_length = win_length // 4``, ``win_length = n_fft``, periodic Hann
    zero-padded to ``n_fft``, centred frames with zero padding. ``out`` (a preallocated array) is
    accepted for signature compatibility: the result is written into it and returned.
    """
    y_t, was_numpy = as_tensor("y", y, audio=True)
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length)
    result = _stft_tensor(y_t, n_fft, hop_length, win_length, window, bool(center), pad_mode)
    if dtype is not None:
        result = result.to(torch_dtype("dtype", dtype))
    return _into(out, result, was_numpy)


def _into(target, result: torch.Tensor, was_numpy: bool):
    if target is None:
        return globals()["out"](result, was_numpy)
    if tuple(target.shape[:-1]) != tuple(result.shape[:-1]) or target.shape[-1] < result.shape[-1]:
        raise ParameterError(f"Shape mismatch for provided output array out.shape={tuple(target.shape)} and "
                             f"target shape={tuple(result.shape)}")
    view = target[..., :result.shape[-1]]
    if isinstance(view, torch.Tensor):
        view.copy_(result)
    else:
        view[...] = result.detach().cpu().numpy()
    return view


def _istft_tensor(S: torch.Tensor, n_fft: int, hop_length: int, win_length: int, window, center: bool,
                  length, dtype: torch.dtype) -> torch.Tensor:
    """Overlap-add of windowed inverse FFTs divided by the window-square sum wherever that sum is
    above the dtype's smallest normal (librosa divides only there, and leaves the rest unnormalised)."""
    if length:
        padded = length + 2 * (n_fft // 2) if center else length
        n_frames = min(S.shape[-1], -(-padded // hop_length))
    else:
        n_frames = S.shape[-1]
    S = S[..., :n_frames]
    # librosa multiplies by its float64 window and sums the window squares in float64 (then rounds to
    # dtype); doing the same keeps float32 results equal where the window-square sum is tiny.
    window_t = stft_window(window, win_length, n_fft, torch.float64, S.device)
    frames = torch.fft.irfft(S, n=n_fft, dim=-2).to(dtype).to(torch.float64) * window_t[:, None]
    batch = frames.shape[:-2]
    total = n_fft + hop_length * (n_frames - 1)
    folded = torch.nn.functional.fold(frames.reshape(-1, n_fft, n_frames), (1, total), (1, n_fft),
                                      stride=(1, hop_length)).reshape(*batch, total).to(dtype)
    squares = (window_t * window_t)[:, None].expand(n_fft, n_frames).reshape(1, n_fft, n_frames)
    envelope = torch.nn.functional.fold(squares, (1, total), (1, n_fft), stride=(1, hop_length)).reshape(total).to(dtype)
    start = n_fft // 2 if center else 0
    size = length if length else total - 2 * (n_fft // 2) if center else total
    y = folded[..., start:start + size]
    env = envelope[start:start + size]
    if y.shape[-1] < size:  # librosa's fix_length: zeros past the last frame
        y = torch.nn.functional.pad(y, (0, size - y.shape[-1]))
        env = torch.nn.functional.pad(env, (0, size - env.shape[-1]))
    nonzero = env > torch.finfo(dtype).tiny
    return torch.where(nonzero, y / torch.where(nonzero, env, torch.ones_like(env)), y)


def istft(stft_matrix, *, hop_length=None, win_length=None, n_fft=None, window="hann", center: bool = True,
          dtype=None, length=None, out=None):
    """librosa.istft: the signal ``(..., n)`` of a complex STFT ``(..., 1 + n_fft // 2, n_frames)``."""
    S, was_numpy = as_tensor("stft_matrix", stft_matrix, allow_complex=True)
    if S.dim() < 2:
        raise ParameterError(f"stft_matrix must have shape (..., 1 + n_fft // 2, n_frames), got {tuple(S.shape)}")
    if not S.is_complex():
        S = S.to(complex_dtype_of(S.dtype))
    n_fft = 2 * (S.shape[-2] - 1) if n_fft is None else n_fft
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length)
    if length is not None and length != 0:
        length = positive_int("length", length)
    real = real_dtype_of(torch_dtype("dtype", dtype)) if dtype is not None else real_dtype_of(S.dtype)
    if S.shape[-1] == 0:
        raise ParameterError("stft_matrix has no frames")
    return _into(out, _istft_tensor(S, n_fft, hop_length, win_length, window, bool(center), length, real), was_numpy)


def _reference(ref, magnitude: torch.Tensor, was_numpy: bool) -> float:
    if callable(ref):
        value = ref(magnitude.detach().cpu().numpy() if was_numpy else magnitude)
        return float(np.abs(np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value)))
    if isinstance(ref, bool) or not isinstance(ref, (numbers.Real, np.ndarray, torch.Tensor)):
        raise ParameterError(f"ref must be a number or a callable such as np.max, got {ref!r}")
    return float(abs(ref))


def _power_to_db(magnitude: torch.Tensor, ref_value: float, amin: float, top_db) -> torch.Tensor:
    amin_t = torch.tensor(amin, dtype=magnitude.dtype)
    log_spec = 10.0 * torch.log10(torch.maximum(magnitude, amin_t.to(magnitude.device)))
    log_spec = log_spec - 10.0 * np.log10(max(amin, ref_value))
    if top_db is not None:
        top_db = float(top_db)
        if not top_db >= 0:
            raise ParameterError(f"top_db={top_db} must be non-negative")
        if log_spec.numel():
            log_spec = torch.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def _scalar_out(result: torch.Tensor, was_numpy: bool, scalar: bool):
    value = out(result, was_numpy)
    return value[()] if scalar and was_numpy else value


def power_to_db(S, *, ref=1.0, amin: float = 1e-10, top_db=80.0):
    """librosa.power_to_db: ``10 log10(max(S, amin) / ref)``, floored at ``max - top_db``.

    ``ref`` is a number or a callable of the array (``np.max``: relative to the peak); the floor is
    taken over the whole array, every channel together, as librosa takes it.
    """
    S_t, was_numpy = as_tensor("S", S, allow_complex=True)
    if not real_number_ok(amin) or amin <= 0:
        raise ParameterError(f"amin={amin!r} must be strictly positive")
    if S_t.is_complex():
        warn("power_to_db was called on complex input so phase information will be discarded. "
             "To suppress this warning, call power_to_db(np.abs(D)**2) instead.")
        S_t = S_t.abs()
    ref_value = _reference(ref, S_t, was_numpy)
    return _scalar_out(_power_to_db(S_t, ref_value, float(amin), top_db), was_numpy, S_t.dim() == 0)


def real_number_ok(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and np.isfinite(value)


def amplitude_to_db(S, *, ref=1.0, amin: float = 1e-5, top_db=80.0):
    """librosa.amplitude_to_db: ``20 log10(max(|S|, amin) / ref)``, floored at ``max - top_db``."""
    S_t, was_numpy = as_tensor("S", S, allow_complex=True)
    if not real_number_ok(amin) or amin <= 0:
        raise ParameterError(f"amin={amin!r} must be strictly positive")
    if S_t.is_complex():
        warn("amplitude_to_db was called on complex input so phase information will be discarded. "
             "To suppress this warning, call amplitude_to_db(np.abs(S)) instead.")
    magnitude = S_t.abs()
    ref_value = _reference(ref, magnitude, was_numpy)
    result = _power_to_db(magnitude * magnitude, ref_value ** 2, float(amin) ** 2, top_db)
    return _scalar_out(result, was_numpy, S_t.dim() == 0)


def db_to_power(S_db, *, ref: float = 1.0):
    """librosa.db_to_power: ``ref * 10 ** (S_db / 10)``."""
    S_t, was_numpy = as_tensor("S_db", S_db)
    ref = _reference(ref, S_t, was_numpy) if callable(ref) else ref
    return _scalar_out(ref * torch.pow(10.0, 0.1 * S_t), was_numpy, S_t.dim() == 0)


def db_to_amplitude(S_db, *, ref: float = 1.0):
    """librosa.db_to_amplitude: ``ref * 10 ** (S_db / 20)``, as librosa computes it (the square
    root of ``db_to_power`` with ``ref ** 2``)."""
    S_t, was_numpy = as_tensor("S_db", S_db)
    return _scalar_out(torch.sqrt((ref ** 2) * torch.pow(10.0, 0.1 * S_t)), was_numpy, S_t.dim() == 0)


def _phasor_init(shape, dtype, init, random_state):
    """Griffin-Lim's starting phases, drawn from the same NumPy generator as librosa's so the same
    ``random_state`` gives the same start (and so, iteration for iteration, the same result)."""
    if init is None:
        return np.ones(shape, dtype=np.complex128)
    if init != "random":
        raise ParameterError(f"init={init!r} must either None or 'random'")
    if random_state is None:
        rng = np.random.default_rng()
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        rng = np.random.RandomState(seed=int(random_state))
    elif isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        rng = random_state
    else:
        raise ParameterError(f"Unsupported random_state={random_state!r}")
    angles = 2 * np.pi * rng.random(size=shape)
    return np.cos(angles) + 1j * np.sin(angles)


def griffinlim(S, *, n_iter: int = 32, hop_length=None, win_length=None, n_fft=None, window="hann",
               center: bool = True, dtype=None, length=None, pad_mode="constant", momentum: float = 0.99,
               init="random", random_state=None):
    """librosa.griffinlim: a signal whose STFT magnitude approximates ``S`` ``(..., bins, frames)``,
    by librosa's fast (momentum) Griffin-Lim, every iteration on whole tensors."""
    S_t, was_numpy = as_tensor("S", S)
    if S_t.dim() < 2:
        raise ParameterError(f"S must have shape (..., 1 + n_fft // 2, n_frames), got {tuple(S_t.shape)}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 0:
        raise ParameterError(f"n_iter={n_iter!r} must be a non-negative integer")
    momentum = float(momentum) if real_number_ok(momentum) else momentum
    if not real_number_ok(momentum):
        raise ParameterError(f"momentum={momentum!r} must be a finite number")
    if momentum > 1:
        warn(f"Griffin-Lim with momentum={momentum} > 1 can be unstable. Proceed with caution!")
    elif momentum < 0:
        raise ParameterError(f"griffinlim() called with momentum={momentum} < 0")
    n_fft = 2 * (S_t.shape[-2] - 1) if n_fft is None else n_fft
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length)
    check_pad_mode(pad_mode)
    real = real_dtype_of(torch_dtype("dtype", dtype)) if dtype is not None else S_t.dtype
    cdtype = complex_dtype_of(S_t.dtype)
    eps = torch.finfo(S_t.dtype).tiny
    angles = torch.from_numpy(_phasor_init(tuple(S_t.shape), None, init, random_state)).to(cdtype).to(S_t.device)
    angles = angles * S_t
    tprev = None
    for _ in range(n_iter):  # iterations, each on the whole spectrogram (no per-frame loop)
        inverse = _istft_tensor(angles, n_fft, hop_length, win_length, window, center, length, real)
        rebuilt = _stft_tensor(inverse, n_fft, hop_length, win_length, window, center, pad_mode)
        if rebuilt.shape[-1] != S_t.shape[-1]:
            raise ParameterError(f"the STFT of the rebuilt signal has {rebuilt.shape[-1]} frames, S has "
                                 f"{S_t.shape[-1]}: pass the length the spectrogram was made from")
        rebuilt = rebuilt.to(cdtype)
        angles = phase_update(rebuilt, tprev, S_t, momentum / (1 + momentum), eps, reuse=angles)
        tprev = rebuilt
    return out(_istft_tensor(angles, n_fft, hop_length, win_length, window, center, length, real), was_numpy)
