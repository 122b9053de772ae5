"""Lightning training from features precomputed by ``spectrograms extract``.

::

    spectrograms extract corpus/ features/ --feature-config configs/shards.yaml --dtype float32

    from spectrograms.data.precomputed_datamodule import PrecomputedDataModule

    dm = PrecomputedDataModule("features/")   # the feature config comes from features/config.json
    batch = next(iter(dm.train_dataloader()))  # the batches SpectrogramDataModule(root="corpus/") gives

Its own module (not :mod:`.precomputed`) because it needs Lightning, and reading shards does not.
"""

from __future__ import annotations

from typing import Any

from .datamodule import FeatureConfig, SpectrogramDataModule
from .precomputed import PrecomputedFeatureDataset

__all__ = ["PrecomputedDataModule"]


class PrecomputedDataModule(SpectrogramDataModule):
    """:class:`~spectrograms.data.datamodule.SpectrogramDataModule` over an extraction output folder.

    The items, labels and classes are the folder's; the split (:func:`stratified_split` with ``seed``)
    and the padded batches are those of the same corpus given to ``SpectrogramDataModule`` as ``root``
    with the same features: bitwise for float32 storage, float16 storage widened to float32.

    Args:
        precomputed: folder written by :func:`spectrograms.extract.extract` (required, so a config
            without it stops at parsing instead of training on synthetic sounds).
        features: the feature config; None (default) takes the folder's (its ``config.json``, which
            may also be a :class:`~spectrograms.extract.KaldiFbankConfig`). Given, it must equal the
            folder's.
        val_fraction, test_fraction, batch_size, num_workers, pin_memory, seed, num_threads: as
            :class:`~spectrograms.data.datamodule.SpectrogramDataModule` (``num_workers`` processes
            only read and decode the stored arrays here).

    Raises:
        InvalidInputError: ``precomputed`` is not an extraction output folder (named, at construction),
            or ``features`` differs from the folder's (named, at :meth:`setup`).
    """

    def __init__(
        self,
        precomputed: str,
        features: FeatureConfig | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 32,
        num_workers: int = 2,
        pin_memory: bool = False,
        seed: int = 0,
        num_threads: int | None = None,
    ):
        # Read now: the model's n_classes and n_bins are linked from this module when it is built.
        stored = PrecomputedFeatureDataset(precomputed)
        chosen: Any = stored.features if features is None else features
        super().__init__(None, chosen, 0, None, val_fraction, test_fraction, batch_size, num_workers,
                         pin_memory, "raise", seed, num_threads, precomputed)
