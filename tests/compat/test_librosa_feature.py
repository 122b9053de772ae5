"""librosa.feature / onset / feature.inverse parity on real speech and synthetic signals, and the
refusals (named ParameterError, also a ValueError) under hypothesis."""

import warnings

import librosa
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spectrograms.compat import librosa as L
from spectrograms.errors import SpectrogramError
from tests.conftest import tone_mix

from ._parity import assert_parity

DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def signals(speech):
    y, sr = speech
    return {"speech": y, "stereo": np.stack([y[:32000], tone_mix(32000, sr)])}


DESCRIPTORS = ["melspectrogram", "mfcc", "chroma_stft", "spectral_centroid", "spectral_bandwidth",
               "spectral_rolloff", "spectral_contrast"]
GRID = [{}, {"n_fft": 512, "hop_length": 160, "win_length": 400}, {"n_fft": 1024, "window": "hamming", "center": False},
        {"n_fft": 512, "pad_mode": "reflect"}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", GRID, ids=str)
@pytest.mark.parametrize("name", DESCRIPTORS)
@pytest.mark.parametrize("which", ["speech", "stereo"])
def test_features_from_audio(signals, which, name, kwargs, dtype):
    y = signals[which].astype(dtype)
    reference = getattr(librosa.feature, name)(y=y, sr=16000, **kwargs)
    assert_parity(getattr(L.feature, name)(y=y, sr=16000, **kwargs), reference, input_dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["speech", "stereo"])
def test_flatness_rms_zcr_onset(signals, which, dtype):
    y = signals[which].astype(dtype)
    # float32 flatness is exp(mean of 1025 float32 logs down to log(1e-10) = -23): summing in another
    # order (torch's vs NumPy's pairwise) moves the mean by ~1e-6 and exp keeps that relative error,
    # measured up to 2.9e-4 of the peak on the tone mix, so its bound is 1e-3; float64 stays at 1e-10
    flat_tol = 1e-3 if dtype == np.float32 else None
    for kw in ({}, {"n_fft": 512, "hop_length": 128, "power": 1.0}):
        assert_parity(L.feature.spectral_flatness(y=y, **kw), librosa.feature.spectral_flatness(y=y, **kw), tol=flat_tol)
    for kw in ({}, {"frame_length": 400, "hop_length": 160, "center": False}, {"dtype": np.float64}):
        # rms squares in its dtype (float32 by default): the tolerance is that of the dtype it ran in
        assert_parity(L.feature.rms(y=y, **kw), librosa.feature.rms(y=y, **kw), input_dtype=kw.get("dtype", np.float32))
    S = np.abs(librosa.stft(y, n_fft=512))
    assert_parity(L.feature.rms(S=S, frame_length=512), librosa.feature.rms(S=S, frame_length=512), input_dtype=np.float32)
    for kw in ({}, {"frame_length": 400, "hop_length": 160}, {"center": False, "threshold": 1e-3, "pad": True}):
        assert_parity(L.feature.zero_crossing_rate(y, **kw), librosa.feature.zero_crossing_rate(y, **kw))
    for kw in ({}, {"lag": 2, "max_size": 3}, {"detrend": True, "center": False, "n_mels": 64},
               {"aggregate": np.median, "hop_length": 256}):
        assert_parity(L.onset.onset_strength(y=y, sr=16000, **kw), librosa.onset.onset_strength(y=y, sr=16000, **kw),
                      input_dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_feature_options_and_S_input(signals, dtype):
    y = signals["stereo"].astype(dtype)
    S = np.abs(librosa.stft(y, n_fft=1024)) ** 2
    cases = [
        ("melspectrogram", {"S": S, "n_mels": 40, "fmax": 7000.0, "htk": True, "norm": None}),
        ("melspectrogram", {"y": y, "power": 1.5, "n_mels": 64, "norm": 2}),
        ("mfcc", {"y": y, "n_mfcc": 13, "dct_type": 3, "norm": None, "lifter": 22, "n_mels": 40}),
        ("mfcc", {"y": y, "dct_type": 1, "mel_norm": None}),
        ("mfcc", {"S": librosa.power_to_db(librosa.feature.melspectrogram(S=S, sr=16000)), "dct_type": 4}),
        ("chroma_stft", {"S": S, "tuning": 0.25, "n_chroma": 24, "norm": 2}),
        ("chroma_stft", {"y": y, "norm": None, "base_c": False, "octwidth": None}),
        ("spectral_bandwidth", {"S": np.sqrt(S), "p": 3, "norm": False}),
        ("spectral_rolloff", {"S": np.sqrt(S), "roll_percent": 0.5}),
        ("spectral_contrast", {"S": np.sqrt(S), "n_bands": 4, "fmin": 300.0, "quantile": 0.1, "linear": True}),
    ]
    for name, kwargs in cases:
        assert_parity(getattr(L.feature, name)(sr=16000, **kwargs), getattr(librosa.feature, name)(sr=16000, **kwargs),
                      input_dtype=dtype)
    ours = L.feature.melspectrogram(y=torch.from_numpy(y), sr=16000)
    assert isinstance(ours, torch.Tensor)
    assert_parity(ours.numpy(), librosa.feature.melspectrogram(y=y, sr=16000), input_dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["interp", "nearest", "mirror", "constant", "wrap"])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_delta(signals, mode, order, dtype):
    M = librosa.feature.mfcc(y=signals["stereo"].astype(dtype), sr=16000)
    for width in [w for w in (3, 9, 11) if w > order]:
        assert_parity(L.feature.delta(M, width=width, order=order, mode=mode),
                      librosa.feature.delta(M, width=width, order=order, mode=mode))
    assert_parity(L.feature.delta(M, axis=-2, mode=mode, order=order, width=5),
                  librosa.feature.delta(M, axis=-2, mode=mode, order=order, width=5))
    ramp = np.arange(50, dtype=dtype)
    assert_parity(L.feature.delta(ramp, mode=mode), librosa.feature.delta(ramp, mode=mode))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mfcc_to_mel(signals, dtype):
    M = librosa.feature.mfcc(y=signals["speech"].astype(dtype), sr=16000, n_mfcc=40)
    for kw in ({}, {"n_mels": 64, "lifter": 20, "ref": 2.0}, {"dct_type": 3, "norm": None}, {"dct_type": 1}):
        assert_parity(L.feature.inverse.mfcc_to_mel(M, **kw), librosa.feature.inverse.mfcc_to_mel(M, **kw))


def test_mel_to_stft_and_audio(signals):
    """librosa's L-BFGS-B solve stops at scipy's default tolerances (its mel projection misses M by
    3-5% of the peak on this input), and the inverse is underdetermined (fewer bands than bins), so
    bins do not agree one by one. What is asserted: our projection reproduces M at least 100 times
    more closely than librosa's does, both are non-negative and of librosa's shape and dtype, and the
    two projections agree within librosa's own residual plus 1e-6."""
    y = signals["speech"][:16000].astype(np.float32)
    M = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=1024)
    ours, theirs = L.feature.inverse.mel_to_stft(M, sr=16000, n_fft=1024), librosa.feature.inverse.mel_to_stft(M, sr=16000, n_fft=1024)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype and (ours >= 0).all()
    bank = librosa.filters.mel(sr=16000, n_fft=1024)
    ours_res = np.abs(bank @ ours ** 2 - M).max() / M.max()
    theirs_res = np.abs(bank @ theirs ** 2 - M).max() / M.max()
    assert ours_res <= theirs_res / 100 + 1e-6, (ours_res, theirs_res)
    assert np.abs(bank @ ours ** 2 - bank @ theirs ** 2).max() / M.max() <= theirs_res + 1e-6
    audio = L.feature.inverse.mel_to_audio(M, sr=16000, n_fft=1024, hop_length=512, n_iter=4, length=16000)
    assert audio.shape == (16000,) and audio.dtype == np.float32
    mfcc = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=40)
    assert L.feature.inverse.mfcc_to_audio(mfcc, n_mels=128, sr=16000, n_fft=2048, hop_length=512, n_iter=2).dtype == np.float32


