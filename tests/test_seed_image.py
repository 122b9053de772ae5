"""The seed library's 2-D FFT image helpers and FFT axis helpers, against the seed library itself.

Every case runs in one seed subprocess per test; float64 values agree to 1e-9 relative, odd-length
``fftshift`` follows NumPy (a documented departure), and bad input is a named SpectrogramError.
"""

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms.errors import InvalidInputError, SpectrogramError
from tests.seed_oracle import needs_seed, run_seed

SHAPES = [(8, 8), (9, 12), (16, 15), (7, 5), (32, 48)]


def _images():
    rng = np.random.default_rng(7)
    return {f"img{i}": rng.standard_normal(shape) * 3 + 1 for i, shape in enumerate(SHAPES)}


def _close(ours, theirs, rtol=1e-9):
    ours = ours.numpy() if isinstance(ours, torch.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape
    scale = max(np.abs(theirs).max(), 1e-300)
    assert np.abs(ours - theirs).max() <= rtol * scale


@needs_seed
def test_filters_and_convolution_equal_the_seed_library():
    images = _images()
    kernel = np.arange(15.0).reshape(3, 5) - 4
    script = f"""
for name in {list(images)!r}:
    img = data[name]
    for c in (0.0, 0.1, 0.35, 0.5, 1.0):
        out[f'low_{{name}}_{{c}}'] = sg.lowpass_filter(img, c)
        out[f'high_{{name}}_{{c}}'] = sg.highpass_filter(img, c)
    out[f'band_{{name}}'] = sg.bandpass_filter(img, 0.15, 0.6)
    out[f'edges_{{name}}'] = sg.detect_edges_fft(img)
    out[f'sharp_{{name}}'] = sg.sharpen_fft(img, 1.5)
    out[f'conv_{{name}}'] = sg.convolve_fft(img, kernel)
    out[f'gauss_{{name}}'] = sg.convolve_fft(img, sg.gaussian_kernel_2d(3, 0.8))
for size, sigma in ((1, 1.0), (3, 0.5), (5, 1.0), (9, 2.5)):
    out[f'kernel_{{size}}_{{sigma}}'] = sg.gaussian_kernel_2d(size, sigma)
"""
    seed = run_seed(script, kernel=kernel, **images)
    for name, img in images.items():
        for c in (0.0, 0.1, 0.35, 0.5, 1.0):
            _close(sg.lowpass_filter(img, c), seed[f"low_{name}_{c}"])
            _close(sg.highpass_filter(img, c), seed[f"high_{name}_{c}"])
        _close(sg.bandpass_filter(img, 0.15, 0.6), seed[f"band_{name}"])
        _close(sg.detect_edges_fft(img), seed[f"edges_{name}"])
        _close(sg.sharpen_fft(img, 1.5), seed[f"sharp_{name}"])
        _close(sg.convolve_fft(img, kernel), seed[f"conv_{name}"])
        _close(sg.convolve_fft(img, sg.gaussian_kernel_2d(3, 0.8)), seed[f"gauss_{name}"])
    for size, sigma in ((1, 1.0), (3, 0.5), (5, 1.0), (9, 2.5)):
        _close(sg.gaussian_kernel_2d(size, sigma), seed[f"kernel_{size}_{sigma}"])


@needs_seed
def test_axis_helpers_equal_the_seed_library_and_numpy():
    script = """
for n in (1, 2, 5, 8, 401):
    for d in (1.0, 1 / 16000, 0.3):
        out[f'f_{n}_{d}'] = sg.fftfreq(n, d)
        out[f'r_{n}_{d}'] = sg.rfftfreq(n, d)
for rows, cols in ((4, 6), (3, 5), (4, 5)):
    a = np.arange(rows * cols, dtype=float).reshape(rows, cols)
    out[f's_{rows}_{cols}'] = sg.fftshift(a)
    out[f'i_{rows}_{cols}'] = sg.ifftshift(a)
for n in (4, 5, 8):
    out[f's1_{n}'] = sg.fftshift_1d(np.arange(n, dtype=float))
    out[f'i1_{n}'] = sg.ifftshift_1d(np.arange(n, dtype=float))
"""
    seed = run_seed(script)
    for n in (1, 2, 5, 8, 401):
        for d in (1.0, 1 / 16000, 0.3):
            _close(sg.fftfreq(n, d), seed[f"f_{n}_{d}"])
            _close(sg.rfftfreq(n, d), seed[f"r_{n}_{d}"])
            _close(sg.fftfreq(n, d), np.fft.fftfreq(n, d))
    for rows, cols in ((4, 6), (3, 5), (4, 5)):
        a = np.arange(rows * cols, dtype=float).reshape(rows, cols)
        _close(sg.fftshift(a), np.fft.fftshift(a))
        _close(sg.ifftshift(a), np.fft.ifftshift(a))
        _close(sg.ifftshift(sg.fftshift(a)), a)
        if rows % 2 == 0 and cols % 2 == 0:  # odd lengths: the documented departure (seed's is ifftshift)
            _close(sg.fftshift(a), seed[f"s_{rows}_{cols}"])
            _close(sg.ifftshift(a), seed[f"i_{rows}_{cols}"])
        elif rows % 2 == 1 and cols % 2 == 1:
            _close(sg.ifftshift(a), seed[f"s_{rows}_{cols}"])
            _close(sg.fftshift(a), seed[f"i_{rows}_{cols}"])
    for n in (4, 5, 8):
        a = np.arange(n, dtype=float)
        _close(sg.fftshift_1d(a), np.fft.fftshift(a))
        _close(sg.ifftshift_1d(a), np.fft.ifftshift(a))
        swapped = n % 2 == 1  # the seed's two shifts are each other's on odd lengths
        _close(sg.fftshift_1d(a), seed[f"i1_{n}" if swapped else f"s1_{n}"])
        _close(sg.ifftshift_1d(a), seed[f"s1_{n}" if swapped else f"i1_{n}"])


@needs_seed
def test_fft2d_planner_equals_the_seed_library():
    images = _images()
    script = f"""
for dtype in ('float64', 'float32'):
    p = sg.Fft2dPlanner(dtype)
    for name in {list(images)!r}:
        img = data[name]
        out[f'fft_{{dtype}}_{{name}}'] = p.fft2d(img)
        out[f'pow_{{dtype}}_{{name}}'] = p.power_spectrum_2d(img)
        out[f'mag_{{dtype}}_{{name}}'] = p.magnitude_spectrum_2d(img)
        out[f'inv_{{dtype}}_{{name}}'] = p.ifft2d(p.fft2d(img), img.shape[1])
"""
    seed = run_seed(script, **images)
    for dtype, rtol in (("float64", 1e-9), ("float32", 1e-5)):
        planner = sg.Fft2dPlanner(dtype)
        assert planner.dtype == dtype
        for name, img in images.items():
            spectrum = planner.fft2d(img)
            assert spectrum.tensor.dtype == (torch.complex128 if dtype == "float64" else torch.complex64)
            _close(spectrum.tensor, seed[f"fft_{dtype}_{name}"], rtol)
            _close(planner.power_spectrum_2d(img), seed[f"pow_{dtype}_{name}"], rtol)
            _close(planner.magnitude_spectrum_2d(img), seed[f"mag_{dtype}_{name}"], rtol)
            _close(planner.ifft2d(spectrum, img.shape[1]), seed[f"inv_{dtype}_{name}"], rtol)


def test_batches_and_dtypes():
    images = np.random.default_rng(3).standard_normal((3, 10, 12))
    batched = sg.lowpass_filter(images, 0.4)
    for item, image in zip(batched, images):
        _close(item, sg.lowpass_filter(image, 0.4).numpy(), 1e-12)
    assert sg.sharpen_fft(images.astype(np.float32), 1.0).dtype == torch.float32
    assert sg.sharpen_fft(images.astype(np.float32), 1.0, dtype="float64").dtype == torch.float64
    assert sg.fftfreq(8, dtype="float32").dtype == torch.float32
    complex_shift = sg.fftshift(np.ones((3, 4)) * (1 + 2j))
    assert complex_shift.dtype == torch.complex128
    # A delta kernel is the identity, and a Gaussian blur keeps the mean.
    delta = np.zeros((3, 3))
    delta[1, 1] = 1
    _close(sg.convolve_fft(images[0], delta), images[0], 1e-12)
    blurred = sg.convolve_fft(images[0], sg.gaussian_kernel_2d(5, 1.0))
    assert abs(float(blurred.mean()) - images[0].mean()) < 1e-12


@pytest.mark.parametrize("call, parameter", [
    (lambda: sg.gaussian_kernel_2d(4, 1.0), "size"),
    (lambda: sg.gaussian_kernel_2d(3, 0.0), "sigma"),
    (lambda: sg.gaussian_kernel_2d(3, float("nan")), "sigma"),
    (lambda: sg.convolve_fft(np.ones((4, 4)), np.ones((5, 1))), "kernel"),
    (lambda: sg.convolve_fft(np.ones((4, 4)), np.ones((2, 2, 2))), "kernel"),
    (lambda: sg.lowpass_filter(np.ones((4, 4)), 1.5), "cutoff_fraction"),
    (lambda: sg.highpass_filter(np.ones((4, 4)), -0.1), "cutoff_fraction"),
    (lambda: sg.bandpass_filter(np.ones((4, 4)), 0.5, 0.2), "high_cutoff"),
    (lambda: sg.sharpen_fft(np.ones((4, 4)), -1.0), "amount"),
    (lambda: sg.lowpass_filter(np.ones(4), 0.5), "image"),
    (lambda: sg.lowpass_filter(np.ones((4, 4)), 0.5, dtype="float16"), "dtype"),
    (lambda: sg.fftfreq(0), "n"),
    (lambda: sg.fftfreq(8, 0.0), "d"),
    (lambda: sg.rfftfreq(8, float("inf")), "d"),
    (lambda: sg.fftshift(np.ones(4)), "arr"),
    (lambda: sg.Fft2dPlanner("int8"), "dtype"),
    (lambda: sg.Fft2dPlanner().ifft2d(np.ones((4, 3), complex), 8), "output_ncols"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises(SpectrogramError, match=parameter):
        call()


def test_errors_are_library_errors():
    assert issubclass(InvalidInputError, ValueError)
