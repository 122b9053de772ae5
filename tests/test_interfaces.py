"""Interfaces as users coming from torchaudio, librosa and soundfile call them: torchaudio's positional
constructor forms (equal to torchaudio on tones and on real speech), torchaudio's spellings in
StftParams, and a (frames, channels) array refused with a named error instead of read as many tiny
signals."""

import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio

import spectrograms as sg
import spectrograms.nn as snn
from spectrograms.errors import InvalidInputError, InvalidTypeError, SpectrogramError

from .conftest import tone_mix

TONES = torch.from_numpy(tone_mix(16000, dtype=np.float32))

# (our layer, torchaudio's, positional arguments in torchaudio's order)
POSITIONAL = [
    (snn.Spectrogram, torchaudio.transforms.Spectrogram, (400,)),
    (snn.Spectrogram, torchaudio.transforms.Spectrogram, (512, 400, 160, 0, torch.hann_window, 1.0)),
    (snn.MelSpectrogram, torchaudio.transforms.MelSpectrogram, (16000,)),
    (snn.MelSpectrogram, torchaudio.transforms.MelSpectrogram, (16000, 512, None, 256, 20.0, 7600.0, 0, 64)),
    (snn.MFCC, torchaudio.transforms.MFCC, (16000, 13)),
    (snn.MFCC, torchaudio.transforms.MFCC, (16000, 20, 2, "ortho", True, {"n_fft": 512, "n_mels": 40})),
]


def _relative_error(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max())


@pytest.fixture(scope="module")
def speech_tensor(speech):
    return torch.from_numpy(speech[0].astype(np.float32))


@pytest.mark.parametrize("ours, theirs, args", POSITIONAL, ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("signal", ["tones", "speech"])
def test_positional_forms_match_torchaudio(ours, theirs, args, signal, request):
    waveform = TONES if signal == "tones" else request.getfixturevalue("speech_tensor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty top mel filters at 128 mels and n_fft 400, in both libraries
        got, want = ours(*args)(waveform), theirs(*args)(waveform)
    assert got.shape == want.shape
    assert _relative_error(got, want) < 1e-5


@pytest.mark.parametrize("args", [("power", 80), ("magnitude",), ("power", None)])
def test_amplitude_to_db_positional_matches_torchaudio(args, speech_tensor):
    spectrum = torchaudio.transforms.Spectrogram(512, power=2.0 if args[0] == "power" else 1.0)(speech_tensor)
    torch.testing.assert_close(snn.AmplitudeToDB(*args)(spectrum), torchaudio.transforms.AmplitudeToDB(*args)(spectrum),
                               rtol=1e-5, atol=1e-4)


def test_positional_equals_keyword_form():
    pairs = [(snn.MelSpectrogram(22050, 1024, None, 256), snn.MelSpectrogram(sample_rate=22050, n_fft=1024,
                                                                            hop_length=256)),
             (snn.Spectrogram(256, None, 64), snn.Spectrogram(n_fft=256, hop_length=64)),
             (snn.MFCC(16000, 13), snn.MFCC(sample_rate=16000, n_mfcc=13))]
    for positional, keyword in pairs:
        assert torch.equal(positional(TONES), keyword(TONES))
    mel = snn.MelSpectrogram(8000, n_mels=40)  # positional then keywords, as torchaudio allows
    assert mel.params.sample_rate == 8000 and mel.n_bins == 40


def test_seed_forms_still_work():
    params = sg.SpectrogramParams(sg.StftParams(512, 160), 16000.0)
    mel = snn.MelSpectrogram(params, sg.MelParams(40))
    assert mel(TONES).shape[0] == 40
    assert snn.Spectrogram(params)(TONES).shape[0] == 257
    assert snn.AmplitudeToDB(sg.LogParams(-60.0)).amin == pytest.approx(1e-6)


@pytest.mark.parametrize("make, words", [
    (lambda: snn.Spectrogram(400, n_fft=512), ["n_fft", "positionally", "keyword"]),
    (lambda: snn.MelSpectrogram(16000, 400, None, None, 0.0, None, 10), ["pad=10", "not supported"]),
    (lambda: snn.Spectrogram(400, *[None] * 11, 0), ["at most 12", "n_fft"]),
    (lambda: snn.Spectrogram(400, None, None, 0, torch.hann_window, 2.0, False, None, True, "reflect", False),
     ["onesided=False"]),
    (lambda: snn.AmplitudeToDB("energy"), ["stype", "energy"]),
    (lambda: snn.MFCC(16000, 13, 3), ["dct_type"]),
    (lambda: snn.MelSpectrogram(-16000), ["sample_rate"]),
])
def test_positional_mistakes_raise_named_errors(make, words):
    with pytest.raises(SpectrogramError) as error:
        make()
    assert all(word in str(error.value) for word in words), str(error.value)


# --- StftParams aliases ------------------------------------------------------------------------------


def test_stft_params_takes_torchaudio_spellings():
    aliased = sg.StftParams(512, hop_length=256, center=False)
    seed = sg.StftParams(512, 256, centre=False)
    assert aliased == seed and hash(aliased) == hash(seed)
    assert (aliased.hop_size, aliased.centre) == (256, False)
    assert sg.StftParams(512, 160, "hann", False, "reflect") == sg.StftParams(512, hop_length=160, center=False,
                                                                              pad_mode="reflect")
    import dataclasses
    import pickle
    assert dataclasses.replace(aliased, hop_size=128).hop_size == 128
    assert pickle.loads(pickle.dumps(aliased)) == aliased


@pytest.mark.parametrize("kwargs, words", [
    (dict(hop_size=256, hop_length=256), ["hop_size", "hop_length", "one of them"]),
    (dict(hop_size=256, centre=True, center=True), ["centre", "center"]),
    (dict(), ["needs hop_size", "hop_length"]),
    (dict(hop_length=0), ["hop_length", "0"]),  # the error names the spelling the caller used
    (dict(hop_length=160, center="yes"), ["center", "bool"]),
])
def test_stft_params_alias_errors(kwargs, words):
    with pytest.raises(SpectrogramError) as error:
        sg.StftParams(512, **kwargs)
    assert all(word in str(error.value) for word in words), str(error.value)


# --- (frames, channels) input ------------------------------------------------------------------------

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 160), 16000.0)


