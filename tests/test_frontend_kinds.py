"""The model front-end kinds of FeatureConfig (spectrograms/data/frontend_kinds.py): Kaldi fbank and
Whisper's log-mel through the DataModule's collate, ``spectrograms extract`` and the recipe configs
configs/kaldi_fbank.yaml and configs/whisper.yaml (each smoke-run with a tiny synthetic set)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from spectrograms import whisper
from spectrograms.compliance import kaldi
from spectrograms.data.feature_config import FeatureConfig
from spectrograms.data.datamodule import SpectrogramCollate
from spectrograms.errors import InvalidInputError, SpectrogramError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
KALDI = FeatureConfig(kind="kaldi_fbank", n_bands=40, n_fft=400, hop_size=200)
WHISPER = FeatureConfig(kind="whisper", n_bands=80)
pytestmark = pytest.mark.filterwarnings("ignore:LightningCLI's args parameter:UserWarning")


def _clips():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (16000, 9000, 4000)]


def test_kaldi_kind_is_the_compliance_fbank_transposed():
    plan = KALDI.build_plan()
    for clip in _clips():
        expected = kaldi.fbank(torch.from_numpy(clip)[None], num_mel_bins=40, frame_shift=12.5).T
        assert torch.equal(plan.compute(clip).tensor, expected)
    assert KALDI.n_features == 40 and plan.compute(_clips()[0]).floor == pytest.approx(np.log(np.finfo(np.float32).eps))


def test_whisper_kind_is_log_mel_spectrogram():
    plan = WHISPER.build_plan()
    clip = _clips()[0]
    result = plan.compute(clip)
    assert torch.equal(result.tensor, whisper.log_mel_spectrogram(clip))
    # The padding value is what whisper gives the clip padded with silence.
    padded = whisper.log_mel_spectrogram(np.concatenate([clip, np.zeros(8000, np.float32)]))
    assert result.floor == pytest.approx(float(padded[:, -10:].max()), abs=1e-6)
    assert WHISPER.n_features == 80 and FeatureConfig(kind="whisper", n_bands=128).n_features == 128


@pytest.mark.parametrize("config", [KALDI, WHISPER], ids=["kaldi_fbank", "whisper"])
def test_collate_pads_each_item_with_its_floor(config):
    clips = _clips()
    batch = SpectrogramCollate(config)([(torch.from_numpy(c), i) for i, c in enumerate(clips)])
    plan = config.build_plan()
    assert batch.features.shape[:2] == (3, config.n_features)
    for row, clip, n in zip(batch.features, clips, batch.lengths.tolist()):
        result = plan.compute(clip)
        assert n == result.n_frames
        torch.testing.assert_close(row[:, :n], result.tensor)
        assert torch.all(row[:, n:] == result.floor)


def test_extract_writes_the_kaldi_kind(tmp_path):
    import soundfile as sf

    from spectrograms.data.precomputed import PrecomputedFeatureDataset
    from spectrograms.extract import extract

    (tmp_path / "in" / "a").mkdir(parents=True)
    for i, clip in enumerate(_clips()):
        sf.write(tmp_path / "in" / "a" / f"{i}.wav", clip, 16000, subtype="FLOAT")
    extract(tmp_path / "in", tmp_path / "out", feature=KALDI, shard_size=2, dtype="float32", workers=1,
            progress=False)
    dataset = PrecomputedFeatureDataset(tmp_path / "out")
    assert dataset.features == KALDI and len(dataset) == 3
    for index, row in enumerate(dataset.rows):
        clip = sf.read(row["path"], dtype="float32")[0]
        assert torch.equal(dataset[index][0], KALDI.build_plan().compute(clip).tensor)


@pytest.mark.parametrize("fields, words", [
    (dict(kind="whisper"), "n_bands must be 80 or 128"),
    (dict(kind="whisper", n_bands=80, sample_rate=8000), "sample_rate must be 16000"),
    (dict(kind="kaldi_fbank", n_fft=1), "frame_length"),
    (dict(kind="kaldi_fbank", n_fft=400, n_bands=400), "num_mel_bins"),
    (dict(kind="kaldi_fbank", hop_size=0), "hop_size"),
    (dict(kind="kaldi_fbank", f_min=9000.0), "low_freq"),
])
def test_bad_front_end_fields_are_named(fields, words):
    with pytest.raises(SpectrogramError, match=words):
        FeatureConfig(**fields)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["kaldi_fbank", "whisper"]),
       n_bands=st.one_of(st.integers(-5, 300), st.floats(allow_nan=True), st.none(), st.text(max_size=3)),
       n_fft=st.one_of(st.integers(-2, 2000), st.floats(allow_nan=True)),
       f_max=st.one_of(st.none(), st.floats(-9000, 9000), st.just(float("inf"))))
def test_front_end_kinds_refuse_or_build(kind, n_bands, n_fft, f_max):
    """Any field values: a named library error or a config that computes, never another exception."""
    try:
        config = FeatureConfig(kind=kind, n_bands=n_bands, n_fft=n_fft, f_max=f_max)
    except SpectrogramError:
        return
    result = config.build_plan().compute(np.zeros(16000, np.float32))
    assert result.tensor.shape[0] == config.n_features and torch.isfinite(result.tensor).all()


@pytest.mark.parametrize("config, n_bins", [("kaldi_fbank.yaml", 80), ("whisper.yaml", 80)])
def test_front_end_config_fits(config, n_bins, tmp_path):
    from spectrograms.recipes.audio_classification import cli_main

    cli = cli_main(["fit", "--config", str(CONFIGS / config), "--data.n_items", "48", "--data.batch_size", "8",
                    "--data.num_workers", "0", "--trainer.fast_dev_run", "2", "--trainer.default_root_dir",
                    str(tmp_path), "--trainer.logger.save_dir", str(tmp_path)])
    assert cli.trainer.state.finished and cli.model.hparams.n_bins == n_bins
    assert cli.datamodule.features.kind == config.removesuffix(".yaml")
    assert {"train_loss_step", "val_loss"} <= set(cli.trainer.callback_metrics)


def test_invalid_input_error_is_raised_for_a_short_clip():
    with pytest.raises(InvalidInputError, match="frame_length"):
        KALDI.build_plan().compute(np.zeros(100, np.float32))


# --- The kaldi_fbank kind's own fields: frame_length, frame_shift, dither, use_energy ---------------

KALDI_FIELDS = FeatureConfig(kind="kaldi_fbank", n_bands=40, frame_length=20.0, frame_shift=8.0, use_energy=True)


def test_kaldi_fields_reach_fbank():
    plan = KALDI_FIELDS.build_plan()
    assert KALDI_FIELDS.n_features == 41 and (plan.params.stft.n_fft, plan.params.stft.hop_size) == (320, 128)
    for clip in _clips():
        expected = kaldi.fbank(torch.from_numpy(clip)[None], num_mel_bins=40, frame_length=20.0, frame_shift=8.0,
                               use_energy=True).T
        result = plan.compute(clip)
        assert torch.equal(result.tensor, expected) and result.tensor.shape[0] == KALDI_FIELDS.n_features
    batch = SpectrogramCollate(KALDI_FIELDS)([(torch.from_numpy(c), i) for i, c in enumerate(_clips())])
    assert batch.features.shape[1] == 41


def test_kaldi_dither_field_is_kaldi_dither():
    config = FeatureConfig(kind="kaldi_fbank", n_bands=23, n_fft=400, hop_size=160, dither=1.0)
    clip = torch.from_numpy(_clips()[0])
    plan = config.build_plan()  # which checks the options on a frame of silence, drawing noise
    torch.manual_seed(3)
    ours = plan.compute(clip).tensor
    torch.manual_seed(3)
    expected = kaldi.fbank(clip[None], frame_length=400.5 / 16, frame_shift=160.5 / 16, dither=1.0).T
    assert torch.equal(ours, expected)
    assert not torch.equal(ours, FeatureConfig(kind="kaldi_fbank", n_bands=23, n_fft=400, hop_size=160)
                           .build_plan().compute(clip).tensor)


@pytest.mark.parametrize("fields, words", [
    (dict(kind="mel", dither=1.0), "only kind='kaldi_fbank'"),
    (dict(kind="whisper", n_bands=80, use_energy=True), "use_energy=True: only kind='kaldi_fbank'"),
    (dict(kind="mfcc", frame_length=25.0), "frame_length=25.0: only"),
    (dict(kind="kaldi_fbank", frame_length=-1.0), "frame_length must be a positive number"),
    (dict(kind="kaldi_fbank", frame_shift=float("nan")), "frame_shift must be a positive number"),
    (dict(kind="kaldi_fbank", frame_length="25"), "frame_length"),
    (dict(kind="kaldi_fbank", frame_length=0.01), "frame_length=0.01 ms gives 0 samples"),
    (dict(kind="kaldi_fbank", frame_shift=0.01), "frame_shift=0.01 ms is shorter than one sample"),
    (dict(kind="kaldi_fbank", dither=-0.5), "dither must be a finite number >= 0"),
    (dict(kind="kaldi_fbank", dither=float("inf")), "dither"),
    (dict(kind="kaldi_fbank", use_energy="yes"), "use_energy must be True or False"),
])
def test_bad_kaldi_fields_are_named(fields, words):
    with pytest.raises(InvalidInputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        FeatureConfig(**fields)


def test_cli_features_takes_the_kaldi_fields(tmp_path):
    import soundfile as sf

    from spectrograms.__main__ import main

    sf.write(tmp_path / "a.wav", _clips()[0], 16000, subtype="FLOAT")
    out = tmp_path / "feats"
    assert main(["features", str(tmp_path / "a.wav"), "-o", str(out), "--kind", "kaldi_fbank", "--n-bands", "40",
                 "--frame-length", "20", "--frame-shift", "8", "--use-energy", "--no-progress"]) == 0
    saved = np.load(next(out.rglob("*.npy")))
    np.testing.assert_array_equal(saved, KALDI_FIELDS.build_plan().compute(_clips()[0]).tensor.numpy())
    assert main(["features", str(tmp_path / "a.wav"), "-o", str(tmp_path / "x"), "--kind", "mel", "--dither", "1",
                 "--no-progress"]) == 2


@pytest.mark.parametrize("config", [KALDI_FIELDS, WHISPER], ids=["kaldi_fbank", "whisper"])
def test_front_end_results_carry_their_axes(config):
    """Mel centres in Hz (0 for the energy row) and frame centres in seconds, which `spectrograms
    features` writes next to the values."""
    result = config.build_plan().compute(_clips()[0])
    frequencies, times = result.frequencies, result.times
    assert frequencies.shape == (config.n_features,) and times.shape == (result.n_frames,)
    if config.kind == "kaldi_fbank":
        assert frequencies[0] == 0.0 and np.all(np.diff(frequencies[1:]) > 0) and 20.0 < frequencies[1] < frequencies[-1] < 8000.0
        np.testing.assert_allclose(times[:2], [160 / 16000, (160 + 128) / 16000])
    else:
        assert np.all(np.diff(frequencies) > 0) and 0.0 < frequencies[0] < frequencies[-1] < 8000.0
        np.testing.assert_allclose(times[:2], [0.0, 0.01])


def test_whisper_extraction_batch_items_equal_their_own_calls():
    """The batched extraction path (the one a GPU batch takes; CPU tensors here) gives each item its own
    unbatched log-mel: its peak over its own frames, its end reflected as the unbatched call reflects it,
    and whisper's time // 160 frame count. A loud burst at the very end of a quiet clip puts the peak
    in the frames the padding would otherwise change."""
    from spectrograms.extract.kinds import build_extractor

    rng = np.random.default_rng(1)
    quiet = rng.standard_normal(9000).astype(np.float32) * 0.01
    quiet[-120:] += 0.8 * np.sin(np.arange(120) * 0.9).astype(np.float32)
    clips = [torch.from_numpy(c) for c in (rng.standard_normal(16000).astype(np.float32) * 0.5, quiet,
                                          rng.standard_normal(4001).astype(np.float32) * 1e-4)]
    lengths = torch.tensor([len(c) for c in clips])
    padded = torch.nn.utils.rnn.pad_sequence(clips, batch_first=True)
    extractor = build_extractor(WHISPER)
    features, counts = extractor.batch(padded, lengths)
    assert counts.tolist() == [n // 160 for n in lengths.tolist()] and features.shape == (3, 80, 100)
    for row, clip, n in zip(features, clips, counts.tolist()):
        alone = extractor.one(clip)
        assert alone.shape[-1] == n
        torch.testing.assert_close(row[:, :n], alone, atol=1e-6, rtol=0)
    with pytest.raises(InvalidInputError, match="more than n_fft // 2"):
        extractor.batch(padded[:, :300], torch.tensor([300, 200, 300]))
