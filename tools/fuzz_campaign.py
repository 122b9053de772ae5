"""A randomised fuzz campaign over every public entry point, counted rather than stopped at the first
finding: ``python tools/fuzz_campaign.py --examples 300 --out /tmp/fuzz``.

Each fuzz test file runs its ``fuzz``-marked long tests in its own pytest subprocess with fresh draws
(``HYPOTHESIS_PROFILE=random``), under an address-space limit (an allocation beyond it is a
MemoryError, counted as a foreign exception, instead of taking the machine down) and a wall-clock
limit. ``tests/fuzz_harness.py`` classifies and counts every call; this script adds what only the
parent can see: a process killed by a signal (a crash; the harness's ``.inflight`` file names the
call) and a process past its time limit (a hang). It prints one table and writes ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "<file>@k/n": the k-th of n shards of that file's targets (SPECTROGRAMS_FUZZ_SHARD), so the largest
# file's targets spread over the worker processes.
FILES = ["tests/test_fuzz_entry_points.py@0/2", "tests/test_fuzz_entry_points.py@1/2", "tests/test_reliability.py",
         "tests/test_fuzz_params.py", "tests/test_fuzz_binaural.py", "tests/test_fuzz_data.py"]
OUTCOMES = ("ok", "refused", "unnamed", "foreign", "garbage", "hang")


def _limit_memory(gib: float):
    def apply():
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def run_file(entry: str, examples: int, out: Path, timeout: float, memory_gib: float, seed: int | None):
    test_file, _, shard = entry.partition("@")
    record = out / (Path(test_file).stem + (f"-{shard.replace('/', 'of')}" if shard else "") + ".json")
    for stale in (record, Path(str(record) + ".inflight")):
        stale.unlink(missing_ok=True)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "random", "SPECTROGRAMS_FUZZ_EXAMPLES": str(examples),
           "SPECTROGRAMS_FUZZ_RECORD": str(record), "PYTHONWARNINGS": "ignore",
           "SPECTROGRAMS_FUZZ_SHARD": shard, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "fuzz", "-W", "ignore",
               test_file]
    if seed is not None:
        command += ["--hypothesis-seed", str(seed)]
    began = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_limit_memory(memory_gib))
        status, tail = done.returncode, (done.stdout + done.stderr)[-3000:]
    except subprocess.TimeoutExpired as expired:
        status, tail = "timeout", str(expired.stdout or "")[-3000:]
    elapsed = time.perf_counter() - began
    result = json.loads(record.read_text()) if record.exists() else {"counts": {}, "findings": {}}
    inflight = Path(str(record) + ".inflight")
    last_call = inflight.read_text().strip() if inflight.exists() else ""
    process = {"file": entry, "status": status, "seconds": round(elapsed, 1), "tail": tail}
    if status == "timeout":
        process["hang"] = last_call
    elif isinstance(status, int) and status < 0:
        process["crash"] = f"signal {-status} during {last_call}"
    elif status not in (0, 5):  # 5: nothing collected
        process["error"] = f"pytest exited {status} (a test itself failed: see tail)"
    return result, process


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per fuzz test (one per entry point)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/spectrograms-fuzz"))
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per test file")
    parser.add_argument("--memory-gib", type=float, default=12.0, help="address-space limit per process")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: fresh)")
    parser.add_argument("--jobs", type=int, default=2, help="test files run at once (one process each)")
    parser.add_argument("files", nargs="*", default=FILES)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    totals, per_target, findings, processes = Counter(), {}, {}, []
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        runs = list(pool.map(lambda f: run_file(f, args.examples, args.out, args.timeout, args.memory_gib, args.seed),
                             args.files))
    for test_file, (result, process) in zip(args.files, runs):
        processes.append(process)
        for target, counts in result["counts"].items():
            per_target[target] = counts
            totals.update(counts)
        findings.update(result["findings"])
        print(f"{test_file}: {process['status']} in {process['seconds']} s, "
              f"{sum(sum(c.values()) for c in result['counts'].values())} calls", flush=True)

    crashes = sum("crash" in p for p in processes)
    hangs = totals["hang"] + sum("hang" in p for p in processes)
    summary = {"calls": sum(totals.values()), "crashes": crashes, "hangs": hangs,
               "garbage": totals["garbage"], "foreign exceptions": totals["foreign"],
               "refusals naming no parameter": totals["unnamed"], "refused by name": totals["refused"],
               "ok": totals["ok"], "entry points": len(per_target), "examples per test": args.examples}
    (args.out / "summary.json").write_text(json.dumps(
        {"summary": summary, "per_target": per_target, "findings": findings, "processes": processes}, indent=1))
    width = max(map(len, per_target), default=10)
    print(f"\n{'entry point':<{width}}  " + "  ".join(f"{o:>8}" for o in OUTCOMES))
    for target in sorted(per_target):
        print(f"{target:<{width}}  " + "  ".join(f"{per_target[target].get(o, 0):>8}" for o in OUTCOMES))
    print()
    for key, value in summary.items():
        print(f"{key}: {value}")
    for target, kept in sorted(findings.items()):
        for finding in kept:
            print(f"\n[{finding['outcome']}] {target}: {finding['detail'][:500]}\n    arguments: {finding['arguments']}")
    for process in processes:
        for key in ("crash", "hang", "error"):
            if key in process:
                print(f"\n[{key}] {process['file']}: {process[key]}\n{process['tail'][-1500:]}")
    bad = crashes + hangs + totals["garbage"] + totals["foreign"] + totals["unnamed"]
    bad += sum("error" in p for p in processes)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
