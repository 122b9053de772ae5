"""The ops written with ATen calls: the CUDA kernels and the pieces of the backward formulas.

The native CPU kernels (spectrograms_ext/) are fused FFTW passes. The functions here compute the same
values from ``torch.stft`` (cuFFT on CUDA) and plain torch ops on any device, so they serve as the
ops' CUDA implementation and are tested against the CPU kernels on CPU. They check their arguments as
the C++ kernels do and raise ``ValueError`` with the same messages.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F

from ._frames import n_frames

NON_FINITE_MESSAGE = (
    "the signal contains NaN or Inf samples (or values so large that a frame's sum overflows); clean it, "
    "e.g. with torch.nan_to_num, before computing"
)


def check_framing(signal: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, center: bool,
                  pad_mode: str) -> int:
    """The C++ kernels' argument checks (framing.h); returns the number of frames."""
    if signal.dim() < 1:
        raise ValueError("the signal must have shape (..., time), got a 0-d tensor")
    if signal.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"the signal must be float32 or float64, got {signal.dtype}")
    if window.dim() != 1 or window.shape[0] != n_fft:
        raise ValueError(f"window must have shape (n_fft,) = ({n_fft},), got {list(window.shape)}")
    if window.dtype != signal.dtype:
        raise ValueError(f"window dtype {window.dtype} differs from the signal dtype {signal.dtype}")
    if window.device != signal.device:
        raise ValueError(f"window is on {window.device}, the signal on {signal.device}")
    if pad_mode not in ("constant", "reflect"):
        raise ValueError(f"pad_mode must be 'constant' or 'reflect', got '{pad_mode}'")
    if n_fft <= 0:
        raise ValueError(f"n_fft must be positive, got {n_fft}")
    if hop_length <= 0:
        raise ValueError(f"hop_length must be positive, got {hop_length}")
    n_samples = signal.shape[-1]
    if n_samples <= 0:
        raise ValueError("the signal is empty (time axis of length 0)")
    pad = n_fft // 2 if center else 0
    if n_samples + 2 * pad < n_fft:
        hint = "" if center else " (with center=False a signal needs at least n_fft samples)"
        raise ValueError(f"the signal has {n_samples} samples, fewer than n_fft={n_fft}{hint}")
    if center and pad_mode == "reflect" and pad >= n_samples:
        raise ValueError(f"pad_mode='reflect' needs more than n_fft // 2 = {pad} samples, got {n_samples}")
    return n_frames(n_samples, n_fft, hop_length, center)


