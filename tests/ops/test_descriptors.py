"""The fused spectral-descriptor op (spectrograms_ext/descriptors.cpp): its fake kernel agrees with
the real one (opcheck), it refuses bad arguments by name, and each kind equals the whole-tensor torch
formula of compat.librosa computed from the same float64 spectrogram (the librosa parity tests in
tests/compat compare both paths with librosa itself)."""

from __future__ import annotations

import pytest
import torch

from spectrograms.errors import InvalidInputError
from spectrograms.ops.descriptors import spectral_descriptor

N_FFT, HOP, SR = 512, 128, 16000


def _args(signal, kind, param=0.0, amin=1e-10, center=True):
    window = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64)
    freq = torch.linspace(0, SR / 2, N_FFT // 2 + 1, dtype=torch.float64)
    return (signal, window, N_FFT, HOP, center, "constant", freq, kind, param, amin, False)


def _magnitude(signal, center=True):
    window = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64)
    padded = torch.nn.functional.pad(signal, (N_FFT // 2, N_FFT // 2)) if center else signal
    return torch.stft(padded, N_FFT, HOP, window=window, center=False, return_complex=True).abs()


@pytest.fixture
def signal():
    return torch.randn(2, 5000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


@pytest.mark.parametrize("kind,param", [("centroid", 0.0), ("bandwidth", 2.0), ("rolloff", 0.85), ("flatness", 2.0)])
def test_opcheck(signal, kind, param):
    torch.library.opcheck(torch.ops.spectrograms.spectral_descriptor.default, _args(signal, kind, param))


@pytest.mark.parametrize("center", [True, False])
def test_each_kind_equals_the_torch_formula(signal, center):
    freq = torch.linspace(0, SR / 2, N_FFT // 2 + 1, dtype=torch.float64)[:, None]
    S = _magnitude(signal, center)
    weights = S / S.sum(-2, keepdim=True)
    centroid = (freq * weights).sum(-2, keepdim=True)
    bandwidth = ((freq - centroid) ** 2 * weights).sum(-2, keepdim=True).sqrt()
    cumulative = S.cumsum(-2)
    rolloff_bin = (cumulative < 0.85 * cumulative[..., -1:, :]).sum(-2, keepdim=True)
    power = S.pow(2).clamp(min=1e-10)
    flatness = power.log().mean(-2, keepdim=True).exp() / power.mean(-2, keepdim=True)
    want = {"centroid": (centroid, 0.0), "bandwidth": (bandwidth, 2.0),
            "rolloff": (freq[:, 0][rolloff_bin], 0.85), "flatness": (flatness, 2.0)}
    for kind, (expected, param) in want.items():
        window = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64)
        got = spectral_descriptor(signal, window, n_fft=N_FFT, hop_length=HOP, center=center, pad_mode="constant",
                                  freq=freq[:, 0], kind=kind, param=param, round32=False)
        assert got.shape == (2, 1, S.shape[-1])
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-9, msg=kind)


@pytest.mark.parametrize("change,named", [
    (dict(kind="contrast"), "kind"),
    (dict(kind="rolloff", param=1.5), "roll_percent"),
    (dict(kind="flatness", amin=0.0), "amin"),
    (dict(kind="bandwidth", param=-1.0), "p must"),
])
def test_bad_arguments_are_refused_by_name(signal, change, named):
    args = dict(kind="centroid", param=0.0, amin=1e-10)
    args.update(change)
    signal_, window, n_fft, hop, center, pad_mode, freq = _args(signal, args["kind"])[:7]
    with pytest.raises(InvalidInputError, match=named):
        spectral_descriptor(signal_, window, n_fft=n_fft, hop_length=hop, center=center, pad_mode=pad_mode, freq=freq,
                            kind=args["kind"], param=args["param"], amin=args["amin"], round32=False)


def test_a_float32_signal_or_a_wrong_freq_is_refused(signal):
    with pytest.raises(ValueError, match="float64"):
        torch.ops.spectrograms.spectral_descriptor.default(*_args(signal.float(), "centroid"))
    bad = list(_args(signal, "centroid"))
    bad[6] = bad[6][:-1]
    with pytest.raises(ValueError, match="freq"):
        torch.ops.spectrograms.spectral_descriptor.default(*bad)
