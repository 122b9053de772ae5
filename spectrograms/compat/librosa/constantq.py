"""librosa's constant-Q transforms, ``cqt``, ``vqt``, ``icqt`` and ``chroma_cqt``, on this package's STFT.

The algorithm is librosa 0.11's multi-rate one (Schörkhuber & Klapuri 2010): the filters of the top
octave are applied in the frequency domain to a rectangular-window STFT of the signal, then the signal
is low-passed and halved in rate and the same (rescaled) filters, one octave lower relative to the new
rate, give the next octave; the signal may first be downsampled early where the filters' highest
frequency allows. Each octave is one native STFT of all frames and items and one complex matrix
product; the loop is over octaves only.

Resampling (``res_type``): ``"fft"``/``"scipy"`` (``scipy.signal.resample``'s FFT method) and
``"polyphase"`` (``scipy.signal.resample_poly``'s Kaiser-windowed FIR) are computed here as scipy
computes them, so those give librosa's numbers to rounding. librosa's default ``"soxr_hq"`` (and the
other soxr qualities) is the SoX resampler, which this package does not reproduce: it is approximated
by a linear-phase Kaiser-windowed sinc with the same pass band (to 0.913 of the new Nyquist) and stop
band; the results differ from librosa's by about 1e-4 of the largest magnitude (the tests state it).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from ... import _validate, ops
from ._util import (
    ParameterError,
    as_tensor,
    check_pad_mode,
    get_window,
    normalize,
    out,
    pad_signal,
    positive_int,
    positive_number,
    torch_dtype,
)

__all__ = ["cqt", "vqt", "icqt", "chroma_cqt", "cqt_frequencies", "note_to_hz_c1", "RES_TYPES"]

# librosa.note_to_hz("C1"): MIDI note 24
C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12.0)
FFT_RES_TYPES = ("fft", "scipy")
SOXR_RES_TYPES = ("soxr_hq", "soxr_vhq", "soxr_mq", "soxr_lq", "soxr_qq")
RES_TYPES = FFT_RES_TYPES + ("polyphase",) + SOXR_RES_TYPES
# librosa.filters.WINDOW_BANDWIDTHS for the names most used; other windows are measured as librosa
# measures them (n * sum(w^2) / sum(w)^2 over 1000 samples).
_WINDOW_BANDWIDTHS = {"hann": 1.50018310546875, "hamming": 1.3629455320350348, "blackman": 1.7269681554262326,
                      "boxcar": 1.0, "ones": 1.0}
MAX_N_BINS = 100_000


def note_to_hz_c1() -> float:
    """librosa's default ``fmin``, C1 (32.70 Hz)."""
    return C1_HZ


def cqt_frequencies(n_bins: int, *, fmin: float, bins_per_octave: int = 12, tuning: float = 0.0) -> np.ndarray:
    """librosa.cqt_frequencies: ``fmin * 2 ** ((k + tuning) / bins_per_octave)`` for ``k < n_bins``."""
    if n_bins != 0:  # librosa gives an empty array for 0 bins
        n_bins = _validate.bounded_int("n_bins", n_bins, _validate.MAX_BANDS)
    fmin = _validate.non_negative_float("fmin", fmin)
    bins_per_octave = _validate.bounded_int("bins_per_octave", bins_per_octave, _validate.MAX_BANDS)
    tuning = _validate.finite_float("tuning", tuning)
    with np.errstate(over="ignore", invalid="ignore"):  # refused below, by name
        frequencies = np.power(2.0, tuning / bins_per_octave) * fmin * 2.0 ** (
            np.arange(0, n_bins, dtype=float) / bins_per_octave)
    return _validate.finite_result("cqt frequencies", frequencies,
                                   f"fmin={fmin} and tuning={tuning} leave float64's range")


