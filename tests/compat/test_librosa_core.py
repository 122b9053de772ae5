"""librosa core parity: stft, istft, the dB conversions, the frequency grids, filters, resample and
Griffin-Lim against the installed librosa 0.11 on real speech and synthetic signals."""

import warnings

import librosa
import numpy as np
import pytest
import torch

from spectrograms.compat import librosa as L
from tests.conftest import tone_mix

from ._parity import assert_parity

DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def signals(speech):
    y, sr = speech
    stereo = np.stack([y[:40000], tone_mix(40000, sr)])
    return {"speech": y, "stereo": stereo}


STFT_GRID = [
    {},
    {"n_fft": 512, "hop_length": 160, "win_length": 400},
    {"n_fft": 400, "hop_length": 128, "window": "hamming"},
    {"n_fft": 256, "pad_mode": "reflect"},
    {"n_fft": 256, "pad_mode": "edge", "window": ("kaiser", 6.0)},
    {"n_fft": 256, "pad_mode": "symmetric"},
    {"n_fft": 256, "pad_mode": "linear_ramp"},
    {"n_fft": 511, "hop_length": 100, "center": False},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", STFT_GRID, ids=str)
@pytest.mark.parametrize("which", ["speech", "stereo"])
def test_stft_istft(signals, which, kwargs, dtype):
    y = signals[which].astype(dtype)
    D = librosa.stft(y, **kwargs)
    assert_parity(L.stft(y, **kwargs), D)
    inv = {k: v for k, v in kwargs.items() if k != "pad_mode"}
    reference = librosa.istft(D, **inv)
    ours = L.istft(D, **inv)
    if inv.get("center", True):
        assert_parity(ours, reference)
    else:
        # Uncentred, the first and last samples are divided by window-square sums near 0 (1e-8 at
        # sample 1 of a Hann window), which magnify each side's float rounding: compare where the
        # sum is at least 1e-3 of its peak, and require the same shape and dtype everywhere.
        env = librosa.filters.window_sumsquare(window="hann", n_frames=D.shape[-1], n_fft=inv["n_fft"],
                                               hop_length=inv["hop_length"])[:reference.shape[-1]]
        keep = env >= 1e-3 * env.max()
        assert ours.shape == reference.shape and ours.dtype == reference.dtype
        assert_parity(ours[..., keep], reference[..., keep])


@pytest.mark.parametrize("length", [None, 30000, 41000])
def test_istft_length_and_torch_in_torch_out(signals, length):
    y = signals["stereo"]
    D = librosa.stft(y, n_fft=512)
    assert_parity(L.istft(D, length=length), librosa.istft(D, length=length))
    ours = L.stft(torch.from_numpy(y), n_fft=512)
    assert isinstance(ours, torch.Tensor) and ours.dtype == torch.complex128
    assert_parity(ours.numpy(), D)
    back = L.istft(ours, length=length)
    assert isinstance(back, torch.Tensor)
    assert_parity(back.numpy(), librosa.istft(D, length=length))


def test_stft_short_signal_warns_and_uncentred_refuses():
    y = np.ones(100)
    with pytest.warns(UserWarning, match="n_fft=2048 is too large"):
        ours = L.stft(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_parity(ours, librosa.stft(y))
    with pytest.raises(L.ParameterError, match="uncentered"):
        L.stft(y, center=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, {"ref": np.max}, {"ref": 3.0, "amin": 1e-5, "top_db": None},
                                    {"top_db": 40.0, "ref": np.median}], ids=str)
def test_db_conversions(signals, kwargs, dtype):
    S = np.abs(librosa.stft(signals["stereo"].astype(dtype), n_fft=512))
    assert_parity(L.power_to_db(S ** 2, **kwargs), librosa.power_to_db(S ** 2, **kwargs))
    assert_parity(L.amplitude_to_db(S, **kwargs), librosa.amplitude_to_db(S, **kwargs))
    db = librosa.power_to_db(S ** 2)
    assert_parity(L.db_to_power(db, ref=2.0), librosa.db_to_power(db, ref=2.0))
    assert_parity(L.db_to_amplitude(db, ref=2.0), librosa.db_to_amplitude(db, ref=2.0))
    tensor = L.power_to_db(torch.from_numpy(S ** 2), **{k: v for k, v in kwargs.items() if k != "ref"})
    assert isinstance(tensor, torch.Tensor)
    assert_parity(tensor.numpy(), librosa.power_to_db(S ** 2, **{k: v for k, v in kwargs.items() if k != "ref"}))
    assert L.power_to_db(3.0) == pytest.approx(librosa.power_to_db(3.0), rel=1e-12)


@pytest.mark.parametrize("htk", [False, True])
def test_frequency_grids(htk):
    hz = np.linspace(0, 11025, 301)
    assert_parity(L.hz_to_mel(hz, htk=htk), librosa.hz_to_mel(hz, htk=htk))
    mels = np.linspace(0, 60, 301) if not htk else np.linspace(0, 3900, 301)
    assert_parity(L.mel_to_hz(mels, htk=htk), librosa.mel_to_hz(mels, htk=htk))
    assert L.hz_to_mel(1500.0, htk=htk) == pytest.approx(librosa.hz_to_mel(1500.0, htk=htk), rel=1e-13)
    for n in (1, 2, 40, 128):
        assert_parity(L.mel_frequencies(n, fmin=20.0, fmax=7600.0, htk=htk),
                      librosa.mel_frequencies(n, fmin=20.0, fmax=7600.0, htk=htk))
    for sr, n_fft in ((22050, 2048), (16000, 400), (44100, 1023)):
        assert_parity(L.fft_frequencies(sr=sr, n_fft=n_fft), librosa.fft_frequencies(sr=sr, n_fft=n_fft))


MEL_GRID = [{}, {"htk": True, "norm": None}, {"n_mels": 40, "fmin": 80.0, "fmax": 7600.0, "norm": 1},
            {"n_mels": 64, "norm": 2}, {"norm": np.inf, "dtype": np.float64}, {"n_mels": 80, "fmax": 16000.0}]


@pytest.mark.parametrize("kwargs", MEL_GRID, ids=str)
@pytest.mark.parametrize("sr,n_fft", [(22050, 2048), (16000, 400), (16000, 512)])
def test_filters_mel(sr, n_fft, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty filters (fmax above Nyquist) warn on both sides
        assert_parity(L.filters.mel(sr=sr, n_fft=n_fft, **kwargs), librosa.filters.mel(sr=sr, n_fft=n_fft, **kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"tuning": -0.2, "n_chroma": 24}, {"octwidth": None, "norm": None},
                                    {"base_c": False, "norm": np.inf, "ctroct": 4.0}, {"dtype": np.float64, "norm": 1}],
                         ids=str)
def test_filters_chroma(kwargs):
    for sr, n_fft in ((22050, 2048), (16000, 1024)):
        assert_parity(L.filters.chroma(sr=sr, n_fft=n_fft, **kwargs), librosa.filters.chroma(sr=sr, n_fft=n_fft, **kwargs))


@pytest.mark.parametrize("window", ["hann", "hamming", ("kaiser", 4.0), "blackman", 2.5, np.hanning])
def test_get_window(window):
    for n in (1, 7, 400, 512):
        for fftbins in (True, False):
            assert_parity(L.filters.get_window(window, n, fftbins=fftbins),
                          librosa.filters.get_window(window, n, fftbins=fftbins))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("res_type", ["polyphase", "fft", "scipy"])
@pytest.mark.parametrize("target_sr", [8000, 22050, 44100, 11025])
def test_resample(signals, res_type, target_sr, dtype):
    y = signals["stereo"][:, :16000].astype(dtype)
    assert_parity(L.resample(y, orig_sr=16000, target_sr=target_sr, res_type=res_type),
                  librosa.resample(y, orig_sr=16000, target_sr=target_sr, res_type=res_type))
    assert_parity(L.resample(y, orig_sr=16000, target_sr=target_sr, res_type=res_type, scale=True, axis=-1),
                  librosa.resample(y, orig_sr=16000, target_sr=target_sr, res_type=res_type, scale=True, axis=-1))


def test_resample_speech_and_refused_types(signals):
    y = signals["speech"]
    assert_parity(L.resample(y, orig_sr=16000, target_sr=22050, res_type="polyphase"),
                  librosa.resample(y, orig_sr=16000, target_sr=22050, res_type="polyphase"))
    for res_type in ("soxr_hq", "kaiser_best", "sinc_best"):
        with pytest.raises(L.ParameterError, match="cannot be reproduced"):
            L.resample(y, orig_sr=16000, target_sr=8000, res_type=res_type)


@pytest.mark.parametrize("dtype", DTYPES)
def test_griffinlim(signals, dtype):
    """Same start (the same NumPy generator draws the phases), same iterations: float64 agrees to
    1e-10; in float32 each iteration's float32 rounding is fed back through 32 iterations (measured:
    8e-5 of the peak on noise), so the float32 bound is 1e-3 there and 1e-5 after one iteration."""
    y = signals["speech"][:16000].astype(dtype)
    S = np.abs(librosa.stft(y, n_fft=512))
    tol = {np.float32: 1e-3, np.float64: 1e-10}[dtype]
    assert_parity(L.griffinlim(S, random_state=0), librosa.griffinlim(S, random_state=0), tol=tol)
    assert_parity(L.griffinlim(S, n_iter=1, init=None, length=16000),
                  librosa.griffinlim(S, n_iter=1, init=None, length=16000))
    assert_parity(L.griffinlim(S, n_iter=8, momentum=0.5, random_state=np.random.default_rng(3)),
                  librosa.griffinlim(S, n_iter=8, momentum=0.5, random_state=np.random.default_rng(3)), tol=tol)
