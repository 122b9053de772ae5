"""spectrograms.compat.librosa.constantq against librosa 0.11 (issue 15): cqt, vqt, icqt, chroma_cqt and
the tuning estimate, on a music-like signal (harmonic notes with onsets and decays, a chord sequence,
a little noise) and real speech.

Tolerances, relative to the reference's largest magnitude:
- ``res_type='fft'``/``'scipy'`` and ``'polyphase'``: the same resampling as scipy computes it, the
  same complex64 filter basis as librosa builds: float64 within 1e-10 (measured 1e-15), float32
  within 5e-6 (measured 8e-7: float32 FFTs in a different order).
- the default ``'soxr_hq'``: the SoX resampler is approximated (see the module): cqt measured ~1e-5
  away from the ends, allowed 1e-4; the first and last ~0.5 s of the lowest octaves up to 1e-3 (the
  resamplers treat the signal's ends differently), allowed 5e-3. icqt's soxr upsampling differs more in the first and last 2048 samples (1.4e-2,
  the resamplers' edge handling), allowed 1e-3 inside them.
"""

import warnings

import librosa
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spectrograms.compat.librosa import constantq as cq
from spectrograms.compat.librosa._tuning import estimate_tuning, piptrack
from spectrograms.errors import SpectrogramError

SR = 22050


def music(seconds: float, sr: int = SR, seed: int = 0, detune: float = 0.0) -> np.ndarray:
    """Chords of harmonic notes (6 partials, 1/k amplitudes), each with an attack and an exponential decay."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = 0.003 * rng.standard_normal(n)
    chords = [(48, 52, 55), (45, 48, 52), (41, 45, 48, 53), (43, 47, 50, 55)]
    step = n // 8
    for i in range(8):
        onset = i * step
        local = t[: n - onset]
        envelope = np.minimum(local / 0.01, 1.0) * np.exp(-local * 2.5)
        for note in chords[i % 4]:
            f0 = 440.0 * 2 ** ((note - 69 + detune) / 12)
            for k in range(1, 7):
                if k * f0 < sr / 2:
                    y[onset:] += envelope * np.sin(2 * np.pi * k * f0 * local + rng.uniform(0, 6.28)) / (4 * k)
    return y


@pytest.fixture(scope="module")
def clips(speech):
    samples, rate = speech
    return {"music": (music(3.0), SR), "speech": (samples[:40000], rate)}


def rel_error(ours, reference, trim: int = 0) -> float:
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape and ours.dtype == reference.dtype, (ours.shape, reference.shape,
                                                                             ours.dtype, reference.dtype)
    difference = np.abs(ours - reference)
    if trim:
        difference = difference[..., trim:-trim]
    return float(difference.max() / np.abs(reference).max())


TOLERANCE = {("exact", np.float64): 1e-10, ("exact", np.float32): 5e-6}
CQT_CASES = [
    {},
    {"hop_length": 256, "n_bins": 60, "fmin": 65.40639132514966},
    {"bins_per_octave": 24, "n_bins": 168, "filter_scale": 0.8},
    {"scale": False, "norm": 2, "sparsity": 0.0},
    {"hop_length": 128, "n_bins": 36, "fmin": 110.0, "tuning": 0.3, "window": "hamming"},
    {"pad_mode": "reflect", "n_bins": 72},
]


@pytest.mark.parametrize("res_type", ["fft", "polyphase", "soxr_hq"])
@pytest.mark.parametrize("dtype", [np.float64, pytest.param(np.float32, marks=pytest.mark.slow)])
@pytest.mark.parametrize("case", range(len(CQT_CASES)))
@pytest.mark.parametrize("clip", ["music", "speech"])
def test_cqt_matches_librosa(clips, res_type, dtype, case, clip):
    y, sr = clips[clip]
    kwargs = dict(CQT_CASES[case], sr=sr, res_type=res_type)
    if sr < 22050 and kwargs.get("n_bins", 84) > 84:
        kwargs["n_bins"] -= 12  # keep the top filters below speech's 8 kHz Nyquist frequency
    ours = cq.cqt(y.astype(dtype), **kwargs)
    reference = librosa.cqt(y.astype(dtype), **kwargs)
    if res_type.startswith("soxr"):
        # the resamplers start and end differently: the lowest octaves' first and last frames (within the
        # longest filter, ~0.5 s) differ by up to 1e-3 of the maximum (measured), the rest by ~1e-5
        assert rel_error(ours, reference) <= 5e-3
        assert rel_error(ours, reference, trim=edge_frames(sr, kwargs.get("hop_length", 512))) <= 1e-4
    else:
        assert rel_error(ours, reference) <= TOLERANCE["exact", dtype]


def edge_frames(sr: float, hop_length: int) -> int:
    """Frames within the longest default filter's half-length (C1 at filter_scale 1: 0.55 s) of an end."""
    return int(np.ceil(0.55 * sr / hop_length))


