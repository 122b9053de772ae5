"""torchaudio.functional's names, signatures and numbers, on this library's ops.

Each function takes the arguments of its ``torchaudio.functional`` namesake, in the same order and
with the same defaults, and returns the same values (tested against torchaudio 2.11: float32 within
1e-5 relative, float64 within 1e-10). Filterbanks, DCTs and resampling kernels are computed in
float64 and cast to the caller's dtype at the end, so float64 callers get float64-exact buffers.

STFTs and inverse STFTs go through :func:`spectrograms.ops.stft` / :func:`spectrograms.ops.istft`
(FFTW on CPU, cuFFT on CUDA), which are differentiable with respect to the signal / the STFT.
Shapes follow torchaudio: waveforms ``(..., time)``, spectrograms ``(..., freq, frames)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from . import ops
from ._validate import call_native, positive_float, positive_int
from .errors import InvalidInputError, InvalidTypeError
from .ops.griffinlim import phase_update
from .effects import add_noise, phase_vocoder, pitch_shift, speed  # noqa: F401  (torchaudio.functional's effects)

__all__ = [
    "resample",
    "melscale_fbanks",
    "linear_fbanks",
    "create_dct",
    "amplitude_to_DB",
    "inverse_spectrogram",
    "griffinlim",
    "spectral_centroid",
    "sliding_window_cmn",
    "loudness",
    "gain",
]


def _float_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise InvalidTypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    return value


def _integer_rate(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value <= 0:
        raise InvalidInputError(
            f"{name} must be a positive integer number of Hz (resampling uses the exact ratio), got {value!r}; "
            "scale both rates to integers with the same ratio, e.g. orig_freq=8, new_freq=1")
    return int(value)


# --- Resampling ------------------------------------------------------------------------------------


_RESAMPLING_METHODS = ("sinc_interp_hann", "sinc_interp_kaiser")
_MAX_KERNEL_TAPS = 2**28
_KAISER_BETA = 14.769656459379492  # torchaudio's default: a -60 dB stop band for lowpass_filter_width=6


def sinc_resample_kernel(orig_freq: int, new_freq: int, lowpass_filter_width: int = 6, rolloff: float = 0.99,
                         resampling_method: str = "sinc_interp_hann", beta: float | None = None,
                         dtype: torch.dtype = torch.float64, device=None,
                         compute_dtype: torch.dtype = torch.float64,
                         phase_dtype: torch.dtype | None = None) -> tuple[torch.Tensor, int]:
    """The polyphase windowed-sinc kernel of torchaudio's resampler, for rates already divided by their gcd.

    Row ``j`` of the kernel holds the taps of output phase ``j`` (output sample ``m * new_freq + j``
    reads input samples ``m * orig_freq - width ...``), so one strided ``conv1d`` over the padded
    signal computes every phase of every block at once.

    Returns:
        ``(kernel, width)``: kernel of shape ``(new_freq, 1, 2 * width + orig_freq)`` in ``dtype``
        (computed in ``compute_dtype``), and the zero padding ``width`` the signal needs on the left.
        ``phase_dtype`` (default ``compute_dtype``) is the dtype of the phase offsets ``-j / new_freq``:
        torchaudio's layer with its default ``dtype=None`` makes them float32 under the float32 default
        dtype and the taps float64, which moves its float32 kernel by up to 1.9e-6.
    """
    if resampling_method not in _RESAMPLING_METHODS:
        raise InvalidInputError(f"resampling_method must be one of {_RESAMPLING_METHODS}, got {resampling_method!r}")
    lowpass_filter_width = positive_int("lowpass_filter_width", lowpass_filter_width)
    rolloff = positive_float("rolloff", rolloff)
    if rolloff > 1.0:
        raise InvalidInputError(f"rolloff must be in (0, 1] (a fraction of the lower Nyquist), got {rolloff}")
    # The cut-off sits just below the lower of the two Nyquist frequencies, so nothing aliases.
    base_freq = min(orig_freq, new_freq) * rolloff
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    # Refused before allocating: rates with a small gcd (48000 -> 50854 Hz: 25427 rows of 24000+ taps) make a
    # kernel of gigabytes, and its temporaries several times that.
    if new_freq * (2 * width + orig_freq) > _MAX_KERNEL_TAPS:
        raise InvalidInputError(
            f"resampling {orig_freq} -> {new_freq} (rates divided by their gcd) needs a kernel of "
            f"{new_freq} x {2 * width + orig_freq} taps, more than {_MAX_KERNEL_TAPS}; round the rates to a "
            "ratio with a larger common divisor (e.g. 48000 -> 50850 instead of 50854)")
    # Computed in ``compute_dtype`` in torchaudio's order of operations: its functional form builds the
    # kernel in the waveform's dtype, its layer in float64, and float32 kernels built the two ways differ
    # by up to 2e-5 of the output for rates like 16 -> 22.05 kHz.
    taps = torch.arange(-width, width + orig_freq, dtype=compute_dtype, device=device)[None, None] / orig_freq
    phases = torch.arange(0, -new_freq, -1, dtype=phase_dtype or compute_dtype, device=device)[:, None, None]
    t = phases / new_freq + taps
    t = (t * base_freq).clamp(-lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = _KAISER_BETA if beta is None else positive_float("beta", beta)
        # beta and the normalising i0(beta) in compute_dtype: torchaudio makes both float32 scalars under
        # the default dtype, which scales its float64 kernel by a constant 1.9e-8 off (under a float64
        # default dtype it agrees with this kernel to rounding).
        beta_t = torch.tensor(float(beta), dtype=compute_dtype, device=device)
        window = torch.i0(beta_t * torch.sqrt(1 - (t / lowpass_filter_width) ** 2)) / torch.i0(beta_t)
    t = t * math.pi
    safe = torch.where(t == 0, torch.ones_like(t), t)
    sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(t) / safe)
    return (sinc * (window * (base_freq / orig_freq))).to(dtype), width


def apply_resample_kernel(waveform: torch.Tensor, orig_freq: int, new_freq: int, kernel: torch.Tensor,
                          width: int) -> torch.Tensor:
    """Resamples ``(..., time)`` with a kernel of :func:`sinc_resample_kernel` (rates divided by their gcd).

    On CPU without autograd (float32/float64, eager) the native polyphase op applies each phase's taps
    to the signal directly (no padded copy, no multiply-adds by the ~0 taps past a phase's window).
    Otherwise one ``conv1d`` with stride ``orig_freq`` over the whole padded signal gives a
    ``(new_freq, blocks)`` array whose columns, read in order, are the output samples; the tail past
    ``ceil(new_freq * time / orig_freq)`` is dropped, as torchaudio does. Both give torchaudio's values.
    """
    from .ops.resample import native_resample_allowed, resample_poly

    kernel = kernel.to(waveform.dtype)
    if native_resample_allowed(waveform, kernel):
        # the CPU hot path: the same taps as a polyphase filter on the signal itself (resample.cpp)
        return call_native(resample_poly, waveform, kernel, orig_freq, new_freq, width)
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    length = shape[-1]
    padded = F.pad(flat, (width, width + orig_freq))
    out = F.conv1d(padded[:, None], kernel.to(flat.dtype), stride=orig_freq)
    out = out.transpose(1, 2).reshape(flat.shape[0], -1)
    # ceil without float rounding, written with non-negative operands: an exported graph's integer
    # division of a negative number rounds toward zero, not down
    target = (new_freq * length + orig_freq - 1) // orig_freq
    return out[..., :target].reshape(*shape[:-1], -1)


def resample(waveform: torch.Tensor, orig_freq: int, new_freq: int, lowpass_filter_width: int = 6,
             rolloff: float = 0.99, resampling_method: str = "sinc_interp_hann",
             beta: float | None = None) -> torch.Tensor:
    """Band-limited resampling from ``orig_freq`` to ``new_freq`` Hz, as ``torchaudio.functional.resample``.

    Args:
        waveform: float tensor ``(..., time)``.
        orig_freq, new_freq: integer rates (only their ratio matters).
        lowpass_filter_width: zero crossings of the sinc on each side (default 6): sharper cut-off,
            longer kernel.
        rolloff: cut-off as a fraction of the lower Nyquist frequency (default 0.99).
        resampling_method: ``"sinc_interp_hann"`` (default) or ``"sinc_interp_kaiser"``.
        beta: Kaiser window shape (default 14.769656459379492).

    Returns:
        ``(..., ceil(new_freq * time / orig_freq))`` in the input's dtype; the input itself when the
        rates are equal. Differentiable; runs on the input's device.
    """
    waveform = _float_tensor("waveform", waveform)
    orig_freq, new_freq = _integer_rate("orig_freq", orig_freq), _integer_rate("new_freq", new_freq)
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    compute = waveform.float() if waveform.dtype in (torch.float16, torch.bfloat16) else waveform
    kernel, width = sinc_resample_kernel(orig, new, lowpass_filter_width, rolloff, resampling_method, beta,
                                         dtype=compute.dtype, device=waveform.device, compute_dtype=compute.dtype)
    return apply_resample_kernel(compute, orig, new, kernel, width).to(waveform.dtype)


# --- Filterbanks and the DCT --------------------------------------------------------------------------


def _hz_to_mel(freq: float, mel_scale: str) -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, math.log(6.4) / 27.0
    mel = freq / f_sp
    return min_log_mel + math.log(freq / min_log_hz) / logstep if freq >= min_log_hz else mel


def _mel_to_hz(mels: torch.Tensor, mel_scale: str) -> torch.Tensor:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, math.log(6.4) / 27.0
    return torch.where(mels >= min_log_mel, min_log_hz * torch.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def _triangular_filterbank(all_freqs: torch.Tensor, f_pts: torch.Tensor) -> torch.Tensor:
    """Triangles with feet at ``f_pts[i]``, ``f_pts[i + 2]`` and apex at ``f_pts[i + 1]``, ``(n_freqs, n_filters)``."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


def _check_bank(n_freqs, n_filters, sample_rate, f_min, f_max, name="n_mels"):
    n_freqs, n_filters = positive_int("n_freqs", n_freqs), positive_int(name, n_filters)
    sample_rate = positive_float("sample_rate", sample_rate)
    if not (math.isfinite(f_min) and math.isfinite(f_max) and 0.0 <= f_min < f_max):
        raise InvalidInputError(f"f_min and f_max must satisfy 0 <= f_min < f_max, got f_min={f_min}, f_max={f_max}")
    return n_freqs, n_filters, sample_rate


def _warn_empty(fb: torch.Tensor, name: str):
    if bool((fb.max(dim=0).values == 0.0).any()):
        warnings.warn(f"At least one {name} filterbank has all zero values: {name}={fb.shape[1]} may be too high "
                      f"for n_freqs={fb.shape[0]}", stacklevel=3)


def melscale_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int,
                    norm: str | None = None, mel_scale: str = "htk") -> torch.Tensor:
    """Triangular mel filterbank, as ``torchaudio.functional.melscale_fbanks``.

    Args:
        n_freqs: STFT bins (``n_fft // 2 + 1``), spread over ``[0, sample_rate // 2]``.
        f_min, f_max: frequency range in Hz.
        n_mels: number of mel filters.
        sample_rate: Hz.
        norm: None or ``"slaney"`` (each triangle divided by its width in Hz / 2).
        mel_scale: ``"htk"`` or ``"slaney"``.

    Returns:
        float32 ``(n_freqs, n_mels)`` (computed in float64; :func:`_melscale_fbanks64` keeps float64),
        so ``spec.transpose(-1, -2) @ fb`` maps ``(..., n_freqs, time)`` to mel bands.
    """
    return _melscale_fbanks64(n_freqs, f_min, f_max, n_mels, sample_rate, norm, mel_scale).to(torch.float32)


