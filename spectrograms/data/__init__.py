"""Datasets of labelled audio: folders, manifests and file loading (see :mod:`.datasets`).

Procedurally generated sounds live in :mod:`spectrograms.data.synthetic`. The Lightning pipeline
(:class:`SpectrogramDataModule`, :class:`FeatureConfig`, the collate function) lives in
:mod:`spectrograms.data.datamodule`, training from shards written by ``spectrograms extract`` in
:mod:`.precomputed` (:class:`PrecomputedFeatureDataset`) and :mod:`.precomputed_datamodule`
(:class:`PrecomputedDataModule`), and :func:`plot_batch` in :mod:`spectrograms.data.plot`; all are
exported here but imported on first use, so ``import spectrograms.data`` does not import Lightning
or matplotlib.
"""

from .datasets import (
    AudioFileError,
    AudioFolderDataset,
    AudioItem,
    ManifestDataset,
    drop_skipped,
    load_audio,
)

__all__ = [
    "AudioFileError",
    "AudioFolderDataset",
    "AudioItem",
    "ManifestDataset",
    "drop_skipped",
    "load_audio",
    "FeatureConfig",
    "PrecomputedDataModule",
    "PrecomputedFeatureDataset",
    "SpectrogramBatch",
    "SpectrogramCollate",
    "SpectrogramDataModule",
    "plot_batch",
]

_LAZY = {
    "FeatureConfig": "feature_config",
    "PrecomputedDataModule": "precomputed_datamodule",
    "PrecomputedFeatureDataset": "precomputed",
    "SpectrogramBatch": "datamodule",
    "SpectrogramCollate": "datamodule",
    "SpectrogramDataModule": "datamodule",
    "plot_batch": "plot",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
