"""The native CPU path of :mod:`spectrograms.compliance.kaldi`: its options, already checked there, turned
into one call of the fused op ``spectrograms::kaldi_frames_features`` (spectrograms_ext/kaldi_kernel.cpp).

The torch expressions in ``kaldi.py`` stay the path for CUDA tensors, for signals that need a gradient and
while ``torch.compile`` traces; both give torchaudio's values (tests/compliance/test_kaldi.py runs the
option grid through each).
"""

from __future__ import annotations

import math
import torch

from .._validate import call_native
from ..ops.kaldi_kernel import kaldi_frames_features

__all__ = ["native_allowed", "bank_rows", "frames_features"]


def native_allowed(signal: torch.Tensor) -> bool:
    """Whether the fused CPU kernel may compute this signal's features: a plain CPU tensor that needs no
    gradient, outside ``torch.compile`` tracing and tensor subclasses (which need the torch path)."""
    return (type(signal) is torch.Tensor and signal.is_cpu and signal.layout == torch.strided
            and not (torch.is_grad_enabled() and signal.requires_grad) and not torch.compiler.is_compiling()
            and not torch.jit.is_tracing())


def bank_rows(banks: torch.Tensor, dtype: torch.dtype):
    """``(start, length, weights)`` of a dense bank ``(bands, bins)``: each band as its one run of
    non-zero weights (``weights (bands, widest run)``, zero past each band's own length), what the
    kernel reads. Every band must hold a non-zero weight (``get_mel_banks`` refuses one that does not)."""
    nonzero = banks > 0
    n_bins = banks.shape[1]
    bins = torch.arange(n_bins)
    start = torch.where(nonzero, bins, n_bins).amin(dim=1)
    length = torch.where(nonzero, bins + 1, 0).amax(dim=1) - start
    width = int(length.max())
    offsets = torch.arange(width)[None, :]
    weights = banks.gather(1, (start[:, None] + offsets).clamp(max=n_bins - 1)) * (offsets < length[:, None])
    return start, length, weights.to(dtype)


def frames_features(signal, lengths, counts, window, *, shift, padded, snip_edges, remove_dc_offset,
                    preemphasis_coefficient, raw_energy, energy_floor, dither, generator, bank=None,
                    use_power=True, use_log=True, n_cols, feature_col=0, energy_col=-1, wide=False, out_dtype=None):
    """One call of the kernel over ``(batch, time)``: ``(features (batch, frames, n_cols), log_energy)``.

    Dither noise is drawn as the torch path draws it (``randn`` of the frames' shape, one call), so a
    seeded ``generator`` gives the same features on both paths.
    """
    n_frames = int(counts.max()) if counts.numel() else 0
    size = window.shape[0]
    noise = None
    if dither != 0.0:
        noise = torch.randn((signal.shape[0], n_frames, size), generator=generator, dtype=signal.dtype,
                            device=signal.device)
    return call_native(kaldi_frames_features, signal.contiguous(), lengths, counts, window, n_frames=n_frames,
                       frame_shift=shift, padded_length=padded, snip_edges=snip_edges,
                       remove_dc_offset=remove_dc_offset, preemphasis_coefficient=preemphasis_coefficient,
                       raw_energy=raw_energy, log_energy_floor=math.log(energy_floor) if energy_floor != 0.0 else None,
                       noise=noise, dither=dither, bank=bank, use_power=use_power, use_log=use_log, n_cols=n_cols,
                       feature_col=feature_col, energy_col=energy_col, wide=wide, out_dtype=out_dtype)