def _melscale_fbanks64(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk") -> torch.Tensor:
    if norm not in (None, "slaney"):
        raise InvalidInputError(f"norm must be None or 'slaney', got {norm!r}")
    if mel_scale not in ("htk", "slaney"):
        raise InvalidInputError(f"mel_scale must be 'htk' or 'slaney', got {mel_scale!r}")
    n_freqs, n_mels, sample_rate = _check_bank(n_freqs, n_mels, sample_rate, f_min, f_max)
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=torch.float64)
    m_pts = torch.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale), n_mels + 2,
                           dtype=torch.float64)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    _warn_empty(fb, "n_mels")
    return fb


def linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: int) -> torch.Tensor:
    """Triangular filters evenly spaced in Hz, as ``torchaudio.functional.linear_fbanks``:
    float32 ``(n_freqs, n_filter)`` (computed in float64)."""
    return _linear_fbanks64(n_freqs, f_min, f_max, n_filter, sample_rate).to(torch.float32)


def _linear_fbanks64(n_freqs, f_min, f_max, n_filter, sample_rate) -> torch.Tensor:
    n_freqs, n_filter, sample_rate = _check_bank(n_freqs, n_filter, sample_rate, f_min, f_max, "n_filter")
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=torch.float64)
    f_pts = torch.linspace(f_min, f_max, n_filter + 2, dtype=torch.float64)
    fb = _triangular_filterbank(all_freqs, f_pts)
    _warn_empty(fb, "n_filter")
    return fb


