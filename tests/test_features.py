"""ERB and log-Hz spectrograms, MFCC, chromagram and ISTFT: references, peers, plans, bad input.

Peer mappings:
    MFCC, librosa: ``librosa.feature.mfcc(S=mel_db, dct_type=2, norm="ortho", lifter=...)`` where mel_db
        is ``power_to_db(melspectrogram(htk=False, norm=None, pad_mode="constant"), ref=1,
        amin=10 ** (floor_db / 10), top_db=None)``.
    MFCC, torchaudio: ``transforms.MFCC(dct_type=2, norm="ortho", log_mels=False)`` with HTK mels,
        ``norm=None``, ``pad_mode="reflect"``; its dB has amin 1e-10 (``floor_db=-100``) and top_db 80,
        which the test signal's 52 dB range never reaches.
    Chroma, librosa: ``chroma_stft(tuning=0.0, norm=np.inf)`` (our ``ChromaParams.librosa()``: f_min 0, f_max
        Nyquist, norm "max"), same Hann STFT with constant padding. The seed's chroma (``ChromaParams()``) is
        tests/test_seed_chroma.py's.
ERB and log-Hz have no peer with the same filters; they are checked against float64 references
written here from the documented definitions, independently of the library's filterbank code.
"""

import librosa
import numpy as np
import pytest
import torch
import torchaudio

import spectrograms as sg

from .conftest import tone_mix

SR = 16000.0
PARAMS = sg.SpectrogramParams(sg.StftParams(512, 160), SR)
# Relative to the largest value of a result, float32 keeps the FFT's ~1e-7 relative error of a
# frame's energy; float64 agrees to rounding.
RTOL = {np.float32: 1e-4, np.float64: 1e-10}
DB_ATOL = {np.float32: 2e-3, np.float64: 1e-8}
# librosa builds its mel filters in float32, so even float64 mel dB agree only to ~1e-7 relative.
LIBROSA_MEL_DB_ATOL = {np.float32: 2e-3, np.float64: 1e-6}


def _power_stft(x: np.ndarray, params: sg.SpectrogramParams) -> np.ndarray:
    """|STFT|^2 in float64 with torch.stft (constant padding, periodic Hann), shape (n_bins, n_frames)."""
    stft = params.stft
    spec = torch.stft(torch.from_numpy(x.astype(np.float64)), stft.n_fft, stft.hop_size,
                      window=torch.hann_window(stft.n_fft, dtype=torch.float64), center=True,
                      pad_mode="constant", return_complex=True)
    return spec.abs().square().numpy()


def _assert_relative(result: np.ndarray, reference: np.ndarray, dtype):
    assert result.shape == reference.shape
    np.testing.assert_allclose(result, reference, rtol=0, atol=RTOL[dtype] * np.abs(reference).max())


# ---- ERB ----------------------------------------------------------------------------------------


