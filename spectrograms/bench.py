"""Benchmark: mel dB spectrograms against the FFT floor, torchaudio and librosa, in one run.

    python -m spectrograms.bench            # full run (a few minutes)
    python -m spectrograms.bench --quick    # under 30 s
    python -m spectrograms.bench --json results.json
    python -m spectrograms.bench --corpus   # spectrograms extract against lhotse, hours of audio per minute

Every workload is float32, mel power in dB with a -80 dB floor, periodic Hann window, centred frames.
"floor" is FFTW's r2c alone over exactly the frames the spectrogram transforms, from C, with the same
plan, precision and threads (``torch.ops.spectrograms._fft_floor``): no window, power, filterbank or
output. Times are medians in seconds; ratios divide by ours at one thread, except ``ours/floor``,
which compares like thread counts.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

import spectrograms as sg
from spectrograms.bench_compat import compat_rows, compat_table
from spectrograms.export.bench_onnx import onnx_rows, onnx_table
from spectrograms.bench_stream import stream_rows, stream_table
from spectrograms.bench_frontends import main as frontends_main


@dataclass(frozen=True)
class Workload:
    name: str
    sample_rate: int
    n_fft: int
    hop: int
    n_mels: int
    n_clips: int
    seconds: float
    per_clip: bool = False  # one plan.compute call per clip instead of one batched call

    def signal(self, quick: bool) -> torch.Tensor:
        seconds = min(self.seconds, 60.0) if quick else self.seconds
        rng = np.random.default_rng(0)
        shape = (self.n_clips, int(seconds * self.sample_rate))
        return torch.from_numpy(rng.standard_normal(shape, dtype=np.float32) * 0.1).squeeze(0)

    def params(self) -> tuple[sg.SpectrogramParams, sg.MelParams, sg.LogParams]:
        stft = sg.StftParams(self.n_fft, self.hop, sg.WindowType.hann, centre=True, pad_mode="constant")
        return (sg.SpectrogramParams(stft, float(self.sample_rate)),
                sg.MelParams(self.n_mels, 0.0, self.sample_rate / 2), sg.LogParams(-80.0))


WORKLOADS = [
    Workload("seed_batch/per_clip", 16000, 512, 256, 128, 64, 1.0, per_clip=True),
    Workload("seed_batch/batched", 16000, 512, 256, 128, 64, 1.0),
    Workload("asr_long", 16000, 512, 160, 80, 1, 600.0),
    Workload("music_long", 22050, 2048, 512, 128, 1, 120.0),
]


@dataclass
class Row:
    workload: str
    seconds: dict[str, float] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        t = self.seconds
        ratios = {"ours_1t/floor_1t": t["ours_1t"] / t["floor_1t"],
                  "ours_nt/floor_nt": t["ours_nt"] / t["floor_nt"],
                  "thread_scaling": t["ours_1t"] / t["ours_nt"]}
        for peer in ("torchaudio", "librosa"):
            if peer in t:
                ratios[f"{peer}/ours_1t"] = t[peer] / t["ours_1t"]
        return ratios


@contextlib.contextmanager
def threads(n: int):
    """Limits torch's intra-op threads and any BLAS/OpenMP pools (librosa's mel product) to n."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(n)
    except ImportError:
        limits = contextlib.nullcontext()
    try:
        with limits:
            yield
    finally:
        torch.set_num_threads(before)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: plans, caches, allocator
    return statistics.median(timed(fn) for _ in range(repeats))


def ours(workload: Workload, x: torch.Tensor):
    plan = sg.SpectrogramPlanner().mel_db_plan(*workload.params())
    if workload.per_clip:
        return lambda: [plan.compute(clip) for clip in x]
    return lambda: plan.compute(x)


def floor(workload: Workload, x: torch.Tensor):
    return lambda: torch.ops.spectrograms._fft_floor(x, workload.n_fft, workload.hop, True)


