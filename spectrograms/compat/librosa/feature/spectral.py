"""librosa.feature.spectral: mel spectrogram, MFCC, chroma and the spectral descriptors.

Each takes ``y`` (audio ``(..., n)``) or ``S`` (a spectrogram ``(..., bins, frames)``) by keyword as
librosa does; the spectrogram of ``y`` comes from the native fused kernel, everything after it is
whole-tensor torch arithmetic mirroring librosa's NumPy (same dtypes out: e.g. the centroid is
float64 for float32 input because librosa multiplies by float64 frequencies).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .. import filters
from .._convert import _fft_frequencies
from .._dct import dct_matrix
from .._pitch import _estimate_tuning
from .._spectrum import _frame_args, _power_to_db, _stft_tensor
from ....ops.descriptors import native_descriptor_allowed, spectral_descriptor
from .._util import ParameterError, as_tensor, check_pad_mode, stft_window, normalize, out, pad_signal, positive_int, real_number, torch_dtype

__all__ = ["melspectrogram", "mfcc", "chroma_stft", "spectral_centroid", "spectral_bandwidth", "spectral_rolloff",
           "spectral_flatness", "spectral_contrast", "zero_crossing_rate", "rms"]


def _spectrogram(y, S, n_fft, hop_length, power, win_length, window, center, pad_mode):
    """librosa's ``_spectrogram``: ``(S, n_fft, was_numpy)``, ``S = |stft(y)| ** power`` unless given."""
    if S is not None:
        S_t, was_numpy = as_tensor("S", S, allow_complex=True)
        if S_t.dim() < 2:
            raise ParameterError(f"S must have shape (..., bins, frames), got {tuple(S_t.shape)}")
        if n_fft is None or n_fft // 2 + 1 != S_t.shape[-2]:
            n_fft = 2 * (S_t.shape[-2] - 1)
        return S_t, n_fft, was_numpy
    if y is None:
        raise ParameterError("Input signal must be provided to compute a spectrogram (y= or S=)")
    if n_fft is None:
        raise ParameterError(f"Unable to compute spectrogram with n_fft={n_fft}")
    y_t, was_numpy = as_tensor("y", y, audio=True)
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length)
    power = real_number("power", power)
    return _stft_tensor(y_t, n_fft, hop_length, win_length, window, bool(center), pad_mode, power), n_fft, was_numpy


