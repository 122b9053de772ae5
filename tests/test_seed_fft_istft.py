"""The seed library's 1-D FFT functions, ``len()`` of a spectrogram and its inverse STFT where no frame carries
a sample, against spectrograms 2.1.3 on real speech (a hop longer than the window, which the seed refuses, is
ours only): ``compute_fft`` is the half spectrum, ``compute_rfft`` its
magnitude, ``compute_irfft(spectrum, n_fft)`` the inverse (float64 within 1e-12 of the peak, float32 within
2e-6); ``len(spectrogram)`` counts frames; ``compute_istft`` returns 0 at samples no frame carries (a window
that is zero at its ends) and the least-squares inverse elsewhere
(within 1e-9)."""

import warnings

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms.ops.istft import window_envelope
from tests.seed_oracle import needs_seed, run_seed

_SEED_SCRIPT = """
out["fft"] = sg.compute_fft(x[:512])
out["fft_padded"] = sg.compute_fft(x[:300], 512)
out["fft_f32"] = sg.compute_fft(x[:512], dtype="float32")
out["rfft"] = sg.compute_rfft(x[:300], 512)
out["rfft_f32"] = sg.compute_rfft(x[:300], 512, dtype="float32")
out["irfft"] = sg.compute_irfft(sg.compute_fft(x[:512]), 512)
out["irfft_odd"] = sg.compute_irfft(sg.compute_fft(x[:301], 301), 301)
params = sg.SpectrogramParams(sg.StftParams(512, 160, sg.WindowType.hanning, True), 16000.0)
out["len"] = np.array(len(sg.compute_linear_power_spectrogram(x, params)))
for name, n_fft, hop, window, centre in (("zero_ends", 512, 128, "hanning", False),
                                         ("frame_edges", 256, 256, "hanning", True),
                                         ("frame_edges_uncentred", 256, 256, "blackman", False),
                                         ("blackman_ends", 400, 100, "blackman", False)):
    stft = sg.compute_stft(x, sg.SpectrogramParams(sg.StftParams(n_fft, hop, getattr(sg.WindowType, window), centre), 16000.0))
    out[name + "_stft"] = np.asarray(stft.data)
    out[name] = sg.compute_istft(np.asarray(stft.data), n_fft, hop, getattr(sg.WindowType, window), centre)
"""

# (n_fft, hop, window, centre, samples lost inside the signal): a symmetric window is zero at its ends, so
# without centring the first and last samples are carried by no frame, and with hop == n_fft neither is
# each frame's first and last sample.
ISTFT_CASES = {"zero_ends": (512, 128, "hanning", False, False), "frame_edges": (256, 256, "hanning", True, True),
               "frame_edges_uncentred": (256, 256, "blackman", False, True),
               "blackman_ends": (400, 100, "blackman", False, False)}


@pytest.fixture(scope="module")
def voice(speech):
    return np.ascontiguousarray(speech[0][:16000], dtype=np.float64)


@pytest.fixture(scope="module")
def seed_values(voice):
    return run_seed(_SEED_SCRIPT, x=voice)


def _close(ours, theirs, tolerance):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * float(np.abs(theirs).max()))


@needs_seed
def test_fft_family_gives_the_seeds_numbers(voice, seed_values):
    _close(sg.compute_fft(voice[:512]), seed_values["fft"], 1e-12)
    _close(sg.compute_fft(voice[:300], 512), seed_values["fft_padded"], 1e-12)
    _close(sg.compute_fft(voice[:512], dtype="float32"), seed_values["fft_f32"], 2e-6)
    _close(sg.compute_rfft(voice[:300], 512), seed_values["rfft"], 1e-12)
    _close(sg.compute_rfft(voice[:300], 512, dtype="float32"), seed_values["rfft_f32"], 2e-6)
    _close(sg.compute_irfft(sg.compute_fft(voice[:512]), 512), seed_values["irfft"], 1e-12)
    _close(sg.compute_irfft(sg.compute_fft(voice[:301], 301), n_fft=301), seed_values["irfft_odd"], 1e-12)


