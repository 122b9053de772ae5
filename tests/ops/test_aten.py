"""The ATen implementation of the ops (spectrograms/ops/_aten.py), which is their CUDA kernel, checked on
CPU against the native FFTW kernels: same values, same shapes, same errors."""

import itertools

import pytest
import torch

import spectrograms as sg
from spectrograms.ops._aten import checked_dense_filterbank
from spectrograms.ops.spectrogram import _reference_spectrogram
from spectrograms.ops.stft import _reference_stft

from ..conftest import DTYPES

# float32 dB values far below the peak carry the FFTs' rounding differences (about 5e-3 dB at 86 dB
# below the peak); power and magnitude agree to float32 precision relative to the largest value.
TOLERANCE = {torch.float32: dict(rtol=1e-4, atol=1e-2), torch.float64: dict(rtol=1e-10, atol=1e-9)}


def _bank(dtype):
    params = sg.SpectrogramParams(sg.StftParams(512, 128), 16000.0)
    return sg.mel_filterbank(params, sg.MelParams(64, 20.0, 7600.0)).csr(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("center,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")])
@pytest.mark.parametrize("power,with_bank,floor_db",
                         list(itertools.product([1.0, 2.0], [False, True], [None, -80.0])))
def test_spectrogram_matches_native_kernel(dtype, center, pad_mode, power, with_bank, floor_db):
    torch.manual_seed(0)
    signal = torch.randn(2, 3, 5000, dtype=dtype)
    args = (signal, torch.hann_window(512, dtype=dtype), 512, 160, center, pad_mode, power,
            *(_bank(dtype) if with_bank else (None, None, None)), floor_db)
    native = torch.ops.spectrograms.spectrogram.default(*args)
    ours = _reference_spectrogram(*args)
    assert ours.shape == native.shape and ours.dtype == native.dtype
    if floor_db is None:  # compare relative to the largest value, as float32 FFTs round
        scale = native.abs().max()
        torch.testing.assert_close(ours / scale, native / scale, **TOLERANCE[dtype])
    else:
        torch.testing.assert_close(ours, native, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_fft", [255, 256])
def test_stft_matches_native_kernel(dtype, n_fft):
    signal = torch.randn(3, 4000, dtype=dtype)
    args = (signal, torch.hann_window(n_fft, dtype=dtype), n_fft, 100, True, "reflect")
    native = torch.ops.spectrograms.stft.default(*args)
    ours = _reference_stft(*args)
    assert ours.dtype == native.dtype
    torch.testing.assert_close(ours, native, rtol=1e-4, atol=1e-3 if dtype == torch.float32 else 1e-10)


def test_empty_batch_gives_empty_output():
    signal = torch.zeros(0, 1000)
    args = (signal, torch.hann_window(256), 256, 64, True, "constant")
    assert _reference_stft(*args).shape == torch.ops.spectrograms.stft.default(*args).shape
    full = args + (2.0, None, None, None, None)
    assert _reference_spectrogram(*full).shape == torch.ops.spectrograms.spectrogram.default(*full).shape


def _bad_filterbank():
    return torch.tensor([0, 2]), torch.tensor([0, 9999]), torch.ones(2)


BAD_ARGUMENTS = [
    (dict(hop_length=0), "hop_length must be positive"),
    (dict(window=torch.hann_window(256)), "window must have shape"),
    (dict(window=torch.hann_window(512, dtype=torch.float64)), "window dtype"),
    (dict(signal=torch.zeros(3000, dtype=torch.int16)), "float32 or float64"),
    (dict(power=3.0), "power must be 1"),
    (dict(pad_mode="edge"), "pad_mode must be"),
    (dict(floor_db=float("nan")), "floor_db must be finite"),
    (dict(signal=torch.randn(500), center=False), "fewer than n_fft"),
    (dict(signal=torch.randn(100), pad_mode="reflect"), "reflect"),
    (dict(fb=_bad_filterbank()), "filterbank column 9999"),
    (dict(fb=(torch.tensor([0, 2]), None, None)), "needs all of"),
    (dict(signal=torch.tensor([0.0] * 4000 + [float("nan")])), "NaN or Inf"),
]


@pytest.mark.parametrize("change,message", BAD_ARGUMENTS)
def test_same_errors_as_native_kernel(change, message):
    arguments = dict(signal=torch.randn(3000), window=torch.hann_window(512), n_fft=512, hop_length=128,
                     center=True, pad_mode="constant", power=2.0, fb=(None, None, None), floor_db=None)
    arguments.update(change)
    args = (*list(arguments.values())[:7], *arguments["fb"], arguments["floor_db"])
    for kernel in (torch.ops.spectrograms.spectrogram.default, _reference_spectrogram):
        with pytest.raises(ValueError, match=message):
            kernel(*args)


def test_checked_filterbank_is_reused_yet_edits_are_seen():
    """The ATen kernel checks and densifies each filterbank once; edits made in place, including ones
    that break it, must still be seen, inference tensors (no version counter) must work, and the cache
    must not stop torch.utils.swap_tensors (which refuses tensors with weak references)."""
    signal, window = torch.randn(3000), torch.hann_window(512)
    crow, col, val = (t.clone() for t in _bank(torch.float32))

    def run(fb):
        return _reference_spectrogram(signal, window, 512, 128, True, "constant", 2.0, *fb, None)

    dense = checked_dense_filterbank(crow, col, val, 257, torch.float32, signal.device)
    assert checked_dense_filterbank(crow, col, val, 257, torch.float32, signal.device) is dense
    first = run((crow, col, val))
    val.mul_(2.0)
    torch.testing.assert_close(run((crow, col, val)), 2.0 * first)
    col[-1] = 9999
    with pytest.raises(ValueError, match="filterbank column 9999"):
        run((crow, col, val))
    torch.utils.swap_tensors(val, val.clone())
    with torch.inference_mode():
        fb = tuple(t.clone() for t in _bank(torch.float32))
        torch.testing.assert_close(run(fb), first)
        torch.testing.assert_close(run(fb), first)
