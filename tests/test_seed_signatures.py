"""The seed library's call forms against spectrograms 2.1.3: ``db``/``db_params`` accepted everywhere
(ignored where it ignores them, power values from a ``*_db`` call without them), the ``dtype`` keyword,
``compute_mfcc(samples, stft_params, sample_rate, n_mels, mfcc_params)``,
``compute_{power,magnitude}_spectrum(samples, n_fft, window)`` and
``compute_istft(stft_matrix, n_fft, hop_size, window, center)``, and the seed's log-Hz bands (the spectrum
interpolated at each centre); float64 within 1e-9, on real speech."""

import warnings

import numpy as np
import pytest

import spectrograms as sg
from tests.seed_oracle import needs_seed, run_seed

SR = 16000

_SEED_SCRIPT = """
for window in ("hanning", "hamming", "rectangular"):
    stft = sg.StftParams(512, 160, getattr(sg.WindowType, window), True)
    params = sg.SpectrogramParams(stft, 16000.0)
    mel = sg.MelParams(40, 0.0, 8000.0)
    db = sg.LogParams(-70.0)
    out[window + "_linear_power"] = np.asarray(sg.compute_linear_power_spectrogram(x, params, db_params=db).data)
    out[window + "_linear_magnitude"] = np.asarray(sg.compute_linear_magnitude_spectrogram(x, params, db).data)
    out[window + "_linear_db"] = np.asarray(sg.compute_linear_db_spectrogram(x, params, db).data)
    out[window + "_linear_db_none"] = np.asarray(sg.compute_linear_db_spectrogram(x, params).data)
    out[window + "_mel_power"] = np.asarray(sg.compute_mel_power_spectrogram(x, params, mel, db=db).data)
    out[window + "_mel_db"] = np.asarray(sg.compute_mel_db_spectrogram(x, params, mel, db).data)
    out[window + "_mel_magnitude"] = np.asarray(sg.compute_mel_magnitude_spectrogram(x, params, mel).data)
    out[window + "_mel_magnitude_f32"] = np.asarray(sg.compute_mel_magnitude_spectrogram(x, params, mel, dtype="float32").data)
    out[window + "_typed_mel_magnitude"] = np.asarray(sg.SpectrogramPlanner().mel_magnitude_plan(params, mel).compute(x).data)
    out[window + "_mel_db_none"] = np.asarray(sg.compute_mel_db_spectrogram(x, params, mel).data)
    out[window + "_mel_db_f32"] = np.asarray(sg.compute_mel_db_spectrogram(x, params, mel, db, dtype="float32").data)
    out[window + "_stft"] = np.asarray(sg.compute_stft(x, params).data)
    for centre in (True, False):
        axes = sg.compute_linear_power_spectrogram(x, sg.SpectrogramParams(sg.StftParams(512, 160, getattr(sg.WindowType, window), centre), 16000.0))
        out[window + f"_axes_{centre}"] = np.array([axes.duration(), *axes.times, *axes.db_range(), *axes.frequency_range()])
    out[window + "_loghz_power"] = np.asarray(sg.compute_loghz_power_spectrogram(x, params, sg.LogHzParams(48, 30.0, 8000.0)).data)
    out[window + "_loghz_db"] = np.asarray(sg.compute_loghz_db_spectrogram(x, params, sg.LogHzParams(20, 100.0, 4000.0), db).data)
    out[window + "_loghz_frequencies"] = np.asarray(sg.compute_loghz_power_spectrogram(x, params, sg.LogHzParams(48, 30.0, 8000.0)).frequencies)
    out[window + "_mfcc"] = np.asarray(sg.compute_mfcc(x, stft, 16000.0, 40, sg.MfccParams(13)).data)
    out[window + "_mfcc20"] = np.asarray(sg.compute_mfcc(x, stft, 16000.0, 26, sg.MfccParams(20), dtype="float64").data)
    out[window + "_power_spectrum"] = np.asarray(sg.compute_power_spectrum(x[:300], 512, getattr(sg.WindowType, window)))
    out[window + "_magnitude_spectrum"] = np.asarray(sg.compute_magnitude_spectrum(x[:300], 512, getattr(sg.WindowType, window)))
    out[window + "_istft"] = np.asarray(sg.compute_istft(sg.compute_stft(x, params).data, 512, 160,
                                                         getattr(sg.WindowType, window), True))
out["power_spectrum_plain"] = np.asarray(sg.compute_power_spectrum(x[:300], 512))
"""


