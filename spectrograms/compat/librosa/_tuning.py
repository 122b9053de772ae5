"""librosa's tuning estimate (``estimate_tuning``, ``pitch_tuning``, ``piptrack``), which ``tuning=None``
of the chroma and constant-Q functions uses.

``piptrack`` is vectorised over bins, frames and items (librosa's numba stencils as shifted tensor
comparisons); the estimate is the most common deviation, in fractions of a bin, of the spectral peaks
above the median peak magnitude from equal temperament at A440.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import ops
from ._util import ParameterError, as_tensor, positive_int, positive_number

__all__ = ["estimate_tuning", "pitch_tuning", "piptrack"]


def piptrack(*, y=None, sr: float = 22050, S=None, n_fft: int | None = 2048, hop_length: int | None = None,
             fmin: float = 150.0, fmax: float = 4000.0, threshold: float = 0.1, win_length=None,
             window="hann", center: bool = True, pad_mode="constant", ref=None):
    """librosa.piptrack: ``(pitches, magnitudes)``, each ``(..., 1 + n_fft // 2, n_frames)``, non-zero at
    the parabolically interpolated local maxima of the magnitude spectrum between ``fmin`` and ``fmax``
    that exceed ``threshold * ref(S)`` (default ``ref=np.max`` per frame).

    Only the Hann window with ``win_length = n_fft`` is supported for ``y`` (``S`` may be any
    magnitude spectrogram).
    """
    sr = positive_number("sr", sr)
    if S is None:
        if y is None:
            raise ParameterError("Input signal must be provided to compute a spectrogram")
        if n_fft is None:
            raise ParameterError(f"Unable to compute spectrogram with n_fft={n_fft}")
        n_fft = positive_int("n_fft", n_fft)
        if window != "hann" or (win_length is not None and win_length != n_fft):
            raise ParameterError("piptrack here supports window='hann' with win_length=n_fft only")
        signal, was_numpy = as_tensor("y", y, audio=True)
        hop = n_fft // 4 if hop_length is None else positive_int("hop_length", hop_length)
        if pad_mode not in ("constant", "reflect"):
            raise ParameterError(f"pad_mode={pad_mode!r} is not supported here; use 'constant' or 'reflect'")
        window_tensor = torch.hann_window(n_fft, periodic=True, dtype=torch.float64).to(signal.dtype)
        magnitude = ops.stft(signal, window_tensor, n_fft=n_fft, hop_length=hop, center=bool(center),
                             pad_mode=pad_mode).abs()
    else:
        magnitude, was_numpy = as_tensor("S", S, allow_complex=True)
        magnitude = magnitude.abs()
        if n_fft is None or n_fft // 2 + 1 != magnitude.shape[-2]:
            n_fft = 2 * (magnitude.shape[-2] - 1)
    pitches, mags = _piptrack_tensor(magnitude, sr, n_fft, fmin, fmax, threshold, ref)
    if was_numpy:
        return pitches.numpy(), mags.numpy()
    return pitches, mags


def _piptrack_tensor(S: torch.Tensor, sr, n_fft, fmin, fmax, threshold, ref):
    fmin, fmax = max(float(fmin), 0.0), min(float(fmax), sr / 2)
    freqs = torch.arange(S.shape[-2], dtype=torch.float64) * (sr / n_fft)
    avg = torch.gradient(S, dim=-2)[0] if S.shape[-2] > 1 else torch.zeros_like(S)
    # parabolic interpolation of each bin from its neighbours (0 at the edges and where |b| >= |a|)
    shift = torch.zeros_like(S)
    if S.shape[-2] > 2:
        below, centre, above = S[..., :-2, :], S[..., 1:-1, :], S[..., 2:, :]
        a = above + below - 2 * centre
        b = (above - below) / 2
        inner = torch.where(b.abs() >= a.abs(), torch.zeros_like(a), -b / torch.where(a == 0, torch.ones_like(a), a))
        shift[..., 1:-1, :] = inner
    dskew = 0.5 * avg * shift
    freq_mask = ((fmin <= freqs) & (freqs < fmax)).to(S.device)[:, None]
    if ref is None:
        ref_value = threshold * S.amax(dim=-2, keepdim=True)
    elif callable(ref):
        ref_value = torch.as_tensor(threshold * np.asarray(ref(S.numpy(), axis=-2)), dtype=S.dtype).unsqueeze(-2)
    else:
        ref_value = abs(float(ref))
    gated = S * (S > ref_value)
    # librosa.util.localmax along bins: x[k] > x[k-1] and x[k] >= x[k+1]; the first bin never, the last
    # where it exceeds its neighbour
    peak = torch.zeros_like(gated, dtype=torch.bool)
    if gated.shape[-2] > 1:
        peak[..., 1:-1, :] = (gated[..., 1:-1, :] > gated[..., :-2, :]) & (gated[..., 1:-1, :] >= gated[..., 2:, :])
        peak[..., -1, :] = gated[..., -1, :] > gated[..., -2, :]
    selected = freq_mask & peak
    index = torch.arange(S.shape[-2], dtype=S.dtype, device=S.device)[:, None]
    pitches = torch.where(selected, (index + shift) * (float(sr) / n_fft), torch.zeros_like(S))
    mags = torch.where(selected, S + dskew, torch.zeros_like(S))
    return pitches, mags


def pitch_tuning(frequencies, *, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """librosa.pitch_tuning: the most common deviation of ``frequencies`` from A440 equal temperament,
    in fractions of a bin, on a histogram of ``resolution``-wide bins over [-0.5, 0.5)."""
    frequencies = np.atleast_1d(np.asarray(frequencies))
    frequencies = frequencies[frequencies > 0]
    if not np.any(frequencies):
        import warnings

        warnings.warn("Trying to estimate tuning from empty frequency set.", UserWarning, stacklevel=2)
        return 0.0
    octaves = np.log2(frequencies / (440.0 / 16))
    residual = np.mod(bins_per_octave * octaves, 1.0)
    residual[residual >= 0.5] -= 1.0
    edges = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, edges = np.histogram(residual, edges)
    return float(edges[np.argmax(counts)])


def estimate_tuning(*, y=None, sr: float = 22050, S=None, n_fft: int | None = 2048, resolution: float = 0.01,
                    bins_per_octave: int = 12, **kwargs) -> float:
    """librosa.estimate_tuning: :func:`pitch_tuning` of the :func:`piptrack` peaks at least as strong
    as their median, all items of a batch pooled as librosa pools channels."""
    resolution = positive_number("resolution", resolution)
    if resolution >= 1:
        raise ParameterError(f"resolution={resolution} must be below 1 (a fraction of a bin)")
    pitch, mag = piptrack(y=y, sr=sr, S=S, n_fft=n_fft, **kwargs)
    pitch, mag = np.asarray(torch.as_tensor(pitch)), np.asarray(torch.as_tensor(mag))
    mask = pitch > 0
    threshold = np.median(mag[mask]) if mask.any() else 0.0
    return pitch_tuning(pitch[(mag >= threshold) & mask], resolution=resolution,
                        bins_per_octave=positive_int("bins_per_octave", bins_per_octave))
