"""Benchmark row for the constant-Q transform (issue 15): ``cqt`` on 120 s of music-like audio against
``librosa.cqt``, both at one thread, timed in alternating turns so that load drift on a shared machine
moves both alike. ``python -m spectrograms.compat.librosa.bench_constantq [--seconds 120] [--turns 5]``;
:func:`cqt_row` is the function a benchmark table calls.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def music_like(seconds: float, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Float32 chords of harmonic notes with onsets and decays (every octave of the CQT has energy)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = 0.003 * rng.standard_normal(n)
    notes = np.array([36, 48, 52, 55, 60, 64, 67, 72, 76, 84])
    for i, note in enumerate(notes):
        f0 = 440.0 * 2 ** ((note - 69) / 12)
        period = 0.5 + 0.25 * i
        envelope = np.exp(-np.mod(t, period) * 3.0)
        for k in range(1, 5):
            if k * f0 < sr / 2:
                y += envelope * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.28)) / (8 * k)
    return y.astype(np.float32)


def cqt_row(seconds: float = 120.0, turns: int = 5, res_type: str = "soxr_hq") -> dict:
    """Median seconds of ours and of librosa.cqt (default arguments, ``res_type``) on ``seconds`` of
    audio at 22,050 Hz, one thread each, and the ratio librosa / ours (above 1: we are faster)."""
    import librosa

    from .constantq import cqt

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        y = music_like(seconds)
        ours_times, theirs_times = [], []
        cqt(y, sr=22050, res_type=res_type)  # plans, filter bases and caches
        librosa.cqt(y, sr=22050, res_type=res_type)
        for _ in range(turns):
            start = time.perf_counter()
            cqt(y, sr=22050, res_type=res_type)
            ours_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            librosa.cqt(y, sr=22050, res_type=res_type)
            theirs_times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    ours, theirs = float(np.median(ours_times)), float(np.median(theirs_times))
    return {"row": f"cqt {seconds:g} s music ({res_type})", "ours_s": ours, "librosa_s": theirs,
            "ratio": theirs / ours}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args(argv)
    for res_type in ("soxr_hq", "polyphase"):
        row = cqt_row(args.seconds, args.turns, res_type)
        print(f"{row['row']}: ours {row['ours_s']:.3f} s, librosa {row['librosa_s']:.3f} s, "
              f"librosa/ours {row['ratio']:.2f}x (1 thread)")


if __name__ == "__main__":
    main()
