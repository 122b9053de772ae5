"""The fused Kaldi front-end op (spectrograms_ext/kaldi_kernel.cpp): frames of a ``(batch, time)``
signal through dither, DC removal, energy, pre-emphasis, window, r2c, power, an optional mel bank and
the log, one pass per frame. A CPU kernel without autograd: ``spectrograms.compliance.kaldi`` calls it
for CPU tensors that need no gradient and keeps its torch expressions for CUDA and autograd."""

from __future__ import annotations

import torch

from .. import _extension  # noqa: F401  (registers the op)
from ._dispatch import call_op

__all__ = ["kaldi_frames_features"]


def kaldi_frames_features(signal: torch.Tensor, lengths: torch.Tensor, counts: torch.Tensor, window: torch.Tensor,
                          *, n_frames: int, frame_shift: int, padded_length: int, snip_edges: bool,
                          remove_dc_offset: bool, preemphasis_coefficient: float, raw_energy: bool,
                          log_energy_floor: float | None, noise: torch.Tensor | None = None, dither: float = 0.0,
                          bank: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
                          use_power: bool = True, use_log: bool = True, n_cols: int, feature_col: int = 0,
                          energy_col: int = -1, wide: bool = False,
                          out_dtype: torch.dtype | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Kaldi features of every frame of every item.

    Args:
        signal: float32/float64 ``(batch, time)``; item ``b`` is ``signal[b, :lengths[b]]``.
        lengths, counts: int64 ``(batch,)``: samples and frames of each item (frames past ``counts[b]``
            come out 0).
        window: ``(frame_length,)`` in the working dtype (the signal's; float64 with ``wide``).
        n_frames: frames in the output (at least ``counts.max()``).
        frame_shift, padded_length: hop and FFT size in samples.
        snip_edges: frames start at ``f * frame_shift``; otherwise centred, reflected at the item's ends.
        log_energy_floor: ``log(energy_floor)``, or None for no floor.
        noise, dither: ``noise (batch, n_frames, frame_length)`` scaled by ``dither`` is added to each frame.
        bank: ``(start, length, weights)``: band ``m`` sums bins ``start[m] ...`` with ``weights[m, :length[m]]``;
            None for the whole spectrum (``padded_length // 2 + 1`` bins).
        use_power, use_log: power (else magnitude); ``log(max(x, float32 eps))`` (else linear).
        n_cols, feature_col, energy_col: the features go to columns ``feature_col ...``, then the log
            energy to ``energy_col`` (-1: none), overwriting a feature there.
        wide: work a float32 signal in float64 (frames, FFT, bands, log), rounding only the output;
            ``window`` and the bank weights are then float64.
        out_dtype: the outputs' dtype: None (the signal's), or ``torch.float64`` for a float32 signal with
            ``wide`` (the float64 values unrounded, for a caller that computes on in float64 and would
            otherwise copy the whole signal to float64 first).

    Returns:
        ``(features (batch, n_frames, n_cols), log_energy (batch, n_frames))``, of ``out_dtype``.
    """
    start, length, weights = bank if bank is not None else (None, None, None)
    return call_op(torch.ops.spectrograms.kaldi_frames_features.default, signal, lengths, counts, window, noise,
                   float(dither), int(n_frames), int(frame_shift), int(padded_length), bool(snip_edges),
                   bool(remove_dc_offset), float(preemphasis_coefficient), bool(raw_energy), log_energy_floor,
                   start, length, weights, bool(use_power), bool(use_log), int(n_cols), int(feature_col),
                   int(energy_col), bool(wide), out_dtype)


@torch.library.register_fake("spectrograms::kaldi_frames_features")
def _(signal, lengths, counts, window, noise, dither, n_frames, frame_shift, padded_length, snip_edges,
      remove_dc_offset, preemphasis_coefficient, raw_energy, log_energy_floor, band_start, band_length, band_weights,
      use_power, use_log, n_cols, feature_col, energy_col, wide, out_dtype=None):
    batch = signal.shape[0]
    dtype = signal.dtype if out_dtype is None else out_dtype
    return (signal.new_empty((batch, n_frames, n_cols), dtype=dtype),
            signal.new_empty((batch, n_frames), dtype=dtype))
