"""What every fuzz test shares: one call of a public entry point, classified.

Each call ends in one of these outcomes:

* ``ok``: it returned, and the test's check (finite values, documented shape) passed;
* ``refused``: it raised a ``SpectrogramError`` whose message names the parameter (when the test
  says which one it made invalid);
* ``unnamed``: a ``SpectrogramError`` that names none of the parameters it should;
* ``foreign``: any other exception (the README promises only the library's own);
* ``garbage``: it returned, but the check failed (non-finite values, a wrong shape, an invalid value
  accepted and used);
* ``hang``: it took longer than ``SPECTROGRAMS_FUZZ_HANG_SECONDS`` (default 30 s).

Under pytest anything but ``ok`` and ``refused`` fails the test. Under ``tools/fuzz_campaign.py``
(``SPECTROGRAMS_FUZZ_RECORD=<file.json>``) nothing fails: every outcome is counted, the first few
findings of each kind are kept with their arguments, and the counts are written to that file when the
process exits, so one run measures a whole campaign. The entry point being called is written to
``<file.json>.inflight`` first, so a call that kills the interpreter is still named.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import time
import traceback

from spectrograms.errors import SpectrogramError

HANG_SECONDS = float(os.environ.get("SPECTROGRAMS_FUZZ_HANG_SECONDS", "30"))
RECORD_PATH = os.environ.get("SPECTROGRAMS_FUZZ_RECORD")
FUZZ_EXAMPLES = int(os.environ.get("SPECTROGRAMS_FUZZ_EXAMPLES", "0"))
OUTCOMES = ("ok", "refused", "unnamed", "foreign", "garbage", "hang")
FINDINGS_KEPT = 3

_counts: collections.Counter = collections.Counter()
_findings: dict[str, list[dict]] = collections.defaultdict(list)


class FuzzFinding(AssertionError):
    """A call that ended in a finding (raised under pytest only)."""


class Garbage(Exception):
    """Raised by :func:`expect` inside a call that checks its own results (an object's use)."""


def expect(condition, message: str) -> None:
    """Like ``assert``, but counted as garbage even when raised inside the call itself."""
    if not condition:
        raise Garbage(message)


def _write_record() -> None:
    per_target: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for (target, outcome), count in sorted(_counts.items()):
        per_target[target][outcome] = count
    with open(RECORD_PATH, "w") as file:
        json.dump({"counts": per_target, "findings": _findings}, file, indent=1)


if RECORD_PATH:
    atexit.register(_write_record)


def _describe(arguments) -> str:
    text = repr(arguments)
    return text if len(text) <= 400 else text[:400] + "..."


def fuzz_call(target: str, call, check=None, *, names: tuple[str, ...] = (), arguments=None):
    """Calls ``call()`` and classifies the outcome (module docstring).

    Args:
        target: the entry point's name, the key the outcome is counted under.
        call: the call, without arguments.
        check: called with the result; raises AssertionError when the result is garbage.
        names: when given, a refusal must name at least one of them (the parameters made invalid).
        arguments: what the call was made with, for the report.

    Returns:
        the result, or None when the call was refused (or, while recording, ended in a finding).
    """
    if RECORD_PATH:
        with open(RECORD_PATH + ".inflight", "w") as file:
            file.write(f"{target}: {_describe(arguments)}\n")
    began = time.perf_counter()
    result, detail = None, ""
    try:
        result = call()
    except Garbage as error:
        outcome, detail = "garbage", str(error)[:300]
    except SpectrogramError as error:
        message = str(error)
        outcome = "refused" if message and (not names or any(n in message for n in names)) else "unnamed"
        detail = f"{type(error).__name__}: {message[:300]} (should name one of {names})"
    except Exception as error:  # noqa: BLE001 - the point: anything else is a finding
        outcome = "foreign"
        detail = f"{type(error).__name__}: {str(error)[:300]}\n{traceback.format_exc(limit=-3)[-1500:]}"
    else:
        outcome = "ok"
        if check is not None:
            try:
                check(result)
            except Exception as error:  # noqa: BLE001 - a failed or broken check: garbage either way
                outcome = "garbage"
                detail = f"{type(error).__name__}: {str(error)[:300]}"
    elapsed = time.perf_counter() - began
    if elapsed > HANG_SECONDS:
        outcome, detail = "hang", f"{elapsed:.1f} s (limit {HANG_SECONDS:g} s); {detail}"
    _counts[target, outcome] += 1
    if RECORD_PATH and sum(_counts.values()) % 200 == 0:
        _write_record()  # so a crash that kills the process loses at most the last 200 calls' counts
    if outcome in ("ok", "refused"):
        return result if outcome == "ok" else None
    finding = {"outcome": outcome, "detail": detail, "arguments": _describe(arguments)}
    if RECORD_PATH:
        kept = _findings[target]
        if sum(f["outcome"] == outcome for f in kept) < FINDINGS_KEPT:
            kept.append(finding)
        return None
    raise FuzzFinding(f"{target}: {outcome}: {detail}\narguments: {finding['arguments']}")


def long_run_examples() -> int:
    """Examples per test of the long (``fuzz``-marked) run; at least 1 so its decorators still build."""
    return max(FUZZ_EXAMPLES, 1)
