"""Bad input: every case gets a library error naming the parameter, the value and what is allowed."""

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms import InvalidInputError, InvalidTypeError, SpectrogramError

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 256), 16000.0)
MEL = sg.MelParams(64, 0.0, 8000.0)


def test_error_hierarchy():
    assert issubclass(InvalidInputError, SpectrogramError) and issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidTypeError, SpectrogramError) and issubclass(InvalidTypeError, TypeError)
    assert issubclass(sg.DimensionMismatchError, ValueError)


@pytest.mark.parametrize("factory,match", [
    (lambda: sg.StftParams(0, 256), r"n_fft must be a positive int, got 0"),
    (lambda: sg.StftParams(-512, 256), r"n_fft must be a positive int, got -512"),
    (lambda: sg.StftParams(512, 0), r"hop_size must be a positive int, got 0"),
    (lambda: sg.StftParams(512, 128, pad_mode="wrap"), r"pad_mode must be one of 'constant', 'reflect'; got 'wrap'"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 128), 0.0), r"sample_rate must be in \[0.001, 1e\+09\], got 0"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 128), -8000), r"sample_rate must be in \[0.001, 1e\+09\], got -8000"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 128), float("nan")), r"sample_rate must be finite"),
    (lambda: sg.MelParams(0), r"n_mels must be a positive int, got 0"),
    (lambda: sg.MelParams(40, 4000.0, 2000.0), r"f_min must be below f_max, got f_min=4000.0, f_max=2000.0"),
    (lambda: sg.MelParams(40, 100.0, 100.0), r"f_min must be below f_max"),
    (lambda: sg.MelParams(40, -1.0), r"f_min must be >= 0, got -1.0"),
    (lambda: sg.MelParams(40, norm="max"), r"norm must be one of 'none', 'slaney', 'l1', 'l2'; got 'max'"),
    (lambda: sg.MelParams(40, scale="bark"), r"scale must be one of 'slaney', 'htk'; got 'bark'"),
    (lambda: sg.LogParams(float("nan")), r"floor_db must be finite, got nan"),
    (lambda: sg.LogParams(float("-inf")), r"floor_db must be finite, got -inf"),
    (lambda: sg.WindowType.kaiser(-1.0), r"beta must be in \[0, 700\], got -1"),
    (lambda: sg.WindowType.gaussian(0.0), r"std must be positive"),
    (lambda: sg.StftParams(512, 128, sg.WindowType.custom(np.ones(400))),
     r"custom window has 400 coefficients but n_fft is 512"),
    (lambda: sg.WindowType.custom([1.0, float("nan")]), r"coefficients must all be finite"),
    (lambda: sg.WindowType.custom(np.ones(8), normalize="max"), r"normalize must be one of"),
])
def test_bad_parameters(factory, match):
    with pytest.raises(InvalidInputError, match=match):
        factory()


@pytest.mark.parametrize("factory,match", [
    (lambda: sg.StftParams(512.0, 128), r"n_fft must be a positive int, got float 512.0"),
    (lambda: sg.StftParams(True, 128), r"n_fft must be a positive int, got bool"),
    (lambda: sg.StftParams(512, 128, window="triangle"), r"window must be a WindowType"),
    (lambda: sg.SpectrogramParams((512, 128), 16000), r"stft must be a StftParams"),
    (lambda: sg.SpectrogramParams(sg.StftParams(512, 128), "16k"), r"sample_rate must be a real number"),
    (lambda: sg.MelParams("64"), r"n_mels must be a positive int, got str"),
    (lambda: sg.compute_mel_power_spectrogram(np.ones(1000), PARAMS, {"n_mels": 40}),
     r"mel_params must be a MelParams, got dict"),
    (lambda: sg.compute_linear_power_spectrogram(np.ones(1000), None), r"params must be a SpectrogramParams"),
    (lambda: sg.compute_mel_db_spectrogram(np.ones(1000), PARAMS, MEL, -80.0), r"db_params must be a LogParams"),
])
def test_wrong_types(factory, match):
    with pytest.raises(InvalidTypeError, match=match):
        factory()


def test_f_max_above_nyquist_is_refused():
    with pytest.raises(InvalidInputError, match=r"f_max=9000.0 Hz is above the Nyquist frequency 8000.0 Hz"):
        sg.compute_mel_power_spectrogram(np.ones(4000), PARAMS, sg.MelParams(40, 0.0, 9000.0))


