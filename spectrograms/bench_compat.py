"""Benchmark rows of the seed-library computations: the constant-Q transform against the seed library
(spectrograms 2.1.3) and ``librosa.cqt``, and the ILD spectrogram against the seed library, same run,
one thread each.

The seed library runs in its own interpreter (it ships for CPython 3.12 only): ``SPECTROGRAMS_SEED_PYTHON``
or the checkout's ``.venv-seed/bin/python`` (``make seed-venv``); where neither exists its columns are
left out with a note. The seed computes in float64 (its default ``dtype``), so our float64 time is the
like-for-like ratio; our float32 time is what a float32 pipeline gets.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import time

import numpy as np
import torch

import spectrograms as sg

# librosa.cqt's defaults (C1 = 32.70 Hz, 84 bins, hop 512 at 22.05 kHz); n_fft 16384 holds the lowest
# bin's whole kernel (11,339 samples), so the seed's CQT clips none.
CQT_SETTINGS = dict(sample_rate=22050, n_fft=16384, hop=512, bins_per_octave=12, n_octaves=7, f_min=32.70319566257483)
ILD_SETTINGS = dict(sample_rate=48000, n_fft=1024, hop=256)

_SEED_TIMER = """
import json, sys, time, numpy as np, spectrograms as sg
settings, seconds, repeats = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
def best(fn):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return min(times)
cqt, ild = settings["cqt"], settings["ild"]
x = rng.standard_normal(int(seconds * cqt["sample_rate"])) * 0.1
params = sg.SpectrogramParams(sg.StftParams(cqt["n_fft"], cqt["hop"], sg.WindowType.hanning, True), cqt["sample_rate"])
bins = sg.CqtParams(cqt["bins_per_octave"], cqt["n_octaves"], cqt["f_min"])
result = {"cqt": best(lambda: sg.compute_cqt_power_spectrogram(x, params, bins))}
stereo = rng.standard_normal((2, int(seconds * ild["sample_rate"]))) * 0.1
params = sg.SpectrogramParams(sg.StftParams(ild["n_fft"], ild["hop"], sg.WindowType.hanning, True), ild["sample_rate"])
result["ild"] = best(lambda: sg.compute_ild_spectrogram([stereo[0], stereo[1]], sg.ILDSpectrogramParams(params)))
print(json.dumps(result))
"""


def seed_python() -> pathlib.Path | None:
    """The seed library's interpreter, or None where there is none."""
    configured = os.environ.get("SPECTROGRAMS_SEED_PYTHON")
    candidate = pathlib.Path(configured) if configured else pathlib.Path(__file__).resolve().parents[1] / ".venv-seed" / "bin" / "python"
    return candidate if candidate.exists() else None


def _best(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _seed_times(seconds: float, repeats: int) -> dict[str, float] | str:
    python = seed_python()
    if python is None:
        return "the seed library's venv is missing (make seed-venv, or set SPECTROGRAMS_SEED_PYTHON)"
    settings = json.dumps({"cqt": CQT_SETTINGS, "ild": ILD_SETTINGS})
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "RAYON_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(python), "-P", "-c", _SEED_TIMER, settings, str(seconds), str(repeats)],
                          capture_output=True, text=True, env=env, cwd="/", timeout=1800)
    if done.returncode != 0:
        return f"the seed library failed: {done.stderr.strip().splitlines()[-1:]}"
    return json.loads(done.stdout)


def compat_rows(quick: bool, peers: bool = True) -> tuple[list[dict], list[str]]:
    """``(rows, notes)``: one row per computation with each contender's best time in seconds and the
    ratios over ours (``peers=False``: ours alone); notes say which peers were left out and why."""
    seconds, repeats = (10.0, 2) if quick else (60.0, 3)
    notes: list[str] = []
    rng = np.random.default_rng(0)
    settings = CQT_SETTINGS
    signal = rng.standard_normal(int(seconds * settings["sample_rate"])) * 0.1
    params = sg.SpectrogramParams(sg.StftParams(settings["n_fft"], settings["hop"]), settings["sample_rate"])
    bins = sg.CqtParams(settings["bins_per_octave"], settings["n_octaves"], settings["f_min"])
    plan64, signal32 = sg.CqtPowerPlan(params, bins), torch.from_numpy(signal.astype(np.float32))
    cqt = {"ours_f64": _best(lambda: plan64.compute(signal), repeats),
           "ours_f32": _best(lambda: plan64.compute(signal32), repeats)}
    if not peers:
        pass
    elif importlib.util.find_spec("librosa") is None:
        notes.append("librosa.cqt left out: librosa is not installed (pip install 'spectrograms[bench]')")
    else:
        import librosa

        numpy32 = signal32.numpy()
        cqt["librosa_f32"] = _best(lambda: librosa.cqt(numpy32, sr=settings["sample_rate"], hop_length=settings["hop"],
                                                       fmin=settings["f_min"], n_bins=bins.num_bins,
                                                       bins_per_octave=settings["bins_per_octave"]), repeats)
    settings = ILD_SETTINGS
    stereo = rng.standard_normal((2, int(seconds * settings["sample_rate"]))) * 0.1
    ild_params = sg.ILDSpectrogramParams(
        sg.SpectrogramParams(sg.StftParams(settings["n_fft"], settings["hop"]), settings["sample_rate"]))
    ild = {"ours_f64": _best(lambda: sg.compute_ild_spectrogram(stereo, ild_params), repeats),
           "ours_f32": _best(lambda: sg.compute_ild_spectrogram(stereo.astype(np.float32), ild_params), repeats)}
    seed = _seed_times(seconds, repeats) if peers else "peers not asked for"
    if isinstance(seed, str):
        notes.append(f"seed library left out: {seed}")
    else:
        cqt["seed_f64"], ild["seed_f64"] = seed["cqt"], seed["ild"]
    rows = []
    for name, times in ((f"cqt {bins.num_bins} bins, {seconds:g} s at 22.05 kHz", cqt),
                        (f"ild, {seconds:g} s stereo at 48 kHz", ild)):
        ratios = {f"{peer}/ours_f64": t / times["ours_f64"] for peer, t in times.items() if peer.startswith("seed")}
        ratios.update({f"{peer}/ours_f32": t / times["ours_f32"] for peer, t in times.items()
                       if peer.startswith("librosa")})
        rows.append({"workload": name, "seconds": times, "ratios": ratios})
    return rows, notes


def compat_table(rows: list[dict]) -> str:
    columns = ["ours_f64", "ours_f32", "seed_f64", "librosa_f32"]
    ratio_columns = ["seed_f64/ours_f64", "librosa_f32/ours_f32"]
    lines = ["| workload | " + " | ".join(columns + ratio_columns) + " |", "|" + "---|" * (1 + len(columns) + 2)]
    for row in rows:
        cells = [f"{row['seconds'][c] * 1e3:.1f} ms" if c in row["seconds"] else "—" for c in columns]
        cells += [f"{row['ratios'][c]:.2f}×" if c in row["ratios"] else "—" for c in ratio_columns]
        lines.append(f"| {row['workload']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    torch.set_num_threads(1)
    found, left_out = compat_rows(quick=True)
    print(compat_table(found))
    for note in left_out:
        print("note:", note)
