"""spectrograms.nemo against an independent reference of NeMo's preprocessor.

NeMo itself is not installed (it pulls in much of an ASR stack), so `nemo_reference` below rebuilds
FilterbankFeatures.forward from torch and librosa primitives step by step as NeMo defines it
(nemo/collections/asr/parts/preprocessing/features.py, NVIDIA/NeMo at 8cfedd7): torch.stft with a
symmetric torch window of n_window_size, zero ("constant") centre padding, |X| ** mag_power,
librosa.filters.mel(norm=mel_norm) in float32, log(x + 2**-24), per-feature mean/unbiased std over each
item's frames (+1e-5), pad_value past them and padding to a multiple of pad_to. Compared with dither 0
(eval mode) within 1e-4 absolute on float32 real speech and synthetic signals (except, rarely, where a
band sits on float32's rounding floor; see _close_in_float32);
float64 within 1e-6 (measured 5e-8, the normalisation magnifying summation-order rounding).
"""

import librosa
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spectrograms.errors import InvalidInputError, SpectrogramError
from spectrograms.nemo import AudioToMelSpectrogramPreprocessor

WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window, "blackman": torch.blackman_window,
           "bartlett": torch.bartlett_window}


def nemo_reference(x, length, *, sample_rate=16000, window_size=0.02, window_stride=0.01, window="hann",
                   normalize="per_feature", n_fft=None, preemph=0.97, features=64, lowfreq=0, highfreq=None,
                   log=True, log_zero_guard_type="add", log_zero_guard_value=2**-24, pad_to=16, frame_splicing=1,
                   exact_pad=False, pad_value=0.0, mag_power=2.0, mel_norm="slaney"):
    win, hop = int(window_size * sample_rate), int(window_stride * sample_rate)
    n_fft = n_fft or 2 ** int(np.ceil(np.log2(win)))
    pad_amount = (n_fft - hop) // 2 if exact_pad else None
    frames_len = (length + (2 * pad_amount if exact_pad else n_fft // 2 * 2) - n_fft) // hop
    frames_len = torch.where(length == 0, 0, frames_len)
    if exact_pad:
        x = torch.nn.functional.pad(x, (pad_amount, pad_amount))
    if preemph is not None:
        mask = torch.arange(x.shape[1])[None, :] < length[:, None]
        x = torch.cat((x[:, :1], x[:, 1:] - preemph * x[:, :-1]), dim=1).masked_fill(~mask, 0.0)
    # NeMo's window is a float32 buffer; float64 signals get its float32 values (leakage into quiet
    # bands is sensitive to them).
    spec = torch.stft(x, n_fft=n_fft, hop_length=hop, win_length=win, center=not exact_pad,
                      window=WINDOWS[window](win, periodic=False).to(x.dtype), return_complex=True,
                      pad_mode="constant")
    spec = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1))
    if mag_power != 1.0:
        spec = spec.pow(mag_power)
    fb = torch.tensor(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=features, fmin=lowfreq,
                                          fmax=highfreq or sample_rate / 2, norm=mel_norm), dtype=torch.float32)
    out = torch.matmul(fb.to(x.dtype), spec)
    if log:
        out = torch.log(out + log_zero_guard_value) if log_zero_guard_type == "add" else \
            torch.log(out.clamp(min=log_zero_guard_value))
    out = torch.cat([out] * frame_splicing, dim=1)  # what NeMo's splice_frames computes
    valid = torch.arange(out.shape[-1])[None, :] < frames_len[:, None]
    if normalize == "per_feature":
        m = valid[:, None, :]
        n = valid.sum(1)[:, None].to(x.dtype)
        mean = torch.where(m, out, 0.0).sum(2) / n
        std = torch.sqrt(torch.where(m, out - mean[..., None], 0.0).pow(2).sum(2) / (n - 1.0))
        out = (out - mean[..., None]) / (std.nan_to_num(0.0) + 1e-5)[..., None]
    elif normalize == "all_features":
        items = []
        for item, count in zip(out, frames_len.tolist()):  # the reference may loop; NeMo does here
            part = item[:, :count]
            items.append((item - part.mean()) / (part.std() + 1e-5))
        out = torch.stack(items)
    out = out.masked_fill(~valid[:, None, :], pad_value)
    if pad_to and out.shape[-1] % pad_to:
        out = torch.nn.functional.pad(out, (0, pad_to - out.shape[-1] % pad_to), value=pad_value)
    return out, frames_len


