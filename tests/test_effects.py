"""spectrograms.effects and spectrograms.nn's effect layers against torchaudio 2.11.

Tolerances, relative to torchaudio's peak: float32 within 1e-5, float64 within 1e-10. The float64
references run torchaudio under a float64 default dtype (its windows and phase advances are otherwise
float32 even for float64 input). pitch_shift is the one exception, stated where it is tested: it is
computed in float64 here, since torchaudio's own float32 result is ~1e-3 away from its float64 one.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms.effects as E
import spectrograms.functional as SF
import spectrograms.nn as snn
from spectrograms.errors import DimensionMismatchError, InvalidInputError, SpectrogramError

from .conftest import tone_mix

TA = pytest.importorskip("torchaudio")
TF, TT = TA.functional, TA.transforms
TOL = {torch.float32: 1e-5, torch.float64: 1e-10, torch.complex64: 1e-5, torch.complex128: 1e-10}


def close(ours, theirs, tol):
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    error = float((ours - theirs).abs().max() / theirs.abs().max().clamp(min=1e-30))
    assert error <= tol, error
    return error


class float64_default:
    def __enter__(self):
        self.previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.previous)


class float32_default:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture(scope="module")
def waves(speech):
    tones = torch.from_numpy(tone_mix(16000, seed=11))
    return {"speech": torch.from_numpy(speech[0]), "tones": tones,
            "stereo": torch.stack([tones, torch.from_numpy(tone_mix(16000, seed=12))])}


def stft(x, n_fft=400, hop=100):
    window = torch.hann_window(n_fft, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=window, center=True, pad_mode="reflect", return_complex=True)


# --- phase_vocoder / TimeStretch ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rate", [0.5, 0.8, 1.0, 1.3, 2.0, 3.7])
def test_phase_vocoder(waves, dtype, rate):
    for x in waves.values():
        spec = stft(x.to(dtype))
        advance = torch.linspace(0, math.pi * 100, spec.shape[-2], dtype=dtype)[..., None]
        ours = E.phase_vocoder(spec, rate, advance)
        assert ours.shape[-1] == math.ceil(spec.shape[-1] / rate)
        close(ours, TF.phase_vocoder(spec, rate, advance), TOL[dtype])
    assert SF.phase_vocoder is E.phase_vocoder


def test_phase_vocoder_batch_shapes_and_autograd():
    spec = torch.randn(2, 3, 33, 12, dtype=torch.complex128)
    advance = torch.linspace(0, math.pi * 16, 33, dtype=torch.float64)[..., None]
    out = E.phase_vocoder(spec, 1.4, advance)
    for b in range(2):
        for c in range(3):
            close(out[b, c], TF.phase_vocoder(spec[b, c], 1.4, advance), 1e-12)
    small = torch.randn(5, 4, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: E.phase_vocoder(s, 0.7, advance[:5]), (small,))


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_time_stretch_layer(waves, dtype):
    spec = stft(waves["stereo"].to(torch.float64), 400, 100).to(dtype)
    context = float64_default() if dtype == torch.complex128 else float32_default()
    with context:
        theirs_fixed = TT.TimeStretch(100, 201, 1.25)
        theirs_default = TT.TimeStretch(n_freq=201)
    ours_fixed, ours_default = snn.TimeStretch(100, 201, 1.25), snn.TimeStretch(n_freq=201)
    if dtype == torch.complex128:
        ours_fixed, ours_default = ours_fixed.double(), ours_default.double()
    close(ours_fixed(spec), theirs_fixed(spec), TOL[dtype])
    close(ours_fixed(spec, 0.6), theirs_fixed(spec, 0.6), TOL[dtype])
    close(ours_default(spec, overriding_rate=1.7), theirs_default(spec, overriding_rate=1.7), TOL[dtype])
    assert ours_fixed.state_dict().keys() == theirs_fixed.state_dict().keys()
    assert torch.equal(ours_fixed.phase_advance, TT.TimeStretch(100, 201, 1.25).phase_advance)


# --- pitch_shift / PitchShift -------------------------------------------------------------------------


def ta_pitch_shift64(x, *args, **kwargs):
    with float64_default():
        return TF.pitch_shift(x.double(), *args, **kwargs)


# Rates whose resampling kernels stay small (the algorithm only sees the ratio): 16 kHz octaves (2:1),
# and the speech treated as 1600 Hz audio for fractional steps (951:800 for 3 steps). torchaudio's
# float32 output is itself ~1e-3 of the peak from its float64 one (float32 phase accumulation); the
# float32 comparison is with that output, computed by the same FFT (effects._stretch says why).
SHIFTS = [(16000, 12, {}), (16000, -12, {}), (1600, 3, {}), (1600, -2.5, dict(bins_per_octave=24)),
          (1600, 5, dict(n_fft=256, win_length=200, hop_length=64))]


@pytest.mark.parametrize("sample_rate, n_steps, options", SHIFTS)
def test_pitch_shift(waves, sample_rate, n_steps, options):
    for x in waves.values():
        close(E.pitch_shift(x, sample_rate, n_steps, **options), ta_pitch_shift64(x, sample_rate, n_steps, **options),
              1e-10)
        x = x.float()
        close(E.pitch_shift(x, sample_rate, n_steps, **options), TF.pitch_shift(x, sample_rate, n_steps, **options),
              1e-5)
    assert SF.pitch_shift is E.pitch_shift


def test_pitch_shift_layer(waves):
    x = waves["stereo"]
    with float64_default():
        theirs = TT.PitchShift(1600, 3, 12, 256, None, 32)
        theirs_kw = TT.PitchShift(sample_rate=16000, n_steps=-12, window_fn=torch.hamming_window)
        expected = (theirs(x), theirs_kw(x))
    ours = snn.PitchShift(1600, 3, 12, 256, None, 32).double()
    ours_kw = snn.PitchShift(sample_rate=16000, n_steps=-12, window_fn=torch.hamming_window).double()
    close(ours(x), expected[0], 1e-10)
    close(ours(x), expected[0], 1e-10)  # the cached kernel
    close(ours_kw(x), expected[1], 1e-10)
    ours32, theirs32 = snn.PitchShift(1600, 3, 12, 256, None, 32), TT.PitchShift(1600, 3, 12, 256, None, 32)
    close(ours32(x.float()), theirs32(x.float()), 1e-5)
    assert ours32(x.half()).dtype == torch.float16


def test_pitch_shift_autograd():
    x = torch.randn(1, 300, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: E.pitch_shift(s, 16000, 12, n_fft=64), (x,))


# --- speed / Speed / SpeedPerturbation ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("factor", [0.9, 1.0, 1.1, 1.5])
def test_speed(waves, dtype, factor):
    lengths = torch.tensor([16000, 12345])
    for x in waves.values():
        x = x.to(dtype)
        ours, _ = E.speed(x, 16000, factor)
        close(ours, TF.speed(x, 16000, factor)[0], TOL[dtype])
    stereo = waves["stereo"].to(dtype)
    ours, ours_lengths = snn.Speed(16000, factor).to(dtype)(stereo, lengths)
    if dtype == torch.float32:
        theirs, their_lengths = TT.Speed(16000, factor)(stereo, lengths)
    else:  # torchaudio's layer keeps a float32 kernel; its functional form builds a float64 one
        with float64_default():
            theirs, their_lengths = TF.speed(stereo, 16000, factor, lengths)
    close(ours, theirs, TOL[dtype])
    assert torch.equal(ours_lengths, their_lengths) and ours_lengths.dtype == their_lengths.dtype


def test_speed_perturbation_draws_torchaudios_sequence(waves):
    x, lengths = waves["stereo"].float(), torch.tensor([16000, 9000])
    factors = [0.9, 1.0, 1.1]
    ours, theirs = snn.SpeedPerturbation(16000, factors), TT.SpeedPerturbation(16000, factors)
    torch.manual_seed(5)
    our_runs = [ours(x, lengths) for _ in range(8)]
    torch.manual_seed(5)
    their_runs = [theirs(x, lengths) for _ in range(8)]
    assert len({run[0].shape[-1] for run in our_runs}) > 1  # the draws differ between calls
    for (a, la), (b, lb) in zip(our_runs, their_runs):
        close(a, b, 1e-5)
        assert torch.equal(la, lb)
    assert ours(x)[1] is None


# --- add_noise / AddNoise ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_add_noise(waves, dtype):
    x = waves["stereo"].to(dtype)
    noise = torch.from_numpy(tone_mix(16000, seed=99)).to(dtype).expand(2, -1) * 0.3
    snr, lengths = torch.tensor([10.0, -3.0], dtype=dtype), torch.tensor([16000, 7000])
    close(E.add_noise(x, noise, snr), TF.add_noise(x, noise, snr), TOL[dtype])
    close(E.add_noise(x, noise, snr, lengths), TF.add_noise(x, noise, snr, lengths), TOL[dtype])
    close(snn.AddNoise()(x, noise, snr, lengths), TT.AddNoise()(x, noise, snr, lengths), TOL[dtype])
    batch = x[None].expand(3, 2, -1)  # (3, 2, L) with singleton-broadcast snr
    close(E.add_noise(batch, noise[None].expand(3, 2, -1), snr[None].expand(3, 2)),
          TF.add_noise(batch, noise[None].expand(3, 2, -1), snr[None].expand(3, 2)), TOL[dtype])
    speech = waves["speech"].to(dtype)
    babble = torch.roll(speech, 4000) * 0.5
    close(E.add_noise(speech, babble, torch.tensor(5.0, dtype=dtype)),
          TF.add_noise(speech, babble, torch.tensor(5.0, dtype=dtype)), TOL[dtype])


def test_add_noise_values_and_autograd():
    x = torch.randn(2, 50, dtype=torch.float64, requires_grad=True)
    n = torch.randn(2, 50, dtype=torch.float64, requires_grad=True)
    snr = torch.tensor([3.0, 20.0], dtype=torch.float64, requires_grad=True)
    y = E.add_noise(x, n, snr)
    added = (y - x).detach()
    measured = 10 * torch.log10(x.detach().pow(2).sum(-1) / added.pow(2).sum(-1))
    assert torch.allclose(measured, snr.detach(), atol=1e-9)
    assert torch.autograd.gradcheck(E.add_noise, (x, n, snr))


# --- refusals ---------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(rate=st.one_of(st.floats(max_value=0.0), st.just(math.inf), st.just(math.nan), st.none(), st.text(max_size=2)))
def test_bad_rates_are_refused(rate):
    spec = torch.zeros(5, 4, dtype=torch.complex64)
    with pytest.raises(SpectrogramError, match="rate"):
        E.phase_vocoder(spec, rate, torch.zeros(5, 1))
    if rate is not None:  # None is TimeStretch's "rate given to forward"
        with pytest.raises(SpectrogramError, match="fixed_rate"):
            snn.TimeStretch(n_freq=5, fixed_rate=rate)


def test_phase_vocoder_refusals():
    with pytest.raises(SpectrogramError, match="complex_specgrams must be a complex tensor"):
        E.phase_vocoder(torch.zeros(5, 4), 1.2, torch.zeros(5, 1))
    with pytest.raises(InvalidInputError, match="phase_advance must have shape"):
        E.phase_vocoder(torch.zeros(5, 4, dtype=torch.complex64), 1.2, torch.zeros(4, 1))
    with pytest.raises(InvalidInputError, match="beyond"):
        E.phase_vocoder(torch.zeros(5, 4000, dtype=torch.complex64), 1e-7, torch.zeros(5, 1))
    with pytest.raises(InvalidInputError, match="overriding_rate"):
        snn.TimeStretch(n_freq=5)(torch.zeros(5, 4, dtype=torch.complex64))


@settings(max_examples=40, deadline=None)
@given(n_steps=st.one_of(st.just(math.nan), st.just(math.inf), st.none(), st.floats(121, 1e6), st.floats(-1e6, -121)),
       bins=st.integers(-3, 12))
def test_bad_pitch_shifts_are_refused(n_steps, bins):
    with pytest.raises(SpectrogramError, match="n_steps|bins_per_octave"):
        E.pitch_shift(torch.zeros(400), 16000, n_steps if bins > 0 else 1, bins)
    with pytest.raises(SpectrogramError, match="n_steps|bins_per_octave"):
        snn.PitchShift(16000, n_steps, max(bins, 1))


@settings(max_examples=40, deadline=None)
@given(n_fft=st.integers(-2, 0), win=st.integers(600, 700))
def test_bad_pitch_framing_is_refused(n_fft, win):
    with pytest.raises(SpectrogramError, match="n_fft"):
        E.pitch_shift(torch.zeros(400), 16000, 12, n_fft=n_fft)
    with pytest.raises(InvalidInputError, match="win_length"):
        snn.PitchShift(16000, 12, win_length=win)


@settings(max_examples=40, deadline=None)
@given(factor=st.one_of(st.floats(max_value=0.0), st.floats(1e-9, 1e-5), st.just(math.nan), st.none()))
def test_bad_speed_factors_are_refused(factor):
    with pytest.raises(SpectrogramError, match="factor"):
        E.speed(torch.zeros(100), 16000, factor)
    with pytest.raises(SpectrogramError, match="factor"):
        snn.SpeedPerturbation(16000, [1.0, factor])


def test_speed_perturbation_needs_factors():
    for factors in ([], "1.1", None, 1.1):
        with pytest.raises(InvalidInputError, match="factors"):
            snn.SpeedPerturbation(16000, factors)


@settings(max_examples=40, deadline=None)
@given(extra=st.integers(1, 3), length=st.integers(1, 30))
def test_add_noise_shape_mismatches_are_refused(extra, length):
    x = torch.zeros(2, 30)
    with pytest.raises(DimensionMismatchError, match="leading dimensions"):
        E.add_noise(x, torch.zeros((1,) * extra + (2, 30)), torch.zeros(2))
    if length != 30:
        with pytest.raises(DimensionMismatchError, match="same length"):
            E.add_noise(x, torch.zeros(2, length), torch.zeros(2))
    with pytest.raises(SpectrogramError, match="snr"):
        E.add_noise(x, x, [3.0, 4.0])
