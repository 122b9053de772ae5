"""JAX conveniences: ``import spectrograms.jax`` adds ``.to_jax()`` to every result type.

::

    import spectrograms.jax as sgj

    array = spec.to_jax()                    # CPU: shares the result's memory (zero-copy)
    result = spec.to_jax(device="gpu", with_metadata=True)
    inputs = sgj.batch(specs, device="gpu", pad=True)

On CPU the array is imported through DLPack and shares memory with the result: the results' memory is
64-byte aligned, which JAX requires to share rather than copy. JAX ignores ``copy=True`` on CPU. Without
``jax_enable_x64`` JAX has no float64, so float64 results become float32 arrays (a copy); compute
from float32 audio (or enable x64) to keep zero-copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import jax.dlpack
import numpy as np

from . import torch as _torch_interop
from .errors import InvalidInputError
from .results import TensorResult

__all__ = ["JaxSpectrogram", "to_jax", "batch", "batch_with_metadata"]

_PLATFORMS = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu"}


def jax_device(device) -> jax.Device:
    """A ``jax.Device`` from ``"cpu"``, ``"gpu"`` / ``"cuda"``, ``"gpu:1"`` or a device itself."""
    if isinstance(device, jax.Device):
        return device
    name, _, index = str(device).lower().partition(":")
    if name not in _PLATFORMS or (index and not index.isdigit()):
        raise InvalidInputError(f"device must be 'cpu', 'gpu', 'cuda', 'gpu:<index>' or a jax.Device, got {device!r}")
    try:
        devices = jax.devices(_PLATFORMS[name])
    except RuntimeError as error:
        raise InvalidInputError(f"device={device!r}: JAX has no {_PLATFORMS[name]} backend here ({error})") from None
    if int(index or 0) >= len(devices):
        raise InvalidInputError(f"device={device!r}: JAX has only {len(devices)} {_PLATFORMS[name]} device(s)")
    return devices[int(index or 0)]


def _to_device(exportable, device) -> jax.Array:
    """Imports through DLPack (zero-copy where JAX allows) and moves only when not already there."""
    target = jax_device(device)
    array = jax.dlpack.from_dlpack(exportable)
    return array if array.devices() == {target} else jax.device_put(array, target)


@dataclasses.dataclass(frozen=True)
class JaxSpectrogram:
    """A JAX array with the axes and parameters of the result it came from.

    Attributes:
        array: the values, shape ``(n_bins, n_frames)`` (or as the result's tensor).
        frequencies: Hz of each row, shape ``(n_bins,)`` (None without a frequency axis).
        times: seconds of each frame, shape ``(n_frames,)`` (None without a time axis).
        params: the result's parameters.
        db_range: ``(min_db, max_db)`` for spectrograms, else None.
        scale: ``"power"``, ``"magnitude"``, ``"db"``, ... where the result has one, else None.
    """

    array: jax.Array
    frequencies: np.ndarray | None
    times: np.ndarray | None
    params: object
    db_range: tuple[float, float] | None = None
    scale: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def to(self, device) -> JaxSpectrogram:
        return dataclasses.replace(self, array=jax.device_put(self.array, jax_device(device)))

    def cpu(self) -> JaxSpectrogram:
        return self.to("cpu")

    def gpu(self, index: int = 0) -> JaxSpectrogram:
        return self.to(f"gpu:{index}")


def to_jax(self: TensorResult, device="cpu", with_metadata: bool = False):
    """The result as a ``jax.Array`` (attached to every result type as ``.to_jax``).

    Args:
        device: ``"cpu"`` (default; zero-copy for float32/complex64 results, and float64 with x64),
            ``"gpu"``/``"cuda"``, ``"gpu:<index>"`` or a ``jax.Device``.
        with_metadata: return a :class:`JaxSpectrogram` with the axes and parameters.
    """
    array = _to_device(self, device)
    return _torch_interop.with_axes(JaxSpectrogram, array, self) if with_metadata else array


def batch(specs: Sequence[TensorResult], device="cpu", pad: bool = False) -> jax.Array:
    """Stacks results into one array ``(batch, n_bins, max_frames)``, assembled once on the host (padding
    with each item's floor, as :func:`spectrograms.torch.batch`) and imported without a further copy."""
    return _to_device(_torch_interop.assemble(specs, "cpu", None, pad), device)


def batch_with_metadata(specs: Sequence[TensorResult], device="cpu",
                        pad: bool = False) -> tuple[jax.Array, list[dict]]:
    """:func:`batch` plus one metadata dict per item (see :func:`spectrograms.torch.batch_with_metadata`)."""
    tensor, metadata = _torch_interop.batch_with_metadata(specs, "cpu", None, pad)
    return _to_device(tensor, device), metadata


TensorResult.to_jax = to_jax