def test_compute_deltas_matches_librosa_and_torchaudio():
    import torchaudio

    from spectrograms.nn import ComputeDeltas

    ramp = torch.arange(40, dtype=torch.float64).repeat(3, 1)
    layer = ComputeDeltas(win_length=5).to(torch.float64)
    torch.testing.assert_close(layer(ramp), torchaudio.transforms.ComputeDeltas(5)(ramp), rtol=0, atol=1e-13)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 13, 60)))
    for order in (1, 2):
        ours = ComputeDeltas(win_length=9, mode="interp", order=order)(x)
        assert_parity(ours.numpy(), librosa.feature.delta(x.numpy(), width=9, order=order))
    assert_parity(ComputeDeltas(win_length=7, mode="reflect")(x).numpy(),
                  librosa.feature.delta(x.numpy(), width=7, mode="mirror"))


REFUSALS = [
    lambda v: L.stft(np.ones(4096), n_fft=v),
    lambda v: L.feature.delta(np.ones((4, 20)), width=v),
    lambda v: L.feature.delta(np.ones((4, 20)), order=v),
    lambda v: L.feature.spectral_rolloff(y=np.ones(4096), roll_percent=v),
    lambda v: L.power_to_db(np.ones(8), amin=v),
    lambda v: L.feature.mfcc(y=np.ones(4096), n_mfcc=v),
    lambda v: L.resample(np.ones(100), orig_sr=16000, target_sr=8000, res_type=v),
    lambda v: L.filters.mel(sr=16000, n_fft=512, norm=v),
]


@settings(max_examples=40, deadline=None)
@given(case=st.integers(0, len(REFUSALS) - 1),
       value=st.one_of(st.integers(-5, 0), st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not 0 < f < 1),
                       st.text(max_size=5), st.none()))
def test_refusals_are_named_errors(case, value):
    if case == 7 and value is None or case == 6 and value in ("polyphase", "fft", "scipy"):
        return  # valid arguments
    if case == 4 and isinstance(value, float) and value > 0 and np.isfinite(value):
        return  # amin > 0 is valid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SpectrogramError) as info:
            REFUSALS[case](value)
    assert isinstance(info.value, (ValueError, TypeError))
    assert str(info.value)
