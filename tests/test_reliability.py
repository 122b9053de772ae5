"""The error model at the entry points: size limits checked before allocation, parameters that would
give non-finite windows, axes or coefficients refused, shape rules of the layers enforced, and only
the library's own exceptions (property-based over the parameter objects and the compute functions)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms import nn as snn
from spectrograms.errors import InvalidInputError, InvalidTypeError, SpectrogramError
from spectrograms.torch import lengths_to_mask

PARAMS = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=256), sample_rate=16000.0)


@pytest.mark.parametrize("factory, match", [
    (lambda: sg.StftParams(n_fft=2**30 + 1, hop_size=256), r"n_fft must be at most 16777216, got 1073741825"),
    (lambda: sg.StftParams(n_fft=512, hop_size=10**20), r"hop_size must be at most 2147483647"),
    (lambda: sg.MelParams(n_mels=10**6), r"n_mels must be at most 16384, got 1000000"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 256), 1e308), r"sample_rate must be in \[0.001, 1e\+09\]"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 256), 1e-300), r"sample_rate must be in"),
    (lambda: sg.WindowType.kaiser(710.0), r"beta must be in \[0, 700\], got 710"),
    (lambda: sg.LogParams(floor_db=400.0), r"floor_db must be at most 385"),
    (lambda: sg.MfccParams(n_mfcc=13, lifter=1e-320), r"lifter must be 0 \(none\) or at least 1e-06"),
    (lambda: sg.chroma_labels(13), r"n_chroma must be a positive multiple of 12, got 13"),
    (lambda: sg.hz_to_mel(440.0, scale="bad"), r"scale must be one of 'slaney', 'htk'; got 'bad'"),
    (lambda: lengths_to_mask(torch.tensor([3, 4]), max_len=-1), r"max_len must be None or an int >= 0, got -1"),
    (lambda: sg.compute_chromagram(np.ones(64), sg.SpectrogramParams(sg.StftParams(1, 1), 16000.0)),
     r"a chromagram needs n_fft >= 2"),
])
def test_refused_with_a_named_error(factory, match):
    with pytest.raises(InvalidInputError, match=match):
        factory()


def test_largest_kaiser_window_is_finite():
    assert torch.isfinite(sg.WindowType.kaiser(700.0).coefficients(512)).all()


def test_custom_window_energy_normalisation_of_large_coefficients():
    window = sg.WindowType.custom(np.full(512, 1e200), normalize="energy").coefficients(512)
    np.testing.assert_allclose(window.numpy(), 1 / math.sqrt(512), rtol=1e-12)


def test_complex_custom_window_is_refused():
    with pytest.raises(InvalidTypeError, match="coefficients must be real numbers"):
        sg.WindowType.custom(np.ones(512, dtype=complex))


@pytest.mark.parametrize("values, match", [
    (np.ones(1000, dtype=np.longdouble), r"dtype float128, which torch cannot hold"),
    (pytest.importorskip("scipy.sparse").csr_matrix(np.ones((1, 1000))), r"sparse matrix: call \.toarray\(\)"),
])
def test_inputs_torch_cannot_hold(values, match):
    with pytest.raises(InvalidTypeError, match=match):
        sg.compute_linear_power_spectrogram(values, PARAMS)


@pytest.mark.parametrize("hop, centre", [(256, False), (1024, True)])
def test_nan_in_samples_no_frame_reads_is_refused(hop, centre):
    params = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=hop, centre=centre), 16000.0)
    signal = np.random.default_rng(0).standard_normal(4000)
    unread = 4000 - 1 if not centre else 700  # after the last frame / between two frames
    signal[unread] = np.nan
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        sg.compute_linear_power_spectrogram(signal, params)
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        snn.Spectrogram(n_fft=512, hop_length=hop, center=centre)(torch.from_numpy(signal))


@pytest.mark.parametrize("waveform, match", [
    (torch.randn(10), r"pad_mode='reflect' needs more than"),
    (torch.randn(0), r"empty"),
    (torch.full((1000,), float("nan")), r"NaN or Inf"),
])
def test_layers_raise_library_errors_for_bad_signals(waveform, match):
    with pytest.raises(InvalidInputError, match=match):
        snn.MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=40)(waveform)


@pytest.mark.parametrize("layer", [snn.TimeMasking(5), snn.FrequencyMasking(5), snn.AmplitudeToDB(top_db=80.0)])
def test_spectrogram_layers_need_bins_and_frames(layer):
    with pytest.raises(InvalidInputError, match=r"shape \(\.\.\., bins, frames\), got shape \(20,\)"):
        layer.train()(torch.rand(20))


# Extreme and invalid values for every field of the parameter objects: each call either gives a
# finite, correctly shaped spectrogram or raises the library's own error.
_numbers = st.one_of(
    st.integers(-2, 2**64), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, 1, 2, 3, 512])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_fft=_numbers, hop=_numbers, rate=_numbers, n_mels=_numbers, f_max=st.one_of(st.none(), _numbers),
       floor=_numbers, n_samples=st.integers(0, 3000), scale=st.sampled_from(["power", "magnitude", "db"]))
def test_mel_entry_points_give_finite_values_or_library_errors(n_fft, hop, rate, n_mels, f_max, floor, n_samples,
                                                               scale):
    signal = np.random.default_rng(0).standard_normal(n_samples).astype(np.float32)
    try:
        params = sg.SpectrogramParams(sg.StftParams(n_fft=n_fft, hop_size=hop), sample_rate=rate)
        mel = sg.MelParams(n_mels=n_mels, f_max=f_max)
        if scale == "db":
            spec = sg.compute_mel_db_spectrogram(signal, params, mel, sg.LogParams(floor_db=floor))
        else:
            spec = getattr(sg, f"compute_mel_{scale}_spectrogram")(signal, params, mel)
    except SpectrogramError as error:
        assert str(error)  # names what is wrong
        return
    values = spec.tensor
    assert values.shape == (n_mels, params.stft.n_frames(n_samples))
    assert torch.isfinite(values).all()
    assert np.isfinite(spec.frequencies).all() and np.isfinite(spec.times).all()
