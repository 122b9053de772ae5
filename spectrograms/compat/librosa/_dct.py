"""scipy.fft's DCT types 1-4 (norm None/'backward', 'ortho', 'forward') as float64 matrices: MFCCs
take a DCT over a few dozen mel bands, where one small matrix product beats any FFT algorithm."""

from __future__ import annotations

import math

import torch

from ._util import ParameterError

_NORMS = (None, "backward", "ortho", "forward")


def dct_matrix(n: int, dct_type: int, norm) -> torch.Tensor:
    """``(n, n)`` matrix ``D`` with ``D @ x == scipy.fft.dct(x, type=dct_type, norm=norm)``."""
    if dct_type not in (1, 2, 3, 4) or isinstance(dct_type, bool):
        raise ParameterError(f"dct_type={dct_type!r} must be 1, 2, 3 or 4")
    if norm not in _NORMS:
        raise ParameterError(f"norm={norm!r} must be None, 'backward', 'ortho' or 'forward'")
    k = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(n, dtype=torch.float64)[None, :]
    if dct_type == 1:
        if n < 2:
            raise ParameterError(f"DCT type 1 needs at least 2 points, got {n}")
        D = 2 * torch.cos(math.pi * k * j / (n - 1))
        D[:, 0] = 1.0
        D[:, -1] = torch.cos(math.pi * k[:, 0] * (n - 1) / (n - 1))
        if norm == "ortho":
            D[:, 0] *= math.sqrt(2)
            D[:, -1] *= math.sqrt(2)
            D[0, :] /= math.sqrt(2)
            D[-1, :] /= math.sqrt(2)
            D = D * math.sqrt(1.0 / (2 * (n - 1)))
        scale = 2 * (n - 1)
    elif dct_type == 2:
        D = 2 * torch.cos(math.pi * k * (2 * j + 1) / (2 * n))
        if norm == "ortho":
            D[0, :] *= math.sqrt(1.0 / (4 * n))
            D[1:, :] *= math.sqrt(1.0 / (2 * n))
        scale = 2 * n
    elif dct_type == 3:
        D = 2 * torch.cos(math.pi * (2 * k + 1) * j / (2 * n))
        D[:, 0] = 1.0
        if norm == "ortho":
            D[:, 0] = 1.0 / math.sqrt(n)
            D[:, 1:] *= math.sqrt(1.0 / (2 * n))
        scale = 2 * n
    else:
        D = 2 * torch.cos(math.pi * (2 * k + 1) * (2 * j + 1) / (4 * n))
        if norm == "ortho":
            D = D * math.sqrt(1.0 / (2 * n))
        scale = 2 * n
    if norm == "forward":
        D = D / scale
    return D


def idct_matrix(n_out: int, n_in: int, dct_type: int, norm) -> torch.Tensor:
    """``(n_out, n_in)`` matrix of ``scipy.fft.idct(x, type=dct_type, norm=norm, n=n_out)`` for
    ``n_in`` coefficients (zero-padded, or truncated, to ``n_out``)."""
    inverse_type = {1: 1, 2: 3, 3: 2, 4: 4}.get(dct_type) if not isinstance(dct_type, bool) else None
    if inverse_type is None:
        raise ParameterError(f"dct_type={dct_type!r} must be 1, 2, 3 or 4")
    if norm not in _NORMS:
        raise ParameterError(f"norm={norm!r} must be None, 'backward', 'ortho' or 'forward'")
    # the inverse of each type is the DCT of the paired type, scaled by 1/(2N) (2(N-1) for type 1)
    # for 'backward', by 1 for 'forward', orthonormal for 'ortho'
    flipped = {None: "forward", "backward": "forward", "forward": None, "ortho": "ortho"}[norm]
    D = dct_matrix(n_out, inverse_type, flipped)
    if n_in >= n_out:
        return torch.nn.functional.pad(D, (0, n_in - n_out))
    return D[:, :n_in]
