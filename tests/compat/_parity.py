"""The parity rule of the librosa compatibility tests: same shape and dtype as librosa, and values
within ``1e-5`` (float32) or ``1e-10`` (float64) of librosa's relative to the array's largest
magnitude (features cross zero, so an element-wise relative test would divide by ~0)."""

import numpy as np

TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.complex64): 1e-5,
       np.dtype(np.float64): 1e-10, np.dtype(np.complex128): 1e-10}


def assert_parity(ours, reference, tol=None, input_dtype=None):
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    assert ours.dtype == reference.dtype, (ours.dtype, reference.dtype)
    # the tolerance follows the precision the computation ran in (the input's), not the output dtype
    tol = TOL[np.dtype(input_dtype or reference.dtype)] if tol is None else tol
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    scale = np.nanmax(np.abs(reference)) if reference.size else 0.0
    error = np.nanmax(np.abs(ours.astype(np.complex128) - reference)) if reference.size else 0.0
    assert error <= tol * max(scale, np.finfo(np.float64).tiny), f"max error {error:.3g} vs scale {scale:.3g} (tol {tol:g})"
