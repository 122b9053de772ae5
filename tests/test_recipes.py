"""Tests for recipes/ and configs/: the Lightning classifier and its CLI (every config smoke-run,
fit -> checkpoint -> test/predict, a 2-process DDP run), the make-demo entry, and the JAX recipe.

Runs use tiny synthetic sets (48-64 items) and a few steps, in this process except the DDP run,
which Lightning starts as a script of its own.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from recipes import jax_classification
from spectrograms.recipes.audio_classification import (
    AudioClassifier,
    cli_main,
    masked_max,
    masked_mean,
    masked_standardize,
)
from spectrograms import demo
from spectrograms.data.datamodule import FeatureConfig, SpectrogramCollate, SpectrogramDataModule
from spectrograms.data.synthetic import synthesize

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# cli_main(args) in a pytest process: the CLI warns that sys.argv (pytest's) is ignored, as intended.
pytestmark = [pytest.mark.filterwarnings("ignore:LightningCLI's args parameter:UserWarning"),
              pytest.mark.usefixtures("restore_torch_threads")]

TINY = ["--data.n_items", "48", "--data.batch_size", "8", "--data.num_workers", "0"]


def _outputs(path: Path) -> list[str]:
    return ["--trainer.default_root_dir", str(path), "--trainer.logger.save_dir", str(path)]


def _audio_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for name in ("chirp_down", "noise_burst"):
        (root / name).mkdir(parents=True)
        for i in range(8):
            sf.write(root / name / f"{i}.flac", synthesize(name, 8000, 16000, rng), 16000)
    return root


# ---------------------------------------------------------------------------------- masked pooling


def test_masked_pooling_and_standardisation_ignore_the_padding():
    x = torch.randn(2, 3, 10)
    lengths = torch.tensor([4, 10])
    padded = x.clone()
    padded[0, :, 4:] = 1e6
    short = x[:1, :, :4]
    torch.testing.assert_close(masked_mean(padded, lengths)[0], short.mean(-1)[0])
    torch.testing.assert_close(masked_max(padded, lengths)[0], short.amax(-1)[0])
    standard = masked_standardize(padded, lengths)
    expected = (short[0] - short.mean()) / short.std(unbiased=False)
    torch.testing.assert_close(standard[0, :, :4], expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(standard[1], masked_standardize(x[1:], lengths[1:])[0])


def test_classifier_output_does_not_depend_on_frames_past_the_length():
    torch.manual_seed(0)
    model = AudioClassifier(n_classes=5, n_bins=16).eval()
    features = torch.randn(2, 16, 160) * 20 - 30
    features[0, :, 40:] = -80.0  # item 0 has 40 frames, padded with the dB floor
    lengths = torch.tensor([40, 160])
    garbage = features.clone()
    garbage[0, :, 100:] = 500.0  # beyond the receptive field of item 0's last valid frames
    with torch.no_grad():
        logits = model(features, lengths)
        torch.testing.assert_close(model(garbage, lengths), logits)
        # ...and the lengths are used: without them the padding enters the pooling.
        assert not torch.allclose(model(features)[0], logits[0])
    assert logits.shape == (2, 5)
    with pytest.raises(ValueError, match="n_bins=16"):
        model(torch.zeros(1, 8, 20))


# ----------------------------------------------------------------------------------------------- CLI


def test_every_config_is_covered_by_a_test():
    # Each config below is smoke-run by one of the tests in this file; a new config needs one too.
    assert {p.name for p in CONFIGS.glob("*.yaml")} == {
        "audio_classification.yaml", "audio_folder.yaml", "ddp.yaml", "jax_classification.yaml", "shards.yaml",
        "kaldi_fbank.yaml", "whisper.yaml"}  # the front-end configs: tests/test_frontend_kinds.py


@pytest.mark.parametrize("config", ["audio_classification.yaml", "audio_folder.yaml"])
def test_lightning_configs_smoke_run(config, tmp_path):
    extra = ["--data.root", str(_audio_folder(tmp_path / "audio"))] if config == "audio_folder.yaml" else []
    cli = cli_main(["fit", "--config", str(CONFIGS / config), *TINY, *extra, "--trainer.fast_dev_run", "2",
                    *_outputs(tmp_path)])
    assert cli.trainer.state.finished
    # Linked from the data module: the synthetic set's 8 classes or the folder's 2, and its 64 mel bands.
    assert cli.model.hparams.n_classes == (2 if extra else 8) and cli.model.hparams.n_bins == 64
    assert {"train_loss_step", "val_loss", "val_acc"} <= set(cli.trainer.callback_metrics)
    if extra:
        assert cli.datamodule.classes == ["chirp_down", "noise_burst"]


def test_audio_folder_config_without_root_stops_at_parsing(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli_main(["fit", "--config", str(CONFIGS / "audio_folder.yaml"), *TINY, *_outputs(tmp_path)])
    assert stopped.value.code == 2 and "required: root" in capsys.readouterr().err


def test_shards_config_extracts_then_trains_from_the_shards(tmp_path, capsys):
    from spectrograms.__main__ import main as command_line

    audio = _audio_folder(tmp_path / "audio")
    # The README's two commands: extract with the config's features, then fit from the shards.
    assert command_line(["extract", str(audio), str(tmp_path / "features"), "--feature-config",
                         str(CONFIGS / "shards.yaml"), "--dtype", "float32", "--workers", "1",
                         "--shard-size", "5", "--no-progress"]) == 0
    assert '"n_items": 16' in capsys.readouterr().out
    cli = cli_main(["fit", "--config", str(CONFIGS / "shards.yaml"), "--data.precomputed", str(tmp_path / "features"),
                    "--data.batch_size", "4", "--data.num_workers", "0", "--trainer.max_epochs", "2",
                    "--trainer.limit_train_batches", "2", *_outputs(tmp_path)])
    assert cli.trainer.state.finished and cli.trainer.current_epoch == 2
    assert cli.datamodule.classes == ["chirp_down", "noise_burst"] and len(cli.datamodule.dataset) == 16
    assert cli.model.hparams.n_classes == 2 and cli.model.hparams.n_bins == 64
    assert {"train_loss_epoch", "val_loss", "val_acc"} <= set(cli.trainer.callback_metrics)
    assert Path(cli.trainer.checkpoint_callback.best_model_path).is_file()


def test_shards_config_without_precomputed_stops_at_parsing(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli_main(["fit", "--config", str(CONFIGS / "shards.yaml"), *_outputs(tmp_path)])
    assert stopped.value.code == 2 and "required: precomputed" in capsys.readouterr().err


def test_the_package_ships_the_same_configs_as_the_checkout():
    from spectrograms.recipes import CONFIGS as PACKAGED

    assert {p.name: p.read_text() for p in PACKAGED.glob("*.yaml")} == {
        p.name: p.read_text() for p in CONFIGS.glob("*.yaml")}


def test_fit_saves_the_best_checkpoint_then_test_and_predict_from_it(tmp_path):
    features = ["--data.init_args.features.kind", "erb", "--data.init_args.features.n_bands", "24"]
    fit = cli_main(["fit", "--config", str(CONFIGS / "audio_classification.yaml"), *TINY, *features,
                    "--trainer.max_epochs", "2", "--trainer.limit_train_batches", "2",
                    "--trainer.log_every_n_steps", "1",
                    *_outputs(tmp_path)])
    callback = fit.trainer.checkpoint_callback
    checkpoint = Path(callback.best_model_path)
    assert checkpoint.is_file() and "val_loss=" in checkpoint.name
    assert (checkpoint.parent / "last.ckpt").is_file()
    assert callback.monitor == "val_loss" and callback.mode == "min" and fit.model.hparams.n_bins == 24
    with open(Path(fit.trainer.log_dir) / "metrics.csv") as file:
        columns = next(csv.reader(file))
    assert {"train_loss_step", "train_loss_epoch", "train_acc", "val_loss", "val_acc"} <= set(columns)

    common = ["--config", str(CONFIGS / "audio_classification.yaml"), *TINY, *features, "--ckpt_path",
              str(checkpoint), *_outputs(tmp_path)]
    tested = cli_main(["test", *common])
    assert 0.0 <= float(tested.trainer.callback_metrics["test_acc"]) <= 1.0

    predicted = cli_main(["predict", *common])
    with open(Path(predicted.trainer.log_dir) / "predictions.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(predicted.datamodule.splits["test"]) == 8
    classes = set(predicted.datamodule.classes)
    assert all(row["label"] in classes and row["prediction"] in classes for row in rows)
    assert all(1 / 8 <= float(row["probability"]) <= 1 for row in rows)
    assert [row["path"] for row in rows] == [f"synthetic:{i}" for i in predicted.datamodule.splits["test"].indices]
    top = [entry.split(":") for entry in rows[0]["top_k"].split(";")]
    assert len(top) == 3 and top[0] == [rows[0]["prediction"], rows[0]["probability"]]
    assert float(top[0][1]) >= float(top[1][1]) >= float(top[2][1])


def test_lightning_recipe_learns_a_batch(tmp_path):
    # Twenty updates on one batch of 16 must fit it: the loss, gradients, optimiser and schedule work.
    cli = cli_main(["fit", "--config", str(CONFIGS / "audio_classification.yaml"), *TINY,
                    "--data.batch_size", "16", "--trainer.overfit_batches", "1", "--trainer.max_epochs", "20",
                    "--model.init_args.lr", "0.01",
                    *_outputs(tmp_path)])
    metrics = cli.trainer.callback_metrics
    assert float(metrics["train_loss_epoch"]) < 0.3 * math.log(8), metrics
    assert float(metrics["train_acc"]) >= 0.9


def test_ddp_with_two_processes_on_cpu(tmp_path):
    # A script of its own: Lightning's DDP launcher starts the second process by rerunning the command.
    command = [sys.executable, str(ROOT / "recipes" / "audio_classification.py"), "fit",
               "--config", str(CONFIGS / "audio_classification.yaml"), "--config", str(CONFIGS / "ddp.yaml"),
               "--data.n_items", "64", "--data.batch_size", "8", "--trainer.max_epochs", "1",
               "--trainer.limit_train_batches", "2",
               "--trainer.limit_val_batches", "1", *_outputs(tmp_path)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "distributed_backend=gloo" in output and "Starting with 2 processes" in output, output[-4000:]
    assert list(tmp_path.glob("lightning_logs/version_*/checkpoints/*.ckpt")), output[-4000:]


# ---------------------------------------------------------------------------------------------- demo


def test_demo_reports_accuracy_checkpoint_png_and_time(tmp_path, capsys):
    status = demo.main([*TINY, "--trainer.max_epochs", "1", *_outputs(tmp_path)])
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines()
                 if line.split(":", 1)[0] in ("val_acc", "checkpoint", "batch PNG", "wall time"))
    accuracy = float(lines["val_acc"].split()[0])
    assert status == (0 if accuracy >= demo.TARGET_ACCURACY else 1)
    assert Path(lines["checkpoint"].strip()).is_file()
    png = Path(lines["batch PNG"].strip())
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    assert float(lines["wall time"].split()[0]) > 0


# ----------------------------------------------------------------------------------------------- JAX


def test_jax_batch_pads_to_the_frame_bucket_with_the_floor():
    plan = FeatureConfig(n_bands=16).build_plan()
    specs = [plan.compute(np.full(n, 0.1, dtype=np.float32)) for n in (3000, 9000)]
    batch = np.asarray(jax_classification.jax_batch(specs))
    assert batch.shape == (2, 16, 64)  # 36 frames, widened to a multiple of 32
    assert np.all(batch[0, :, 12:] == -80.0) and np.all(batch[1, :, 36:] == -80.0)


def test_jax_recipe_learns_a_batch():
    dm = SpectrogramDataModule(n_items=32, batch_size=16, num_workers=0)
    collate = SpectrogramCollate(dm.features, jax_classification.jax_batch)
    batch = next(iter(dm.loader("train", collate=collate)))
    import jax
    import optax
    from flax.training import train_state

    model = jax_classification.AudioCNN(n_classes=8)
    features, lengths, labels = jax_classification._arrays(batch)
    params = model.init(jax.random.PRNGKey(0), features, lengths)["params"]
    state = train_state.TrainState.create(apply_fn=model.apply, params=params, tx=optax.adam(3e-3))
    losses = []
    for _ in range(40):
        state, loss, accuracy = jax_classification.train_step(state, features, lengths, labels)
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0] and float(accuracy) >= 0.9, losses


def test_jax_recipe_runs_from_its_config(capsys):
    result = jax_classification.main(["--config", str(CONFIGS / "jax_classification.yaml"),
                                      "--data.init_args.n_items", "48", "--data.init_args.batch_size", "8",
                                      "--epochs", "2", "--max_steps", "6"])
    assert result["steps"] == 6
    assert all(math.isfinite(result[key]) for key in ("train_loss", "val_loss", "test_loss"))
    assert 0.0 <= result["val_acc"] <= 1.0 and 0.0 <= result["test_acc"] <= 1.0
    assert "val_acc" in capsys.readouterr().out
