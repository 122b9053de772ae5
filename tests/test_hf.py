"""spectrograms.hf against transformers' own extractors on real speech (the `speech` fixture) and on
synthetic signals, over a grid of the __call__ arguments.

Tolerances (float32 input, as transformers casts every input to float32):
- Whisper: 1e-4 absolute on input_features (both compute the log-mel in float32; measured ~6e-6).
- AST: 1e-4 absolute on input_values, and 1e-5 of torchaudio's fbank run in float64; where transformers'
  float32 value is itself further than 1e-4 from that float64 value (a few filters near Kaldi's epsilon
  floor), ours is checked against the float64 value only (see _ast_close).
- SeamlessM4T: 1e-4 absolute where every mel bin varies over the item (speech, noise, chirps). The
  per-bin normalisation divides by each bin's spread, so where a bin barely varies (a steady tone: std
  0.03) the one-ulp float32 rounding of a log-mel near 25 (2e-6), which both libraries do, grows to
  2e-6 / std; that case is checked against the bound 4 ulp / min std, and against the exactly
  normalised float64 features within 1e-5.
- attention masks: equal.
"""

import logging

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spectrograms import hf
from spectrograms.errors import InvalidInputError, InvalidTypeError, SpectrogramError

transformers = pytest.importorskip("transformers")
logging.getLogger("transformers").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def clips(speech):
    """Three ragged float32 items: two pieces of speech and a chirp over noise."""
    samples, rate = speech
    assert rate == 16000
    rng = np.random.default_rng(7)
    t = np.arange(int(2.3 * rate)) / rate
    chirp = 0.3 * np.sin(2 * np.pi * (200 * t + 900 * t**2)) + 0.02 * rng.standard_normal(t.size)
    return [samples[: 4 * rate].astype(np.float32), samples[rate: rate + 25_111].astype(np.float32),
            chirp.astype(np.float32)]


def _close(ours, theirs, atol):
    assert set(ours.keys()) == set(theirs.keys())
    for key in theirs:
        expected, got = theirs[key], ours[key]
        assert type(got) is type(expected), key
        if isinstance(expected, list):
            expected, got = np.stack(expected), np.stack(got)
        expected, got = np.asarray(expected), np.asarray(got)
        assert got.shape == expected.shape and got.dtype == expected.dtype, key
        if key == "attention_mask":
            np.testing.assert_array_equal(got, expected)
        else:
            np.testing.assert_allclose(got, expected, atol=atol, rtol=0)


WHISPER_GRID = [
    dict(),
    dict(padding="longest", return_attention_mask=True),
    dict(padding=True, pad_to_multiple_of=480, return_attention_mask=True),
    dict(padding="max_length", max_length=100_000, return_attention_mask=True),
    dict(max_length=40_000, truncation=True, padding="max_length"),
    dict(do_normalize=True),
    dict(do_normalize=True, return_attention_mask=True, padding="longest"),
    dict(return_tensors="pt", padding="longest"),
    dict(return_tensors="np", return_attention_mask=False),
]


@pytest.mark.parametrize("kwargs", WHISPER_GRID, ids=str)
def test_whisper_equals_transformers(clips, kwargs):
    theirs = transformers.WhisperFeatureExtractor()(clips, sampling_rate=16000, **kwargs)
    ours = hf.WhisperFeatureExtractor()(clips, sampling_rate=16000, **kwargs)
    _close(ours, theirs, 1e-4)


@pytest.mark.parametrize("config", [dict(feature_size=128), dict(n_fft=512, hop_length=128, chunk_length=10),
                                    dict(return_attention_mask=True)], ids=str)
def test_whisper_configs_single_item_and_from_dict(clips, config):
    reference = transformers.WhisperFeatureExtractor(**config)
    ours = hf.WhisperFeatureExtractor.from_dict(reference.to_dict())
    assert ours.to_dict()["feature_size"] == reference.feature_size
    for item in (clips[1], clips[1].astype(np.float64), [clips[0]]):
        _close(ours(item, sampling_rate=16000), reference(item, sampling_rate=16000), 1e-4)
    torch_input = hf.WhisperFeatureExtractor.from_transformers(reference)(torch.from_numpy(clips[1]),
                                                                          sampling_rate=16000)
    _close(torch_input, reference(clips[1], sampling_rate=16000), 1e-4)


AST_GRID = [dict(), dict(return_tensors="np"), dict(return_tensors="pt")]


