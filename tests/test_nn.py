"""spectrograms.nn: parity with torchaudio's transforms and with the seed functions, shapes, buffers,
dtype policy, lengths, training-time layers and a training step through nn.Sequential."""

import copy
import warnings

import numpy as np
import pytest
import torch
import torchaudio
from torch import nn

import spectrograms as sg
import spectrograms.nn as snn

from .conftest import tone_mix

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 160), 16000.0)
torch.manual_seed(0)
WAVES = torch.from_numpy(np.stack([tone_mix(16000, seed=s, dtype=np.float32) for s in range(4)]))


def _relative_error(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max())


TORCHAUDIO_SPECTROGRAMS = [
    dict(n_fft=400),
    dict(n_fft=512, hop_length=128, power=1.0),
    dict(n_fft=512, win_length=400, hop_length=160, normalized=True),
    dict(n_fft=256, window_fn=torch.hamming_window, center=False),
    dict(n_fft=256, pad_mode="constant", normalized="frame_length"),
]


@pytest.mark.parametrize("kwargs", TORCHAUDIO_SPECTROGRAMS)
def test_spectrogram_matches_torchaudio(kwargs):
    ours = snn.Spectrogram(**kwargs)(WAVES)
    ref = torchaudio.transforms.Spectrogram(**kwargs)(WAVES)
    assert ours.shape == ref.shape and _relative_error(ours, ref) < 1e-5


def test_complex_spectrogram_matches_torchaudio():
    ours = snn.Spectrogram(n_fft=256, power=None)(WAVES)
    ref = torchaudio.transforms.Spectrogram(n_fft=256, power=None)(WAVES)
    assert ours.dtype == torch.complex64 and _relative_error(ours, ref) < 1e-5


@pytest.mark.parametrize("kwargs", [dict(sample_rate=16000, n_fft=512, hop_length=256, n_mels=128),
                                    dict(sample_rate=22050, n_fft=1024, hop_length=256, n_mels=80, f_min=30.0,
                                         f_max=8000.0, norm="slaney", mel_scale="slaney", power=1.0)])
def test_mel_spectrogram_matches_torchaudio(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty top filters at 128 mels, in both libraries
        ours = snn.MelSpectrogram(**kwargs)(WAVES)
        ref = torchaudio.transforms.MelSpectrogram(**kwargs)(WAVES)
    assert ours.shape == ref.shape and _relative_error(ours, ref) < 1e-5


def test_mfcc_amplitude_to_db_and_deltas_match_torchaudio():
    melkwargs = dict(n_fft=512, hop_length=160, n_mels=40)
    ours = snn.MFCC(sample_rate=16000, n_mfcc=13, melkwargs=melkwargs)(WAVES)
    ref = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=13, melkwargs=melkwargs)(WAVES)
    assert ours.shape == ref.shape and _relative_error(ours, ref) < 1e-5
    ours_log = snn.MFCC(n_mfcc=13, log_mels=True, melkwargs=melkwargs)(WAVES)
    ref_log = torchaudio.transforms.MFCC(n_mfcc=13, log_mels=True, melkwargs=melkwargs)(WAVES)
    assert _relative_error(ours_log, ref_log) < 1e-5
    mel = snn.MelSpectrogram(n_fft=512, n_mels=40)(WAVES)
    for stype, top_db in [("power", None), ("magnitude", 60.0)]:
        torch.testing.assert_close(snn.AmplitudeToDB(stype=stype, top_db=top_db)(mel[:1]),
                                   torchaudio.transforms.AmplitudeToDB(stype, top_db)(mel[:1]))
    torch.testing.assert_close(snn.ComputeDeltas(win_length=7)(ours), torchaudio.transforms.ComputeDeltas(7)(ours))


