"""float32 numerics at the edges of the range: any finite float32 signal gives the right finite power,
magnitude and dB (compared with the same computation in float64) or a named error where a linear
value cannot be held in float32; magnitudes of tiny spectra are not flushed to zero; the FFT family
checks every bin. Through the mel, MFCC and chroma features and the DataModule's collate too, on real
speech and on noise."""

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms.data.datamodule import FeatureConfig, SpectrogramCollate
from spectrograms.errors import InvalidInputError, SpectrogramError
from spectrograms.ops import _aten

FLT_MAX = float(np.finfo(np.float32).max)
PARAMS = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=256), sample_rate=16000.0)
MEL = sg.MelParams(n_mels=40)
HUGE = [1e17, 1e18, 1e19, 1e20]
OVERFLOW = r"exceeds the float32 range"


@pytest.fixture(params=["speech", "noise"])
def signal(request):
    """A unit-peak float64 signal: 2 s of real speech, or white noise."""
    if request.param == "speech":
        samples, _ = request.getfixturevalue("speech")
        samples = samples[:32000]
    else:
        samples = np.random.default_rng(0).standard_normal(32000)
    return samples / np.abs(samples).max()


def at(samples, amplitude):
    """The signal scaled to ``amplitude`` in float32, and the same float32 values in float64."""
    x32 = (samples * amplitude).astype(np.float32)
    return x32, x32.astype(np.float64)


def close_relative_to_peak(actual, expected, rtol):
    """|actual - expected| <= rtol * max|expected| per frame (last axis), as float32 allows."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert np.isfinite(actual).all()
    peak = np.abs(expected).max(axis=-2, keepdims=True)
    bound = np.broadcast_to(rtol * peak + 1e-300, expected.shape)
    np.testing.assert_array_less(np.abs(actual - expected), bound)


def close_in_db(actual, expected, scale=10.0):
    """dB values within float32's precision: within 2e-3 dB of ``expected`` where it is within 20 dB of
    its frame's peak, and as linear values within 1e-4 of the frame's peak everywhere (float32 spectra
    are accurate relative to the largest bin, so bins far below it carry larger dB errors; a float32
    log of ~1e43 is good to ~1e-5)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert np.isfinite(actual).all()
    peak = expected.max(axis=-2, keepdims=True)
    near = expected >= peak - 20
    np.testing.assert_allclose(actual[near], expected[near], rtol=0, atol=2e-3)
    close_relative_to_peak(10 ** ((actual - peak) / scale), 10 ** ((expected - peak) / scale), 1e-4)


@pytest.mark.parametrize("amplitude", HUGE)
@pytest.mark.parametrize("kind", ["linear", "mel"])
def test_power_magnitude_and_db_of_huge_signals(signal, amplitude, kind):
    x32, x64 = at(signal, amplitude)
    extra = () if kind == "linear" else (MEL,)
    compute = lambda scale, x: getattr(sg, f"compute_{kind}_{scale}_spectrogram")(
        x, PARAMS, *extra, *((sg.LogParams(),) if scale == "db" else ())).tensor.numpy()
    # dB: right and finite at any amplitude (the truth is ~430 dB at 1e20, where |X|^2 overflowed to a
    # constant 385.3 dB before).
    close_in_db(compute("db", x32), compute("db", x64))
    close_relative_to_peak(compute("magnitude", x32), compute("magnitude", x64), 1e-5)
    power64 = compute("power", x64)
    if power64.max() > FLT_MAX:  # truly beyond float32: refused, naming the cause
        with pytest.raises(InvalidInputError, match=OVERFLOW + r".*power \(\|X\|\^2\)"):
            compute("power", x32)
    else:
        close_relative_to_peak(compute("power", x32), power64, 1e-5)


def test_the_overflow_cases_are_exercised(signal):
    power = sg.compute_linear_power_spectrogram(at(signal, 1e20)[1], PARAMS).tensor
    assert power.max() > 1e3 * FLT_MAX  # the test above really compares dB beyond the float32 power range
    power = sg.compute_linear_power_spectrogram(at(signal, 1e17)[1], PARAMS).tensor
    assert power.max() < FLT_MAX  # and the linear power where it fits


