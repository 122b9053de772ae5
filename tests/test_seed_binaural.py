"""Binaural spectrograms (ITD/IPD/ILD/ILR, histograms, diffs) against the seed library (float64, 1e-9
relative), against known delays and gains, and their errors."""

import math

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms import binaural, ops
from spectrograms.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError, SpectrogramError
from tests.conftest import tone_mix
from tests.seed_oracle import needs_seed, run_seed

SR = 16000
# (n_fft, hop, window, centre): the seed's default framing, no centring, an odd frame, another window.
FRAMINGS = [(512, 256, "hanning", True), (1024, 160, "hamming", False), (401, 100, "blackman", True),
            (256, 128, "rectangular", True)]
WINDOWS = {"hanning": "WindowType.hanning", "hamming": "WindowType.hamming", "blackman": "WindowType.blackman",
           "rectangular": "WindowType.rectangular"}
# (kind, keyword arguments of the params beyond spectrogram_params)
BANDS = [("itd", {}), ("itd", {"start_freq": 10.0, "end_freq": 1500.0, "magphase_power": 2}),
         ("ipd", {}), ("ipd", {"start_freq": 100.0, "end_freq": 3000.0, "wrapped": True}),
         ("ild", {}), ("ild", {"start_freq": 200.0, "end_freq": 8000.0}), ("ilr", {}),
         ("ilr", {"start_freq": 300.0, "end_freq": 7000.0})]
HISTOGRAMS = {"itd": ["()", "(64, (-0.0005, 0.0005), False, True)", "(num_bins=0, normalize=True)"],
              "ipd": ["()", "(32, (-1.0, 1.0), normalize=True)"],
              "ild": ["()", "(50, (-12.0, 12.0), 1, False, True)", "(num_bins=20, exponent=2)"],
              "ilr": ["()", "(40, (-0.5, 0.5), exponent=1, normalize=True)", "(16, exponent=-1)"]}
PARAMS = {"itd": "ITDSpectrogramParams", "ipd": "IPDSpectrogramParams", "ild": "ILDSpectrogramParams",
          "ilr": "ILRSpectrogramParams"}


def _stereo_of(mono, delay=7, gain=0.5):
    """Right = the left delayed by ``delay`` samples and scaled by ``gain``, plus a little of its own noise
    (so ILD/ILR vary), as a far source to the left would give."""
    right = gain * np.concatenate([np.zeros(delay), mono[:-delay]])
    right = right + 1e-3 * np.random.default_rng(1).standard_normal(len(mono))
    return mono, right


def _close(ours, theirs, tolerance=1e-9):
    """Relative error (max |difference| over max |seed value|) of the finite values, and equal NaN/Inf."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(np.isfinite(ours), finite)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])  # NaN == NaN here, inf signs too
    if finite.any():
        scale = max(np.abs(theirs[finite]).max(), np.finfo(np.float64).tiny)
        assert np.abs(ours[finite] - theirs[finite]).max() / scale <= tolerance


def _histograms_close(ours, theirs):
    """Equal but for the rare value within rounding of a bin edge, which may fall either side of it."""
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])
    moved = np.abs(ours[finite] - theirs[finite]).sum()
    assert moved <= 2e-3 * np.abs(theirs[finite]).sum() + 1e-12, moved


def _params(kind, framing, **kwargs):
    n_fft, hop, window, centre = framing
    spectrogram_params = sg.SpectrogramParams(sg.StftParams(n_fft, hop, getattr(sg.WindowType, window), centre), SR)
    return getattr(sg, PARAMS[kind])(spectrogram_params, **kwargs)


def _seed_script(dtype):
    return f"""
