"""Corpus-scale feature extraction: resumable, sharded, on local processes or a Dask cluster.

::

    from spectrograms.data.datamodule import FeatureConfig
    from spectrograms.extract import extract

    summary = extract("corpus/", "features/", feature=FeatureConfig(kind="mel", n_bands=80))

Output folder layout (format ``spectrograms-features/1``):

* ``config.json``: the feature config (the DataModule's :class:`FeatureConfig` as a dict), storage
  dtype, shard size, class names, and a fingerprint of the input list. A rerun with a different
  config or input list raises :class:`OutputConfigMismatchError` instead of mixing two configs.
* ``shard-000000.tar`` ...: WebDataset-layout tar shards. Item ``key`` (``item000000042``, the
  item's index in the input list) is stored as ``<key>.features.npy`` (a NumPy ``.npy`` array of
  shape ``(n_bins, n_frames)`` in the storage dtype) followed by ``<key>.json`` (its manifest row).
  Any WebDataset reader groups the two members by key.
* ``shard-000000.json``: the shard's manifest rows and errors (written before the tar is renamed).
* ``manifest.jsonl``: one row per extracted item: ``path``, ``label`` (class index or null),
  ``offset`` and ``duration`` (seconds of audio), ``frames``, ``shard`` (tar file name), ``key``,
  ``data_offset`` and ``data_size`` (bytes of the ``.npy`` member inside the tar, so readers seek to
  it directly), and ``feature`` (hash of the feature config in ``config.json``).
* ``errors.jsonl``: one row per file that could not be read: ``path`` and ``reason``.

Each shard is written as ``<name>.tmp-<unique>`` and renamed when complete; a shard counts as done
when its tar exists. A rerun skips done shards and redoes the others, so a run that was killed, or a
Dask worker that was lost, only costs the shards in progress. The manifests are rebuilt from the
shard records at the end of every run, so each item appears exactly once.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import math
import os
import tarfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .data.datasets import (
    MANIFEST_SUFFIXES,
    AudioFileError,
    AudioFolderDataset,
    _map_labels,
    _read_csv,
    _read_json_rows,
    load_audio,
)
from .errors import InvalidInputError

__all__ = ["ExtractionSummary", "OutputConfigMismatchError", "build_parser", "extract", "main"]

FORMAT = "spectrograms-features/1"
DTYPES = ("float16", "float32")
EXECUTORS = ("processes", "dask")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
# Test hook: seconds each shard task sleeps, so a test can kill a Dask worker while it holds a shard.
_DELAY_ENV = "SPECTROGRAMS_EXTRACT_TEST_DELAY"


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


# ---------------------------------------------------------------------------------------- inputs


def _is_lhotse_manifest(path: Path) -> bool:
    if path.name.endswith((".jsonl.gz", ".json.gz")):
        return True
    if path.suffix.lower() not in (".jsonl", ".json"):
        return False
    with open(path, encoding="utf-8") as f:
        first = f.readline().strip()
    try:
        record = json.loads(first.lstrip("["))
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and "sources" in record and "sampling_rate" in record


def _lhotse_items(path: Path) -> list[dict]:
    try:
        from lhotse import RecordingSet
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading a lhotse manifest needs lhotse: pip install 'spectrograms[extract]'") from exc
    items = []
    for recording in RecordingSet.from_file(path):
        files = [s.source for s in recording.sources if s.type == "file"]
        if not files:
            raise InvalidInputError(
                f"{path}: recording {recording.id!r} has no 'file' source; only file sources are supported"
            )
        items.append({"path": str(files[0]), "label": None, "offset": 0.0, "duration": None})
    return items


def _manifest_items(path: Path) -> tuple[list[dict], list[str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        header = text.splitlines()[0] if text else ""
        labelled = "label" in [c.strip() for c in header.split(",")]
        if not labelled:  # the shared reader requires a label: give it a placeholder column
            lines = text.splitlines()
            text = "\n".join([lines[0] + ",label"] + [line + ",0" for line in lines[1:] if line.strip()])
        rows = _read_csv(path, text)
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        labelled = bool(records) and all("label" in r for r in records)
        if not labelled:
            text = "\n".join(json.dumps({**r, "label": 0}) for r in records)
        rows = _read_json_rows(path, text)
    if not rows:
        raise InvalidInputError(f"{path}: manifest lists no items")
    labels, classes = _map_labels(path, rows, None) if labelled else ([None] * len(rows), [])
    items = []
    for row, label in zip(rows, labels):
        file = Path(row.path).expanduser()
        file = file if file.is_absolute() else path.parent / file
        items.append({"path": str(file), "label": label, "offset": row.offset, "duration": row.duration})
    return items, classes


def list_inputs(inputs: str | Path) -> tuple[list[dict], list[str]]:
    """The items to extract, in a fixed order, and the class names.

    Args:
        inputs: a folder of audio files, either ``root/<class>/**/<file>`` (labels from the class
            folders, as :class:`~spectrograms.data.AudioFolderDataset`) or without class folders
            (unlabelled, every audio file found recursively); a ``.csv``/``.jsonl`` manifest with
            ``path`` and optional ``label``, ``offset``, ``duration`` (as
            :class:`~spectrograms.data.ManifestDataset`); or a lhotse ``RecordingSet`` manifest
            (``.jsonl``/``.jsonl.gz``).

    Returns:
        ``(items, classes)``: each item a dict with ``path``, ``label`` (int or None), ``offset``,
        ``duration``; ``classes`` empty for unlabelled inputs.

    Raises:
        InvalidInputError: ``inputs`` does not exist, or holds no audio.
    """
    path = Path(inputs)
    if path.is_dir():
        class_dirs = [d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")]
        loose = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES]
        if class_dirs and not loose:
            dataset = AudioFolderDataset(path, extensions=AUDIO_SUFFIXES)
            items = [{"path": str(i.path), "label": i.label, "offset": 0.0, "duration": None}
                     for i in dataset.items]
            return items, list(dataset.classes)
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
        if not files:
            raise InvalidInputError(f"inputs={str(path)!r}: folder holds no audio files {list(AUDIO_SUFFIXES)}")
        return [{"path": str(p), "label": None, "offset": 0.0, "duration": None} for p in files], []
    if not path.is_file():
        raise InvalidInputError(f"inputs={str(path)!r}: no such folder or manifest file")
    if _is_lhotse_manifest(path):
        return _lhotse_items(path), []
    if path.suffix.lower() not in MANIFEST_SUFFIXES:
        raise InvalidInputError(
            f"inputs={str(path)!r}: expected a folder, a {list(MANIFEST_SUFFIXES)} manifest or a lhotse "
            "RecordingSet (.jsonl.gz)"
        )
    return _manifest_items(path)


# ---------------------------------------------------------------------------------------- shards


def shard_name(index: int) -> str:
    return f"shard-{index:06d}"


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0  # same input, same bytes: reruns and rescheduled shards write identical files
    tar.addfile(info, io.BytesIO(data))


def extract_shard(task: dict) -> dict:
    """Work unit: extract one shard's items and write its tar and record files atomically.

    Args:
        task: ``output_dir``, ``index`` (shard number), ``items`` (dicts with ``key``, ``path``,
            ``label``, ``offset``, ``duration``), ``features`` (FeatureConfig as a dict), ``dtype``,
            ``feature_hash``.

    Returns:
        ``{"index", "rows", "errors", "audio_seconds"}``.
    """
    import torch

    from .data.datamodule import FeatureConfig

    torch.set_num_threads(1)  # one process (or Dask worker) per core; see the module docstring
    delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
    if delay:
        time.sleep(delay)
    config = FeatureConfig(**task["features"])
    plan = config.build_plan()
    out_dir = Path(task["output_dir"])
    name = shard_name(task["index"])
    dtype = np.dtype(task["dtype"])
    rows, errors, audio_seconds = [], [], 0.0
    unique = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp_tar = out_dir / f"{name}.tar{unique}"
    with tarfile.open(tmp_tar, "w", format=tarfile.USTAR_FORMAT) as tar:
        for item in task["items"]:
            try:
                waveform = load_audio(item["path"], config.sample_rate, offset=item["offset"],
                                      duration=item["duration"])
            except (AudioFileError, ValueError, OSError) as exc:
                errors.append({"path": item["path"], "reason": str(exc)})
                continue
            features = plan.compute(waveform).to_torch().numpy().astype(dtype, copy=False)
            duration = waveform.shape[-1] / config.sample_rate
            audio_seconds += duration
            row = {"path": item["path"], "label": item["label"], "offset": item["offset"],
                   "duration": duration, "frames": int(features.shape[-1]), "shard": f"{name}.tar",
                   "key": item["key"], "feature": task["feature_hash"]}
            _add_member(tar, f"{item['key']}.features.npy", _npy_bytes(features))
            _add_member(tar, f"{item['key']}.json", json.dumps(row).encode())
            rows.append(row)
    # Byte positions of each .npy member, so a reader can seek straight to it.
    with tarfile.open(tmp_tar, "r") as tar:
        where = {m.name: (m.offset_data, m.size) for m in tar.getmembers()}
    for row in rows:
        row["data_offset"], row["data_size"] = where[f"{row['key']}.features.npy"]
    record = {"index": task["index"], "rows": rows, "errors": errors, "audio_seconds": audio_seconds}
    tmp_record = out_dir / f"{name}.json{unique}"
    tmp_record.write_text(json.dumps(record))
    os.replace(tmp_record, out_dir / f"{name}.json")
    os.replace(tmp_tar, out_dir / f"{name}.tar")  # last: the tar's presence means the shard is done
    return record


def _shard_done(out_dir: Path, index: int) -> bool:
    name = shard_name(index)
    return (out_dir / f"{name}.tar").is_file() and (out_dir / f"{name}.json").is_file()


# ---------------------------------------------------------------------------------------- config


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


# ---------------------------------------------------------------------------------------- executors


def _run_processes(tasks: list[dict], workers: int, on_done) -> None:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            on_done(extract_shard(task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent's torch thread pool does not survive a fork reliably.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for future in as_completed([pool.submit(extract_shard, task) for task in tasks]):
            on_done(future.result())


def _run_dask(tasks: list[dict], scheduler: str | None, dask_workers: int | None, on_done) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("executor='dask' needs dask.distributed: pip install 'spectrograms[extract]'") from exc
    cluster = None
    if scheduler is None:
        # Loopback only: a local cluster must not listen on the machine's network interfaces.
        cluster = LocalCluster(n_workers=dask_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        scheduler = cluster.scheduler_address
    try:
        with Client(scheduler) as client:
            # pure=False and one key per shard: a lost worker's shard is rescheduled by the scheduler.
            futures = [client.submit(extract_shard, task, key=f"extract-{shard_name(task['index'])}-"
                                     f"{uuid.uuid4().hex[:6]}", pure=False, retries=2) for task in tasks]
            for future in as_completed(futures):
                on_done(future.result())
    finally:
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------------------- entry point


def extract(
    inputs: str | Path,
    output_dir: str | Path,
    feature: Any = None,
    shard_size: int = 1000,
    dtype: str = "float16",
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    progress: bool = True,
) -> ExtractionSummary:
    """Computes features for every item of a corpus into tar shards (format: module docstring).

    Args:
        inputs: folder or manifest, see :func:`list_inputs`.
        output_dir: output folder (created; a rerun resumes it).
        feature: a :class:`~spectrograms.data.datamodule.FeatureConfig` or a dict of its fields (the
            DataModule's ``features``). Default: ``FeatureConfig()`` (64-band mel dB, 16 kHz).
        shard_size: items per shard (the work unit). Default 1000.
        dtype: storage dtype, ``"float16"`` (default; computed in float32, cast at the end) or
            ``"float32"`` (bitwise equal to features computed on the fly).
        executor: ``"processes"`` (default; local processes, one torch thread each) or ``"dask"``.
        workers: processes for ``executor="processes"``; default: the cores available. 1 runs in
            this process.
        scheduler: address of a running Dask scheduler (implies ``executor="dask"``).
        dask_workers: start a loopback ``LocalCluster`` of this many single-thread worker processes
            (implies ``executor="dask"``); default with ``executor="dask"`` and no scheduler: one per core.
        progress: show a tqdm bar with hours of audio done and the real-time factor. Default True.

    Returns:
        :class:`ExtractionSummary`.

    Raises:
        InvalidInputError: bad argument or input (named). OutputConfigMismatchError: ``output_dir``
            holds features of another config or input list.
    """
    from .data.datamodule import FeatureConfig

    start = time.perf_counter()
    if feature is None:
        feature = FeatureConfig()
    elif isinstance(feature, dict):
        feature = FeatureConfig(**feature)
    elif not isinstance(feature, FeatureConfig):
        raise InvalidInputError(f"feature must be a FeatureConfig or a dict of its fields; got {feature!r}")
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise InvalidInputError(f"shard_size must be an int >= 1 (items per shard); got {shard_size!r}")
    if dtype not in DTYPES:
        raise InvalidInputError(f"dtype must be one of {list(DTYPES)}; got {dtype!r}")
    if scheduler is not None or dask_workers is not None:
        executor = "dask"
    if executor not in EXECUTORS:
        raise InvalidInputError(f"executor must be one of {list(EXECUTORS)}; got {executor!r}")
    if scheduler is not None and dask_workers is not None:
        raise InvalidInputError("give either scheduler (a running cluster) or dask_workers (a local one), not both")
    for name, value in (("workers", workers), ("dask_workers", dask_workers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InvalidInputError(f"{name} must be None or an int >= 1; got {value!r}")

    items, classes = list_inputs(inputs)
    for index, item in enumerate(items):
        item["key"] = f"item{index:09d}"
    features = dataclasses.asdict(feature)
    config = {"format": FORMAT, "features": features, "dtype": dtype, "shard_size": shard_size,
              "classes": classes, "n_inputs": len(items), "inputs_hash": _hash([i["path"] for i in items])}
    out_dir = Path(output_dir)
    _write_or_check_config(out_dir, config)
    feature_hash = _hash(features)

    n_shards = math.ceil(len(items) / shard_size)
    todo = [
        {"output_dir": str(out_dir), "index": k, "items": items[k * shard_size:(k + 1) * shard_size],
         "features": features, "dtype": dtype, "feature_hash": feature_hash}
        for k in range(n_shards) if not _shard_done(out_dir, k)
    ]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(t["items"]) for t in todo), unit="file", desc="extract")
    done_seconds = [0.0]

    def on_done(record: dict) -> None:
        done_seconds[0] += record["audio_seconds"]
        if bar is not None:
            elapsed = time.perf_counter() - start
            bar.update(len(record["rows"]) + len(record["errors"]))
            rtf = elapsed / done_seconds[0] if done_seconds[0] else float("nan")
            bar.set_postfix(audio_h=f"{done_seconds[0] / 3600:.3f}", rtf=f"{rtf:.4f}")

    try:
        if executor == "dask":
            _run_dask(todo, scheduler, dask_workers, on_done)
        else:
            _run_processes(todo, workers or len(os.sched_getaffinity(0)), on_done)
    finally:
        if bar is not None:
            bar.close()

    rows, errors = _write_manifests(out_dir, n_shards)
    wall = time.perf_counter() - start
    audio = done_seconds[0]
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


# ---------------------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    """The ``spectrograms extract`` argument parser."""
    parser = argparse.ArgumentParser(prog="spectrograms extract", description=__doc__.split("\n")[0])
    parser.add_argument("input", help="audio folder, CSV/JSONL manifest or lhotse RecordingSet")
    parser.add_argument("output", help="output folder (a rerun resumes it)")
    parser.add_argument("--feature-config", metavar="YAML",
                        help="FeatureConfig fields as YAML (or a recipe config; its data.init_args.features)")
    parser.add_argument("--shard-size", type=int, default=1000)
    parser.add_argument("--dtype", choices=DTYPES, default="float16")
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDR", help="address of a running Dask scheduler")
    cluster.add_argument("--dask-workers", type=int, metavar="N", help="start a loopback Dask LocalCluster")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def _feature_from_yaml(path: str) -> dict:
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    nested = data.get("data", {}).get("init_args", {}).get("features") if isinstance(data.get("data"), dict) else None
    return nested if nested is not None else data.get("features", data)


def main(argv: Sequence[str] | None = None) -> int:
    """``spectrograms extract INPUT OUTPUT [options]``; prints the summary as JSON."""
    args = build_parser().parse_args(argv)
    feature = _feature_from_yaml(args.feature_config) if args.feature_config else None
    summary = extract(args.input, args.output, feature=feature, shard_size=args.shard_size, dtype=args.dtype,
                      workers=args.workers, scheduler=args.scheduler, dask_workers=args.dask_workers,
                      progress=not args.no_progress)
    print(json.dumps(dataclasses.asdict(summary)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
