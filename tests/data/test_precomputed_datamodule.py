"""PrecomputedDataModule: the folder's features and classes, the batches of the computed pipeline."""

import numpy as np
import pytest
import soundfile as sf
import torch

from spectrograms.data.datamodule import FeatureConfig, SpectrogramDataModule
from spectrograms.data.precomputed_datamodule import PrecomputedDataModule
from spectrograms.errors import InvalidInputError
from spectrograms.extract import KaldiFbankConfig, extract

MEL = FeatureConfig(kind="mel", n_bands=40)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, speech):
    samples, rate = speech
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(2)
    for c, name in enumerate(("noise", "speech")):
        (root / name).mkdir()
        for i in range(5):
            n = 3000 + 1700 * i + 900 * c
            signal = samples[i * 700 : i * 700 + n] if name == "speech" else 0.05 * rng.standard_normal(n)
            sf.write(root / name / f"{i}.wav", signal.astype(np.float32), rate, subtype="FLOAT")
    return root


@pytest.fixture(scope="module")
def shards(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards") / "features"
    extract(corpus, out, feature=MEL, shard_size=3, dtype="float32", workers=1, progress=False)
    return out


def test_features_and_classes_come_from_the_folder(shards, corpus):
    module = PrecomputedDataModule(str(shards), num_workers=0)
    assert module.features == MEL and module.n_features == 40
    assert module.classes == ["noise", "speech"] and module.n_classes == 2


def test_batches_equal_the_computed_pipeline_bitwise(shards, corpus):
    kwargs = dict(batch_size=3, num_workers=0, val_fraction=0.2, test_fraction=0.2, seed=3)
    computed = SpectrogramDataModule(root=str(corpus), features=MEL, **kwargs)
    stored = PrecomputedDataModule(str(shards), **kwargs)
    for split in ("train", "val", "test"):
        pairs = list(zip(computed.loader(split), stored.loader(split), strict=True))
        assert pairs
        for a, b in pairs:
            assert torch.equal(a.features, b.features)  # padding with the -80 dB floor included
            assert torch.equal(a.lengths, b.lengths) and torch.equal(a.labels, b.labels)


def test_worker_processes_read_the_shards(shards):
    # num_workers > 0 pickles the data set into the workers: each opens its own shard handles.
    in_process = PrecomputedDataModule(str(shards), batch_size=4, num_workers=0)
    in_workers = PrecomputedDataModule(str(shards), batch_size=4, num_workers=2)
    for a, b in zip(in_process.loader("train"), in_workers.loader("train"), strict=True):
        assert torch.equal(a.features, b.features) and torch.equal(a.labels, b.labels)


def test_kaldi_shards_pad_with_kaldis_floor(corpus, tmp_path):
    config = KaldiFbankConfig(num_mel_bins=23)
    extract(corpus, tmp_path / "kaldi", feature=config, shard_size=100, dtype="float32", workers=1,
            progress=False)
    module = PrecomputedDataModule(str(tmp_path / "kaldi"), batch_size=10, num_workers=0, val_fraction=0.0,
                                   test_fraction=0.0)
    assert module.features == config and module.n_features == 23
    batch = next(iter(module.loader("train")))
    assert batch.features.shape[:2] == (10, 23) and int(batch.lengths.min()) < batch.features.shape[-1]
    shortest = int(batch.lengths.argmin())
    padding = batch.features[shortest, :, int(batch.lengths[shortest]):]
    assert torch.all(padding == config.pad_value)


def test_bad_folder_and_other_features_are_named(shards, tmp_path):
    with pytest.raises(InvalidInputError, match="config.json not found"):
        PrecomputedDataModule(str(tmp_path / "missing"))
    module = PrecomputedDataModule(str(shards), features=FeatureConfig(kind="mel", n_bands=64), num_workers=0)
    with pytest.raises(InvalidInputError, match="precomputed="):
        module.setup()