for f, (n_fft, hop, window, centre) in enumerate({FRAMINGS!r}):
    sp = sg.SpectrogramParams(sg.StftParams(n_fft, hop, eval('sg.' + {WINDOWS!r}[window]), centre), {SR})
    for b, (kind, kwargs) in enumerate({BANDS!r}):
        p = getattr(sg, {PARAMS!r}[kind])(sp, **kwargs)
        r = getattr(sg, f'compute_{{kind}}_spectrogram')([left, right], p, dtype={dtype!r})
        key = f'{{f}}_{{b}}'
        out['data_' + key] = r.data
        out['freq_' + key] = np.array(r.frequencies)
        out['time_' + key] = np.array(r.times)
        out['meta_' + key] = np.array([r.n_bins, r.n_frames, r.duration(), *r.frequency_range()])
        for h, call in enumerate({HISTOGRAMS!r}[kind]):
            out[f'hist_{{key}}_{{h}}'] = eval('r.histogram' + call)
        if kind == 'itd':
            d = sg.compute_itd_spectrogram_diff([left, right], [right, left], p, dtype={dtype!r})
            out['diff_' + key] = np.array([*d[0], d[1], d[2]])
        if kind == 'ilr':
            d = sg.compute_ilr_spectrogram_diff([left, right], [left, 0.7 * right], p, dtype={dtype!r})
            out['diff_' + key] = np.array([*d[0], d[1]])
"""


def _check_against(seed, left, right, dtype, tolerance):
    for f, framing in enumerate(FRAMINGS):
        for b, (kind, kwargs) in enumerate(BANDS):
            key, params = f"{f}_{b}", _params(kind, framing, **kwargs)
            result = getattr(sg, f"compute_{kind}_spectrogram")([left, right], params, dtype=dtype)
            assert result.dtype == dtype and result.tensor.dtype == getattr(torch, dtype)
            _close(result.data, seed["data_" + key], tolerance)
            np.testing.assert_allclose(result.frequencies, seed["freq_" + key], rtol=1e-15)
            np.testing.assert_allclose(result.times, seed["time_" + key], rtol=1e-15)
            np.testing.assert_allclose([result.n_bins, result.n_frames, result.duration(), *result.frequency_range()],
                                       seed["meta_" + key], rtol=1e-15)
            for h, call in enumerate(HISTOGRAMS[kind]):
                # Counts are exact; a value within rounding of a bin edge may fall either side of it.
                ours, theirs = eval("result.histogram" + call).numpy(), seed[f"hist_{key}_{h}"]
                assert ours.shape == theirs.shape and ours.dtype == np.float64
                _histograms_close(ours, theirs)
            if kind == "itd":
                per_frame, degrees, median = sg.compute_itd_spectrogram_diff([left, right], [right, left], params,
                                                                             dtype=dtype)
                _close(np.array([*per_frame.numpy(), degrees, median]), seed["diff_" + key], tolerance)
            if kind == "ilr":
                per_frame, mean = sg.compute_ilr_spectrogram_diff([left, right], [left, 0.7 * right], params,
                                                                  dtype=dtype)
                _close(np.array([*per_frame.numpy(), mean]), seed["diff_" + key], tolerance)


def _check_f32(seed, left, right):
    """float32 against the seed's float32 (the same algorithm in single precision, different FFTs)."""
    for f, framing in enumerate(FRAMINGS):
        for b, (kind, kwargs) in enumerate(BANDS):
            result = getattr(sg, f"compute_{kind}_spectrogram")([left, right], _params(kind, framing, **kwargs),
                                                                dtype="float32")
            theirs = seed[f"data_{f}_{b}"]
            assert result.data.dtype == theirs.dtype == np.float32
            ours = result.data
            if kind == "ipd":
                # A phase within rounding of +-pi may come out on either side of the cut: compare modulo 2 pi.
                finite = np.isfinite(theirs)
                ours = theirs.astype(np.float64).copy()
                ours[finite] += np.angle(np.exp(1j * (result.data[finite] - theirs[finite].astype(np.float64))))
            # Measured here: at most 1.5e-3 of the largest value (a weak bin's phase), 5e-6 on average.
            _close(ours, theirs, 5e-3)
            finite = np.isfinite(theirs)
            assert np.abs(ours[finite] - theirs[finite]).mean() <= 1e-4 * np.abs(theirs[finite]).max()


@needs_seed
@pytest.mark.parametrize("signal_kind", ["tones", "speech"])
def test_binaural_spectrograms_equal_the_seed_library(signal_kind, request):
    mono = tone_mix(12000) if signal_kind == "tones" else request.getfixturevalue("speech")[0][:48000]
    left, right = _stereo_of(mono, delay=3 if signal_kind == "tones" else 9, gain=0.5)
    seed = run_seed(_seed_script("float64") + _seed_script("float32").replace("out['", "out['f32_")
                    .replace("out[f'", "out[f'f32_"), left=left, right=right)
    _check_against(seed, left, right, "float64", 1e-9)
    f32 = {key.removeprefix("f32_"): value for key, value in seed.items() if key.startswith("f32_")}
    _check_f32(f32, left, right)