def _native(y, S, freq, sr, n_fft, hop_length, win_length, window, center, pad_mode, kind, param=0.0, amin=1e-10):
    """The fused native pass (spectrograms_ext/descriptors.cpp) for audio input on the CPU, or None
    where the whole-tensor formulas must run (S= or freq= given, gradients, non-finite samples, pad
    modes the kernel lacks): same framing and float64 transform as ``_stft_tensor``, one pass per
    frame instead of a (bins, frames) spectrogram and several float64 passes over it."""
    if S is not None or y is None or freq is not None or n_fft is None:
        return None
    y_t, was_numpy = as_tensor("y", y, audio=True)
    if not native_descriptor_allowed(y_t):
        return None
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length)
    pad_mode = check_pad_mode(pad_mode)
    n = y_t.shape[-1]
    if n == 0 or n_fft > n or not (pad_mode == "constant" or (pad_mode == "reflect" and n > n_fft // 2)):
        return None  # warnings, refusals and NumPy pad modes stay with _stft_tensor
    if not bool(torch.isfinite(y_t).all()):
        return None  # the torch path raises the named error
    window_t = stft_window(window, win_length, n_fft, torch.float64, y_t.device)
    freq_t = _fft_frequencies(real_number("sr", sr), n_fft).to(torch.float64)
    result = spectral_descriptor(y_t.to(torch.float64).contiguous(), window_t, n_fft=n_fft, hop_length=hop_length,
                                 center=bool(center), pad_mode=pad_mode if center else "constant", freq=freq_t,
                                 kind=kind, param=param, amin=amin, round32=y_t.dtype == torch.float32)
    return result, was_numpy, y_t.dtype


def _non_negative_real(S: torch.Tensor, what: str):
    if S.is_complex():
        raise ParameterError(f"{what} is only defined with real-valued input")
    if bool((S < 0).any()):
        raise ParameterError(f"{what} is only defined with non-negative energies")


def _freq(freq, sr, n_fft, S: torch.Tensor) -> torch.Tensor:
    if freq is None:
        return _fft_frequencies(real_number("sr", sr), n_fft).to(S.device)
    f, _ = as_tensor("freq", freq)
    return f.to(S.device)


def melspectrogram(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512, win_length=None,
                   window="hann", center: bool = True, pad_mode="constant", power: float = 2.0, **kwargs):
    """librosa.feature.melspectrogram: ``(..., n_mels, frames)``; ``kwargs`` go to :func:`filters.mel`
    (``n_mels``, ``fmin``, ``fmax``, ``htk``, ``norm``, ``dtype``)."""
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, power, win_length, window, center, pad_mode)
    return out(_mel_apply(S_t, sr, n_fft, kwargs), was_numpy)


def _mel_apply(S_t: torch.Tensor, sr, n_fft, kwargs) -> torch.Tensor:
    unknown = set(kwargs) - {"n_mels", "fmin", "fmax", "htk", "norm", "dtype"}
    if unknown:
        raise ParameterError(f"unexpected keyword arguments for filters.mel: {sorted(unknown)}")
    dtype = torch_dtype("dtype", kwargs.pop("dtype", np.float32))
    bank = filters._mel_tensor(sr, n_fft, kwargs.get("n_mels", 128), kwargs.get("fmin", 0.0), kwargs.get("fmax"),
                               kwargs.get("htk", False), kwargs.get("norm", "slaney"), dtype)
    # einsum of the S dtype and the bank dtype, promoted as NumPy promotes them
    common = torch.promote_types(S_t.dtype, bank.dtype)
    return torch.matmul(bank.to(common).to(S_t.device), S_t.to(common))


def mfcc(*, y=None, sr: float = 22050, S=None, n_mfcc: int = 20, dct_type: int = 2, norm="ortho", lifter: float = 0,
         mel_norm="slaney", **kwargs):
    """librosa.feature.mfcc: ``(..., n_mfcc, frames)``, the DCT of the dB mel spectrogram (or of
    ``S``, a log-power mel spectrogram), optionally liftered by ``1 + lifter/2 sin(pi k / lifter)``."""
    n_mfcc = positive_int("n_mfcc", n_mfcc)
    lifter = real_number("lifter", lifter)
    if lifter < 0:
        raise ParameterError(f"MFCC lifter={lifter} must be a non-negative number")
    if S is None:
        stft_keys = {"n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "power"}
        spec_kwargs = {k: v for k, v in kwargs.items() if k in stft_keys}
        mel_kwargs = {k: v for k, v in kwargs.items() if k not in stft_keys}
        spec_kwargs.setdefault("n_fft", 2048)
        spec_kwargs.setdefault("hop_length", 512)
        S_t, n_fft, was_numpy = _spectrogram(y, None, spec_kwargs["n_fft"], spec_kwargs["hop_length"],
                                             spec_kwargs.get("power", 2.0), spec_kwargs.get("win_length"),
                                             spec_kwargs.get("window", "hann"), spec_kwargs.get("center", True),
                                             spec_kwargs.get("pad_mode", "constant"))
        mel_kwargs["norm"] = mel_norm
        S_t = _power_to_db(_mel_apply(S_t, sr, n_fft, mel_kwargs), 1.0, 1e-10, 80.0)
    else:
        S_t, was_numpy = as_tensor("S", S)
    basis = dct_matrix(S_t.shape[-2], dct_type, norm).to(S_t.dtype).to(S_t.device)
    M = torch.matmul(basis, S_t)[..., :n_mfcc, :]
    if lifter > 0:
        k = torch.arange(1, 1 + M.shape[-2], dtype=M.dtype, device=M.device)
        M = M * (1 + lifter / 2 * torch.sin(np.pi * k / lifter))[:, None]
    return out(M, was_numpy)


def chroma_stft(*, y=None, sr: float = 22050, S=None, norm=np.inf, n_fft: int = 2048, hop_length: int = 512,
                win_length=None, window="hann", center: bool = True, pad_mode="constant", tuning=None,
                n_chroma: int = 12, **kwargs):
    """librosa.feature.chroma_stft: ``(..., n_chroma, frames)`` chromagram of the power spectrogram;
    ``tuning=None`` estimates the tuning as librosa does (piptrack + pitch histogram); ``kwargs``
    go to :func:`filters.chroma` (``ctroct``, ``octwidth``, ``norm`` of the bank, ``base_c``, ``dtype``)."""
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 2, win_length, window, center, pad_mode)
    n_chroma = positive_int("n_chroma", n_chroma)
    if tuning is None:
        tuning = _estimate_tuning(S_t, real_number("sr", sr), n_fft, bins_per_octave=n_chroma)
    unknown = set(kwargs) - {"ctroct", "octwidth", "norm", "base_c", "dtype"}
    if unknown:
        raise ParameterError(f"unexpected keyword arguments for filters.chroma: {sorted(unknown)}")
    bank = filters._chroma_tensor(sr, n_fft, n_chroma, tuning, kwargs.get("ctroct", 5.0), kwargs.get("octwidth", 2),
                                  kwargs.get("norm", 2), kwargs.get("base_c", True),
                                  torch_dtype("dtype", kwargs.get("dtype", np.float32)))
    common = torch.promote_types(S_t.dtype, bank.dtype)
    raw = torch.matmul(bank.to(common).to(S_t.device), S_t.to(common))
    return out(normalize(raw, norm, dim=-2), was_numpy)


def _centroid(S_t: torch.Tensor, freq: torch.Tensor) -> torch.Tensor:
    weights = normalize(S_t, 1, dim=-2)
    if freq.dim() == 1:
        return torch.sum(freq[:, None] * weights, dim=-2, keepdim=True)
    return torch.sum(freq * weights, dim=-2, keepdim=True)


def spectral_centroid(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                      freq=None, win_length=None, window="hann", center: bool = True, pad_mode="constant"):
    """librosa.feature.spectral_centroid: ``(..., 1, frames)``, the magnitude-weighted mean frequency."""
    native = _native(y, S, freq, sr, n_fft, hop_length, win_length, window, center, pad_mode, "centroid")
    if native is not None:
        return out(native[0], native[1])
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 1, win_length, window, center, pad_mode)
    _non_negative_real(S_t, "Spectral centroid")
    return out(_centroid(S_t, _freq(freq, sr, n_fft, S_t)), was_numpy)


