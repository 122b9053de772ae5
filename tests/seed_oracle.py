"""The seed library (``spectrograms`` 2.1.3, cp312 only) as a test oracle, run in its own venv.

``run_seed(script, **arrays)`` runs ``script`` in ``.venv-seed`` (made by ``make seed-venv``) with the
seed package imported as ``sg``, NumPy as ``np`` and the given arrays as variables; whatever the script
puts in the dict ``out`` (arrays, numbers, or the text of an exception) comes back. One subprocess per
call, so a test batches its cases into one script. Tests that need it are skipped, saying why, where the
venv is missing.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile

import numpy as np
import pytest

SEED_PYTHON = pathlib.Path(__file__).resolve().parents[1] / ".venv-seed" / "bin" / "python"

_PRELUDE = """
import sys, numpy as np, spectrograms as sg
assert sg.__file__.find('.venv-seed') >= 0, sg.__file__  # never our own package
data = dict(np.load(sys.argv[1], allow_pickle=False))
globals().update(data)
out = {}
def error_of(call):
    try:
        call()
    except Exception as exc:
        return type(exc).__name__ + ': ' + str(exc)
    return ''
"""

_EPILOGUE = """
arrays = {k: np.asarray(v) for k, v in out.items()}
np.savez(sys.argv[2], **arrays)
"""

needs_seed = pytest.mark.skipif(not SEED_PYTHON.exists(),
                                reason="the seed library's venv (.venv-seed, 'make seed-venv') is missing")


def run_seed(script: str, **arrays) -> dict:
    """Runs ``script`` under the seed library and returns its ``out`` dict (NumPy values)."""
    with tempfile.TemporaryDirectory() as folder:
        inputs, outputs = pathlib.Path(folder, "in.npz"), pathlib.Path(folder, "out.npz")
        np.savez(inputs, **{name: np.asarray(value) for name, value in arrays.items()})
        # -P, a neutral cwd and no PYTHONPATH: the seed venv must not import this checkout's package.
        env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
        result = subprocess.run([str(SEED_PYTHON), "-P", "-c", _PRELUDE + script + _EPILOGUE, str(inputs),
                                 str(outputs)], capture_output=True, text=True, cwd=folder, env=env, timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"the seed script failed:\n{result.stderr[-4000:]}")
        with np.load(outputs, allow_pickle=False) as loaded:
            return {name: loaded[name] for name in loaded.files}