@needs_seed
def test_short_signals_zero_bins_and_input_forms_match_the_seed():
    x = tone_mix(300, seed=3)
    script = """
sp = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.hanning, False), 16000)
out['short'] = sg.compute_ild_spectrogram([x, 0.3 * x], sg.ILDSpectrogramParams(sp)).data
out['zero'] = sg.compute_itd_spectrogram([x, x], sg.ITDSpectrogramParams(sp, 10.0, 600.0)).data
out['silent'] = sg.compute_ilr_spectrogram([x, 0 * x], sg.ILRSpectrogramParams(sp)).data
out['array'] = sg.compute_ipd_spectrogram(np.stack([x, x[::-1]]), sg.IPDSpectrogramParams(sp)).data
"""
    seed = run_seed(script, x=x)
    sp = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.hanning, False), SR)
    _close(sg.compute_ild_spectrogram([x, 0.3 * x], sg.ILDSpectrogramParams(sp)).data, seed["short"])
    zero = sg.compute_itd_spectrogram([x, x], sg.ITDSpectrogramParams(sp, 10.0, 600.0)).data
    _close(zero, seed["zero"])
    assert np.isnan(zero[0]).all()  # bin 0 divides 0 by 0, as in the seed library
    _close(sg.compute_ilr_spectrogram([x, 0 * x], sg.ILRSpectrogramParams(sp)).data, seed["silent"])
    _close(sg.compute_ipd_spectrogram(torch.from_numpy(np.stack([x, x[::-1]])), sg.IPDSpectrogramParams(sp)).data,
           seed["array"])


def test_known_delay_and_gain():
    t = np.arange(SR) / SR
    # Within 1e-4: each tone leaks a little into the other's bins through the window's sidelobes.
    left = np.sin(2 * np.pi * 250.0 * t) + np.sin(2 * np.pi * 2500.0 * t)
    delay = 4  # samples: 0.25 ms, right lags
    right = 0.5 * np.concatenate([np.zeros(delay), left[:-delay]])
    sp = sg.SpectrogramParams(sg.StftParams(1024, 256, sg.WindowType.hanning, True), SR)
    itd = sg.compute_itd_spectrogram([left, right], sg.ITDSpectrogramParams(sp, 100.0, 600.0))
    row = itd.frequencies.index(250.0)
    np.testing.assert_allclose(itd.data[row, 4:-4], delay / SR, rtol=1e-4)
    ipd = sg.compute_ipd_spectrogram([left, right], sg.IPDSpectrogramParams(sp, 100.0, 600.0, wrapped=True))
    np.testing.assert_allclose(ipd.data[row, 4:-4], 2 * np.pi * 250.0 * delay / SR, rtol=1e-4)
    ild = sg.compute_ild_spectrogram([left, right], sg.ILDSpectrogramParams(sp, 2000.0, 3000.0))
    column = ild.frequencies.index(2500.0)
    np.testing.assert_allclose(ild.data[column, 4:-4], 20 * np.log10(2), rtol=1e-4)
    ilr = sg.compute_ilr_spectrogram([left, right], sg.ILRSpectrogramParams(sp, 2000.0, 3000.0))
    np.testing.assert_allclose(ilr.data[column, 4:-4], 0.5, rtol=1e-4)
    mirrored = sg.compute_ilr_spectrogram([right, left], sg.ILRSpectrogramParams(sp, 2000.0, 3000.0))
    np.testing.assert_allclose(mirrored.data[column, 4:-4], -0.5, rtol=1e-4)
    # Noise delayed by 4 samples: most bins of every frame see the 0.25 ms delay.
    noise = np.random.default_rng(2).standard_normal(SR)
    delayed = np.concatenate([np.zeros(delay), noise[:-delay]])
    broadband = sg.compute_itd_spectrogram([noise, delayed], sg.ITDSpectrogramParams(sp, 100.0, 1500.0))
    histogram = broadband.histogram(88, (-0.00088, 0.00088), normalize=True)
    assert histogram.shape == (88, broadband.n_frames) and histogram.dtype == torch.float64
    np.testing.assert_allclose(histogram.sum(0), 1.0)
    assert (histogram[:, 4:-4].argmax(0) == int((delay / SR + 0.00088) / (0.00176 / 88))).all()