@pytest.fixture(scope="module")
def stereo_file(speech, tmp_path_factory):
    samples, rate = speech
    path = tmp_path_factory.mktemp("stereo") / "stereo.wav"
    sf.write(path, np.stack([samples, 0.5 * samples], axis=1), rate, subtype="FLOAT")
    return path


def test_soundfile_stereo_is_refused_with_a_named_error(stereo_file):
    frames, _ = sf.read(stereo_file, dtype="float32")
    assert frames.shape[1] == 2
    with pytest.raises(InvalidInputError) as error:
        sg.compute_linear_power_spectrogram(frames, PARAMS)
    message = str(error.value)
    assert "(frames, channels)" in message and ".T" in message and "mix" in message and str(frames.shape) in message
    # The two fixes the message names both work, and .T gives one spectrogram per channel.
    per_channel = sg.compute_linear_power_spectrogram(frames.T, PARAMS).data
    left = sg.compute_linear_power_spectrogram(np.ascontiguousarray(frames[:, 0]), PARAMS).data
    torch.testing.assert_close(torch.as_tensor(per_channel)[0], torch.as_tensor(left))
    mono = sg.compute_linear_power_spectrogram(frames.mean(axis=-1), PARAMS).data
    assert torch.as_tensor(mono).dim() == 2


@pytest.mark.parametrize("shape", [(16000, 1), (16000, 2), (48000, 6), (512, 8), (3, 16000, 2)])
def test_channel_last_layouts_are_refused(shape):
    with pytest.raises(InvalidInputError, match="frames, channels"):
        sg.inputs.as_signal(np.zeros(shape, np.float32), max_dims=3)


@pytest.mark.parametrize("shape", [(4, 16000), (2, 8), (100, 2), (16000, 9), (3, 2, 16000)])
def test_batches_are_not_mistaken_for_channels(shape):
    assert sg.inputs.as_signal(np.zeros(shape, np.float32), max_dims=3).shape == shape


def test_errors_are_library_errors():
    assert issubclass(InvalidTypeError, SpectrogramError) and issubclass(InvalidInputError, SpectrogramError)