def reference_erb_weights(n_filters, f_min, f_max, n_fft, sample_rate):
    """Glasberg & Moore ERB-rate spacing and 4th-order gammatone power responses, one band at a time."""
    def erb_rate(f):
        return 21.4 * np.log10(1 + 4.37 * f / 1000)

    rates = np.linspace(erb_rate(f_min), erb_rate(f_max), n_filters)
    weights = np.zeros((n_filters, n_fft // 2 + 1))
    for m, rate in enumerate(rates):
        centre = (10 ** (rate / 21.4) - 1) * 1000 / 4.37
        bandwidth = 1.019 * 24.7 * (4.37 * centre / 1000 + 1)
        for k in range(n_fft // 2 + 1):
            w = (1 + ((k * sample_rate / n_fft - centre) / bandwidth) ** 2) ** -4
            weights[m, k] = w if w >= 1e-6 else 0.0
    return weights


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erb_matches_float64_reference(dtype):
    x = tone_mix(8000, dtype=dtype)
    erb = sg.ErbParams(32, f_min=60.0, f_max=7000.0, spacing="erb_rate")
    weights = reference_erb_weights(32, 60.0, 7000.0, 512, SR)
    power = _power_stft(x, PARAMS)
    reference = weights @ power
    result = sg.compute_erb_power_spectrogram(x, PARAMS, erb)
    assert result.tensor.dtype == torch.from_numpy(x).dtype and result.frequency_scale == "erb"
    _assert_relative(result.data, reference, dtype)
    _assert_relative(sg.compute_erb_magnitude_spectrogram(x, PARAMS, erb).data, np.sqrt(weights @ power), dtype)
    db = sg.compute_erb_db_spectrogram(x, PARAMS, erb, sg.LogParams(-70.0)).data
    np.testing.assert_allclose(db, 10 * np.log10(np.maximum(reference, 1e-7)), rtol=0, atol=DB_ATOL[dtype])


@pytest.mark.parametrize("spacing", ["linear", "erb_rate"])
def test_erb_filters_peak_at_their_centres(spacing):
    bank = sg.erb_filterbank(sg.SpectrogramParams(sg.StftParams(4096, 1024), SR),
                             sg.ErbParams(20, 100.0, 6000.0, spacing=spacing))
    scale = bank.frequencies if spacing == "linear" else 21.4 * np.log10(1 + 0.00437 * bank.frequencies)
    np.testing.assert_allclose(np.diff(scale), np.diff(scale)[0], rtol=1e-12)
    assert bank.frequencies[0] == 100.0 and bank.frequencies[-1] == 6000.0
    bins = np.arange(4096 // 2 + 1) * SR / 4096
    np.testing.assert_allclose(bins[bank.matrix.argmax(axis=1)], bank.frequencies, atol=SR / 4096 / 2)
    assert bank.matrix.max() <= 1.0 and bank.matrix.max() > 0.99
    assert (bank.matrix > 0).all() == (spacing == "linear")  # the seed's bank keeps every weight
    with pytest.raises(sg.InvalidInputError, match="spacing"):
        sg.ErbParams(20, spacing="bark")


@pytest.mark.parametrize("band", [sg.ErbParams(24), sg.LogHzParams(24, 40.0)])
@pytest.mark.parametrize("scale", ["power", "magnitude", "db"])
def test_planner_plans_are_the_functions(band, scale):
    x = tone_mix(4000, dtype=np.float32)
    kind = "erb" if isinstance(band, sg.ErbParams) else "loghz"
    db = (sg.LogParams(),) if scale == "db" else ()
    plan = getattr(sg.SpectrogramPlanner(), f"{kind}_{scale}_plan")(PARAMS, band, *db)
    function = getattr(sg, f"compute_{kind}_{scale}_spectrogram")
    result = plan.compute(x)
    assert result.scale == scale and result.band_params == band and plan.n_bins == 24
    np.testing.assert_array_equal(result.data, function(x, PARAMS, band, *db).data)


# ---- log-Hz -------------------------------------------------------------------------------------


def reference_loghz_weights(n_bins, f_min, f_max, n_fft, sample_rate):
    """The documented bands written out one at a time: triangles between neighbouring log-spaced
    centres, never narrower than one FFT bin each side, each row normalised to sum 1."""
    centres = [f_min * (f_max / f_min) ** (m / (n_bins - 1)) for m in range(n_bins)]
    ratio = (f_max / f_min) ** (1 / (n_bins - 1))
    width = sample_rate / n_fft
    weights = np.zeros((n_bins, n_fft // 2 + 1))
    for m, c in enumerate(centres):
        low = min(centres[m - 1] if m > 0 else c / ratio, c - width)
        high = max(centres[m + 1] if m < n_bins - 1 else c * ratio, c + width)
        for k in range(n_fft // 2 + 1):
            f = k * width
            if low < f <= c:
                weights[m, k] = (f - low) / (c - low)
            elif c < f < high:
                weights[m, k] = (high - f) / (high - c)
        weights[m] /= weights[m].sum()
    return weights


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loghz_matches_float64_reference(dtype):
    x = tone_mix(8000, dtype=dtype)
    loghz = sg.LogHzParams(48, 40.0, 7500.0, shape="triangular")
    weights = reference_loghz_weights(48, 40.0, 7500.0, 512, SR)
    power = _power_stft(x, PARAMS)
    result = sg.compute_loghz_power_spectrogram(x, PARAMS, loghz)
    assert result.frequency_scale == "loghz"
    np.testing.assert_allclose(result.frequencies, np.geomspace(40.0, 7500.0, 48), rtol=1e-12)
    _assert_relative(result.data, weights @ power, dtype)
    _assert_relative(sg.compute_loghz_magnitude_spectrogram(x, PARAMS, loghz).data, np.sqrt(weights @ power), dtype)
    db = sg.compute_loghz_db_spectrogram(x, PARAMS, loghz, sg.LogParams()).data
    np.testing.assert_allclose(db, 10 * np.log10(np.maximum(weights @ power, 1e-8)), rtol=0, atol=DB_ATOL[dtype])


def test_interpolated_loghz_bands_are_the_spectrum_at_their_centres():
    # The seed library's default: every band interpolates the power between the two bins around it.
    x = tone_mix(4000)
    result = sg.compute_loghz_power_spectrogram(x, PARAMS, sg.LogHzParams(40, 60.0, 7900.0))
    power, bins = _power_stft(x, PARAMS), PARAMS.bin_frequencies()
    expected = np.stack([np.interp(result.frequencies, bins, frame) for frame in power.T], axis=1)
    np.testing.assert_allclose(result.data, expected, rtol=1e-9, atol=1e-12 * power.max())
    with pytest.raises(sg.InvalidInputError, match="shape"):
        sg.LogHzParams(40, 60.0, shape="gaussian")


def test_triangular_loghz_interpolates_where_bands_are_denser_than_bins():
    # Below ~1.3 kHz the 64 centres are closer together than the 31.25 Hz bins: each band is then
    # the power spectrum linearly interpolated at its centre.
    x = tone_mix(4000)
    loghz = sg.LogHzParams(64, 50.0, 8000.0, shape="triangular")
    result = sg.compute_loghz_power_spectrogram(x, PARAMS, loghz)
    power = _power_stft(x, PARAMS)
    bins = PARAMS.bin_frequencies()
    dense = np.flatnonzero(np.diff(result.frequencies) < SR / 512)[:-1]
    assert dense.size > 20
    for m in dense:
        np.testing.assert_allclose(result.data[m], [np.interp(result.frequencies[m], bins, frame) for frame in power.T],
                                   rtol=1e-10)


def test_loghz_bands_average_a_flat_spectrum_to_itself():
    for shape in sg.LogHzParams.SHAPES:
        bank = sg.loghz_filterbank(PARAMS, sg.LogHzParams(30, 20.0, shape=shape))
        np.testing.assert_allclose(bank.matrix.sum(axis=1), 1.0, rtol=1e-12)
    assert bank.frequencies[-1] == pytest.approx(SR / 2)


# ---- MFCC ---------------------------------------------------------------------------------------


def _librosa_mel_db(x, n_mels, floor_db, n_fft=512, hop=160):
    mel = librosa.feature.melspectrogram(y=x.astype(np.float64), sr=SR, n_fft=n_fft, hop_length=hop, window="hann",
                                         center=True, pad_mode="constant", power=2.0, n_mels=n_mels, htk=False,
                                         norm=None)
    return librosa.power_to_db(mel, ref=1.0, amin=10 ** (floor_db / 10), top_db=None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_mfcc,lifter", [(13, 0.0), (20, 22.0)])
def test_mfcc_matches_librosa(dtype, n_mfcc, lifter):
    x = tone_mix(8000, dtype=dtype)
    result = sg.compute_mfcc(x, PARAMS, 40, sg.MfccParams(n_mfcc, lifter), db_params=sg.LogParams(-80.0))
    assert result.tensor.dtype == torch.from_numpy(x).dtype and result.shape == (n_mfcc, 51)
    # The same mel dB through librosa's DCT: checks the DCT, truncation and lifter exactly.
    ours_db = sg.compute_mel_db_spectrogram(x, PARAMS, sg.MelParams(40), sg.LogParams(-80.0)).data.astype(np.float64)
    same_input = librosa.feature.mfcc(S=ours_db, n_mfcc=n_mfcc, dct_type=2, norm="ortho", lifter=lifter)
    # float32: rounding of 40-term sums of values up to ~100 dB (measured 1.0e-4).
    np.testing.assert_allclose(result.data, same_input, rtol=0, atol=1e-3 if dtype == np.float32 else 1e-10)
    # librosa's whole pipeline: mel dB differs by the dB tolerance, which the DCT keeps (it is orthonormal).
    end_to_end = librosa.feature.mfcc(S=_librosa_mel_db(x, 40, -80.0), n_mfcc=n_mfcc, dct_type=2, norm="ortho",
                                      lifter=lifter)
    scale = 1 + lifter / 2
    np.testing.assert_allclose(result.data, end_to_end, rtol=0,
                               atol=LIBROSA_MEL_DB_ATOL[dtype] * np.sqrt(40) * scale)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mfcc_matches_torchaudio(dtype):
    x = torch.from_numpy(tone_mix(8000)).to(dtype)
    params = sg.SpectrogramParams(sg.StftParams(512, 128, pad_mode="reflect"), SR)
    mel = sg.MelParams(40, scale="htk")
    result = sg.compute_mfcc(x, params, mel, sg.MfccParams(13), db_params=sg.LogParams(-100.0))
    transform = torchaudio.transforms.MFCC(
        SR, n_mfcc=13, dct_type=2, norm="ortho", log_mels=False,
        melkwargs=dict(n_fft=512, hop_length=128, n_mels=40, mel_scale="htk", norm=None, center=True,
                       pad_mode="reflect", power=2.0)).to(dtype)
    reference = transform(x)
    # torchaudio builds its mel filterbank in float32 for either dtype: measured 3.1e-5 dB-units.
    torch.testing.assert_close(result.tensor, reference, rtol=0, atol=2e-4)


def test_mfcc_plan_batch_and_result():
    x = np.stack([tone_mix(4000, seed=1), tone_mix(4000, seed=2)]).astype(np.float32)
    plan = sg.SpectrogramPlanner().mfcc_plan(PARAMS, sg.MelParams(32, 20.0, 7600.0), sg.MfccParams.speech_standard())
    batch = plan.compute(x)
    assert isinstance(batch, sg.Mfcc) and batch.shape == (2, 13, 26) and batch.n_mfcc == 13
    single = sg.compute_mfcc(x[1], PARAMS, sg.MelParams(32, 20.0, 7600.0), sg.MfccParams.speech_standard())
    np.testing.assert_allclose(batch.data[1], single.data, rtol=1e-6, atol=1e-5)
    assert batch.mfcc_params.lifter == 22.0 and batch.mel_params.n_mels == 32 and batch.db_params.floor_db == -80.0
    np.testing.assert_allclose(batch.times, PARAMS.frame_times(26))
    assert [item.shape for item in batch.unbatch()] == [(13, 26), (13, 26)]


def test_dct_matrix_is_orthonormal_dct_ii_and_lifter_matches_librosa():
    import scipy.fft

    basis = sg.dct_matrix(40, 40).numpy()
    np.testing.assert_allclose(basis @ basis.T, np.eye(40), atol=1e-12)
    np.testing.assert_allclose(basis, scipy.fft.dct(np.eye(40), type=2, norm="ortho", axis=0), atol=1e-12)
    assert sg.dct_matrix(13, 40, dtype=torch.float32).shape == (13, 40)
    expected = 1 + 11 * np.sin(np.pi * np.arange(1, 14) / 22)
    np.testing.assert_allclose(sg.lifter_weights(13, 22).numpy(), expected)
    assert torch.equal(sg.lifter_weights(5, 0), torch.ones(5, dtype=torch.float64))


# ---- chroma -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm,librosa_norm", [("max", np.inf), ("l1", 1), ("l2", 2), (None, None)])
def test_chromagram_matches_librosa(dtype, norm, librosa_norm):
    x = tone_mix(8000, dtype=dtype)
    result = sg.compute_chromagram(x, PARAMS, sg.ChromaParams.librosa(norm=norm))
    reference = librosa.feature.chroma_stft(y=x.astype(np.float64), sr=SR, n_fft=512, hop_length=160, tuning=0.0,
                                            norm=librosa_norm, pad_mode="constant")
    assert isinstance(result, sg.Chromagram) and result.tensor.dtype == torch.from_numpy(x).dtype
    # librosa builds the chroma filters in float32, so float64 agrees to float32 precision.
    _assert_relative(result.data, reference, np.float32)


def test_chromagram_24_bins_and_tuning_match_librosa():
    x = tone_mix(8000)
    result = sg.compute_chromagram(x, PARAMS, sg.ChromaParams.librosa(n_chroma=24, tuning=0.25))
    reference = librosa.feature.chroma_stft(y=x, sr=SR, n_fft=512, hop_length=160, tuning=0.25, n_chroma=24)
    _assert_relative(result.data, reference, np.float32)
    assert result.pitch_classes[:3] == ("C", "C+1/2", "C#")


@pytest.mark.parametrize("chroma_params", [sg.ChromaParams(), sg.ChromaParams.librosa()], ids=["seed", "librosa"])
def test_chromagram_rows_are_pitch_classes_from_c(chroma_params):
    t = np.arange(16000) / SR
    params = sg.SpectrogramParams(sg.StftParams(4096, 1024), SR)
    for name, freq in [("A", 440.0), ("C", 261.63), ("E", 329.63), ("G#", 415.30)]:
        chroma = sg.compute_chromagram(np.sin(2 * np.pi * freq * t), params, chroma_params)
        assert chroma.pitch_classes == sg.filterbanks.PITCH_CLASSES
        assert chroma.pitch_classes[int(np.median(chroma.data.argmax(axis=0)))] == name
        norms = np.linalg.norm(chroma.data, axis=0) if chroma_params.norm == "l2" else chroma.data.max(axis=0)
        assert norms == pytest.approx(1.0)
    assert chroma.frequencies[9] == pytest.approx(440.0)


def test_a_chroma_range_leaves_out_bins_outside_c1_to_c8():
    standard = sg.ChromaParams.librosa(f_min=32.703195662574764, f_max=4186.009044809578)
    params = sg.SpectrogramParams(sg.StftParams(2048, 512), 22050.0)
    bank = sg.chroma_filterbank(params, standard)
    reference = librosa.filters.chroma(sr=22050, n_fft=2048, dtype=np.float64)
    bins = params.bin_frequencies()
    inside = (bins >= standard.f_min) & (bins <= standard.f_max)
    np.testing.assert_allclose(bank.matrix[:, inside], reference[:, inside], atol=1e-12)
    assert not bank.matrix[:, ~inside].any()
    x = tone_mix(22050)
    chroma = sg.compute_chromagram(x, params, standard)
    raw = bank.matrix @ _power_stft(x, params)
    np.testing.assert_allclose(chroma.data, raw / raw.max(axis=0), rtol=1e-9)


def test_silent_frames_stay_zero_and_plan_batches():
    x = np.zeros((2, 4000), dtype=np.float32)
    x[1] = tone_mix(4000, dtype=np.float32)
    plan = sg.SpectrogramPlanner().chromagram_plan(PARAMS, sg.ChromaParams())
    chroma = plan.compute(x)
    assert chroma.shape == (2, 12, 26) and chroma.n_chroma == 12
    assert not chroma.data[0].any() and np.isfinite(chroma.data).all()
    np.testing.assert_allclose(chroma.data[1], sg.compute_chromagram(x[1], PARAMS).data, rtol=1e-5, atol=1e-6)


# ---- ISTFT --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stft", [sg.StftParams(512, 128), sg.StftParams(400, 200, pad_mode="reflect"),
                                  sg.StftParams(512, 160, window=sg.WindowType.hamming)])
def test_istft_returns_the_signal(dtype, stft):
    x = tone_mix(7001, dtype=dtype)
    params = sg.SpectrogramParams(stft, SR)
    back = sg.compute_istft(sg.compute_stft(x, params))
    assert back.dtype == torch.from_numpy(x).dtype and back.shape == x.shape
    error = np.abs(back.numpy() - x).max() / np.abs(x).max()
    assert error < (1e-5 if dtype == np.float32 else 1e-12), error


def test_istft_of_arrays_batches_and_length():
    x = np.stack([tone_mix(5000, seed=3), tone_mix(5000, seed=4)])
    stft = sg.compute_stft(x, PARAMS)
    from_array = sg.compute_istft(stft.data, PARAMS, length=5000)
    np.testing.assert_allclose(from_array.numpy(), x, atol=1e-12)
    assert sg.compute_istft(torch.from_numpy(stft.data), PARAMS).shape == (2, 160 * (stft.n_frames - 1))
    longer = sg.compute_istft(stft, length=6000)
    # Past the signal the frames' zero padding comes back (to rounding), past the frames plain zeros.
    assert longer[:, 5000:].abs().max() < 1e-9 and not longer[:, 5216:].any()


def test_istft_refuses_settings_that_cannot_invert():
    params = sg.SpectrogramParams(sg.StftParams(512, 128, centre=False), SR)
    stft = sg.compute_stft(tone_mix(4000), params)
    with pytest.raises(sg.InvalidInputError, match="cannot invert.*center=False"):
        sg.compute_istft(stft)
    gaps = sg.SpectrogramParams(sg.StftParams(256, 512), SR)
    with pytest.raises(sg.InvalidInputError, match="cannot invert.*hop_length=512"):
        sg.compute_istft(sg.compute_stft(tone_mix(4000), gaps))


# ---- bad input ----------------------------------------------------------------------------------


SPECTROGRAM_FUNCTIONS = [
    (sg.compute_erb_power_spectrogram, sg.ErbParams(20), "erb_params"),
    (sg.compute_erb_magnitude_spectrogram, sg.ErbParams(20), "erb_params"),
    (sg.compute_erb_db_spectrogram, sg.ErbParams(20), "erb_params"),
    (sg.compute_loghz_power_spectrogram, sg.LogHzParams(20, 50.0), "loghz_params"),
    (sg.compute_loghz_magnitude_spectrogram, sg.LogHzParams(20, 50.0), "loghz_params"),
    (sg.compute_loghz_db_spectrogram, sg.LogHzParams(20, 50.0), "loghz_params"),
    (lambda x, p, band: sg.compute_mfcc(x, p, 20, band), sg.MfccParams(), "mfcc_params"),
    (sg.compute_chromagram, sg.ChromaParams(), "chroma_params"),
]


@pytest.mark.parametrize("function,band,band_name", SPECTROGRAM_FUNCTIONS)
def test_feature_functions_refuse_bad_input(function, band, band_name):
    x = tone_mix(2000, dtype=np.float32)
    with pytest.raises(sg.InvalidTypeError, match=band_name):
        function(x, PARAMS, "not params")
    with pytest.raises(sg.InvalidTypeError, match="params"):
        function(x, {"n_fft": 512}, band)
    with pytest.raises(sg.InvalidTypeError, match="samples"):
        function("audio.wav", PARAMS, band)
    with pytest.raises(sg.InvalidTypeError, match="samples"):
        function(x.astype(np.complex64), PARAMS, band)
    with pytest.raises(sg.InvalidInputError, match="samples"):
        function(np.zeros((2, 2, 100), dtype=np.float32), PARAMS, band)
    with pytest.raises(sg.InvalidInputError, match="samples is empty"):
        function(np.zeros(0, dtype=np.float32), PARAMS, band)
    x[100] = np.nan
    with pytest.raises(sg.InvalidInputError, match="NaN or Inf"):
        function(x, PARAMS, band)


def test_band_ranges_are_checked_against_the_sample_rate():
    with pytest.raises(sg.InvalidInputError, match="f_max=9000.0 Hz is above the Nyquist"):
        sg.compute_erb_power_spectrogram(tone_mix(2000), PARAMS, sg.ErbParams(20, f_max=9000.0))
    with pytest.raises(sg.InvalidInputError, match="f_min=8500.0 Hz must be below"):
        sg.compute_loghz_power_spectrogram(tone_mix(2000), PARAMS, sg.LogHzParams(20, 8500.0))
    # a chroma range beyond Nyquist keeps every bin up to it, as the seed's C1-C8 default at 8 kHz does
    below_nyquist = sg.ChromaParams(f_max=4000.0)
    at_8k = sg.SpectrogramParams(sg.StftParams(512, 128), 8000.0)
    np.testing.assert_array_equal(sg.compute_chromagram(tone_mix(2000), at_8k, sg.ChromaParams()).data,
                                  sg.compute_chromagram(tone_mix(2000), at_8k, below_nyquist).data)


def test_mfcc_refuses_bad_mel_and_too_many_coefficients():
    x = tone_mix(2000)
    with pytest.raises(sg.InvalidTypeError, match="mel must be a MelParams or an int"):
        sg.compute_mfcc(x, PARAMS, "40")
    with pytest.raises(sg.InvalidInputError, match="n_mels must be a positive int"):
        sg.compute_mfcc(x, PARAMS, 0)
    with pytest.raises(sg.InvalidInputError, match="n_mfcc=20 must be at most the number of mel bands n_mels=10"):
        sg.compute_mfcc(x, PARAMS, 10, sg.MfccParams(20))
    with pytest.raises(sg.InvalidTypeError, match="db_params"):
        sg.compute_mfcc(x, PARAMS, 20, db_params=-80.0)


def test_istft_refuses_bad_input():
    stft = sg.compute_stft(tone_mix(2000), PARAMS)
    with pytest.raises(sg.InvalidTypeError, match="stft"):
        sg.compute_istft("spectrum", PARAMS)
    with pytest.raises(sg.InvalidTypeError, match="stft must contain numbers"):
        sg.compute_istft(np.ones((257, 4), dtype=bool), PARAMS)
    with pytest.raises(sg.InvalidInputError, match="params is required"):
        sg.compute_istft(stft.data)
    with pytest.raises(sg.InvalidTypeError, match="params"):
        sg.compute_istft(stft.data, PARAMS.stft)
    with pytest.raises(sg.InvalidInputError, match="257 frequency bins but n_fft=256"):
        sg.compute_istft(stft.data, sg.SpectrogramParams(sg.StftParams(256, 64), SR))
    with pytest.raises(sg.InvalidInputError, match="stft must have shape"):
        sg.compute_istft(stft.data[:, 0], PARAMS)
    with pytest.raises(sg.InvalidInputError, match="stft is empty"):
        sg.compute_istft(stft.data[:, :0], PARAMS)
    with pytest.raises(sg.InvalidInputError, match="length must be a positive int"):
        sg.compute_istft(stft, length=0)
    with pytest.raises(sg.InvalidTypeError, match="length"):
        sg.compute_istft(stft, length=2.5)
    broken = stft.data.copy()
    broken[3, 2] = np.inf
    with pytest.raises(sg.InvalidInputError, match="NaN or Inf"):
        sg.compute_istft(broken, PARAMS)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: sg.ErbParams(0), "n_filters"),
        (lambda: sg.ErbParams(10, f_min=-1.0), "f_min"),
        (lambda: sg.ErbParams(10, f_min=500.0, f_max=100.0), "f_min must be below f_max"),
        (lambda: sg.LogHzParams(10, 0.0), "f_min must be positive"),
        (lambda: sg.LogHzParams(-3, 20.0), "n_bins"),
        (lambda: sg.LogHzParams(10, 20.0, float("inf")), "f_max must be finite"),
        (lambda: sg.ChromaParams(n_chroma=13), "n_chroma must be a positive multiple of 12"),
        (lambda: sg.ChromaParams.librosa(tuning=0.7), r"tuning must be in \[-0.5, 0.5\]"),
        (lambda: sg.ChromaParams(tuning=-440.0), "tuning must be"),
        (lambda: sg.ChromaParams(norm="inf"), "norm must be one of"),
        (lambda: sg.MfccParams(n_mfcc=0), "n_mfcc"),
        (lambda: sg.MfccParams(lifter=-2), "lifter must be >= 0"),
    ],
)
def test_parameter_objects_name_the_bad_value(make, message):
    with pytest.raises(sg.InvalidInputError, match=message):
        make()


@pytest.mark.parametrize(
    "make,message",
    [(lambda: sg.ErbParams(2.5), "n_filters"), (lambda: sg.LogHzParams(10, "20"), "f_min"),
     (lambda: sg.ChromaParams(n_chroma=True), "n_chroma"), (lambda: sg.MfccParams(lifter="22"), "lifter")],
)
def test_parameter_objects_name_the_bad_type(make, message):
    with pytest.raises(sg.InvalidTypeError, match=message):
        make()


# ---- results and the seed page's DLPack snippets ------------------------------------------------


def test_seed_dlpack_chromagram():
    samples = tone_mix(16000, dtype=np.float32)
    params = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning), 16000.0)
    chroma = sg.compute_chromagram(samples, params)
    tensor = torch.from_dlpack(chroma)
    assert tensor.shape == (12, 63)
    chroma.data[0, 0] = 999.0
    assert tensor[0, 0] == 999.0
    array = np.from_dlpack(chroma)
    assert np.shares_memory(array, chroma.data)
    copied = torch.from_dlpack(chroma.__dlpack__(copy=True))
    chroma.data[1, 1] = -5.0
    assert copied[1, 1] != -5.0
    assert chroma.__dlpack_device__() == (1, 0)
    versioned = torch.from_dlpack(chroma.__dlpack__(stream=None, max_version=(1, 0), dl_device=None, copy=None))
    assert versioned.data_ptr() == chroma.tensor.data_ptr()
    assert np.asarray(chroma).shape == (12, 63) and chroma.floor == 0.0


def test_mfcc_exports_through_dlpack():
    mfcc = sg.compute_mfcc(tone_mix(8000, dtype=np.float32), PARAMS, 40)
    tensor = torch.from_dlpack(mfcc)
    mfcc.data[2, 3] = 123.0
    assert tensor[2, 3] == 123.0 and np.shares_memory(np.from_dlpack(mfcc), mfcc.data)
