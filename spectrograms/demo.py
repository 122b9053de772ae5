"""The main job (``make demo``): train the audio classification recipe on the synthetic sounds.

::

    python -m spectrograms.demo                          # configs/audio_classification.yaml
    python -m spectrograms.demo --trainer.max_epochs 1   # any LightningCLI override is passed on

Runs ``recipes/audio_classification.py fit --config configs/audio_classification.yaml`` in this
process (the recipe and the config copy shipped in :mod:`spectrograms.recipes`, so an installed
package needs no source checkout), then prints the validation accuracy of the best checkpoint (lowest
``val_loss``), its path, a PNG of a validation batch with true and predicted labels, and the wall
time from start-up. Exits with status 1 if that accuracy is below :data:`TARGET_ACCURACY`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

from .recipes import CONFIGS

CONFIG = CONFIGS / "audio_classification.yaml"
TARGET_ACCURACY = 0.90
_IMPORTED = time.perf_counter()


def _seconds_since_start() -> float:
    """Wall time since this process started, interpreter start-up and imports included (Linux
    ``/proc``; elsewhere since this function's module was imported)."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
            return float(uptime.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


# What the recipe and its plot import, as the [lightning] extra installs them (module: distribution).
_LIGHTNING_EXTRA = {"lightning": "lightning", "torchmetrics": "torchmetrics", "jsonargparse": "jsonargparse",
                    "matplotlib": "matplotlib"}


def missing_extra() -> str | None:
    """The one-line message naming the [lightning] extra when any of its modules cannot be imported."""
    import importlib

    missing = []
    for module, distribution in _LIGHTNING_EXTRA.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(distribution)
    if not missing:
        return None
    return (f"spectrograms demo: error: the demo needs the [lightning] extra (missing: {', '.join(missing)}); "
            "install it with: pip install 'spectrograms[lightning]'")


def _recipe() -> Any:
    from .recipes import audio_classification

    return audio_classification


def _accuracy(model: Any, loader: Any) -> float:
    """Fraction of the loader's items that ``model`` classifies right (in eval mode, no gradients)."""
    model.eval()
    right = total = 0
    with torch.no_grad():
        for batch in filter(None, loader):
            right += int((model(batch.features, batch.lengths).argmax(-1) == batch.labels).sum())
            total += len(batch.labels)
    return right / max(total, 1)


def main(argv: list[str] | None = None) -> int:
    """Trains, reports and plots; returns the exit status (0: accuracy target reached).

    Args:
        argv: extra LightningCLI arguments after ``fit --config configs/audio_classification.yaml``
            (default: ``sys.argv[1:]``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    message = missing_extra()
    if message:
        print(message, file=sys.stderr)
        return 2
    recipe = _recipe()
    cli = recipe.cli_main(["fit", "--config", str(CONFIG), *argv])
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    if trainer.global_rank != 0:  # under DDP only the first process reports
        return 0
    checkpoint = trainer.checkpoint_callback
    from .data.plot import plot_batch

    # The accuracy of the kept checkpoint (lowest val_loss), not of the last epoch.
    accuracy = float(trainer.callback_metrics.get("val_acc", float("nan")))
    if checkpoint.best_model_path:
        model = type(model).load_from_checkpoint(checkpoint.best_model_path, map_location="cpu")
        accuracy = _accuracy(model, data.loader("val", num_workers=0))
    batch = next(b for b in data.loader("val", num_workers=0) if b is not None)
    model.eval()
    with torch.no_grad():
        predictions = model(batch.features, batch.lengths).argmax(-1)
    features = data.features
    png = plot_batch(
        batch.features, batch.lengths, batch.labels, data.classes,
        Path(trainer.log_dir or trainer.default_root_dir) / "val_batch.png",
        predictions=predictions, frame_seconds=features.hop_size / features.sample_rate,
        title=f"validation batch: {features.kind} {features.scale} spectrograms, true (pred) labels",
    )
    seconds = _seconds_since_start()
    print()
    print(f"val_acc:    {accuracy:.4f} (best checkpoint; target >= {TARGET_ACCURACY:.2f})")
    saved = Path(checkpoint.best_model_path).resolve() if checkpoint.best_model_path else "none"
    print(f"checkpoint: {saved}")
    print(f"batch PNG:  {png.resolve()}")
    print(f"wall time:  {seconds:.1f} s ({seconds / 60:.1f} min) end to end")
    return 0 if accuracy >= TARGET_ACCURACY else 1


if __name__ == "__main__":
    raise SystemExit(main())
