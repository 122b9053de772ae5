"""Corpus-scale feature extraction: resumable, sharded, on local processes or a Dask cluster.

::

    from spectrograms.data.feature_config import FeatureConfig
    from spectrograms.extract import extract

    summary = extract("corpus/", "features/", feature=FeatureConfig(kind="mel", n_bands=80))

Output folder layout (format ``spectrograms-features/1``):

* ``config.json``: the feature config (the DataModule's :class:`FeatureConfig`, or a
  :class:`KaldiFbankConfig`, as a dict), storage dtype, compression, shard size, class names, and a
  fingerprint of the input list. A rerun with a different
  config or input list raises :class:`OutputConfigMismatchError` instead of mixing two configs.
* ``shard-000000.tar`` ...: WebDataset-layout tar shards. Item ``key`` (``item000000042``, the
  item's index in the input list) is stored as ``<key>.features.npy`` (a NumPy ``.npy`` array of
  shape ``(n_bins, n_frames)`` in the storage dtype; ``<key>.features.npy.gz``, the same bytes
  gzipped, with ``compression="gzip"``) followed by ``<key>.json`` (its manifest row).
  Any WebDataset reader groups the two members by key.
* ``shard-000000.json``: the shard's manifest rows and errors (written before the tar is renamed).
* ``manifest.jsonl``: one row per extracted item: ``path``, ``label`` (class index or null),
  ``offset`` and ``duration`` (seconds of audio), ``frames``, ``shard`` (tar file name), ``key``,
  ``data_offset`` and ``data_size`` (bytes of the ``.npy`` member inside the tar, so readers seek to
  it directly), and ``feature`` (hash of the feature config in ``config.json``).
* ``errors.jsonl``: one row per file that could not be read or computed: ``path`` and ``reason``
  (the error's type and message). Bad files never stop a run.

Each shard is written as ``<name>.tmp-<unique>`` and renamed when complete; a shard counts as done
when its tar exists. A rerun skips done shards and redoes the others, so a run that was killed, or a
Dask worker that was lost, only costs the shards in progress. The manifests are rebuilt from the
shard records at the end of every run, so each item appears exactly once.

The package: :mod:`.inputs` (what to extract), :mod:`.kinds` (feature configs and their extractors),
:mod:`.shards` (the work unit), :mod:`.executors` (processes, Dask), :mod:`.cli` (the command line).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
import uuid
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from .cli import build_parser, main
from .executors import EXECUTORS, ExtractionWorkerError, run_dask, run_executor, run_processes
from .inputs import AUDIO_SUFFIXES, list_inputs
from .kinds import KaldiFbankConfig, feature_from_dict, feature_to_dict
from .shards import COMPRESSIONS, extract_shard, read_member, shard_done, shard_name

__all__ = [
    "AUDIO_SUFFIXES",
    "ExtractionSummary",
    "ExtractionWorkerError",
    "KaldiFbankConfig",
    "OutputConfigMismatchError",
    "build_parser",
    "extract",
    "extract_shard",
    "list_inputs",
    "main",
    "read_member",
]

FORMAT = "spectrograms-features/1"
DTYPES = ("float16", "float32")


class OutputConfigMismatchError(InvalidInputError):
    """The output folder already holds features made with a different config or input list."""


@dataclasses.dataclass(frozen=True)
class ExtractionSummary:
    """What a run did.

    Attributes:
        n_items: items extracted (in the manifest). n_errors: files in ``errors.jsonl``.
        n_shards: shards in the output. n_shards_skipped: shards found complete and not redone.
        audio_seconds: seconds of audio in the shards processed this run.
        wall_seconds: time the run took. real_time_factor: ``wall_seconds / audio_seconds``.
    """

    n_items: int
    n_errors: int
    n_shards: int
    n_shards_skipped: int
    audio_seconds: float
    wall_seconds: float
    real_time_factor: float


def _write_or_check_config(out_dir: Path, config: dict) -> None:
    path = out_dir / "config.json"
    if path.exists():
        existing = json.loads(path.read_text())
        differing = sorted(k for k in set(config) | set(existing) if config.get(k) != existing.get(k))
        if differing:
            raise OutputConfigMismatchError(
                f"output_dir={str(out_dir)!r} holds features made with a different config (differing: "
                f"{', '.join(differing)}); use another output folder or delete this one"
            )
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f"config.json.tmp-{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(config, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _as_feature_config(feature: Any) -> Any:
    from ..data.feature_config import FeatureConfig

    if feature is None:
        return FeatureConfig()
    if isinstance(feature, dict):
        return feature_from_dict(feature)
    if not isinstance(feature, (FeatureConfig, KaldiFbankConfig)):
        raise InvalidInputError(
            f"feature must be a FeatureConfig, a KaldiFbankConfig or a dict of their fields; got {feature!r}")
    return feature


class _Progress:
    """A tqdm bar over files with the hours of audio done and the real-time factor (none without tqdm)."""

    def __init__(self, total: int, start: float, enabled: bool):
        self.start, self.audio_seconds, self.bar = start, 0.0, None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is in the [extract] extra
                return
            self.bar = tqdm(total=total, unit="file", desc="extract")

    def __call__(self, record: dict) -> None:
        self.audio_seconds += record["audio_seconds"]
        if self.bar is not None:
            elapsed = time.perf_counter() - self.start
            rtf = elapsed / self.audio_seconds if self.audio_seconds else float("nan")
            self.bar.update(len(record["rows"]) + len(record["errors"]))
            self.bar.set_postfix(audio_h=f"{self.audio_seconds / 3600:.3f}", rtf=f"{rtf:.5f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def extract(
    inputs: str | Path,
    output_dir: str | Path,
    feature: Any = None,
    shard_size: int = 1000,
    dtype: str = "float16",
    compression: str | None = None,
    executor: str | Executor = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    device: str | None = None,
    batch_seconds: float = 600.0,
    progress: bool = True,
) -> ExtractionSummary:
    """Computes features for every item of a corpus into tar shards (format: module docstring).

    Args:
        inputs: folder or manifest, see :func:`list_inputs`.
        output_dir: output folder (created; a rerun resumes it).
        feature: a :class:`~spectrograms.data.datamodule.FeatureConfig` (the DataModule's
            ``features``), a :class:`KaldiFbankConfig`, or a dict of either's fields. Default:
            ``FeatureConfig()`` (64-band mel dB, 16 kHz).
        shard_size: items per shard (the work unit). Default 1000.
        dtype: storage dtype, ``"float16"`` (default; computed in float32, cast at the end) or
            ``"float32"`` (bitwise equal to features computed on the fly).
        compression: None (default) or ``"gzip"`` (each stored array gzipped).
        executor: ``"processes"`` (default: this process and ``workers - 1`` spawned ones, one torch
            thread each, taking shards from one queue; this process starts at once, while the others
            start up), ``"dask"``, or a ``concurrent.futures.Executor`` the caller owns, e.g. a
            ``ProcessPoolExecutor`` kept warm across several extractions (each shard is submitted
            to it; it is not shut down).
        workers: processes for ``executor="processes"``, this one included; default: the cores
            available. 1 runs in this process only.
        scheduler: address of a running Dask scheduler (implies ``executor="dask"``).
        dask_workers: start a loopback ``LocalCluster`` of this many single-thread worker processes
            (implies ``executor="dask"``); default with ``executor="dask"`` and no scheduler: one per core.
        device: compute in padded batches (by duration, lengths kept) on this torch device, e.g.
            ``"cuda"``; None (default) computes item by item on the CPU.
        batch_seconds: padded audio per batch on ``device``, in seconds. Default 600.
        progress: show a tqdm bar with hours of audio done and the real-time factor. Default True.

    Returns:
        :class:`ExtractionSummary`.

    Raises:
        InvalidInputError: bad argument or input (named). OutputConfigMismatchError: ``output_dir``
            holds features of another config or input list. ExtractionWorkerError: a worker process
            died mid-run (the finished shards are kept; a rerun resumes).
    """
    start = time.perf_counter()
    feature = _as_feature_config(feature)
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise InvalidInputError(f"shard_size must be an int >= 1 (items per shard); got {shard_size!r}")
    if dtype not in DTYPES:
        raise InvalidInputError(f"dtype must be one of {list(DTYPES)}; got {dtype!r}")
    if compression not in COMPRESSIONS:
        raise InvalidInputError(f"compression must be one of {list(COMPRESSIONS)}; got {compression!r}")
    if scheduler is not None or dask_workers is not None:
        executor = "dask"
    if not isinstance(executor, Executor) and executor not in EXECUTORS:
        raise InvalidInputError(
            f"executor must be one of {list(EXECUTORS)} or a concurrent.futures.Executor; got {executor!r}")
    if scheduler is not None and dask_workers is not None:
        raise InvalidInputError("give either scheduler (a running cluster) or dask_workers (a local one), not both")
    for name, value in (("workers", workers), ("dask_workers", dask_workers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InvalidInputError(f"{name} must be None or an int >= 1; got {value!r}")
    if not (isinstance(batch_seconds, (int, float)) and math.isfinite(batch_seconds) and batch_seconds > 0):
        raise InvalidInputError(f"batch_seconds must be a finite number > 0; got {batch_seconds!r}")
    if device is not None:
        import torch

        try:
            torch.empty(0, device=device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidInputError(f"device={device!r} is not available here: {exc}") from exc

    items, classes = list_inputs(inputs)
    for index, item in enumerate(items):
        item["key"] = f"item{index:09d}"
    features = feature_to_dict(feature)
    config = {"format": FORMAT, "features": features, "dtype": dtype, "compression": compression,
              "shard_size": shard_size, "classes": classes, "n_inputs": len(items),
              "inputs_hash": _hash([[i["path"], i["offset"], i["duration"], i["label"]] for i in items])}
    out_dir = Path(output_dir)
    _write_or_check_config(out_dir, config)
    feature_hash = _hash(features)

    n_shards = math.ceil(len(items) / shard_size)
    todo = [
        {"output_dir": str(out_dir), "index": k, "items": items[k * shard_size:(k + 1) * shard_size],
         "features": features, "dtype": dtype, "compression": compression, "feature_hash": feature_hash,
         "device": device, "batch_seconds": batch_seconds}
        for k in range(n_shards) if not shard_done(out_dir, k)
    ]
    on_done = _Progress(sum(len(t["items"]) for t in todo), start, progress)
    try:
        if isinstance(executor, Executor):
            run_executor(todo, executor, on_done)
        elif executor == "dask":
            run_dask(todo, scheduler, dask_workers, on_done)
        else:
            default = 1 if device is not None else len(os.sched_getaffinity(0))
            run_processes(todo, workers or default, on_done)
    finally:
        on_done.close()

    rows, errors = _write_manifests(out_dir, n_shards)
    wall = time.perf_counter() - start
    audio = on_done.audio_seconds
    return ExtractionSummary(len(rows), len(errors), n_shards, n_shards - len(todo), audio, wall,
                             wall / audio if audio else float("nan"))


def _write_manifests(out_dir: Path, n_shards: int) -> tuple[list[dict], list[dict]]:
    """Rebuilds manifest.jsonl and errors.jsonl from the shard records; removes stale temp files."""
    rows, errors = [], []
    for k in range(n_shards):
        record = json.loads((out_dir / f"{shard_name(k)}.json").read_text())
        rows += record["rows"]
        errors += record["errors"]
    for name, lines in (("manifest.jsonl", rows), ("errors.jsonl", errors)):
        tmp = out_dir / f"{name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.write_text("".join(json.dumps(line) + "\n" for line in lines))
        os.replace(tmp, out_dir / name)
    for stale in out_dir.glob("shard-*.tmp-*"):  # left by killed workers; their shards were redone
        stale.unlink(missing_ok=True)
    return rows, errors
