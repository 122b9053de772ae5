"""Parity of the compute_* functions with librosa and torchaudio under the mapping that makes them agree.

librosa: ``pad_mode="constant"``, Slaney mel scale (``htk=False``), ``norm`` None or "slaney",
``power_to_db(ref=1.0, amin=10 ** (floor_db / 10), top_db=None)``.
torchaudio: ``pad_mode="reflect"``, HTK mel scale, ``norm`` None or "slaney",
``AmplitudeToDB(stype="power", top_db=None)`` whose amin is 1e-10, i.e. ``floor_db=-100``.
"""

import librosa
import numpy as np
import pytest
import torch
import torchaudio

import spectrograms as sg

from .conftest import tone_mix

SR = 16000
N_FFT, HOP, N_MELS, F_MIN, F_MAX = 512, 160, 64, 30.0, 7800.0
# float64 agrees to rounding; float32 carries the FFT's relative error (~1e-7 of a frame's energy).
DB_TOLERANCE = {np.float32: 2e-3, np.float64: 1e-6}
POWER_RTOL = {np.float32: 1e-4, np.float64: 1e-9}


def _params(pad_mode):
    return sg.SpectrogramParams(sg.StftParams(N_FFT, HOP, sg.WindowType.hann, True, pad_mode), SR)


def _librosa_mel(x, norm):
    return librosa.feature.melspectrogram(
        y=x.astype(np.float64), sr=SR, n_fft=N_FFT, hop_length=HOP, window="hann", center=True,
        pad_mode="constant", power=2.0, n_mels=N_MELS, fmin=F_MIN, fmax=F_MAX, htk=False, norm=norm)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm", [None, "slaney"])
def test_mel_power_and_db_match_librosa(dtype, norm):
    x = tone_mix(SR, dtype=dtype)
    mel = sg.MelParams(N_MELS, F_MIN, F_MAX, norm=norm, scale=sg.MelScale.slaney)
    reference = _librosa_mel(x, norm)
    power = sg.compute_mel_power_spectrogram(x, _params("constant"), mel)
    assert power.data.dtype == dtype and power.shape == reference.shape
    np.testing.assert_allclose(power.data, reference, rtol=POWER_RTOL[dtype], atol=reference.max() * 1e-7)

    db = sg.compute_mel_db_spectrogram(x, _params("constant"), mel, sg.LogParams(-80.0))
    reference_db = librosa.power_to_db(reference, ref=1.0, amin=1e-8, top_db=None)
    np.testing.assert_allclose(db.data, reference_db, rtol=0, atol=DB_TOLERANCE[dtype])
    assert db.data.min() >= -80.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_power_magnitude_db_match_librosa(dtype):
    x = tone_mix(5000, dtype=dtype)
    stft = np.abs(librosa.stft(x.astype(np.float64), n_fft=N_FFT, hop_length=HOP, window="hann", center=True,
                               pad_mode="constant"))
    params = _params("constant")
    magnitude = sg.compute_linear_magnitude_spectrogram(x, params)
    np.testing.assert_allclose(magnitude.data, stft, rtol=POWER_RTOL[dtype], atol=stft.max() * 1e-6)
    power = sg.compute_linear_power_spectrogram(x, params)
    np.testing.assert_allclose(power.data, stft**2, rtol=POWER_RTOL[dtype], atol=(stft**2).max() * 1e-7)
    db = sg.compute_linear_db_spectrogram(x, params, sg.LogParams(-60.0))
    np.testing.assert_allclose(db.data, librosa.power_to_db(stft**2, amin=1e-6, top_db=None), rtol=0,
                               atol=DB_TOLERANCE[dtype] * 10)  # single bins near the floor: float32 cancels more


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm", [None, "slaney"])
def test_mel_matches_torchaudio(dtype, norm):
    x = torch.from_numpy(tone_mix(SR)).to(dtype)
    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate=SR, n_fft=N_FFT, hop_length=HOP, f_min=F_MIN, f_max=F_MAX, n_mels=N_MELS, power=2.0,
        center=True, pad_mode="reflect", norm=norm, mel_scale="htk").to(dtype)
    reference = transform(x)
    mel = sg.MelParams(N_MELS, F_MIN, F_MAX, norm=norm, scale="htk")
    power = sg.compute_mel_power_spectrogram(x, _params("reflect"), mel)
    assert power.tensor.dtype == dtype
    # torchaudio builds its filterbank in float32 even for a float64 transform, so both dtypes agree
    # only to float32 precision (measured: 2.4e-5 relative).
    torch.testing.assert_close(power.tensor, reference, rtol=1e-4, atol=float(reference.max()) * 1e-7)

    db = sg.compute_mel_db_spectrogram(x, _params("reflect"), mel, sg.LogParams(-100.0))
    reference_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None)(reference)
    torch.testing.assert_close(db.tensor, reference_db, rtol=0, atol=2e-3)