def _interval_frequencies(n_bins: int, fmin: float, intervals, bins_per_octave: int) -> tuple[np.ndarray, int]:
    """librosa.interval_frequencies (sorted) for ``"equal"`` or a collection of ratios in one octave."""
    if isinstance(intervals, str):
        if intervals != "equal":
            raise ParameterError(f"intervals={intervals!r} is not supported here; use 'equal' or a collection of "
                                 "frequency ratios within one octave (librosa's just-intonation names are not "
                                 "implemented)")
        ratios = 2.0 ** (np.arange(0, bins_per_octave, dtype=float) / bins_per_octave)
    else:
        ratios = np.array(intervals, dtype=float)
        if ratios.ndim != 1 or ratios.size == 0 or not np.isfinite(ratios).all() or (ratios <= 0).any():
            raise ParameterError(f"intervals must be 'equal' or a non-empty 1-d collection of positive ratios, "
                                 f"got {intervals!r}")
        bins_per_octave = len(ratios)
    n_octaves = math.ceil(n_bins / bins_per_octave)
    all_ratios = np.multiply.outer(2.0 ** np.arange(n_octaves), ratios).flatten()[:n_bins]
    return np.sort(all_ratios) * fmin, bins_per_octave


def _relative_bandwidth(freqs: np.ndarray) -> np.ndarray:
    """librosa.filters._relative_bandwidth: ``alpha`` of each filter from its neighbours' spacing."""
    if len(freqs) <= 1:
        raise ParameterError(f"2 or more frequencies are required to compute bandwidths, got {len(freqs)}")
    logf = np.log2(freqs)
    bpo = np.empty_like(freqs)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[-1] = 1 / (logf[-1] - logf[-2])
    bpo[1:-1] = 2 / (logf[2:] - logf[:-2])
    return (2.0 ** (2 / bpo) - 1) / (2.0 ** (2 / bpo) + 1)


def _et_relative_bandwidth(bins_per_octave: int) -> np.ndarray:
    r = 2 ** (1 / bins_per_octave)
    return np.atleast_1d((r**2 - 1) / (r**2 + 1))


def _window_bandwidth(window) -> float:
    key = window.__name__ if hasattr(window, "__name__") else window
    if isinstance(key, str) and key in _WINDOW_BANDWIDTHS:
        return _WINDOW_BANDWIDTHS[key]
    w = get_window(window, 1000)
    return float(1000 * np.sum(w**2) / (np.sum(w) ** 2 + np.finfo(w.dtype).tiny))


def _wavelet_lengths(freqs, sr, window, filter_scale, gamma, alpha) -> tuple[np.ndarray, float]:
    """librosa.filters.wavelet_lengths: filter lengths in samples and the highest frequency reached."""
    gamma_ = alpha * 24.7 / 0.108 if gamma is None else gamma
    q = float(filter_scale) / alpha
    cutoff = float(np.max(freqs * (1 + 0.5 * _window_bandwidth(window) / q) + 0.5 * gamma_))
    return q * sr / (freqs + gamma_ / alpha), cutoff


def _float_window(window, n: int) -> np.ndarray:
    return get_window(window, n)