def test_band_sums_that_overflow_are_refused_or_right_in_db():
    # Each bin's power fits float32, but the sum over a wide band does not.
    params = sg.SpectrogramParams(sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.rectangular),
                                  sample_rate=16000.0)
    x64 = np.random.default_rng(4).standard_normal(8000) * 1.6e17
    x32 = x64.astype(np.float32)
    mel = sg.MelParams(n_mels=2, norm=None)
    bins = sg.compute_linear_power_spectrogram(x32.astype(np.float64), params).tensor
    bands = sg.compute_mel_power_spectrogram(x32.astype(np.float64), params, mel).tensor
    assert bins.max() < FLT_MAX < bands.max()
    with pytest.raises(InvalidInputError, match=OVERFLOW + r".*summed over a filterbank band"):
        sg.compute_mel_power_spectrogram(x32, params, mel)
    close_in_db(sg.compute_mel_db_spectrogram(x32, params, mel, sg.LogParams()).tensor.numpy(),
                sg.compute_mel_db_spectrogram(x32.astype(np.float64), params, mel, sg.LogParams()).tensor.numpy())


@pytest.mark.parametrize("amplitude", HUGE)
def test_mfcc_of_huge_signals(signal, amplitude):
    x32, x64 = at(signal, amplitude)
    mfcc = sg.compute_mfcc(x32, PARAMS, MEL).tensor.numpy()
    np.testing.assert_allclose(mfcc, sg.compute_mfcc(x64, PARAMS, MEL).tensor.numpy(), rtol=0, atol=0.05)


@pytest.mark.parametrize("amplitude", HUGE)
def test_chromagram_of_huge_signals(signal, amplitude):
    x32, x64 = at(signal, amplitude)
    try:
        chroma = sg.compute_chromagram(x32, PARAMS).tensor.numpy()
    except InvalidInputError as error:  # the chroma power beyond float32, refused by name
        assert "exceeds the float32 range" in str(error)
        assert sg.compute_chromagram(x64, PARAMS).tensor.numpy().max() <= 1.0
        return
    np.testing.assert_allclose(chroma, sg.compute_chromagram(x64, PARAMS).tensor.numpy(), rtol=0, atol=1e-5)


def test_tiny_magnitudes_are_not_flushed_to_zero(signal):
    x32, x64 = at(signal, 1e-25)
    magnitude = sg.compute_linear_magnitude_spectrogram(x32, PARAMS).tensor.numpy()
    expected = sg.compute_linear_magnitude_spectrogram(x64, PARAMS).tensor.numpy()
    assert magnitude.max() > 1e-25  # sqrt(power) gave exactly 0 below |X| ~ 1e-19
    close_relative_to_peak(magnitude, expected, 1e-5)
    mel = sg.compute_mel_magnitude_spectrogram(x32, PARAMS, MEL).tensor.numpy()
    close_relative_to_peak(mel, sg.compute_mel_magnitude_spectrogram(x64, PARAMS, MEL).tensor.numpy(), 1e-5)
    # Power 1e-48 is below float32's smallest subnormal: 0 is its float32 value, and dB takes the floor.
    power = sg.compute_linear_power_spectrogram(x32, PARAMS).tensor.numpy()
    np.testing.assert_array_equal(power, sg.compute_linear_power_spectrogram(x64, PARAMS).tensor.numpy()
                                  .astype(np.float32))
    assert (sg.compute_linear_db_spectrogram(x32, PARAMS, sg.LogParams()).tensor.numpy() == -80.0).all()


def test_tiny_float64_magnitudes_keep_their_precision():
    x = np.random.default_rng(5).standard_normal(4000) * 1e-160  # |X|^2 ~ 1e-316: subnormal in float64
    magnitude = sg.compute_linear_magnitude_spectrogram(x, PARAMS).tensor.numpy()
    reference = sg.compute_linear_magnitude_spectrogram(x * 1e160, PARAMS).tensor.numpy() * 1e-160
    close_relative_to_peak(magnitude, reference, 1e-12)


# ---- the FFT family: every bin -----------------------------------------------------------------


def test_fft_family_refuses_overflow_in_bins_other_than_dc():
    alternating = np.tile(np.array([3e38, -3e38], np.float32), 512)  # DC is 0, Nyquist is Inf
    for compute in (sg.compute_rfft, sg.compute_fft, sg.fft2d):
        with pytest.raises(InvalidInputError, match="NaN or Inf"):
            compute(alternating.reshape(32, 32) if compute is sg.fft2d else alternating)
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        sg.compute_stft(alternating, PARAMS)
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        sg.compute_linear_magnitude_spectrogram(alternating, PARAMS)


