"""Tests for spectrograms.data.datamodule (features config, collate, splits, loaders) and
spectrograms.data.plot. Tiny synthetic sets and audio files in tmp_path; a few seconds on a CPU."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import spectrograms as sg
from spectrograms.data import AudioFileError, plot_batch
from spectrograms.data.datamodule import (
    FeatureConfig,
    SpectrogramBatch,
    SpectrogramCollate,
    SpectrogramDataModule,
    stratified_split,
)
from spectrograms.data.synthetic import SyntheticAudioDataset, synthesize

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

SR = 16000
KINDS = ["linear", "mel", "erb", "loghz", "mfcc", "chroma"]


def _items(lengths, labels=None):
    rng = np.random.default_rng(0)
    labels = labels or list(range(len(lengths)))
    return [(torch.from_numpy(rng.standard_normal(n).astype(np.float32) * 0.1), label)
            for n, label in zip(lengths, labels)]


def _write_folder(root: Path, classes=("chirp_up", "clicks"), per_class=6, n_samples=6000) -> Path:
    rng = np.random.default_rng(1)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            sf.write(root / name / f"{i}.wav", synthesize(name, n_samples, SR, rng), SR)
    return root


# ------------------------------------------------------------------------------------------ features


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scale", ["power", "magnitude", "db"])
def test_feature_config_builds_every_kind_and_scale(kind, scale):
    config = FeatureConfig(kind=kind, scale=scale, n_bands=24, n_mfcc=10)
    signal = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    result = config.build_plan().compute(signal)
    assert result.shape == (config.n_features, 1 + 4000 // config.hop_size)
    assert config.n_features == {"linear": 257, "mfcc": 10, "chroma": 12}.get(kind, 24)
    if kind in ("linear", "mel", "erb", "loghz"):
        assert result.scale == scale and result.frequency_scale == kind


def test_feature_config_matches_the_direct_computation():
    config = FeatureConfig(kind="mel", scale="db", n_fft=512, hop_size=160, n_bands=40, floor_db=-70.0)
    signal = np.random.default_rng(2).standard_normal(8000).astype(np.float32)
    params = sg.SpectrogramParams(sg.StftParams(512, 160, window=sg.WindowType.hann), float(SR))
    expected = sg.compute_mel_db_spectrogram(signal, params, sg.MelParams(40), sg.LogParams(-70.0))
    torch.testing.assert_close(config.build_plan().compute(signal).tensor, expected.tensor)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"kind": "bark"}, ValueError),
        ({"scale": "log"}, ValueError),
        ({"n_fft": 0}, sg.InvalidInputError),
        ({"f_max": 9000.0}, sg.InvalidInputError),  # above Nyquist at 16 kHz
        ({"kind": "mfcc", "n_mfcc": 100, "n_bands": 40}, sg.InvalidInputError),
    ],
)
def test_feature_config_rejects_bad_values_at_construction(kwargs, error):
    with pytest.raises(error):
        FeatureConfig(**kwargs)


# ------------------------------------------------------------------------------------------- collate


@pytest.mark.parametrize("scale, floor", [("db", -80.0), ("power", 0.0)])
def test_collate_pads_with_the_floor_and_reports_lengths(scale, floor):
    config = FeatureConfig(scale=scale, hop_size=256, n_bands=32)
    items = _items([3000, 8000, 5000], labels=[2, 0, 1])
    batch = SpectrogramCollate(config)(items)
    assert isinstance(batch, SpectrogramBatch)
    expected_lengths = [1 + n // 256 for n in (3000, 8000, 5000)]
    assert batch.lengths.dtype == torch.int64 and batch.lengths.tolist() == expected_lengths
    assert batch.labels.dtype == torch.int64 and batch.labels.tolist() == [2, 0, 1]
    assert batch.features.dtype == torch.float32 and batch.features.shape == (3, 32, max(expected_lengths))
    plan = config.build_plan()
    for row, (waveform, _), n in zip(batch.features, items, expected_lengths):
        torch.testing.assert_close(row[:, :n], plan.compute(waveform).tensor)
        assert torch.all(row[:, n:] == floor)


def test_collate_drops_skipped_items_and_returns_none_when_all_are_bad():
    collate = SpectrogramCollate(FeatureConfig())
    batch = collate([None, *_items([2000, 4000], labels=[5, 6]), None])
    assert batch.labels.tolist() == [5, 6] and len(batch.features) == 2
    assert collate([None, None]) is None


def test_collate_to_batch_hook_receives_the_results():
    seen = []
    def to_batch(specs):
        seen.extend(specs)
        return "custom"

    collate = SpectrogramCollate(FeatureConfig(kind="mfcc"), to_batch=to_batch)
    batch = collate(_items([2000, 3000]))
    assert batch.features == "custom" and [type(s).__name__ for s in seen] == ["Mfcc", "Mfcc"]


def test_collate_pickles_without_its_plan_and_worker_init_builds_it_single_threaded():
    collate = SpectrogramCollate(FeatureConfig())
    collate(_items([2000]))
    assert collate._plan is not None
    clone = pickle.loads(pickle.dumps(collate))
    assert clone._plan is None and clone.features == collate.features
    torch.set_num_threads(2)
    clone.worker_init(0)
    assert torch.get_num_threads() == 1 and clone._plan is not None


# -------------------------------------------------------------------------------------------- splits


def test_stratified_split_is_disjoint_complete_balanced_and_seeded():
    labels = [i % 4 for i in range(200)]
    train, val, test = stratified_split(labels, (0.1, 0.2), seed=3)
    assert sorted(train + val + test) == list(range(200))
    assert (len(train), len(val), len(test)) == (140, 20, 40)
    assert np.bincount([labels[i] for i in val]).tolist() == [5] * 4
    assert stratified_split(labels, (0.1, 0.2), seed=3) == [train, val, test]
    assert stratified_split(labels, (0.1, 0.2), seed=4)[1] != val


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (-0.1, 0.1), (0.9, 0.2)])
def test_stratified_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        stratified_split([0, 1], fractions, seed=0)


# ---------------------------------------------------------------------------------------- datamodule


def test_datamodule_synthetic_splits_and_batches():
    dm = SpectrogramDataModule(n_items=80, batch_size=8, num_workers=0, val_fraction=0.2, test_fraction=0.1)
    assert dm.n_classes == 8 and dm.classes == SyntheticAudioDataset().classes and dm.n_features == 64
    dm.setup("fit")
    sizes = {name: len(split) for name, split in dm.splits.items()}
    assert sizes == {"train": 56, "val": 16, "test": 8}
    train_indices = set(dm.splits["train"].indices)
    assert not train_indices & set(dm.splits["val"].indices)
    assert not train_indices & set(dm.splits["test"].indices)
    batch = next(iter(dm.val_dataloader()))
    assert batch.features.shape[:2] == (8, 64) and batch.features.shape[2] == int(batch.lengths.max())
    waveform, label = dm.dataset[dm.splits["val"].indices[0]]
    assert batch.labels[0] == label and batch.lengths[0] == 1 + waveform.numel() // 256
    assert torch.all(batch.features[batch.lengths < batch.features.shape[2]].amin((1, 2)) == -80.0)


def test_datamodule_workers_compute_the_same_batches_as_the_main_process():
    kwargs = dict(n_items=48, batch_size=8, features=FeatureConfig(kind="erb", n_bands=20))
    in_process = list(SpectrogramDataModule(num_workers=0, **kwargs).val_dataloader())
    loader = SpectrogramDataModule(num_workers=2, **kwargs).val_dataloader()
    assert loader.num_workers == 2 and loader.persistent_workers
    assert loader.worker_init_fn.__func__ is SpectrogramCollate.worker_init
    for a, b in zip(in_process, loader, strict=True):
        torch.testing.assert_close(a.features, b.features)
        assert torch.equal(a.lengths, b.lengths) and torch.equal(a.labels, b.labels)
    # Persistent workers stop when the loader is collected; at interpreter exit that waits 5 s.
    del loader
    gc.collect()


def test_datamodule_split_is_the_same_in_every_instance_and_follows_the_seed():
    def val_indices(seed):
        dm = SpectrogramDataModule(n_items=64, num_workers=0, seed=seed)
        dm.setup()
        return dm.splits["val"].indices

    assert val_indices(0) == val_indices(0) and val_indices(0) != val_indices(1)


def test_datamodule_sets_training_threads_to_the_spare_cores(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    SpectrogramDataModule(n_items=16, num_workers=3).setup()
    assert torch.get_num_threads() == 5
    SpectrogramDataModule(n_items=16, num_workers=8).setup()
    assert torch.get_num_threads() == 1
    SpectrogramDataModule(n_items=16, num_workers=0, num_threads=2).setup()
    assert torch.get_num_threads() == 2


def test_datamodule_audio_folder_skips_bad_files(tmp_path):
    root = _write_folder(tmp_path / "audio")
    (root / "clicks" / "broken.wav").write_bytes(b"RIFF not really a wav file")
    dm = SpectrogramDataModule(root=str(root), batch_size=64, num_workers=0, val_fraction=0.0,
                               test_fraction=0.0)
    assert dm.classes == ["chirp_up", "clicks"] and dm.n_classes == 2
    with pytest.warns(RuntimeWarning, match="broken.wav"):
        batches = list(dm.train_dataloader())
    assert sum(len(b.labels) for b in batches) == 12  # 13 files, the broken one dropped
    assert dm.dataset.n_skipped == 1


def test_datamodule_audio_folder_raises_on_bad_files_when_asked(tmp_path):
    root = _write_folder(tmp_path / "audio")
    (root / "chirp_up" / "empty.wav").write_bytes(b"")
    dm = SpectrogramDataModule(root=str(root), batch_size=64, num_workers=0, on_error="raise",
                               val_fraction=0.0, test_fraction=0.0)
    with pytest.raises(AudioFileError, match="empty.wav"):
        list(dm.train_dataloader())


def test_datamodule_missing_folder_fails_with_the_path():
    with pytest.raises(AudioFileError, match="no/such/folder"):
        SpectrogramDataModule(root="no/such/folder").n_classes


def test_datamodule_manifest_and_max_duration(tmp_path):
    root = _write_folder(tmp_path / "audio", per_class=4, n_samples=16000)
    manifest = tmp_path / "list.csv"
    lines = ["path,label"] + [f"audio/{c}/{i}.wav,{c}" for c in ("chirp_up", "clicks") for i in range(4)]
    manifest.write_text("\n".join(lines) + "\n")
    dm = SpectrogramDataModule(root=str(manifest), batch_size=8, num_workers=0, val_fraction=0.25,
                               test_fraction=0.0)
    assert dm.classes == ["chirp_up", "clicks"]
    assert len(next(iter(dm.val_dataloader())).labels) == 2
    with pytest.raises(ValueError, match="max_duration"):
        SpectrogramDataModule(root=str(manifest), max_duration=0.5).dataset

    clipped = SpectrogramDataModule(root=str(root), max_duration=0.25, num_workers=0, val_fraction=0.0,
                                    test_fraction=0.0)
    assert next(iter(clipped.train_dataloader())).lengths.max() == 1 + 4000 // 256


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"num_workers": -1}, {"val_fraction": 0.95}])
def test_datamodule_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        SpectrogramDataModule(**kwargs)


# ---------------------------------------------------------------------------------------------- plot


def test_plot_batch_writes_a_png(tmp_path):
    batch = SpectrogramCollate(FeatureConfig(n_bands=32))(_items([3000, 6000, 4000], labels=[0, 1, 1]))
    path = plot_batch(batch.features, batch.lengths, batch.labels, ["a", "b"], tmp_path / "sub" / "batch.png",
                      predictions=torch.tensor([0, 0, 1]), frame_seconds=256 / SR, title="t")
    assert path == tmp_path / "sub" / "batch.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    with pytest.raises(ValueError, match="empty"):
        plot_batch(batch.features[:0], batch.lengths[:0], batch.labels[:0], ["a"], tmp_path / "x.png")
