"""The constant-Q transform as a layer: :class:`CQT`, the seed library's CQT (see :mod:`spectrograms.cqt`)
on batches of waveforms, differentiable and compilable."""

from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from ..cqt import CqtParams, blocked_kernels, cqt_tensor
from ..errors import InvalidInputError
from ..params import LogParams, SpectrogramParams, StftParams
from ._common import _check_db, _compute_dtype, _objects_or_keywords, frame_lengths

__all__ = ["CQT"]

_KEYWORDS = ("sample_rate", "n_fft", "hop_length", "bins_per_octave", "n_octaves", "f_min", "center")


class CQT(nn.Module):
    """Constant-Q spectrogram ``(..., time) -> (..., n_bins, n_frames)``.

    Built from the seed API's objects, ``CQT(params, cqt_params, scale="db", db_params=LogParams(-80))``,
    or from keywords, ``CQT(sample_rate=22050, n_fft=4096, hop_length=512, bins_per_octave=12, n_octaves=7,
    f_min=32.70)``; the values are those of ``compute_cqt_{scale}_spectrogram`` of the same parameters.
    The kernels are a float32 buffer (and a float64 twin for float64 input); float16/bfloat16 input is
    computed in float32 and returned in its own dtype.

    Args:
        scale: ``"power"`` (default), ``"magnitude"`` or ``"db"`` (power in dB with the floor of
            ``db_params``, default -80 dB).
    """

    # Python-only attributes TorchScript must not compile.
    __jit_unused_properties__ = ["n_bins"]

    def __init__(self, params: SpectrogramParams | None = None, cqt_params: CqtParams | None = None, *,
                 scale: str = "power", db_params: LogParams | None = None, sample_rate: float = 16000,
                 n_fft: int = 4096, hop_length: int = 512, bins_per_octave: int = 12, n_octaves: int = 7,
                 f_min: float = 32.70319566257483, center: bool = True):
        super().__init__()
        arguments = dict(locals())
        _objects_or_keywords(CQT.__init__, arguments, _KEYWORDS,
                             {"params": (params, SpectrogramParams), "cqt_params": (cqt_params, CqtParams)})
        if params is None:
            params = SpectrogramParams(StftParams(n_fft, hop_length, centre=center), sample_rate)
        if cqt_params is None:
            cqt_params = CqtParams(bins_per_octave, n_octaves, f_min)
        if scale not in ("power", "magnitude", "db"):
            raise InvalidInputError(f"scale must be one of 'power', 'magnitude', 'db'; got {scale!r}")
        self.params, self.cqt_params, self.scale = params, cqt_params, scale
        self.floor_db: Optional[float] = _check_db(db_params or LogParams()) if scale == "db" else None
        stft = params.stft
        self.n_fft, self.hop_length, self.center = stft.n_fft, stft.hop_size, stft.centre
        kernels, blocks = blocked_kernels(cqt_params, params.sample_rate, stft.n_fft, stft.hop_size)
        self.blocks: List[int] = blocks
        self.register_buffer("kernels", kernels.float().clone())
        self.register_buffer("_kernels64", kernels.clone(), persistent=False)

    @property
    def n_bins(self) -> int:
        return self.cqt_params.num_bins

    def frame_lengths(self, sample_lengths):
        """Frame counts of inputs of ``sample_lengths`` samples (see :func:`frame_lengths`)."""
        return frame_lengths(sample_lengths, self.n_fft, self.hop_length, self.center)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_scripting():
            signal = waveform.float() if waveform.dtype in (torch.float16, torch.bfloat16) else waveform
            kernels = self._kernels64 if signal.dtype == torch.float64 else self.kernels.to(signal.dtype)
            return cqt_tensor(signal, kernels, self.blocks, self.n_fft, self.hop_length, self.center, self.scale,
                              self.floor_db).to(waveform.dtype)
        return self._features(waveform)

    @torch.jit.unused
    def _features(self, waveform: torch.Tensor) -> torch.Tensor:
        signal = _compute_dtype(waveform)
        # Eager only: a traced graph would fix the time axis at the example's length, and the finite
        # check is a host sync.
        if not torch.compiler.is_compiling() and not torch.onnx.is_in_onnx_export():
            self.params.stft.n_frames(signal.shape[-1])  # a named error for signals too short for one frame
            if not bool(torch.isfinite(signal).all()):
                raise InvalidInputError("the waveform must be finite; it has NaN or Inf values")
        kernels = self._kernels64 if signal.dtype == torch.float64 else self.kernels.to(signal.dtype)
        return cqt_tensor(signal, kernels, self.blocks, self.n_fft, self.hop_length, self.center, self.scale,
                          self.floor_db).to(waveform.dtype)

    def extra_repr(self) -> str:
        db = f", floor_db={self.floor_db}" if self.floor_db is not None else ""
        return (f"n_bins={self.n_bins}, f_min={self.cqt_params.f_min:g}, bins_per_octave="
                f"{self.cqt_params.bins_per_octave}, {self.scale}{db}, n_fft={self.n_fft}, "
                f"hop_length={self.hop_length}, center={self.center}")