def stft(signal: torch.Tensor, window: torch.Tensor, n_fft: int, hop_length: int, center: bool,
         pad_mode: str) -> torch.Tensor:
    """``spectrograms::stft`` from ``torch.stft``: complex, shape ``(..., n_fft // 2 + 1, n_frames)``."""
    frames = check_framing(signal, window, n_fft, hop_length, center, pad_mode)
    complex_dtype = torch.complex64 if signal.dtype == torch.float32 else torch.complex128
    shape = (*signal.shape[:-1], n_fft // 2 + 1, frames)
    if signal.numel() == 0:
        return signal.new_empty(shape, dtype=complex_dtype)
    spectrum = torch.stft(signal.reshape(-1, signal.shape[-1]), n_fft, hop_length, win_length=n_fft, window=window,
                          center=center, pad_mode=pad_mode, normalized=False, onesided=True, return_complex=True)
    # As in the C++ kernels, every bin: finite samples can still overflow the transform in any of them.
    if not bool(torch.isfinite(spectrum).all()):
        raise ValueError(NON_FINITE_MESSAGE)
    return spectrum.reshape(shape)


def check_reduction(power: float, floor_db: float | None, fb_crow, fb_col, fb_val):
    """The C++ spectrogram kernel's checks of power and floor, and that the filterbank is whole."""
    if power not in (1.0, 2.0):
        raise ValueError(f"power must be 1 (magnitude) or 2 (power), got {power}")
    if floor_db is not None and not math.isfinite(floor_db):
        raise ValueError(f"floor_db must be finite, got {floor_db}")
    given = [t is not None for t in (fb_crow, fb_col, fb_val)]
    if any(given) and not all(given):
        raise ValueError("the filterbank needs all of crow_indices, col_indices and values, or none")


def check_filterbank(fb_crow: torch.Tensor, fb_col: torch.Tensor, fb_val: torch.Tensor, n_bins: int):
    """The C++ spectrogram kernel's checks of a CSR filterbank's structure."""
    if fb_crow.dim() != 1 or fb_crow.shape[0] < 2 or fb_crow.dtype != torch.int64:
        raise ValueError("filterbank crow_indices must be a 1-D int64 tensor of length n_bands + 1")
    if fb_col.dim() != 1 or fb_col.dtype != torch.int64:
        raise ValueError("filterbank col_indices must be a 1-D int64 tensor")
    if fb_val.dim() != 1 or fb_val.shape[0] != fb_col.shape[0]:
        raise ValueError("filterbank values must be 1-D with one value per column index")
    crow = fb_crow.tolist()  # small; one host transfer for all the structural checks
    if crow[0] != 0 or crow[-1] != fb_col.shape[0]:
        raise ValueError("filterbank crow_indices must run from 0 to nnz")
    if any(b < a for a, b in zip(crow, crow[1:])):
        raise ValueError("filterbank crow_indices must be non-decreasing")
    if fb_col.numel():
        low, high = fb_col.aminmax()
        low, high = int(low), int(high)
        if low < 0 or high >= n_bins:
            bad = low if low < 0 else high
            raise ValueError(f"filterbank column {bad} is outside [0, n_fft // 2 + 1 = {n_bins})")


def dense_filterbank(fb_crow: torch.Tensor, fb_col: torch.Tensor, fb_val: torch.Tensor, n_bins: int,
                     dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The CSR filterbank as a dense ``(n_bands, n_bins)`` matrix on ``device`` (duplicate entries add up,
    as in C++). The CSR tensors may live elsewhere (the plans keep them on the CPU): they are small.

    Built with static-shape index ops (no sparse tensors) so that ``torch.compile`` can trace it in
    backward graphs.
    """
    fb_crow, fb_col, fb_val = fb_crow.to(device), fb_col.to(device), fb_val.to(device=device, dtype=dtype)
    n_bands = fb_crow.shape[0] - 1
    positions = torch.arange(fb_col.shape[0], device=device)
    rows = torch.searchsorted(fb_crow, positions, right=True) - 1
    dense = torch.zeros(n_bands, n_bins, dtype=dtype, device=device)
    return dense.index_put((rows, fb_col), fb_val, accumulate=True)


# Plans and layers pass the same CSR tensors on every call. Checking and densifying a filterbank costs
# host syncs and a dozen small kernels on a GPU, so the last few are kept, keyed by the tensors
# themselves: the entries hold them (no weak references, which would stop torch.utils.swap_tensors), so
# an id cannot be reused while its entry lives, and their version counters catch in-place edits. Edits
# that bypass the counter (through .data or a NumPy view) are not seen, as with torch's own caches.
_DENSE_FILTERBANKS_KEPT = 8
_dense_filterbanks: OrderedDict[tuple, tuple] = OrderedDict()


def checked_dense_filterbank(fb_crow: torch.Tensor, fb_col: torch.Tensor, fb_val: torch.Tensor, n_bins: int,
                             dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``dense_filterbank`` after ``check_filterbank``, both skipped for a filterbank seen recently."""
    tensors = (fb_crow, fb_col, fb_val)
    try:
        versions = tuple(t._version for t in tensors)
    except RuntimeError:  # inference tensors keep no version counter: check and densify every time
        check_filterbank(*tensors, n_bins)
        return dense_filterbank(*tensors, n_bins, dtype, device)
    key = (*map(id, tensors), n_bins, dtype, device)
    entry = _dense_filterbanks.get(key)
    if entry is not None and entry[1] == versions:
        _dense_filterbanks.move_to_end(key)
        return entry[2]
    check_filterbank(*tensors, n_bins)
    with torch.no_grad():  # a cached tensor must not keep a graph (and its inputs) alive
        dense = dense_filterbank(*tensors, n_bins, dtype, device)
    _dense_filterbanks[key] = (tensors, versions, dense)
    _dense_filterbanks.move_to_end(key)
    while len(_dense_filterbanks) > _DENSE_FILTERBANKS_KEPT:
        _dense_filterbanks.popitem(last=False)
    return dense


def db_scale(power: float) -> float:
    """10 for power (``10 log10 P``), 20 for magnitude."""
    return 20.0 if power == 1.0 else 10.0


def db_amin(floor_db: float, power: float, dtype: torch.dtype) -> float:
    """The linear floor ``10^(floor_db / scale)``, kept a normal number of ``dtype`` as the C++ kernel does."""
    return max(10.0 ** (floor_db / db_scale(power)), torch.finfo(dtype).tiny)


def reduce_spectrum(spectrum: torch.Tensor, power: float, filterbank: torch.Tensor | None) -> torch.Tensor:
    """``|X|^2`` or ``|X|`` of a complex STFT ``(..., n_bins, frames)``, then the dense filterbank if any."""
    values = spectrum.abs() if power == 1.0 else torch.view_as_real(spectrum).square().sum(-1)
    if filterbank is not None:
        values = filterbank @ values
    return values


def spectrogram(signal, window, n_fft, hop_length, center, pad_mode, power, fb_crow, fb_col, fb_val, floor_db):
    """``spectrograms::spectrogram`` from ``torch.stft`` and torch ops (same arguments as the op)."""
    n_bins = n_fft // 2 + 1
    check_framing(signal, window, n_fft, hop_length, center, pad_mode)
    check_reduction(power, floor_db, fb_crow, fb_col, fb_val)
    filterbank = None
    if fb_crow is not None:
        filterbank = checked_dense_filterbank(fb_crow, fb_col, fb_val, n_bins, signal.dtype, signal.device)
    spectrum = stft(signal, window, n_fft, hop_length, center, pad_mode)
    values = reduce_spectrum(spectrum, power, filterbank)
    if not bool(torch.isfinite(values).all()):  # the spectrum is finite: |X|^2 or a band sum overflowed
        return _overflowed(spectrum, power, filterbank, floor_db, signal.dtype)
    if floor_db is not None:  # in place: values is this function's own intermediate
        values = values.clamp_(min=db_amin(floor_db, power, signal.dtype)).log10_().mul_(db_scale(power))
    return values


def overflow_message(dtype: torch.dtype, power: float, banded: bool) -> str:
    """The C++ spectrogram kernel's message for a linear value beyond the dtype's range."""
    name = str(dtype).removeprefix("torch.")
    return (f"the spectrogram of this signal exceeds the {name} range ({torch.finfo(dtype).max:g}): its "
            f"{'magnitude' if power == 1.0 else 'power (|X|^2)'}{' summed over a filterbank band' if banded else ''} "
            "overflows. Scale the signal down, pass float64, or ask for dB values, which are computed without "
            "overflow")


def _overflowed(spectrum, power, filterbank, floor_db, dtype):
    """As the C++ kernel's wide path: float32 values redone in float64, where they are exact, so that dB
    is right and a linear value that float32 cannot hold is refused. (float64 has no wider type on a
    GPU: its overflow, at |X| ~ 1e154, is refused in dB too.)"""
    if dtype == torch.float32:
        wide = reduce_spectrum(spectrum.to(torch.complex128), power,
                               None if filterbank is None else filterbank.double())
        if floor_db is not None:
            return wide.clamp_(min=db_amin(floor_db, power, dtype)).log10_().mul_(db_scale(power)).float()
        if float(wide.max()) <= torch.finfo(dtype).max:
            return wide.float()
    raise ValueError(overflow_message(dtype, power, filterbank is not None))


def stft_adjoint(grad: torch.Tensor, window: torch.Tensor, n_samples: int, n_fft: int, hop_length: int,
                 center: bool, pad_mode: str) -> torch.Tensor:
    """The adjoint of the STFT (as a real-linear map of the signal): the gradient of a loss with respect
    to the signal, given its gradient ``grad`` with respect to the complex STFT.

    Args:
        grad: complex, shape ``(..., n_fft // 2 + 1, n_frames)``.
        window: real, shape ``(n_fft,)``.

    Returns:
        Real, shape ``(..., n_samples)``.
    """
    *lead, n_bins, frames = grad.shape
    grad = grad.reshape(-1, n_bins, frames)
    # X[k] = sum_i y[i] e^{-2 pi i k / N} for the half spectrum k = 0 .. N // 2, so the adjoint is
    # dy[i] = Re sum_k G[k] e^{+2 pi i k / N}. irfft (unnormalised: norm="forward") sums the mirrored
    # bins too, which doubles every bin except DC and, for even N, Nyquist: halve those. irfft reads
    # only the real part of DC and Nyquist, which is also what the adjoint needs (their imaginary
    # parts do not depend on the signal); zero them explicitly since cuFFT leaves that case undefined.
    middle = torch.zeros(n_bins, dtype=torch.bool, device=grad.device)
    middle[1:(n_fft + 1) // 2] = True
    real_weight = torch.where(middle, 0.5, 1.0).to(grad.real.dtype)[:, None]
    imag_weight = torch.where(middle, 0.5, 0.0).to(grad.real.dtype)[:, None]
    grad = torch.complex(grad.real * real_weight, grad.imag * imag_weight)
    windowed = torch.fft.irfft(grad, n=n_fft, dim=-2, norm="forward") * window[:, None]  # (B, n_fft, frames)
    # Overlap-add of the frames (the adjoint of framing), as torch.istft does it.
    covered = (frames - 1) * hop_length + n_fft
    padded = F.fold(windowed, output_size=(1, covered), kernel_size=(1, n_fft), stride=(1, hop_length))
    pad = n_fft // 2 if center else 0
    padded = F.pad(padded.reshape(-1, covered), (0, n_samples + 2 * pad - covered))  # samples no frame reads
    return _padding_adjoint(padded, n_samples, pad, pad_mode).reshape(*lead, n_samples)


def _padding_adjoint(padded: torch.Tensor, n_samples: int, pad: int, pad_mode: str) -> torch.Tensor:
    """Adjoint of padding by ``pad`` on both sides: crop, and for reflect padding add the reflected
    parts back onto the samples they copied (left pad j <- x[pad - j], right pad m <- x[n - 2 - m])."""
    inner = padded[:, pad:pad + n_samples]
    if pad == 0 or pad_mode == "constant":
        return inner
    left = padded[:, :pad].flip(-1)  # onto x[1 : pad + 1]
    right = padded[:, pad + n_samples:].flip(-1)  # onto x[n - 1 - pad : n - 1]
    rest = n_samples - 1 - pad
    return inner + F.pad(left, (1, rest)) + F.pad(right, (rest, 1))
