"""The seed library's chromagram against spectrograms 2.1.3 on real speech and a chord: ``ChromaParams(tuning=440.0
Hz, f_min=32.7, f_max=4186.0, norm="l2")`` and its Gaussian pitch-class filters over the magnitude spectrogram,
other tunings and ranges, the seed's call forms and ``dtype``; float64 within 1e-9 (relative to each result's
peak), float32 within 1e-5. The seed's Python binding only reaches its l2 norm (its ``ChromaNorm`` is not
exported and ``norm=None`` falls back to l2, against its own documentation), so the other norms are checked as
rescalings of the unnormalised chroma. ``ChromaParams.librosa()`` keeps librosa's chroma (tests/test_features.py)."""

import numpy as np
import pytest
import torch

import spectrograms as sg
import spectrograms.nn as snn
from tests.seed_oracle import needs_seed, run_seed

# (tuning, f_min, f_max); None means the seed's default ChromaParams(); all l2-normalised
CASES = {"default": None, "baroque": (415.0, 50.0, 3000.0), "above_nyquist": (432.0, 100.0, 12000.0)}
WINDOWS = ("hanning", "hamming", "blackman")

_SEED_SCRIPT = """
cases = {"default": None, "baroque": (415.0, 50.0, 3000.0), "above_nyquist": (432.0, 100.0, 12000.0)}
for signal_name, signal in (("speech", speech), ("chord", chord)):
    for window in ("hanning", "hamming", "blackman"):
        stft = sg.StftParams(2048, 512, getattr(sg.WindowType, window), True)
        for name, case in cases.items():
            chroma = sg.ChromaParams() if case is None else sg.ChromaParams(*case)
            key = f"{signal_name}_{window}_{name}"
            out[key] = np.asarray(sg.compute_chromagram(signal, stft, 16000.0, chroma).data)
            out[key + "_f32"] = np.asarray(sg.compute_chromagram(signal, stft, 16000.0, chroma, dtype="float32").data)
out["plan_shape"] = np.array(sg.compute_chromagram(speech, sg.StftParams(512, 128, sg.WindowType.hanning, True),
                                                   16000.0, sg.ChromaParams.music_standard()).data.shape)
"""


@pytest.fixture(scope="module")
def signals(speech):
    voice = np.ascontiguousarray(speech[0][:32000], dtype=np.float64)
    t = np.arange(32000) / 16000.0
    chord = sum(np.sin(2 * np.pi * f * t) / (i + 1) for i, f in enumerate((261.63, 329.63, 392.0, 523.25)))
    return {"speech": voice, "chord": chord}


@pytest.fixture(scope="module")
def seed_values(signals):
    return run_seed(_SEED_SCRIPT, speech=signals["speech"], chord=signals["chord"])


def _chroma_params(case):
    return sg.ChromaParams() if case is None else sg.ChromaParams(*case, "l2")


def _close(ours, theirs, tolerance):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * float(np.abs(theirs).max()))


@needs_seed
@pytest.mark.parametrize("signal_name", ["speech", "chord"])
@pytest.mark.parametrize("window", WINDOWS)
def test_chromagram_is_the_seeds(signal_name, window, signals, seed_values):
    stft = sg.StftParams(2048, 512, getattr(sg.WindowType, window), True)
    for name, case in CASES.items():
        key = f"{signal_name}_{window}_{name}"
        chroma = _chroma_params(case)
        result = sg.compute_chromagram(signals[signal_name], stft, 16000.0, chroma)
        assert result.data.dtype == np.float64 and result.labels[0] == "C" and result.params == chroma
        _close(result.data, seed_values[key], 1e-9)
        single = sg.compute_chromagram(signals[signal_name], stft, 16000.0, chroma, dtype="float32")
        assert single.data.dtype == np.float32
        _close(single.data, seed_values[key + "_f32"], 1e-5)
    # the other norms rescale each frame of the unnormalised chroma
    raw = sg.compute_chromagram(signals[signal_name], stft, 16000.0, sg.ChromaParams(norm=None)).data
    seed = seed_values[f"{signal_name}_{window}_default"]
    def rescaled(scale):
        return np.divide(raw, scale, out=np.zeros_like(raw), where=scale > 0)  # silent frames stay 0

    _close(rescaled(np.linalg.norm(raw, axis=0)), seed, 1e-9)
    for norm, scale in (("l1", raw.sum(axis=0)), ("max", raw.max(axis=0))):
        _close(sg.compute_chromagram(signals[signal_name], stft, 16000.0, sg.ChromaParams(norm=norm)).data,
               rescaled(scale), 1e-12)