@pytest.fixture(scope="module")
def voice(speech):
    return np.ascontiguousarray(speech[0][:16000], dtype=np.float64)


@pytest.fixture(scope="module")
def seed_values(voice):
    return run_seed(_SEED_SCRIPT, x=voice)


def _close(ours, theirs, rtol=1e-9):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * float(np.abs(theirs).max()))


@needs_seed
@pytest.mark.parametrize("window", ["hanning", "hamming", "rectangular"])
def test_seed_call_forms_give_the_seed_numbers(window, voice, seed_values):
    stft = sg.StftParams(512, 160, getattr(sg.WindowType, window), True)
    params = sg.SpectrogramParams(stft, 16000.0)
    mel, db = sg.MelParams(40, 0.0, 8000.0), sg.LogParams(-70.0)
    seed = {name[len(window) + 1:]: value for name, value in seed_values.items() if name.startswith(window + "_")}
    _close(sg.compute_linear_power_spectrogram(voice, params, db_params=db).data, seed["linear_power"])
    _close(sg.compute_linear_magnitude_spectrogram(voice, params, db).data, seed["linear_magnitude"])
    _close(sg.compute_linear_db_spectrogram(voice, params, db).data, seed["linear_db"])
    _close(sg.compute_mel_power_spectrogram(voice, params, mel, db=db).data, seed["mel_power"])
    _close(sg.compute_mel_db_spectrogram(voice, params, mel, db).data, seed["mel_db"])
    # the seed's band magnitude: the root of the band power
    _close(sg.compute_mel_magnitude_spectrogram(voice, params, mel).data, seed["mel_magnitude"])
    _close(sg.compute_mel_magnitude_spectrogram(voice, params, mel, dtype="float32").data, seed["mel_magnitude_f32"],
           rtol=1e-5)
    _close(sg.SpectrogramPlanner().mel_magnitude_plan(params, mel).compute(voice).data, seed["typed_mel_magnitude"])
    _close(sg.MelMagnitudePlan(params, mel).compute(voice).data, seed["typed_mel_magnitude"])
    with pytest.warns(UserWarning, match="returns power values"):
        _close(sg.compute_linear_db_spectrogram(voice, params).data, seed["linear_db_none"])
    with pytest.warns(UserWarning, match="returns power values"):
        _close(sg.compute_mel_db_spectrogram(voice, params, mel).data, seed["mel_db_none"])
    float32 = sg.compute_mel_db_spectrogram(voice, params, mel, db, dtype="float32").data
    assert float32.dtype == np.float32
    np.testing.assert_allclose(float32, seed["mel_db_f32"], atol=1e-3)
    _close(sg.compute_stft(voice, params).data, seed["stft"])
    for centre in (True, False):
        axes = sg.compute_linear_power_spectrogram(voice, sg.SpectrogramParams(sg.StftParams(512, 160, stft.window, centre), 16000.0))
        expected = seed[f"axes_{centre}"]
        _close([axes.duration(), *axes.times], expected[:-4])
        _close(axes.frequency_range(), expected[-2:])
        # db_range's low end is the quietest bin (~1e-10 of the peak here), where two float64 FFTs round apart
        np.testing.assert_allclose(axes.db_range(), expected[-4:-2], atol=0.05)
    loghz = sg.compute_loghz_power_spectrogram(voice, params, sg.LogHzParams(48, 30.0, 8000.0))
    _close(loghz.data, seed["loghz_power"])
    _close(loghz.frequencies, seed["loghz_frequencies"])
    _close(sg.compute_loghz_db_spectrogram(voice, params, sg.LogHzParams(20, 100.0, 4000.0), db).data, seed["loghz_db"])
    _close(sg.compute_mfcc(voice, stft, 16000.0, 40, sg.MfccParams(13)).data, seed["mfcc"])
    _close(sg.compute_mfcc(voice, stft_params=stft, sample_rate=16000.0, n_mels=26, mfcc_params=sg.MfccParams(20),
                           dtype="float64").data, seed["mfcc20"])
    _close(sg.compute_power_spectrum(voice[:300], 512, getattr(sg.WindowType, window)), seed["power_spectrum"])
    _close(sg.compute_magnitude_spectrum(voice[:300], 512, getattr(sg.WindowType, window)), seed["magnitude_spectrum"])
    _close(sg.compute_istft(sg.compute_stft(voice, params).data, 512, 160, getattr(sg.WindowType, window), True),
           seed["istft"])


