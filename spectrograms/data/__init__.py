"""Datasets of labelled audio: folders, manifests and file loading (see :mod:`.datasets`).

Procedurally generated sounds live in :mod:`spectrograms.data.synthetic`.
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
]
