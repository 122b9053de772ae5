"""The benchmark's command line runs and writes its figures (a smoke test: timings are not asserted)."""

import json

from spectrograms import bench
from spectrograms.bench_compat import compat_rows, compat_table
from tests.seed_oracle import needs_seed


def test_quick_run_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--no-peers", "--workload", "seed_batch/batched", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    seconds = figures["workloads"]["seed_batch/batched"]["seconds"]
    assert set(seconds) == {"ours_1t", "ours_nt", "floor_1t", "floor_nt"} and min(seconds.values()) > 0
    assert [s["clip_seconds"] for s in figures["python_threads"]] == [1, 4]
    assert all(s["speedup"] > 0 for s in figures["python_threads"])
    memory = figures["peak_memory"]
    assert "error" not in memory and memory["output_mib"] > 0
    compat = {row["workload"].split(",")[0]: row["seconds"] for row in figures["compat"]}
    assert set(compat) == {"cqt 84 bins", "ild"} and all(set(t) == {"ours_f64", "ours_f32"} for t in compat.values())
    assert "| seed_batch/batched |" in capsys.readouterr().out


@needs_seed
def test_compat_rows_time_the_seed_library_and_librosa():
    rows, notes = compat_rows(quick=True)
    assert notes == []
    cqt, ild = rows
    assert set(cqt["ratios"]) == {"seed_f64/ours_f64", "librosa_f32/ours_f32"} and set(ild["ratios"]) == {"seed_f64/ours_f64"}
    assert min(min(row["seconds"].values()) for row in rows) > 0
    assert "| cqt 84 bins, 10 s at 22.05 kHz |" in compat_table(rows)
