"""The recipes' data modules: :class:`SpectrogramDataModule` plus prediction on new files, and a
folder variant whose ``root`` is required.

``predict`` reads :class:`PredictionItems`: the labelled test split by default, or any folder, audio
file, text list of files (one path a line) or ``.csv``/``.jsonl`` manifest (labelled or not) given as
``predict_files``. Each item is loaded as ``(waveform, position)``, the position indexing
:attr:`RecipeDataModule.prediction_items`, so a file skipped as unreadable never shifts a row of the
predictions written next to it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch.utils.data import DataLoader, Dataset

from ..data.datamodule import FeatureConfig, SpectrogramDataModule
from ..data.datasets import MANIFEST_SUFFIXES, load_audio
from ..errors import AudioFileError

__all__ = ["AUDIO_SUFFIXES", "AudioFolderDataModule", "PredictionItem", "RecipeDataModule", "list_audio_files"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


@dataclass(frozen=True)
class PredictionItem:
    """One row of the predictions: where the audio comes from and its true label, if known."""

    path: str
    label: str | None = None


def list_audio_files(source: str | Path) -> list[PredictionItem]:
    """The items of ``source``: a folder (audio files found recursively, sorted), one audio file, a
    ``.txt`` list (one path a line, blank lines and ``#`` comments ignored) or a ``.csv``/``.jsonl``
    manifest with a ``path`` column and an optional ``label`` column. Relative paths in a list or a
    manifest are taken from the list's folder.

    Raises:
        AudioFileError: ``source`` does not exist, or lists no audio file.
    """
    source = Path(source)
    if not source.exists():
        raise AudioFileError(f"{source}: predict_files not found (expected a folder, an audio file, "
                             "a .txt list of files or a .csv/.jsonl manifest)")
    if source.is_dir():
        items = [PredictionItem(str(p)) for p in sorted(source.rglob("*"))
                 if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()]
    elif source.suffix.lower() == ".txt":
        lines = [line.strip() for line in source.read_text().splitlines()]
        items = [PredictionItem(str(source.parent / line)) for line in lines if line and not line.startswith("#")]
    elif source.suffix.lower() in MANIFEST_SUFFIXES:
        items = _manifest_items(source)
    else:
        items = [PredictionItem(str(source))]
    if not items:
        raise AudioFileError(f"{source}: no audio files found (suffixes {list(AUDIO_SUFFIXES)})")
    return items


def _manifest_items(manifest: Path) -> list[PredictionItem]:
    if manifest.suffix.lower() == ".csv":
        with manifest.open(newline="") as file:
            rows = list(csv.DictReader(file))
    else:
        text = manifest.read_text().strip()
        rows = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines()
                                                               if line.strip()]
    if rows and "path" not in rows[0]:
        raise AudioFileError(f"{manifest}: a manifest needs a 'path' column; got {sorted(rows[0])}")
    return [PredictionItem(str(manifest.parent / row["path"]),
                           None if row.get("label") in (None, "") else str(row["label"])) for row in rows]


class _PredictionDataset(Dataset):
    """``(waveform, position)`` for each :class:`PredictionItem`; ``None`` for an unreadable file."""

    def __init__(self, items: list[PredictionItem], sample_rate: int, max_duration: float | None, on_error: str):
        self.items, self.sample_rate, self.max_duration, self.on_error = items, sample_rate, max_duration, on_error

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, position: int) -> tuple[torch.Tensor, int] | None:
        try:
            return load_audio(self.items[position].path, self.sample_rate, duration=self.max_duration), position
        except AudioFileError as exc:
            if self.on_error == "raise":
                raise
            print(f"skipped: {exc}")
            return None


class _IndexedSplit(Dataset):
    """A labelled split whose items come back as ``(waveform, position)`` instead of their label."""

    def __init__(self, split: Dataset):
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, position: int) -> tuple[torch.Tensor, int] | None:
        item = self.split[position]
        return None if item is None else (item[0], position)


class RecipeDataModule(SpectrogramDataModule):
    """:class:`~spectrograms.data.datamodule.SpectrogramDataModule` with a ``predict`` source.

    Args:
        predict_files: what ``predict`` runs on: a folder, an audio file, a ``.txt`` list of files or
            a ``.csv``/``.jsonl`` manifest (``path`` and an optional ``label`` column), see
            :func:`list_audio_files`. None (default): the labelled test split.
        **others: as :class:`~spectrograms.data.datamodule.SpectrogramDataModule`.
    """

    def __init__(
        self,
        root: str | None = None,
        features: FeatureConfig = FeatureConfig(),
        n_items: int = 2000,
        max_duration: float | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 32,
        num_workers: int = 2,
        pin_memory: bool = False,
        on_error: Literal["skip", "raise"] = "skip",
        seed: int = 0,
        num_threads: int | None = None,
        predict_files: str | None = None,
    ):
        super().__init__(root, features, n_items, max_duration, val_fraction, test_fraction, batch_size,
                         num_workers, pin_memory, on_error, seed, num_threads)
        self.predict_files = predict_files
        self._prediction_items: list[PredictionItem] | None = None

    @property
    def prediction_items(self) -> list[PredictionItem]:
        """What ``predict`` runs on, in row order (see ``predict_files``)."""
        if self._prediction_items is None:
            if self.predict_files is not None:
                self._prediction_items = list_audio_files(self.predict_files)
            else:
                if not self.splits:
                    self.setup()
                split = self.splits["test"]
                items = getattr(self.dataset, "items", None)
                labels = self.dataset.labels
                self._prediction_items = [
                    PredictionItem(str(items[i].path) if items is not None else f"synthetic:{i}",
                                   self.classes[labels[i]])
                    for i in split.indices
                ]
        return self._prediction_items

    def predict_dataloader(self) -> DataLoader:
        if self.predict_files is None:
            if not self.splits:
                self.setup()
            dataset: Dataset = _IndexedSplit(self.splits["test"])
        else:
            dataset = _PredictionDataset(self.prediction_items, self.features.sample_rate, self.max_duration,
                                         self.on_error)
        return DataLoader(dataset, batch_size=self.batch_size, num_workers=self.num_workers,
                          collate_fn=self.collate,
                          worker_init_fn=self.collate.worker_init if self.num_workers else None)


class AudioFolderDataModule(RecipeDataModule):
    """:class:`RecipeDataModule` on your own audio: ``root`` is required, so a config without it stops
    at parsing ("Key 'data.init_args.root' is required") instead of training on synthetic sounds.

    Args:
        root: ``root/<class>/*.wav|flac|ogg`` folder or a ``.csv``/``.jsonl`` manifest.
        **others: as :class:`RecipeDataModule`.
    """

    def __init__(
        self,
        root: str,
        features: FeatureConfig = FeatureConfig(),
        n_items: int = 2000,
        max_duration: float | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 32,
        num_workers: int = 2,
        pin_memory: bool = False,
        on_error: Literal["skip", "raise"] = "skip",
        seed: int = 0,
        num_threads: int | None = None,
        predict_files: str | None = None,
    ):
        super().__init__(root, features, n_items, max_duration, val_fraction, test_fraction, batch_size,
                         num_workers, pin_memory, on_error, seed, num_threads, predict_files)
