"""The main job (``make demo``): train the audio classification recipe on the synthetic sounds.

::

    python -m spectrograms.demo                          # configs/audio_classification.yaml
    python -m spectrograms.demo --trainer.max_epochs 1   # any LightningCLI override is passed on

Runs ``recipes/audio_classification.py fit --config configs/audio_classification.yaml`` in this
process, then prints the best validation accuracy, its checkpoint, a PNG of a validation batch with
true and predicted labels, and the wall time from start-up. Exits with status 1 if the best
validation accuracy is below :data:`TARGET_ACCURACY`. Needs a source checkout (the recipe and its
config live next to the package, not inside it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "audio_classification.yaml"
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


def _recipe():
    if not (ROOT / "recipes" / "audio_classification.py").is_file():
        raise SystemExit(f"the demo needs a source checkout: {ROOT / 'recipes'} not found")
    if str(ROOT) not in sys.path:  # `python -m` from elsewhere: make `recipes` importable
        sys.path.insert(0, str(ROOT))
    from recipes import audio_classification

    return audio_classification


def main(argv: list[str] | None = None) -> int:
    """Trains, reports and plots; returns the exit status (0: accuracy target reached).

    Args:
        argv: extra LightningCLI arguments after ``fit --config configs/audio_classification.yaml``
            (default: ``sys.argv[1:]``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    recipe = _recipe()
    cli = recipe.cli_main(["fit", "--config", str(CONFIG), *argv])
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    if trainer.global_rank != 0:  # under DDP only the first process reports
        return 0
    checkpoint = trainer.checkpoint_callback
    best = checkpoint.best_model_score
    if best is None:  # no validation ran (e.g. fast_dev_run): report the last logged value, if any
        best = trainer.callback_metrics.get("val_acc", float("nan"))
    accuracy = float(best)

    from .data.plot import plot_batch

    if checkpoint.best_model_path:  # plot what the reported accuracy belongs to, not the last epoch
        model = type(model).load_from_checkpoint(checkpoint.best_model_path, map_location="cpu")
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
    print(f"val_acc:    {accuracy:.4f} (best epoch; target >= {TARGET_ACCURACY:.2f})")
    saved = Path(checkpoint.best_model_path).resolve() if checkpoint.best_model_path else "none"
    print(f"checkpoint: {saved}")
    print(f"batch PNG:  {png.resolve()}")
    print(f"wall time:  {seconds:.1f} s ({seconds / 60:.1f} min) end to end")
    return 0 if accuracy >= TARGET_ACCURACY else 1


if __name__ == "__main__":
    raise SystemExit(main())
