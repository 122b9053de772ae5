"""``spectrograms features INPUT -o OUTDIR``: features of an audio file, a folder or a manifest, one
output file per input plus ``manifest.csv`` (and ``errors.csv`` for files that could not be read).

::

    spectrograms features clip.wav -o feats/
    spectrograms features corpus/ -o feats/ --kind mfcc --n-mfcc 20 --format npz
    spectrograms features train.csv -o feats/ --kind mel --n-bands 80 --format safetensors

Each output is named after its input (``corpus/dog/a.wav`` -> ``feats/dog/a.npy``) and holds the
``(n_bins, n_frames)`` float32 matrix; ``.npz`` and ``.safetensors`` also hold ``frequencies`` (Hz) and
``times`` (s). ``config.json`` records the feature parameters.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidInputError

FORMATS = ("npy", "npz", "safetensors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spectrograms features", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="an audio file, a folder of audio files, or a .csv/.jsonl manifest")
    parser.add_argument("-o", "--output", required=True, help="folder the features are written to")
    parser.add_argument("--format", choices=FORMATS, default="npy", help="file format (default npy)")
    add_feature_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def add_feature_options(parser: argparse.ArgumentParser) -> None:
    """The FeatureConfig options (kind and parameters), shared with ``spectrograms plot``."""
    from .data.datamodule import FeatureConfig

    defaults = FeatureConfig()
    parser.add_argument("--kind", default=defaults.kind, help="linear, mel, erb, loghz, mfcc, chroma, kaldi_fbank or whisper")
    parser.add_argument("--scale", default=defaults.scale, help="power, magnitude or db")
    parser.add_argument("--sample-rate", type=int, default=defaults.sample_rate)
    parser.add_argument("--n-fft", type=int, default=defaults.n_fft)
    parser.add_argument("--hop-size", "--hop-length", dest="hop_size", type=int, default=defaults.hop_size)
    parser.add_argument("--window", default=defaults.window)
    parser.add_argument("--n-bands", type=int, default=defaults.n_bands, help="mel/ERB/log-Hz bands")
    parser.add_argument("--f-min", type=float, default=None)
    parser.add_argument("--f-max", type=float, default=None)
    parser.add_argument("--floor-db", type=float, default=defaults.floor_db)
    parser.add_argument("--n-mfcc", type=int, default=defaults.n_mfcc)
    # The kaldi_fbank kind's own fields (FeatureConfig refuses them for the other kinds, by name).
    parser.add_argument("--frame-length", type=float, default=defaults.frame_length,
                        help="kaldi_fbank: frame length in ms (default n_fft samples)")
    parser.add_argument("--frame-shift", type=float, default=defaults.frame_shift,
                        help="kaldi_fbank: frame shift in ms (default hop_size samples)")
    parser.add_argument("--dither", type=float, default=defaults.dither, help="kaldi_fbank: dither (default 0)")
    parser.add_argument("--use-energy", action="store_true", default=defaults.use_energy,
                        help="kaldi_fbank: the log energy as an extra first feature row")


def _items(source: Path) -> tuple[list[dict[str, Any]], Path]:
    """The input files and the folder output names are made relative to."""
    from .extract import AUDIO_SUFFIXES, list_inputs

    if source.is_file() and source.suffix.lower() in AUDIO_SUFFIXES:
        return [{"path": str(source), "label": None, "offset": 0.0, "duration": None}], source.parent
    items, _ = list_inputs(source)
    return items, source if source.is_dir() else source.parent


def _output_name(path: Path, base: Path, index: int, suffix: str) -> Path:
    try:
        relative = path.resolve().relative_to(base.resolve())
    except ValueError:  # a manifest row outside the manifest's folder: keep names unique by index
        relative = Path(f"{index:06d}_{path.name}")
    return relative.with_suffix(suffix)


def _write(target: Path, fmt: str, values: np.ndarray, frequencies: np.ndarray, times: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "npy":
        np.save(target, values)
    elif fmt == "npz":
        np.savez(target, features=values, frequencies=frequencies, times=times)
    else:
        from safetensors.numpy import save_file

        save_file({"features": values, "frequencies": frequencies, "times": times}, str(target))


class _Progress:
    """tqdm's bar when tqdm is installed, else nothing."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc="features", unit="file")
            except ImportError:
                pass

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit status (1 when no input could be read)."""
    from .data.datamodule import FeatureConfig
    from .data.datasets import AudioFileError, load_audio

    args = build_parser().parse_args(argv)
    options = {field.name: getattr(args, field.name) for field in dataclasses.fields(FeatureConfig)}
    try:
        config = FeatureConfig(**options)
        source = Path(args.input)
        if not source.exists():
            raise InvalidInputError(f"input={args.input!r}: no such file, folder or manifest")
        items, base = _items(source)
    except (InvalidInputError, ValueError) as error:
        print(f"spectrograms features: error: {error}", file=sys.stderr)
        return 2
    if args.format == "safetensors":
        try:
            import safetensors  # noqa: F401
        except ImportError:
            print("spectrograms features: error: --format safetensors needs `pip install safetensors`",
                  file=sys.stderr)
            return 2
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
    plan = config.build_plan()
    rows, errors = [], []
    progress = _Progress(len(items), not args.no_progress)
    # One plan call per file: files differ in length, and the plan batches each file's frames natively.
    for index, item in enumerate(items):
        path = Path(item["path"])
        try:
            audio = load_audio(path, config.sample_rate, offset=item["offset"], duration=item["duration"])
            result = plan.compute(audio)
        except (AudioFileError, InvalidInputError) as error:
            errors.append({"path": str(path), "reason": str(error)})
            progress.update()
            continue
        values = np.ascontiguousarray(result.data, dtype=np.float32)
        name = _output_name(path, base, index, f".{args.format}")
        _write(out / name, args.format, values, np.asarray(result.frequencies), np.asarray(result.times))
        label = "" if item["label"] is None else item["label"]
        rows.append({"path": str(path), "features": str(name), "label": label,
                     "n_bins": values.shape[0], "n_frames": values.shape[1]})
        progress.update()
    progress.close()
    _write_csv(out / "manifest.csv", ["path", "features", "label", "n_bins", "n_frames"], rows)
    if errors:
        _write_csv(out / "errors.csv", ["path", "reason"], errors)
        print(f"spectrograms features: {len(errors)} file(s) could not be read; see {out / 'errors.csv'}",
              file=sys.stderr)
    print(f"{len(rows)} feature file(s) in {out} ({config.kind}, {args.format}); manifest: {out / 'manifest.csv'}")
    return 0 if rows else 1


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
