"""The benchmark's command line runs and writes its figures (a smoke test: timings are not asserted)."""

import json

from spectrograms import bench


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
    assert "| seed_batch/batched |" in capsys.readouterr().out