def torchaudio_fn(workload: Workload, x: torch.Tensor):
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=workload.sample_rate, n_fft=workload.n_fft, hop_length=workload.hop, n_mels=workload.n_mels,
        f_max=workload.sample_rate / 2, center=True, pad_mode="constant", power=2.0)
    to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None)
    return lambda: to_db(mel(x))


def librosa_fn(workload: Workload, x: torch.Tensor):
    import librosa

    y = x.numpy()

    def run():
        power = librosa.feature.melspectrogram(
            y=y, sr=workload.sample_rate, n_fft=workload.n_fft, hop_length=workload.hop, n_mels=workload.n_mels,
            fmax=workload.sample_rate / 2, center=True, pad_mode="constant", htk=False, norm=None)
        return librosa.power_to_db(power, ref=1.0, amin=1e-8, top_db=None)

    return run


_MISSING: set[str] = set()


def _note_missing(package: str) -> None:
    if package not in _MISSING:
        _MISSING.add(package)
        print(f"note: {package} is not installed, its column is skipped "
              "(pip install 'spectrograms[bench]' installs the peers)", file=sys.stderr)


class _NoProgressBar:
    """Stands in for tqdm's bar when tqdm is not installed."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def set_postfix_str(self, message):
        pass

    def update(self, n=1):
        pass


def measure(workload: Workload, quick: bool, peers: bool, progress) -> Row:
    x = workload.signal(quick)
    big = x.numel() > 2_000_000
    repeats = (3 if big else 5) if quick else (7 if big else 21)
    n_threads = torch.get_num_threads()
    row = Row(workload.name)
    # Ours and the floor, at one and at all threads, are timed in turns rather than one after another:
    # on a shared machine speed drifts over seconds, and taking turns makes the drift hit all four
    # alike, so their ratios hold still where their absolute times do not.
    own = {label: (make(workload, x), n) for label, make, n in
           [("ours_1t", ours, 1), ("floor_1t", floor, 1), ("ours_nt", ours, n_threads),
            ("floor_nt", floor, n_threads)]}
    progress(f"{workload.name}: ours and floor")
    samples = {label: [] for label in own}
    for turn in range(repeats + 1):  # turn 0 is the warm-up: plans, caches, allocator
        for label, (fn, n) in own.items():
            with threads(n):
                seconds = timed(fn)
            if turn:
                samples[label].append(seconds)
    row.seconds = {label: statistics.median(times) for label, times in samples.items()}
    if peers and not workload.per_clip:
        for label, make in [("torchaudio", torchaudio_fn), ("librosa", librosa_fn)]:
            if importlib.util.find_spec(label) is None:  # a plain install has no peers: skip, say so once
                _note_missing(label)
                continue
            progress(f"{workload.name}: {label}")
            with threads(1):
                # librosa is slow on long signals: fewer repeats keep the run short; medians barely move.
                row.seconds[label] = median_time(make(workload, x), max(3, repeats // 3) if label == "librosa"
                                                 else repeats)
    return row


def two_thread_speedup(work, turns: int = 5) -> float:
    """Throughput of ``work`` run by two Python threads at once over one thread: medians of one- and
    two-thread timings taken in turns (see measure)."""
    def two_threads():
        pair = [threading.Thread(target=work) for _ in range(2)]
        for t in pair:
            t.start()
        for t in pair:
            t.join()

    work()
    ones, twos = [], []
    for _ in range(turns):
        ones.append(timed(work))
        twos.append(timed(two_threads))
    return 2 * statistics.median(ones) / statistics.median(twos)


def python_threads_scaling(quick: bool, clip_seconds: int) -> dict[str, float]:
    """Two Python threads calling plan.compute at once (intra-op threads 1) against one thread, on
    seed_batch's settings with clips of ``clip_seconds`` (64 s of audio in all).

    The baseline is the same loop over ``hashlib.sha256`` calls that take as long as one plan.compute
    and also release the GIL: what two Python threads reach at all on this machine for calls of that
    length, since each call hands the GIL back and forth and a thread waiting for it sleeps.
    """
    workload = WORKLOADS[0]
    plan = sg.SpectrogramPlanner().mel_db_plan(*workload.params())
    rng = np.random.default_rng(0)
    clips = list(torch.from_numpy(rng.standard_normal((64 // clip_seconds, clip_seconds * workload.sample_rate),
                                                      dtype=np.float32) * 0.1))
    rounds = 3 if quick else 10

    def ours():
        for _ in range(rounds):
            for clip in clips:
                plan.compute(clip)

    with threads(1):
        ours()
        seconds_per_call = timed(ours) / (rounds * len(clips))
        probe = bytes(1 << 20)
        bytes_per_second = len(probe) / min(timed(lambda: hashlib.sha256(probe).digest()) for _ in range(5))
        buffer = bytes(max(4096, int(seconds_per_call * bytes_per_second)))  # hashlib keeps the GIL below 2 KiB

        def baseline():
            for _ in range(rounds * len(clips)):
                hashlib.sha256(buffer).digest()

        return {"clip_seconds": clip_seconds, "seconds_per_call": seconds_per_call,
                "speedup": two_thread_speedup(ours), "baseline_speedup": two_thread_speedup(baseline)}


_PEAK_SCRIPT = """
import torch, spectrograms as sg
torch.set_num_threads({threads})
def status(key):
    return int(next(l for l in open('/proc/self/status') if l.startswith(key)).split()[1]) * 1024
