"""The work unit: one shard's items decoded, their features computed, one tar written atomically.

Features are computed either item by item (CPU, one torch thread per worker process), or, with a
``device``, in padded batches on that device: items are sorted by length and grouped so that a batch
holds at most ``batch_seconds`` of (padded) audio, computed in one call, and each item cut back to
its own frame count. The framing of every kind pads with zeros, so an item's frames do not depend on
the padding after it: the batch path gives the numbers of the item-by-item path (the tests check it).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import tarfile
import time
import uuid
from pathlib import Path

import numpy as np

from ..data.datasets import AudioFileError, load_audio
from ..errors import SpectrogramError

__all__ = ["COMPRESSIONS", "extract_shard", "read_member", "shard_done", "shard_name"]

COMPRESSIONS = (None, "gzip")
# Test hook: seconds each shard task sleeps, so a test can kill a Dask worker while it holds a shard.
DELAY_ENV = "SPECTROGRAMS_EXTRACT_TEST_DELAY"


def shard_name(index: int) -> str:
    return f"shard-{index:06d}"


def shard_done(out_dir: Path, index: int) -> bool:
    """A shard is done when its tar exists (renamed last) and its record does."""
    name = shard_name(index)
    return (out_dir / f"{name}.tar").is_file() and (out_dir / f"{name}.json").is_file()


def _npy_bytes(array: np.ndarray, compression: str | None) -> bytes | list:
    """The ``.npy`` file of a C-contiguous array: NumPy's version 1.0 header, then the array's own
    memory (a view, not a copy: the features of an hour of audio are ~115 MB in float32, and each
    copy of them costs about as much as the tar bookkeeping of a thousand files)."""
    array = np.ascontiguousarray(array)  # a no-op for the features; a view of C-ordered memory below
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    if compression == "gzip":
        # mtime=0: same input, same bytes, so a redone or rescheduled shard is identical.
        return gzip.compress(header.getvalue() + array.tobytes(), compresslevel=6, mtime=0)
    return [header.getvalue(), memoryview(array).cast("B")]


def read_member(data: bytes, compression: str | None) -> np.ndarray:
    """The array of one ``.features.npy`` (or ``.features.npy.gz``) member's bytes."""
    if compression == "gzip":
        data = gzip.decompress(data)
    return np.load(io.BytesIO(data), allow_pickle=False)


def _member(name: str, data) -> list:
    """One USTAR member as its parts: header block, the data (bytes, or a list of parts), zero padding
    to the block size.

    The same bytes ``tarfile.addfile`` writes, assembled here so a shard is written in one pass over
    parts that are views of the arrays, and each member's data offset is known without reading the
    tar back (both cost about a tenth of the extraction time of short files through ``tarfile``).
    """
    data = [data] if isinstance(data, (bytes, bytearray, memoryview)) else list(data)
    size = sum(len(part) for part in data)
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0  # same input, same bytes: reruns and rescheduled shards write identical files
    header = info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
    return [header, *data, bytes(-size % tarfile.BLOCKSIZE)]


def _tar_end(size: int) -> bytes:
    """The end-of-archive marker (two zero blocks) and padding to a whole record, as tarfile writes."""
    size += 2 * tarfile.BLOCKSIZE
    return bytes(2 * tarfile.BLOCKSIZE + (-size % tarfile.RECORDSIZE))


@functools.lru_cache(maxsize=8)
def _extractor(features_json: str):
    """The extractor of a feature config, made once per process: validating a config runs the front-end
    once (14 ms for Kaldi fbank), which a worker would otherwise pay on every shard."""
    from .kinds import build_extractor, feature_from_dict

    config = feature_from_dict(json.loads(features_json))
    return config, build_extractor(config)


def _load(items: list[dict], sample_rate: int, errors: list[dict]) -> list[tuple[dict, object]]:
    loaded = []
    for item in items:
        try:
            waveform = load_audio(item["path"], sample_rate, offset=item["offset"], duration=item["duration"])
        except (SpectrogramError, AudioFileError, ValueError, OSError) as exc:
            errors.append({"path": item["path"], "reason": f"{type(exc).__name__}: {exc}"})
            continue
        loaded.append((item, waveform))
    return loaded


def _features_one_by_one(extractor, loaded, errors):
    results = []
    for item, waveform in loaded:
        try:
            results.append((item, waveform.shape[-1], extractor.one(waveform)))
        except SpectrogramError as exc:  # e.g. a signal too short for one frame: listed, never fatal
            errors.append({"path": item["path"], "reason": f"{type(exc).__name__}: {exc}"})
    return results