def test_empty_mel_filters_warn():
    with pytest.warns(UserWarning, match="mel filters are empty"):
        sg.compute_mel_power_spectrogram(np.ones(4000), sg.SpectrogramParams(sg.StftParams(64, 32), 16000.0),
                                         sg.MelParams(128))


@pytest.mark.parametrize("samples,error,match", [
    (np.array([], dtype=np.float32), InvalidInputError, r"samples is empty \(shape \(0,\)\)"),
    ([], InvalidInputError, r"samples is empty"),
    (np.zeros((2, 0)), InvalidInputError, r"samples is empty"),
    (np.zeros((0, 100)), InvalidInputError, r"samples has an empty batch"),
    (np.float32(1.0), InvalidInputError, r"samples must have shape \(time,\) or \(batch, time\), got shape \(\)"),
    (np.zeros((2, 3, 1000)), InvalidInputError, r"got shape \(2, 3, 1000\)"),
    (np.ones(1000, dtype=np.complex64), InvalidTypeError, r"samples must be real, got complex"),
    (torch.ones(1000, dtype=torch.complex64), InvalidTypeError, r"samples must be real, got complex"),
    (np.ones(1000, dtype=bool), InvalidTypeError, r"got booleans"),
    (np.array(["a", "b"]), InvalidTypeError, r"samples must contain numbers, got dtype <U1"),
    (["a", "b"], InvalidTypeError, r"samples must contain numbers"),
    ([[1.0, 2.0], [3.0]], InvalidInputError, r"samples must be rectangular"),
    ("audio.wav", InvalidTypeError, r"samples must be a NumPy array, a torch tensor or a list of numbers, got str"),
    (None, InvalidTypeError, r"got NoneType"),
    (np.ones(1000, dtype=np.int64), InvalidTypeError, r"dtype torch.int64, which is not audio"),
    (np.full(3000, np.nan), InvalidInputError, r"NaN or Inf"),
    (np.r_[np.zeros(2000), np.inf, np.zeros(10)], InvalidInputError, r"NaN or Inf"),
])
def test_bad_signals(samples, error, match):
    with pytest.raises(error, match=match):
        sg.compute_mel_db_spectrogram(samples, PARAMS, MEL)


def test_short_signal_without_centre():
    params = sg.SpectrogramParams(sg.StftParams(512, 256, centre=False), 16000.0)
    with pytest.raises(InvalidInputError, match=r"the signal has 500 samples but n_fft is 512; with centre=False"):
        sg.compute_linear_power_spectrogram(np.ones(500), params)
    assert sg.compute_linear_power_spectrogram(np.ones(512), params).n_frames == 1


def test_short_signal_with_reflect_padding():
    params = sg.SpectrogramParams(sg.StftParams(512, 256, pad_mode="reflect"), 16000.0)
    with pytest.raises(InvalidInputError, match=r"pad_mode='reflect' needs more than n_fft // 2 = 256 samples"):
        sg.compute_stft(np.ones(200), params)


def test_short_signal_with_centre_is_fine():
    spec = sg.compute_mel_power_spectrogram(np.ones(10, dtype=np.float32), PARAMS, MEL)
    assert spec.shape == (64, 1)


@pytest.mark.parametrize("samples,dtype", [
    (np.zeros(1000, np.float32), torch.float32),
    (np.zeros(1000, np.float64), torch.float64),
    ([0.0] * 1000, torch.float64),
    (np.zeros(1000, np.float16), torch.float32),
    (torch.zeros(1000, dtype=torch.bfloat16), torch.float32),
    (np.zeros(1000, np.int16), torch.float32),
])
def test_output_dtypes(samples, dtype):
    assert sg.compute_mel_power_spectrogram(samples, PARAMS, MEL).dtype == dtype


