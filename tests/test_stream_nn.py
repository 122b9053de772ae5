"""nn.PCEN against librosa.pcen on real speech, learnable PCEN (gradients, compile), and StreamingFeatures
equal to the wrapped layer offline, with named errors for bad use."""

import librosa
import numpy as np
import pytest
import torch
from torch import nn

import spectrograms as sg
from spectrograms.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from spectrograms.nn import AmplitudeToDB, MelSpectrogram
from spectrograms.nn.streaming import PCEN, StreamClosedError, StreamingFeatures


@pytest.fixture(scope="module")
def speech_mel(speech):
    samples, sr = speech
    return librosa.feature.melspectrogram(y=samples, sr=sr, n_fft=400, hop_length=160, n_mels=40), sr


OPTIONS = [{}, dict(gain=0.5), dict(bias=10.0, power=0.25), dict(power=0.0), dict(bias=0.0),
           dict(time_constant=0.06), dict(b=0.2), dict(eps=1e-3, gain=0.8, bias=1.0, power=1.0)]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("scale", [1.0, 2 ** 31])
def test_pcen_layer_matches_librosa_on_speech(speech_mel, options, scale):
    mel, sr = speech_mel
    spec = mel * scale
    expected = librosa.pcen(spec, sr=sr, hop_length=160, **options)
    got = PCEN(40, sr=sr, hop_length=160, **options)(torch.from_numpy(spec))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-12)  # float64: librosa's numbers
    got32 = PCEN(sr=sr, hop_length=160, **options)(torch.from_numpy(spec).float())
    np.testing.assert_allclose(got32.numpy(), expected, rtol=2e-5, atol=1e-6)


def test_trainable_pcen_learns_per_band_and_compiles(speech_mel):
    mel, sr = speech_mel
    spec = torch.from_numpy(mel[:, :300]).float()[None]
    layer = PCEN(40, sr=sr, hop_length=160, trainable=True)
    assert {name for name, _ in layer.named_parameters()} == {"gain", "bias", "power", "b"}
    assert layer.gain.shape == (40, 1)
    np.testing.assert_allclose(layer(spec)[0].detach().numpy(), librosa.pcen(mel[:, :300], sr=sr, hop_length=160),
                               rtol=2e-5, atol=1e-6)
    layer(spec).square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
               for p in layer.parameters())
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(spec), layer(spec))


def test_trainable_pcen_gradcheck():
    layer = PCEN(3, b=0.3, trainable=True).double()
    spec = torch.rand(3, 70, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in layer.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in layer.parameters())

    def pcen_of(s, *values):
        return torch.func.functional_call(layer, dict(zip(names, values)), (s,))
    assert torch.autograd.gradcheck(pcen_of, (spec, *params), fast_mode=True)


def test_pcen_layer_bad_arguments():
    for kwargs in (dict(gain=-1), dict(eps=0), dict(b=1.5), dict(time_constant=0)):
        with pytest.raises(InvalidInputError, match=next(iter(kwargs))):
            PCEN(**kwargs)
    with pytest.raises(InvalidTypeError, match="power"):
        PCEN(power="x")
    with pytest.raises(InvalidInputError, match="power=0"):
        PCEN(power=0, trainable=True)
    with pytest.raises(InvalidInputError, match="40"):
        PCEN(40)(torch.rand(39, 10))


def _streamed(wrapper, signal, sizes):
    pieces, position = [], 0
    for size in sizes:
        pieces.append(wrapper(signal[..., position:position + size]))
        position += size
    pieces.append(wrapper(signal[..., position:]))
    pieces.append(wrapper.flush())
    return torch.cat(pieces, -1)


@pytest.mark.parametrize("build", [
    lambda: MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=40),
    lambda: nn.Sequential(MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=40, center=True,
                                         pad_mode="constant"), PCEN(40, sr=16000, hop_length=160)),
    lambda: nn.Sequential(MelSpectrogram(sg.SpectrogramParams(sg.StftParams(512, 128), 16000), sg.MelParams(64)),
                          AmplitudeToDB()),
    lambda: nn.Sequential(sg.nn.Spectrogram(n_fft=256, hop_length=100, power=1.0),
                          PCEN(129, sr=16000, hop_length=100, trainable=True)),
])
def test_streaming_wrapper_equals_the_offline_layer(speech, build):
    samples, _ = speech
    layer = build()
    signal = torch.as_tensor(np.stack([samples[:12000], samples[4000:16000] * 0.5]), dtype=torch.float32)
    wrapper = StreamingFeatures(layer)
    with torch.no_grad():
        got = _streamed(wrapper, signal, [0, 1, 160, 159, 2000, 1, 1, 800])
        expected = layer(signal)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert wrapper.frames_emitted == expected.shape[-1]
    wrapper.reset()
    with torch.no_grad():  # another batch shape and dtype after reset, and 3-D input
        torch.testing.assert_close(_streamed(wrapper, signal[None].double(), [700] * 5),
                                   build().double()(signal[None].double()), rtol=1e-9, atol=1e-9)


def test_streaming_wrapper_named_errors():
    wrapper = StreamingFeatures(MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=40))
    wrapper(torch.zeros(4, 800))
    with pytest.raises(InvalidTypeError, match="dtype"):
        wrapper(torch.zeros(4, 160, dtype=torch.float64))
    with pytest.raises(DimensionMismatchError, match="leading shape"):
        wrapper(torch.zeros(3, 160))
    wrapper.flush()
    with pytest.raises(StreamClosedError, match="reset"):
        wrapper(torch.zeros(4, 160))
    with pytest.raises(StreamClosedError):
        wrapper.flush()
    wrapper.reset()
    assert wrapper(torch.zeros(2, 800)).shape == (2, 40, 4)
    with pytest.raises(InvalidTypeError, match="top_db"):
        StreamingFeatures(nn.Sequential(MelSpectrogram(), AmplitudeToDB(top_db=80.0)))
    with pytest.raises(InvalidTypeError, match="spectral layer"):
        StreamingFeatures(sg.nn.Chromagram())
    with pytest.raises(InvalidTypeError, match="Linear"):
        StreamingFeatures(nn.Sequential(MelSpectrogram(), nn.Linear(3, 3)))
