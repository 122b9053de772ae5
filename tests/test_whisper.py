"""spectrograms.whisper against openai-whisper on real speech (the `speech` fixture) and noise."""

import numpy as np
import pytest
import torch

from spectrograms import whisper as sw
from spectrograms.errors import InvalidInputError, InvalidTypeError

whisper = pytest.importorskip("whisper")


@pytest.fixture(scope="module")
def speech32(speech):
    samples, rate = speech
    assert rate == sw.SAMPLE_RATE
    return samples.astype(np.float32)


@pytest.mark.parametrize("n_mels", [80, 128])
@pytest.mark.parametrize("padding", [0, sw.N_SAMPLES])
def test_log_mel_equals_openai_whisper_on_speech(speech32, n_mels, padding):
    expected = whisper.log_mel_spectrogram(torch.from_numpy(speech32), n_mels=n_mels, padding=padding)
    ours = sw.log_mel_spectrogram(speech32, n_mels=n_mels, padding=padding)
    assert ours.shape == expected.shape and ours.dtype == torch.float32
    torch.testing.assert_close(ours, expected, atol=1e-4, rtol=0)


def test_float64_is_tighter(speech32):
    audio = torch.from_numpy(speech32).double()
    window = torch.hann_window(sw.N_FFT, dtype=torch.float64)
    power = torch.stft(audio, sw.N_FFT, sw.HOP_LENGTH, window=window, return_complex=True)[..., :-1].abs() ** 2
    log_spec = (sw.mel_filters(80).double() @ power).clamp(min=1e-10).log10()
    expected = (torch.maximum(log_spec, log_spec.max() - 8.0) + 4.0) / 4.0
    ours = sw.log_mel_spectrogram(audio)
    assert ours.dtype == torch.float64
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)  # float32 bank values bound this


def test_batch_per_item_and_whole_batch_max(speech32):
    quiet = speech32[: 3 * sw.SAMPLE_RATE] * 1e-3
    loud = speech32[sw.SAMPLE_RATE: 4 * sw.SAMPLE_RATE]
    batch = np.stack([quiet, loud])
    per_item = sw.log_mel_spectrogram(batch)
    for item, clip in zip(per_item, batch):
        torch.testing.assert_close(item, whisper.log_mel_spectrogram(torch.from_numpy(clip)), atol=1e-4, rtol=0)
    whole = sw.log_mel_spectrogram(batch, normalize="batch")
    torch.testing.assert_close(whole, whisper.log_mel_spectrogram(torch.from_numpy(batch)), atol=1e-4, rtol=0)
    assert not torch.allclose(whole[0], per_item[0], atol=1e-2)  # the loud clip moved the quiet one's floor


def test_mel_filters_and_pad_or_trim_match_whisper():
    for n_mels in (80, 128):
        torch.testing.assert_close(sw.mel_filters(n_mels), whisper.audio.mel_filters("cpu", n_mels), atol=1e-7, rtol=0)
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    for length in (3, 5, 8):
        np.testing.assert_array_equal(sw.pad_or_trim(x, length), whisper.pad_or_trim(x, length))
        torch.testing.assert_close(sw.pad_or_trim(torch.from_numpy(x), length),
                                   whisper.pad_or_trim(torch.from_numpy(x), length))
    assert sw.N_FRAMES == whisper.audio.N_FRAMES and sw.N_SAMPLES == whisper.audio.N_SAMPLES
    assert sw.TOKENS_PER_SECOND == whisper.audio.TOKENS_PER_SECOND


def test_differentiable(speech32):
    audio = torch.from_numpy(speech32[:8000]).double().requires_grad_()
    sw.log_mel_spectrogram(audio).sum().backward()
    assert audio.grad is not None and torch.isfinite(audio.grad).all()


@pytest.mark.slow
def test_layer_compiles_fullgraph(speech32):
    from spectrograms.nn.frontends import WhisperLogMelSpectrogram

    layer = WhisperLogMelSpectrogram(128)
    compiled = torch.compile(torch.nn.Sequential(layer), fullgraph=True)
    clip = torch.from_numpy(np.stack([speech32[:16000], speech32[16000:32000]]))
    torch.testing.assert_close(compiled(clip), sw.log_mel_spectrogram(clip, n_mels=128), atol=1e-5, rtol=0)


@pytest.mark.parametrize("call, error, text", [
    (lambda: sw.log_mel_spectrogram(np.zeros(16000, np.float32), n_mels=64), InvalidInputError, "n_mels"),
    (lambda: sw.log_mel_spectrogram(np.zeros(16000, np.float32), padding=-1), InvalidInputError, "padding"),
    (lambda: sw.log_mel_spectrogram(np.zeros(100, np.float32)), InvalidInputError, "samples"),
    (lambda: sw.log_mel_spectrogram(np.zeros(16000, np.int16)), InvalidTypeError, "dtype"),
    (lambda: sw.log_mel_spectrogram([0.0] * 16000), InvalidTypeError, "audio"),
    (lambda: sw.log_mel_spectrogram(np.zeros(16000, np.float32), normalize="max"), InvalidInputError, "normalize"),
    (lambda: sw.pad_or_trim(np.zeros(4), -2), InvalidInputError, "length"),
])
def test_named_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()
