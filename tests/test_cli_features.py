"""`spectrograms features`: a file, a folder and a manifest to .npy/.npz/.safetensors plus a manifest,
equal to the library's own plan on the same audio; bad inputs give a one-line error."""

from __future__ import annotations

import csv

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")

from spectrograms.__main__ import main  # noqa: E402
from spectrograms.data.datamodule import FeatureConfig  # noqa: E402
from spectrograms.data.datasets import load_audio  # noqa: E402


def _tone(path, seconds, frequency):
    t = np.arange(int(16000 * seconds)) / 16000
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32), 16000)


@pytest.fixture
def corpus(tmp_path):
    for label, frequency in [("high", 3000.0), ("low", 300.0)]:
        (tmp_path / "corpus" / label).mkdir(parents=True)
        _tone(tmp_path / "corpus" / label / "a.wav", 0.5, frequency)
        _tone(tmp_path / "corpus" / label / "b.wav", 0.75, frequency)
    return tmp_path / "corpus"


def test_folder_to_npy_matches_the_plan(corpus, tmp_path):
    out = tmp_path / "feats"
    assert main(["features", str(corpus), "-o", str(out), "--kind", "mel", "--n-bands", "40", "--no-progress"]) == 0
    rows = list(csv.DictReader(open(out / "manifest.csv")))
    assert sorted(r["features"] for r in rows) == ["high/a.npy", "high/b.npy", "low/a.npy", "low/b.npy"]
    plan = FeatureConfig(kind="mel", n_bands=40).build_plan()
    for row in rows:
        saved = np.load(out / row["features"])
        expected = plan.compute(load_audio(row["path"], 16000)).data
        np.testing.assert_allclose(saved, expected, rtol=1e-6, atol=1e-5)
        assert saved.shape == (40, int(row["n_frames"])) and row["label"] in ("0", "1")


@pytest.mark.parametrize("fmt", ["npz", "safetensors"])
def test_single_file_carries_axes(corpus, tmp_path, fmt):
    if fmt == "safetensors":
        pytest.importorskip("safetensors")
    out = tmp_path / "one"
    wav = corpus / "low" / "a.wav"
    assert main(["features", str(wav), "-o", str(out), "--kind", "mfcc", "--format", fmt, "--no-progress"]) == 0
    if fmt == "npz":
        data = dict(np.load(out / "a.npz"))
    else:
        from safetensors.numpy import load_file

        data = load_file(str(out / "a.safetensors"))
    assert data["features"].shape == (13, data["times"].shape[0])
    assert data["frequencies"].shape == (13,)


def test_bad_input_and_parameters_are_one_line_errors(tmp_path, capsys):
    assert main(["features", str(tmp_path / "missing"), "-o", str(tmp_path / "o")]) == 2
    assert "input=" in capsys.readouterr().err
    (tmp_path / "x.wav").write_bytes(b"not audio")
    assert main(["features", str(tmp_path / "x.wav"), "-o", str(tmp_path / "o"), "--kind", "nope"]) == 2
    assert "kind" in capsys.readouterr().err
    assert main(["features", str(tmp_path / "x.wav"), "-o", str(tmp_path / "o"), "--no-progress"]) == 1
    assert (tmp_path / "o" / "errors.csv").exists()