x = torch.randn({n_samples}) * 0.1
plan = sg.SpectrogramPlanner().mel_db_plan(sg.SpectrogramParams(sg.StftParams({n_fft}, {hop}), {sr}),
                                           sg.MelParams({n_mels}), sg.LogParams(-80.0))
plan.compute(x[:{sr}])  # plans and filterbank made before measuring
open('/proc/self/clear_refs', 'w').write('5')  # reset the peak resident size
before = status('VmRSS')
out = plan.compute(x)
print(status('VmHWM') - before, out.tensor.numel() * 4, x.numel() * 4)
"""


def peak_memory(workload: Workload, quick: bool) -> dict[str, float]:
    """Extra resident memory of one compute on the long signal, measured in a fresh process."""
    n_samples = workload.signal(quick).numel()
    script = _PEAK_SCRIPT.format(threads=torch.get_num_threads(), n_samples=n_samples, n_fft=workload.n_fft,
                                 hop=workload.hop, sr=workload.sample_rate, n_mels=workload.n_mels)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    extra, output, signal = (int(v) for v in result.stdout.split())
    mib = 1024 * 1024
    return {"workload": workload.name, "peak_extra_mib": extra / mib, "output_mib": output / mib,
            "input_mib": signal / mib}


def table(rows: list[Row]) -> str:
    columns = ["ours_1t", "ours_nt", "floor_1t", "floor_nt", "torchaudio", "librosa"]
    ratio_columns = ["ours_1t/floor_1t", "ours_nt/floor_nt", "thread_scaling", "torchaudio/ours_1t",
                     "librosa/ours_1t"]
    header = ["workload", *columns, *ratio_columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ratios = row.ratios()
        cells = [row.workload]
        cells += [f"{row.seconds[c] * 1e3:.1f} ms" if c in row.seconds else "—" for c in columns]
        cells += [f"{ratios[c]:.2f}×" if c in ratios else "—" for c in ratio_columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--corpus" in argv:  # a benchmark of its own, with its own options (see spectrograms.extract.bench)
        from spectrograms.extract.bench import main as corpus_main

        return corpus_main(argv)
    parser = argparse.ArgumentParser(prog="spectrograms bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true",
                        help="instead: corpus extraction throughput against lhotse (hours of audio per minute; "
                             "its options: --corpus --help)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and at most 60 s signals (< 30 s)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--no-peers", action="store_true", help="skip torchaudio and librosa")
    parser.add_argument("--no-onnx", action="store_true", help="skip the onnxruntime rows (they export graphs: ~20 s)")
    parser.add_argument("--workload", action="append", choices=[w.name for w in WORKLOADS],
                        help="run only these workloads (repeatable)")
    args = parser.parse_args(argv)

    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = _NoProgressBar

    selected = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    rows = []
    with tqdm(total=len(selected), desc="benchmark", file=sys.stderr, leave=False) as bar:
        def progress(message):
            bar.set_postfix_str(message)
        for workload in selected:
            rows.append(measure(workload, args.quick, not args.no_peers, progress))
            bar.update()
        bar.set_postfix_str("seed-library computations (CQT, ILD)")
        with threads(1):
            compat, compat_notes = compat_rows(args.quick, not args.no_peers)
        bar.set_postfix_str("streams: 10 ms pushes")
        streaming, stream_notes = stream_rows(args.quick, not args.no_peers)
        onnx, onnx_notes = [], []
        if not args.no_onnx:
            bar.set_postfix_str("ONNX graphs in onnxruntime")
            onnx, onnx_notes = onnx_rows(args.quick)
        bar.set_postfix_str("python threads, peak memory")
        scaling = [python_threads_scaling(args.quick, seconds) for seconds in (1, 4)]
        memory = peak_memory(WORKLOADS[2], args.quick)

    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "intra_op_threads": torch.get_num_threads(), "torch": torch.__version__,
               "quick": args.quick}
    print(f"spectrograms {sg.__version__} benchmark — mel dB float32, medians; "
          f"{machine['cores']} cores, nt = {machine['intra_op_threads']} threads; torch {torch.__version__}")
    print(table(rows))
    print("\nseed-library computations, one thread, best of a few runs:")
    print(compat_table(compat))
    for note in compat_notes:
        print(f"  note: {note}")
    if importlib.util.find_spec("librosa") is None:  # a peer that is not installed is skipped with a note
        print("\nlibrosa spectral descriptors: skipped (librosa is not installed; pip install 'spectrograms[bench]')")
    else:
        print("\n" + importlib.import_module("spectrograms.bench_librosa").report(args.quick))
    print("\nstreams: a warm 10 ms push (160 samples at 16 kHz, 80 mels, one thread), best of interleaved runs:")
    print(stream_table(streaming))
    for note in stream_notes:
        print(f"  note: {note}")
    if onnx or onnx_notes:
        print("\nONNX route, one thread: onnxruntime running our exported mel dB graph and torchaudio's, and our eager "
              "layer, timed in turns:")
        print(onnx_table(onnx))
        for note in onnx_notes:
            print(f"  note: {note}")
    print(), frontends_main(["--quick"] * args.quick + ["--no-peers"] * args.no_peers)  # model front-end rows
    print(), __import__("spectrograms.bench_toolbox", fromlist=["main"]).main(["--quick"] * args.quick + ["--no-peers"] * args.no_peers)  # toolbox rows (issue 15)
    print("\ntwo Python threads calling plan.compute (intra-op threads 1), throughput over one thread:")
    for s in scaling:
        print(f"  {s['clip_seconds']} s clips ({s['seconds_per_call'] * 1e6:.0f} us per call): {s['speedup']:.2f}×; "
              f"hashlib.sha256 calls as long: {s['baseline_speedup']:.2f}×")
    if "error" in memory:
        print(f"peak memory: could not measure ({memory['error']})")
    else:
        print(f"peak extra memory for {memory['workload']}: {memory['peak_extra_mib']:.1f} MiB "
              f"(output {memory['output_mib']:.1f} MiB, input {memory['input_mib']:.1f} MiB)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine,
                       "workloads": {r.workload: {"seconds": r.seconds, "ratios": r.ratios()} for r in rows},
                       "compat": compat, "streaming": streaming, "onnx": onnx, "python_threads": scaling, "peak_memory": memory,
                       "definitions": [asdict(w) for w in selected]}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
