"""Audio classification with Lightning: the seed's CNN on padded spectrogram batches.

Lives in the package so that every ``class_path`` (``spectrograms.recipes.audio_classification.
AudioClassifier``) resolves the same way from ``recipes/audio_classification.py``, ``python -m
spectrograms.recipes.audio_classification``, ``spectrograms demo`` and a saved ``config.yaml``.
Train, validate, test and predict from a YAML config (LightningCLI)::

    python recipes/audio_classification.py fit --config configs/audio_classification.yaml
    python recipes/audio_classification.py test --config configs/audio_classification.yaml \\
        --ckpt_path outputs/audio_classification/lightning_logs/version_0/checkpoints/last.ckpt
    python recipes/audio_classification.py predict ...same as test...   # -> <log dir>/predictions.csv
    python recipes/audio_classification.py predict ...same as test... --data.predict_files FOLDER
    python recipes/audio_classification.py fit --config <log dir>/config.yaml   # refit from a saved config
    python recipes/audio_classification.py fit --config configs/audio_folder.yaml --data.root PATH
    python recipes/audio_classification.py fit --config configs/audio_classification.yaml \\
        --config configs/ddp.yaml                       # 2 processes, DDP over gloo on CPU

``--print_config`` shows every option. The number of classes and of feature rows are linked from the
data module to the model, so a config states them once.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import torchmetrics
from lightning.pytorch import LightningModule
from lightning.pytorch.callbacks import BasePredictionWriter, ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from torch import nn

from ..data.datamodule import SpectrogramBatch, SpectrogramDataModule
from ..errors import AudioFileError, SpectrogramError
from ..torch import lengths_to_mask

__all__ = [
    "AudioClassifier",
    "AudioClassificationCLI",
    "PredictionWriter",
    "cli_main",
    "main",
    "masked_max",
    "masked_mean",
    "masked_standardize",
]


def _frame_mask(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``(batch, 1, ..., frames)`` bool mask of the valid frames, broadcastable against ``x``."""
    mask = lengths_to_mask(lengths, x.shape[-1])
    return mask.view(mask.shape[0], *([1] * (x.dim() - 2)), mask.shape[1])


