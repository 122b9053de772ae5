"""compute_pcen against librosa.pcen, streaming through zi, gradients, compile and bad input."""

import librosa
import numpy as np
import pytest
import torch

from spectrograms.errors import InvalidInputError, InvalidTypeError
from spectrograms.pcen import compute_pcen


@pytest.fixture(scope="module")
def power_spec():
    rng = np.random.default_rng(0)
    return (rng.random((40, 1500)) ** 2) * 100


@pytest.mark.parametrize("kwargs", [{}, dict(max_size=3), dict(max_size=4), dict(power=0), dict(bias=0),
                                    dict(b=1.0), dict(gain=0.5, bias=10, power=0.25, time_constant=0.06)])
def test_matches_librosa_float64(power_spec, kwargs):
    expected = librosa.pcen(power_spec, **kwargs)
    np.testing.assert_allclose(compute_pcen(power_spec, **kwargs), expected, rtol=1e-9, atol=0)


def test_matches_librosa_float32(power_spec):
    expected = librosa.pcen(power_spec)
    got = compute_pcen(torch.from_numpy(power_spec).float())
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_real_speech_mel(speech):
    samples, sr = speech
    mel = librosa.feature.melspectrogram(y=samples, sr=sr, hop_length=160, n_fft=400)
    expected = librosa.pcen(mel * 2 ** 31, sr=sr, hop_length=160)
    np.testing.assert_allclose(compute_pcen(mel * 2 ** 31, sr=sr, hop_length=160), expected, rtol=1e-9)


def test_batch_matches_per_item(power_spec):
    batch = np.stack([power_spec, power_spec[::-1] * 3])
    got = compute_pcen(batch)
    for item, spec in zip(got, batch):
        np.testing.assert_allclose(item, librosa.pcen(spec), rtol=1e-9)


def test_streaming_through_zi_equals_one_shot(power_spec):
    _, zf_ref = librosa.pcen(power_spec[:, :300], return_zf=True)
    pieces, zi = [], None
    for start, stop in [(0, 300), (300, 301), (301, 301), (301, 1000), (1000, 1500)]:
        out, zi = compute_pcen(power_spec[:, start:stop], zi=zi, return_zf=True)
        pieces.append(out)
        if stop == 300:
            np.testing.assert_allclose(zi, zf_ref, rtol=1e-12)
    np.testing.assert_allclose(np.concatenate(pieces, -1), librosa.pcen(power_spec), rtol=1e-9)


def test_long_input_stays_finite():
    spec = torch.rand(2, 200_000, dtype=torch.float64)
    out = compute_pcen(spec, b=0.001)
    assert torch.isfinite(out).all()
    np.testing.assert_allclose(out.numpy(), librosa.pcen(spec.numpy(), b=0.001), rtol=1e-9)


def test_gradcheck():
    spec = torch.rand(3, 70, dtype=torch.float64, requires_grad=True)
    gain = torch.full((3, 1), 0.9, dtype=torch.float64, requires_grad=True)
    b = torch.full((3, 1), 0.3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s, g, c: compute_pcen(s, gain=g, b=c), (spec, gain, b), fast_mode=True)


def test_compile_fullgraph(power_spec):
    spec = torch.from_numpy(power_spec[:, :200]).float()
    compiled = torch.compile(lambda s: compute_pcen(s), fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(spec), compute_pcen(spec))


@pytest.mark.parametrize("kwargs, error", [
    (dict(gain=-1), InvalidInputError), (dict(eps=0), InvalidInputError), (dict(b=1.5), InvalidInputError),
    (dict(max_size=0), InvalidInputError), (dict(time_constant=0), InvalidInputError),
    (dict(power="x"), InvalidTypeError)])
def test_bad_parameters_name_themselves(power_spec, kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        compute_pcen(power_spec, **kwargs)


def test_bad_input():
    with pytest.raises(InvalidInputError, match="spectrogram"):
        compute_pcen(np.ones(10))
    with pytest.raises(InvalidTypeError, match="spectrogram"):
        compute_pcen([[1.0]])
