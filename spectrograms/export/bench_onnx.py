"""Benchmark rows for the ONNX route: onnxruntime running our exported mel dB graph, against
onnxruntime running torchaudio's exported MelSpectrogram + AmplitudeToDB graph and against our eager
layer, same run, same threads (``python -m spectrograms.bench`` prints them; also runnable alone:
``python -m spectrograms.export.bench_onnx --quick``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

from ..nn import AmplitudeToDB, MelSpectrogram

# (name, sample rate, n_fft, hop, n_mels, clips, seconds): the benchmark's seed batch and 600 s signal.
WORKLOADS = (("seed_batch", 16000, 512, 256, 128, 64, 1.0), ("asr_long", 16000, 512, 160, 80, 1, 600.0))


def _export(model: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    batch, time_ = torch.export.Dim("batch", min=1, max=1024), torch.export.Dim("time", min=4096, max=16000 * 3600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model.eval(), (example,), dynamo=True, dynamic_shapes=({0: batch, 1: time_},))
    program.save(str(path))


def _session(path: Path, n_threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = n_threads, 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _interleaved_medians(functions: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, timed in turns (one call of each per round), so that a change
    of machine load during the run moves them all alike."""
    for fn in functions.values():
        fn()  # warm-up: sessions' first run, plans, allocator
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def onnx_rows(quick: bool, n_threads: int = 1) -> tuple[list[dict], list[str]]:
    """One row per workload: seconds for ``ours_onnx``, ``torchaudio_onnx`` and ``ours_eager`` and the
    largest difference of our graph's output from our eager layer (dB). ``notes`` say what was skipped."""
    try:
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as missing:
        return [], [f"ONNX rows skipped: {missing.name} is not installed (pip install onnx onnxscript onnxruntime)"]
    try:
        import torchaudio
    except ImportError:
        torchaudio = None
    rows, notes = [], []
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with tempfile.TemporaryDirectory() as directory:
            for name, rate, n_fft, hop, n_mels, clips, seconds in WORKLOADS:
                seconds = min(seconds, 60.0) if quick else seconds
                generator = torch.Generator().manual_seed(0)
                x = 0.1 * torch.randn(clips, int(seconds * rate), generator=generator)
                keywords = dict(sample_rate=rate, n_fft=n_fft, hop_length=hop, n_mels=n_mels, center=True,
                                pad_mode="constant")
                with warnings.catch_warnings():  # 128 mels of a 512-point FFT: one band is empty, as in torchaudio
                    warnings.simplefilter("ignore", UserWarning)
                    ours = torch.nn.Sequential(MelSpectrogram(**keywords), AmplitudeToDB()).eval()
                example = x[:2, :16000]
                _export(ours, example, Path(directory) / f"{name}_ours.onnx")
                session = _session(Path(directory) / f"{name}_ours.onnx", n_threads)
                feed = {session.get_inputs()[0].name: x.numpy()}
                repeats = 5 if quick else 9
                row = {"workload": name, "signal": f"{clips} x {seconds:g} s"}
                functions = {"ours_onnx": lambda: session.run(None, feed), "ours_eager": lambda: ours(x)}
                if torchaudio is not None:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)
                        peer = torch.nn.Sequential(
                            torchaudio.transforms.MelSpectrogram(**keywords, power=2.0),
                            torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None)).eval()
                    _export(peer, example, Path(directory) / f"{name}_torchaudio.onnx")
                    peer_session = _session(Path(directory) / f"{name}_torchaudio.onnx", n_threads)
                    peer_feed = {peer_session.get_inputs()[0].name: x.numpy()}
                    functions["torchaudio_onnx"] = lambda: peer_session.run(None, peer_feed)
                with torch.inference_mode():
                    row.update(_interleaved_medians(functions, repeats))
                    expected = ours(x)
                row["max_db_difference"] = float((torch.from_numpy(session.run(None, feed)[0]) - expected).abs().max())
                rows.append(row)
        if torchaudio is None:
            notes.append("torchaudio is not installed: no torchaudio_onnx column")
    finally:
        torch.set_num_threads(before)
    return rows, notes


def onnx_table(rows: list[dict]) -> str:
    lines = ["| workload | signal | ours ONNX (ort) | torchaudio ONNX (ort) | ours eager | torchaudio_onnx/ours_onnx "
             "| ours_onnx/ours_eager | max dB diff |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        peer = row.get("torchaudio_onnx")
        peer_time = "—" if peer is None else f"{peer * 1e3:.1f} ms"
        peer_ratio = "—" if peer is None else f"{peer / row['ours_onnx']:.2f}×"
        lines.append(f"| {row['workload']} | {row['signal']} | {row['ours_onnx'] * 1e3:.1f} ms | {peer_time} | "
                     f"{row['ours_eager'] * 1e3:.1f} ms | {peer_ratio} | {row['ours_onnx'] / row['ours_eager']:.2f}× | "
                     f"{row['max_db_difference']:.1e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spectrograms.export.bench_onnx", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, signals of at most 60 s")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime and torch intra-op threads (default 1)")
    args = parser.parse_args(argv)
    rows, notes = onnx_rows(args.quick, args.threads)
    print(f"mel dB float32, medians, {args.threads} thread(s):")
    print(onnx_table(rows))
    for note in notes:
        print(f"  note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
