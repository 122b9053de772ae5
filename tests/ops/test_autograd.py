"""Backward formulas of the ops: gradcheck in float64 and agreement with torch.stft's autograd."""

import itertools

import pytest
import torch

import spectrograms as sg
from spectrograms import ops

N_FFT, HOP = 32, 7  # hop not dividing n_fft: frames overlap unevenly


def _bank(n_fft=N_FFT, n_mels=6):
    params = sg.SpectrogramParams(sg.StftParams(n_fft, n_fft // 4), 16000.0)
    return sg.mel_filterbank(params, sg.MelParams(n_mels, 100.0, 7000.0))


def _torch_reference(x, window, n_fft, hop, center, pad_mode, power, dense_bank, floor_db):
    spec = torch.stft(x, n_fft, hop, window=window, center=center, pad_mode=pad_mode, return_complex=True)
    spec = spec.abs().pow(power)
    if dense_bank is not None:
        spec = dense_bank @ spec
    if floor_db is not None:
        scale = 20.0 if power == 1.0 else 10.0
        spec = scale * torch.log10(spec.clamp_min(10.0 ** (floor_db / scale)))
    return spec


FRAMINGS = [(True, "constant"), (True, "reflect"), (False, "constant")]
CASES = [(c, p, power, fb, floor) for (c, p), power, (fb, floor) in
         itertools.product(FRAMINGS, [1.0, 2.0], [(False, None), (True, None), (True, -30.0), (False, -30.0)])]


@pytest.mark.parametrize("center,pad_mode,power,with_bank,floor_db", CASES)
def test_gradcheck_spectrogram(center, pad_mode, power, with_bank, floor_db):
    torch.manual_seed(0)
    x = torch.randn(2, 70, dtype=torch.float64, requires_grad=True)
    window = torch.hann_window(N_FFT, dtype=torch.float64)
    bank = _bank().csr(torch.float64) if with_bank else None

    def features(signal):
        return ops.spectrogram(signal, window, n_fft=N_FFT, hop_length=HOP, center=center, pad_mode=pad_mode,
                               power=power, filterbank=bank, floor_db=floor_db)

    # fast_mode checks random projections of the Jacobian (the full one costs a backward per output);
    # one case below runs the full check.
    assert torch.autograd.gradcheck(features, (x,), fast_mode=True)


def test_full_gradcheck_reflect_mel_db():
    x = torch.randn(1, 40, dtype=torch.float64, requires_grad=True)
    window = torch.hann_window(16, dtype=torch.float64)
    bank = _bank(16, n_mels=3).csr(torch.float64)
    assert torch.autograd.gradcheck(
        lambda s: ops.spectrogram(s, window, n_fft=16, hop_length=5, pad_mode="reflect", power=1.0,
                                  filterbank=bank, floor_db=-30.0),
        (x,),
    )


@pytest.mark.parametrize("n_fft", [32, 31])  # even n_fft has a Nyquist bin, odd does not
@pytest.mark.parametrize("center,pad_mode", FRAMINGS)
def test_gradcheck_stft(n_fft, center, pad_mode):
    torch.manual_seed(0)
    x = torch.randn(2, 65, dtype=torch.float64, requires_grad=True)
    window = torch.hann_window(n_fft, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda s: ops.stft(s, window, n_fft=n_fft, hop_length=HOP, center=center, pad_mode=pad_mode), (x,),
        fast_mode=True,
    )


def test_double_backward():
    x = torch.randn(60, dtype=torch.float64, requires_grad=True)
    window = torch.hann_window(N_FFT, dtype=torch.float64)
    bank = _bank().csr(torch.float64)
    assert torch.autograd.gradgradcheck(
        lambda s: ops.spectrogram(s, window, n_fft=N_FFT, hop_length=HOP, pad_mode="reflect", filterbank=bank,
                                  floor_db=-30.0),
        (x,), fast_mode=True,
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("center,pad_mode,power,with_bank,floor_db", CASES[::3])
def test_gradients_match_torch_stft(dtype, center, pad_mode, power, with_bank, floor_db):
    torch.manual_seed(1)
    n_fft, hop = 256, 100
    bank = _bank(n_fft) if with_bank else None
    window = torch.hann_window(n_fft, dtype=dtype)
    x = torch.randn(2, 3, 2000, dtype=dtype, requires_grad=True)
    ours = ops.spectrogram(x, window, n_fft=n_fft, hop_length=hop, center=center, pad_mode=pad_mode, power=power,
                           filterbank=bank.csr(dtype) if bank else None, floor_db=floor_db)
    upstream = torch.randn_like(ours)
    (grad,) = torch.autograd.grad(ours, x, upstream)
    x_ref = x.detach().reshape(6, 2000).requires_grad_()
    ref = _torch_reference(x_ref, window, n_fft, hop, center, pad_mode, power, bank.dense(dtype) if bank else None,
                           floor_db)
    (expected,) = torch.autograd.grad(ref, x_ref, upstream.reshape(ref.shape))
    tolerance = dict(rtol=1e-4, atol=1e-4 * expected.abs().max().item()) if dtype == torch.float32 else {}
    torch.testing.assert_close(grad.reshape(expected.shape), expected, **tolerance)


def test_stft_gradient_matches_torch_stft():
    window = torch.hann_window(64, dtype=torch.float64)
    x = torch.randn(2, 500, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(2, 33, 1 + 500 // 16, dtype=torch.complex128)
    (ours,) = torch.autograd.grad(ops.stft(x, window, n_fft=64, hop_length=16, pad_mode="reflect"), x, upstream)
    ref = torch.stft(x, 64, 16, window=window, pad_mode="reflect", return_complex=True)
    (expected,) = torch.autograd.grad(ref, x, upstream)
    torch.testing.assert_close(ours, expected)


def test_window_and_filterbank_get_no_gradient():
    window = torch.hann_window(N_FFT, dtype=torch.float64).requires_grad_()
    x = torch.randn(100, dtype=torch.float64, requires_grad=True)
    ops.spectrogram(x, window, n_fft=N_FFT, hop_length=HOP).sum().backward()
    assert x.grad is not None and window.grad is None


def test_opcheck_with_gradients():
    bank = _bank(128).csr(torch.float32)
    for args in [
        (torch.randn(2, 1000, requires_grad=True), torch.hann_window(128), 128, 64, True, "reflect", 2.0,
         None, None, None, None),
        (torch.randn(1000, requires_grad=True), torch.hann_window(128), 128, 50, False, "constant", 1.0, *bank, -80.0),
    ]:
        torch.library.opcheck(torch.ops.spectrograms.spectrogram.default, args)
    torch.library.opcheck(torch.ops.spectrograms.stft.default,
                          (torch.randn(3, 700, dtype=torch.float64, requires_grad=True),
                           torch.hann_window(128, dtype=torch.float64), 128, 32, True, "reflect"))
