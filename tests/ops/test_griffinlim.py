"""The fused Griffin-Lim phase update (spectrograms_ext/griffinlim.cpp): its fake kernel agrees with
the real one (opcheck), both overloads equal the torch formula in torchaudio's order of operations
(float64 to 1e-15, float32 within 2 ulp), the _into form may overwrite a dead buffer, and bad
arguments are refused by name (the Griffin-Lim parity tests against torchaudio and librosa are in
tests/test_functional.py and tests/compat/test_librosa_core.py)."""

from __future__ import annotations

import pytest
import torch

from spectrograms.ops.griffinlim import phase_update, phase_update_reference

OP = torch.ops.spectrograms.griffinlim_update
INTO = torch.ops.spectrograms.griffinlim_update_into.default


def _inputs(dtype, shape=(2, 65, 31), seed=0):
    g = torch.Generator().manual_seed(seed)
    complex_dtype = torch.complex64 if dtype == torch.float32 else torch.complex128
    rebuilt = torch.randn(shape, dtype=complex_dtype, generator=g)
    previous = torch.randn(shape, dtype=complex_dtype, generator=g)
    magnitude = torch.rand(shape, dtype=dtype, generator=g) * 10
    return rebuilt, previous, magnitude


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_opcheck(dtype):
    rebuilt, previous, magnitude = _inputs(dtype)
    torch.library.opcheck(OP.default, (rebuilt, previous, magnitude, 0.4, 1e-16))
    torch.library.opcheck(OP.default, (rebuilt, None, magnitude, 0.0, 1e-16))
    torch.library.opcheck(INTO, (rebuilt, previous, magnitude, 0.4, 1e-16, torch.empty_like(rebuilt)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_previous", [False, True])
def test_equals_the_torch_formula(dtype, with_previous):
    rebuilt, previous, magnitude = _inputs(dtype)
    previous = previous if with_previous else None
    expected = phase_update_reference(rebuilt, previous, magnitude, 0.99 / 1.99, 1e-16)
    # float32: the modulus is rounded once from float64 here, by hypotf in torch: 2 ulp at most.
    tol = dict(rtol=3e-7, atol=3e-6) if dtype == torch.float32 else dict(rtol=1e-15, atol=1e-14)
    torch.testing.assert_close(phase_update(rebuilt, previous, magnitude, 0.99 / 1.99, 1e-16), expected, **tol)
    dead = torch.full_like(rebuilt, float("nan"))
    result = phase_update(rebuilt, previous, magnitude, 0.99 / 1.99, 1e-16, reuse=dead)
    assert result.data_ptr() == dead.data_ptr()
    torch.testing.assert_close(result, expected, **tol)


def test_silent_bins_and_extreme_float64_values():
    rebuilt = torch.tensor([0j, 1e200 + 1e200j, 1e-200 - 3e-200j], dtype=torch.complex128)
    magnitude = torch.tensor([2.0, 3.0, 5.0], dtype=torch.float64)
    result = phase_update(rebuilt, None, magnitude, 0.0, 1e-300)
    assert result[0] == 0  # eps keeps the silent bin at zero instead of 0/0
    torch.testing.assert_close(result[1:].abs(), magnitude[1:], rtol=1e-15, atol=0)  # no overflow of re^2


def test_gradients_take_the_torch_formula():
    rebuilt, previous, magnitude = _inputs(torch.float64, shape=(5, 4))
    magnitude.requires_grad_(True)
    phase_update(rebuilt, previous, magnitude, 0.3, 1e-16).abs().sum().backward()
    assert magnitude.grad is not None


def test_refusals_name_the_argument():
    # The raw op's TORCH_CHECK_VALUE errors; phase_update itself takes the torch formula for such inputs.
    rebuilt, previous, magnitude = _inputs(torch.float32)
    with pytest.raises(ValueError, match="magnitude must be the real dtype"):
        OP.default(rebuilt, previous, magnitude.double(), 0.1, 1e-16)
    with pytest.raises(ValueError, match="magnitude has shape"):
        OP.default(rebuilt, previous, magnitude[:1], 0.1, 1e-16)
    with pytest.raises(ValueError, match="rebuilt must be complex"):
        OP.default(magnitude, None, magnitude, 0.1, 1e-16)
    with pytest.raises(ValueError, match="previous must have"):
        OP.default(rebuilt, previous[:1], magnitude, 0.1, 1e-16)
    with pytest.raises(ValueError, match="out must be a contiguous"):
        INTO(rebuilt, previous, magnitude, 0.1, 1e-16, torch.empty_like(rebuilt).transpose(1, 2))
    with pytest.raises(ValueError, match="out must not be rebuilt"):
        INTO(rebuilt, previous, magnitude, 0.1, 1e-16, rebuilt)
