"""The FFT family ops against numpy.fft, with opcheck, gradcheck and a compiled run."""

import numpy as np
import pytest
import torch

from spectrograms import ops

from ..conftest import DTYPES

COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}
# Relative to the largest magnitude of the result: FFTW and pocketfft round differently.
RTOL = {torch.float32: 1e-5, torch.float64: 1e-12}


def assert_close_to_numpy(out: torch.Tensor, ref: np.ndarray, dtype):
    assert out.shape == ref.shape
    scale = max(np.abs(ref).max(), 1.0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [None, 1, 64, 97, 1500])  # same, trivial, truncated, odd, zero-padded
@pytest.mark.parametrize("onesided", [True, False])
def test_rfft_matches_numpy(dtype, n, onesided):
    x = torch.randn(2, 3, 1001, dtype=dtype)
    out = ops.rfft(x, n, onesided=onesided)
    ref = (np.fft.rfft if onesided else np.fft.fft)(x.numpy().astype(np.float64), n=n)
    assert out.dtype == COMPLEX[dtype]
    assert_close_to_numpy(out, ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [None, 1, 99, 100, 150, 40])
def test_irfft_matches_numpy_on_any_complex_input(dtype, n):
    # Random bins, not a real signal's spectrum: DC and Nyquist carry imaginary parts NumPy ignores.
    rng = np.random.default_rng(0)
    spectrum = rng.standard_normal((2, 51)) + 1j * rng.standard_normal((2, 51))
    out = ops.irfft(torch.from_numpy(spectrum).to(COMPLEX[dtype]), n)
    assert out.dtype == dtype
    assert_close_to_numpy(out, np.fft.irfft(spectrum, n=n), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(33, 48), (2, 16, 17), (1, 1)])
def test_rfft2_matches_numpy(dtype, shape):
    data = torch.randn(*shape, dtype=dtype)
    out = ops.rfft2(data)
    assert out.dtype == COMPLEX[dtype]
    assert_close_to_numpy(out, np.fft.rfft2(data.numpy().astype(np.float64)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ncols", [48, 49, 30, 60])
def test_irfft2_matches_numpy_on_any_complex_input(dtype, ncols):
    rng = np.random.default_rng(1)
    spectrum = rng.standard_normal((2, 33, 25)) + 1j * rng.standard_normal((2, 33, 25))
    out = ops.irfft2(torch.from_numpy(spectrum).to(COMPLEX[dtype]), ncols)
    assert out.dtype == dtype
    assert_close_to_numpy(out, np.fft.irfft2(spectrum, s=(33, ncols)), dtype)


def test_round_trips():
    x = torch.randn(4, 777, dtype=torch.float64)
    torch.testing.assert_close(ops.irfft(ops.rfft(x), 777), x, rtol=1e-12, atol=1e-12)
    image = torch.randn(3, 20, 31, dtype=torch.float64)
    torch.testing.assert_close(ops.irfft2(ops.rfft2(image), 31), image, rtol=1e-12, atol=1e-12)


def test_opcheck():
    cases = {
        torch.ops.spectrograms.rfft.default: [(torch.randn(3, 100), None, True), (torch.randn(50), 64, False),
                                              (torch.randn(2, 30, dtype=torch.float64, requires_grad=True), 40, True)],
        torch.ops.spectrograms.irfft.default: [(torch.randn(3, 51, dtype=torch.complex64), None),
                                               (torch.randn(20, dtype=torch.complex128, requires_grad=True), 25)],
        torch.ops.spectrograms.rfft2.default: [(torch.randn(2, 8, 9),),
                                               (torch.randn(6, 7, dtype=torch.float64, requires_grad=True),)],
        torch.ops.spectrograms.irfft2.default: [(torch.randn(8, 5, dtype=torch.complex64), 8),
                                                (torch.randn(6, 4, dtype=torch.complex128, requires_grad=True), 7)],
    }
    for op, arg_lists in cases.items():
        for args in arg_lists:
            torch.library.opcheck(op, args)


def test_gradcheck():
    def check(fn, x):
        assert torch.autograd.gradcheck(fn, (x,), fast_mode=True)

    x = torch.randn(2, 37, dtype=torch.float64, requires_grad=True)
    for n, onesided in [(None, True), (30, True), (50, False)]:
        check(lambda x: ops.rfft(x, n, onesided=onesided), x)
    spectrum = torch.randn(2, 19, dtype=torch.complex128, requires_grad=True)
    for n in [None, 37, 20, 50]:
        check(lambda s: ops.irfft(s, n), spectrum)
    check(ops.rfft2, torch.randn(2, 6, 7, dtype=torch.float64, requires_grad=True))
    spectrum2 = torch.randn(6, 4, dtype=torch.complex128, requires_grad=True)
    for ncols in [6, 7, 5, 9]:
        check(lambda s: ops.irfft2(s, ncols), spectrum2)


def test_compile_fullgraph_matches_eager():
    def features(x):
        return ops.irfft(ops.rfft(x, 256) * 2, 256), ops.irfft2(ops.rfft2(x[None, :, :64]), 64)

    compiled = torch.compile(features, fullgraph=True, backend="eager")
    x = torch.randn(3, 200)
    for got, want in zip(compiled(x), features(x)):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: ops.rfft(torch.randn(10), 0), "n must be positive"),
        (lambda: ops.rfft(torch.zeros(10, dtype=torch.int32)), "float32 or float64"),
        (lambda: ops.rfft(torch.randn(10, dtype=torch.complex64)), "float32 or float64"),
        (lambda: ops.irfft(torch.randn(1, dtype=torch.complex64)), "n must be positive"),
        (lambda: ops.irfft(torch.randn(10)), "complex64 or complex128"),
        (lambda: ops.rfft2(torch.randn(10)), "at least 2 dimension"),
        (lambda: ops.irfft2(torch.randn(4, 3, dtype=torch.complex64), 0), "output_ncols must be positive"),
        (lambda: ops.irfft2(torch.randn(4, dtype=torch.complex64), 4), "at least 2 dimension"),
    ],
)
def test_bad_arguments_raise_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_are_refused(value):
    x = torch.randn(2, 100)
    x[1, 17] = value
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.rfft(x)
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.rfft2(x)
    spectrum = torch.randn(2, 51, dtype=torch.complex128)
    spectrum[0, 3] = complex(0.0, value)
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.irfft(spectrum)
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.irfft2(spectrum, 100)


