"""The error model at the entry points: size limits checked before allocation, parameters that would
give non-finite windows, axes or coefficients refused, shape rules of the layers enforced, and only
the library's own exceptions (property-based over the parameter objects and the compute functions)."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms import nn as snn
from spectrograms.compliance import kaldi
from spectrograms.errors import AudioFileError, InvalidInputError, InvalidTypeError, SpectrogramError
from spectrograms.torch import lengths_to_mask
from tests.fuzz_harness import FUZZ_EXAMPLES, expect, fuzz_call, long_run_examples

PARAMS = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=256), sample_rate=16000.0)


def _feature_config(**kwargs):
    from spectrograms.data.datamodule import FeatureConfig

    return FeatureConfig(**kwargs)


def _collate(items):
    from spectrograms.data.datamodule import FeatureConfig, SpectrogramCollate

    return SpectrogramCollate(FeatureConfig(n_fft=64, hop_size=32, n_bands=8))(items)


def _load_audio(**kwargs):
    from spectrograms.data import load_audio

    return load_audio(Path(__file__), **{"sample_rate": 16000, **kwargs})  # refused before the file is read


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
    # Found by the fuzz of tests/test_fuzz_*.py:
    (lambda: sg.StftParams(n_fft=64, hop_length=0), r"hop_length must be a positive int, got 0"),
    (lambda: sg.hz_to_mel(-1e3, scale="htk"), r"frequencies out of range: the HTK mel scale is defined above"),
    (lambda: sg.hz_to_mel([440.0, np.nan]), r"frequencies must be finite"),
    (lambda: sg.mel_to_hz(1e308), r"mels out of range"),
    (lambda: _feature_config(kind="bad"), r"kind must be one of"),
    (lambda: _load_audio(sample_rate=2**31), r"sample_rate must be at most 384000 Hz; got 2147483648"),
    (lambda: _load_audio(offset=None), r"offset must be a number of seconds; got NoneType"),
    (lambda: _collate([(torch.zeros(1, 500), 0)]), r"item 0: the waveform must have shape \(time,\)"),
    (lambda: _collate([(torch.zeros(500), 2**63)]), r"item 0: the label must be a class index"),
    (lambda: sg.chroma_labels(12 * 10**6), r"n_chroma must be at most 16384, got 12000000"),
    (lambda: sg.LogParams(floor_db=-5e82), r"floor_db must be at least -3.40282e\+38"),
    (lambda: sg.ITDSpectrogramParams(PARAMS, magphase_power=10**30), r"magphase_power must be at most 64"),
    (lambda: sg.compute_loghz_power_spectrogram(np.ones(1000), PARAMS, sg.LogHzParams(8, 5e-324, shape="triangular")),
     r"f_min=4.94066e-324 Hz and f_max=8000 Hz are too far apart"),
    (lambda: sg.dct_matrix(13, 2**31), r"n_mels must be at most 16384, got 2147483648"),
    (lambda: sg.lifter_weights(13, 5e-324), r"lifter must be 0 \(none\) or at least 1e-06"),
    (lambda: sg.fftfreq(10**9), r"n must be at most 268435456"),
    (lambda: sg.rfftfreq(64, 5e-324), r"d=5e-324 is too small"),
    (lambda: sg.gaussian_kernel_2d(10**6 + 1, 1.0), r"size must be at most 4095"),
    (lambda: kaldi.fbank(torch.full((1200,), float("nan")), num_mel_bins=8), r"contains NaN or Inf samples"),
    (lambda: kaldi.fbank(torch.randn(1200, generator=torch.Generator().manual_seed(0)) * 4e30, num_mel_bins=8),
     r"too loud for (torch\.)?float32"),
])
def test_refused_with_a_named_error(factory, match):
    with pytest.raises(InvalidInputError, match=match):
        factory()


def test_huge_labels_in_a_manifest_are_refused_by_line(tmp_path):
    from spectrograms.data import ManifestDataset

    (tmp_path / "m.csv").write_text("path,label\na.wav,3\nb.wav,1000000000000\n")
    with pytest.raises(AudioFileError, match=r"m\.csv, line 3: label '1000000000000' is a class index beyond"):
        ManifestDataset(tmp_path / "m.csv")


def test_load_audio_names_a_path_it_cannot_stat(tmp_path):
    from spectrograms.data import load_audio

    with pytest.raises(AudioFileError, match="cannot access the file"):
        load_audio(tmp_path / ("x" * 300 + ".wav"), 16000)


def test_gaussian_kernel_of_a_vanishing_sigma_is_the_unit_impulse():
    impulse = torch.zeros(5, 5, dtype=torch.float64)
    impulse[2, 2] = 1.0
    torch.testing.assert_close(sg.gaussian_kernel_2d(5, 1e-200), impulse, rtol=0, atol=0)


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
    with pytest.raises(InvalidInputError, match=r"shape \(\.\.\., bins, frames\), got shape (\(20,\)|\[20\])"):
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


# ---- half precision layers, DLPack without a copy ----------------------------------------------


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("make_layer", [
    lambda: snn.MFCC(sample_rate=16000, n_mfcc=13, melkwargs=dict(n_fft=400, n_mels=40)),
    lambda: snn.MFCC(PARAMS, sg.MelParams(n_mels=40)),
    lambda: snn.Chromagram(sample_rate=16000, n_fft=400),
], ids=["mfcc-torchaudio", "mfcc-seed", "chroma"])
def test_half_precision_layers_compute_in_float32(make_layer, half):
    # A -6 dBFS 440 Hz sine: float16 power overflows (65504) and small band powers flush to 0, so a
    # chain run in float16 gave NaN for 1,044 of 1,131 MFCC values.
    layer = make_layer()
    t = torch.arange(16000) / 16000
    sine = (0.5 * torch.sin(2 * math.pi * 440 * t)).to(half)
    out = layer(sine)
    assert out.dtype == half and torch.isfinite(out).all()
    # Exactly the float32 chain on the same samples, cast once at the end: so within half-precision
    # rounding of the float32 result (the rounding of the input samples themselves aside, which at
    # -66 dB for float16 changes the bands a pure sine leaves at the -80 dB floor).
    expected = layer(sine.float())
    torch.testing.assert_close(out, expected.to(half), rtol=0, atol=0)
    eps = torch.finfo(half).eps
    assert bool(((out.float() - expected).abs() <= eps * expected.abs() + torch.finfo(half).tiny).all())


def test_dlpack_without_a_copy_raises_buffer_error_where_it_cannot_share():
    batched = sg.compute_mel_power_spectrogram(np.ones((3, 16000), np.float32), PARAMS, sg.MelParams(3))
    item = batched.unbatch()[1]  # a view 64-byte misaligned within the batch
    assert item.tensor.data_ptr() % 64 != 0
    with pytest.raises(BufferError, match=r"copy=False.*misaligned") as raised:
        item.__dlpack__(copy=False)
    assert isinstance(raised.value, SpectrogramError)
    np.testing.assert_array_equal(np.from_dlpack(item), item.data)  # copy=None: an aligned copy
    shared = torch.from_dlpack(batched.__dlpack__(copy=False))  # aligned: shared as it is
    assert shared.data_ptr() == batched.tensor.data_ptr()


# ---- a fuzz of every public entry point ---------------------------------------------------------
# Each call on a random signal (dtype, container, shape, amplitude, NaN/Inf planted or not) either
# returns finite values of the documented shape or raises the library's own error. A bounded run
# here; SPECTROGRAMS_FUZZ_EXAMPLES=<n> pytest -m fuzz tests/test_reliability.py runs a longer one.

FUZZ_PARAMS = sg.SpectrogramParams(sg.StftParams(n_fft=64, hop_size=32), sample_rate=16000.0)
FRAMES = FUZZ_PARAMS.stft.n_frames


def _frames_shape(bins):
    return lambda shape: (*shape[:-1], bins, FRAMES(shape[-1]))


ENTRY_POINTS = {
    **{f"{kind}_{scale}": (
        (lambda kind, scale, extra: lambda x: getattr(sg, f"compute_{kind}_{scale}_spectrogram")(
            x, FUZZ_PARAMS, *extra))(kind, scale, extra), _frames_shape(bins))
       for kind, extra, bins in (("linear", (), 33), ("mel", (sg.MelParams(8),), 8),
                                 ("erb", (sg.ErbParams(8),), 8), ("loghz", (sg.LogHzParams(8, 100.0),), 8))
       for scale in ("power", "magnitude", "db")},
    "mfcc": (lambda x: sg.compute_mfcc(x, FUZZ_PARAMS, 16), _frames_shape(13)),
    "chromagram": (lambda x: sg.compute_chromagram(x, FUZZ_PARAMS), _frames_shape(12)),
    "stft": (lambda x: sg.compute_stft(x, FUZZ_PARAMS), _frames_shape(33)),
    "stft_istft": (lambda x: sg.compute_istft(sg.compute_stft(x, FUZZ_PARAMS)), lambda shape: shape),
    "fft": (sg.compute_fft, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "rfft": (sg.compute_rfft, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "power_spectrum": (sg.compute_power_spectrum, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "magnitude_spectrum": (sg.compute_magnitude_spectrum, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "rfft_irfft": (lambda x: sg.compute_irfft(sg.compute_fft(x), np.shape(x)[-1]), lambda shape: shape),
    "fft2d": (sg.fft2d, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "power_spectrum_2d": (sg.power_spectrum_2d, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "magnitude_spectrum_2d": (sg.magnitude_spectrum_2d, lambda shape: (*shape[:-1], shape[-1] // 2 + 1)),
    "fft2d_ifft2d": (lambda x: sg.ifft2d(sg.fft2d(x)), lambda shape: shape),
    "nn.Spectrogram": (snn.Spectrogram(n_fft=64, hop_length=32), _frames_shape(33)),
    "nn.MelSpectrogram": (snn.MelSpectrogram(sample_rate=16000, n_fft=64, hop_length=32, n_mels=8),
                          _frames_shape(8)),
    "nn.MFCC": (snn.MFCC(sample_rate=16000, n_mfcc=6, melkwargs=dict(n_fft=64, hop_length=32, n_mels=8)),
                _frames_shape(6)),
    "nn.Chromagram": (snn.Chromagram(sample_rate=16000, n_fft=64, hop_length=32), _frames_shape(12)),
    "nn.AmplitudeToDB": (snn.AmplitudeToDB(top_db=80.0), lambda shape: shape),
    "plan.mel_db": (sg.SpectrogramPlanner().mel_db_plan(FUZZ_PARAMS, sg.MelParams(8), sg.LogParams()).compute,
                    _frames_shape(8)),
    # Shapes of these follow their own framing; finiteness and the error types are what is checked.
    "mdct": (lambda x: sg.mdct(x, sg.MdctParams(64, 32, sg.WindowType.hanning)), None),
    "kaldi.fbank": (lambda x: kaldi.fbank(torch.as_tensor(x), num_mel_bins=8), None),
}
_DTYPES = ["float16", "bfloat16", "float32", "float32", "float32", "float64", "float64", "int16", "int64", "bool",
           "complex64"]
_AMPLITUDES = [0.0, 1e-30, 1e-25, 1e-3, 1.0, 3e4, 1e10, 1e19, 1e30, 3e38]


def _signal(data):
    # Valid shapes, dtypes and clean signals drawn more often, so most calls reach the computation; 1200
    # samples for kaldi.fbank, whose 25 ms frames need 400.
    shape = data.draw(st.sampled_from([(), (0,), (1,), (40,), (300,), (300,), (1200,), (2, 300), (2, 300),
                                       (1, 2, 200), (0, 100)]), "shape")
    dtype = data.draw(st.sampled_from(_DTYPES), "dtype")
    amplitude = data.draw(st.sampled_from(_AMPLITUDES), "amplitude")
    # asarray: a 0-d draw is a Python float, whose astype would give a NumPy scalar, not an array.
    values = np.asarray(np.random.default_rng(data.draw(st.integers(0, 3), "seed")).standard_normal(shape) * amplitude)
    special = data.draw(st.sampled_from([None] * 6 + [np.nan, np.inf, -np.inf]), "special")
    if special is not None and values.size:
        values.reshape(-1)[data.draw(st.integers(0, values.size - 1), "at")] = special
    container = data.draw(st.sampled_from(["numpy", "torch", "list"]), "container")
    if dtype == "bfloat16":
        tensor = torch.from_numpy(values).to(torch.bfloat16)
        return tensor if container == "torch" else tensor.float().numpy()
    with np.errstate(all="ignore"):
        array = values.astype(dtype)
    if container == "torch":
        return torch.from_numpy(array)
    return array.tolist() if container == "list" else array


def _check_entry_point(name, data):
    compute, expected_shape = ENTRY_POINTS[name]
    signal = _signal(data)
    if name.startswith("nn.") and not isinstance(signal, torch.Tensor):
        # Modules take tensors (as torchaudio's do); a NumPy array there fails inside the layer with
        # AttributeError, reported to the layers' owner rather than fuzzed here.
        signal = torch.as_tensor(np.asarray(signal))
    shape = tuple(np.shape(signal))

    def check(result):
        values = result.tensor if hasattr(result, "tensor") else result
        expect(isinstance(values, torch.Tensor), f"returned {type(values).__name__}")
        if expected_shape is not None:
            expect(tuple(values.shape) == expected_shape(shape), f"shape {tuple(values.shape)} for input {shape}")
        expect(values.numel() > 0 or 0 in shape[:-1], "empty result")  # an empty batch gives an empty batch
        finite = torch.isfinite(torch.view_as_real(values) if values.is_complex() else values)
        expect(bool(finite.all()), f"{int((~finite).sum())} non-finite values")

    dtype = getattr(signal, "dtype", type(signal).__name__)
    fuzz_call(name, lambda: compute(signal), check, arguments=dict(shape=shape, dtype=str(dtype), peak=_peak(signal)))


def _peak(signal) -> float:
    """The largest |sample| (NaN and Inf included), for the report of a finding."""
    values = signal if isinstance(signal, torch.Tensor) else torch.as_tensor(np.asarray(signal))
    if values.numel() == 0:
        return 0.0
    values = values.abs() if values.is_complex() else values
    return float(values.double().abs().max())


# Entry points with open findings, kept in the long run only until fixed (none at present).
OPEN_FINDINGS: set[str] = set()


@pytest.mark.parametrize("name", sorted(set(ENTRY_POINTS) - OPEN_FINDINGS))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(data=st.data())
def test_every_entry_point_gives_finite_values_or_library_errors(name, data):
    _check_entry_point(name, data)


@pytest.mark.fuzz
@pytest.mark.skipif(FUZZ_EXAMPLES == 0, reason="set SPECTROGRAMS_FUZZ_EXAMPLES=<n> for the long fuzz run")
@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
@settings(max_examples=long_run_examples(), deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
@given(data=st.data())
def test_long_fuzz_of_every_entry_point(name, data):
    _check_entry_point(name, data)
