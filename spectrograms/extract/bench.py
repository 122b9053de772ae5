"""Corpus extraction throughput: ``spectrograms extract`` against lhotse, in hours of audio per minute.

    python -m spectrograms.bench --corpus                    # 10 minutes of synthetic audio
    python -m spectrograms.bench --corpus --speech --corpus-minutes 240 --keep-corpus /tmp/corpus
    python -m spectrograms.bench --corpus --corpus-dir /tmp/corpus --repeats 3 --json corpus.json

One corpus (16 kHz mono clips, alternately 16-bit WAV and FLAC: synthetic tones, or with
``--speech`` espeak-ng speech with pauses and background noise; or any folder given with
``--corpus-dir``) is turned into Kaldi-compatible log mel filterbanks (80 bins, 25 ms / 10 ms,
lhotse's ``FbankConfig`` defaults, which :class:`~spectrograms.extract.KaldiFbankConfig` equals)
stored as float32, by:

* ours: :func:`spectrograms.extract.extract` with local processes (the default executor: this
  process and cores - 1 spawned ones, one torch thread each), into uncompressed tar shards;
* lhotse: ``CutSet.compute_and_store_features`` with its ``Fbank`` extractor, ``num_jobs`` = cores,
  ``NumpyFilesWriter`` (float32 ``.npy``, no compression), its workers limited to one torch thread
  (``OMP_NUM_THREADS=1``, what lhotse's own warning asks for; without it its jobs oversubscribe the
  cores). Its manifests (``Recording.from_file``) are made before the clock starts.

Each round times, in turns: both end to end (each starting its own processes, so start-up is
included), then both again on one pool of warm processes that both accept (``executor=``; every
process has imported both libraries and run both extractors once), the steady state without
start-up. On that pool, two more figures show what limits the extractor: decoding alone
(``load_audio`` of every file) and features alone (our Kaldi fbank of the decoded audio in memory),
each the corpus over the slowest worker's own time. The warm run's shard records give the seconds
per stage (decode, features, encode: cast and ``.npy``/tar bytes, write). Everything runs on a warm
file cache (the corpus is read once before anything is timed); medians over ``--repeats`` rounds.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import statistics
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


SPEECH_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
    "A feature extractor must give the same numbers on every one of these recordings.",
    "Peter Piper picked a peck of pickled peppers; how many pickled peppers did he pick?",
    "Seven hundred and forty two thousand hours of speech were transcribed last year.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack.",
    "The birch canoe slid on the smooth planks while the rain kept falling on the roof.",
)


def _espeak_utterances(seed: int) -> list[np.ndarray]:
    """espeak-ng's voice reading ``SPEECH_TEXTS`` at three speeds and pitches, as 16 kHz float32."""
    import shutil
    import subprocess

    import soundfile as sf
    from scipy.signal import resample_poly

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("the speech corpus needs espeak-ng (Debian: apt-get install espeak-ng)")
    rng = np.random.default_rng(seed)
    utterances = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, text in enumerate(SPEECH_TEXTS):
            for speed, pitch in ((140, 35), (175, 50), (210, 70)):
                wav = Path(tmp) / f"u{k}-{speed}.wav"
                subprocess.run([espeak, "-s", str(speed), "-p", str(pitch + int(rng.integers(-10, 10))),
                                "-w", str(wav), text], check=True, capture_output=True, timeout=120)
                samples, rate = sf.read(wav, dtype="float64")
                utterances.append(resample_poly(samples, 160, 441).astype(np.float32) if rate == 22050
                                  else samples.astype(np.float32))
    return utterances


