"""``spectrograms plot FILE -o OUT.png``: one audio file's features as an image, laid out as
``librosa.display.specshow`` draws them: time in seconds across, frequency in Hz up (on the bands' own
scale for mel, ERB and log-Hz features, so each band gets the same height, with Hz ticks), and a colour
bar in dB. MFCCs are drawn by coefficient and chroma by pitch class, each with a plain colour bar.

::

    spectrograms plot clip.wav -o clip.png
    spectrograms plot clip.wav -o mel.png --kind mel --n-bands 80 --size 1200x500

Needs matplotlib (``pip install matplotlib``); everything else is the ``features`` subcommand's options.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidInputError

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
BANDED_KINDS = ("mel", "erb", "loghz")


def build_parser() -> argparse.ArgumentParser:
    from .cli_features import add_feature_options

    parser = argparse.ArgumentParser(prog="spectrograms plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="an audio file")
    parser.add_argument("-o", "--output", required=True, help="the image to write (.png, .pdf, .svg, ...)")
    parser.add_argument("--size", default="1000x400", help="image size in pixels, WIDTHxHEIGHT (default 1000x400)")
    parser.add_argument("--dpi", type=int, default=100, help="dots per inch (default 100)")
    parser.add_argument("--title", default=None, help="the plot's title (default: the file name and kind)")
    add_feature_options(parser)
    return parser


def _size(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and 0 < int(p) <= 20000 for p in parts):
        raise InvalidInputError(f"size={text!r}: give WIDTHxHEIGHT in pixels, each from 1 to 20000 (e.g. 1000x400)")
    return int(parts[0]), int(parts[1])


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around increasing centres: midpoints, and half a step beyond each end."""
    centres = np.asarray(centres, dtype=np.float64)
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[centres[0] - (middle[0] - centres[0])], middle, [centres[-1] + (centres[-1] - middle[-1])]])


def _in_db(values: np.ndarray, scale: str) -> np.ndarray:
    """What the colour bar shows: dB, converted from power (10 log10) or magnitude (20 log10) values."""
    if scale == "db":
        return values
    factor = 10.0 if scale == "power" else 20.0
    return np.asarray(factor * np.log10(np.maximum(values, np.finfo(np.float64).tiny)), dtype=np.float64)


def plot_features(result: Any, kind: str, scale: str, size: tuple[int, int] = (1000, 400), dpi: int = 100,
                  title: str | None = None) -> Any:
    """A matplotlib Figure of a feature result (``values`` (bins, frames) with ``frequencies`` and ``times``)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("spectrograms plot needs matplotlib: pip install 'spectrograms[plot]' (or matplotlib)") from error

    values = np.asarray(result.data, dtype=np.float64)
    times = np.asarray(result.times, dtype=np.float64)
    frequencies = np.asarray(result.frequencies, dtype=np.float64)
    # The frame times are frame centres; a hop-wide cell each.
    hop = times[1] - times[0] if times.size > 1 else 1.0
    time_edges = np.concatenate([times - hop / 2, [times[-1] + hop / 2]])
    figure = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    axes = figure.add_subplot()
    if kind == "mfcc":
        mesh = axes.pcolormesh(time_edges, np.arange(values.shape[0] + 1) - 0.5, values, cmap="coolwarm")
        axes.set_ylabel("MFCC coefficient")
        figure.colorbar(mesh, ax=axes, label="value")
    elif kind == "chroma":
        mesh = axes.pcolormesh(time_edges, np.arange(values.shape[0] + 1) - 0.5, values, cmap="magma")
        axes.set_yticks(np.arange(values.shape[0]), [PITCH_CLASSES[i % 12] for i in range(values.shape[0])])
        axes.set_ylabel("Pitch class")
        figure.colorbar(mesh, ax=axes, label="energy")
    else:
        edges = np.maximum(_edges(frequencies), 0.0)
        mesh = axes.pcolormesh(time_edges, edges, _in_db(values, scale), cmap="magma")
        if kind in BANDED_KINDS:
            # The bands' own scale: Hz maps to band position by interpolation over the band edges.
            positions = np.arange(edges.size, dtype=np.float64)
            axes.set_yscale("function", functions=(lambda hz: np.interp(hz, edges, positions),
                                                   lambda band: np.interp(band, positions, edges)))
        axes.set_ylim(edges[0], edges[-1])
        axes.set_ylabel("Hz")
        figure.colorbar(mesh, ax=axes, format="%+2.0f dB", label="dB")
    axes.set_xlim(time_edges[0], time_edges[-1])
    axes.set_xlabel("Time (s)")
    if title:
        axes.set_title(title)
    return figure


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit status."""
    from .data.datamodule import FeatureConfig
    from .data.datasets import AudioFileError, load_audio

    args = build_parser().parse_args(argv)
    options = {field.name: getattr(args, field.name) for field in dataclasses.fields(FeatureConfig)}
    try:
        size = _size(args.size)
        if not 10 <= args.dpi <= 1000:
            raise InvalidInputError(f"dpi={args.dpi}: give a value from 10 to 1000")
        config = FeatureConfig(**options)
        source = Path(args.input)
        if not source.is_file():
            raise InvalidInputError(f"input={args.input!r}: no such audio file")
        result = config.build_plan().compute(load_audio(source, config.sample_rate))
        title = args.title if args.title is not None else f"{source.name}: {config.kind} ({config.scale})"
        figure = plot_features(result, config.kind, config.scale, size, args.dpi, title)
    except (InvalidInputError, AudioFileError, ValueError, ImportError) as error:
        print(f"spectrograms plot: error: {error}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=args.dpi)
    print(f"{output} ({size[0]}x{size[1]} px): {config.kind} of {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