def test_seed_objects_give_the_seed_functions_values():
    mel, db = sg.MelParams(64, 20.0, 7600.0), sg.LogParams(-70.0)
    erb, loghz, chroma = sg.ErbParams(32), sg.LogHzParams(48, 50.0), sg.ChromaParams(norm="l2")
    mfcc = sg.MfccParams(13, lifter=22.0)
    pairs = [
        (snn.Spectrogram(PARAMS), sg.compute_linear_power_spectrogram(WAVES, PARAMS)),
        (snn.Spectrogram(PARAMS, power=1.0), sg.compute_linear_magnitude_spectrogram(WAVES, PARAMS)),
        (snn.Spectrogram(PARAMS, db), sg.compute_linear_db_spectrogram(WAVES, PARAMS, db)),
        (snn.MelSpectrogram(PARAMS, mel), sg.compute_mel_power_spectrogram(WAVES, PARAMS, mel)),
        (snn.MelSpectrogram(PARAMS, mel, db), sg.compute_mel_db_spectrogram(WAVES, PARAMS, mel, db)),
        (snn.MelSpectrogram(PARAMS, mel, power=1.0), sg.compute_mel_magnitude_spectrogram(WAVES, PARAMS, mel)),
        (snn.ErbSpectrogram(PARAMS, erb, db), sg.compute_erb_db_spectrogram(WAVES, PARAMS, erb, db)),
        (snn.LogHzSpectrogram(PARAMS, loghz, power=1.0), sg.compute_loghz_magnitude_spectrogram(WAVES, PARAMS, loghz)),
        (snn.Chromagram(PARAMS, chroma), sg.compute_chromagram(WAVES, PARAMS, chroma)),
        (snn.MFCC(PARAMS, mel, mfcc, db), sg.compute_mfcc(WAVES, PARAMS, mel, mfcc, db_params=db)),
    ]
    for layer, expected in pairs:
        torch.testing.assert_close(layer(WAVES), expected.tensor, msg=lambda m, layer=layer: f"{layer}: {m}")
        if hasattr(layer, "frequencies"):
            np.testing.assert_allclose(layer.frequencies, expected.frequencies)


def test_band_magnitude_of_each_form_and_its_stream():
    """power=1 from the seed's objects is the seed's root of the band power; from torchaudio's keywords
    torchaudio's filterbank @ |X|; a stream of either equals the layer."""
    seed_form = snn.MelSpectrogram(PARAMS, sg.MelParams(40), power=1.0)
    keyword_form = snn.MelSpectrogram(sample_rate=16000, n_fft=PARAMS.stft.n_fft, hop_length=PARAMS.stft.hop_size,
                                      n_mels=40, power=1.0, mel_scale="slaney", pad_mode="constant")
    power = snn.MelSpectrogram(PARAMS, sg.MelParams(40))(WAVES)
    torch.testing.assert_close(seed_form(WAVES), power.sqrt())
    assert not torch.allclose(keyword_form(WAVES), power.sqrt())
    assert "root of the band power" in repr(seed_form) and seed_form.root_of_band_power
    stream = snn.StreamingFeatures(seed_form)
    chunks = [stream(part) for part in WAVES.split(700, dim=-1)] + [stream.flush()]
    torch.testing.assert_close(torch.cat(chunks, dim=-1), seed_form(WAVES))


def test_keyword_forms_of_the_other_bands():
    erb = snn.ErbSpectrogram(sample_rate=16000, n_fft=512, hop_length=160, n_filters=40, pad_mode="constant")
    expected = sg.compute_erb_power_spectrogram(WAVES, PARAMS, sg.ErbParams(40))
    torch.testing.assert_close(erb(WAVES), expected.tensor)
    loghz = snn.LogHzSpectrogram(n_fft=512, hop_length=160, n_bins=30, f_min=100.0, pad_mode="constant")
    torch.testing.assert_close(loghz(WAVES), sg.compute_loghz_power_spectrogram(WAVES, PARAMS,
                                                                                 sg.LogHzParams(30, 100.0)).tensor)
    chroma = snn.Chromagram(n_fft=512, hop_length=160, pad_mode="constant", norm=None)
    librosa_chroma = sg.ChromaParams.librosa(norm=None)  # the keyword form is librosa's chroma_stft
    torch.testing.assert_close(chroma(WAVES), sg.compute_chromagram(WAVES, PARAMS, librosa_chroma).tensor)


@pytest.mark.parametrize("shape", [(16000,), (3, 16000), (2, 3, 16000)])
def test_input_shapes(shape):
    layer = snn.MelSpectrogram(PARAMS, sg.MelParams(40))
    x = torch.randn(shape)
    out = layer(x)
    assert out.shape == (*shape[:-1], 40, 101)
    torch.testing.assert_close(out.reshape(-1, 40, 101)[-1], layer(x.reshape(-1, 16000)[-1]))


