"""spectrograms.functional against torchaudio.functional 2.11, on speech and synthetic signals.

Tolerances: float32 within 1e-5 of torchaudio's largest value (relative to the output's peak), float64
within 1e-10. Where torchaudio computes a kernel or filterbank in float32 while ours is float64, the
float64 comparisons run torchaudio under ``torch.set_default_dtype(torch.float64)``, or against its
float64 path, so both sides are float64 all the way.
"""

import math

import pytest
import torch

import spectrograms.functional as SF
from spectrograms.errors import InvalidInputError, InvalidTypeError, SpectrogramError

from .conftest import tone_mix

TF = pytest.importorskip("torchaudio.functional")

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def close(ours, theirs, dtype, tol=None):
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype
    scale = theirs.abs().max().clamp(min=1e-30)
    error = float((ours - theirs).abs().max() / scale)
    assert error <= (tol or TOL[dtype]), error


@pytest.fixture
def float64_default():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@pytest.fixture(scope="module")
def signals():
    tones = torch.from_numpy(tone_mix(16000 * 2, seed=3))
    return {"tones": tones, "stereo": torch.stack([tones, torch.from_numpy(tone_mix(16000 * 2, seed=4))])}


def _inputs(speech, signals):
    return {"speech": torch.from_numpy(speech[0]), **signals}


