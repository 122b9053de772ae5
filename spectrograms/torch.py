"""PyTorch conveniences: ``import spectrograms.torch`` adds ``.to_torch()`` to every result type.

::

    import spectrograms as sg
    import spectrograms.torch as sgt

    tensor = spec.to_torch()                                  # shares memory on CPU
    result = spec.to_torch(device="cuda", with_metadata=True)  # TorchSpectrogram
    inputs = sgt.batch(specs, device="cuda", pad=True)        # (batch, n_bins, max_frames)
    inputs, lengths = sgt.batch_with_lengths(specs, device="cuda")
    mask = sgt.lengths_to_mask(lengths, inputs.shape[-1])     # (batch, max_frames), True on real frames

Batches are assembled with one allocation. For a CUDA target the batch is built in pinned host memory
and copied with ``non_blocking=True``, so the copy overlaps with work already queued on the GPU.
Padding uses each item's "silence" value: the dB floor for dB spectrograms, 0 otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from ._validate import allocation, check_type, sequence, torch_device, torch_dtype
from .errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from .results import TensorResult

__all__ = [
    "TorchSpectrogram",
    "to_torch",
    "batch",
    "batch_with_metadata",
    "batch_with_lengths",
    "lengths_to_mask",
]


@dataclasses.dataclass(frozen=True)
class TorchSpectrogram:
    """A tensor with the axes and parameters of the result it came from.

    Attributes:
        tensor: the values, shape ``(n_bins, n_frames)`` (or as the result's tensor).
        frequencies: Hz of each row, shape ``(n_bins,)`` (None for results without a frequency axis).
        times: seconds of each frame, shape ``(n_frames,)`` (None without a time axis).
        params: the result's parameters (e.g. :class:`~spectrograms.SpectrogramParams`).
        db_range: ``(min_db, max_db)`` for spectrograms (power and magnitude converted), else None.
        scale: ``"power"``, ``"magnitude"``, ``"db"``, ... where the result has one, else None.
    """

    tensor: torch.Tensor
    frequencies: np.ndarray | None
    times: np.ndarray | None
    params: object
    db_range: tuple[float, float] | None = None
    scale: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.shape)

    def to(self, *args, **kwargs) -> TorchSpectrogram:
        """The same with ``tensor.to(*args, **kwargs)`` (device and/or dtype)."""
        return dataclasses.replace(self, tensor=self.tensor.to(*args, **kwargs))

    def cpu(self) -> TorchSpectrogram:
        return dataclasses.replace(self, tensor=self.tensor.cpu())

    def cuda(self, device=None) -> TorchSpectrogram:
        """On CUDA device ``device`` (an index, name or ``torch.device``; None: the current one)."""
        return dataclasses.replace(self, tensor=self.tensor.cuda(device))


def to_torch(self: TensorResult, device="cpu", with_metadata: bool = False, dtype: torch.dtype | None = None):
    """The result as a torch tensor (attached to every result type as ``.to_torch``).

    Args:
        device: where the tensor goes (default ``"cpu"``). On the result's own device with its own
            dtype, the tensor shares memory with the result (no copy).
        with_metadata: return a :class:`TorchSpectrogram` with the axes and parameters.
        dtype: convert to this dtype (default: keep the result's).

    Returns:
        ``torch.Tensor`` of the result's shape, or a :class:`TorchSpectrogram`.
    """
    check_type("self", self, TensorResult)
    device = torch_device("device", device)
    dtype = None if dtype is None else torch_dtype("dtype", dtype, floating=False)
    tensor = self.tensor.to(device=device, dtype=dtype)
    return with_axes(TorchSpectrogram, tensor, self) if with_metadata else tensor


# The fields TorchSpectrogram and JaxSpectrogram carry after their values, in order.
_AXES_FIELDS = ("frequencies", "times", "params", "db_range", "scale")


def with_axes(cls, values, result: TensorResult):
    """``cls(values, frequencies, times, params, db_range, scale)`` with the axes and parameters of
    ``result`` (see :func:`metadata`): how :class:`TorchSpectrogram` and ``JaxSpectrogram`` are made."""
    meta = metadata(result)
    return cls(values, *(meta[name] for name in _AXES_FIELDS))


def metadata(result: TensorResult) -> dict:
    """What a batch keeps about each item: ``frequencies``, ``times``, ``params``, ``shape`` (the
    item's own, before padding), ``n_frames`` (its frame count before padding), ``n_bins``, ``scale``
    and ``db_range`` (None where not applicable)."""
    tensor = result.tensor
    db_range = getattr(result, "db_range", None)
    return {
        "frequencies": getattr(result, "frequencies", None),
        "times": getattr(result, "times", None),
        "params": getattr(result, "params", None),
        "shape": tuple(tensor.shape),
        "n_frames": int(tensor.shape[-1]),
        "n_bins": int(tensor.shape[-2]) if tensor.dim() >= 2 else None,
        "scale": getattr(result, "scale", None),
        "db_range": db_range() if callable(db_range) else None,
    }


def _items(specs: Iterable[TensorResult]) -> list[TensorResult]:
    if isinstance(specs, TensorResult):
        raise InvalidTypeError("specs must be a sequence of results (e.g. a list of Spectrogram), got one result")
    items = sequence("specs", specs)
    if not items:
        raise InvalidInputError("specs is empty; a batch needs at least one result")
    for index, item in enumerate(items):
        if not isinstance(item, TensorResult):
            raise InvalidTypeError(f"specs[{index}] is a {type(item).__name__}, not a spectrograms result")
    first = items[0].tensor
    for index, item in enumerate(items):
        shape = item.tensor.shape
        if shape[:-1] == first.shape[:-1]:
            continue
        if len(shape) == len(first.shape) and len(shape) >= 2 and shape[-2] != first.shape[-2]:
            raise DimensionMismatchError(
                f"specs[{index}] has {shape[-2]} frequency bins but specs[0] has {first.shape[-2]}; a batch "
                "needs results computed with the same n_fft and filterbank"
            )
        raise DimensionMismatchError(
            f"specs[{index}] has shape {tuple(shape)} but specs[0] has {tuple(first.shape)}; only the last "
            "(frames) axis may differ"
        )
    return items


def _on(device: torch.device, tensor: torch.Tensor) -> bool:
    return tensor.device.type == device.type and (device.index is None or tensor.device.index == device.index)


def assemble(specs: Sequence[TensorResult], device="cpu", dtype: torch.dtype | None = None,
             pad: bool = False) -> torch.Tensor:
    """Stacks the results' tensors into one ``(batch, *item_shape)`` tensor with a single allocation.

    Items are padded at the end of the frames axis to the longest with their own ``floor`` (the dB
    floor of a dB spectrogram, else 0). A CUDA target gets the batch assembled in pinned host memory
    and copied without blocking.
    """
    items = _items(specs)
    tensors = [item.tensor.detach() for item in items]
    lengths = [t.shape[-1] for t in tensors]
    if not pad and len(set(lengths)) > 1:
        index = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise DimensionMismatchError(
            f"specs[{index}] has {lengths[index]} frames but specs[0] has {lengths[0]}; pass pad=True to pad "
            "the shorter ones (with their floor) to the longest"
        )
    device = torch_device("device", device)
    dtype = None if dtype is None else torch_dtype("dtype", dtype, floating=False)
    dtype = dtype or functools.reduce(torch.promote_types, (t.dtype for t in tensors))
    staging = device if all(_on(device, t) for t in tensors) else torch.device("cpu")
    pinned = device.type == "cuda" and staging.type == "cpu" and torch.cuda.is_available()
    out = torch.empty((len(tensors), *tensors[0].shape[:-1], max(lengths)), dtype=dtype, device=staging,
                      pin_memory=pinned)
    for row, tensor, item in zip(out, tensors, items):
        n = tensor.shape[-1]
        row[..., :n].copy_(tensor)
        if n < row.shape[-1]:
            row[..., n:].fill_(item.floor)
    return out.to(device, non_blocking=pinned)


def batch(specs: Sequence[TensorResult], device="cpu", dtype: torch.dtype | None = None,
          pad: bool = False) -> torch.Tensor:
    """Stacks results into one tensor for training.

    Args:
        specs: results of equal shape except the frames axis (e.g. spectrograms of shape
            ``(n_bins, n_frames_i)``).
        device: target device (default ``"cpu"``).
        dtype: target dtype (default: the items' common dtype).
        pad: pad shorter items at the end of the frames axis to the longest, with the dB floor for dB
            spectrograms and 0 otherwise. Without it, differing frame counts raise.

    Returns:
        Shape ``(batch, n_bins, max_frames)``.

    Raises:
        DimensionMismatchError: different bin counts, or different frame counts without ``pad``.
    """
    return assemble(specs, device, dtype, pad)


def batch_with_metadata(specs: Sequence[TensorResult], device="cpu", dtype: torch.dtype | None = None,
                        pad: bool = False) -> tuple[torch.Tensor, list[dict]]:
    """:func:`batch` plus one metadata dict per item: ``frequencies``, ``times``, ``params``,
    ``shape`` and ``n_frames`` (before padding), ``n_bins``, ``scale``, ``db_range``."""
    items = _items(specs)
    return assemble(items, device, dtype, pad), [metadata(item) for item in items]


def batch_with_lengths(specs: Sequence[TensorResult], device="cpu", dtype: torch.dtype | None = None,
                       pad: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`batch` (padding by default) plus the items' frame counts as an int64 tensor
    ``(batch,)`` on ``device``, for :func:`lengths_to_mask`, masked pooling and losses."""
    items = _items(specs)
    lengths = torch.tensor([item.tensor.shape[-1] for item in items], dtype=torch.int64)
    return assemble(items, device, dtype, pad), lengths.to(torch_device("device", device))


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Boolean mask of the valid frames: ``mask[b, t] = t < lengths[b]``.

    Args:
        lengths: int tensor ``(batch,)`` of frame counts (e.g. from :func:`batch_with_lengths` or
            :func:`spectrograms.nn.frame_lengths`).
        max_len: width of the mask (default ``lengths.max()``; pass the padded frame count to avoid a
            device sync and under ``torch.compile``).

    Returns:
        bool tensor ``(batch, max_len)`` on ``lengths.device``. Masked mean over frames:
        ``(x * mask[:, None]).sum(-1) / lengths[:, None]``.
    """
    if not isinstance(lengths, torch.Tensor):
        try:
            lengths = torch.as_tensor(lengths)
        except (TypeError, ValueError, RuntimeError, OverflowError):
            raise InvalidTypeError(f"lengths must be an int tensor (batch,), got {type(lengths).__name__} "
                                   f"{lengths!r:.80}") from None
    if lengths.dtype.is_floating_point or lengths.is_complex() or lengths.dtype == torch.bool:
        raise InvalidTypeError(f"lengths must be an integer tensor, got dtype {lengths.dtype}")
    if lengths.dim() != 1:
        raise InvalidInputError(f"lengths must have shape (batch,), got {tuple(lengths.shape)}")
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() else 0
    elif isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 0:
        raise InvalidInputError(f"max_len must be None or an int >= 0, got {max_len!r}")
    allocation("max_len", lengths.shape[0], max_len)
    return torch.arange(max_len, device=lengths.device) < lengths[:, None]


TensorResult.to_torch = to_torch
