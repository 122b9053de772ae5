"""The nn front-end layers: spectrograms.nn.KaldiFbank / KaldiMFCC / KaldiSpectrogram against
torchaudio.compliance.kaldi (the reference of spectrograms.compliance.kaldi), NeMo's preprocessor as a
layer, and what each layer supports: nn.Sequential, gradients (gradcheck in float64), torch.compile
(fullgraph=False), torch.jit.trace, and the routes that do not work, asserted so a change is noticed.

Tolerances: each layer gives exactly what spectrograms.compliance.kaldi's function of the same name
gives (float32 and float64), whose own tests hold it to torchaudio over the option grid (1e-3 in the log
domain); here the layer is also checked against torchaudio itself within 1e-2 (MFCC's lifter magnifies
log-domain differences up to 12x). A batch item is within 1e-5 of its own call.
"""

import io

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import spectrograms.nn as snn
from spectrograms.compliance import kaldi
from spectrograms.errors import InvalidTypeError, SpectrogramError
from spectrograms.nemo import AudioToMelSpectrogramPreprocessor

ta_kaldi = pytest.importorskip("torchaudio.compliance.kaldi")

LAYERS = {
    "KaldiFbank": (snn.KaldiFbank, ta_kaldi.fbank, dict(num_mel_bins=80, dither=0.0)),
    "KaldiFbank_energy_hamming": (snn.KaldiFbank, ta_kaldi.fbank,
                                  dict(num_mel_bins=40, use_energy=True, window_type="hamming", snip_edges=False)),
    "KaldiMFCC": (snn.KaldiMFCC, ta_kaldi.mfcc, dict(num_ceps=20, num_mel_bins=40)),
    "KaldiSpectrogram": (snn.KaldiSpectrogram, ta_kaldi.spectrogram, dict(subtract_mean=True)),
}


@pytest.fixture(scope="module")
def speech32(speech):
    samples, rate = speech
    return torch.from_numpy(samples[: 3 * rate].astype(np.float32))


@pytest.mark.parametrize("name", LAYERS)
def test_layer_equals_torchaudio_on_speech(speech32, name):
    cls, reference, options = LAYERS[name]
    layer = cls(**options)
    expected = reference(speech32[None], **options)
    torch.testing.assert_close(layer(speech32[None]), getattr(kaldi, reference.__name__)(speech32[None], **options),
                               atol=0, rtol=0)
    torch.testing.assert_close(layer(speech32[None]), expected, atol=1e-2, rtol=0)  # (channel, time)
    torch.testing.assert_close(layer(speech32), layer(speech32[None]), atol=0, rtol=0)  # (time,)
    wide = speech32.double()[None]  # float64: the layer is compliance.kaldi's function, exactly
    ours = getattr(kaldi, reference.__name__)(wide, **options)
    torch.testing.assert_close(layer(wide), ours, atol=0, rtol=0)


@pytest.mark.parametrize("name", LAYERS)
def test_batch_with_lengths_equals_items(speech32, name):
    cls, reference, options = LAYERS[name]
    layer = cls(**options)
    batch = torch.stack([speech32, speech32.flip(0)])
    batch[1, 30_000:] = 0.0
    features, frame_lengths = layer(batch, torch.tensor([48_000, 30_000]))
    for index, length in enumerate((48_000, 30_000)):
        expected = layer(batch[index: index + 1, :length])
        assert int(frame_lengths[index]) == expected.shape[0]
        torch.testing.assert_close(features[index, : expected.shape[0]], expected, atol=1e-5, rtol=0)


def test_channel_keyword_and_half_precision(speech32):
    stereo = torch.stack([speech32, speech32 * 0.5])
    layer = snn.KaldiFbank(channel=1, num_mel_bins=23)
    torch.testing.assert_close(layer(stereo), ta_kaldi.fbank(stereo, channel=1), atol=1e-3, rtol=0)
    half = layer(stereo.half())
    assert half.dtype == torch.float16