def test_integer_pcm_is_scaled_to_full_scale():
    rng = np.random.default_rng(0)
    pcm = rng.integers(-32768, 32767, 4000).astype(np.int16)
    expected = sg.compute_linear_power_spectrogram(pcm.astype(np.float32) / 32768.0, PARAMS)
    np.testing.assert_allclose(sg.compute_linear_power_spectrogram(pcm, PARAMS).data, expected.data, rtol=1e-6)
    as_uint8 = (pcm // 256 + 128).astype(np.uint8)
    expected8 = sg.compute_linear_power_spectrogram((as_uint8.astype(np.float32) - 128) / 128, PARAMS)
    np.testing.assert_allclose(sg.compute_linear_power_spectrogram(as_uint8, PARAMS).data, expected8.data)


def test_non_contiguous_and_read_only_inputs():
    x = np.random.default_rng(0).standard_normal((2, 8000))
    expected = sg.compute_linear_power_spectrogram(np.ascontiguousarray(x[:, ::2]), PARAMS).data
    np.testing.assert_array_equal(sg.compute_linear_power_spectrogram(x[:, ::2], PARAMS).data, expected)
    frozen = x.copy()
    frozen.flags.writeable = False
    sg.compute_linear_power_spectrogram(frozen, PARAMS)
    big_endian = x.astype(">f8")
    np.testing.assert_allclose(sg.compute_linear_power_spectrogram(big_endian, PARAMS).data,
                               sg.compute_linear_power_spectrogram(x, PARAMS).data)


def test_params_are_hashable_and_equal_by_value():
    a = sg.StftParams(512, 256, sg.WindowType.kaiser(5.0))
    b = sg.StftParams(512, 256, sg.WindowType.kaiser(5.0))
    assert a == b and hash(a) == hash(b)
    assert sg.MelParams(40, norm=None) == sg.MelParams(40, norm="none")
    assert sg.StftParams(512, 256, "hann").window is sg.WindowType.hann
    assert sg.StftParams(512, 256, "hanning").window is sg.WindowType.hanning


def test_defaults():
    speech = sg.SpectrogramParams.speech_default(16000)
    assert (speech.stft.n_fft, speech.stft.hop_size) == (512, 160)
    music = sg.SpectrogramParams.music_default(22050)
    assert (music.stft.n_fft, music.stft.hop_size, music.sample_rate) == (2048, 512, 22050.0)


def test_custom_window_normalisations():
    coefficients = np.hanning(64)
    assert sg.WindowType.custom(coefficients, "sum").coefficients(64).sum() == pytest.approx(1.0)
    assert sg.WindowType.custom(coefficients, "peak").coefficients(64).max() == pytest.approx(1.0)
    assert (sg.WindowType.custom(coefficients, "energy").coefficients(64) ** 2).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(sg.WindowType.custom(coefficients).coefficients(64).numpy(), coefficients)


def test_the_two_window_conventions():
    """The seed's named windows are symmetric (numpy's); ``hann`` and ``.periodic()`` are torch's and
    librosa's; a StftParams given no window takes the periodic Hann."""
    scipy_windows = pytest.importorskip("scipy.signal.windows")
    n = 9
    cases = [
        (sg.WindowType.hanning, np.hanning(n)), (sg.WindowType.hann, torch.hann_window(n, dtype=torch.float64)),
        (sg.WindowType.hamming, np.hamming(n)), (sg.WindowType.hamming.periodic(), torch.hamming_window(n, dtype=torch.float64)),
        (sg.WindowType.blackman, np.blackman(n)),
        (sg.WindowType.blackman.periodic(), torch.blackman_window(n, dtype=torch.float64)),
        (sg.WindowType.kaiser(5.0), np.kaiser(n, 5.0)),
        (sg.WindowType.kaiser(5.0, periodic=True), torch.kaiser_window(n, True, 5.0, dtype=torch.float64)),
        (sg.WindowType.gaussian(2.0), scipy_windows.gaussian(n, 2.0, sym=True)),
        (sg.WindowType.gaussian(2.0, periodic=True), scipy_windows.gaussian(n, 2.0, sym=False)),
        (sg.WindowType.rectangular.periodic(), np.ones(n)),
    ]
    for window, expected in cases:
        np.testing.assert_allclose(window.coefficients(n).numpy(), np.asarray(expected), rtol=1e-12, atol=1e-15,
                                   err_msg=repr(window))
    assert sg.WindowType.hann == sg.WindowType.hanning.periodic() and sg.WindowType.hann.symmetric() == sg.WindowType.hanning
    assert sg.WindowType.hann != sg.WindowType.hanning and hash(sg.WindowType.hann) != hash(sg.WindowType.hanning)
    assert sg.WindowType.hann.is_periodic and not sg.WindowType.hanning.is_periodic
    assert sg.WindowType.rectangular.periodic() == sg.WindowType.rectangular
    assert repr(sg.WindowType.hann) == "WindowType.hann" and repr(sg.WindowType.hamming.periodic()) == "WindowType.hamming.periodic()"
    assert sg.StftParams(512, 256).window is sg.WindowType.hann
    np.testing.assert_allclose(sg.WindowType.hann.coefficients(n, periodic=False).numpy(), np.hanning(n), atol=1e-15)
    with pytest.raises(sg.InvalidTypeError, match="periodic"):
        sg.WindowType.kaiser(5.0, periodic="yes")