def test_frame_lengths_match_the_outputs():
    for center, n in [(True, 1), (True, 1599), (True, 16000), (False, 512), (False, 2000)]:
        layer = snn.Spectrogram(n_fft=512, hop_length=160, center=center, pad_mode="constant")
        frames = layer(torch.randn(n)).shape[-1]
        assert layer.frame_lengths(n) == frames == snn.frame_lengths(n, 512, 160, center)
    lengths = torch.tensor([16000, 8000, 100, 511])
    assert snn.frame_lengths(lengths, 512, 160, center=False).tolist() == [97, 47, 0, 0]
    assert snn.MFCC(n_mfcc=13, melkwargs=dict(n_mels=40)).frame_lengths(lengths).tolist() == [81, 41, 1, 3]


@pytest.mark.parametrize("n_fft", [5, 401])  # odd: centring pads by n_fft // 2, not n_fft / 2
def test_frame_lengths_match_the_outputs_for_odd_n_fft(n_fft):
    layer = snn.Spectrogram(n_fft=n_fft, hop_length=2, pad_mode="constant")
    for n in (n_fft, n_fft + 1, 600, 601):
        frames = layer(torch.randn(n)).shape[-1]
        assert layer.frame_lengths(n) == frames == layer.params.stft.n_frames(n)
        assert layer.frame_lengths(torch.tensor([n])).tolist() == [frames]


def test_frame_lengths_refuses_bad_arguments():
    with pytest.raises(sg.InvalidInputError, match="hop_length must be a positive int"):
        snn.frame_lengths(100, 16, 0)
    with pytest.raises(sg.InvalidTypeError, match="sample_lengths must be an integer tensor"):
        snn.frame_lengths(torch.tensor([1.5]), 16, 4)


def test_buffers_round_trip_through_state_dict():
    layer = snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=64)
    state = layer.state_dict()
    assert set(state) == {"window", "fb_crow", "fb_col", "fb_val"}
    fresh = snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=64)
    fresh.load_state_dict({k: v * 2 if v.is_floating_point() else v for k, v in state.items()})
    torch.testing.assert_close(fresh.fb_val, layer.fb_val * 2)
    # The plan caches share the filterbank the layers were built from; loading must not touch it.
    torch.testing.assert_close(snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=64).fb_val,
                               layer.fb_val)
    assert set(snn.MFCC(PARAMS, sg.MelParams(40)).state_dict()) >= {"dct", "mel_spectrogram.fb_val"}
    assert set(snn.Spectrogram(PARAMS).state_dict()) == {"window"}
    torch.testing.assert_close(copy.deepcopy(layer)(WAVES), layer(WAVES))


