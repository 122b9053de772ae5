"""Benchmark rows of the toolbox (issue 15): resampling and Griffin-Lim against torchaudio and librosa,
same run, one thread, float32.

    python -m spectrograms.bench_toolbox            # 600 s resampling, 10 s Griffin-Lim (about a minute)
    python -m spectrograms.bench_toolbox --quick    # 60 s resampling, one repeat

Each row times ours and the peers in turns (so load drift moves them alike) and keeps each one's best.
Ratios are peer / ours (above 1: ours is faster). The Griffin-Lim rows also time one STFT + inverse
STFT of the same signal with our ops and with torch's, since those are all an iteration does.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np
import torch

RESAMPLE_RATES = [(16000, 8000), (44100, 16000)]
GRIFFIN_LIM = dict(n_fft=1024, hop_length=256, n_iter=32, sample_rate=22050, seconds=10.0)


def _turns(functions: dict, repeats: int) -> dict[str, float]:
    """Best time of each function, the functions run in turns after one warm-up call each."""
    for fn in functions.values():
        fn()
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _ratios(seconds: dict[str, float]) -> dict[str, float]:
    ours = seconds["ours"]
    peer_times = {name: t for name, t in seconds.items() if name != "ours" and "_ops_" not in name}
    ratios = {f"{name}/ours": t / ours for name, t in peer_times.items()}
    peers = list(peer_times.values())
    if peers:
        ratios["fastest_peer/ours"] = min(peers) / ours
    return ratios


def toolbox_rows(quick: bool = False, peers: bool = True) -> list[dict]:
    """The rows at one thread: [{workload, seconds: {ours, peer...}, ratios: {peer/ours...}}]."""
    import spectrograms.functional as SF
    import spectrograms.nn as snn
    from spectrograms import ops

    have_torchaudio = peers and importlib.util.find_spec("torchaudio") is not None
    have_librosa = peers and importlib.util.find_spec("librosa") is not None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        seconds = 60.0 if quick else 600.0
        repeats = 1 if quick else 3
        rng = np.random.default_rng(0)
        for orig, new in RESAMPLE_RATES:
            signal = (rng.standard_normal(int(seconds * orig)) * 0.1).astype(np.float32)
            x = torch.from_numpy(signal)
            functions = {"ours": lambda: SF.resample(x, orig, new)}
            if have_torchaudio:
                import torchaudio.functional as TF
                functions["torchaudio"] = lambda: TF.resample(x, orig, new)
            if have_librosa:
                import librosa
                for res_type in ("soxr_hq", "polyphase"):
                    functions[f"librosa_{res_type}"] = (
                        lambda res_type=res_type: librosa.resample(signal, orig_sr=orig, target_sr=new,
                                                                   res_type=res_type))
            timed = _turns(functions, repeats)
            rows.append({"workload": f"resample {orig / 1000:g} -> {new / 1000:g} kHz, {seconds:g} s",
                         "seconds": timed, "ratios": _ratios(timed)})

        gl = GRIFFIN_LIM
        n = int(gl["seconds"] * gl["sample_rate"])
        wave = torch.from_numpy((rng.standard_normal(n) * 0.1).astype(np.float32))
        window = torch.hann_window(gl["n_fft"])
        spec = torch.stft(wave, gl["n_fft"], gl["hop_length"], window=window, return_complex=True)
        power = spec.abs() ** 2
        layer = snn.GriffinLim(n_fft=gl["n_fft"], n_iter=gl["n_iter"], hop_length=gl["hop_length"], power=2.0)
        functions = {"ours": lambda: layer(power)}
        if have_torchaudio:
            import torchaudio.transforms as TT
            theirs = TT.GriffinLim(n_fft=gl["n_fft"], n_iter=gl["n_iter"], hop_length=gl["hop_length"], power=2.0)
            functions["torchaudio"] = lambda: theirs(power)
        if have_librosa:
            import librosa
            magnitude = power.sqrt().numpy()
            functions["librosa"] = lambda: librosa.griffinlim(magnitude, n_iter=gl["n_iter"],
                                                              hop_length=gl["hop_length"], n_fft=gl["n_fft"],
                                                              momentum=0.99, init="random", random_state=0)
        # Where an iteration's time goes: one STFT and one inverse STFT of the signal.
        framing = dict(n_fft=gl["n_fft"], hop_length=gl["hop_length"], center=True)
        functions["torch_ops_stft_istft"] = lambda: torch.istft(
            torch.stft(wave, gl["n_fft"], gl["hop_length"], window=window, return_complex=True),
            gl["n_fft"], gl["hop_length"], window=window, length=n)
        functions["ours_ops_stft_istft"] = lambda: ops.istft(
            ops.stft(wave, window, pad_mode="reflect", **framing), window, length=n, **framing)
        timed = _turns(functions, 1 if quick else 2)
        ratios = _ratios(timed)
        ratios["torch_ops/ours_ops (one stft+istft)"] = timed["torch_ops_stft_istft"] / timed["ours_ops_stft_istft"]
        rows.append({"workload": f"Griffin-Lim {gl['n_iter']} iterations, {gl['seconds']:g} s, n_fft {gl['n_fft']}, "
                                 f"hop {gl['hop_length']}", "seconds": timed, "ratios": ratios})
    finally:
        torch.set_num_threads(threads)
    return rows


def toolbox_table(rows: list[dict]) -> str:
    lines = ["| workload | times (s) | peer / ours |", "|---|---|---|"]
    for row in rows:
        times = ", ".join(f"{name} {t:.4f}" for name, t in row["seconds"].items())
        ratios = ", ".join(f"{name} {r:.2f}x" for name, r in row["ratios"].items())
        lines.append(f"| {row['workload']} | {times} | {ratios} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m spectrograms.bench_toolbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 s resampling signals, one repeat")
    parser.add_argument("--no-peers", action="store_true", help="skip torchaudio and librosa")
    args = parser.parse_args(argv)
    print("toolbox, one thread, float32, best of runs in turns:")
    print(toolbox_table(toolbox_rows(args.quick, not args.no_peers)))


if __name__ == "__main__":
    main()