@pytest.mark.parametrize("dtype", DTYPES)
def test_aten_kernels_for_cuda_match_the_native_ones(dtype):
    # The torch.fft versions registered as the CUDA kernels, run on CPU against FFTW.
    from spectrograms.ops import fft as aten

    torch.manual_seed(0)
    x = torch.randn(2, 101, dtype=dtype)
    spectrum = torch.randn(2, 33, dtype=COMPLEX[dtype])
    image = torch.randn(3, 9, 10, dtype=dtype)
    spectrum2 = torch.randn(3, 9, 6, dtype=COMPLEX[dtype])
    tolerance = dict(rtol=1e-5, atol=2e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    for n, onesided in [(None, True), (64, False), (150, True)]:
        torch.testing.assert_close(aten.aten_rfft(x, n, onesided), ops.rfft(x, n, onesided=onesided), **tolerance)
    for n in [None, 63, 64, 20, 100]:
        torch.testing.assert_close(aten.aten_irfft(spectrum, n), ops.irfft(spectrum, n), **tolerance)
    torch.testing.assert_close(aten.aten_rfft2(image), ops.rfft2(image), **tolerance)
    for ncols in [10, 11, 6, 14]:
        torch.testing.assert_close(aten.aten_irfft2(spectrum2, ncols), ops.irfft2(spectrum2, ncols), **tolerance)
    for call in [lambda: aten.aten_rfft(x, 0, True), lambda: aten.aten_irfft(x, None),
                 lambda: aten.aten_rfft2(x[0]), lambda: aten.aten_irfft2(spectrum2, 0)]:
        with pytest.raises(ValueError):
            call()
    x[0, 5] = float("nan")
    with pytest.raises(ValueError, match="NaN or Inf"):
        aten.aten_rfft(x, None, True)