def _features_batched(extractor, loaded, device: str, batch_samples: int):
    """Padded batches by duration on ``device``; each item cut back to its own frames."""
    import torch

    order = sorted(range(len(loaded)), key=lambda i: loaded[i][1].shape[-1])
    results = []
    start = 0
    while start < len(order):
        # Sorted by length, so the batch's padded size is its last item's length times its size.
        stop = start + 1
        while stop < len(order) and loaded[order[stop]][1].shape[-1] * (stop + 1 - start) <= batch_samples:
            stop += 1
        members = order[start:stop]
        lengths = torch.tensor([loaded[i][1].shape[-1] for i in members])
        waveforms = [loaded[i][1] for i in members]
        batch = torch.nn.utils.rnn.pad_sequence(waveforms, batch_first=True)
        out, frames = extractor.batch(batch.to(device, non_blocking=True), lengths)
        out = out.cpu()
        for row, i, n_samples, n_frames in zip(out, members, lengths.tolist(), frames.tolist()):
            results.append((loaded[i][0], n_samples, row[:, :n_frames]))
        start = stop
    return results


def extract_shard(task: dict) -> dict:
    """Work unit: extract one shard's items and write its tar and record files atomically.

    Args:
        task: ``output_dir``, ``index`` (shard number), ``items`` (dicts with ``key``, ``path``,
            ``label``, ``offset``, ``duration``), ``features`` (a feature config as a dict, see :mod:`.kinds`), ``dtype``,
            ``compression`` (None or ``"gzip"``), ``feature_hash``, and optionally ``device`` (batch
            path on that device) and ``batch_seconds`` (audio per batch there).

    Returns:
        ``{"index", "rows", "errors", "audio_seconds", "worker"}``, also written as
        ``shard-NNNNNN.json``; ``worker`` holds the process id and the seconds this shard spent per
        stage (``decode``: reading and resampling, ``features``, ``encode``: the cast to the storage
        dtype and the ``.npy``/tar bytes, ``write``: the files and renames), which the corpus
        benchmark sums into its profile.
    """
    import torch

    if task.get("device") is None:
        torch.set_num_threads(1)  # one process (or Dask worker) per core
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay:
        time.sleep(delay)
    config, extractor = _extractor(json.dumps(task["features"], sort_keys=True))
    out_dir = Path(task["output_dir"])
    name = shard_name(task["index"])
    dtype = np.dtype(task["dtype"])
    compression = task.get("compression")
    suffix = ".features.npy.gz" if compression == "gzip" else ".features.npy"
    errors: list[dict] = []
    clock = [time.perf_counter()]
    loaded = _load(task["items"], config.sample_rate, errors)
    clock.append(time.perf_counter())
    if task.get("device") is None:
        computed = _features_one_by_one(extractor, loaded, errors)
    else:
        batch_samples = int(task.get("batch_seconds", 600.0) * config.sample_rate)
        computed = _features_batched(extractor, loaded, task["device"], batch_samples)
    clock.append(time.perf_counter())
    rows, audio_seconds = [], 0.0
    unique = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp_tar = out_dir / f"{name}.tar{unique}"
    parts, size = [], 0
    for item, n_samples, features in computed:
        array = features.contiguous().numpy().astype(dtype, copy=False)
        duration = n_samples / config.sample_rate
        audio_seconds += duration
        row = {"path": item["path"], "label": item["label"], "offset": item["offset"],
               "duration": duration, "frames": int(array.shape[-1]), "shard": f"{name}.tar",
               "key": item["key"], "feature": task["feature_hash"]}
        data = _npy_bytes(array, compression)
        data = data if isinstance(data, list) else [data]
        members = [_member(item["key"] + suffix, data), _member(f"{item['key']}.json", json.dumps(row).encode())]
        # Byte position of the features member's data (after its header), so a reader seeks to it.
        row["data_offset"], row["data_size"] = size + tarfile.BLOCKSIZE, sum(len(part) for part in data)
        for member in members:
            parts += member
            size += sum(len(part) for part in member)
        rows.append(row)
    parts.append(_tar_end(size))
    clock.append(time.perf_counter())
    with open(tmp_tar, "wb") as f:
        f.writelines(parts)  # the parts as they are: no joined copy of the whole shard
    rows.sort(key=lambda row: row["key"])
    # The write stage as measured up to here (the record cannot time its own writing).
    clock.append(time.perf_counter())
    stages = dict(zip(("decode", "features", "encode", "write"), np.diff(clock).tolist()))
    record = {"index": task["index"], "rows": rows, "errors": errors, "audio_seconds": audio_seconds,
              "worker": {"pid": os.getpid(), "seconds": stages}}
    tmp_record = out_dir / f"{name}.json{unique}"
    tmp_record.write_text(json.dumps(record))
    os.replace(tmp_record, out_dir / f"{name}.json")
    os.replace(tmp_tar, out_dir / f"{name}.tar")  # last: the tar's presence means the shard is done
    return record