@pytest.mark.parametrize("gamma", [None, 0.0, 5.0, 30.0])
@pytest.mark.parametrize("res_type", ["polyphase", "soxr_hq"])
def test_vqt_matches_librosa(clips, gamma, res_type):
    y, sr = clips["music"]
    ours = cq.vqt(y, sr=sr, gamma=gamma, res_type=res_type)
    reference = librosa.vqt(y, sr=sr, gamma=gamma, res_type=res_type)
    if res_type == "soxr_hq":
        # wider low filters (gamma > 0) reach into the resampler's transition band, where the soxr
        # stand-in's response differs most: measured 2.4e-4 at gamma=30
        assert rel_error(ours, reference, trim=edge_frames(sr, 512)) <= 1e-3
    else:
        assert rel_error(ours, reference) <= 1e-10
    ratios = [1.0, 9 / 8, 5 / 4, 4 / 3, 3 / 2, 5 / 3, 15 / 8]
    ours = cq.vqt(y, sr=sr, intervals=ratios, n_bins=42, fmin=55.0, res_type="polyphase", gamma=gamma)
    reference = librosa.vqt(y, sr=sr, intervals=ratios, n_bins=42, fmin=55.0, res_type="polyphase", gamma=gamma)
    assert rel_error(ours, reference) <= 1e-10


def test_batches_and_tensors(clips):
    y, sr = clips["music"]
    batch = np.stack([y, y[::-1].copy(), 0.1 * y])
    reference = librosa.cqt(batch, sr=sr, res_type="fft")
    assert rel_error(cq.cqt(batch, sr=sr, res_type="fft"), reference) <= 1e-10
    assert rel_error(cq.cqt(batch, sr=sr, res_type="scipy"), librosa.cqt(batch, sr=sr, res_type="scipy")) <= 1e-10
    tensor = cq.cqt(torch.from_numpy(batch), sr=sr, res_type="fft")
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.complex128
    assert rel_error(tensor.numpy(), reference) <= 1e-10


@pytest.mark.parametrize("res_type", ["fft", "polyphase", pytest.param("soxr_hq", marks=pytest.mark.slow)])
@pytest.mark.parametrize("length", [None, "signal"])
@pytest.mark.parametrize("scale", [True, False])
def test_icqt_matches_librosa(clips, res_type, length, scale):
    y, sr = clips["music"]
    C = librosa.cqt(y, sr=sr, res_type="polyphase", scale=scale)
    kwargs = dict(sr=sr, res_type=res_type, scale=scale, length=len(y) if length else None)
    ours, reference = cq.icqt(C, **kwargs), librosa.icqt(C, **kwargs)
    if res_type == "soxr_hq":
        assert rel_error(ours, reference, trim=2048) <= 1e-3
    else:
        assert rel_error(ours, reference) <= 1e-10
    ours32 = cq.icqt(C.astype(np.complex64), **kwargs)
    reference32 = librosa.icqt(C.astype(np.complex64), **kwargs)
    assert rel_error(ours32, reference32, trim=2048 if res_type == "soxr_hq" else 0) <= 1e-3 if \
        res_type == "soxr_hq" else rel_error(ours32, reference32) <= 5e-6


@pytest.mark.parametrize("kwargs", [{}, {"tuning": 0.0}, {"bins_per_octave": 12, "tuning": 0.2},
                                    {"n_chroma": 24, "bins_per_octave": 48, "tuning": 0.0},
                                    {"norm": 2, "threshold": 0.05, "tuning": 0.0, "n_octaves": 6},
                                    {"fmin": 55.0, "tuning": 0.0}])