def test_stft_matches_librosa():
    x = tone_mix(4000)
    result = sg.compute_stft(x, _params("constant"))
    reference = librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window="hann", center=True, pad_mode="constant")
    assert result.data.dtype == np.complex128
    np.testing.assert_allclose(result.data, reference, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(result.power().numpy(), np.abs(reference) ** 2, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("window,name", [
    (sg.WindowType.hamming.periodic(), "hamming"), (sg.WindowType.blackman.periodic(), "blackman"),
    (sg.WindowType.rectangular, "boxcar"), (sg.WindowType.kaiser(8.0, periodic=True), ("kaiser", 8.0)),
    (sg.WindowType.gaussian(60.0, periodic=True), ("gaussian", 60.0)),
])
def test_windows_match_scipy_periodic_windows(window, name):
    from scipy.signal import get_window

    np.testing.assert_allclose(window.coefficients(N_FFT).numpy(), get_window(name, N_FFT, fftbins=True),
                               rtol=1e-12, atol=1e-12)


def test_batch_equals_items():
    x = np.stack([tone_mix(8000, seed=s, dtype=np.float32) for s in range(3)])
    params, mel = _params("constant"), sg.MelParams(40, 0.0, 8000.0)
    batched = sg.compute_mel_db_spectrogram(x, params, mel, sg.LogParams())
    assert batched.shape == (3, 40, 51)
    for item, row in zip(batched.unbatch(), x):
        np.testing.assert_array_equal(item.data, sg.compute_mel_db_spectrogram(row, params, mel, sg.LogParams()).data)


def test_axes_and_metadata():
    x = tone_mix(SR, dtype=np.float32)
    params = _params("constant")
    spec = sg.compute_mel_db_spectrogram(x, params, sg.MelParams(N_MELS, F_MIN, F_MAX), sg.LogParams())
    assert spec.n_bins == N_MELS and spec.n_frames == 1 + SR // HOP
    assert spec.times[1] == pytest.approx(HOP / SR) and spec.times[0] == 0.0
    low, high = spec.frequency_range()
    assert F_MIN < low < high < F_MAX
    assert spec.duration() == pytest.approx(spec.times[-1]) and spec.n_samples / spec.sample_rate == pytest.approx(1.0)
    assert spec.scale == "db" and spec.floor == -80.0 and spec.mel_params.n_mels == N_MELS
    low_db, high_db = spec.db_range()
    assert low_db == pytest.approx(spec.data.min()) and high_db == pytest.approx(spec.data.max())
    linear = sg.compute_linear_power_spectrogram(x, params)
    np.testing.assert_allclose(linear.frequencies, np.fft.rfftfreq(N_FFT, 1 / SR))
    assert linear.db_range()[1] == pytest.approx(10 * np.log10(linear.data.max()), rel=1e-6)


def test_wrong_parameter_types_are_named_even_when_unhashable():
    # The plan cache hashes its arguments; wrong (even unhashable) types must still get the named error.
    params, x = sg.SpectrogramParams(sg.StftParams(N_FFT, HOP), SR), tone_mix(2000)
    with pytest.raises(sg.InvalidTypeError, match="mel_params must be a MelParams, got dict"):
        sg.compute_mel_power_spectrogram(x, params, {"n_mels": 40})
    with pytest.raises(sg.InvalidTypeError, match="db_params must be a LogParams, got list"):
        sg.compute_linear_db_spectrogram(x, params, [-80.0])
    with pytest.raises(sg.InvalidTypeError, match="params must be a SpectrogramParams, got dict"):
        sg.compute_stft(x, {"n_fft": 512})
    assert sg.compute_mfcc(x, params, 1, sg.MfccParams(1)).shape[0] == 1
    with pytest.raises(sg.InvalidTypeError, match="mel must be a MelParams or an int"):
        sg.compute_mfcc(x, params, True, sg.MfccParams(1))  # equal to 1 as a key, but not an int band count
