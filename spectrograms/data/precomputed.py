"""Training from features precomputed by :func:`spectrograms.extract.extract`.

:class:`PrecomputedFeatureDataset` reads the output folder's ``manifest.jsonl`` and seeks straight to
each item's ``.npy`` (or gzipped ``.npy.gz``) member in its tar shard (the manifest records its byte
offset and size), so no shard is scanned or unpacked. :class:`PrecomputedCollate` pads the items exactly as
:class:`~spectrograms.data.datamodule.SpectrogramCollate` pads computed features (with the feature's
floor), so a DataModule gives the same batches, lengths and labels either way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import InvalidInputError
from ..extract.shards import read_member

__all__ = ["PrecomputedCollate", "PrecomputedFeatureDataset"]


class PrecomputedFeatureDataset(Dataset):
    """Items of an extraction output folder as ``(features, label)``.

    Args:
        root: folder written by :func:`spectrograms.extract.extract` (holding ``config.json``,
            ``manifest.jsonl`` and the ``shard-*.tar`` files).

    Attributes:
        config: the folder's ``config.json`` (``features``, ``dtype``, ``classes``, ...).
        features: the feature config the shards hold (a
            :class:`~spectrograms.data.datamodule.FeatureConfig` or a
            :class:`~spectrograms.extract.KaldiFbankConfig`).
        classes: class names (a label indexes it); ``["0"]`` for unlabelled corpora.
        labels: label of every item (``-1`` where the corpus has none).
        rows: the manifest rows.

    ``__getitem__`` returns a float32 tensor of shape ``(n_bins, n_frames)`` (float16 storage is
    widened) and the int label.

    Raises:
        InvalidInputError: ``root`` is not an extraction output folder (missing or unreadable files).
    """

    def __init__(self, root: str | Path) -> None:
        from ..extract.kinds import feature_from_dict

        self.root = Path(root)
        config_path, manifest_path = self.root / "config.json", self.root / "manifest.jsonl"
        for path in (config_path, manifest_path):
            if not path.is_file():
                raise InvalidInputError(
                    f"root={str(self.root)!r}: {path.name} not found; expected a folder written by "
                    "`spectrograms extract`"
                )
        self.config = json.loads(config_path.read_text())
        self.features = feature_from_dict(self.config["features"])
        self.compression = self.config.get("compression")
        self.rows = [json.loads(line) for line in manifest_path.read_text().splitlines() if line.strip()]
        self.classes = list(self.config.get("classes") or ["0"])
        self._files: dict[str, Any] = {}

    @property
    def labels(self) -> list[int]:
        return [-1 if row["label"] is None else int(row["label"]) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        row = self.rows[index]
        shard = self._files.get(row["shard"])
        if shard is None:  # one open handle per shard and process (DataLoader workers open their own)
            shard = self._files[row["shard"]] = open(self.root / row["shard"], "rb")
        shard.seek(row["data_offset"])
        array = read_member(shard.read(row["data_size"]), self.compression)
        features = torch.from_numpy(array).to(torch.float32)
        return features, -1 if row["label"] is None else int(row["label"])

    def __getstate__(self):
        return {**self.__dict__, "_files": {}}  # file handles stay in the process that opened them

    def __repr__(self) -> str:
        return f"PrecomputedFeatureDataset(root={str(self.root)!r}, n_items={len(self)}, classes={self.classes})"


class PrecomputedCollate:
    """``collate_fn`` turning ``(features, label)`` items into a
    :class:`~spectrograms.data.datamodule.SpectrogramBatch`: features ``(batch, n_bins, max_frames)``
    float32 padded at the end with the feature's floor (the dB floor for dB features, else 0),
    lengths and labels ``(batch,)`` int64.

    Args:
        features: the feature config the items were computed with (gives the padding value: for a
            KaldiFbankConfig the log of Kaldi's floor, the value of silence).
    """

    def __init__(self, features) -> None:
        self.features = features
        if hasattr(features, "pad_value"):
            self.pad_value = float(features.pad_value)
        else:
            # The value computed batches pad with, taken from a real result so both paths agree.
            spec = features.build_plan().compute(np.zeros(features.n_fft, dtype=np.float32))
            self.pad_value = float(spec.floor)

    def worker_init(self, worker_id: int) -> None:
        torch.set_num_threads(1)

    def __call__(self, items: Sequence[tuple[torch.Tensor, int]]):
        from .datamodule import SpectrogramBatch

        lengths = torch.tensor([f.shape[-1] for f, _ in items], dtype=torch.int64)
        n_bins = items[0][0].shape[0]
        out = torch.full((len(items), n_bins, int(lengths.max())), self.pad_value, dtype=torch.float32)
        for row, (features, _) in zip(out, items):
            row[:, : features.shape[-1]].copy_(features)
        labels = torch.tensor([label for _, label in items], dtype=torch.int64)
        return SpectrogramBatch(features=out, lengths=lengths, labels=labels)