def masked_mean(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` ``(batch, ..., frames)`` over the first ``lengths[b]`` frames of each item ``b``,
    so padding never enters the average. Returns ``(batch, ...)``."""
    mask = _frame_mask(x, lengths)
    return (x * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def masked_standardize(x: torch.Tensor, lengths: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``(x - mean) / std`` per item of ``x`` ``(batch, n_bins, frames)``, with the mean and standard
    deviation taken over all bins of the first ``lengths[b]`` frames of item ``b`` (padding left out).

    A level change of a recording is an offset of its dB spectrogram, so this makes the model blind
    to level, which says nothing about the class. Returns the shape of ``x``.
    """
    mask = _frame_mask(x, lengths)
    count = mask.sum(-1, keepdim=True).clamp(min=1) * x.shape[1]
    mean = (x * mask).sum((1, 2), keepdim=True) / count
    variance = ((x - mean) * mask).square().sum((1, 2), keepdim=True) / count
    return (x - mean) * torch.rsqrt(variance + eps)


def masked_max(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Maximum of ``x`` ``(batch, ..., frames)`` over the first ``lengths[b]`` frames of each item ``b``.
    Returns ``(batch, ...)``."""
    return x.masked_fill(~_frame_mask(x, lengths), torch.finfo(x.dtype).min).amax(-1)


class AudioClassifier(LightningModule):
    """The seed's ``AudioClassifier`` CNN for padded ``(batch, n_bins, frames)`` feature batches.

    A stack of 3x3 convolutions with ReLU, adaptive average pooling to ``freq_pool`` rows over
    frequency and a linear classifier, as in the seed, with what training on variable-length batches
    on a CPU asks for: each item standardised over its own valid frames first
    (:func:`masked_standardize`; dB values are far from unit scale and offset by the recording
    level), 2x2 max pooling after each convolution (each block then costs about as much as the one
    before while the receptive field doubles), and masked mean and max pooling over time, which leave
    out the frames past each item's length. ``channels=(32, 64)`` gives the seed's two convolutions;
    the default three narrower ones learn faster per CPU second (measured on the synthetic set).

    Args:
        n_classes: output classes (linked from the data module's ``n_classes``). Default 8.
        n_bins: feature rows (linked from the data module's ``n_features``); checked against the
            input. Default 64.
        channels: output channels of each convolution. Default ``(16, 32, 64)``.
        freq_pool: rows kept over frequency before the classifier (the seed's 4).
        lr: peak learning rate of the one-cycle schedule (AdamW). Default 5e-3.
        weight_decay: AdamW weight decay. Default 1e-4.

    Shapes:
        ``forward(features (batch, n_bins, frames), lengths (batch,) or None) -> logits (batch, n_classes)``;
        ``lengths`` None means every item fills all frames.
    """

    def __init__(
        self,
        n_classes: int = 8,
        n_bins: int = 64,
        channels: tuple[int, ...] = (16, 32, 64),
        freq_pool: int = 4,
        lr: float = 5e-3,
        weight_decay: float = 1e-4,
    ):
        super().__init__()
        self.save_hyperparameters()
        blocks, in_channels = [], 1
        for out_channels in channels:
            # ceil_mode keeps a last, partly padded frame, so an item of L frames has exactly
            # ceil(L / 2) frames after the pooling and its length can be tracked exactly.
            blocks += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(2, ceil_mode=True)]
            in_channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.freq_pool = nn.AdaptiveAvgPool2d((freq_pool, None))
        self.fc = nn.Linear(2 * in_channels * freq_pool, n_classes)
        # Keyed by the logged name: "train" itself would clash with nn.Module.train.
        self.accuracy = nn.ModuleDict({
            f"{stage}_acc": torchmetrics.Accuracy(task="multiclass", num_classes=n_classes)
            for stage in ("train", "val", "test")
        })

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if features.dim() != 3 or features.shape[1] != self.hparams.n_bins:
            raise ValueError(
                f"features must be (batch, n_bins={self.hparams.n_bins}, frames); got {tuple(features.shape)}"
            )
        if lengths is None:
            lengths = torch.full((features.shape[0],), features.shape[-1], device=features.device)
        x = masked_standardize(features, lengths).unsqueeze(1)  # (batch, 1, n_bins, frames)
        x = self.blocks(x)  # (batch, channels, bins', frames')
        for _ in self.hparams.channels:
            lengths = (lengths + 1) // 2
        x = self.freq_pool(x).flatten(1, 2)  # (batch, channels * freq_pool, frames')
        return self.fc(torch.cat([masked_mean(x, lengths), masked_max(x, lengths)], dim=1))

    def _step(self, batch: SpectrogramBatch | None, stage: str) -> torch.Tensor | None:
        if batch is None:  # every item of the batch was a bad file skipped by the data set
            return None
        logits = self(batch.features, batch.lengths)
        loss = F.cross_entropy(logits, batch.labels)
        accuracy = self.accuracy[f"{stage}_acc"]
        accuracy(logits, batch.labels)
        size = len(batch.labels)
        # sync_dist: under DDP the epoch loss is the mean over every process's items, not rank 0's.
        self.log(f"{stage}_loss", loss, on_step=stage == "train", on_epoch=True, prog_bar=True,
                 batch_size=size, sync_dist=True)
        self.log(f"{stage}_acc", accuracy, on_step=False, on_epoch=True, prog_bar=True, batch_size=size)
        return loss

    def training_step(self, batch: SpectrogramBatch | None, batch_idx: int):
        return self._step(batch, "train")

    def validation_step(self, batch: SpectrogramBatch | None, batch_idx: int):
        return self._step(batch, "val")

    def test_step(self, batch: SpectrogramBatch | None, batch_idx: int):
        return self._step(batch, "test")

    def predict_step(self, batch: SpectrogramBatch | None, batch_idx: int) -> dict[str, torch.Tensor] | None:
        """``{"prob": (batch, n_classes), "position": (batch,)}``; ``position`` indexes the data module's
        ``prediction_items`` (the recipes' predict loaders put it where the label would be)."""
        if batch is None:
            return None
        prob = self(batch.features, batch.lengths).softmax(-1)
        return {"prob": prob, "position": batch.labels}

    def configure_optimizers(self):
        hparams = self.hparams
        optimizer = torch.optim.AdamW(self.parameters(), lr=hparams.lr, weight_decay=hparams.weight_decay)
        # One cycle (warm-up, then cosine decay to ~0) reaches a good accuracy in few epochs, which is
        # what a CPU training budget of minutes needs.
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=hparams.lr, total_steps=self.trainer.estimated_stepping_batches, pct_start=0.2
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


class PredictionWriter(BasePredictionWriter):
    """Writes ``predict``'s output to ``<log dir>/predictions.csv`` (``predictions-rank<k>.csv`` under
    DDP): one row per item, ``path,label,prediction,probability,top_k``. ``label`` is the true class
    where known (empty for new files), ``probability`` the predicted class's and ``top_k`` the ``k``
    most probable classes as ``name:probability`` joined by ``;``.

    Args:
        top_k: classes listed in ``top_k`` (at most the number of classes). Default 3.
    """

    def __init__(self, top_k: int = 3):
        super().__init__(write_interval="epoch")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1; got {top_k}")
        self.top_k = top_k

    def write_on_epoch_end(self, trainer, pl_module, predictions, batch_indices):
        datamodule = trainer.datamodule
        classes = datamodule.classes
        items = getattr(datamodule, "prediction_items", None)
        suffix = f"-rank{trainer.global_rank}" if trainer.world_size > 1 else ""
        path = Path(trainer.log_dir or trainer.default_root_dir) / f"predictions{suffix}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        k = min(self.top_k, len(classes))
        with path.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["path", "label", "prediction", "probability", "top_k"])
            for batch in filter(None, predictions):
                top_prob, top_class = batch["prob"].topk(k, dim=-1)
                for position, probs, indices in zip(batch["position"].tolist(), top_prob.tolist(),
                                                    top_class.tolist()):
                    item = items[position] if items is not None else None
                    writer.writerow([
                        item.path if item else position, (item.label or "") if item else "",
                        classes[indices[0]], f"{probs[0]:.4f}",
                        ";".join(f"{classes[c]}:{p:.4f}" for c, p in zip(indices, probs)),
                    ])
        print(f"predictions written to {path}")


class AudioClassificationCLI(LightningCLI):
    """LightningCLI with the data-to-model links, a ``ModelCheckpoint`` keeping the lowest ``val_loss``
    and ``last.ckpt``, and a :class:`PredictionWriter` for ``predict``.

    The best checkpoint is chosen by ``val_loss``, not ``val_acc``: accuracy saturates on small
    validation sets, so the first epoch reaching the best accuracy was kept while the loss went on
    falling for many epochs (0.80 at epoch 5 against 0.002 at epoch 19 in one run)."""

    def add_arguments_to_parser(self, parser):
        parser.link_arguments("data.n_classes", "model.init_args.n_classes", apply_on="instantiate")
        parser.link_arguments("data.n_features", "model.init_args.n_bins", apply_on="instantiate")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PredictionWriter, "prediction_writer")
        parser.set_defaults({
            "checkpoint.monitor": "val_loss",
            "checkpoint.mode": "min",
            "checkpoint.save_last": True,
            "checkpoint.filename": "epoch={epoch}-val_loss={val_loss:.4f}-val_acc={val_acc:.3f}",
            "checkpoint.auto_insert_metric_name": False,
        })


def cli_main(args: list[str] | None = None, run: bool = True) -> AudioClassificationCLI:
    """Runs the CLI on ``args`` (default: ``sys.argv[1:]``) and returns it (``cli.trainer``, ``cli.model``,
    ``cli.datamodule``)."""
    return AudioClassificationCLI(
        AudioClassifier,
        SpectrogramDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        seed_everything_default=0,
        save_config_kwargs={"overwrite": True},
        args=args,
        run=run,
    )


def main(args: list[str] | None = None) -> int:
    """The command line: :func:`cli_main`, with a bad path or value reported in one line on stderr
    (exit status 2) instead of a traceback."""
    try:
        cli_main(args)
    except (AudioFileError, SpectrogramError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    # Under ``python -m`` this file runs as __main__, a second copy of the module whose classes are not the
    # ones the configs' class_path names; the command line must run on the package's own module.
    from spectrograms.recipes.audio_classification import main as package_main

    sys.exit(package_main())
