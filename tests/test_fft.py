"""The FFT family and the 2-D FFT against numpy.fft, Fft2dResult's protocols, and bad input."""

import numpy as np
import pytest
import torch

import spectrograms as sg

# Relative to the largest magnitude of the result (FFTW and pocketfft round differently).
RTOL = {np.float32: 2e-6, np.float64: 1e-13}


def assert_matches(result: torch.Tensor, reference: np.ndarray, dtype):
    assert isinstance(result, torch.Tensor) and result.shape == reference.shape
    scale = max(np.abs(reference).max(), 1.0)
    np.testing.assert_allclose(result.numpy(), reference, rtol=0, atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft", [None, 256, 1000, 3001])
def test_1d_family_matches_numpy(dtype, n_fft):
    x = np.random.default_rng(0).standard_normal((2, 1500)).astype(dtype)
    x64 = x.astype(np.float64)
    complex_dtype = torch.complex64 if dtype == np.float32 else torch.complex128
    rfft = sg.compute_fft(x, n_fft)
    assert rfft.dtype == complex_dtype
    assert_matches(rfft, np.fft.rfft(x64, n=n_fft), dtype)
    magnitude = sg.compute_rfft(x, n_fft)
    assert magnitude.dtype == torch.from_numpy(x).dtype
    assert_matches(magnitude, np.abs(np.fft.rfft(x64, n=n_fft)), dtype)
    assert sg.compute_fft(x, n_fft, dtype="float64").dtype == torch.complex128
    assert sg.compute_rfft(x, n_fft, dtype="float32").dtype == torch.float32
    assert_matches(sg.compute_power_spectrum(x, n_fft), np.abs(np.fft.rfft(x64, n=n_fft)) ** 2, dtype)
    assert_matches(sg.compute_magnitude_spectrum(x, n_fft), np.abs(np.fft.rfft(x64, n=n_fft)), dtype)
    n = n_fft or 1500
    back = sg.compute_irfft(rfft, n)
    assert back.dtype == torch.from_numpy(x).dtype
    assert_matches(back, np.fft.irfft(np.fft.rfft(x64, n=n), n=n), dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [None, 63, 64, 100, 10])
def test_irfft_matches_numpy_on_any_spectrum(dtype, n):
    rng = np.random.default_rng(1)
    spectrum = (rng.standard_normal((3, 33)) + 1j * rng.standard_normal((3, 33))).astype(dtype)
    real_dtype = np.float32 if dtype == np.complex64 else np.float64
    assert_matches(sg.compute_irfft(spectrum, n), np.fft.irfft(spectrum.astype(np.complex128), n=n), real_dtype)


def test_inputs_follow_numpy_not_pcm():
    pcm = np.array([0, 16384, -32768, 100], dtype=np.int16)
    # Integers are numbers here (NumPy's semantics), not audio scaled to [-1, 1).
    np.testing.assert_allclose(sg.compute_fft(pcm).numpy(), np.fft.rfft(pcm))
    assert sg.compute_fft([1.0, 2.0, 3.0]).dtype == torch.complex128
    np.testing.assert_allclose(sg.compute_irfft([6.0, -1.5 + 0.866j], 3).numpy(), np.fft.irfft([6.0, -1.5 + 0.866j], 3))
    np.testing.assert_allclose(sg.compute_fft(np.arange(8.0)[::-1]).numpy(), np.fft.rfft(np.arange(8.0)[::-1]))
    np.testing.assert_allclose(sg.compute_fft(torch.ones(4, dtype=torch.float16)).numpy(), [4, 0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 64), (31, 50), (3, 20, 17)])
