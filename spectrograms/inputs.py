"""Turning what users pass as audio into a float tensor of shape ``(time,)`` or ``(batch, time)``.

Policy:
    * NumPy arrays and torch tensors keep their memory when they are already float32/float64 and
      contiguous; lists and tuples become float64 (Python floats are doubles).
    * Integer PCM is scaled to [-1, 1) by its full scale, as soundfile and torchaudio do, and becomes
      float32: int16 / 32768, int32 / 2**31, int8 / 128, uint8 (offset binary) (x - 128) / 128.
      int64 and wider unsigned types have no PCM meaning and are refused.
    * float16 and bfloat16 are computed in float32.
    * Complex, boolean and non-numeric input is refused with a TypeError.
    * NaN and Inf samples are refused with an InvalidInputError (the native op detects them as it
      reads the frames, so the check costs no extra pass over the signal).
    * Time is the last axis. An input shaped like ``(frames, channels)``, as ``soundfile.read`` returns
      multichannel audio, is refused rather than read as thousands of signals of 2 samples: a last
      axis of at most ``MAX_CHANNELS`` (8) samples with a second-to-last axis at least
      ``CHANNELS_RATIO`` (64) times longer (so ``(16000, 2)`` and ``(16000, 1)`` are refused, a batch
      ``(4, 16000)`` or ``(2, 8)`` is not). The error suggests ``.T`` or a mix-down.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .errors import InvalidInputError, InvalidTypeError

_PCM_SCALE = {torch.int8: 128.0, torch.int16: 32768.0, torch.int32: 2.0**31}

# The channel-last rule (module docstring): 8 covers 7.1 audio; no real batch has 64 times more signals
# than samples per signal, since no transform makes a frame out of 8 samples or fewer.
MAX_CHANNELS = 8
CHANNELS_RATIO = 64


def as_signal(samples: object, *, name: str = "samples", max_dims: int = 2) -> torch.Tensor:
    """Returns ``samples`` as a contiguous float32/float64 tensor of 1 to ``max_dims`` dims.

    Raises:
        InvalidTypeError: not an array, tensor or sequence of numbers; complex, bool or int64 data.
        InvalidInputError: 0-d, more than ``max_dims`` dims, an empty time (or batch) axis, or a
            ``(frames, channels)`` layout (see the module docstring).
    """
    tensor = _as_float(as_tensor(samples, name), name)
    if tensor.dim() == 0 or tensor.dim() > max_dims:
        allowed = "(time,)" if max_dims == 1 else "(time,) or (batch, time)" if max_dims == 2 else "(..., time)"
        raise InvalidInputError(f"{name} must have shape {allowed}, got shape {tuple(tensor.shape)}")
    if tensor.shape[-1] == 0:
        raise InvalidInputError(f"{name} is empty (shape {tuple(tensor.shape)}); it needs at least 1 sample")
    channels = tensor.shape[-1]
    if tensor.dim() >= 2 and channels <= MAX_CHANNELS and tensor.shape[-2] >= CHANNELS_RATIO * channels:
        shape = tuple(tensor.shape)
        raise InvalidInputError(
            f"{name} has shape {shape}, which looks like (frames, channels) as soundfile.read returns it, not "
            f"(..., time): time must be the last axis. Pass {name}.T for one signal per channel, or "
            f"{name}.mean(axis=-1) to mix the {channels} channel(s) down to mono")
    if tensor.numel() == 0:
        raise InvalidInputError(f"{name} has an empty batch (shape {tuple(tensor.shape)})")
    return tensor.contiguous()


def as_tensor(values: object, name: str, *, allow_complex: bool = False) -> torch.Tensor:
    """``values`` as a torch tensor of their own numeric dtype, sharing memory where it can.

    Tensors that require grad are detached; NumPy arrays are shared (copied only when read-only, not
    C-contiguous or big-endian); lists and tuples become float64 (complex128 for complex numbers).

    Raises:
        InvalidTypeError: not an array, tensor or sequence of numbers; boolean or non-numeric data;
            complex data unless ``allow_complex``.
        InvalidInputError: ragged nested lists.
    """
    if isinstance(values, torch.Tensor):
        # detach() is a torch call, which releases and retakes the GIL (where concurrent Python
        # threads queue): only made where there is a history to cut.
        tensor = values.detach() if values.requires_grad else values
    elif isinstance(values, (np.ndarray, np.generic, list, tuple)):
        array = _numeric_array(values, name)
        # torch needs non-negative strides and memory it may write to.
        if not array.flags.c_contiguous or not array.flags.writeable:
            array = array.copy(order="C")
        tensor = torch.from_numpy(array)
    else:
        kind = type(values).__name__
        hint = " (a sparse matrix: call .toarray() first)" if hasattr(values, "toarray") else ""
        raise InvalidTypeError(f"{name} must be a NumPy array, a torch tensor or a list of numbers, got {kind}{hint}")
    if tensor.dtype == torch.bool:
        raise InvalidTypeError(f"{name} must contain numbers, got dtype torch.bool")
    if tensor.dtype.is_complex and not allow_complex:
        raise InvalidTypeError(f"{name} must be real, got complex dtype {tensor.dtype}; pass e.g. its real part "
                               "or magnitude")
    return tensor


def _numeric_array(values: np.ndarray[Any, Any] | np.generic | list[Any] | tuple[Any, ...],
                   name: str) -> np.ndarray[Any, Any]:
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise InvalidInputError(f"{name} must be rectangular: {error}") from None
    if array.dtype.kind == "b":
        raise InvalidTypeError(f"{name} must contain numbers, got booleans")
    if array.dtype.kind not in "fiuc":
        raise InvalidTypeError(f"{name} must contain numbers, got dtype {array.dtype}")
    if array.dtype.kind == "f" and array.dtype.itemsize > 8 or array.dtype.kind == "c" and array.dtype.itemsize > 16:
        raise InvalidTypeError(f"{name} has dtype {array.dtype}, which torch cannot hold: convert it to float64 first")
    if isinstance(values, (list, tuple)):  # Python numbers are doubles
        return array.astype(np.complex128 if array.dtype.kind == "c" else np.float64)
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _as_float(tensor: torch.Tensor, name: str) -> torch.Tensor:
    dtype = tensor.dtype
    if dtype in (torch.float32, torch.float64):
        return tensor
    if dtype in (torch.float16, torch.bfloat16):
        return tensor.float()
    if dtype in _PCM_SCALE:
        return tensor.float() / _PCM_SCALE[dtype]
    if dtype == torch.uint8:
        return (tensor.float() - 128.0) / 128.0
    raise InvalidTypeError(
        f"{name} has dtype {dtype}, which is not audio: pass float32/float64, or int8/int16/int32/uint8 PCM"
    )
