"""Corpus extraction throughput: ``spectrograms extract`` against lhotse, in hours of audio per minute.

    python -m spectrograms.bench --corpus                    # 10 minutes of synthetic audio
    python -m spectrograms.bench --corpus --corpus-minutes 60 --json corpus.json

One synthetic corpus (16 kHz mono clips, alternately 16-bit WAV and FLAC, written with soundfile) is
turned into Kaldi-compatible log mel filterbanks (80 bins, 25 ms / 10 ms, lhotse's ``FbankConfig``
defaults, which :class:`~spectrograms.extract.KaldiFbankConfig` equals) stored as float32, by:

* ours: :func:`spectrograms.extract.extract` with local processes (the default executor), one per
  core, one torch thread each, into uncompressed tar shards;
* lhotse: ``CutSet.compute_and_store_features`` with its ``Fbank`` extractor, ``num_jobs`` = cores,
  ``NumpyFilesWriter`` (float32 ``.npy``, no compression), its workers limited to one torch thread
  (``OMP_NUM_THREADS=1``, what lhotse's own warning asks for; without it its jobs oversubscribe the
  cores). Its manifests (``Recording.from_file``) are made before the clock starts.

Both wall times are end to end, process-pool start-up included. On a warm file cache (the corpus is
read once before anything is timed), two more figures show what limits the extractor: decoding
alone (``load_audio`` of every file, the same processes) and features alone (our Kaldi fbank of the
decoded audio in memory), each the corpus over the slowest worker's own time (no start-up). When
decoding alone is slower than features alone, decoding is the limit.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

__all__ = ["main", "write_corpus"]

SAMPLE_RATE = 16000


def write_corpus(root: Path, minutes: float, clip_seconds: float = 10.0, seed: int = 0) -> tuple[list[Path], float]:
    """Writes ``minutes`` of synthetic speech-band audio as clips of about ``clip_seconds`` (lengths
    vary by +-30 %), alternately WAV (PCM 16) and FLAC. Returns the paths and the seconds of audio."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths, total, index = [], 0.0, 0
    while total < minutes * 60:
        n = int(clip_seconds * SAMPLE_RATE * rng.uniform(0.7, 1.3))
        t = np.arange(n) / SAMPLE_RATE
        # A wandering harmonic tone with noise: energy across the mel bands, like voiced speech.
        pitch = 120 + 60 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t)
        phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
        signal = sum(np.sin(k * phase) / k for k in range(1, 12)) * 0.1 + 0.01 * rng.standard_normal(n)
        path = root / (f"clip{index:05d}.wav" if index % 2 == 0 else f"clip{index:05d}.flac")
        sf.write(path, signal.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
        total += n / SAMPLE_RATE
        index += 1
    return paths, total


def _decode_chunk(paths: list[str]) -> float:
    """Worker: seconds this process takes to decode its files (one torch thread)."""
    import torch

    from ..data.datasets import load_audio

    torch.set_num_threads(1)
    start = time.perf_counter()
    for path in paths:
        load_audio(path, SAMPLE_RATE)
    return time.perf_counter() - start


def _features_chunk(paths: list[str]) -> float:
    """Worker: seconds this process takes for the Kaldi fbank of its files, already decoded."""
    import torch

    from ..data.datasets import load_audio
    from .kinds import KaldiFbankConfig, build_extractor

    torch.set_num_threads(1)
    extractor = build_extractor(KaldiFbankConfig())
    waveforms = [load_audio(path, SAMPLE_RATE) for path in paths]
    extractor.one(waveforms[0])  # plans and filterbank made before the clock starts
    start = time.perf_counter()
    for waveform in waveforms:
        extractor.one(waveform)
    return time.perf_counter() - start


def _slowest_worker(function, paths: list[Path], workers: int) -> float:
    chunks = [[str(p) for p in paths[k::workers]] for k in range(workers)]
    if workers == 1:  # in this process, as extract() runs with workers=1
        import torch

        threads = torch.get_num_threads()
        try:
            return function(chunks[0])
        finally:
            torch.set_num_threads(threads)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return max(pool.map(function, chunks))


def _run_ours(corpus: Path, out: Path, workers: int, n_files: int) -> float:
    from . import KaldiFbankConfig, extract

    # A few shards per worker, so the pool stays busy to the end.
    shard_size = max(1, math.ceil(n_files / (4 * workers)))
    start = time.perf_counter()
    extract(corpus, out, feature=KaldiFbankConfig(), shard_size=shard_size, dtype="float32", workers=workers,
            progress=False)
    return time.perf_counter() - start


def _run_lhotse(paths: list[Path], out: Path, workers: int) -> float:
    from lhotse import CutSet, Fbank, FbankConfig, NumpyFilesWriter, Recording, RecordingSet

    recordings = RecordingSet.from_recordings(Recording.from_file(p) for p in paths)
    cuts = CutSet.from_manifests(recordings=recordings)
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by the spawned workers: one torch thread each
    try:
        start = time.perf_counter()
        cuts.compute_and_store_features(Fbank(FbankConfig()), out, num_jobs=workers,
                                        storage_type=NumpyFilesWriter, progress_bar=False)
        return time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous


def _lhotse_agreement(path: Path) -> float:
    """Largest |ours - lhotse| on one file (log-energy units), to show both compute the same features."""
    import torch
    from lhotse import Fbank, FbankConfig

    from ..data.datasets import load_audio
    from .kinds import KaldiFbankConfig, build_extractor

    waveform = load_audio(path, SAMPLE_RATE)
    theirs = torch.from_numpy(Fbank(FbankConfig()).extract(waveform.numpy(), SAMPLE_RATE)).T
    ours = build_extractor(KaldiFbankConfig()).one(waveform)
    frames = min(theirs.shape[-1], ours.shape[-1])
    return float((ours[:, :frames] - theirs[:, :frames]).abs().max())


def _per_minute(audio_seconds: float, wall_seconds: float) -> float:
    return (audio_seconds / 3600) / (wall_seconds / 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spectrograms bench --corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus-minutes", type=float, default=10.0, help="minutes of audio (default 10)")
    parser.add_argument("--workers", type=int, default=None, help="processes for both (default: the cores)")
    parser.add_argument("--no-peers", action="store_true", help="skip lhotse")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.corpus_minutes) and args.corpus_minutes > 0):
        parser.error(f"--corpus-minutes must be > 0; got {args.corpus_minutes}")
    workers = args.workers or len(os.sched_getaffinity(0))
    peers = not args.no_peers
    if peers:
        try:
            import lhotse  # noqa: F401
        except ImportError:
            print("note: lhotse is not installed, its row is skipped (pip install 'spectrograms[extract]')")
            peers = False

    work = Path(tempfile.mkdtemp(prefix="spectrograms-corpus-bench-"))
    try:
        paths, audio = write_corpus(work / "corpus", args.corpus_minutes)
        for path in paths:  # warm the file cache: every figure below reads from memory
            path.read_bytes()
        figures = {"audio_hours": audio / 3600, "files": len(paths), "workers": workers}
        figures["decode_only_s"] = _slowest_worker(_decode_chunk, paths, workers)
        figures["features_only_s"] = _slowest_worker(_features_chunk, paths, workers)
        figures["ours_s"] = _run_ours(work / "corpus", work / "ours", workers, len(paths))
        if peers:
            figures["lhotse_s"] = _run_lhotse(paths, work / "lhotse", workers)
            figures["max_abs_difference_vs_lhotse"] = _lhotse_agreement(paths[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rates = {key[:-2]: _per_minute(audio, figures[key]) for key in
             ("decode_only_s", "features_only_s", "ours_s", "lhotse_s") if key in figures}
    figures["hours_per_minute"] = rates
    print(f"corpus extraction: {audio / 60:.1f} min of audio in {len(paths)} files (WAV/FLAC, 16 kHz), "
          f"Kaldi fbank 80 bins float32, {workers} processes x 1 thread, warm file cache")
    print("| run | wall | hours of audio per minute |")
    print("|---|---|---|")
    names = {"ours": "spectrograms extract (end to end)", "lhotse": "lhotse compute_and_store_features (Fbank)",
             "decode_only": "decode only (load_audio, slowest worker)",
             "features_only": "features only (in memory, slowest worker)"}
    for key, rate in rates.items():
        print(f"| {names[key]} | {figures[key + '_s']:.2f} s | {rate:.1f} |")
    if "lhotse" in rates:
        print(f"ours / lhotse: {rates['ours'] / rates['lhotse']:.2f}x; largest |ours - lhotse| on one file: "
              f"{figures['max_abs_difference_vs_lhotse']:.2e}")
    limit = "decoding" if rates["decode_only"] < rates["features_only"] else "features"
    print(f"limit on a warm cache: {limit} (decode only {rates['decode_only']:.1f} h/min, "
          f"features only {rates['features_only']:.1f} h/min)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