@needs_seed
def test_plain_power_spectrum_equals_the_seeds(voice, seed_values):
    _close(sg.compute_power_spectrum(voice[:300], 512), seed_values["power_spectrum_plain"])


def test_db_keywords_dtype_and_errors(voice):
    params = sg.SpectrogramParams(sg.StftParams(400, 160), SR)
    erb, db = sg.ErbParams(24), sg.LogParams(-60.0)
    power = sg.compute_erb_power_spectrogram(voice, params, erb, db).data
    np.testing.assert_array_equal(sg.compute_erb_db_spectrogram(voice, params, erb, db_params=db).data,
                                  sg.compute_erb_db_spectrogram(voice, params, erb, db).data)
    np.testing.assert_allclose(sg.compute_erb_db_spectrogram(voice, params, erb, db).data,
                               10 * np.log10(np.maximum(power, 1e-6)), rtol=1e-10, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(sg.compute_erb_db_spectrogram(voice, params, erb).data, power)
    assert sg.compute_erb_power_spectrogram(voice.astype(np.float32), params, erb, dtype="float64").data.dtype == np.float64
    assert sg.compute_stft(voice, params, dtype="float32").data.dtype == np.complex64
    with pytest.raises(sg.InvalidTypeError, match="same parameter"):
        sg.compute_linear_db_spectrogram(voice, params, db, db=db)
    with pytest.raises(sg.InvalidTypeError, match="db_params"):
        sg.compute_mel_db_spectrogram(voice, params, sg.MelParams(40), -80.0)
    with pytest.raises(sg.InvalidInputError, match="dtype"):
        sg.compute_linear_power_spectrogram(voice, params, dtype="float16")
    with pytest.raises(sg.InvalidTypeError, match="sample_rate and n_mels"):
        sg.compute_mfcc(voice, params.stft)
    with pytest.raises(sg.InvalidInputError, match="n_mfcc"):
        sg.compute_mfcc(voice, params.stft, SR, 10, sg.MfccParams(13))
    with pytest.raises(sg.InvalidTypeError, match="hop_size and window"):
        sg.compute_istft(sg.compute_stft(voice, params).data, 400)
    with pytest.raises(sg.InvalidTypeError, match="window"):
        sg.compute_power_spectrum(voice[:100], 128, "hann")


_SEED_ERB_SCRIPT = """
for n_fft, n_filters, f_min, f_max in ((512, 40, 50.0, 8000.0), (400, 64, 0.0, 8000.0), (1024, 24, 100.0, 4000.0)):
    params = sg.SpectrogramParams(sg.StftParams(n_fft, 160, sg.WindowType.hanning, True), 16000.0)
    erb = sg.ErbParams(n_filters, f_min, f_max)
    key = f"{n_fft}_{n_filters}"
    out[key + "_power"] = np.asarray(sg.compute_erb_power_spectrogram(x, params, erb).data)
    out[key + "_magnitude"] = np.asarray(sg.compute_erb_magnitude_spectrogram(x, params, erb).data)
    out[key + "_db"] = np.asarray(sg.compute_erb_db_spectrogram(x, params, erb, sg.LogParams(-80.0)).data)
    out[key + "_frequencies"] = np.asarray(sg.compute_erb_power_spectrogram(x, params, erb).frequencies)
"""


@needs_seed
def test_erb_bands_are_the_seeds(voice):
    seed = run_seed(_SEED_ERB_SCRIPT, x=voice)
    for n_fft, n_filters, f_min, f_max in ((512, 40, 50.0, 8000.0), (400, 64, 0.0, 8000.0), (1024, 24, 100.0, 4000.0)):
        params = sg.SpectrogramParams(sg.StftParams(n_fft, 160, sg.WindowType.hanning, True), 16000.0)
        erb = sg.ErbParams(n_filters, f_min, f_max)
        key = f"{n_fft}_{n_filters}"
        power = sg.compute_erb_power_spectrogram(voice, params, erb)
        _close(power.data, seed[key + "_power"])
        _close(power.frequencies, seed[key + "_frequencies"])
        _close(sg.compute_erb_magnitude_spectrogram(voice, params, erb).data, seed[key + "_magnitude"])
        _close(sg.compute_erb_db_spectrogram(voice, params, erb, sg.LogParams(-80.0)).data, seed[key + "_db"])