def test_2d_matches_numpy(dtype, shape):
    data = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    data64 = data.astype(np.float64)
    result = sg.fft2d(data)
    assert isinstance(result, sg.Fft2dResult)
    assert result.shape == (*shape[:-1], shape[-1] // 2 + 1) and result.input_shape == shape[-2:]
    assert result.n_rows == shape[-2] and result.n_cols == shape[-1]
    assert_matches(result.tensor, np.fft.rfft2(data64), dtype)
    assert_matches(sg.power_spectrum_2d(data), np.abs(np.fft.rfft2(data64)) ** 2, dtype)
    assert_matches(sg.magnitude_spectrum_2d(data), np.abs(np.fft.rfft2(data64)), dtype)
    assert_matches(sg.ifft2d(result), data64, dtype)
    assert_matches(result.inverse(), data64, dtype)
    assert_matches(sg.ifft2d(result.data, shape[-1]), data64, dtype)


@pytest.mark.parametrize("output_ncols", [16, 17, 10, 40])
def test_ifft2d_matches_numpy_on_any_spectrum(output_ncols):
    rng = np.random.default_rng(3)
    spectrum = rng.standard_normal((12, 9)) + 1j * rng.standard_normal((12, 9))
    assert_matches(sg.ifft2d(spectrum, output_ncols), np.fft.irfft2(spectrum, s=(12, output_ncols)), np.float64)


def test_image_integers_are_transformed_as_numbers():
    image = np.arange(48, dtype=np.uint8).reshape(6, 8)
    np.testing.assert_allclose(sg.fft2d(image).data, np.fft.rfft2(image), atol=1e-10)


def test_seed_dlpack_fft2d_result():
    result = sg.fft2d(np.random.default_rng(4).standard_normal((32, 32)).astype(np.float32))
    tensor = torch.from_dlpack(result)
    assert tensor.dtype == torch.complex64 and tensor.shape == (32, 17)
    assert tensor.data_ptr() == result.tensor.data_ptr()
    result.data[0, 0] = 999.0 + 1j
    assert tensor[0, 0] == 999.0 + 1j
    array = np.from_dlpack(result)
    assert array.dtype == np.complex64 and np.shares_memory(array, result.data)
    copied = torch.from_dlpack(result.__dlpack__(copy=True))
    result.data[1, 1] = -7.0
    assert copied[1, 1] != -7.0
    assert result.__dlpack_device__() == (1, 0)
    assert np.asarray(result).dtype == np.complex64
    torch.testing.assert_close(result.power(), result.tensor.abs() ** 2)


def test_fft_bad_input():
    with pytest.raises(sg.InvalidTypeError, match="samples"):
        sg.compute_rfft("signal")
    with pytest.raises(sg.InvalidTypeError, match="samples must be real"):
        sg.compute_fft(np.ones(8, dtype=np.complex64))
    with pytest.raises(sg.InvalidTypeError, match="samples must contain numbers"):
        sg.compute_rfft(np.ones(8, dtype=bool))
    with pytest.raises(sg.InvalidInputError, match="samples is empty"):
        sg.compute_power_spectrum(np.zeros(0))
    with pytest.raises(sg.InvalidInputError, match="samples must have shape"):
        sg.compute_magnitude_spectrum(np.float64(3.0))
    with pytest.raises(sg.InvalidInputError, match="n_fft must be a positive int"):
        sg.compute_rfft(np.ones(8), 0)
    with pytest.raises(sg.InvalidTypeError, match="n_fft must be a positive int or None"):
        sg.compute_fft(np.ones(8), 8.0)
    with pytest.raises(sg.InvalidInputError, match="NaN or Inf"):
        sg.compute_rfft(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(sg.InvalidInputError, match="must be rectangular"):
        sg.compute_rfft([[1.0, 2.0], [3.0]])


def test_irfft_bad_input():
    with pytest.raises(sg.InvalidTypeError, match="spectrum"):
        sg.compute_irfft({"bins": 3})
    with pytest.raises(sg.InvalidInputError, match="n_fft must be given for a spectrum of 1 bin"):
        sg.compute_irfft(np.ones(1, dtype=np.complex64))
    with pytest.raises(sg.InvalidInputError, match="n_fft must be a positive int"):
        sg.compute_irfft(np.ones(5, dtype=np.complex64), -4)
    with pytest.raises(sg.InvalidInputError, match="spectrum is empty"):
        sg.compute_irfft(np.ones((3, 0), dtype=np.complex64), 4)
    with pytest.raises(sg.InvalidInputError, match="NaN or Inf"):
        sg.compute_irfft(np.array([1.0, np.inf * 1j, 0.0]))


def test_2d_bad_input():
    with pytest.raises(sg.InvalidInputError, match="data must have shape"):
        sg.fft2d(np.ones(16))
    with pytest.raises(sg.InvalidTypeError, match="data must be real"):
        sg.fft2d(np.ones((4, 4), dtype=np.complex128))
    with pytest.raises(sg.InvalidInputError, match="data is empty"):
        sg.power_spectrum_2d(np.ones((0, 4)))
    with pytest.raises(sg.InvalidTypeError, match="data"):
        sg.magnitude_spectrum_2d(None)
    with pytest.raises(sg.InvalidInputError, match="NaN or Inf"):
        sg.fft2d(np.full((4, 4), np.inf))
    with pytest.raises(sg.InvalidInputError, match="output_ncols is required"):
        sg.ifft2d(np.ones((4, 3), dtype=np.complex64))
    with pytest.raises(sg.InvalidInputError, match="output_ncols must be a positive int"):
        sg.ifft2d(np.ones((4, 3), dtype=np.complex64), 0)
    with pytest.raises(sg.InvalidInputError, match="spectrum must have shape"):
        sg.ifft2d(np.ones(3, dtype=np.complex64), 4)
    with pytest.raises(sg.InvalidTypeError, match="spectrum"):
        sg.ifft2d("spectrum", 4)