def write_speech_corpus(root: Path, minutes: float, clip_seconds: float = 12.0,
                        seed: int = 0) -> tuple[list[Path], float]:
    """Writes ``minutes`` of real speech (espeak-ng) as clips of about ``clip_seconds`` (+-40 %, the
    spread of LibriSpeech utterances): utterances at random gains with pauses, plus background noise
    at 10-40 dB SNR, alternately WAV (PCM 16) and FLAC. Returns the paths and the seconds of audio."""
    import soundfile as sf

    utterances = _espeak_utterances(seed)
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths, total, index = [], 0.0, 0
    while total < minutes * 60:
        n = int(clip_seconds * SAMPLE_RATE * rng.uniform(0.6, 1.4))
        parts, length = [], 0
        while length < n:
            pause = np.zeros(int(rng.uniform(0.05, 0.6) * SAMPLE_RATE), np.float32)
            speech = utterances[int(rng.integers(len(utterances)))] * np.float32(rng.uniform(0.2, 0.9))
            parts += [pause, speech]
            length += len(pause) + len(speech)
        signal = np.concatenate(parts)[:n]
        rms = float(np.sqrt(np.mean(signal ** 2))) or 1e-3
        signal = signal + rng.standard_normal(n).astype(np.float32) * np.float32(rms * 10 ** (-rng.uniform(10, 40) / 20))
        path = root / (f"utt{index:06d}.wav" if index % 2 == 0 else f"utt{index:06d}.flac")
        sf.write(path, np.clip(signal, -1, 1), SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
        total += n / SAMPLE_RATE
        index += 1
    return paths, total


def _warm_worker(_: int) -> int:
    """Pool worker warm-up: both libraries imported, one torch thread, both extractors run once."""
    import torch

    torch.set_num_threads(1)
    from . import shards  # noqa: F401  (the module ours pickles its tasks against)
    from .kinds import KaldiFbankConfig, build_extractor

    build_extractor(KaldiFbankConfig()).one(torch.zeros(SAMPLE_RATE))
    try:
        from lhotse import Fbank, FbankConfig

        Fbank(FbankConfig()).extract(np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    except ImportError:
        pass
    time.sleep(0.3)  # holds this worker so that every worker of the pool gets one warm-up call
    return os.getpid()


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


def _slowest_worker(function, paths: list[Path], workers: int, pool) -> float:
    chunks = [[str(p) for p in paths[k::workers]] for k in range(workers)]
    if pool is None:  # one worker: in this process, as extract() runs with workers=1
        import torch

        threads = torch.get_num_threads()
        try:
            return function(chunks[0])
        finally:
            torch.set_num_threads(threads)
    return max(pool.map(function, chunks))


def _run_ours(corpus: Path, out: Path, workers: int, n_files: int, pool=None) -> tuple[float, dict]:
    """Wall seconds of one extraction (spawning its own processes, or on a warm ``pool``) and the
    per-stage seconds summed over its shards."""
    import torch

    from . import KaldiFbankConfig, extract

    shutil.rmtree(out, ignore_errors=True)
    # A few shards per worker, so every process stays busy to the end.
    shard_size = max(1, math.ceil(n_files / (4 * workers)))
    threads = torch.get_num_threads()
    start = time.perf_counter()
    try:
        extract(corpus, out, feature=KaldiFbankConfig(), shard_size=shard_size, dtype="float32",
                workers=workers, executor=pool if pool is not None else "processes", progress=False)
    finally:
        torch.set_num_threads(threads)
    wall = time.perf_counter() - start
    stages: dict[str, float] = {}
    for record_path in out.glob("shard-*.json"):
        for stage, seconds in json.loads(record_path.read_text())["worker"]["seconds"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    return wall, stages


def _lhotse_cuts(paths: list[Path]):
    from lhotse import CutSet, Recording, RecordingSet

    return CutSet.from_manifests(recordings=RecordingSet.from_recordings(Recording.from_file(p) for p in paths))


def _run_lhotse(cuts, out: Path, workers: int, pool=None) -> float:
    """Wall seconds of lhotse's ``compute_and_store_features`` (its own spawned pool, or ``pool``)."""
    import torch
    from lhotse import Fbank, FbankConfig, NumpyFilesWriter

    shutil.rmtree(out, ignore_errors=True)
    threads = torch.get_num_threads()
    if workers == 1:
        torch.set_num_threads(1)  # as ours in this process: one thread
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by its spawned workers: one torch thread each
    try:
        start = time.perf_counter()
        cuts.compute_and_store_features(Fbank(FbankConfig()), out, num_jobs=workers, executor=pool,
                                        storage_type=NumpyFilesWriter, progress_bar=False)
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
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


def _warm_pool(workers: int):
    """``workers`` spawned processes with everything imported (one torch thread each), shared by ours
    and lhotse for the steady-state figures; None for one worker (then both run in this process)."""
    if workers == 1:
        return None
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        pids: set[int] = set()
        deadline = time.monotonic() + 300
        while len(pids) < workers and time.monotonic() < deadline:  # until each process has had one
            pids |= set(pool.map(_warm_worker, range(2 * workers)))
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
    if len(pids) != workers:
        pool.shutdown()
        raise RuntimeError(f"warm-up reached {len(pids)} of {workers} pool processes")
    return pool


NAMES = {
    "ours": "spectrograms extract, end to end (start-up included)",
    "lhotse": "lhotse compute_and_store_features (Fbank), end to end",
    "ours_warm": "spectrograms extract, warm processes (steady state)",
    "lhotse_warm": "lhotse compute_and_store_features, warm processes",
    "decode_only": "decode only (load_audio, slowest worker)",
    "features_only": "features only (in memory, slowest worker)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spectrograms bench --corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus-minutes", type=float, default=10.0, help="minutes of audio (default 10)")
    parser.add_argument("--corpus-dir", metavar="DIR",
                        help="an existing folder of audio to use (written once, e.g. by --keep-corpus)")
    parser.add_argument("--speech", action="store_true",
                        help="write espeak-ng speech with background noise instead of synthetic tones")
    parser.add_argument("--keep-corpus", metavar="DIR", help="write the corpus into DIR and keep it")
    parser.add_argument("--repeats", type=int, default=1, help="rounds, each timing every run in turn; "
                        "medians reported (default 1)")
    parser.add_argument("--workers", type=int, default=None, help="processes for both (default: the cores)")
    parser.add_argument("--no-peers", action="store_true", help="skip lhotse")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.corpus_minutes) and args.corpus_minutes > 0):
        parser.error(f"--corpus-minutes must be > 0; got {args.corpus_minutes}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    workers = args.workers or len(os.sched_getaffinity(0))
    peers = not args.no_peers
    if peers:
        try:
            import lhotse  # noqa: F401
        except ImportError:
            print("note: lhotse is not installed, its row is skipped (pip install 'spectrograms[extract]')")
            peers = False

    from .inputs import list_inputs

    work = Path(tempfile.mkdtemp(prefix="spectrograms-corpus-bench-"))
    pool = None
    try:
        if args.corpus_dir:
            corpus = Path(args.corpus_dir)
            paths = [Path(item["path"]) for item in list_inputs(corpus)[0]]
        else:
            corpus = Path(args.keep_corpus) if args.keep_corpus else work / "corpus"
            writer = write_speech_corpus if args.speech else write_corpus
            paths, _ = writer(corpus, args.corpus_minutes)
        import soundfile as sf

        audio = sum(sf.info(p).frames for p in paths) / SAMPLE_RATE
        for path in paths:  # warm the file cache: every figure below reads from memory
            path.read_bytes()
        cuts = _lhotse_cuts(paths) if peers else None  # lhotse's manifests, made before any clock
        runs: dict[str, list[float]] = {}
        stages: list[dict] = []

        def timed(key: str, seconds: float) -> None:
            runs.setdefault(key, []).append(seconds)

        for _ in range(args.repeats):  # in turns, so a change of load hits every figure alike
            wall, stage = _run_ours(corpus, work / "ours", workers, len(paths))
            timed("ours", wall)
            if peers:
                timed("lhotse", _run_lhotse(cuts, work / "lhotse", workers))
            pool = _warm_pool(workers)
            try:
                wall, stage = _run_ours(corpus, work / "ours", workers, len(paths), pool)
                timed("ours_warm", wall)
                stages.append(stage)
                if peers:
                    timed("lhotse_warm", _run_lhotse(cuts, work / "lhotse", workers, pool))
                timed("decode_only", _slowest_worker(_decode_chunk, paths, workers, pool))
                timed("features_only", _slowest_worker(_features_chunk, paths, workers, pool))
            finally:
                if pool is not None:
                    pool.shutdown()
                pool = None
        figures = {"audio_hours": audio / 3600, "files": len(paths), "workers": workers, "repeats": args.repeats,
                   "runs_s": runs, "load_average": os.getloadavg()}
        for key, values in runs.items():
            figures[key + "_s"] = statistics.median(values)
        # Core-seconds per stage in the warm runs (median over rounds), from the shards' records.
        figures["stages_core_s"] = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
        if peers:
            figures["max_abs_difference_vs_lhotse"] = _lhotse_agreement(paths[0])
    finally:
        if pool is not None:
            pool.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    rates = {key: _per_minute(audio, figures[key + "_s"]) for key in NAMES if key + "_s" in figures}
    figures["hours_per_minute"] = rates
    print(f"corpus extraction: {audio / 60:.1f} min of audio in {len(paths)} files (WAV/FLAC, 16 kHz), "
          f"Kaldi fbank 80 bins float32, {workers} processes x 1 thread, warm file cache, median of "
          f"{args.repeats} round(s), load average {figures['load_average'][0]:.1f}")
    print("| run | wall | hours of audio per minute |")
    print("|---|---|---|")
    for key, rate in rates.items():
        print(f"| {NAMES[key]} | {figures[key + '_s']:.2f} s | {rate:.1f} |")
    if "lhotse" in rates:
        print(f"ours / lhotse: {rates['ours'] / rates['lhotse']:.2f}x end to end, "
              f"{rates['ours_warm'] / rates['lhotse_warm']:.2f}x on warm processes; largest |ours - lhotse| "
              f"on one file: {figures['max_abs_difference_vs_lhotse']:.2e}")
    total = sum(figures["stages_core_s"].values())
    print("ours per stage (warm, core-seconds over all workers): " + ", ".join(
        f"{k} {v:.2f} s ({100 * v / total:.0f} %)" for k, v in figures["stages_core_s"].items()))
    limit = "decoding" if rates["decode_only"] < rates["features_only"] else "features"
    print(f"limit on a warm cache: {limit} (decode only {rates['decode_only']:.1f} h/min, "
          f"features only {rates['features_only']:.1f} h/min)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