def spectral_bandwidth(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                       win_length=None, window="hann", center: bool = True, pad_mode="constant", freq=None,
                       centroid=None, norm: bool = True, p: float = 2):
    """librosa.feature.spectral_bandwidth: ``(..., 1, frames)``, the order-``p`` spread around the centroid."""
    p = real_number("p", p)
    if centroid is None and p > 0:
        native = _native(y, S, freq, sr, n_fft, hop_length, win_length, window, center, pad_mode,
                         "bandwidth" if norm else "bandwidth_raw", p)
        if native is not None:
            return out(native[0], native[1])
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 1, win_length, window, center, pad_mode)
    _non_negative_real(S_t, "Spectral bandwidth")
    f = _freq(freq, sr, n_fft, S_t)
    c = _centroid(S_t, f) if centroid is None else as_tensor("centroid", centroid)[0].to(S_t.device)
    deviation = torch.abs((f[:, None] if f.dim() == 1 else f) - c)
    weights = normalize(S_t, 1, dim=-2) if norm else S_t
    return out(torch.sum(weights * deviation ** p, dim=-2, keepdim=True) ** (1.0 / p), was_numpy)


def spectral_rolloff(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                     win_length=None, window="hann", center: bool = True, pad_mode="constant", freq=None,
                     roll_percent: float = 0.85):
    """librosa.feature.spectral_rolloff: ``(..., 1, frames)``, the lowest frequency below which
    ``roll_percent`` of the frame's magnitude lies (the frequency of the first bin whose cumulative
    sum reaches the threshold)."""
    roll_percent = real_number("roll_percent", roll_percent)
    if not 0.0 < roll_percent < 1.0:
        raise ParameterError(f"roll_percent={roll_percent} must lie in the range (0, 1)")
    native = _native(y, S, freq, sr, n_fft, hop_length, win_length, window, center, pad_mode, "rolloff", roll_percent)
    if native is not None:
        return out(native[0], native[1])
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 1, win_length, window, center, pad_mode)
    _non_negative_real(S_t, "Spectral rolloff")
    f = _freq(freq, sr, n_fft, S_t)
    f = f[:, None] if f.dim() == 1 else f
    total = torch.cumsum(S_t, dim=-2)
    threshold = roll_percent * total[..., -1:, :]
    candidates = torch.where(total < threshold, torch.tensor(float("nan"), dtype=torch.float64, device=S_t.device),
                             torch.ones((), dtype=torch.float64, device=S_t.device)) * f
    # np.nanmin: the least non-NaN value (NaN only where every entry is NaN)
    filled = torch.nan_to_num(candidates, nan=float("inf"))
    rolloff = filled.amin(dim=-2, keepdim=True)
    all_nan = torch.isnan(candidates).all(dim=-2, keepdim=True)
    return out(torch.where(all_nan, torch.full_like(rolloff, float("nan")), rolloff), was_numpy)


