"""The command lines as a user runs them, each in a fresh process started outside the repository:
the recipe's fit -> test -> predict (on its test split and on a folder of new files) -> refit from the
saved config.yaml, its one-line errors, and the ``spectrograms`` console entry (``python -m``).

Tiny synthetic sets (48 items) and one or two short epochs keep the whole file under a minute.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "audio_classification.py"
CONFIG = ROOT / "configs" / "audio_classification.yaml"
TINY = ["--data.n_items", "48", "--data.batch_size", "8", "--data.num_workers", "0"]


def _run(args: list, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONPATH", None)  # the class paths must resolve from the installed package alone
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _outputs(path: Path) -> list[str]:
    return ["--trainer.default_root_dir", str(path), "--trainer.logger.save_dir", str(path)]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Path:
    """A 2-epoch fit run as the README writes it, from a folder outside the repository."""
    work = tmp_path_factory.mktemp("fit")
    result = _run([RECIPE, "fit", "--config", CONFIG, *TINY, "--trainer.max_epochs", "2",
                   "--trainer.limit_train_batches", "2", *_outputs(work / "out")], cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    return work


def test_fit_keeps_the_lowest_val_loss_and_last_ckpt(fitted):
    version = fitted / "out" / "lightning_logs" / "version_0"
    names = sorted(p.name for p in (version / "checkpoints").glob("*.ckpt"))
    assert "last.ckpt" in names and any("val_loss=" in name for name in names), names
    assert "spectrograms.recipes.audio_classification.AudioClassifier" in (version / "config.yaml").read_text()


def test_test_predict_and_refit_from_fresh_processes(fitted):
    version = fitted / "out" / "lightning_logs" / "version_0"
    checkpoint = version / "checkpoints" / "last.ckpt"
    common = ["--config", CONFIG, *TINY, "--ckpt_path", checkpoint, *_outputs(fitted / "eval")]
    tested = _run([RECIPE, "test", *common], cwd=fitted)
    assert tested.returncode == 0 and "test_acc" in tested.stdout, tested.stderr[-3000:]

    new = fitted / "new audio"
    new.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.wav", "b.flac"):
        sf.write(new / name, (0.1 * rng.standard_normal(8000)).astype(np.float32), 16000)
    predicted = _run([RECIPE, "predict", *common, "--data.predict_files", new], cwd=fitted)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    written = Path(predicted.stdout.split("predictions written to ")[1].split()[0])
    with written.open() as file:
        rows = list(csv.DictReader(file))
    assert [Path(row["path"]).name for row in rows] == ["a.wav", "b.flac"]
    assert all(row["label"] == "" and 0 < float(row["probability"]) <= 1 for row in rows)
    assert all(row["top_k"].split(";")[0].split(":")[0] == row["prediction"] for row in rows)

    # The saved config names the package's classes, so a refit resolves it from anywhere.
    refit = _run([RECIPE, "fit", "--config", version / "config.yaml", "--trainer.max_epochs", "1",
                  "--trainer.limit_train_batches", "1", "--trainer.limit_val_batches", "1",
                  *_outputs(fitted / "refit")], cwd=fitted)
    assert refit.returncode == 0, refit.stderr[-3000:]
    assert list((fitted / "refit").glob("lightning_logs/version_*/checkpoints/last.ckpt"))


def test_a_wrong_data_root_is_one_line(tmp_path):
    result = _run([RECIPE, "fit", "--config", ROOT / "configs" / "audio_folder.yaml", "--data.root",
                   tmp_path / "missing", *_outputs(tmp_path)], cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and line != "Seed set to 0"]
    assert lines == [f"error: {tmp_path / 'missing'}: dataset root folder not found"], result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_module_form_resolves_the_same_classes(tmp_path):
    # `python -m` runs the recipe as __main__; its class paths must still be the package's.
    result = _run(["-m", "spectrograms.recipes.audio_classification", "fit", "--config",
                   ROOT / "configs" / "audio_folder.yaml", "--data.root", tmp_path / "missing", *_outputs(tmp_path)],
                  cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {tmp_path / 'missing'}: dataset root folder not found" in result.stderr, result.stderr[-3000:]


def test_a_folder_config_without_root_is_refused(tmp_path):
    result = _run([RECIPE, "fit", "--config", ROOT / "configs" / "audio_folder.yaml", *_outputs(tmp_path)],
                  cwd=tmp_path)
    assert result.returncode != 0
    assert "required: root" in result.stderr, result.stderr[-3000:]
    assert not list(tmp_path.rglob("*.ckpt"))  # nothing trained on a fallback data set


def test_module_entry_lists_its_subcommands(tmp_path):
    result = _run(["-m", "spectrograms", "--help"], cwd=tmp_path)
    assert result.returncode == 0
    assert all(command in result.stdout for command in ("demo", "bench", "info"))
    version = _run(["-m", "spectrograms", "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("spectrograms ")
    unknown = _run(["-m", "spectrograms", "nope"], cwd=tmp_path)
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_info_reports_versions_and_threads(tmp_path):
    result = _run(["-m", "spectrograms", "info"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert all(key in result.stdout for key in ("spectrograms", "torch", "threads", "built against"))
