"""Benchmark of the six spectral descriptors (centroid, bandwidth, rolloff, flatness, contrast, and
zero-crossing rate with RMS) of ``spectrograms.compat.librosa`` against librosa, and the centroid
also against ``torchaudio.functional.spectral_centroid``: the same signal, the same run, one thread,
best of ``repeats``, timed in turns so load drift moves every column alike.

    python -m spectrograms.bench_librosa [--quick] [--seconds S] [--repeats N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

SAMPLE_RATE = 22050
DESCRIPTORS = ("spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "spectral_flatness",
               "spectral_contrast", "zcr_rms")


def _call(module, name: str, y):
    if name == "zcr_rms":
        module.feature.zero_crossing_rate(y)
        return module.feature.rms(y=y)
    if name == "spectral_flatness":
        return module.feature.spectral_flatness(y=y)
    return getattr(module.feature, name)(y=y, sr=SAMPLE_RATE)


def librosa_rows(seconds: float = 120.0, repeats: int = 3) -> list[dict]:
    """One row per descriptor: seconds for ours, librosa's and (centroid only) torchaudio's."""
    import librosa

    from spectrograms.compat import librosa as ours

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        y = np.random.default_rng(0).standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32) * 0.1
        peers = {"ours": lambda name: _call(ours, name, y), "librosa": lambda name: _call(librosa, name, y)}
        try:
            import torchaudio.functional as taf

            window = torch.hann_window(2048)
            y_t = torch.from_numpy(y)
            ta = lambda name: taf.spectral_centroid(y_t, SAMPLE_RATE, 0, window, 2048, 512, 2048)  # noqa: E731
        except ImportError:
            ta = None
        rows = []
        for name in DESCRIPTORS:
            columns = dict(peers)
            if name == "spectral_centroid" and ta is not None:
                columns["torchaudio"] = ta
            for fn in columns.values():
                fn(name)  # warm-up (plans, caches, numba compilation)
            best = {key: float("inf") for key in columns}
            for _ in range(repeats):
                for key, fn in columns.items():
                    start = time.perf_counter()
                    fn(name)
                    best[key] = min(best[key], time.perf_counter() - start)
            peer = min(v for k, v in best.items() if k != "ours")
            rows.append({"descriptor": name, **{f"{k}_s": v for k, v in best.items()}, "speedup": peer / best["ours"]})
        return rows
    finally:
        torch.set_num_threads(threads)


def librosa_table(rows: list[dict], seconds: float) -> str:
    lines = [f"spectral descriptors, {seconds:g} s at {SAMPLE_RATE} Hz, 1 thread (best of runs)",
             f"{'descriptor':<20}{'ours':>10}{'librosa':>10}{'torchaudio':>12}{'x faster peer':>15}"]
    for row in rows:
        ta = f"{row['torchaudio_s'] * 1e3:10.1f}ms" if "torchaudio_s" in row else f"{'-':>12}"
        lines.append(f"{row['descriptor']:<20}{row['ours_s'] * 1e3:8.1f}ms{row['librosa_s'] * 1e3:8.1f}ms{ta}"
                     f"{row['speedup']:14.2f}x")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s of audio, 1 repeat")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    seconds, repeats = (10.0, 1) if args.quick else (args.seconds, args.repeats)
    print(librosa_table(librosa_rows(seconds, repeats), seconds))


if __name__ == "__main__":
    main()


def report(quick: bool = False) -> str:
    """The table for ``python -m spectrograms.bench`` (10 s and one run with ``--quick``)."""
    seconds, repeats = (10.0, 1) if quick else (120.0, 3)
    return librosa_table(librosa_rows(seconds, repeats), seconds)