def test_one_stft_call_batches_dtypes_and_results(monkeypatch):
    left, right = _stereo_of(tone_mix(8000))
    sp = sg.SpectrogramParams(sg.StftParams(512, 256), SR)
    params = sg.ILDSpectrogramParams(sp)
    calls = []
    native = ops.stft
    monkeypatch.setattr(ops, "stft", lambda signal, *args, **kwargs: calls.append(signal.shape) or
                        native(signal, *args, **kwargs))
    single = sg.compute_ild_spectrogram([left, right], params)
    sg.compute_ilr_spectrogram_diff([left, right], [right, left], sg.ILRSpectrogramParams(sp))
    assert calls == [(2, 8000), (2, 2, 8000)]  # both channels (and both signals) in one native call
    monkeypatch.undo()
    batch = np.stack([np.stack([left, right]), np.stack([right, left])])
    batched = sg.compute_ild_spectrogram(batch, params)
    assert batched.shape == (2, single.n_bins, single.n_frames) and batched.n_bins == single.n_bins
    torch.testing.assert_close(batched.tensor[0], single.tensor, rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(batched.tensor[1], -single.tensor, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert batched.histogram().shape == (2, 400, single.n_frames)
    per_frame, degrees, median = sg.compute_itd_spectrogram_diff(batch, batch[::-1].copy(), sg.ITDSpectrogramParams(sp))
    assert per_frame.shape == (2, single.n_frames) and degrees.shape == median.shape == (2,)
    _, one_degrees, one_median = sg.compute_itd_spectrogram_diff(batch[0], batch[1], sg.ITDSpectrogramParams(sp))
    assert math.isclose(float(degrees[0]), one_degrees, rel_tol=1e-12)
    assert math.isclose(float(median[0]), one_median, rel_tol=1e-12)

    f32 = sg.compute_ild_spectrogram([left.astype(np.float32), right.astype(np.float32)], params)
    assert f32.dtype == "float32" and f32.data.dtype == np.float32
    assert sg.compute_ild_spectrogram(torch.tensor(batch[0], dtype=torch.float32), params, dtype="float64").dtype \
        == "float64"
    assert single.dtype == "float64" and single.shape == (single.n_bins, single.n_frames)
    assert repr(single) == f"IldSpectrogram(shape=({single.n_bins}, {single.n_frames}), dtype=float64)"
    assert single.params is params and single.unit == "ILD (dB)"
    assert isinstance(single.frequencies, list) and isinstance(single.times, list)
    import spectrograms.torch as sgt

    assert single.to_torch().data_ptr() == single.tensor.data_ptr()
    assert sgt.batch([single, single]).shape == (2, single.n_bins, single.n_frames)
    shared = torch.from_dlpack(single)
    assert shared.data_ptr() == single.tensor.data_ptr() and single.__dlpack_device__() == (1, 0)
    assert np.asarray(single).shape == single.shape
    np.testing.assert_array_equal(np.asarray(single, dtype=np.float32), single.data.astype(np.float32))


def test_params_members_and_defaults():
    sp = sg.SpectrogramParams(sg.StftParams(512, 256), SR)
    itd = sg.ITDSpectrogramParams(sp)
    assert (itd.start_freq, itd.end_freq, itd.magphase_power, itd.spectrogram_params) == (50.0, 620.0, 1, sp)
    assert sg.ITDSpectrogramParams(sp, None, None, 0).magphase_power == 1  # the seed reads 0 as 1
    ipd = sg.IPDSpectrogramParams(sp, 60, 700, True)
    assert (ipd.start_freq, ipd.end_freq, ipd.wrapped) == (60.0, 700.0, True)
    assert (sg.ILDSpectrogramParams(sp).start_freq, sg.ILRSpectrogramParams(sp).end_freq) == (1700.0, 4600.0)
    assert sg.ILDSpectrogramParams(sp) == sg.ILDSpectrogramParams(sp, 1700, 4600) != sg.ILRSpectrogramParams(sp)
    assert "start_freq=50.0" in repr(itd)
    for name in binaural.__all__:
        assert getattr(sg, name) is getattr(binaural, name)


def test_errors_name_the_problem():
    sp = sg.SpectrogramParams(sg.StftParams(512, 256), SR)
    x = tone_mix(4000)
    itd = sg.ITDSpectrogramParams(sp)
    cases = [
        (lambda: sg.compute_itd_spectrogram([x], itd), InvalidInputError, "2 channels"),
        (lambda: sg.compute_itd_spectrogram([x, x, x], itd), InvalidInputError, "got 3"),
        (lambda: sg.compute_itd_spectrogram(x, itd), InvalidInputError, "shape"),
        (lambda: sg.compute_itd_spectrogram(np.stack([x, x, x]), itd), InvalidInputError, "(2, time)"),
        (lambda: sg.compute_itd_spectrogram([x, x[:1000]], itd), DimensionMismatchError, "same shape"),
        (lambda: sg.compute_itd_spectrogram([x[:1000], x], itd), DimensionMismatchError, "same shape"),
        (lambda: sg.compute_itd_spectrogram([x, np.zeros(0)], itd), InvalidInputError, "empty"),
        (lambda: sg.compute_itd_spectrogram([x, x * np.nan], itd), InvalidInputError, "NaN"),
        (lambda: sg.compute_itd_spectrogram([x, x], itd, dtype="int"), InvalidInputError, "dtype"),
        (lambda: sg.compute_itd_spectrogram([x, x], sg.ILDSpectrogramParams(sp)), InvalidTypeError, "params"),
        (lambda: sg.compute_itd_spectrogram([x, "a"], itd), InvalidTypeError, "audio[1]"),
        (lambda: sg.compute_itd_spectrogram_diff([x, x], [x[:3000], x[:3000]], itd), DimensionMismatchError,
         "reference and test"),
        (lambda: sg.ITDSpectrogramParams(sp, 700, 600), InvalidInputError, "less than end_freq"),
        (lambda: sg.ILDSpectrogramParams(sp, 0, 600), InvalidInputError, "positive"),
        (lambda: sg.ILRSpectrogramParams(sp, 100, 8001), InvalidInputError, "Nyquist"),
        (lambda: sg.IPDSpectrogramParams(sp, 100, 105), InvalidInputError, "select no FFT bin"),
        (lambda: sg.IPDSpectrogramParams(sp, 100, 600, wrapped=1), InvalidTypeError, "wrapped"),
        (lambda: sg.ITDSpectrogramParams(sp, 50, 600, -1), InvalidInputError, "magphase_power"),
        (lambda: sg.ITDSpectrogramParams(sp, 50, 600, 2.0), InvalidTypeError, "magphase_power"),
        (lambda: sg.ITDSpectrogramParams(sp, float("nan"), 600), InvalidInputError, "start_freq"),
        (lambda: sg.ILDSpectrogramParams("sp"), InvalidTypeError, "spectrogram_params"),
    ]
    result = sg.compute_ild_spectrogram([x, 0.5 * x], sg.ILDSpectrogramParams(sp))
    cases += [
        (lambda: result.histogram(-1), InvalidInputError, "num_bins"),
        (lambda: result.histogram(2.5), InvalidTypeError, "num_bins"),
        (lambda: result.histogram(10, (1.0, -1.0)), InvalidInputError, "min < max"),
        (lambda: result.histogram(10, (0.0, math.inf)), InvalidInputError, "range max"),
        (lambda: result.histogram(10, 5), InvalidTypeError, "pair"),
        (lambda: result.histogram(10, exponent=1.5), InvalidTypeError, "exponent"),
        (lambda: result.histogram(10, normalize="yes"), InvalidTypeError, "normalize"),
    ]
    for call, error, words in cases:
        with pytest.raises(error, match=None) as caught:
            call()
        assert isinstance(caught.value, SpectrogramError) and words in str(caught.value), (words, caught.value)
    # The seed library's own exception types stay catchable: ValueError for values, TypeError for types.
    with pytest.raises(ValueError):
        sg.ITDSpectrogramParams(sp, 700, 600)
    with pytest.raises(TypeError):
        sg.IPDSpectrogramParams(sp, wrapped=1)
