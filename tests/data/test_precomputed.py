"""PrecomputedFeatureDataset and the DataModule's precomputed option against on-the-fly features."""

import numpy as np
import pytest
import soundfile as sf
import torch

from spectrograms.data.datamodule import FeatureConfig, SpectrogramDataModule
from spectrograms.data.precomputed import PrecomputedFeatureDataset
from spectrograms.errors import InvalidInputError
from spectrograms.extract import extract


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, speech):
    samples, rate = speech
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(1)
    for c, name in enumerate(("speech", "noise")):
        (root / name).mkdir()
        for i in range(6):
            n = 4000 + 1500 * i + 700 * c
            signal = samples[i * 500 : i * 500 + n] if name == "speech" else 0.1 * rng.standard_normal(n)
            sf.write(root / name / f"{i}.wav", signal.astype(np.float32), rate, subtype="FLOAT")
    return root


@pytest.mark.parametrize("feature", [FeatureConfig(kind="mel", n_bands=40), FeatureConfig(kind="mfcc")],
                         ids=["mel-db", "mfcc"])
def test_datamodule_batches_equal_computed_features(corpus, tmp_path, feature):
    extract(corpus, tmp_path / "out", feature=feature, shard_size=5, dtype="float32", workers=1, progress=False)
    kwargs = dict(features=feature, batch_size=4, num_workers=0, val_fraction=0.2, test_fraction=0.2)
    computed = SpectrogramDataModule(root=str(corpus), **kwargs)
    stored = SpectrogramDataModule(precomputed=str(tmp_path / "out"), **kwargs)
    assert stored.classes == computed.classes and stored.n_features == computed.n_features
    for split in ("train", "val", "test"):
        pairs = list(zip(computed.loader(split), stored.loader(split)))
        assert pairs
        for a, b in pairs:
            assert torch.equal(a.features, b.features)  # bitwise, padding included
            assert torch.equal(a.lengths, b.lengths) and torch.equal(a.labels, b.labels)
            assert b.features.dtype == torch.float32


def test_float16_storage_reads_back_as_float32(corpus, tmp_path):
    feature = FeatureConfig(kind="mel", n_bands=40)
    extract(corpus, tmp_path / "out", feature=feature, shard_size=100, dtype="float16", workers=1, progress=False)
    dataset = PrecomputedFeatureDataset(tmp_path / "out")
    features, label = dataset[0]
    assert features.dtype == torch.float32 and features.shape[0] == 40 and label == 0
    direct = feature.build_plan().compute(
        sf.read(dataset.rows[0]["path"], dtype="float32")[0]).to_torch()
    # float16 keeps 11 significant bits: dB values of magnitude <= 80 round by at most 80 * 2**-11.
    torch.testing.assert_close(features, direct, rtol=0, atol=80 * 2.0**-11)


def test_mismatched_features_and_missing_folder_are_named(corpus, tmp_path):
    extract(corpus, tmp_path / "out", feature=FeatureConfig(kind="mel", n_bands=40), dtype="float32",
            workers=1, progress=False)
    module = SpectrogramDataModule(precomputed=str(tmp_path / "out"), features=FeatureConfig(n_bands=64),
                                   num_workers=0)
    with pytest.raises(InvalidInputError, match="precomputed="):
        module.setup()
    with pytest.raises(InvalidInputError, match="config.json not found"):
        PrecomputedFeatureDataset(tmp_path / "nothing")