@pytest.fixture(scope="module")
def batch(speech):
    samples, rate = speech
    rng = np.random.default_rng(3)
    t = np.arange(3 * rate) / rate
    chirp = 0.4 * np.sin(2 * np.pi * (100 * t + 1200 * t**2)) + 0.01 * rng.standard_normal(t.size)
    speech_part = samples[: 3 * rate]
    signal = np.zeros((3, 3 * rate))
    signal[0], signal[1], signal[2, : 2 * rate + 77] = speech_part, chirp, samples[rate: 3 * rate + 77]
    return torch.from_numpy(signal), torch.tensor([3 * rate, 3 * rate - 1234, 2 * rate + 77])


CONFIGS = [
    dict(),
    dict(window_size=0.025, features=80, n_fft=512),  # NeMo's Conformer / FastConformer / Parakeet recipe
    dict(window_size=0.025, features=128, n_fft=512, pad_to=0),  # Canary / Parakeet-TDT v2 style
    dict(exact_pad=True, window_size=0.025, n_fft=512, features=80),
    dict(normalize="all_features"),
    dict(normalize="NA", log_zero_guard_type="clamp", log_zero_guard_value=1e-5),
    dict(mag_power=1.0, window="hamming", mel_norm=None, preemph=None),
    dict(mag_power=1.5, frame_splicing=3, lowfreq=60, highfreq=7000, pad_value=-1.0, window="blackman"),
    dict(sample_rate=8000, window_size=0.032, window_stride=0.016, features=40, pad_to=8),
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_equals_nemo_reference(batch, config):
    signal, length = batch
    if config.get("sample_rate") == 8000:
        signal = signal[:, ::2].contiguous()
        length = length // 2
    layer = AudioToMelSpectrogramPreprocessor(dither=0.0, **config).eval()
    got, got_len = layer(signal.float(), length)
    expected, expected_len = nemo_reference(signal.float(), length, **config)
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert got.shape[-1] % (config.get("pad_to", 16) or 1) == 0
    torch.testing.assert_close(got_len, expected_len, atol=0, rtol=0)
    got64, _ = layer(signal, length)
    expected64, _ = nemo_reference(signal, length, **config)
    assert got64.dtype == torch.float64
    torch.testing.assert_close(got64, expected64, atol=1e-6, rtol=0)  # measured 5e-8
    _close_in_float32(got, expected, expected64)


def _close_in_float32(got, expected, exact):
    """Within 1e-4 of NeMo's float32 numbers, except where either float32 computation is itself further
    than 5e-5 from the float64 one: a mel band far below its frame's loudest band (the chirp's low
    bands as it sweeps above them) sits on float32's FFT rounding floor, where the two differ by up to
    ~4e-4 after normalisation. Those elements must be rare (< 3%; 1.4% with 128 bands) and ours within 1e-3 of float64 there."""
    ours_error, their_error = (got.double() - exact).abs(), (expected.double() - exact).abs()
    floor = (ours_error > 5e-5) | (their_error > 5e-5)
    assert floor.double().mean() < 0.03
    assert float(ours_error.max()) < 1e-3
    assert float((got.double() - expected.double()).abs().masked_fill(floor, 0.0).max()) <= 1e-4


def test_defaults_and_lengths_are_nemos(batch):
    layer = AudioToMelSpectrogramPreprocessor()
    f = layer.featurizer
    assert (f.win_length, f.hop_length, f.n_fft, f.nfilt, f.pad_to, f.dither) == (320, 160, 512, 64, 16, 1e-5)
    assert f.window.shape == (320,) and f.fb.shape == (1, 64, 257)
    signal, length = batch
    out, out_len = layer.eval()(signal.float(), length)
    assert out.shape == (3, 64, 304) and out_len.tolist() == (length // 160).tolist()
    assert bool((out[:, :, 300:] == 0).all())


def test_dither_only_in_training(batch):
    signal, length = batch
    layer = AudioToMelSpectrogramPreprocessor(dither=1e-3)
    torch.manual_seed(0)
    trained, _ = layer.train()(signal.float(), length)
    evaluated, _ = layer.eval()(signal.float(), length)
    torch.testing.assert_close(evaluated, layer(signal.float(), length)[0], atol=0, rtol=0)  # eval: no noise
    _close_in_float32(evaluated, nemo_reference(signal.float(), length)[0], nemo_reference(signal, length)[0])
    assert (trained - evaluated).abs().max() > 1e-3


def test_state_dict_round_trip_and_differentiable(batch):
    signal, length = batch
    layer = AudioToMelSpectrogramPreprocessor(features=80, window_size=0.025).eval()
    state = layer.state_dict()
    assert set(state) == {"featurizer.window", "featurizer.fb"}  # NeMo's checkpoint keys
    other = AudioToMelSpectrogramPreprocessor(features=80, window_size=0.025, window="hamming").eval()
    other.load_state_dict(state)
    torch.testing.assert_close(other(signal.float(), length)[0], layer(signal.float(), length)[0])
    small = torch.randn(2, 320, dtype=torch.float64, requires_grad=True)
    tiny = AudioToMelSpectrogramPreprocessor(n_window_size=64, n_window_stride=32, features=8, dither=0.0,
                                             window_size=None, window_stride=None).double().eval()
    assert torch.autograd.gradcheck(lambda x: tiny(x, torch.tensor([320, 250]))[0], (small,), eps=1e-6, atol=1e-5,
                                    fast_mode=True)


def test_named_refusals(batch):
    signal, length = batch
    with pytest.raises(InvalidInputError, match="window must be one of"):
        AudioToMelSpectrogramPreprocessor(window="kaiser")
    with pytest.raises(InvalidInputError, match="normalize must be"):
        AudioToMelSpectrogramPreprocessor(normalize="per_features")
    with pytest.raises(InvalidInputError, match="not both"):
        AudioToMelSpectrogramPreprocessor(n_window_size=400)
    with pytest.raises(InvalidInputError, match="use_torchaudio"):
        AudioToMelSpectrogramPreprocessor(use_torchaudio=True)
    with pytest.raises(InvalidInputError, match="log_zero_guard_type"):
        AudioToMelSpectrogramPreprocessor(log_zero_guard_type="floor")
    with pytest.raises(InvalidInputError, match="length must lie in"):
        AudioToMelSpectrogramPreprocessor()(signal.float(), length + 10**6)
    with pytest.raises(InvalidInputError, match="input_signal must have shape"):
        AudioToMelSpectrogramPreprocessor()(signal[0].float(), length[:1])
    with pytest.raises(InvalidInputError, match="NaN"):
        AudioToMelSpectrogramPreprocessor()(torch.full((1, 4000), float("nan")), torch.tensor([4000]))


_BAD = st.one_of(
    st.builds(lambda v: dict(window=v), st.text(max_size=8).filter(lambda v: v not in WINDOWS)),
    st.builds(lambda v: dict(features=v), st.integers(-100, 0)),
    st.builds(lambda v: dict(n_fft=v), st.integers(-10, 319)),
    st.builds(lambda v: dict(dither=v), st.floats(max_value=-1e-9, allow_nan=False) | st.just(float("nan"))),
    st.builds(lambda v: dict(frame_splicing=v), st.integers(-5, 0)),
    st.builds(lambda v: dict(mag_power=v), st.floats(max_value=0.0, allow_nan=False)),
    st.builds(lambda v: dict(lowfreq=v), st.floats(min_value=8000, max_value=1e9)),
    st.builds(lambda v: dict(mel_norm=v), st.sampled_from(["htk", 1, "area"])),
    st.builds(lambda v: dict(pad_to=v), st.sampled_from(["min", 1.5, None])),
)


@settings(max_examples=80, deadline=None)
@given(config=_BAD)
def test_bad_options_are_named(config):
    with pytest.raises(SpectrogramError) as error:
        AudioToMelSpectrogramPreprocessor(**config)
    name = next(iter(config))
    assert name in str(error.value) or (name == "mag_power" and "mag_power" in str(error.value))