def test_sequential_and_gradcheck(speech32):
    model = nn.Sequential(snn.KaldiFbank(num_mel_bins=23), nn.Linear(23, 4))
    out = model(speech32)
    assert out.shape == (298, 4)
    signal = torch.randn(1, 800, dtype=torch.float64, requires_grad=True)
    for cls in (snn.KaldiFbank, snn.KaldiMFCC, snn.KaldiSpectrogram):
        layer = cls(frame_length=10.0, frame_shift=5.0, **({} if cls is snn.KaldiSpectrogram else
                                                             dict(num_mel_bins=10, low_freq=100.0)),
                    **(dict(num_ceps=6) if cls is snn.KaldiMFCC else {}))
        assert torch.autograd.gradcheck(layer, (signal,), eps=1e-6, atol=1e-4, fast_mode=True)


def test_torch_compile_runs(speech32):
    layer = snn.KaldiFbank(num_mel_bins=40)
    compiled = torch.compile(layer, fullgraph=False, backend="eager")
    # within the Kaldi target: a compiled graph may run compliance.kaldi's tensor-op path, not its native one
    torch.testing.assert_close(compiled(speech32), layer(speech32), atol=1e-3, rtol=0)
    nemo = AudioToMelSpectrogramPreprocessor(dither=0.0).eval()
    lengths = torch.tensor([48_000])
    compiled_nemo = torch.compile(nemo, fullgraph=False, backend="eager")
    torch.testing.assert_close(compiled_nemo(speech32[None], lengths)[0], nemo(speech32[None], lengths)[0])


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_export_routes(speech32):
    """torch.jit.trace works for a fixed input length; torch.jit.script (keyword options) does not; ONNX
    export with dynamo=True takes the layer's export path (spectrograms/export/kaldi.py, tested in
    tests/test_export_onnx.py)."""
    layer = snn.KaldiFbank(num_mel_bins=40)
    traced = torch.jit.trace(layer, (speech32,), check_trace=False)
    torch.testing.assert_close(traced(speech32.flip(0)), layer(speech32.flip(0)), atol=1e-3, rtol=0)
    with pytest.raises(Exception):
        torch.jit.script(layer)
    # The deprecated TorchScript-based exporter (dynamo=False) writes a graph onnxruntime refuses
    # (a Mul of mismatched framing shapes); the dynamo exporter is the supported route.
    ort = pytest.importorskip("onnxruntime")
    buffer = io.BytesIO()
    with pytest.raises(Exception):
        torch.onnx.export(layer, (speech32,), buffer, dynamo=False)
        ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])


def test_nemo_preprocessor_in_sequential_with_lengths(speech32):
    nemo = AudioToMelSpectrogramPreprocessor(window_size=0.025, features=80, n_fft=512, dither=0.0).eval()
    features, lengths = nemo(torch.stack([speech32, speech32]), torch.tensor([48_000, 32_000]))
    assert features.shape == (2, 80, 304) and lengths.tolist() == [300, 200]


_BAD = st.one_of(
    st.builds(lambda v: dict(window_type=v), st.text(max_size=10).filter(
        lambda v: v not in ("hamming", "hanning", "povey", "rectangular", "blackman"))),
    st.builds(lambda v: dict(frame_length=v), st.floats(min_value=-100.0, max_value=0.1)),
    st.builds(lambda v: dict(num_mel_bins=v), st.integers(-10, 3) | st.integers(200, 10_000)),
    st.builds(lambda v: dict(frame_shift=v), st.floats(min_value=-10.0, max_value=0.05)),
    st.builds(lambda v: dict(sample_frequency=v), st.floats(max_value=0.0, allow_nan=False)),
)


@settings(max_examples=60, deadline=None)
@given(options=_BAD)
def test_bad_options_are_named_at_construction(options):
    with pytest.raises(SpectrogramError) as error:
        snn.KaldiFbank(**options)
    assert next(iter(options)) in str(error.value)


def test_unknown_option_is_named():
    with pytest.raises(InvalidTypeError, match="n_mels"):
        snn.KaldiFbank(n_mels=80)