def test_power_and_magnitude_spectra_of_huge_and_tiny_signals(signal):
    x32, x64 = at(signal[:4000], 1e20)
    with pytest.raises(InvalidInputError, match=r"power spectrum exceeds the float32 range"):
        sg.compute_power_spectrum(x32)
    with pytest.raises(InvalidInputError, match=r"power spectrum exceeds the float32 range"):
        sg.power_spectrum_2d(x32.reshape(40, 100))
    expected = np.abs(np.fft.rfft(x64))
    np.testing.assert_allclose(sg.compute_magnitude_spectrum(x32).numpy(), expected, rtol=1e-4,
                               atol=1e-5 * expected.max())
    x32, x64 = at(signal[:4000], 1e-25)
    expected = np.abs(np.fft.rfft(x64))
    np.testing.assert_allclose(sg.compute_magnitude_spectrum(x32).numpy(), expected, rtol=1e-4,
                               atol=1e-5 * expected.max())
    np.testing.assert_allclose(sg.magnitude_spectrum_2d(x32.reshape(40, 100)).numpy(),
                               np.abs(np.fft.rfft2(x64.reshape(40, 100))), rtol=1e-4, atol=1e-5 * expected.max())
    x32, x64 = at(signal[:4000], 1e15)  # power ~1e36: fits, squared exactly
    np.testing.assert_allclose(sg.compute_power_spectrum(x32).numpy(), np.abs(np.fft.rfft(x64)) ** 2, rtol=1e-4,
                               atol=1e-5 * expected.max() ** 2)


# ---- the DataModule's collate and the ATen (CUDA) path -----------------------------------------


def test_datamodule_collate_of_huge_signals(signal):
    items = [(torch.from_numpy((signal[:n] * 1e19).astype(np.float32)), 0) for n in (8000, 12000)]
    config = FeatureConfig(kind="mel", scale="db", n_bands=32)
    batch = SpectrogramCollate(config)(items)
    assert torch.isfinite(batch.features).all()
    plan = config.build_plan()
    for row, (waveform, _) in zip(batch.features, items):
        expected = plan.compute(waveform.double()).tensor.numpy()
        close_in_db(row[:, :expected.shape[-1]].numpy(), expected)
    with pytest.raises(SpectrogramError, match=OVERFLOW):
        SpectrogramCollate(FeatureConfig(kind="mel", scale="power", n_bands=32))(items)


@pytest.mark.parametrize("power, floor_db", [(2.0, -80.0), (1.0, None), (1.0, -80.0)])
def test_aten_path_matches_the_native_kernel_on_huge_signals(signal, power, floor_db):
    # The CUDA kernel is this ATen path (cuFFT there); it is checked here on CPU.
    x = torch.from_numpy((signal[:8000] * 1e20).astype(np.float32))
    window = torch.hann_window(512, periodic=False)
    args = (x, window, 512, 256, True, "constant", power, None, None, None, floor_db)
    expected = torch.ops.spectrograms.spectrogram(*args)
    actual = _aten.spectrogram(*args)
    if floor_db is None:
        close_relative_to_peak(actual.numpy(), expected.numpy(), 1e-5)
    else:
        close_in_db(actual.numpy(), expected.numpy(), scale=10.0 if power == 2.0 else 20.0)


def test_aten_path_refuses_power_beyond_float32_and_checks_every_bin():
    x = torch.from_numpy(np.random.default_rng(6).standard_normal(8000).astype(np.float32) * 1e20)
    window = torch.hann_window(512, periodic=False)
    with pytest.raises(ValueError, match=OVERFLOW):
        _aten.spectrogram(x, window, 512, 256, True, "constant", 2.0, None, None, None, None)
    alternating = torch.tensor([3e38, -3e38], dtype=torch.float32).repeat(512)
    with pytest.raises(ValueError, match="NaN or Inf"):
        _aten.stft(alternating, torch.ones(512), 512, 256, False, "constant")


@pytest.mark.parametrize("amplitude", [1e17, 1e20, 1e30])
@pytest.mark.parametrize("kind", ["ild", "ilr"])
def test_binaural_levels_of_huge_float32_signals(signal, kind, amplitude):
    # |X|^2 of these overflows float32 (|X| above ~1.8e19): the level difference of two infinities was
    # NaN in every audible bin. The float32 result must equal the float64 one of the same samples.
    params = getattr(sg, f"{kind.upper()}SpectrogramParams")(PARAMS, 500.0, 6000.0)
    left, left64 = at(signal, amplitude)
    right, right64 = at(signal[::-1].copy(), amplitude / 3)
    compute = getattr(sg, f"compute_{kind}_spectrogram")
    out = compute(np.stack([left, right]), params).tensor
    expected = compute(np.stack([left64, right64]), params).tensor
    # NaN only where the float64 result has it too: bins a channel leaves silent (digital silence in
    # the speech), by the seed library's definition.
    assert out.dtype == torch.float32 and bool((torch.isfinite(out) | torch.isnan(expected)).all())
    torch.testing.assert_close(out.double(), expected, rtol=1e-3, atol=1e-3, equal_nan=True)
