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
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import InvalidInputError, InvalidTypeError

_PCM_SCALE = {torch.int8: 128.0, torch.int16: 32768.0, torch.int32: 2.0**31}


def as_signal(samples, *, name: str = "samples", max_dims: int = 2) -> torch.Tensor:
    """Returns ``samples`` as a contiguous float32/float64 tensor of 1 to ``max_dims`` dims.

    Raises:
        InvalidTypeError: not an array, tensor or sequence of numbers; complex, bool or int64 data.
        InvalidInputError: 0-d, more than ``max_dims`` dims, or an empty time (or batch) axis.
    """
    if isinstance(samples, torch.Tensor):
        tensor = samples.detach()
    elif isinstance(samples, (np.ndarray, np.generic)):
        samples = np.asarray(samples)
        if samples.dtype.kind not in "fiu" or samples.dtype.byteorder == ">":
            samples = _numeric_array(samples, name)
        array = samples if samples.flags.writeable else samples.copy()
        tensor = torch.from_numpy(array if array.flags.c_contiguous else array.copy(order="C"))
    elif isinstance(samples, (list, tuple)):
        tensor = torch.from_numpy(_numeric_array(samples, name))
    else:
        raise InvalidTypeError(
            f"{name} must be a NumPy array, a torch tensor or a list of floats, got {type(samples).__name__}"
        )
    tensor = _as_float(tensor, name)
    if tensor.dim() == 0 or tensor.dim() > max_dims:
        allowed = "(time,)" if max_dims == 1 else "(time,) or (batch, time)" if max_dims == 2 else "(..., time)"
        raise InvalidInputError(f"{name} must have shape {allowed}, got shape {tuple(tensor.shape)}")
    if tensor.shape[-1] == 0:
        raise InvalidInputError(f"{name} is empty (shape {tuple(tensor.shape)}); it needs at least 1 sample")
    if tensor.numel() == 0:
        raise InvalidInputError(f"{name} has an empty batch (shape {tuple(tensor.shape)})")
    return tensor.contiguous()


def _numeric_array(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise InvalidInputError(f"{name} must be rectangular: {error}") from None
    if array.dtype.kind == "c":
        raise InvalidTypeError(f"{name} must be real, got complex data; pass e.g. its real part or magnitude")
    if array.dtype.kind not in "fiub":
        raise InvalidTypeError(f"{name} must contain numbers, got dtype {array.dtype}")
    if array.dtype.kind == "b":
        raise InvalidTypeError(f"{name} must contain numbers, got booleans")
    return array.astype(np.float64 if isinstance(values, (list, tuple)) else array.dtype.newbyteorder("="))


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
    if dtype.is_complex:
        raise InvalidTypeError(f"{name} must be real, got complex dtype {dtype}; pass e.g. its real part")
    if dtype == torch.bool:
        raise InvalidTypeError(f"{name} must contain numbers, got dtype torch.bool")
    raise InvalidTypeError(
        f"{name} has dtype {dtype}, which is not audio: pass float32/float64, or int8/int16/int32/uint8 PCM"
    )
