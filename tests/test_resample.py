"""The native polyphase resampler (spectrograms_ext/resample.cpp) against torchaudio.functional.resample.

Tolerances, absolute, on signals in [-1, 1] (audio's range): float32 within 1e-6, float64 within
1e-12. Both sides sum the same taps in different orders (and ours skips the ~1e-17 taps past each
phase's window), so they differ by float rounding only. torchaudio runs with its default dtype set to
the waveform's, so that its Kaiser constants are in that dtype too (see tests/test_functional.py).
"""


import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms.functional as SF
import spectrograms.nn as snn
from spectrograms.errors import InvalidInputError, SpectrogramError
from spectrograms.ops.resample import native_resample_allowed, resample_poly

from .test_functional import torchaudio_resample

TA = pytest.importorskip("torchaudio")
ABS = {torch.float32: 1e-6, torch.float64: 1e-12}
RATES = [(16000, 8000), (44100, 16000), (8000, 16000), (48000, 44100), (16000, 22050)]


def uniform(shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1).to(dtype)


def assert_abs(ours, theirs, dtype):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    error = float((ours - theirs).abs().max()) if ours.numel() else 0.0
    assert error <= ABS[dtype], error


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rates", RATES)
@pytest.mark.parametrize("method", ["sinc_interp_hann", "sinc_interp_kaiser"])
def test_native_matches_torchaudio_on_speech(speech, dtype, rates, method):
    x = torch.from_numpy(speech[0]).to(dtype)
    assert native_resample_allowed(x, x.new_empty(1))
    assert_abs(SF.resample(x, *rates, resampling_method=method),
               torchaudio_resample(x, *rates, resampling_method=method), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rates", RATES + [(3, 7), (7, 3), (1, 5), (5, 1)])
@pytest.mark.parametrize("length", [1, 2, 5, 441, 16001, 44099])
def test_native_odd_lengths_and_batches(dtype, rates, length):
    x = uniform((2, 3, length), dtype, seed=length)
    assert_abs(SF.resample(x, *rates), torchaudio_resample(x, *rates), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("width", [1, 6, 16])
@pytest.mark.parametrize("rolloff", [0.5, 0.99, 1.0])
@pytest.mark.parametrize("kaiser_beta", [None, 1.0, 14.769656459379492])
def test_native_option_grid(dtype, width, rolloff, kaiser_beta):
    x = uniform((2, 9001), dtype, seed=width)
    options = dict(lowpass_filter_width=width, rolloff=rolloff)
    if kaiser_beta is not None:
        options.update(resampling_method="sinc_interp_kaiser", beta=kaiser_beta)
    for rates in ((16000, 8000), (44100, 16000), (8000, 16000)):
        assert_abs(SF.resample(x, *rates, **options), torchaudio_resample(x, *rates, **options), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_native_equals_torch_path_and_layer(dtype):
    """The conv1d path (taken for autograd) and the native one agree, and the layer uses the native one."""
    x = uniform((3, 22051), dtype, seed=5)
    native = SF.resample(x, 44100, 16000)
    with torch.enable_grad():
        via_conv = SF.resample(x.clone().requires_grad_(True), 44100, 16000).detach()
    assert_abs(native, via_conv, dtype)
    layer = snn.Resample(44100, 16000).to(dtype)
    # torchaudio's layer builds its default float32 kernel in float64, as ours does
    reference = TA.transforms.Resample(44100, 16000, dtype=None if dtype == torch.float32 else dtype)
    assert_abs(layer(x), reference(x), dtype)


def test_empty_signal():
    """torchaudio cannot reshape an empty signal; the native op returns an empty one of the right shape."""
    assert SF.resample(torch.zeros(2, 3, 0), 16000, 8000).shape == (2, 3, 0)


def test_threads_do_not_change_values(restore_torch_threads):
    x = uniform((4, 160001), torch.float32, seed=6)
    torch.set_num_threads(1)
    one = SF.resample(x, 48000, 44100)
    torch.set_num_threads(2)
    assert torch.equal(one, SF.resample(x, 48000, 44100))


def test_non_contiguous_input():
    x = uniform((16001, 2), torch.float64, seed=7).t()
    assert not x.is_contiguous()
    assert_abs(SF.resample(x, 16000, 8000), torchaudio_resample(x.contiguous(), 16000, 8000), torch.float64)


def test_autograd_takes_the_torch_path():
    x = uniform((1, 64), torch.float64, seed=8).requires_grad_(True)
    assert not native_resample_allowed(x, x.detach())
    assert torch.autograd.gradcheck(lambda s: SF.resample(s, 8000, 12000), (x,))


def test_compile_takes_the_torch_path():
    compiled = torch.compile(snn.Resample(16000, 8000), fullgraph=True)
    y = uniform((2, 4000), torch.float32, seed=9)
    assert_abs(compiled(y), TA.functional.resample(y, 16000, 8000), torch.float32)


def test_op_checks():
    kernel, width = SF.sinc_resample_kernel(2, 1, dtype=torch.float32)
    x = uniform((2, 1000), torch.float32)
    torch.library.opcheck(torch.ops.spectrograms.resample_poly.default, (x, kernel, 2, 1, width),
                          test_utils=("test_schema", "test_faketensor"))
    with pytest.raises(ValueError, match="kernel must have shape"):
        resample_poly(x, kernel[:, :, :-1], 2, 1, width)
    with pytest.raises(TypeError, match="kernel dtype"):
        resample_poly(x, kernel.double(), 2, 1, width)
    with pytest.raises(ValueError, match="orig_freq and new_freq must be positive"):
        resample_poly(x, kernel, 0, 1, width)


@settings(max_examples=60, deadline=None)
@given(orig=st.one_of(st.integers(-5, 0), st.floats(0.1, 1e5).filter(lambda v: v != int(v)), st.booleans(),
                      st.text(max_size=3), st.none()))
def test_bad_rates_are_refused_by_name(orig):
    with pytest.raises(InvalidInputError, match="orig_freq"):
        SF.resample(torch.zeros(100), orig, 8000)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(-3, 0), rolloff=st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda v: not 0 < v <= 1))
def test_bad_kernel_options_are_refused_by_name(width, rolloff):
    with pytest.raises(InvalidInputError, match="lowpass_filter_width"):
        SF.resample(torch.zeros(100), 16000, 8000, lowpass_filter_width=width)
    with pytest.raises(SpectrogramError, match="rolloff"):
        SF.resample(torch.zeros(100), 16000, 8000, rolloff=rolloff)


def test_huge_kernels_are_refused_before_allocating():
    """48000 -> 50854 Hz has gcd 2: a 25427 x 24000-tap kernel (gigabytes); refused by its rates."""
    with pytest.raises(InvalidInputError, match="48000 -> 50854|24000 -> 25427"):
        SF.resample(torch.zeros(100), 48000, 50854)