def spectral_flatness(*, y=None, S=None, n_fft: int = 2048, hop_length: int = 512, win_length=None,
                      window="hann", center: bool = True, pad_mode="constant", amin: float = 1e-10,
                      power: float = 2.0):
    """librosa.feature.spectral_flatness: ``(..., 1, frames)``, geometric over arithmetic mean of
    ``max(amin, S ** power)``."""
    amin = real_number("amin", amin)
    if amin <= 0:
        raise ParameterError(f"amin={amin} must be strictly positive")
    power = real_number("power", power)
    native = _native(y, S, None, 22050, n_fft, hop_length, win_length, window, center, pad_mode, "flatness", power,
                     amin)
    if native is not None:  # float32 out for float32 audio, as librosa's
        return out(native[0].to(native[2]), native[1])
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 1.0, win_length, window, center, pad_mode)
    _non_negative_real(S_t, "Spectral flatness")
    thresh = torch.clamp(S_t ** real_number("power", power), min=amin)
    gmean = torch.exp(torch.mean(torch.log(thresh), dim=-2, keepdim=True))
    return out(gmean / torch.mean(thresh, dim=-2, keepdim=True), was_numpy)


def spectral_contrast(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                      win_length=None, window="hann", center: bool = True, pad_mode="constant", freq=None,
                      fmin: float = 200.0, n_bands: int = 6, quantile: float = 0.02, linear: bool = False):
    """librosa.feature.spectral_contrast: ``(..., n_bands + 1, frames)``, peak minus valley (in dB,
    or linear) of octave sub-bands from ``fmin``; float64 out, as librosa's."""
    S_t, n_fft, was_numpy = _spectrogram(y, S, n_fft, hop_length, 1, win_length, window, center, pad_mode)
    f = _freq(freq, sr, n_fft, S_t).reshape(-1) if freq is None or np.ndim(freq) <= 1 else None
    if f is None or f.shape[0] != S_t.shape[-2]:
        raise ParameterError(f"freq.shape mismatch: expected ({S_t.shape[-2]:d},)")
    if isinstance(n_bands, bool) or not isinstance(n_bands, numbers.Integral) or n_bands < 1:
        raise ParameterError(f"n_bands={n_bands!r} must be a positive integer")
    quantile = real_number("quantile", quantile)
    if not 0.0 < quantile < 1.0:
        raise ParameterError(f"quantile={quantile} must lie in the range (0, 1)")
    fmin = real_number("fmin", fmin)
    if fmin <= 0:
        raise ParameterError(f"fmin={fmin} must be a positive number")
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * 2.0 ** np.arange(0, n_bands + 1)
    if np.any(octa[:-1] >= 0.5 * real_number("sr", sr)):
        raise ParameterError("Frequency band exceeds Nyquist. Reduce either fmin or n_bands.")
    freq_np = f.cpu().numpy()
    sorted_all = None
    valleys, peaks = [], []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):  # per band (n_bands + 1), not per frame
        band = (freq_np >= f_low) & (freq_np <= f_high)
        idx = np.flatnonzero(band)
        if idx.size == 0:
            raise ParameterError(f"sub-band {k} ({f_low:g}-{f_high:g} Hz) holds no frequency bin; raise n_fft or fmin")
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1:] = True
        rows = np.flatnonzero(band)
        if k < n_bands:
            rows = rows[:-1]
        count = int(max(np.rint(quantile * band.sum()), 1))
        sub = torch.sort(S_t[..., torch.as_tensor(rows, device=S_t.device), :], dim=-2).values
        valleys.append(sub[..., :count, :].mean(dim=-2))
        peaks.append(sub[..., -count:, :].mean(dim=-2))
        sorted_all = sub
    del sorted_all
    valley = torch.stack(valleys, dim=-2).to(torch.float64)
    peak = torch.stack(peaks, dim=-2).to(torch.float64)
    if linear:
        return out(peak - valley, was_numpy)
    return out(_power_to_db(peak, 1.0, 1e-10, 80.0) - _power_to_db(valley, 1.0, 1e-10, 80.0), was_numpy)


