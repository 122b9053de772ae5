"""Options torchaudio and librosa users pass to the nn layers (issue 15), and float64-exact layers.

References: torchaudio 2.11 transforms (float64 ones built under a float64 default dtype, so that their
window, filterbank and DCT are float64 too), librosa 0.11's filters with ``dtype=np.float64`` and
``scipy.fft.dct``. Tolerances: float32 within 1e-5 of the reference's largest value, float64 within
1e-10 of it (the float64 computations differ only in summation order, ~1e-14 measured).
"""

import contextlib
import math
import warnings

import librosa
import numpy as np
import pytest
import scipy.fft
import torch
import torchaudio
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms.nn as snn
from spectrograms.errors import InvalidInputError, SpectrogramError

from .conftest import tone_mix

T = torchaudio.transforms
TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


@contextlib.contextmanager
def default_dtype(dtype):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def torchaudio_layer(factory, dtype):
    """torchaudio's layer with buffers built in ``dtype`` (its constructors use the default dtype)."""
    with default_dtype(dtype), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory().to(dtype)


def assert_close(ours, reference, dtype, what=""):
    ours, reference = torch.as_tensor(ours).double(), torch.as_tensor(reference).double()
    assert ours.shape == reference.shape, (what, ours.shape, reference.shape)
    scale = float(reference.abs().max()) or 1.0
    error = float((ours - reference).abs().max()) / scale
    assert error <= TOL[dtype], f"{what}: relative error {error:.3g} > {TOL[dtype]:g}"


@pytest.fixture(scope="module")
def signals(speech):
    samples, _ = speech
    return {"speech": samples[:32000], "tones": tone_mix(24000, seed=3)}


LAYER_CASES = {
    "spectrogram": (dict(n_fft=400), {}),
    "magnitude_win_length": (dict(n_fft=512, win_length=300, hop_length=128, power=1.0), {}),
    "hamming_normalized": (dict(n_fft=400, window_fn=torch.hamming_window, normalized=True), {}),
    "kaiser_wkwargs": (dict(n_fft=256, window_fn=torch.kaiser_window, wkwargs={"beta": 8.0, "periodic": False}), {}),
    "mel": (dict(n_fft=400), dict(sample_rate=16000, n_mels=64)),
    "mel_slaney": (dict(n_fft=512, hop_length=160), dict(sample_rate=16000, n_mels=40, norm="slaney",
                                                        mel_scale="slaney", f_min=50.0, f_max=7600.0)),
    "mel_magnitude_constant": (dict(n_fft=400, power=1.0, pad_mode="constant"), dict(sample_rate=16000, n_mels=32)),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", sorted(LAYER_CASES))
@pytest.mark.parametrize("signal_name", ["speech", "tones"])
def test_spectrogram_layers_match_torchaudio(signals, case, dtype, signal_name):
    stft, mel = LAYER_CASES[case]
    if mel:
        ours, theirs = snn.MelSpectrogram(**stft, **mel), lambda: T.MelSpectrogram(**stft, **mel)
    else:
        ours, theirs = snn.Spectrogram(**stft), lambda: T.Spectrogram(**stft)
    x = torch.from_numpy(signals[signal_name]).to(dtype)[None]
    assert_close(ours.to(dtype)(x), torchaudio_layer(theirs, dtype)(x), dtype, case)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("melkwargs", [None, {"n_fft": 512, "hop_length": 160, "n_mels": 40}])
@pytest.mark.parametrize("log_mels", [False, True])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_mfcc_matches_torchaudio(signals, dtype, melkwargs, log_mels, norm):
    """Including ``norm=None`` (refused before), float64 to 1e-10 (float32-built DCT before: 2e-5)."""
    kwargs = dict(sample_rate=16000, n_mfcc=13, norm=norm, log_mels=log_mels, melkwargs=melkwargs)
    x = torch.from_numpy(signals["speech"]).to(dtype)  # one item: torchaudio's top_db spans the batch
    ours = snn.MFCC(**kwargs).to(dtype)(x)
    assert_close(ours, torchaudio_layer(lambda: T.MFCC(**kwargs), dtype)(x), dtype, "mfcc")


@pytest.mark.parametrize("dct_type", [2])  # torchaudio's only type; dct_basis' 1 and 3: test_dct_basis_matches_scipy
@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize("lifter", [0, 22])
def test_mfcc_dct_types_and_lifter_match_librosa(signals, dct_type, norm, lifter):
    """librosa.feature.mfcc(S=dB mel, dct_type, norm, lifter) on the same float64 dB mel spectrogram."""
    x = torch.from_numpy(signals["tones"])
    layer = snn.MFCC(sample_rate=16000, n_mfcc=20, dct_type=dct_type, norm=norm, lifter=lifter,
                     melkwargs={"n_fft": 512, "n_mels": 40}).double()
    mel_db = snn.AmplitudeToDB(top_db=80.0).double()(layer.mel_spectrogram(x)).numpy()
    reference = librosa.feature.mfcc(S=mel_db, n_mfcc=20, dct_type=dct_type, norm=norm, lifter=lifter)
    assert_close(layer(x), reference, torch.float64, "mfcc")
    float32 = snn.MFCC(sample_rate=16000, n_mfcc=20, dct_type=dct_type, norm=norm, lifter=lifter,
                       melkwargs={"n_fft": 512, "n_mels": 40})
    assert_close(float32(x.float()), reference, torch.float32, "mfcc float32")


def stft_power(x: np.ndarray, n_fft: int, hop_length: int, pad_mode="reflect", power=2.0) -> np.ndarray:
    """float64 ``|STFT|^power`` with torchaudio's defaults (periodic Hann, centred)."""
    spec = torch.stft(torch.from_numpy(x), n_fft, hop_length, window=torch.hann_window(n_fft, dtype=torch.float64),
                      center=True, pad_mode=pad_mode, return_complex=True)
    return spec.abs().pow(power).numpy()


@pytest.mark.parametrize("norm", [1, 2, np.inf, 1.0, 2.0, float("inf")])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mel_numeric_norms_match_librosa(signals, norm, dtype):
    x = signals["speech"]
    layer = snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=40, norm=norm,
                               mel_scale="slaney").to(dtype)
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, norm=norm, htk=False, dtype=np.float64)
    reference = fb @ stft_power(x, 512, 256)
    assert_close(layer(torch.from_numpy(x).to(dtype)), reference, dtype, f"norm={norm}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_f_max_above_nyquist_as_torchaudio_with_warning(signals, dtype):
    x = torch.from_numpy(signals["speech"]).to(dtype)
    with pytest.warns(UserWarning, match="above the Nyquist frequency"):
        layer = snn.MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=40, f_max=10000.0)
    theirs = torchaudio_layer(lambda: T.MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=40, f_max=10000.0),
                              dtype)
    assert_close(layer.to(dtype)(x), theirs(x), dtype, "f_max=10000")
    layer = snn.MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=40, f_max=10000.0)
    fb = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40, fmax=10000.0, htk=True, norm=None, dtype=np.float64)
    assert_close(layer.double()(x.double()), fb @ stft_power(x.double().numpy(), 400, 200), torch.float64, "librosa")


