"""Filterbanks that map the ``n_fft // 2 + 1`` FFT bins to fewer bands.

Each builder returns a :class:`Filterbank`: a float64 matrix of shape ``(n_bands, n_bins)`` with the
centre frequency of each band. The native op receives it in CSR form (:meth:`Filterbank.csr`), so
each band only touches the bins where its weights are non-zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from .params import MelNorm, MelParams, MelScale, SpectrogramParams

__all__ = ["Filterbank", "hz_to_mel", "mel_to_hz", "mel_filterbank"]


@dataclass(frozen=True, eq=False)
class Filterbank:
    """A bank of spectral filters.

    Attributes:
        name: what the bands are (``"mel"``, ``"erb"``, ...).
        matrix: float64 weights of shape ``(n_bands, n_fft // 2 + 1)``.
        frequencies: float64 centre frequency in Hz of each band, shape ``(n_bands,)``.
        params: the parameter object the bank was built from.
    """

    name: str
    matrix: np.ndarray
    frequencies: np.ndarray
    params: object
    _csr_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_bands(self) -> int:
        return self.matrix.shape[0]

    def csr(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(crow_indices, col_indices, values)`` of the matrix, values in ``dtype``; cached per dtype."""
        if dtype not in self._csr_cache:
            rows, cols = np.nonzero(self.matrix)
            crow = np.searchsorted(rows, np.arange(self.n_bands + 1))
            self._csr_cache[dtype] = (
                torch.from_numpy(crow.astype(np.int64)),
                torch.from_numpy(cols.astype(np.int64)),
                torch.from_numpy(self.matrix[rows, cols]).to(dtype),
            )
        return self._csr_cache[dtype]

    def dense(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The matrix as a dense tensor of shape ``(n_bands, n_bins)``."""
        return torch.from_numpy(self.matrix).to(dtype)


def hz_to_mel(frequencies, scale: MelScale = MelScale.slaney) -> np.ndarray:
    """Hz to mel on the HTK or Slaney scale (as ``librosa.hz_to_mel``)."""
    f = np.asarray(frequencies, dtype=np.float64)
    if MelScale(scale) is MelScale.htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    linear = f / f_sp
    with np.errstate(divide="ignore"):
        logarithmic = min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, logarithmic, linear)


def mel_to_hz(mels, scale: MelScale = MelScale.slaney) -> np.ndarray:
    """Mel to Hz on the HTK or Slaney scale (as ``librosa.mel_to_hz``)."""
    m = np.asarray(mels, dtype=np.float64)
    if MelScale(scale) is MelScale.htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(params: SpectrogramParams, mel: MelParams) -> Filterbank:
    """Triangular mel filters, the same construction as ``librosa.filters.mel`` and
    ``torchaudio.functional.melscale_fbanks``.

    ``n_mels + 2`` points equally spaced in mel between ``f_min`` and ``f_max`` give the edges; filter
    ``m`` rises from point ``m`` to ``m + 1`` and falls to ``m + 2``, evaluated at the bin frequencies
    ``k * sample_rate / n_fft``.

    Returns:
        A Filterbank of shape ``(n_mels, n_fft // 2 + 1)`` whose frequencies are the filter centres.
    """
    f_max = mel.resolved_f_max(params.sample_rate)
    bins = params.bin_frequencies()
    edges = mel_to_hz(np.linspace(hz_to_mel(mel.f_min, mel.scale), hz_to_mel(f_max, mel.scale), mel.n_mels + 2),
                      mel.scale)
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if mel.norm is MelNorm.slaney:
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    elif mel.norm in (MelNorm.l1, MelNorm.l2):
        order = 1 if mel.norm is MelNorm.l1 else 2
        norms = np.linalg.norm(weights, ord=order, axis=1, keepdims=True)
        weights = np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0)
    empty = np.flatnonzero(weights.max(axis=1) == 0)
    if empty.size:
        warnings.warn(
            f"{empty.size} of {mel.n_mels} mel filters are empty (no FFT bin falls inside them); "
            "use fewer mels or a larger n_fft",
            stacklevel=3,
        )
    return Filterbank("mel", weights, edges[1:-1].copy(), mel)
