"""Type aliases of the public API, for annotations only (the package ships py.typed).

The runtime accepts more than these say in a few places (validators take any object and refuse what
they cannot use with a named error); the aliases state what a caller should pass, so that a user's type
checker flags a wrong argument before the library's error would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, Union

import numpy as np
import numpy.typing as npt
import torch

#: Audio as the entry points take it: a tensor, a NumPy array (float or integer PCM) or nested lists of
#: numbers, one signal ``(time,)`` or a batch ``(batch, time)``.
SignalLike: TypeAlias = Union[torch.Tensor, npt.NDArray[Any], Sequence[float], Sequence[Sequence[float]]]

#: A real number as the parameter classes accept it (bool excluded at run time).
Real: TypeAlias = Union[int, float, np.integer[Any], np.floating[Any]]

#: A float64 NumPy array (filterbanks, axes) and a float32/float64 one (feature values).
Float64Array: TypeAlias = npt.NDArray[np.float64]
FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]