def test_dtype_policy():
    layer = snn.MelSpectrogram(PARAMS, sg.MelParams(40), sg.LogParams())
    single = layer(WAVES)
    doubled = layer.double()(WAVES.double())
    assert layer.window.dtype == torch.float64 and doubled.dtype == torch.float64
    torch.testing.assert_close(doubled.float(), single, rtol=1e-4, atol=1e-3)
    half = layer.half()(WAVES.half())
    assert layer.fb_val.dtype == torch.float16 and half.dtype == torch.float16
    torch.testing.assert_close(half.float(), single, rtol=1e-2, atol=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        layer(torch.zeros(16000, dtype=torch.int16))


def test_construction_errors():
    with pytest.raises(TypeError, match="either parameter objects"):
        snn.MelSpectrogram(PARAMS, sg.MelParams(40), n_fft=1024)
    with pytest.raises(TypeError, match="both params and mel_params"):
        snn.MelSpectrogram(PARAMS)
    with pytest.raises(TypeError, match="both params and mel_params"):
        snn.MFCC(mfcc_params=sg.MfccParams(13))
    with pytest.raises(TypeError, match="needs params"):
        snn.Chromagram(chroma_params=sg.ChromaParams())
    with pytest.raises(TypeError, match="mel_params must be a MelParams"):
        snn.MelSpectrogram(PARAMS, sg.ErbParams(10))
    with pytest.raises(ValueError, match="win_length"):
        snn.Spectrogram(n_fft=256, win_length=512)
    with pytest.raises(ValueError, match="power must be"):
        snn.MelSpectrogram(power=3.0)
    with pytest.raises(ValueError, match="n_mfcc=50 must be at most"):
        snn.MFCC(PARAMS, sg.MelParams(40), sg.MfccParams(50))
    with pytest.raises(ValueError, match="hop_length"):  # the keyword the caller used
        snn.Spectrogram(n_fft=1, hop_length=0)


def test_masking_is_random_bounded_and_off_in_eval():
    torch.manual_seed(0)
    x = torch.ones(8, 2, 40, 100)
    freq = snn.FrequencyMasking(freq_mask_param=10, iid_masks=True)
    masked = freq(x)
    widths = (masked[..., 0] == 0).sum(-1)  # masked rows per (item, channel)
    assert bool((widths < 10).all()) and len(set(widths.flatten().tolist())) > 1
    assert bool(((masked == 0) == (masked[..., :1] == 0)).all())  # whole rows
    time = snn.TimeMasking(time_mask_param=80, p=0.1, mask_value=-80.0)
    masked = time(x)
    columns = (masked[0, 0] == -80.0).all(0)
    assert int(columns.sum()) < 10 and bool(((masked == -80.0) == columns).all())  # one band for all items
    freq.eval()
    assert freq(x) is x


def test_utterance_norm_respects_lengths():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 8, 50) * 5 + 3
    lengths = torch.tensor([50, 20, 35])
    out = snn.UtteranceNorm()(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = snn.UtteranceNorm()(x[b:b + 1, ..., :n])
        torch.testing.assert_close(out[b, ..., :n], alone[0])
        assert bool((out[b, ..., n:] == 0).all())
    full = snn.UtteranceNorm()(x)
    torch.testing.assert_close(full.mean(-1), torch.zeros(3, 2, 8), atol=1e-5, rtol=0)
    torch.testing.assert_close(snn.UtteranceNorm(normalize_variance=False)(x).std(-1), x.std(-1))


def test_sequential_training_step_reduces_the_loss():
    torch.manual_seed(0)
    t = torch.arange(8000) / 16000.0
    waves = torch.stack([torch.sin(2 * torch.pi * f * t) for f in (300.0, 350.0, 2500.0, 3000.0)])
    labels = torch.tensor([0, 0, 1, 1])
    model = nn.Sequential(
        snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=40),
        snn.AmplitudeToDB(top_db=80.0),
        snn.FrequencyMasking(4),
        snn.TimeMasking(4),
        snn.UtteranceNorm(),
        nn.Unflatten(1, (1, 40)),
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d((4, 1)),
        nn.Flatten(),
        nn.Linear(32, 2),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(8):
        loss = nn.functional.cross_entropy(model(waves), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_gradients_reach_the_waveform():
    gain = nn.Parameter(torch.tensor(0.5))
    layer = snn.MelSpectrogram(PARAMS, sg.MelParams(40), sg.LogParams())
    (layer(WAVES * gain).mean()).backward()
    assert gain.grad is not None and float(gain.grad) > 0  # louder input, higher dB


def test_training_layers_name_bad_arguments():
    with pytest.raises(sg.InvalidInputError, match=r"freq_mask_param must be an int in \[0, 2\*\*31 - 1\], got -1"):
        snn.FrequencyMasking(-1)
    with pytest.raises(sg.InvalidInputError, match=r"time_mask_param must be an int in \[0, 2\*\*31 - 1\]"):
        snn.TimeMasking(2.5)
    with pytest.raises(sg.InvalidInputError, match=r"p must be in \[0, 1\], got 1.5"):
        snn.TimeMasking(10, p=1.5)
    with pytest.raises(sg.InvalidInputError, match="top_db must be >= 0, got -1"):
        snn.AmplitudeToDB(top_db=-1.0)
    with pytest.raises(sg.InvalidTypeError, match="top_db must be a real number"):
        snn.AmplitudeToDB(top_db="80")
    with pytest.raises(sg.InvalidInputError, match="stype must be one of 'power', 'magnitude'"):
        snn.AmplitudeToDB(stype="amplitude")
    with pytest.raises(sg.InvalidInputError, match="eps must be positive"):
        snn.UtteranceNorm(eps=0.0)
    with pytest.raises(sg.InvalidInputError, match="mode must be one of"):
        snn.ComputeDeltas(mode="wrap")
    with pytest.raises(sg.InvalidInputError, match="win_length must be a positive int, got 0"):
        snn.Spectrogram(n_fft=256, win_length=0)