@needs_seed
def test_call_forms_plan_and_layer_agree(signals, seed_values):
    voice = signals["speech"]
    stft = sg.StftParams(2048, 512, sg.WindowType.hanning, True)
    params = sg.SpectrogramParams(stft, 16000.0)
    expected = seed_values["speech_hanning_default"]
    _close(sg.compute_chromagram(voice, params).data, expected, 1e-9)
    _close(sg.compute_chromagram(voice, params, sg.ChromaParams()).data, expected, 1e-9)
    _close(sg.compute_chromagram(voice, stft_params=stft, sample_rate=16000.0, chroma_params=sg.ChromaParams()).data,
           expected, 1e-9)
    _close(sg.compute_chromagram(voice, stft, 16000.0, chroma_params=sg.ChromaParams()).data, expected, 1e-9)
    _close(sg.SpectrogramPlanner().chromagram_plan(params).compute(voice).data, expected, 1e-9)
    layer = snn.Chromagram(params).double()
    _close(layer(torch.from_numpy(voice)).numpy(), expected, 1e-9)
    assert tuple(seed_values["plan_shape"]) == sg.compute_chromagram(
        voice, sg.StftParams(512, 128, sg.WindowType.hanning, True), 16000.0, sg.ChromaParams.music_standard()).shape


def test_seed_chroma_params_and_errors():
    default = sg.ChromaParams()
    assert (default.tuning, default.f_min, default.f_max, default.norm) == (440.0, 32.7, 4186.0, "l2")
    assert sg.ChromaParams.music_standard() == default
    assert sg.ChromaParams(415.0).tuning_bins == pytest.approx(12 * np.log2(415 / 440))
    librosa = sg.ChromaParams.librosa(tuning=0.25)
    assert librosa.shape == "librosa" and librosa.tuning_bins == pytest.approx(0.25) and librosa.norm == "max"
    with pytest.raises(sg.InvalidInputError, match="tuning"):
        sg.ChromaParams(0.0)
    with pytest.raises(sg.InvalidInputError, match="f_min must be below f_max"):
        sg.ChromaParams(440.0, 500.0, 400.0)
    with pytest.raises(sg.InvalidInputError, match="shape"):
        sg.ChromaParams(shape="bark")
    with pytest.raises(sg.InvalidInputError, match=r"tuning must be in \[-0.5, 0.5\]"):
        sg.ChromaParams.librosa(tuning=0.7)
    x = np.zeros(4000)
    stft = sg.StftParams(512, 128, sg.WindowType.hanning, True)
    with pytest.raises(sg.InvalidTypeError, match="sample_rate"):
        sg.compute_chromagram(x, stft)
    with pytest.raises(sg.InvalidTypeError, match="'chroma_params' twice"):
        sg.compute_chromagram(x, stft, 16000.0, sg.ChromaParams(), chroma_params=sg.ChromaParams())
    with pytest.raises(sg.InvalidTypeError, match="'hop' unexpected"):
        sg.compute_chromagram(x, sg.SpectrogramParams(stft, 16000.0), hop=3)
    silent = sg.compute_chromagram(x, stft, 16000.0, sg.ChromaParams())
    assert not silent.data.any()  # silence stays 0, never NaN