def torchaudio_resample(x, *args, **kwargs):
    """torchaudio's resample with its scalars in the waveform's dtype: under the float32 default dtype it
    makes the Kaiser beta and i0(beta) float32 scalars, which scales a float64 kernel by 1.9e-8."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if x.dtype == torch.float64 else torch.float32)
    try:
        return TF.resample(x, *args, **kwargs)
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rates", [(16000, 8000), (44100, 16000), (16000, 22050), (8000, 16000)])
@pytest.mark.parametrize("method", ["sinc_interp_hann", "sinc_interp_kaiser"])
def test_resample(speech, signals, dtype, rates, method):
    for name, x in _inputs(speech, signals).items():
        x = x.to(dtype)
        ours = SF.resample(x, *rates, resampling_method=method)
        close(ours, torchaudio_resample(x, *rates, resampling_method=method), dtype)
        if dtype == torch.float64 and method == "sinc_interp_kaiser":
            # Against torchaudio as called by default: only its float32 normalising constant differs.
            close(ours, TF.resample(x, *rates, resampling_method=method), dtype, 5e-8)


@pytest.mark.parametrize("options", [dict(lowpass_filter_width=16, rolloff=0.85),
                                     dict(resampling_method="sinc_interp_kaiser", beta=8.6, lowpass_filter_width=3)])
def test_resample_options(signals, options):
    x = signals["stereo"]
    close(SF.resample(x, 48000, 32000, **options), torchaudio_resample(x, 48000, 32000, **options), torch.float64)


def test_resample_same_rate_and_errors(signals):
    x = signals["tones"]
    assert SF.resample(x, 16000, 16000) is x
    with pytest.raises(InvalidInputError, match="orig_freq"):
        SF.resample(x, 44100.5, 16000)
    with pytest.raises(InvalidInputError, match="resampling_method"):
        SF.resample(x, 16000, 8000, resampling_method="linear")
    with pytest.raises(InvalidInputError, match="lowpass_filter_width"):
        SF.resample(x, 16000, 8000, lowpass_filter_width=0)
    with pytest.raises(InvalidTypeError, match="waveform"):
        SF.resample(x.long(), 16000, 8000)


@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
@pytest.mark.parametrize("args", [(201, 0.0, 8000.0, 64, 16000), (257, 60.0, 7600.0, 40, 16000),
                                  (1025, 20.0, 22050.0, 128, 44100)])
def test_melscale_fbanks(norm, mel_scale, args, float64_default):
    truth = TF.melscale_fbanks(*args, norm, mel_scale)
    close(SF._melscale_fbanks64(*args, norm, mel_scale), truth, torch.float64)
    torch.set_default_dtype(torch.float32)
    ours32, theirs32 = SF.melscale_fbanks(*args, norm, mel_scale), TF.melscale_fbanks(*args, norm, mel_scale)
    # Ours is the float64 bank rounded once; torchaudio builds it in float32 and is itself up to 1.2e-5 off
    # the float64 bank at 1025 bins (its mel points lose digits near Nyquist), so within 1e-5 of it where
    # it is that accurate and never further from it than its own float32 error.
    close(ours32, truth.float(), torch.float32, 1e-7)
    own_error = float((theirs32.double() - truth).abs().max() / truth.abs().max())
    close(ours32, theirs32, torch.float32, max(1e-5, own_error + 1e-7))


def test_linear_fbanks_and_dct(float64_default):
    close(SF._linear_fbanks64(201, 0.0, 8000.0, 128, 16000), TF.linear_fbanks(201, 0.0, 8000.0, 128, 16000),
          torch.float64)
    for norm in (None, "ortho"):
        close(SF._create_dct64(20, 128, norm), TF.create_dct(20, 128, norm), torch.float64)
    torch.set_default_dtype(torch.float32)
    close(SF.linear_fbanks(201, 0.0, 8000.0, 128, 16000), TF.linear_fbanks(201, 0.0, 8000.0, 128, 16000),
          torch.float32)
    close(SF.create_dct(13, 40, "ortho"), TF.create_dct(13, 40, "ortho"), torch.float32)
    with pytest.raises(InvalidInputError, match="norm"):
        SF.create_dct(13, 40, "slaney")
    with pytest.raises(InvalidInputError, match="f_min"):
        SF.melscale_fbanks(201, 9000.0, 8000.0, 40, 16000)


def test_amplitude_to_db():
    x = torch.rand(2, 3, 64, 50) ** 8
    for top_db in (None, 80.0, 20.0):
        for shaped in (x, x[0], x[0, 0]):
            close(SF.amplitude_to_DB(shaped, 10.0, 1e-10, 0.0, top_db),
                  TF.amplitude_to_DB(shaped, 10.0, 1e-10, 0.0, top_db), torch.float32)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("framing", [(400, 200, 400, 0), (512, 128, 400, 0), (256, 64, 256, 3)])
def test_spectral_centroid(speech, signals, dtype, framing):
    n_fft, hop, win_length, pad = framing
    window = torch.hann_window(win_length, dtype=dtype)
    for x in _inputs(speech, signals).values():
        x = x.to(dtype)
        ours = SF.spectral_centroid(x, 16000, pad, window, n_fft, hop, win_length)
        theirs = TF.spectral_centroid(x, 16000, pad, window, n_fft, hop, win_length)
        keep = ~theirs.isnan()  # all-zero frames are NaN in both
        assert torch.equal(keep, ~ours.isnan())
        close(ours[keep], theirs[keep], dtype)


def cmn_oracle(x, cmn_window, min_cmn_window, center, norm_vars):
    """Kaldi's sliding CMN frame by frame, each window's mean and variance by two passes over it."""
    x = x.double()
    frames = x.shape[-2]
    out = torch.empty_like(x)
    for t in range(frames):
        start = t - cmn_window // 2 if center else t - cmn_window
        end = start + cmn_window if center else t + 1
        if start < 0:  # shifted right, same length
            start, end = 0, end - start
        if not center and end > t:  # causal: at least min_cmn_window frames
            end = max(t + 1, min_cmn_window)
        if end > frames:  # shifted left, clipped at 0
            start, end = max(0, start - (end - frames)), frames
        window = x[..., start:end, :]
        mean = window.mean(dim=-2)
        value = x[..., t, :] - mean
        if norm_vars:
            value = torch.zeros_like(value) if end - start == 1 else value / window.var(dim=-2, correction=0).sqrt()
        out[..., t, :] = value
    return out


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("norm_vars", [False, True])
@pytest.mark.parametrize("windows", [(600, 100), pytest.param((50, 20), marks=pytest.mark.slow), (7, 3),
                                     pytest.param((3000, 100), marks=pytest.mark.slow), (10, 40)])
def test_sliding_window_cmn(speech, center, norm_vars, windows):
    mel = torch.log(torch.stft(torch.from_numpy(speech[0]), 400, 160, window=torch.hann_window(400, dtype=torch.float64),
                               return_complex=True).abs()[:, :300] + 1e-3).T  # (time, freq)
    # Speech's silence makes windows of identical frames, whose variance is 0 and where torchaudio's
    # norm_vars output is NaN/inf (ours follows Kaldi's floor; tested below): a 1e-3 dither avoids them.
    mel = mel + 1e-3 * torch.randn(mel.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    batch = torch.stack([mel, mel.flip(0) * 0.5 + 1.0])
    for x in (mel, batch, torch.randn(2, 1, 257, 13, dtype=torch.float64)):
        ours = SF.sliding_window_cmn(x, *windows, center, norm_vars)
        truth = cmn_oracle(x, *windows, center, norm_vars)
        theirs = TF.sliding_window_cmn(x, *windows, center, norm_vars)
        if not norm_vars or x.shape[-1] == 13:
            close(ours, truth, torch.float64)
            close(ours, theirs, torch.float64)
        else:
            # A window of dithered silence has variance 1e-6 around values near -6.9, so any one-pass
            # E[x^2] - E[x]^2 (torchaudio's running sums, our cumulative sums) is conditioned 5e7 there:
            # both are held to the two-pass truth at 1e-6, ours never further from it than torchaudio.
            close(ours, truth, torch.float64, 1e-6)
            assert (ours - truth).abs().max() <= (theirs - truth).abs().max() + 1e-12
    # torchaudio's float32 running sums drift with the window; against its float32 output we are within 1e-5
    # for the default window, and closer to the float64 truth than it is for every window.
    x32 = mel.float()
    ours32 = SF.sliding_window_cmn(x32, *windows, center, norm_vars)
    truth = cmn_oracle(mel, *windows, center, norm_vars)
    theirs32 = TF.sliding_window_cmn(x32, *windows, center, norm_vars)
    assert torch.isfinite(ours32).all()
    theirs_error = (theirs32.double() - truth).abs()
    # torchaudio's float32 variance can go negative on dithered silence (NaN there); compare elsewhere.
    finite = torch.isfinite(theirs_error)
    assert (ours32.double() - truth).abs()[finite].max() <= theirs_error[finite].max() + 1e-6
    if windows == (600, 100) and not norm_vars:
        close(ours32, theirs32, torch.float32)


def test_sliding_window_cmn_constant_frames():
    # Kaldi's variance floor: identical frames normalise to 0 (torchaudio: NaN or inf), never to NaN.
    x = torch.full((40, 5), -6.9, dtype=torch.float64)
    x[30:] += torch.linspace(0, 1, 10, dtype=torch.float64)[:, None]
    out = SF.sliding_window_cmn(x, 7, 3, False, True)
    assert torch.isfinite(out).all()
    assert out[:20].abs().max() < 1e-3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("framing", [(400, 100, 400, False), (512, 128, 320, "window"), (256, 64, 256, "frame_length")])
def test_inverse_spectrogram(speech, signals, dtype, framing):
    n_fft, hop, win_length, normalized = framing
    window = torch.hann_window(win_length, dtype=dtype)
    for x in _inputs(speech, signals).values():
        spec = TF.spectrogram(x.to(dtype), 0, window, n_fft, hop, win_length, None, normalized)
        for length in (None, x.shape[-1]):
            ours = SF.inverse_spectrogram(spec, length, 0, window, n_fft, hop, win_length, normalized)
            theirs = TF.inverse_spectrogram(spec, length, 0, window, n_fft, hop, win_length, normalized)
            close(ours, theirs, dtype)
    with pytest.raises(InvalidTypeError, match="complex"):
        SF.inverse_spectrogram(spec.abs(), None, 0, window, n_fft, hop, win_length, normalized)


def test_inverse_spectrogram_gradcheck():
    # torchaudio's own check: gradcheck of inverse_spectrogram with respect to a complex128 spectrogram.
    torch.manual_seed(0)
    spec = torch.randn(2, 33, 9, dtype=torch.complex128, requires_grad=True)
    window = torch.hann_window(64, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda s: SF.inverse_spectrogram(s, None, 0, window, 64, 16, 64, False), (spec,))


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffinlim_float64(speech, momentum):
    x = torch.from_numpy(speech[0][:16000 * 3])
    window = torch.hann_window(400, dtype=torch.float64)
    power = torch.stft(x, 400, 100, window=window, return_complex=True).abs() ** 2
    for rand_init in (False, True):
        torch.manual_seed(7)
        ours = SF.griffinlim(power, window, 400, 100, 400, 2.0, 16, momentum, x.shape[-1], rand_init)
        torch.manual_seed(7)
        theirs = TF.griffinlim(power, window, 400, 100, 400, 2.0, 16, momentum, x.shape[-1], rand_init)
        close(ours, theirs, torch.float64)


def test_griffinlim_float32(signals):
    # Griffin-Lim iterates a map that amplifies rounding (torchaudio's own float32 result differs from its
    # float64 one by ~1e-3 after 32 iterations), so float32 is held to 1e-5 after 2 iterations and to
    # 2e-4 after 8; float64 above is held to 1e-10 after 16.
    x = signals["stereo"].float()
    window = torch.hann_window(400)
    mag = torch.stft(x, 400, 100, window=window, return_complex=True).abs()
    for n_iter, tol in ((2, 1e-5), (8, 2e-4)):
        torch.manual_seed(3)
        ours = SF.griffinlim(mag, window, 400, 100, 400, 1.0, n_iter, 0.99, None, True)
        torch.manual_seed(3)
        close(ours, TF.griffinlim(mag, window, 400, 100, 400, 1.0, n_iter, 0.99, None, True), torch.float32, tol)
    with pytest.raises(InvalidInputError, match="momentum"):
        SF.griffinlim(mag, window, 400, 100, 400, 1.0, 2, 1.5, None, True)


@pytest.mark.parametrize("sample_rate", [16000, 44100, 48000])
def test_loudness(speech, signals, sample_rate):
    x = torch.from_numpy(speech[0]) if sample_rate == 16000 else SF.resample(torch.from_numpy(speech[0]), 16000,
                                                                              sample_rate)
    for wave in (x[None] * 0.9, signals["stereo"] * 0.7, torch.stack([x[None], 0.1 * x[None]])):
        close(SF.loudness(wave, sample_rate), TF.loudness(wave, sample_rate), torch.float64, 1e-10)
        close(SF.loudness(wave.float(), sample_rate), TF.loudness(wave.float(), sample_rate), torch.float32)
    with pytest.raises(InvalidInputError, match="channels"):
        SF.loudness(x, sample_rate)
    with pytest.raises(InvalidInputError, match="400 ms"):
        SF.loudness(x[None, :100], sample_rate)


def test_gain():
    x = torch.randn(3, 100)
    close(SF.gain(x, -6.0), TF.gain(x, -6.0), torch.float32)


def test_errors_are_spectrogram_errors():
    with pytest.raises(SpectrogramError):
        SF.melscale_fbanks(0, 0.0, 8000.0, 40, 16000)
    with pytest.raises(SpectrogramError):
        SF.sliding_window_cmn(torch.randn(10), 600)
    assert math.isfinite(SF._KAISER_BETA)
