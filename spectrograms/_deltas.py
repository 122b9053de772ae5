"""Savitzky-Golay derivative filters as scipy.signal.savgol_filter defines them (librosa's
``feature.delta``; torchaudio's ``compute_deltas`` is the first-order case), built in float64.

Built once per setting in NumPy (a least-squares fit of a few points, not a compute path); applying
them is one convolution over the whole array.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def savgol_coefficients(width: int, polyorder: int, deriv: int, delta: float = 1.0) -> list[float]:
    """The ``width`` weights ``h`` with ``sum_j h[j] x[t - width // 2 + j]`` the ``deriv``-th derivative
    at ``t`` of the degree-``polyorder`` least-squares polynomial through the window (scipy's
    ``savgol_coeffs(..., use='dot')``)."""
    half = width // 2
    x = np.arange(-half, width - half, dtype=np.float64)
    A = x[None, :] ** np.arange(polyorder + 1)[:, None]
    y = np.zeros(polyorder + 1)
    y[deriv] = math.factorial(deriv) / delta ** deriv
    coeffs, *_ = np.linalg.lstsq(A, y, rcond=None)
    return [float(c) for c in coeffs]


def edge_matrices(width: int, polyorder: int, deriv: int, delta: float = 1.0) -> tuple[list[list[float]], list[list[float]]]:
    """savgol_filter's ``mode='interp'`` edges as two ``(width // 2, width)`` matrices: the first
    (last) ``width // 2`` outputs are the derivative of the polynomial fitted to the first (last)
    ``width`` samples, evaluated at those positions."""
    half = width // 2
    t = np.arange(width, dtype=np.float64)
    vander = t[:, None] ** np.arange(polyorder + 1)[None, :]  # (width, polyorder + 1)
    fit = np.linalg.pinv(vander)  # polynomial coefficients (low order first) from the window

    def derivative_rows(positions: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        rows = np.zeros((len(positions), polyorder + 1))
        for i in range(deriv, polyorder + 1):
            rows[:, i] = math.factorial(i) / math.factorial(i - deriv) * positions ** (i - deriv)
        return rows / delta ** deriv

    left = derivative_rows(t[:half]) @ fit
    right = derivative_rows(t[width - half:]) @ fit
    return left.tolist(), right.tolist()
