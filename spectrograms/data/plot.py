"""A picture of a batch: each item's spectrogram (without its padding) titled with its label.

Uses matplotlib's non-interactive Agg backend, so it works on servers without a display and inside
DataLoader workers; nothing is shown, only written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

__all__ = ["plot_batch"]


def plot_batch(
    features: torch.Tensor,
    lengths: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[str],
    path: str | Path,
    *,
    predictions: torch.Tensor | None = None,
    max_items: int = 16,
    frame_seconds: float | None = None,
    title: str | None = None,
) -> Path:
    """Writes a grid of the first ``max_items`` spectrograms of a batch to a PNG.

    Each panel shows frames ``[0, lengths[i])`` of item ``i`` (low frequencies at the bottom), titled
    with its class name; with ``predictions``, also the predicted name, in green when right and red
    when wrong.

    Args:
        features: ``(batch, n_bins, max_frames)``, e.g. :attr:`SpectrogramBatch.features`.
        lengths: ``(batch,)`` frames of each item before padding.
        labels: ``(batch,)`` class indices.
        classes: class names indexed by label.
        path: the PNG to write (parent folders are created).
        predictions: optional ``(batch,)`` predicted class indices.
        max_items: at most this many panels (default 16, a 4x4 grid).
        frame_seconds: seconds per frame (``hop_size / sample_rate``) to label the time axis in
            seconds; None (default) labels it in frames.
        title: optional figure title.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed; must precede pyplot's first import in this process
    import matplotlib.pyplot as plt

    count = min(len(features), max_items)
    if count == 0:
        raise ValueError("the batch is empty; nothing to plot")
    columns = min(4, count)
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False,
                                constrained_layout=True)
    values = features.detach().float().cpu()
    # One colour scale for all panels, so loudness compares across items as it does across frames.
    low, high = float(values.min()), float(values.max())
    for index, axis in enumerate(axes.flat):
        if index >= count:
            axis.axis("off")
            continue
        n_frames = int(lengths[index])
        extent = None
        if frame_seconds is not None:
            extent = (0.0, n_frames * frame_seconds, 0, values.shape[1])
        image = axis.imshow(values[index, :, :n_frames].numpy(), origin="lower", aspect="auto", cmap="magma",
                            vmin=low, vmax=high, extent=extent, interpolation="nearest")
        label = classes[int(labels[index])]
        if predictions is None:
            axis.set_title(label, fontsize=9)
        else:
            predicted = classes[int(predictions[index])]
            colour = "green" if predicted == label else "red"
            axis.set_title(f"{label} (pred: {predicted})", fontsize=9, color=colour)
        axis.set_xlabel("time (s)" if frame_seconds is not None else "frame", fontsize=8)
        axis.set_ylabel("band", fontsize=8)
        axis.tick_params(labelsize=7)
    figure.colorbar(image, ax=axes, shrink=0.8)
    if title:
        figure.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