def _frames(y: torch.Tensor, frame_length: int, hop_length: int) -> torch.Tensor:
    if y.shape[-1] < frame_length:
        raise ParameterError(f"Input is too short (n={y.shape[-1]:d}) for frame_length={frame_length:d}")
    return y.unfold(-1, frame_length, hop_length)  # (..., frames, frame_length), a view


def rms(*, y=None, S=None, frame_length: int = 2048, hop_length: int = 512, center: bool = True,
        pad_mode="constant", dtype=np.float32):
    """librosa.feature.rms: ``(..., 1, frames)`` root-mean-square per frame of ``y``, or from a
    magnitude spectrogram ``S`` by Parseval; squares taken in ``dtype`` (float32 by default, as
    librosa's)."""
    frame_length, hop_length = positive_int("frame_length", frame_length), positive_int("hop_length", hop_length)
    work = torch_dtype("dtype", dtype)
    if y is not None:
        y_t, was_numpy = as_tensor("y", y, audio=True)
        if center:
            y_t = pad_signal(y_t, frame_length // 2, pad_mode)
        x = _frames(y_t, frame_length, hop_length).to(work)
        power = torch.mean(x * x, dim=-1).unsqueeze(-2)
    elif S is not None:
        S_t, was_numpy = as_tensor("S", S, allow_complex=True)
        if S_t.shape[-2] != frame_length // 2 + 1:
            raise ParameterError(f"Since S.shape[-2] is {S_t.shape[-2]}, frame_length is expected to be "
                                 f"{S_t.shape[-2] * 2 - 2} or {S_t.shape[-2] * 2 - 1}; found {frame_length}")
        x = (S_t.abs() ** 2 if S_t.is_complex() else S_t * S_t).to(work)
        scale = torch.ones(x.shape[-2], dtype=work, device=x.device)
        scale[0] = 0.5
        if frame_length % 2 == 0:
            scale[-1] = 0.5
        power = 2 * torch.sum(x * scale[:, None], dim=-2, keepdim=True) / frame_length ** 2
    else:
        raise ParameterError("Either `y` or `S` must be input.")
    return out(torch.sqrt(power), was_numpy)


def zero_crossing_rate(y, *, frame_length: int = 2048, hop_length: int = 512, center: bool = True, **kwargs):
    """librosa.feature.zero_crossing_rate: ``(..., 1, frames)``, the fraction of sign changes per frame
    (edge-padded when centred). Counted once per sample and summed per frame by a cumulative count
    (integers, exact) rather than frame by frame."""
    y_t, was_numpy = as_tensor("y", y, audio=True)
    frame_length, hop_length = positive_int("frame_length", frame_length), positive_int("hop_length", hop_length)
    unknown = set(kwargs) - {"threshold", "ref_magnitude", "pad", "zero_pos"}
    if unknown:
        raise ParameterError(f"unexpected keyword arguments for zero_crossings: {sorted(unknown)}")
    threshold = real_number("threshold", kwargs.get("threshold", 1e-10))
    ref = kwargs.get("ref_magnitude")
    if ref is not None:
        threshold = threshold * real_number("ref_magnitude", ref)
    if center:
        y_t = pad_signal(y_t, frame_length // 2, "edge")
    if y_t.shape[-1] < frame_length:
        raise ParameterError(f"Input is too short (n={y_t.shape[-1]:d}) for frame_length={frame_length:d}")
    x = torch.where(y_t.abs() <= threshold, torch.zeros((), dtype=y_t.dtype, device=y_t.device), y_t)
    sign = torch.signbit(x) if kwargs.get("zero_pos", True) else torch.sign(x)
    crossing = (sign[..., 1:] != sign[..., :-1]).to(torch.int64)
    counts = torch.nn.functional.pad(torch.cumsum(crossing, dim=-1), (1, 0))  # counts[i]: crossings up to i
    starts = torch.arange(0, y_t.shape[-1] - frame_length + 1, hop_length, device=y_t.device)
    per_frame = counts[..., starts + frame_length - 1] - counts[..., starts]
    if kwargs.get("pad", False):
        per_frame = per_frame + 1
    return out((per_frame.to(torch.float64) / frame_length).unsqueeze(-2), was_numpy)
