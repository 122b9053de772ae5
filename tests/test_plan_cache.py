"""The FFTW plan cache (spectrograms_ext/plan_cache.cpp): the seed library's clear_fft_plan_cache and
fft_plan_cache_info, LRU bounds by plan count and by estimated bytes, plans in use surviving a clear
from another thread, and flat memory over thousands of distinct transform lengths."""

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import spectrograms as sg
from spectrograms._extension import _C

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LIMITS = _C.fft_plan_cache_info()[3:]


@pytest.fixture(autouse=True)
def default_limits():
    yield
    _C.set_fft_plan_cache_limits(*DEFAULT_LIMITS)


def test_info_counts_forward_and_inverse_plans_and_clear_empties_it():
    sg.clear_fft_plan_cache()
    assert sg.fft_plan_cache_info() == (0, 0)
    x = np.random.default_rng(0).standard_normal(1001)
    sg.compute_fft(x)
    sg.compute_fft(x)  # the same plan again
    assert sg.fft_plan_cache_info() == (1, 0)
    sg.compute_irfft(sg.compute_fft(x), 1001)
    assert sg.fft_plan_cache_info() == (1, 1)
    forward, inverse = sg.fft_plan_cache_info()
    assert isinstance(forward, int) and isinstance(inverse, int)
    sg.clear_fft_plan_cache()
    assert sg.fft_plan_cache_info() == (0, 0)
    np.testing.assert_allclose(sg.compute_fft(x).numpy(), np.fft.rfft(x), rtol=1e-12, atol=1e-12)


def test_bounded_by_count_least_recently_used_first():
    sg.clear_fft_plan_cache()
    _C.set_fft_plan_cache_limits(4, 1 << 30)
    x = np.random.default_rng(1).standard_normal(600)
    for n in range(500, 510):
        sg.compute_fft(x, n)
        sg.compute_fft(x, 500)  # kept recent, so never the one evicted
    assert sg.fft_plan_cache_info() == (4, 0)
    _, _, bytes_before, *_ = _C.fft_plan_cache_info()
    sg.compute_fft(x, 500)  # a hit: nothing planned, nothing evicted
    assert _C.fft_plan_cache_info()[2] == bytes_before
    _C.set_fft_plan_cache_limits(2, 1 << 30)  # shrinking evicts at once
    assert sg.fft_plan_cache_info() == (2, 0)


def test_bounded_by_bytes_and_a_plan_over_budget_is_not_kept():
    sg.clear_fft_plan_cache()
    budget = 1 << 20
    _C.set_fft_plan_cache_limits(256, budget)
    x = np.random.default_rng(2).standard_normal(70_000).astype(np.float32)
    for n in range(20_000, 20_040):
        sg.compute_fft(x, n)
        assert _C.fft_plan_cache_info()[2] <= budget
    assert 0 < sg.fft_plan_cache_info()[0] < 40
    sg.clear_fft_plan_cache()
    spectrum = sg.compute_fft(x)  # 70,000 points: over the whole budget, planned for the call only
    assert sg.fft_plan_cache_info() == (0, 0)
    np.testing.assert_allclose(spectrum.numpy(), np.fft.rfft(x.astype(np.float64)), rtol=1e-3,
                               atol=1e-3 * np.sqrt(x.size))


def test_clearing_and_shrinking_from_another_thread_while_transforms_run():
    # Plans evicted or cleared mid-call stay alive for that call (shared ownership): every result
    # stays right and nothing crashes while one thread keeps clearing and resizing the cache.
    rng = np.random.default_rng(3)
    signals = [rng.standard_normal(n) for n in range(3000, 3024)]
    expected = [np.fft.rfft(s) for s in signals]
    stop = threading.Event()
    errors = []

    def transform(offset):
        try:
            for round_ in range(6):
                for i in range(offset, len(signals), 3):
                    out = sg.compute_fft(signals[i]).numpy()
                    np.testing.assert_allclose(out, expected[i], rtol=1e-10, atol=1e-9)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def churn():
        limits = [(1, 1 << 30), (3, 1 << 16), DEFAULT_LIMITS]
        i = 0
        while not stop.is_set():
            sg.clear_fft_plan_cache()
            _C.set_fft_plan_cache_limits(*limits[i % 3])
            i += 1

    workers = [threading.Thread(target=transform, args=(k,)) for k in range(3)]
    churner = threading.Thread(target=churn)
    churner.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    stop.set()
    churner.join(timeout=30)
    assert not errors, errors[0]


def test_limits_are_checked():
    with pytest.raises(ValueError, match="max_plans must be at least 1, got 0"):
        _C.set_fft_plan_cache_limits(0, 1)
    with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
        _C.set_fft_plan_cache_limits(1, -1)


RSS_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import spectrograms as sg

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    count, start, step = map(int, sys.argv[1:])
    clip = np.random.default_rng(0).standard_normal(start + step * count).astype(np.float32)
    sg.compute_fft(clip[:start - 1])  # FFTW's one-time tables
    before = rss()
    for i in range(count):  # whole-clip spectra of clips of distinct lengths
        sg.compute_fft(clip[:start + step * i])
    print("GROWTH", (rss() - before) / 2**20, *sg.fft_plan_cache_info())
    """
)


def rss_growth_mib(count: int, start: int, step: int) -> float:
    done = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(count), str(start), str(step)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    growth, forward, inverse = done.stdout.split("GROWTH", 1)[1].split()
    assert int(forward) <= DEFAULT_LIMITS[0] and int(inverse) == 0
    return float(growth)


# Under make sanitize, ASan's allocator quarantine and shadow memory are what RSS would measure.
not_under_asan = pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                                    reason="RSS under the ASan runtime measures its quarantine, not the cache")


@not_under_asan
def test_a_thousand_distinct_lengths_keep_memory_flat():
    # 1 s clips and a little longer. Unbounded, these 1,000 plans held about 120 MiB.
    assert rss_growth_mib(1000, 16_000, 3) <= 64


@pytest.mark.slow
@not_under_asan
def test_five_thousand_distinct_lengths_cost_at_most_64_mib():
    # Shorter clips (0.25 to 0.56 s at 16 kHz) keep this under half a minute.
    assert rss_growth_mib(5000, 4000, 1) <= 64


def test_huge_prime_transforms_are_planned_without_hanging():
    # FFTW_MEASURE timed candidate algorithms for 230 s on n_fft = 1048583 (prime); beyond 2^16 points the
    # plans are estimated. A subprocess with a limit far above the estimate's ~1 s turns a hang into a failure.
    script = ("import numpy as np, spectrograms as sg\n"
              "n = 1048583\n"
              "params = sg.SpectrogramParams(sg.StftParams(n, n // 2), 16000)\n"
              "out = sg.compute_linear_power_spectrogram(np.ones(2 * n, dtype=np.float32), params)\n"
              "assert out.shape == (n // 2 + 1, 5) and np.isfinite(out.data).all()\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