def test_chroma_cqt_matches_librosa(clips, kwargs):
    """Values in [0, 1] (max-normalised), through the default soxr_hq: the stand-in moves them by up to
    1.2e-3 in the first and last ~0.5 s (allowed 3e-3) and 1e-5 elsewhere (allowed 1e-4)."""
    y, sr = clips["music"]
    error = np.abs(cq.chroma_cqt(y=y, sr=sr, **kwargs) - librosa.feature.chroma_cqt(y=y, sr=sr, **kwargs))
    edge = edge_frames(sr, 512)
    assert error.max() <= 3e-3 and error[:, edge:-edge].max() <= 1e-4
    C = np.abs(librosa.cqt(y, sr=sr, n_bins=252, bins_per_octave=36))
    ours = cq.chroma_cqt(C=C, sr=sr, window=np.ones(3) / 3)
    np.testing.assert_allclose(ours, librosa.feature.chroma_cqt(C=C, sr=sr, window=np.ones(3) / 3), atol=1e-12)


@pytest.mark.parametrize("detune", [0.0, 0.17, -0.28, 0.41])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tuning_estimate_matches_librosa(detune, dtype):
    y = music(2.0, seed=2, detune=detune).astype(dtype)
    assert estimate_tuning(y=y, sr=SR) == pytest.approx(librosa.estimate_tuning(y=y, sr=SR), abs=1e-12)
    assert estimate_tuning(y=y, sr=SR, bins_per_octave=36) == pytest.approx(
        librosa.estimate_tuning(y=y, sr=SR, bins_per_octave=36), abs=1e-12)
    pitches, mags = piptrack(y=y, sr=SR)
    reference_pitches, reference_mags = librosa.piptrack(y=y, sr=SR)
    tolerance = 1e-9 if dtype == np.float64 else 1e-3  # Hz; float32 parabola shifts round to ~1e-7 of a bin
    np.testing.assert_allclose(pitches, reference_pitches, atol=tolerance)
    np.testing.assert_allclose(mags, reference_mags, atol=1e-5 * np.abs(reference_mags).max())


def test_res_type_none_and_signatures():
    import inspect

    for name, reference in (("cqt", librosa.cqt), ("vqt", librosa.vqt), ("icqt", librosa.icqt),
                            ("chroma_cqt", librosa.feature.chroma_cqt)):
        ours = inspect.signature(getattr(cq, name)).parameters
        theirs = inspect.signature(reference).parameters
        assert list(ours) == [p for p in theirs if p != "dtype" or "dtype" in ours], name
        for parameter in ours:
            if parameter in theirs and theirs[parameter].default is not inspect.Parameter.empty:
                assert ours[parameter].default == theirs[parameter].default or (
                    ours[parameter].default is theirs[parameter].default), (name, parameter)
    y = music(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert rel_error(cq.cqt(y, res_type=None), cq.cqt(y)) == 0.0


@settings(max_examples=40, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "hop_length": st.one_of(st.integers(-4, 600), st.floats(allow_nan=True)),
    "n_bins": st.integers(-3, 120), "bins_per_octave": st.integers(-2, 40),
    "filter_scale": st.one_of(st.floats(-2, 3), st.just(float("nan"))),
    "sparsity": st.one_of(st.floats(-1, 2), st.just(float("nan"))),
    "res_type": st.sampled_from(["fft", "kaiser_best", "linear", "", "polyphase"]),
    "pad_mode": st.sampled_from(["constant", "wrap", "foo", "edge"]),
    "norm": st.one_of(st.none(), st.floats(-3, 3), st.just(float("nan"))),
    "fmin": st.one_of(st.floats(-10, 5000), st.just(float("nan"))),
}))
def test_cqt_refusals_are_named(kwargs):
    """Any bad option is a SpectrogramError naming it; good ones compute (librosa accepts the same)."""
    y = music(0.5)
    try:
        ours = cq.cqt(y, sr=SR, **kwargs)
    except SpectrogramError as error:
        message = str(error)
        assert any(name in message for name in (*kwargs, "Nyquist", "signal length", "bandwidths")), message
        return
    kwargs.setdefault("res_type", "soxr_hq")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = librosa.cqt(y, sr=SR, **kwargs)
    assert ours.shape == reference.shape