@needs_seed
def test_len_counts_frames_as_the_seed(voice, seed_values):
    params = sg.SpectrogramParams(sg.StftParams(512, 160, sg.WindowType.hanning, True), 16000.0)
    spectrogram = sg.compute_linear_power_spectrogram(voice, params)
    assert len(spectrogram) == int(seed_values["len"]) == spectrogram.n_frames
    np.testing.assert_array_equal(spectrogram[0], spectrogram.data[0])  # indexing still picks rows


@needs_seed
@pytest.mark.parametrize("case", sorted(ISTFT_CASES))
def test_istft_returns_zero_where_no_frame_carries_a_sample(case, seed_values):
    n_fft, hop, window, centre, lost_inside = ISTFT_CASES[case]
    stft = seed_values[case + "_stft"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = sg.compute_istft(stft, n_fft, hop, getattr(sg.WindowType, window), centre)
    _close(ours, seed_values[case], 1e-9)
    assert any("carried by no frame" in str(w.message) for w in caught) == lost_inside  # lost samples are said
    # complex64 in, float32 out, compared where the window-square sum is at least 1% of its peak: nearer 0 the
    # division by it makes float32 rounding large (as in torch.istft)
    single = sg.compute_istft(stft.astype(np.complex64), n_fft, hop, getattr(sg.WindowType, window), centre)
    assert single.dtype == torch.float32
    coefficients = getattr(sg.WindowType, window).coefficients(n_fft, torch.float64)
    envelope = window_envelope(coefficients, stft.shape[-1], hop).numpy()
    envelope = envelope[n_fft // 2 if centre else 0:][:single.shape[-1]]
    kept = envelope >= 0.01 * envelope.max()
    _close(single.numpy()[kept].astype(np.float64), seed_values[case][kept], 1e-5)


def test_istft_zero_fill_is_only_the_seed_form(voice):
    # The StftParams form keeps refusing: there the caller asked for the least-squares inverse.
    params = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.hanning, False), 16000.0)
    stft = sg.compute_stft(voice, params)
    with pytest.raises(sg.InvalidInputError, match="window-square sum is ~0"):
        sg.compute_istft(stft)
    # a batch through the seed form: each item as on its own, and differentiable
    batch = torch.stack([stft.tensor, 2 * stft.tensor]).requires_grad_()
    signals = sg.compute_istft(batch, 512, 128, sg.WindowType.hanning, False)
    single = sg.compute_istft(stft.tensor, 512, 128, sg.WindowType.hanning, False)
    torch.testing.assert_close(signals[1].detach(), 2 * single, rtol=1e-12, atol=1e-12)
    signals.sum().backward()
    assert batch.grad is not None and torch.isfinite(batch.grad).all()


def test_istft_gaps_of_a_hop_longer_than_the_window_are_zero_and_said(voice):
    params = sg.SpectrogramParams(sg.StftParams(256, 300, sg.WindowType.hamming, False), 16000.0)
    stft = sg.compute_stft(voice, params).data
    with pytest.warns(UserWarning, match=r"\d+ samples inside the signal are carried by no frame"):
        signal = sg.compute_istft(stft, 256, 300, sg.WindowType.hamming, False).numpy()
    inside = np.add.outer(np.arange(0, signal.size - 255, 300), np.arange(256)).ravel()
    np.testing.assert_allclose(signal[inside], voice[inside], rtol=0, atol=1e-12)
    gap = np.setdiff1d(np.arange(signal.size), inside)
    assert gap.size and not signal[gap].any()


def test_compute_istft_keeps_the_gradient():
    # torchaudio's inverse-spectrogram gradcheck: a tensor that requires grad keeps its graph through both forms
    params = sg.SpectrogramParams(sg.StftParams(16, 4, sg.WindowType.hann, True), 1.0)
    stft = sg.compute_stft(np.random.default_rng(3).standard_normal(40), params).tensor.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda s: sg.compute_istft(s, params), (stft,))
    assert torch.autograd.gradcheck(lambda s: sg.compute_istft(s, 16, 4, sg.WindowType.hanning, False), (stft,))