@functools.lru_cache(maxsize=64)
def _filter_fft_cached(sr, freqs_key, filter_scale, norm, sparsity, window, gamma, alpha_key, complex_dtype):
    freqs, alpha = np.array(freqs_key), np.array(alpha_key)
    lengths, _ = _wavelet_lengths(freqs, sr, window, filter_scale, gamma, alpha)
    max_len = int(2.0 ** np.ceil(np.log2(max(lengths))))
    basis = np.zeros((len(freqs), max_len), dtype=np.complex128)
    # One filter per row of the octave (at most bins_per_octave rows): construction, not a compute path.
    for row, (ilen, freq) in enumerate(zip(lengths, freqs)):
        t = np.arange(-ilen // 2, ilen // 2, dtype=float)
        sig = np.exp(1j * t * 2 * np.pi * freq / sr) * _float_window(window, len(t))
        sig = normalize(torch.from_numpy(sig), norm, dim=0).numpy() if norm is not None else sig
        left = (max_len - len(sig)) // 2
        basis[row, left:left + len(sig)] = sig
    # librosa builds the time-domain filters in complex64 (filters.wavelet's default dtype), rescales and
    # transforms them in that precision: kept, so that the basis is librosa's to rounding.
    # (NumPy's in-place product of complex64 by float64 is computed in complex128 and rounded back.)
    basis = (basis.astype(np.complex64) * (lengths[:, None] / float(max_len))).astype(np.complex64)
    fft_basis = _fftlib().fft(basis, n=max_len, axis=1)[:, : max_len // 2 + 1]
    return _sparsify_rows(fft_basis.astype(complex_dtype), sparsity), max_len, lengths


def _fftlib():
    """librosa 0.11's FFT library, scipy.fft (a librosa dependency; it keeps complex64 in single precision,
    as librosa's basis is), else NumPy's."""
    try:
        import scipy.fft

        return scipy.fft
    except ImportError:  # pragma: no cover (scipy comes with librosa)
        return np.fft


def _sparsify_rows(x: np.ndarray, quantile: float) -> np.ndarray:
    """librosa.util.sparsify_rows, kept dense: per row, the smallest magnitudes that add up to less than
    ``quantile`` of the row's total are set to 0 (vectorised over rows)."""
    mags = np.abs(x)
    norms = np.sum(mags, axis=1, keepdims=True)
    mag_sort = np.sort(mags, axis=1)
    cumulative = np.cumsum(mag_sort / norms, axis=1)
    threshold_idx = np.argmin(cumulative < quantile, axis=1)
    threshold = mag_sort[np.arange(len(x)), threshold_idx][:, None]
    return np.where(mags >= threshold, x, 0).astype(x.dtype)


def _filter_fft(sr, freqs, filter_scale, norm, sparsity, window, gamma, alpha, complex_dtype):
    window_key = window if isinstance(window, (str, tuple)) or callable(window) else tuple(np.asarray(window).ravel())
    return _filter_fft_cached(float(sr), tuple(freqs.tolist()), filter_scale, norm, sparsity, window_key,
                              gamma, tuple(alpha.tolist()), np.dtype(complex_dtype))


# --- Resampling by powers of two, as librosa.resample computes it -----------------------------------


def _kaiser_lowpass(half_len: int, cutoff: float, beta: float) -> np.ndarray:
    """scipy.signal.firwin(2 * half_len + 1, cutoff, window=('kaiser', beta)): a windowed sinc of unit DC
    gain, ``cutoff`` relative to the Nyquist frequency."""
    n = np.arange(-half_len, half_len + 1, dtype=float)
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(2 * half_len + 1, beta)
    return h / h.sum()


def _fir_resample(y: torch.Tensor, up: int, down: int, h: np.ndarray) -> torch.Tensor:
    """``resample_poly``'s output: zero-stuff by ``up``, filter with the centred symmetric ``h`` (zero
    padding), keep every ``down``-th sample; length ``ceil(n * up / down)``."""
    flat = y.reshape(-1, 1, y.shape[-1])
    if up > 1:
        stuffed = flat.new_zeros(flat.shape[0], 1, flat.shape[-1] * up)
        stuffed[..., ::up] = flat
        flat = stuffed
    half_len = (len(h) - 1) // 2
    n_out = -(-flat.shape[-1] // down)
    if len(h) <= _DIRECT_TAPS:
        kernel = torch.as_tensor(h * up, dtype=y.dtype, device=y.device).flip(0)[None, None]
        result = F.conv1d(F.pad(flat, (half_len, half_len)), kernel, stride=down)
    else:
        # Long filters (the soxr stand-in's 401+ taps): overlap-save with FFTW transforms of cache-sized
        # blocks, all blocks in one batched call (about a tenth of the direct product's work).
        taps = len(h)
        block = max(8192, 1 << (4 * taps - 1).bit_length())
        step = block - taps + 1
        n = flat.shape[-1]
        n_blocks = -(-n // step)
        padded = F.pad(flat[:, 0], (half_len, (n_blocks - 1) * step + block - n - half_len))
        blocks = padded.unfold(-1, block, step)  # (rows, n_blocks, block)
        response = ops.rfft(torch.as_tensor(h * up, dtype=y.dtype, device=y.device), block)
        # h is symmetric, so the circular convolution's last `step` samples are the wanted correlation
        product = ops.rfft(blocks.contiguous()) * response
        if down == 2:
            # halving in the frequency domain: the even samples of the circular convolution are the
            # inverse of half as many bins, (C[k] + C[k + block / 2]) / 2 (taps odd, so step is even)
            quarter = block // 4
            folded = (product[..., : quarter + 1] + product[..., 2 * quarter - quarter:].flip(-1).conj()) / 2
            filtered = ops.irfft(folded, block // 2)[..., (taps - 1) // 2:]
            result = filtered.reshape(flat.shape[0], 1, -1)[..., : -(-n // 2)]
        else:
            filtered = ops.irfft(product, block)[..., taps - 1:]
            result = filtered.reshape(flat.shape[0], 1, -1)[..., :n:down]
    return result.reshape(*y.shape[:-1], result.shape[-1])


_DIRECT_TAPS = 0  # measured: overlap-save beats the direct product already at 41 taps


def _fft_resample(y: torch.Tensor, num: int) -> torch.Tensor:
    """scipy.signal.resample of a real signal to ``num`` samples (FFT method, scipy 1.17's)."""
    n_x = y.shape[-1]
    m = min(num, n_x)
    spectrum = torch.fft.rfft(y)[..., : m // 2 + 1]
    if m % 2 == 0 and num != n_x:  # the unpaired bin at m // 2
        factor = 2.0 if num < n_x else 0.5
        spectrum = torch.cat([spectrum[..., : m // 2], spectrum[..., m // 2:] * factor], dim=-1)
    return torch.fft.irfft(spectrum * (num / n_x), n=num)


def _resample(y: torch.Tensor, up: int, down: int, res_type: str, scale: bool, fix: bool) -> torch.Tensor:
    """librosa.resample(y, orig_sr=down, target_sr=up, res_type=..., scale=..., fix=...) for ratios 2^k."""
    ratio = up / down
    n_samples = math.ceil(y.shape[-1] * ratio)
    if res_type in FFT_RES_TYPES:
        y_hat = _fft_resample(y, n_samples)
    elif res_type == "polyphase":
        rate = max(up, down)
        y_hat = _fir_resample(y, up, down, _kaiser_lowpass(10 * rate, 1.0 / rate, 5.0))
    else:
        # SoX's resampler is not reproduced: a linear-phase Kaiser sinc with its pass band (0.913 of the
        # lower Nyquist) and ~120 dB stop band stands in; measured within ~1.6e-4 of soxr_hq's output.
        rate = max(up, down)
        y_hat = _fir_resample(y, up, down, _kaiser_lowpass(200 * rate // 2, 0.955 / rate, 12.0))
    if fix:
        y_hat = y_hat[..., :n_samples] if y_hat.shape[-1] >= n_samples else F.pad(
            y_hat, (0, n_samples - y_hat.shape[-1]))
    if scale:
        y_hat = y_hat / math.sqrt(ratio)
    return y_hat.to(y.dtype)


def _early_downsample_count(nyquist, filter_cutoff, hop_length, n_octaves) -> int:
    count1 = max(0, int(np.ceil(np.log2(nyquist / filter_cutoff)) - 1) - 1)
    twos = (hop_length & -hop_length).bit_length() - 1
    count2 = max(0, twos - n_octaves + 1)
    return min(count1, count2)


# --- The transforms ---------------------------------------------------------------------------------


def _response(y: torch.Tensor, n_fft: int, hop: int, basis: torch.Tensor, pad_mode: str) -> torch.Tensor:
    """``basis @ stft(y, window='ones', center=True, pad_mode)``: ``(..., n_filters, n_frames)``."""
    window = torch.ones(n_fft, dtype=y.dtype, device=y.device)
    if pad_mode in ("constant", "reflect") and (pad_mode == "constant" or y.shape[-1] > n_fft // 2):
        spectrum = ops.stft(y, window, n_fft=n_fft, hop_length=hop, center=True, pad_mode=pad_mode)
    else:
        spectrum = ops.stft(pad_signal(y, n_fft // 2, pad_mode), window, n_fft=n_fft, hop_length=hop, center=False)
    return torch.matmul(basis, spectrum)


def _check_common(sr, hop_length, n_bins, bins_per_octave, filter_scale, norm, sparsity, res_type):
    sr = positive_number("sr", sr)
    hop_length = positive_int("hop_length", hop_length)
    n_bins = positive_int("n_bins", n_bins)
    if n_bins > MAX_N_BINS:
        raise ParameterError(f"n_bins={n_bins} must be at most {MAX_N_BINS}")
    bins_per_octave = positive_int("bins_per_octave", bins_per_octave)
    filter_scale = positive_number("filter_scale", filter_scale)
    if norm is not None and (isinstance(norm, bool) or not isinstance(norm, numbers.Real)
                             or not (norm > 0 or norm == 0 or norm == -np.inf)):
        raise ParameterError(f"norm={norm!r} is not supported (None, np.inf, -np.inf, 0 or a positive number)")
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real) or not 0.0 <= sparsity < 1:
        raise ParameterError(f"sparsity={sparsity!r} must be in [0, 1) (the quantile of each filter's magnitude "
                             "set to 0)")
    if res_type is None:
        res_type = "soxr_hq"  # librosa 0.11: deprecated, then soxr_hq
    if res_type not in RES_TYPES:
        raise ParameterError(f"res_type={res_type!r} is not supported; use one of {', '.join(RES_TYPES)}")
    return sr, hop_length, n_bins, bins_per_octave, filter_scale, float(sparsity), res_type


def vqt(y, *, sr: float = 22050, hop_length: int = 512, fmin=None, n_bins: int = 84, intervals="equal",
        gamma=None, bins_per_octave: int = 12, tuning=0.0, filter_scale=1, norm=1, sparsity: float = 0.01,
        window="hann", scale: bool = True, pad_mode="constant", res_type="soxr_hq", dtype=None):
    """librosa.vqt: the variable-Q transform, ``(..., n) -> (..., n_bins, n_frames)`` complex.

    Signature, defaults and algorithm as librosa 0.11's (see the module for ``res_type``). NumPy in,
    NumPy out; a torch tensor in, a tensor out. ``gamma=None`` is librosa's ERB-proportional bandwidth
    offset, ``gamma=0`` the constant-Q transform.
    """
    signal, was_numpy = as_tensor("y", y, audio=True)
    sr, hop_length, n_bins, bins_per_octave, filter_scale, sparsity, res_type = _check_common(
        sr, hop_length, n_bins, bins_per_octave, filter_scale, norm, sparsity, res_type)
    if gamma is not None and (isinstance(gamma, bool) or not isinstance(gamma, numbers.Real)
                              or not math.isfinite(gamma) or gamma < 0):
        raise ParameterError(f"gamma={gamma!r} must be None or a non-negative number")
    pad_mode = check_pad_mode(pad_mode)
    fmin = C1_HZ if fmin is None else positive_number("fmin", fmin)
    if tuning is None:
        from ._tuning import estimate_tuning

        tuning = estimate_tuning(y=signal.detach().cpu().numpy(), sr=sr, bins_per_octave=bins_per_octave)
    tuning = float(tuning)
    complex_dtype = torch.complex128 if signal.dtype == torch.float64 else torch.complex64
    if dtype is not None:
        complex_dtype = torch_dtype("dtype", dtype)
        complex_dtype = {torch.float32: torch.complex64, torch.float64: torch.complex128}.get(complex_dtype,
                                                                                              complex_dtype)
    real_dtype = torch.float64 if complex_dtype == torch.complex128 else torch.float32
    signal = signal.to(real_dtype)
    np_complex = np.complex128 if complex_dtype == torch.complex128 else np.complex64

    fmin = fmin * 2.0 ** (tuning / bins_per_octave)
    freqs, bins_per_octave = _interval_frequencies(n_bins, fmin, intervals, bins_per_octave)
    n_octaves = math.ceil(n_bins / bins_per_octave)
    n_filters = min(bins_per_octave, n_bins)
    alpha = _et_relative_bandwidth(bins_per_octave) if n_bins == 1 else _relative_bandwidth(freqs)
    lengths, cutoff = _wavelet_lengths(freqs, sr, window, filter_scale, gamma, alpha)
    nyquist = sr / 2.0
    if cutoff > nyquist:
        raise ParameterError(f"Wavelet basis with max frequency={np.max(freqs[-bins_per_octave:])} would exceed "
                             f"the Nyquist frequency={nyquist}. Try reducing the number of frequency bins.")

    count = _early_downsample_count(nyquist, cutoff, hop_length, n_octaves)
    if count > 0:
        factor = 2**count
        hop_length //= factor
        if signal.shape[-1] < factor:
            raise ParameterError(f"Input signal length={signal.shape[-1]} is too short for {n_octaves:d}-octave CQT")
        signal = _resample(signal, 1, factor, res_type, scale=True, fix=True)
        if not scale:
            signal = signal * math.sqrt(factor)
        sr = sr / factor

    responses = []
    my_y, my_sr, my_hop = signal, sr, hop_length
    for i in range(n_octaves):  # one STFT and one product per octave (all frames, all items)
        sl = slice(-n_filters, None) if i == 0 else slice(-n_filters * (i + 1), -n_filters * i)
        fft_basis, n_fft, _ = _filter_fft(my_sr, freqs[sl], filter_scale, norm, sparsity, window, gamma,
                                          alpha[sl], np_complex)
        basis = torch.from_numpy((fft_basis * np.sqrt(sr / my_sr)).astype(np_complex)).to(device=signal.device)
        responses.append(_response(my_y, n_fft, my_hop, basis, pad_mode))
        if my_hop % 2 == 0:
            my_hop //= 2
            my_sr /= 2.0
            my_y = _resample(my_y, 1, 2, res_type, scale=True, fix=True)

    n_frames = min(r.shape[-1] for r in responses)
    # librosa's __trim_stack: octaves from the top down, the lowest one trimmed to what is left
    stacked, end = [], n_bins
    for response in responses:
        take = min(end, response.shape[-2])
        stacked.append(response[..., response.shape[-2] - take:, :n_frames])
        end -= take
    result = torch.cat(stacked[::-1], dim=-2)
    if scale:
        lengths, _ = _wavelet_lengths(freqs, sr, window, filter_scale, gamma, alpha)
        result = result / torch.from_numpy(np.sqrt(lengths)).to(device=result.device, dtype=real_dtype)[:, None]
    return out(result.to(complex_dtype), was_numpy)


def cqt(y, *, sr: float = 22050, hop_length: int = 512, fmin=None, n_bins: int = 84, bins_per_octave: int = 12,
        tuning=0.0, filter_scale=1, norm=1, sparsity: float = 0.01, window="hann", scale: bool = True,
        pad_mode="constant", res_type="soxr_hq", dtype=None):
    """librosa.cqt: the constant-Q transform (``vqt`` with ``gamma=0``), ``(..., n) -> (..., n_bins,
    n_frames)`` complex. Defaults as librosa 0.11: hop 512, fmin C1, 84 bins, 12 per octave, Hann
    filters of unit l1 norm, sparsity 0.01, scaled by ``1 / sqrt(length)``."""
    return vqt(y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins, intervals="equal", gamma=0,
               bins_per_octave=bins_per_octave, tuning=tuning, filter_scale=filter_scale, norm=norm,
               sparsity=sparsity, window=window, scale=scale, pad_mode=pad_mode, res_type=res_type, dtype=dtype)


def icqt(C, *, sr: float = 22050, hop_length: int = 512, fmin=None, bins_per_octave: int = 12, tuning=0.0,
         filter_scale=1, norm=1, sparsity: float = 0.01, window="hann", scale: bool = True, length=None,
         res_type="soxr_hq", dtype=None):
    """librosa.icqt: the signal ``(..., n)`` of a CQT ``(..., n_bins, n_frames)``, by librosa's
    per-octave inverse projection, rectangular-window overlap-add and upsampling."""
    spectrum, was_numpy = as_tensor("C", C, allow_complex=True)
    if spectrum.dim() < 2:
        raise ParameterError(f"C must have shape (..., n_bins, n_frames), got {tuple(spectrum.shape)}")
    n_bins = spectrum.shape[-2]
    sr, hop_length, n_bins, bins_per_octave, filter_scale, sparsity, res_type = _check_common(
        sr, hop_length, n_bins, bins_per_octave, filter_scale, norm, sparsity, res_type)
    if length is not None:
        length = positive_int("length", length)
    fmin = C1_HZ if fmin is None else positive_number("fmin", fmin)
    fmin = fmin * 2.0 ** (float(tuning) / bins_per_octave)
    # librosa's precision: its projection multiplies by the float64 sqrt(lengths) when scale=True, which
    # promotes even a complex64 C to complex128 (a float64 signal); without scale, C's own precision.
    complex_dtype = torch.complex128 if scale or spectrum.dtype in (torch.float64, torch.complex128) \
        else torch.complex64
    if dtype is not None:
        real = torch_dtype("dtype", dtype)
        complex_dtype = torch.complex128 if real in (torch.float64, torch.complex128) else torch.complex64
    real_dtype = torch.float64 if complex_dtype == torch.complex128 else torch.float32
    np_complex = np.complex128 if complex_dtype == torch.complex128 else np.complex64
    spectrum = spectrum.to(complex_dtype)

    n_octaves = math.ceil(n_bins / bins_per_octave)
    freqs = cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    alpha = _et_relative_bandwidth(bins_per_octave) if n_bins == 1 else _relative_bandwidth(freqs)
    lengths, _ = _wavelet_lengths(freqs, sr, window, filter_scale, 0, alpha)
    if length is not None:
        spectrum = spectrum[..., : int(np.ceil((length + max(lengths)) / hop_length))]
    c_scale = np.sqrt(lengths)

    srs, hops = [sr], [hop_length]
    for _ in range(n_octaves - 1):
        if hops[0] % 2 == 0:
            srs.insert(0, srs[0] * 0.5)
            hops.insert(0, hops[0] // 2)
        else:
            srs.insert(0, srs[0])
            hops.insert(0, hops[0])

    y = None
    for i, (my_sr, my_hop) in enumerate(zip(srs, hops)):
        count = min(bins_per_octave, n_bins - bins_per_octave * i)
        sl = slice(bins_per_octave * i, bins_per_octave * i + count)
        # librosa's icqt builds this basis at its default dtype, complex64, whatever C's precision
        fft_basis, n_fft, _ = _filter_fft(my_sr, freqs[sl], filter_scale, norm, sparsity, window, 0, alpha[sl],
                                          np.complex64)
        inv_basis = fft_basis.conj().T
        # in float32 as librosa's (|complex64|^2 sums, scaled in place)
        freq_power = (1 / np.sum(inv_basis.real**2 + inv_basis.imag**2, axis=0)).astype(np.float32)
        freq_power = (freq_power * (n_fft / lengths[sl])).astype(np.float32)
        # the products in librosa's einsum order: sqrt(lengths) * power in float64; without scale the
        # complex64 basis times the float32 power stays complex64
        if scale:
            projection = inv_basis * (c_scale[sl] * freq_power.astype(np.float64))[None, :]
        else:
            projection = inv_basis * freq_power[None, :]
        projection = torch.from_numpy(projection.astype(np_complex)).to(device=spectrum.device)
        octave = torch.matmul(projection, spectrum[..., sl, :])
        y_oct = _istft_ones(octave, n_fft, my_hop, real_dtype)
        factor = int(sr // my_sr)
        if factor > 1:
            y_oct = _resample(y_oct, factor, 1, res_type, scale=False, fix=False)
        if y is None:
            y = y_oct
        else:
            n = min(y.shape[-1], y_oct.shape[-1])
            y = torch.cat([y[..., :n] + y_oct[..., :n], y[..., n:]], dim=-1)
    if length:
        y = y[..., :length] if y.shape[-1] >= length else F.pad(y, (0, length - y.shape[-1]))
    return out(y, was_numpy)


def _istft_ones(spectrum: torch.Tensor, n_fft: int, hop: int, real_dtype) -> torch.Tensor:
    """librosa.istft(window='ones', center=True, length=None): inverse FFT of every frame, overlap-add,
    divided by the overlapping window count (where it is non-zero), centre padding removed."""
    frames = torch.fft.irfft(spectrum, n=n_fft, dim=-2).to(real_dtype)  # (..., n_fft, n_frames)
    n_frames = frames.shape[-1]
    expected = n_fft + hop * (n_frames - 1)
    lead = frames.shape[:-2]
    flat = frames.reshape(-1, n_fft, n_frames)
    signal = F.fold(flat, output_size=(1, expected), kernel_size=(1, n_fft), stride=(1, hop)).reshape(-1, expected)
    ones = torch.ones(1, n_fft, n_frames, dtype=real_dtype, device=spectrum.device)
    count = F.fold(ones, output_size=(1, expected), kernel_size=(1, n_fft), stride=(1, hop)).reshape(expected)
    tiny = torch.finfo(real_dtype).tiny
    signal = torch.where(count > tiny, signal / torch.where(count > tiny, count, torch.ones_like(count)), signal)
    start, stop = n_fft // 2, expected - n_fft // 2
    return signal[:, start:stop].reshape(*lead, stop - start)


def chroma_cqt(*, y=None, sr: float = 22050, C=None, hop_length: int = 512, fmin=None, norm=np.inf,
               threshold: float = 0.0, tuning=None, n_chroma: int = 12, n_octaves: int = 7, window=None,
               bins_per_octave=36, cqt_mode: str = "full"):
    """librosa.feature.chroma_cqt: the CQT magnitude ``(..., n_octaves * bins_per_octave, n_frames)``
    folded into ``n_chroma`` pitch classes (starting at C), thresholded and normalised per frame.
    ``tuning=None`` estimates the tuning from ``y`` as librosa does. Only ``cqt_mode='full'``."""
    n_chroma = positive_int("n_chroma", n_chroma)
    if bins_per_octave is None:
        bins_per_octave = n_chroma
    bins_per_octave = positive_int("bins_per_octave", bins_per_octave)
    if bins_per_octave % n_chroma:
        raise ParameterError(f"bins_per_octave={bins_per_octave} must be an integer multiple of n_chroma={n_chroma}")
    if cqt_mode != "full":
        raise ParameterError(f"cqt_mode={cqt_mode!r} is not supported; only 'full' (hybrid_cqt is not implemented)")
    if C is None:
        if y is None:
            raise ParameterError("At least one of C or y must be provided to compute chroma")
        spectrum = cqt(y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=positive_int("n_octaves", n_octaves)
                       * bins_per_octave, bins_per_octave=bins_per_octave, tuning=tuning)
        magnitude, was_numpy = as_tensor("C", spectrum, allow_complex=True)
        was_numpy = not isinstance(y, torch.Tensor)
        magnitude = magnitude.abs()
    else:
        magnitude, was_numpy = as_tensor("C", C, allow_complex=True)
        magnitude = magnitude.abs() if magnitude.is_complex() else magnitude
    if magnitude.dim() < 2:
        raise ParameterError(f"C must have shape (..., n_bins, n_frames), got {tuple(magnitude.shape)}")
    matrix = torch.from_numpy(_cq_to_chroma(magnitude.shape[-2], bins_per_octave, n_chroma,
                                            C1_HZ if fmin is None else positive_number("fmin", fmin), window))
    chroma = torch.matmul(matrix.to(device=magnitude.device, dtype=magnitude.dtype), magnitude)
    if threshold is not None:
        chroma = torch.where(chroma < threshold, torch.zeros_like(chroma), chroma)
    return out(normalize(chroma, norm, dim=-2), was_numpy)


def _cq_to_chroma(n_input: int, bins_per_octave: int, n_chroma: int, fmin: float, window) -> np.ndarray:
    """librosa.filters.cq_to_chroma (float32, as librosa's default dtype)."""
    n_merge = bins_per_octave // n_chroma
    matrix = np.roll(np.repeat(np.eye(n_chroma), n_merge, axis=1), -(n_merge // 2), axis=1)
    matrix = np.tile(matrix, math.ceil(n_input / bins_per_octave))[:, :n_input]
    midi_0 = np.mod(12 * (np.log2(fmin) - np.log2(440.0)) + 69, 12)
    roll = int(np.round(midi_0 * (n_chroma / 12.0)))
    matrix = np.roll(matrix, roll, axis=0).astype(np.float32)
    if window is not None:
        import scipy.signal

        matrix = scipy.signal.convolve(matrix, np.atleast_2d(window), mode="same")
    return matrix
