"""Runtime CPU dispatch of the spectrogram kernel (spectrograms_ext/cpu_dispatch.cpp): the level is the
best one compiled and supported, SPECTROGRAMS_CPU lowers it (or is refused by name), every level gives the
baseline's values, and `spectrograms info` names the level in use. Each level runs in its own process,
since the choice is made once per process."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from spectrograms import _C

SCRIPT = """
import sys, numpy as np, spectrograms as sg
from spectrograms import _C
rng = np.random.default_rng(3)
stft = sg.StftParams(n_fft=512, hop_size=160, window=sg.WindowType.hanning)
params = sg.SpectrogramParams(stft, sample_rate=16000.0)
plan = sg.SpectrogramPlanner().mel_db_plan(params, sg.MelParams(64, 0.0, 8000.0), sg.LogParams(-80.0))
for dtype in ("float32", "float64"):
    samples = rng.standard_normal((2, 9001)).astype(dtype) * 0.2
    np.save(sys.argv[1] + "_" + dtype + ".npy", plan.compute(samples).data)
print(_C.cpu_kernel_level())
"""


def _run(code: str, *args: str, level: str | None):
    env = {**os.environ}
    env.pop("SPECTROGRAMS_CPU", None)
    if level is not None:
        env["SPECTROGRAMS_CPU"] = level
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)


def test_default_level_is_the_best_compiled_one_the_cpu_has():
    compiled = _C.compiled_cpu_levels()
    assert compiled[0] == "baseline" and _C.detected_cpu_level() in compiled
    if "SPECTROGRAMS_CPU" not in os.environ:
        assert _C.cpu_kernel_level() == _C.detected_cpu_level()


def test_every_supported_level_gives_the_baselines_values(tmp_path):
    compiled = _C.compiled_cpu_levels()
    usable = compiled[: compiled.index(_C.detected_cpu_level()) + 1]
    values = {}
    for level in usable:
        result = _run(SCRIPT, str(tmp_path / level), level=level)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.split()[-1] == level
        values[level] = {d: np.load(tmp_path / f"{level}_{d}.npy") for d in ("float32", "float64")}
    for level, by_dtype in values.items():
        # Separate processes may get different FFTW plans (FFTW_MEASURE times them), hence a tolerance.
        np.testing.assert_allclose(by_dtype["float32"], values["baseline"]["float32"], rtol=0, atol=2e-3)
        np.testing.assert_allclose(by_dtype["float64"], values["baseline"]["float64"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("level, message", [
    ("sse9", "SPECTROGRAMS_CPU must be one of 'baseline', 'avx2' or 'avx512' (or unset), got 'sse9'"),
])
def test_a_bad_level_is_refused_by_name(level, message):
    result = _run(SCRIPT, "/nonexistent/x", level=level)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("spectrograms.errors.InvalidInputError") and message in last, last


def test_a_level_above_the_cpus_is_refused_by_name():
    compiled = _C.compiled_cpu_levels()
    above = compiled[compiled.index(_C.detected_cpu_level()) + 1:]
    if not above:
        pytest.skip("this CPU runs every compiled level")
    result = _run(SCRIPT, "/nonexistent/x", level=above[-1])
    assert result.returncode != 0 and "cannot run" in result.stderr and _C.detected_cpu_level() in result.stderr


def test_info_names_the_level_in_use():
    result = _run("from spectrograms.__main__ import main; main(['info'])", level="baseline")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("kernels"))
    assert "baseline" in line and f"best here: {_C.detected_cpu_level()}" in line, line