def _ast_float64(extractor, clips):
    """transformers' AST features with torchaudio's fbank run in float64 (the exact values)."""
    import torchaudio.compliance.kaldi as ta_kaldi

    out = []
    for clip in clips:
        fbank = ta_kaldi.fbank(torch.from_numpy(clip).double()[None], sample_frequency=extractor.sampling_rate,
                               window_type="hanning", num_mel_bins=extractor.num_mel_bins)
        fbank = torch.nn.functional.pad(fbank, (0, 0, 0, max(0, extractor.max_length - fbank.shape[0])))
        fbank = fbank[: extractor.max_length].numpy()
        out.append(extractor.normalize(fbank) if extractor.do_normalize else fbank)
    return np.stack(out)


def _ast_close(ours, theirs, exact):
    """Within 1e-4 of transformers, except where transformers' float32 fbank is itself further than
    1e-4 from the float64 value (mel filters near Kaldi's epsilon floor, log energy ~ -15, are
    ill-conditioned in float32: up to ~1.4e-4 after AST's scaling here); there within 1e-6 of the float64 value."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    own_error = np.abs(theirs - exact)
    # a handful of elements, not a systematic difference: about 0.1 % of them without AST's scaling by
    # 1 / (2 std) (raw log-mel, 9x larger errors), far fewer with it
    assert (own_error > 1e-4).mean() < 5e-3
    np.testing.assert_allclose(np.where(own_error > 1e-4, exact, ours), np.where(own_error > 1e-4, exact, theirs),
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours, exact, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kwargs", AST_GRID, ids=str)
@pytest.mark.parametrize("config", [dict(), dict(max_length=200), dict(num_mel_bins=64, do_normalize=False),
                                    dict(mean=-1.0, std=2.0)], ids=str)
def test_ast_equals_transformers(clips, config, kwargs):
    reference = transformers.ASTFeatureExtractor(**config)
    ours = hf.ASTFeatureExtractor.from_dict(reference.to_dict())
    got, theirs = ours(clips, sampling_rate=16000, **kwargs), reference(clips, sampling_rate=16000, **kwargs)
    assert list(got.keys()) == list(theirs.keys()) == ["input_values"]
    assert type(got["input_values"]) is type(theirs["input_values"])
    values = got["input_values"]
    if isinstance(values, list):
        assert len(values) == len(clips) and all(v.dtype == np.float32 for v in values)
    else:
        assert values.dtype == (torch.float32 if kwargs.get("return_tensors") == "pt" else np.float32)
    stacked = lambda x: np.stack([np.asarray(v) for v in x]) if isinstance(x, list) else np.asarray(x)  # noqa: E731
    _ast_close(stacked(values), stacked(theirs["input_values"]), _ast_float64(reference, clips))


def test_ast_single_item(clips):
    reference, ours = transformers.ASTFeatureExtractor(), hf.ASTFeatureExtractor()
    got = ours(clips[2], sampling_rate=16000)["input_values"]
    _ast_close(np.stack(got), np.stack(reference(clips[2], sampling_rate=16000)["input_values"]),
               _ast_float64(reference, clips[2:]))


SEAMLESS_GRID = [
    dict(),
    dict(pad_to_multiple_of=None),
    dict(padding="max_length", max_length=600),
    dict(padding="longest", max_length=150, truncation=True),
    dict(do_normalize_per_mel_bins=False),
    dict(return_attention_mask=False, return_tensors="pt"),
    dict(return_tensors="np", pad_to_multiple_of=8),
]


@pytest.mark.parametrize("kwargs", SEAMLESS_GRID, ids=str)
def test_seamless_equals_transformers(clips, kwargs):
    theirs = transformers.SeamlessM4TFeatureExtractor()(clips, sampling_rate=16000, **kwargs)
    ours = hf.SeamlessM4TFeatureExtractor()(clips, sampling_rate=16000, **kwargs)
    _close(ours, theirs, 1e-4)


@pytest.mark.parametrize("config", [dict(stride=1), dict(stride=3), dict(padding_value=1.5),
                                    dict(num_mel_bins=40, feature_size=40)], ids=str)
def test_seamless_configs(clips, config):
    reference = transformers.SeamlessM4TFeatureExtractor(**config)
    ours = hf.SeamlessM4TFeatureExtractor.from_transformers(reference)
    _close(ours(clips, sampling_rate=16000), reference(clips, sampling_rate=16000), 1e-4)


def test_seamless_stereo_items_use_channel_zero(clips):
    stereo = np.stack([clips[1], clips[1][::-1].copy()])
    reference, ours = transformers.SeamlessM4TFeatureExtractor(), hf.SeamlessM4TFeatureExtractor()
    _close(ours([stereo], sampling_rate=16000), reference([stereo], sampling_rate=16000), 1e-4)


def test_seamless_steady_tone_residual_is_rounding_over_spread():
    t = np.arange(3 * 16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size))
    tone = tone.astype(np.float32)
    reference = transformers.SeamlessM4TFeatureExtractor()
    theirs = reference(tone, sampling_rate=16000)["input_features"]
    ours = hf.SeamlessM4TFeatureExtractor()(tone, sampling_rate=16000)["input_features"]
    log_mel = reference._extract_fbank_features(tone).astype(np.float64)  # transformers' unnormalised features
    spread = log_mel.std(0, ddof=1).min()
    assert spread < 0.05  # the case this test is about: a bin that barely varies
    bound = 4 * np.spacing(np.float32(np.abs(log_mel).max())) / spread
    assert np.abs(ours - theirs).max() <= bound
    exact = (log_mel - log_mel.mean(0)) / np.sqrt(log_mel.var(0, ddof=1) + 1e-7)
    exact = exact[: exact.shape[0] // 2 * 2].reshape(1, -1, 160)
    np.testing.assert_allclose(ours, exact, atol=bound, rtol=0)


def test_batch_items_equal_their_own_calls(clips):
    ours = hf.SeamlessM4TFeatureExtractor()
    batch = ours(clips, sampling_rate=16000, return_tensors="pt")
    for index, clip in enumerate(clips):
        alone = ours(clip, sampling_rate=16000, return_tensors="pt")
        frames = alone["input_features"].shape[1]
        torch.testing.assert_close(batch["input_features"][index, :frames], alone["input_features"][0],
                                   atol=1e-6, rtol=0)
        assert int(batch["attention_mask"][index].sum()) == int(alone["attention_mask"].sum())


def test_returns_batch_feature_with_attribute_access(clips, monkeypatch):
    out = hf.WhisperFeatureExtractor()(clips[0], sampling_rate=16000, return_tensors="pt")
    assert isinstance(out, transformers.BatchFeature) and out.input_features.shape == (1, 80, 3000)
    monkeypatch.setitem(__import__("sys").modules, "transformers", None)  # as if it were not installed
    plain = hf.WhisperFeatureExtractor()(clips[0], sampling_rate=16000, return_tensors="pt")
    assert isinstance(plain, hf.BatchFeature)
    torch.testing.assert_close(plain.input_features, out.input_features, atol=0, rtol=0)
    with pytest.raises(AttributeError):
        plain.nothing


# --- Refusals -----------------------------------------------------------------------------------------


def test_named_refusals(clips):
    whisper, ast, seamless = hf.WhisperFeatureExtractor(), hf.ASTFeatureExtractor(), hf.SeamlessM4TFeatureExtractor()
    with pytest.raises(InvalidInputError, match="sampling_rate=8000"):
        whisper(clips[0], sampling_rate=8000)
    with pytest.raises(InvalidInputError, match="max_length must be an int >= 0"):
        whisper(clips[0], sampling_rate=16000, max_length=-5)
    with pytest.raises(InvalidInputError, match="padding must be"):
        seamless(clips, sampling_rate=16000, padding="shortest")
    with pytest.raises(InvalidInputError, match="cannot be stacked without padding"):
        whisper(clips, sampling_rate=16000, padding=False)
    with pytest.raises(InvalidInputError, match="truncation=True needs max_length"):
        seamless(clips, sampling_rate=16000, truncation=True)
    with pytest.raises(InvalidInputError, match="feature_size=64 must equal num_mel_bins=80"):
        hf.SeamlessM4TFeatureExtractor(feature_size=64)
    with pytest.raises(InvalidInputError, match="feature_size must be 1"):
        hf.ASTFeatureExtractor(feature_size=80)
    with pytest.raises(InvalidInputError, match="fewer than one 400-sample frame"):
        ast([clips[0], clips[0][:300]], sampling_rate=16000)
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        whisper(np.full(1000, np.nan, np.float32), sampling_rate=16000)
    with pytest.raises(InvalidInputError, match="return_tensors"):
        whisper(clips[0], sampling_rate=16000, return_tensors="tf")
    with pytest.raises(InvalidInputError, match="padding_side"):
        hf.WhisperFeatureExtractor(padding_side="left")
    with pytest.raises(InvalidInputError, match="is for 'WhisperFeatureExtractor'"):
        hf.ASTFeatureExtractor.from_dict(transformers.WhisperFeatureExtractor().to_dict())
    with pytest.raises(InvalidTypeError, match="from_transformers takes a transformers ASTFeatureExtractor"):
        hf.ASTFeatureExtractor.from_transformers(transformers.WhisperFeatureExtractor())
    with pytest.raises(InvalidTypeError, match="raw_speech must be"):
        whisper("speech.wav", sampling_rate=16000)
    with pytest.raises(InvalidInputError, match="must be 1-D"):
        whisper([np.zeros((2, 2, 800), np.float32)], sampling_rate=16000)


_EXTRACTORS = st.sampled_from([hf.WhisperFeatureExtractor, hf.ASTFeatureExtractor, hf.SeamlessM4TFeatureExtractor])
_BAD_CONFIG = st.sampled_from([
    dict(feature_size=0), dict(feature_size=-3), dict(sampling_rate=0), dict(sampling_rate=16000.5),
    dict(padding_value=float("nan")), dict(padding_value="zero"), dict(padding_side="middle"),
])
_BAD_CALL = st.one_of(
    st.builds(lambda v: dict(sampling_rate=v), st.integers(1, 10**6).filter(lambda v: v != 16000)),
    st.builds(lambda v: dict(max_length=v), st.integers(-10**9, -1)),
    st.builds(lambda v: dict(pad_to_multiple_of=v), st.integers(-10**6, 0)),
    st.builds(lambda v: dict(padding=v), st.text(max_size=8).filter(lambda v: v not in hf._PADDINGS)),
    st.builds(lambda v: dict(return_tensors=v), st.sampled_from(["tf", "jax", "torch", 3])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cls=_EXTRACTORS, config=_BAD_CONFIG)
def test_bad_constructor_options_are_named(cls, config):
    with pytest.raises(SpectrogramError) as error:
        cls(**config)
    assert next(iter(config)) in str(error.value)


@settings(max_examples=80, deadline=None)
@given(cls=st.sampled_from([hf.WhisperFeatureExtractor, hf.SeamlessM4TFeatureExtractor]), call=_BAD_CALL)
def test_bad_call_options_are_named(cls, call):
    audio = np.zeros(1600, np.float32)
    call = {"sampling_rate": 16000, **call}
    with pytest.raises(SpectrogramError) as error:
        cls()(audio, **call)
    name = next(name for name in call if name != "sampling_rate" or len(call) == 1)
    assert name in str(error.value)


def _padded(clips):
    lengths = torch.tensor([len(c) for c in clips])
    return torch.nn.utils.rnn.pad_sequence([torch.from_numpy(c) for c in clips], batch_first=True), lengths


def test_ast_features_function_is_the_extractor(clips):
    signal, lengths = _padded(clips)
    features = hf.ast_features(signal, lengths, max_length=300)
    expected = hf.ASTFeatureExtractor(max_length=300)(clips, sampling_rate=16000, return_tensors="pt")
    assert features.dtype == torch.float64 and features.shape == (3, 300, 128)
    torch.testing.assert_close(features.float(), expected["input_values"], atol=0, rtol=0)
    raw = hf.ast_features(signal, lengths, max_length=300, mean=None)
    torch.testing.assert_close(raw, features * (2 * 4.5689974) + -4.2677393, atol=1e-9, rtol=0)


def test_seamless_features_function_is_the_extractor(clips):
    signal, lengths = _padded(clips)
    features, mask = hf.seamless_features(signal, lengths)
    expected = hf.SeamlessM4TFeatureExtractor()(clips, sampling_rate=16000, return_tensors="pt")
    assert features.dtype == torch.float64 and mask.dtype == torch.bool
    torch.testing.assert_close(features.float(), expected["input_features"], atol=0, rtol=0)
    assert torch.equal(mask.to(torch.int32), expected["attention_mask"])


def test_seamless_features_of_float32_samples_are_those_of_float64(clips):
    """The kernel reads float32 samples as float64 (dtype=torch.float64 in fbank_batch) instead of a
    float64 copy of the batch being made: the same float64 features, whichever the caller passes."""
    signal, lengths = _padded(clips)
    assert signal.dtype == torch.float32
    features, mask = hf.seamless_features(signal, lengths)
    wide, wide_mask = hf.seamless_features(signal.double(), lengths)
    torch.testing.assert_close(features, wide, atol=1e-12, rtol=0)
    assert torch.equal(mask, wide_mask)


def test_functions_are_differentiable(clips):
    """Gradients reach the samples (the torch path, taken when the signal needs a gradient), agree with
    the kernel path's values, and are finite."""
    signal, lengths = _padded([c[:8000] for c in clips[:2]])
    for function in (lambda x: hf.ast_features(x, lengths, max_length=60),
                     lambda x: hf.seamless_features(x, lengths)[0]):
        x = signal.double().requires_grad_()
        out = function(x)
        torch.testing.assert_close(out.detach(), function(signal.double()), atol=1e-6, rtol=0)
        (grad,) = torch.autograd.grad(out.square().sum(), x)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
