"""Lightning data pipeline: waveforms in, padded spectrogram batches with frame lengths out.

::

    from spectrograms.data.datamodule import FeatureConfig, SpectrogramDataModule

    dm = SpectrogramDataModule(features=FeatureConfig(kind="mel", scale="db", n_bands=64))
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    batch.features  # (batch, 64, max_frames) float32, padded with the -80 dB floor
    batch.lengths   # (batch,) int64 frames of each item before padding
    batch.labels    # (batch,) int64 class indices

Features are computed inside the ``DataLoader`` workers by :class:`SpectrogramCollate`: each worker
builds its own plan once (in :meth:`SpectrogramCollate.worker_init`, which also limits the worker to
one torch thread so that ``num_workers`` workers and the training process do not oversubscribe the
CPU cores) and then only runs the native op per item.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from .. import torch as sgt
from ..errors import InvalidInputError
from .datasets import MANIFEST_SUFFIXES, AudioFolderDataset, ManifestDataset, drop_skipped
from .feature_config import FeatureConfig
from .synthetic import SyntheticAudioDataset

try:
    import lightning.pytorch as pl
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "spectrograms.data.datamodule needs Lightning: pip install 'spectrograms[lightning]'"
    ) from exc

__all__ = [
    "FeatureConfig",
    "SpectrogramBatch",
    "SpectrogramCollate",
    "SpectrogramDataModule",
    "stratified_split",
]

SPLITS = ("train", "val", "test")

class SpectrogramBatch(NamedTuple):
    """What the collate function returns (a NamedTuple, so Lightning moves and pins it as a whole).

    Attributes:
        features: ``(batch, n_bins, max_frames)``, items padded at the end of the frames axis with
            their floor (the dB floor for dB features, else 0).
        lengths: ``(batch,)`` int64, frames of each item before padding.
        labels: ``(batch,)`` int64 class indices.
    """

    features: Any
    lengths: torch.Tensor
    labels: torch.Tensor


class SpectrogramCollate:
    """``collate_fn`` that turns ``(waveform, label)`` items into a :class:`SpectrogramBatch`.

    Items that a dataset skipped (``None``, from ``on_error="skip"``) are dropped; if every item of
    a batch was skipped the result is ``None``, which the recipes' steps skip. The plan is built once
    per process: eagerly by :meth:`worker_init` in ``DataLoader`` workers, lazily on first use
    otherwise, and never pickled (so workers started with ``spawn`` build their own too).

    Args:
        features: which spectrogram to compute.
        to_batch: turns a list of results into the padded batch; default
            ``spectrograms.torch.batch(specs, dtype=torch.float32, pad=True)``. Pass e.g.
            ``functools.partial(spectrograms.jax.batch, pad=True)`` for JAX arrays.
    """

    def __init__(self, features: FeatureConfig, to_batch: Callable[[list], Any] | None = None):
        self.features = features
        self.to_batch = to_batch or functools.partial(sgt.batch, dtype=torch.float32, pad=True)
        self._plan = None

    @property
    def plan(self):
        if self._plan is None:
            self._plan = self.features.build_plan()
        return self._plan

    def worker_init(self, worker_id: int) -> None:
        """``worker_init_fn``: one torch thread per worker (the native op parallelises with torch's
        intra-op pool, and ``num_workers`` workers each using every core would oversubscribe them),
        then the plan (window, filterbank, FFTW plan) built before the first batch is asked for."""
        torch.set_num_threads(1)
        self.plan.compute(np.zeros(self.features.n_fft, dtype=np.float32))

    def __call__(self, items: Sequence[tuple[torch.Tensor, int] | None]) -> SpectrogramBatch | None:
        items = drop_skipped(items)
        if not items:
            return None
        _check_items(items)
        specs = [self.plan.compute(waveform) for waveform, _ in items]
        return SpectrogramBatch(
            features=self.to_batch(specs),
            lengths=torch.tensor([spec.shape[-1] for spec in specs], dtype=torch.int64),
            labels=torch.tensor([label for _, label in items], dtype=torch.int64),
        )

    def __getstate__(self):
        return {**self.__dict__, "_plan": None}


def _check_items(items: Sequence[tuple[Any, Any]]) -> None:
    """Each item must be ``(waveform (time,), class index)``: a 2-D waveform would be computed as a
    batch of its own and give a 4-D batch, a label outside int64 a torch error naming nothing."""
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise InvalidInputError(
                f"item {i} must be a (waveform, label) pair or None, got {type(item).__name__}")
        waveform, label = item
        if np.ndim(waveform) != 1:
            raise InvalidInputError(
                f"item {i}: the waveform must have shape (time,), got shape {tuple(np.shape(waveform))}")
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label < 2**63:
            raise InvalidInputError(
                f"item {i}: the label must be a class index (an int in [0, 2**63)), got {label!r}")


def stratified_split(labels: Sequence[int], fractions: Sequence[float], seed: int) -> list[list[int]]:
    """Indices split into parts of the given fractions, class by class, reproducibly.

    Each class's indices are shuffled with ``numpy.random.default_rng(seed)`` and cut in the given
    proportions (rounded), so every part keeps the class balance; the first part gets the remainder.

    Args:
        labels: label of every item.
        fractions: fraction of each part after the first, e.g. ``(0.1, 0.1)`` for val and test.
        seed: same seed and labels, same split.

    Returns:
        ``1 + len(fractions)`` sorted lists of indices.
    """
    if any(f < 0 for f in fractions) or sum(fractions) >= 1:
        raise InvalidInputError(f"split fractions must be >= 0 and sum to less than 1; got {list(fractions)}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        start = 0
        for part, fraction in zip(parts[1:], fractions):
            count = round(fraction * len(members))
            part.extend(members[start : start + count].tolist())
            start += count
        parts[0].extend(members[start:].tolist())
    return [sorted(part) for part in parts]


class SpectrogramDataModule(pl.LightningDataModule):
    """Labelled audio as padded spectrogram batches for Lightning (see the module docstring).

    The data come from an audio folder or a manifest given as ``root``, or, by default, from a
    :class:`~spectrograms.data.synthetic.SyntheticAudioDataset` that needs no files. One data set is
    split into train/val/test by :func:`stratified_split` with ``seed``, so every run and every DDP
    process sees the same split (Lightning adds the ``DistributedSampler``).

    Args:
        root: ``root/<class>/*.wav``-style folder (class names from the sub-folders, see
            :class:`~spectrograms.data.AudioFolderDataset`) or a ``.csv``/``.jsonl``/``.json`` manifest
            (see :class:`~spectrograms.data.ManifestDataset`). None (default): synthetic sounds.
        features: the spectrogram to compute. Default: 64-band mel dB, n_fft 512, hop 256, 16 kHz.
        n_items: items of the synthetic data set. Default 2000.
        max_duration: read at most this many seconds of each file of an audio folder (None, the
            default: whole files).
        val_fraction: fraction of the items for validation. Default 0.1.
        test_fraction: fraction of the items for testing (and prediction). Default 0.1.
        batch_size: items per batch. Default 32.
        num_workers: ``DataLoader`` worker processes computing features; 0 computes them in the
            training process. Default 2.
        pin_memory: pin batches in page-locked memory (only useful with a GPU). Default False.
        on_error: for files that cannot be read, ``"skip"`` (default; dropped from the batch, counted
            and warned about by the data set) or ``"raise"``.
        seed: seed of the synthetic data and of the split. Default 0.
        num_threads: torch threads of each training process, set in :meth:`setup`. None (default):
            the cores left over by the feature workers, ``max(1, cores // processes - num_workers)``
            with ``processes`` the trainer's devices on this machine (DDP). Torch's own default, every
            core in every process, oversubscribes the CPU as soon as workers or DDP processes run next
            to it, and on a 2-core machine that makes each training step about 3x slower.
        precomputed: a folder written by ``spectrograms extract`` (see :mod:`spectrograms.extract`):
            features are read from its shards instead of computed (same padded batches, lengths and
            labels); ``root`` is then ignored and ``features`` must equal the folder's. None (default).

    Attributes:
        classes: class names; a label indexes this list.
        n_classes: ``len(classes)``.
        n_features: rows of each feature matrix (``features.n_features``).
        splits: ``{"train", "val", "test"}`` subsets, after :meth:`setup`.
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
        precomputed: str | None = None,
    ):
        super().__init__()
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be >= 1; got {batch_size}")
        if num_workers < 0:
            raise InvalidInputError(f"num_workers must be >= 0; got {num_workers}")
        self.save_hyperparameters()
        self.root = root
        self.features = features
        self.n_items = n_items
        self.max_duration = max_duration
        self.fractions = (val_fraction, test_fraction)
        stratified_split([0], self.fractions, seed)  # rejects bad fractions at configuration time
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.on_error = on_error
        self.seed = seed
        self.num_threads = num_threads
        self.precomputed = precomputed
        self.collate = SpectrogramCollate(features)
        if precomputed is not None:
            from .precomputed import PrecomputedCollate

            self.collate = PrecomputedCollate(features)
        self.splits: dict[str, Dataset] = {}

    @functools.cached_property
    def dataset(self) -> Dataset:
        """The whole data set before splitting (created on first use; folders are only listed)."""
        rate = self.features.sample_rate
        if self.precomputed is not None:
            from .precomputed import PrecomputedFeatureDataset

            dataset = PrecomputedFeatureDataset(self.precomputed)
            if dataset.features != self.features:
                raise InvalidInputError(
                    f"precomputed={self.precomputed!r} holds {dataset.features}, but features is "
                    f"{self.features}; set features to the folder's config (its config.json)"
                )
            return dataset
        if self.root is None:
            return SyntheticAudioDataset(n_items=self.n_items, sample_rate=rate, seed=self.seed)
        root = Path(self.root)
        if root.suffix.lower() in MANIFEST_SUFFIXES and not root.is_dir():
            if self.max_duration is not None:
                raise InvalidInputError(
                    "max_duration applies to audio folders; give a manifest per-item durations instead"
                )
            return ManifestDataset(root, sample_rate=rate, on_error=self.on_error)
        return AudioFolderDataset(
            root, sample_rate=rate, on_error=self.on_error, max_duration=self.max_duration
        )

    @property
    def classes(self) -> list[str]:
        return list(self.dataset.classes)

    @property
    def n_classes(self) -> int:
        return len(self.dataset.classes)

    @property
    def n_features(self) -> int:
        return self.features.n_features

    def setup(self, stage: str | None = None) -> None:
        """Sets this process's torch threads (see ``num_threads``) and splits the data set (once;
        every stage uses the same split)."""
        torch.set_num_threads(self.num_threads or self._spare_cores())
        if self.splits:
            return
        parts = stratified_split(self.dataset.labels, self.fractions, self.seed)
        self.splits = {name: Subset(self.dataset, indices) for name, indices in zip(SPLITS, parts)}

    def _spare_cores(self) -> int:
        processes = self.trainer.num_devices if self.trainer is not None else 1
        return max(1, len(os.sched_getaffinity(0)) // processes - self.num_workers)

    def loader(self, split: str, *, shuffle: bool = False, collate: SpectrogramCollate | None = None,
               num_workers: int | None = None) -> DataLoader:
        """A ``DataLoader`` over one split.

        Args:
            split: ``"train"``, ``"val"`` or ``"test"``.
            shuffle: reshuffle every epoch (seeded through ``lightning.seed_everything``).
            collate: default: this module's, computing ``features`` with torch output.
            num_workers: default: this module's ``num_workers``.
        """
        if not self.splits:
            self.setup()
        collate = collate or self.collate
        workers = self.num_workers if num_workers is None else num_workers
        return DataLoader(
            self.splits[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=workers,
            collate_fn=collate,
            worker_init_fn=collate.worker_init if workers else None,
            pin_memory=self.pin_memory,
            # Workers hold a built plan; keeping them across epochs saves the restart and the rebuild.
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self.loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self.loader("test")