@pytest.mark.parametrize("f_min, f_max", [(8000.0, 8000.0), (6000.0, 6000.0), (7000.0, 3000.0), (9000.0, None)])
def test_empty_frequency_range_gives_zero_filters_with_warning(signals, f_min, f_max):
    """torchaudio computes all-zero filters for f_min == f_max (and refuses f_min > f_max); librosa gives
    zero filters for f_min > f_max: accepted with a warning, all zeros."""
    x = torch.from_numpy(signals["tones"]).float()
    with pytest.warns(UserWarning, match="is not below f_max"):
        layer = snn.MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=16, f_min=f_min, f_max=f_max)
    out = layer(x)
    assert out.shape == (16, 121) and bool((out == 0).all())
    if f_min == f_max:
        # torchaudio's filters are 0 there, except NaN (0/0) in the bin at exactly f_min (6000 Hz is bin 150);
        # NaN from a parameter is what this library never returns, so that bin is 0 here too.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torchaudio.functional.melscale_fbanks(201, f_min, f_max, 16, 16000)
        assert bool((theirs.nan_to_num(0.0) == 0).all())


@pytest.mark.parametrize("pad_mode", ["replicate", "circular", "reflect", "constant"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("power", [2.0, None])
def test_pad_modes_match_torchaudio(signals, pad_mode, dtype, power):
    x = torch.from_numpy(np.stack([signals["speech"][:20000], signals["tones"][:20000]])).to(dtype)
    kwargs = dict(n_fft=512, hop_length=128, pad_mode=pad_mode, power=power)
    ours = snn.Spectrogram(**kwargs).to(dtype)(x)
    theirs = torchaudio_layer(lambda: T.Spectrogram(**kwargs), dtype)(x)
    assert_close(torch.view_as_real(ours) if power is None else ours,
                 torch.view_as_real(theirs) if power is None else theirs, dtype, pad_mode)
    mel = snn.MelSpectrogram(sample_rate=16000, n_fft=512, n_mels=40, pad_mode=pad_mode).to(dtype)
    assert_close(mel(x), torchaudio_layer(lambda: T.MelSpectrogram(sample_rate=16000, n_fft=512, n_mels=40,
                                                                   pad_mode=pad_mode), dtype)(x), dtype, pad_mode)


def test_pad_modes_script_and_refuse_short_circular_input():
    layer = snn.Spectrogram(n_fft=64, hop_length=16, pad_mode="circular")
    x = torch.randn(3, 500)
    assert torch.allclose(torch.jit.script(layer)(x), layer(x), rtol=1e-6, atol=1e-6)
    with pytest.raises(InvalidInputError, match="circular"):
        layer(torch.randn(20))


def test_n_fft_longer_than_the_signal_warns_as_librosa():
    x = np.random.default_rng(0).standard_normal(300)
    with pytest.warns(UserWarning, match="n_fft=400 is too large for input signal of length=300") as ours:
        snn.Spectrogram(n_fft=400, pad_mode="constant")(torch.from_numpy(x))
    with pytest.warns(UserWarning) as theirs:
        librosa.stft(x, n_fft=400)
    assert str(ours[0].message) in [str(w.message) for w in theirs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snn.Spectrogram(n_fft=400, center=False)(torch.from_numpy(np.zeros(400)))
        snn.Spectrogram(n_fft=400)(torch.from_numpy(np.zeros(400)))


@pytest.mark.parametrize("layer", ["spectrogram", "mel", "mfcc", "chroma", "erb", "loghz"])
@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_is_float32_cast_at_the_end(signals, layer, half):
    build = {"spectrogram": lambda: snn.Spectrogram(n_fft=400), "mel": lambda: snn.MelSpectrogram(n_mels=40),
             "mfcc": lambda: snn.MFCC(n_mfcc=13), "chroma": lambda: snn.Chromagram(n_fft=2048),
             "erb": lambda: snn.ErbSpectrogram(n_filters=32), "loghz": lambda: snn.LogHzSpectrogram(n_bins=48)}[layer]
    module = build()
    x = torch.from_numpy(signals["speech"][:16000]).to(half)
    out = module(x)
    assert out.dtype == half
    torch.testing.assert_close(out, module(x.float()).to(half), rtol=0, atol=0)


def dense_band_reference(layer, x: np.ndarray) -> np.ndarray:
    """float64 filterbank matrix @ float64 torch.stft power (the layers' own definition of their bands)."""
    fb = np.zeros((layer.n_bins, layer.n_fft // 2 + 1))
    crow, col, val = layer.fb_crow.numpy(), layer.fb_col.numpy(), layer._fb_val64.numpy()
    rows = np.repeat(np.arange(layer.n_bins), np.diff(crow))
    fb[rows, col] = val
    return fb @ stft_power(x, layer.n_fft, layer.hop_length)


@pytest.mark.parametrize("name", ["erb", "loghz"])
def test_erb_and_loghz_layers_are_float64_exact(signals, name):
    layer = snn.ErbSpectrogram(n_filters=40) if name == "erb" else snn.LogHzSpectrogram(n_bins=60)
    x = signals["speech"]
    assert_close(layer.double()(torch.from_numpy(x)), dense_band_reference(layer, x), torch.float64, name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chromagram_layer_matches_librosa_filters(signals, dtype):
    """The max-normalised chroma of librosa's float64 chroma filters on the same power spectrogram."""
    x = signals["tones"]
    layer = snn.Chromagram(sample_rate=16000, n_fft=2048, hop_length=512).to(dtype)
    fb = librosa.filters.chroma(sr=16000, n_fft=2048, tuning=0.0, dtype=np.float64)
    reference = librosa.util.normalize(fb @ stft_power(x, 2048, 512), norm=np.inf, axis=-2)
    assert_close(layer(torch.from_numpy(x).to(dtype)), reference, dtype, "chroma")


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=False), st.integers(-5, 5), st.text(max_size=6)))
def test_mel_norm_refusals(norm):
    allowed = norm in (1, 2, math.inf) or norm == "slaney"
    try:
        snn.MelSpectrogram(n_fft=128, n_mels=8, norm=norm)
    except SpectrogramError as error:
        assert not allowed and "norm" in str(error) and repr(norm) in str(error)
    else:
        assert allowed or norm in ("none", "l1", "l2")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=10))
def test_pad_mode_refusals(pad_mode):
    try:
        snn.Spectrogram(n_fft=64, pad_mode=pad_mode)
    except InvalidInputError as error:
        assert pad_mode not in ("reflect", "constant", "replicate", "circular")
        assert "pad_mode" in str(error) and repr(pad_mode) in str(error)
    else:
        assert pad_mode in ("reflect", "constant", "replicate", "circular")


@settings(max_examples=60, deadline=None)
@given(st.integers(-3, 6), st.one_of(st.none(), st.text(max_size=6)), st.floats(-50, 50, allow_nan=False))
def test_mfcc_option_refusals(dct_type, norm, lifter):
    try:
        snn.MFCC(n_mfcc=8, dct_type=dct_type, norm=norm, lifter=lifter, melkwargs={"n_fft": 128, "n_mels": 16})
    except SpectrogramError as error:
        message = str(error)
        assert (dct_type != 2 and "dct_type" in message) or \
            (norm not in (None, "ortho") and "norm" in message) or \
            ((lifter < 0 or 0 < lifter < 1e-6) and "lifter" in message)
    else:
        assert dct_type == 2 and norm in (None, "ortho") and lifter >= 0


def test_dct_basis_matches_scipy():
    from spectrograms.filterbanks import dct_basis

    x = np.random.default_rng(2).standard_normal((24, 5))
    for dct_type in (1, 2, 3):
        for norm in (None, "ortho"):
            for n_mfcc in (24, 7):
                reference = scipy.fft.dct(x, type=dct_type, norm=norm, axis=0)[:n_mfcc]
                np.testing.assert_allclose(dct_basis(n_mfcc, 24, dct_type, norm).numpy() @ x, reference,
                                           rtol=0, atol=1e-12)


CHROMA_OPTIONS = [{}, {"tuning": None}, {"ctroct": 4.0, "octwidth": 1.0}, {"octwidth": None, "base_c": False},
                  {"norm": np.inf}, {"norm": 2, "tuning": None, "n_chroma": 24}, {"norm": 1, "tuning": 0.2}]


def detuned_chord(seconds: float, sr: int, deviation: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    f0 = 440.0 * 2 ** (deviation / 12)
    chord = sum(np.sin(2 * np.pi * f0 * 2 ** (k / 12) * t) / (1 + abs(k)) for k in (0, 3, 7, 12, -5))
    return chord + 0.01 * np.random.default_rng(4).standard_normal(len(t))


@pytest.mark.parametrize("options", CHROMA_OPTIONS)
@pytest.mark.parametrize("clip", ["chord", "speech"])
def test_chromagram_options_match_librosa_chroma_stft(signals, options, clip):
    """librosa.feature.chroma_stft with the same options (tuning=None estimated from the input, as librosa
    estimates it). librosa builds its chroma filters in float32, so agreement is to float32 rounding of
    values in [0, 1]: 1e-6 (measured 2e-8); against librosa's filters in float64 the float64 layer is exact."""
    y, sr = (detuned_chord(2.0, 22050, 0.27), 22050) if clip == "chord" else (signals["speech"], 16000)
    layer = snn.Chromagram(sample_rate=sr, n_fft=2048, hop_length=512, pad_mode="constant", **options).double()
    ours = layer(torch.from_numpy(y)).numpy()
    kwargs = dict(options)
    kwargs.setdefault("tuning", 0.0)
    kwargs.setdefault("norm", np.inf)
    reference = librosa.feature.chroma_stft(y=y, sr=sr, n_fft=2048, hop_length=512, **kwargs)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-6)
    if options.get("tuning", 0.0) is None:
        tuning = librosa.estimate_tuning(S=np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2, sr=sr,
                                         bins_per_octave=options.get("n_chroma", 12))
        assert layer.last_tuning == pytest.approx(tuning, abs=1e-12)
        fb = librosa.filters.chroma(sr=sr, n_fft=2048, tuning=tuning, n_chroma=options.get("n_chroma", 12),
                                    dtype=np.float64)
        exact = librosa.util.normalize(fb @ (np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2),
                                       norm=kwargs["norm"], axis=-2)
        np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=False), st.integers(-3, 4), st.sampled_from(["max", "l1", "l2", "inf", "x"])),
       st.one_of(st.floats(-20, 20), st.just(float("inf"))), st.one_of(st.none(), st.floats(-3, 3)))
def test_chromagram_option_refusals(norm, ctroct, octwidth):
    norm_ok = norm in ("max", "l1", "l2") or (not isinstance(norm, str) and norm in (1, 2, math.inf))
    ok = norm_ok and math.isfinite(ctroct) and (octwidth is None or octwidth > 0)
    try:
        snn.Chromagram(n_fft=256, norm=norm, ctroct=ctroct, octwidth=octwidth)
    except SpectrogramError as error:
        assert not ok
        message = str(error)
        named = [name for name, bad in (("norm", not norm_ok), ("ctroct", not math.isfinite(ctroct)),
                                        ("octwidth", octwidth is not None and octwidth <= 0)) if bad]
        assert any(name in message for name in named), message
    else:
        assert ok
