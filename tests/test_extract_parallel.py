"""spectrograms.extract on several processes: this process working while the others start, a caller's
executor, a lost worker process, and the shard encoding (views of the arrays, not copies)."""

import io
import json
import os
import signal
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf
import torch

from spectrograms.compliance import kaldi
from spectrograms.data.datasets import load_audio
from spectrograms.data.precomputed import PrecomputedFeatureDataset
from spectrograms.extract import ExtractionWorkerError, KaldiFbankConfig, extract
from spectrograms.extract.shards import DELAY_ENV, _member, _npy_bytes, _tar_end, read_member

KALDI = KaldiFbankConfig(num_mel_bins=40)


def _corpus(root, speech, n_files):
    samples, rate = speech
    root.mkdir()
    for i in range(n_files):
        start = (i * 2300) % (len(samples) - 12000)
        sf.write(root / f"{i:03d}.wav", samples[start:start + 5000 + 700 * (i % 5)].astype(np.float32), rate,
                 subtype="FLOAT")
    return root


def _records(out):
    return [json.loads(p.read_text()) for p in sorted(out.glob("shard-*.json"))]


def _assert_each_item_once_and_equal(out, n_files):
    dataset = PrecomputedFeatureDataset(out)
    assert sorted(row["key"] for row in dataset.rows) == [f"item{i:09d}" for i in range(n_files)]
    here = {row["key"] for record in _records(out) if record["worker"]["pid"] == os.getpid()
            for row in record["rows"]}
    for index, row in enumerate(dataset.rows):
        direct = kaldi.fbank(load_audio(row["path"], 16000)[None], **KALDI.options).T
        stored, _ = dataset[index]
        if row["key"] in here:  # computed in this process: bitwise
            assert torch.equal(stored, direct)
        else:  # another process may pick other FFTW algorithms (see tests/test_extract.py): float32 rounding
            torch.testing.assert_close(stored, direct, rtol=1e-5, atol=1e-4)


def test_two_processes_this_one_starts_at_once(tmp_path, speech, monkeypatch):
    # A shard takes 0.2 s here, so this process has finished shards before a spawned worker has even
    # imported torch (seconds): the run does not wait for start-up, and each item is stored once.
    monkeypatch.setenv(DELAY_ENV, "0.2")
    corpus = _corpus(tmp_path / "corpus", speech, 6)
    start = time.perf_counter()
    summary = extract(corpus, tmp_path / "out", feature=KALDI, shard_size=2, dtype="float32", workers=2,
                      progress=False)
    wall = time.perf_counter() - start
    assert summary.n_items == 6 and summary.n_shards == 3 and summary.n_errors == 0
    pids = [record["worker"]["pid"] for record in _records(tmp_path / "out")]
    assert os.getpid() in pids
    assert all(set(r["worker"]["seconds"]) == {"decode", "features", "encode", "write"} for r in _records(tmp_path / "out"))
    _assert_each_item_once_and_equal(tmp_path / "out", 6)
    assert torch.get_num_threads() >= 1 and wall < 60


def test_callers_executor_is_used_and_left_open(tmp_path, speech):
    corpus = _corpus(tmp_path / "corpus", speech, 5)
    threads = torch.get_num_threads()
    with ThreadPoolExecutor(2) as pool:
        summary = extract(corpus, tmp_path / "out", feature=KALDI, shard_size=2, dtype="float32",
                          executor=pool, progress=False)
        assert pool.submit(lambda: 7).result() == 7  # not shut down by extract
    torch.set_num_threads(threads)  # the shards ran in this process's threads, which set one thread
    assert summary.n_items == 5 and summary.n_shards == 3
    _assert_each_item_once_and_equal(tmp_path / "out", 5)


@pytest.mark.slow
def test_lost_worker_process_costs_only_its_shard(tmp_path, speech, monkeypatch):
    # 40 shards of 0.4 s: a spawned worker joins after its start-up, is killed while it holds a shard
    # (0.1 s into the next shard's 0.4 s), this process finishes every other shard, the run raises
    # naming the lost one, and a rerun redoes just that one.
    monkeypatch.setenv(DELAY_ENV, "0.4")
    n_files = 40
    corpus = _corpus(tmp_path / "corpus", speech, n_files)
    out = tmp_path / "out"
    killed = []

    def kill_the_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for record in (_records(out) if out.exists() else []):
                if record["worker"]["pid"] != os.getpid():
                    time.sleep(0.1)
                    os.kill(record["worker"]["pid"], signal.SIGKILL)
                    killed.append(record["worker"]["pid"])
                    return
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_the_worker)
    watcher.start()
    with pytest.raises(ExtractionWorkerError, match=r"1 shard\(s\) lost .*exit code -9.*shard-0000"):
        extract(corpus, out, feature=KALDI, shard_size=1, dtype="float32", workers=2, progress=False)
    watcher.join()
    assert killed
    assert len(list(out.glob("shard-*.tar"))) == n_files - 1
    monkeypatch.setenv(DELAY_ENV, "0")
    summary = extract(corpus, out, feature=KALDI, shard_size=1, dtype="float32", workers=1, progress=False)
    assert summary.n_shards_skipped == n_files - 1 and summary.n_items == n_files
    _assert_each_item_once_and_equal(out, n_files)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_npy_member_is_the_bytes_numpy_writes(dtype):
    # The features go into the tar as a header plus a view of the array's memory: the same bytes as
    # np.save, read back equal, in a member tarfile reads as its own.
    array = np.random.default_rng(0).standard_normal((40, 123)).astype(dtype)
    expected = io.BytesIO()
    np.save(expected, array, allow_pickle=False)
    parts = _npy_bytes(array, None)
    assert b"".join(bytes(p) for p in parts) == expected.getvalue()
    assert np.array_equal(read_member(_npy_bytes(array, "gzip"), "gzip"), array)
    member = _member("a.features.npy", parts)
    tar = b"".join(bytes(p) for p in member) + _tar_end(sum(len(p) for p in member))
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        assert t.extractfile("a.features.npy").read() == expected.getvalue()
