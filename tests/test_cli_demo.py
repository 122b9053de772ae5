"""`spectrograms demo` without the [lightning] extra: one line naming the extra and what is missing, exit 2,
before any training starts. (The demo itself runs in tests/test_recipes.py.)"""

from __future__ import annotations

import sys

import pytest

from spectrograms.__main__ import main


@pytest.mark.parametrize("absent", [["lightning"], ["torchmetrics", "matplotlib"]])
def test_demo_names_the_missing_extra_in_one_line(absent, monkeypatch, capsys):
    for module in absent:
        monkeypatch.setitem(sys.modules, module, None)  # import of it raises ImportError
    assert main(["demo", "--trainer.max_epochs", "1"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    prefix = "spectrograms demo: error: the demo needs the [lightning] extra (missing: "
    suffix = "); install it with: pip install 'spectrograms[lightning]'"
    assert line.startswith(prefix) and line.endswith(suffix), line
    # lightning itself fails to import without torchmetrics, so it may be named too.
    assert set(absent) <= set(line[len(prefix):-len(suffix)].split(", ")), line
    assert captured.out == ""


def test_demo_finds_the_extra_where_installed():
    pytest.importorskip("lightning")
    pytest.importorskip("torchmetrics")
    from spectrograms.demo import missing_extra

    assert missing_extra() is None
