"""``spectrograms extract INPUT OUTPUT [options]``: the command line of :func:`spectrograms.extract.extract`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from ..errors import InvalidInputError
from .shards import COMPRESSIONS

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``spectrograms extract`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="spectrograms extract",
        description="Compute features for a corpus into resumable tar shards plus a JSONL manifest.")
    parser.add_argument("input", help="audio folder, CSV/JSONL manifest or lhotse RecordingSet")
    parser.add_argument("output", help="output folder (a rerun resumes it)")
    parser.add_argument("--feature-config", metavar="YAML",
                        help="feature config fields as YAML (FeatureConfig, or kind: kaldi-fbank), or a "
                             "recipe config (its data.init_args.features)")
    parser.add_argument("--shard-size", type=int, default=1000, help="items per shard (default 1000)")
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    parser.add_argument("--compression", choices=[c for c in COMPRESSIONS if c], default=None,
                        help="compress each stored array (default: none)")
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    parser.add_argument("--device", default=None,
                        help="compute in padded batches on this torch device (e.g. cuda)")
    parser.add_argument("--batch-seconds", type=float, default=600.0,
                        help="padded audio per batch with --device (default 600)")
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDR", help="address of a running Dask scheduler")
    cluster.add_argument("--dask-workers", type=int, metavar="N", help="start a loopback Dask LocalCluster")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def feature_from_yaml(path: str | Path) -> dict:
    """The feature fields of a YAML file: a plain mapping, a ``features:`` key, or a recipe config."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"--feature-config={str(path)!r}: cannot be read as YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"--feature-config={str(path)!r}: expected a mapping; got {type(data).__name__}")
    data_section = data.get("data")
    if isinstance(data_section, dict) and isinstance(data_section.get("init_args"), dict):
        nested = data_section["init_args"].get("features")
        if nested is not None:
            return nested
    return data.get("features", data)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``spectrograms extract``; prints the summary as one JSON line. Returns the exit status."""
    from . import extract

    args = build_parser().parse_args(argv)
    feature = feature_from_yaml(args.feature_config) if args.feature_config else None
    summary = extract(args.input, args.output, feature=feature, shard_size=args.shard_size, dtype=args.dtype,
                      compression=args.compression, workers=args.workers, scheduler=args.scheduler,
                      dask_workers=args.dask_workers, device=args.device, batch_seconds=args.batch_seconds,
                      progress=not args.no_progress)
    print(json.dumps(dataclasses.asdict(summary)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