def create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> torch.Tensor:
    """DCT-II matrix, as ``torchaudio.functional.create_dct``: float32 ``(n_mels, n_mfcc)``, so that
    ``x @ dct`` transforms the last axis; ``norm="ortho"`` makes it orthonormal, None scales by 2."""
    return _create_dct64(n_mfcc, n_mels, norm).to(torch.float32)


def _create_dct64(n_mfcc, n_mels, norm) -> torch.Tensor:
    n_mfcc, n_mels = positive_int("n_mfcc", n_mfcc), positive_int("n_mels", n_mels)
    if norm not in (None, "ortho"):
        raise InvalidInputError(f"norm must be None or 'ortho', got {norm!r}")
    n = torch.arange(n_mels, dtype=torch.float64)
    k = torch.arange(n_mfcc, dtype=torch.float64)[:, None]
    dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)
    if norm is None:
        dct = dct * 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct = dct * math.sqrt(2.0 / n_mels)
    return dct.t()


def amplitude_to_DB(x: torch.Tensor, multiplier: float, amin: float, db_multiplier: float,
                    top_db: float | None = None) -> torch.Tensor:
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, as torchaudio's.

    With ``top_db``, values are raised to ``max - top_db`` where the maximum is taken, as torchaudio
    does, over the last three axes of a 4-D+ input (``(batch, channel, freq, time)``: per item) and
    over the whole tensor of a 3-D ``(channel, freq, time)`` one.
    """
    x_db = multiplier * torch.log10(torch.clamp(x, min=amin)) - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.dim() > 2 else 1
        packed = x_db.reshape(-1, channels, shape[-2], shape[-1])
        packed = torch.maximum(packed, (packed.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1))
        x_db = packed.reshape(shape)
    return x_db


# --- Inverse STFT and phase reconstruction --------------------------------------------------------------


def _full_window(window: torch.Tensor, n_fft: int, win_length: int | None, dtype) -> torch.Tensor:
    """The window zero-padded to ``n_fft`` on both sides, as ``torch.stft``/``torch.istft`` use it."""
    window = window.to(dtype)
    win_length = window.shape[-1] if win_length is None else win_length
    if window.dim() != 1 or window.shape[0] != win_length or win_length > n_fft:
        raise InvalidInputError(f"window must have shape (win_length,) with win_length <= n_fft={n_fft}, "
                                f"got {list(window.shape)} for win_length={win_length}")
    left = (n_fft - win_length) // 2
    return F.pad(window, (left, n_fft - win_length - left))


def inverse_spectrogram(spectrogram: torch.Tensor, length: int | None, pad: int, window: torch.Tensor, n_fft: int,
                        hop_length: int, win_length: int, normalized: bool | str, center: bool = True,
                        pad_mode: str = "reflect", onesided: bool = True) -> torch.Tensor:
    """Waveform from a complex spectrogram, as ``torchaudio.functional.inverse_spectrogram``.

    Args:
        spectrogram: complex ``(..., n_fft // 2 + 1, frames)``.
        length: samples to return (before removing ``pad``), or None.
        pad: samples torchaudio's forward padded on both sides; removed here.
        window: ``(win_length,)``; n_fft, hop_length, win_length: the forward's framing.
        normalized: the forward's normalisation (True/``"window"``: by the window's L2 norm,
            ``"frame_length"``: by ``sqrt(n_fft)``), undone here.
        center: the forward centred its frames. pad_mode: unused (as in torchaudio).
        onesided: only True is supported (the real-signal STFT).

    Returns:
        real ``(..., length)``. Differentiable with respect to ``spectrogram`` (the ISTFT op's
        adjoint; torchaudio's gradcheck passes).
    """
    if not isinstance(spectrogram, torch.Tensor) or not spectrogram.is_complex():
        raise InvalidTypeError(f"spectrogram must be a complex tensor, got "
                               f"{getattr(spectrogram, 'dtype', type(spectrogram).__name__)}")
    if onesided is not True:
        raise InvalidInputError(f"onesided must be True (a real waveform's one-sided STFT), got {onesided!r}")
    if normalized not in (False, True, "window", "frame_length"):
        raise InvalidInputError(f"normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")
    n_fft, hop_length = positive_int("n_fft", n_fft), positive_int("hop_length", hop_length)
    real = torch.float32 if spectrogram.dtype == torch.complex64 else torch.float64
    full = _full_window(window, n_fft, win_length, real)
    if normalized in (True, "window"):
        spectrogram = spectrogram * window.to(real).pow(2.0).sum().sqrt()
    elif normalized == "frame_length":
        spectrogram = spectrogram * math.sqrt(n_fft)
    shape = spectrogram.shape
    packed = spectrogram.reshape(-1, shape[-2], shape[-1])
    out = call_native(ops.istft, packed, full, n_fft=n_fft, hop_length=hop_length, center=center,
                      length=None if length is None else length + 2 * pad)
    if pad > 0:
        out = out[:, pad:-pad]
    return out.reshape(*shape[:-2], out.shape[-1])


def griffinlim(specgram: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, win_length: int,
               power: float, n_iter: int, momentum: float, length: int | None, rand_init: bool) -> torch.Tensor:
    """Waveform from a magnitude or power spectrogram by fast Griffin-Lim, as ``torchaudio.functional.griffinlim``.

    Each iteration inverts the current complex estimate (ISTFT op), re-analyses it (STFT op, centred,
    reflect padding) and keeps only the phase, with torchaudio's momentum ``m``:
    ``angles = rebuilt - m / (1 + m) * previous_rebuilt``. With ``rand_init`` the initial phases are
    ``torch.rand`` of the spectrogram's complex dtype, drawn exactly as torchaudio draws them, so the
    same ``torch.manual_seed`` gives the same result.

    Args:
        specgram: ``(..., n_fft // 2 + 1, frames)``, magnitude to the power ``power``.
        window: ``(win_length,)``. n_fft, hop_length, win_length: the framing.
        power: the exponent of ``specgram`` (1 magnitude, 2 power). n_iter: iterations.
        momentum: in ``[0, 1)``. length: output samples or None. rand_init: random or zero phases.

    Returns:
        ``(..., length)`` waveform.
    """
    specgram = _float_tensor("specgram", specgram)
    if not 0.0 <= momentum < 1.0:
        raise InvalidInputError(f"momentum must be in [0, 1), got {momentum}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 0:
        raise InvalidInputError(f"n_iter must be a non-negative int, got {n_iter!r}")
    power = positive_float("power", power)
    n_fft, hop_length = positive_int("n_fft", n_fft), positive_int("hop_length", hop_length)
    full = _full_window(window, n_fft, win_length, specgram.dtype)
    shape = specgram.shape
    magnitude = specgram.reshape(-1, shape[-2], shape[-1]).pow(1.0 / power)
    complex_dtype = torch.complex64 if magnitude.dtype == torch.float32 else torch.complex128
    if rand_init:
        angles = torch.rand(magnitude.shape, dtype=complex_dtype, device=magnitude.device)
    else:
        angles = torch.ones(magnitude.shape, dtype=complex_dtype, device=magnitude.device)
    framing = dict(n_fft=n_fft, hop_length=hop_length, center=True)
    estimate = magnitude * angles
    previous = None
    for _ in range(n_iter):  # iterations are sequential by nature; each one is whole-signal ops
        inverse = call_native(ops.istft, estimate, full, length=length, **framing)
        rebuilt = call_native(ops.stft, inverse, full, pad_mode="reflect", **framing)
        estimate = phase_update(rebuilt, previous if momentum else None, magnitude, momentum / (1 + momentum), 1e-16,
                                reuse=estimate)
        previous = rebuilt
    waveform = call_native(ops.istft, estimate, full, length=length, **framing)
    return waveform.reshape(*shape[:-2], waveform.shape[-1])


# --- Descriptors and normalisation -------------------------------------------------------------------------


def spectral_centroid(waveform: torch.Tensor, sample_rate: int, pad: int, window: torch.Tensor, n_fft: int,
                      hop_length: int, win_length: int) -> torch.Tensor:
    """Magnitude-weighted mean frequency of each frame, as ``torchaudio.functional.spectral_centroid``.

    The magnitude STFT (centred, reflect padding, after ``pad`` zeros on both sides) weighted by the
    bin frequencies ``linspace(0, sample_rate // 2, n_fft // 2 + 1)``. Silent frames give NaN, as in
    torchaudio. Returns ``(..., frames)``.
    """
    waveform = _float_tensor("waveform", waveform)
    n_fft, hop_length = positive_int("n_fft", n_fft), positive_int("hop_length", hop_length)
    compute = waveform.float() if waveform.dtype in (torch.float16, torch.bfloat16) else waveform
    if pad > 0:
        compute = F.pad(compute, (pad, pad))
    full = _full_window(window, n_fft, win_length, compute.dtype)
    spec = call_native(ops.spectrogram, compute, full, n_fft=n_fft, hop_length=hop_length, center=True,
                       pad_mode="reflect", power=1.0, filterbank=None, floor_db=None)
    freqs = torch.linspace(0, sample_rate // 2, n_fft // 2 + 1, dtype=spec.dtype, device=spec.device)
    centroid = (freqs[:, None] * spec).sum(dim=-2) / spec.sum(dim=-2)
    return centroid.to(waveform.dtype)


def _cmn_bounds(num_frames: int, cmn_window: int, min_cmn_window: int, center: bool, device):
    """Window ``[start, end)`` of every frame, torchaudio's (Kaldi's) rules applied to all frames at once."""
    t = torch.arange(num_frames, device=device)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    # A window running off the start is shifted right, keeping its length.
    end = torch.where(start < 0, end - start, end)
    start = start.clamp(min=0)
    if not center:
        # Causal windows: at least min_cmn_window frames at the start (looking ahead if needed).
        end = torch.where(end > t, torch.maximum(t + 1, torch.full_like(t, min_cmn_window)), end)
    over = end > num_frames
    start = torch.where(over, (start - (end - num_frames)).clamp(min=0), start)
    end = end.clamp(max=num_frames)
    return start, end


def sliding_window_cmn(specgram: torch.Tensor, cmn_window: int = 600, min_cmn_window: int = 100,
                       center: bool = False, norm_vars: bool = False) -> torch.Tensor:
    """Sliding-window cepstral mean (and variance) normalisation, as ``torchaudio.functional.sliding_window_cmn``.

    Args:
        specgram: ``(..., time, freq)`` (Kaldi's frames-by-features layout, as torchaudio).
        cmn_window: frames in the running window (default 600).
        min_cmn_window: the fewest frames a causal window uses at the start (default 100).
        center: centre the window on the frame (default False: the frame and those before it).
        norm_vars: also divide by the window's standard deviation.

    Returns:
        the same shape and dtype. Window sums come from one float64 cumulative sum over time
        (torchaudio updates running sums frame by frame), so the whole signal is one pass. With
        ``norm_vars`` the variance is floored at 1e-10 as Kaldi does (torchaudio gives NaN/inf for
        a window of identical frames).
    """
    specgram = _float_tensor("specgram", specgram)
    cmn_window = positive_int("cmn_window", cmn_window)
    min_cmn_window = positive_int("min_cmn_window", min_cmn_window)
    if specgram.dim() < 2:
        raise InvalidInputError(f"specgram must have shape (..., time, freq), got {tuple(specgram.shape)}")
    num_frames = specgram.shape[-2]
    if num_frames == 0:
        return specgram.clone()
    x = specgram.to(torch.float64)
    # Window statistics are shift-invariant: removing each feature's overall mean first keeps the
    # cumulative sums small, so E[x^2] - E[x]^2 does not cancel away the variance of offset features.
    x = x - x.mean(dim=-2, keepdim=True)
    start, end = _cmn_bounds(num_frames, cmn_window, min_cmn_window, center, specgram.device)
    count = (end - start).to(torch.float64)[:, None]

    def window_sums(values):
        cumsum = F.pad(values.cumsum(dim=-2), (0, 0, 1, 0))
        return cumsum.index_select(-2, end) - cumsum.index_select(-2, start)

    mean = window_sums(x) / count
    out = x - mean
    if norm_vars:
        # Kaldi floors the variance at 1e-10; torchaudio does not, and gives NaN or inf on a window of
        # constant frames (silence). We follow Kaldi there and torchaudio everywhere else.
        variance = (window_sums(x * x) / count - mean * mean).clamp(min=1e-10)
        out = torch.where(count == 1, torch.zeros_like(out), out * variance.pow(-0.5))
    return out.to(specgram.dtype)


def _biquad_impulse_response(b: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` samples of the biquad's impulse response (float64), by its recursion."""
    b, a = b / a[0], a / a[0]
    h = np.zeros(n)
    x = np.zeros(n)
    x[0] = 1.0
    for i in range(n):  # runs once per filter design on an impulse, never on the signal
        acc = b[0] * x[i] + (b[1] * x[i - 1] if i >= 1 else 0) + (b[2] * x[i - 2] if i >= 2 else 0)
        acc -= (a[1] * h[i - 1] if i >= 1 else 0) + (a[2] * h[i - 2] if i >= 2 else 0)
        h[i] = acc
    return h


def _iir_by_fft(waveform: torch.Tensor, b: np.ndarray, a: np.ndarray) -> torch.Tensor:
    """The biquad applied by FFT convolution with its impulse response, truncated where it has decayed
    below 1e-18 of its start (float64-exact), then clamped to [-1, 1] as torchaudio's lfilter does."""
    radius = float(np.max(np.abs(np.roots(a))))
    if radius >= 1.0:
        raise InvalidInputError(f"the filter with denominator {a.tolist()} is unstable (pole radius {radius})")
    taps = int(math.ceil(math.log(1e-18) / math.log(radius))) + 8 if radius > 0 else 3
    n = waveform.shape[-1]
    taps = min(taps, n)
    h = torch.from_numpy(_biquad_impulse_response(b, a, taps)).to(waveform.device)
    size = n + taps
    spectrum = torch.fft.rfft(waveform.to(torch.float64), n=size) * torch.fft.rfft(h, n=size)
    return torch.fft.irfft(spectrum, n=size)[..., :n].clamp(-1.0, 1.0)


def _treble_coefficients(sample_rate, gain, central_freq, q):
    w0 = 2 * math.pi * central_freq / sample_rate
    alpha = math.sin(w0) / 2 / q
    A = math.exp(gain / 40 * math.log(10))
    temp1, temp2, temp3 = 2 * math.sqrt(A) * alpha, (A - 1) * math.cos(w0), (A + 1) * math.cos(w0)
    b = np.array([A * ((A + 1) + temp2 + temp1), -2 * A * ((A - 1) + temp3), A * ((A + 1) + temp2 - temp1)])
    a = np.array([(A + 1) - temp2 + temp1, 2 * ((A - 1) - temp3), (A + 1) - temp2 - temp1])
    return b, a


def _highpass_coefficients(sample_rate, cutoff_freq, q):
    w0 = 2 * math.pi * cutoff_freq / sample_rate
    alpha = math.sin(w0) / 2.0 / q
    b = np.array([(1 + math.cos(w0)) / 2, -1 - math.cos(w0), (1 + math.cos(w0)) / 2])
    a = np.array([1 + alpha, -2 * math.cos(w0), 1 - alpha])
    return b, a


def loudness(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Integrated loudness in LUFS (ITU-R BS.1770-4), as ``torchaudio.functional.loudness``.

    K-weighting (a +4 dB high shelf at 1500 Hz, then a 38 Hz high-pass, each clamped to [-1, 1] as
    torchaudio's biquads are), mean square over 400 ms blocks every 100 ms, channel weights
    ``(1, 1, 1, 1.41, 1.41)``, then the absolute (-70 LUFS) and relative (-10 LU) gates.

    Args:
        waveform: ``(..., channels, time)``, at most 5 channels.
        sample_rate: Hz.

    Returns:
        ``(...)`` loudness in the input's dtype.
    """
    waveform = _float_tensor("waveform", waveform)
    if waveform.dim() < 2 or waveform.shape[-2] > 5:
        raise InvalidInputError(f"waveform must have shape (..., channels, time) with at most 5 channels, "
                                f"got {tuple(waveform.shape)}")
    sample_rate = positive_float("sample_rate", sample_rate)
    gate_samples = int(round(0.4 * sample_rate))
    step = int(round(gate_samples * 0.25))
    if waveform.shape[-1] < gate_samples:
        raise InvalidInputError(f"waveform must hold at least one 400 ms block ({gate_samples} samples at "
                                f"{sample_rate:g} Hz), got {waveform.shape[-1]}")
    # The FIR form of the two IIR stages is exact to float64 rounding and needs no per-sample loop.
    x = _iir_by_fft(waveform, *_treble_coefficients(sample_rate, 4.0, 1500.0, 1 / math.sqrt(2)))
    x = _iir_by_fft(x, *_highpass_coefficients(sample_rate, 38.0, 0.5))
    energy = x.square().unfold(-1, gate_samples, step).mean(dim=-1)  # (..., channels, blocks)
    g = torch.tensor([1.0, 1.0, 1.0, 1.41, 1.41], dtype=energy.dtype, device=energy.device)[:energy.shape[-2]]
    block_loudness = -0.691 + 10 * torch.log10((g[:, None] * energy).sum(dim=-2))
    gated = (block_loudness > -70.0).unsqueeze(-2)

    def gated_loudness(mask):
        filtered = (mask * energy).sum(dim=-1) / torch.count_nonzero(mask, dim=-1)
        return -0.691 + 10 * torch.log10((g * filtered).sum(dim=-1))

    relative = gated_loudness(gated) - 10
    gated = torch.logical_and(gated.squeeze(-2), block_loudness > relative.unsqueeze(-1)).unsqueeze(-2)
    return gated_loudness(gated).to(waveform.dtype)


def gain(waveform: torch.Tensor, gain_db: float = 1.0) -> torch.Tensor:
    """``waveform * 10 ** (gain_db / 20)``, as ``torchaudio.functional.gain``."""
    waveform = _float_tensor("waveform", waveform)
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)
