"""spectrograms.extract: input kinds, storage, errors, resume, config checks, Kaldi fbank, Dask."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
import torch

from spectrograms.compliance import kaldi
from spectrograms.data.datamodule import FeatureConfig
from spectrograms.data.datasets import load_audio
from spectrograms.data.precomputed import PrecomputedFeatureDataset
from spectrograms.errors import InvalidInputError
from spectrograms.extract import KaldiFbankConfig, OutputConfigMismatchError, extract, list_inputs

MEL = FeatureConfig(kind="mel", n_bands=40)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, speech):
    samples, rate = speech
    root = tmp_path_factory.mktemp("classes")
    for c, name in enumerate(("a", "b")):
        (root / name).mkdir()
        for i in range(3):
            n = 4000 + 1500 * i + 700 * c
            sf.write(root / name / f"{i}.wav", samples[i * 800: i * 800 + n].astype(np.float32), rate,
                     subtype="FLOAT")
    return root


def _run(inputs, out, **kwargs):
    kwargs = {"feature": MEL, "shard_size": 2, "dtype": "float32", "workers": 1, "progress": False, **kwargs}
    return extract(inputs, out, **kwargs)


def _rows(out):
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def _assert_bitwise_equal_to_direct(out, feature=MEL, same_process=True):
    """Stored features against the same features computed here.

    Bitwise when the shards were computed in this process. Shards computed in other processes
    (Dask workers, a killed run) may not be: the FFTW plans are made with FFTW_MEASURE, which picks an
    algorithm by timing it, so two processes on a loaded machine can pick different (equally correct)
    algorithms that round differently (measured here: 2 of 8 fresh processes computing the same mel
    spectrogram differed from the others). An FFT's rounding error is relative to the frame's energy,
    not to each band's, so a band 60 dB below its frame's loudest differs by ~1e-3 dB: compared in
    power, to 1e-5 of the frame's largest band.
    """
    dataset = PrecomputedFeatureDataset(out)
    assert len(dataset) > 0
    for index, row in enumerate(dataset.rows):
        waveform = load_audio(row["path"], feature.sample_rate)  # whole files in these corpora
        direct = feature.build_plan().compute(waveform).to_torch()
        stored, _ = dataset[index]
        if same_process:
            assert torch.equal(stored, direct)
        else:
            assert stored.shape == direct.shape
            power, power_direct = 10.0 ** (stored.double() / 10), 10.0 ** (direct.double() / 10)
            frame_peak = power_direct.amax(dim=0, keepdim=True)
            assert torch.all((power - power_direct).abs() <= 1e-5 * frame_peak)


def test_folder_with_classes_float32_bitwise(folder, tmp_path):
    summary = _run(folder, tmp_path / "out")
    assert summary.n_items == 6 and summary.n_shards == 3 and summary.n_errors == 0
    rows = _rows(tmp_path / "out")
    assert [r["label"] for r in rows] == [0, 0, 0, 1, 1, 1]
    assert json.loads((tmp_path / "out" / "config.json").read_text())["classes"] == ["a", "b"]
    _assert_bitwise_equal_to_direct(tmp_path / "out")


def test_folder_without_classes_float16_gzip(folder, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in sorted(folder.rglob("*.wav")):
        (flat / f"{path.parent.name}{path.name}").write_bytes(path.read_bytes())
    _run(flat, tmp_path / "out", dtype="float16", compression="gzip")
    dataset = PrecomputedFeatureDataset(tmp_path / "out")
    assert all(r["label"] is None for r in dataset.rows) and len(dataset) == 6
    features, label = dataset[0]
    direct = MEL.build_plan().compute(load_audio(dataset.rows[0]["path"], 16000)).to_torch()
    assert label == -1 and features.dtype == torch.float32
    torch.testing.assert_close(features, direct.half().float(), rtol=0, atol=0)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_manifest_with_offset_duration(folder, tmp_path, suffix):
    files = sorted(folder.rglob("*.wav"))
    records = [{"path": str(p), "label": p.parent.name, "offset": 0.05, "duration": 0.2} for p in files[:3]]
    manifest = tmp_path / f"list{suffix}"
    if suffix == ".csv":
        manifest.write_text("path,label,offset,duration\n" + "".join(
            f"{r['path']},{r['label']},{r['offset']},{r['duration']}\n" for r in records))
    else:
        manifest.write_text("".join(json.dumps(r) + "\n" for r in records))
    _run(manifest, tmp_path / "out")
    dataset = PrecomputedFeatureDataset(tmp_path / "out")
    assert len(dataset) == 3
    for index, row in enumerate(dataset.rows):
        assert row["offset"] == 0.05 and row["duration"] == pytest.approx(0.2)
        direct = MEL.build_plan().compute(load_audio(row["path"], 16000, offset=0.05, duration=0.2)).to_torch()
        assert torch.equal(dataset[index][0], direct)


def test_lhotse_recording_set(folder, tmp_path):
    from lhotse import Recording, RecordingSet

    files = sorted(folder.rglob("*.wav"))
    recordings = RecordingSet.from_recordings(
        Recording.from_file(p, recording_id=f"{p.parent.name}-{p.stem}") for p in files)
    recordings.to_file(tmp_path / "recordings.jsonl.gz")
    items, classes = list_inputs(tmp_path / "recordings.jsonl.gz")
    assert len(items) == 6 and classes == []
    _run(tmp_path / "recordings.jsonl.gz", tmp_path / "out")
    _assert_bitwise_equal_to_direct(tmp_path / "out")


def test_bad_files_listed_in_errors_and_run_finishes(folder, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(folder.rglob("*.wav"))[:3]:
        (corpus / path.name).write_bytes(path.read_bytes())
    (corpus / "broken.wav").write_bytes(b"RIFF\x00\x00not audio")
    (corpus / "empty.flac").write_bytes(b"")
    summary = _run(corpus, tmp_path / "out")
    assert summary.n_items == 3 and summary.n_errors == 2
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert sorted(os.path.basename(e["path"]) for e in errors) == ["broken.wav", "empty.flac"]
    assert all(e["reason"] for e in errors)


def test_config_mismatch_refused_and_rerun_skips(folder, tmp_path):
    _run(folder, tmp_path / "out")
    again = _run(folder, tmp_path / "out")
    assert again.n_shards_skipped == again.n_shards == 3 and again.n_items == 6
    with pytest.raises(OutputConfigMismatchError, match="features"):
        _run(folder, tmp_path / "out", feature=FeatureConfig(kind="mel", n_bands=64))
    with pytest.raises(OutputConfigMismatchError, match="dtype"):
        _run(folder, tmp_path / "out", dtype="float16")


def test_bad_arguments_are_named(folder, tmp_path):
    for kwargs, name in (({"dtype": "int8"}, "dtype"), ({"shard_size": 0}, "shard_size"),
                         ({"compression": "zip"}, "compression"), ({"executor": "threads"}, "executor")):
        with pytest.raises(InvalidInputError, match=name):
            _run(folder, tmp_path / "out", **kwargs)
    with pytest.raises(InvalidInputError, match="inputs="):
        _run(tmp_path / "missing", tmp_path / "out")


def test_kaldi_fbank_kind_and_batched_path(folder, tmp_path):
    config = KaldiFbankConfig(num_mel_bins=40)
    _run(folder, tmp_path / "out", feature=config)
    _run(folder, tmp_path / "batched", feature=config, device="cpu", batch_seconds=1.0)
    one, batched = PrecomputedFeatureDataset(tmp_path / "out"), PrecomputedFeatureDataset(tmp_path / "batched")
    assert one.features == config
    for index, row in enumerate(one.rows):
        direct = kaldi.fbank(load_audio(row["path"], 16000)[None], **config.options).T
        assert torch.equal(one[index][0], direct)
        torch.testing.assert_close(batched[index][0], direct, rtol=1e-5, atol=1e-5)
    with pytest.raises(InvalidInputError):
        KaldiFbankConfig(num_mel_bins=0)


def test_resume_after_killed_run(folder, tmp_path):
    out = tmp_path / "out"
    script = ("import sys; from spectrograms.extract import extract; from spectrograms.data.datamodule "
              "import FeatureConfig; extract(sys.argv[1], sys.argv[2], feature=FeatureConfig(kind='mel', "
              "n_bands=40), shard_size=1, dtype='float32', workers=1, progress=False)")
    env = {**os.environ, "SPECTROGRAMS_EXTRACT_TEST_DELAY": "1.0"}
    process = subprocess.Popen([sys.executable, "-c", script, str(folder), str(out)], env=env)
    deadline = time.monotonic() + 120
    while not list(out.glob("shard-*.tar")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(list(out.glob("shard-*.tar")))
    assert 1 <= done_before < 6
    summary = _run(folder, out, shard_size=1)
    assert summary.n_shards_skipped == done_before and summary.n_items == 6
    assert sorted(r["key"] for r in _rows(out)) == [f"item{i:09d}" for i in range(6)]
    assert not list(out.glob("*.tmp-*"))
    _assert_bitwise_equal_to_direct(out, same_process=False)  # the killed run's shards came from another process


@pytest.mark.slow
def test_dask_two_workers_one_killed(folder, tmp_path):
    from dask.distributed import Client, LocalCluster

    os.environ["SPECTROGRAMS_EXTRACT_TEST_DELAY"] = "1.5"
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    killed = []
    try:
        import threading

        def kill_one():
            with Client(cluster.scheduler_address) as client:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    busy = [w for w, tasks in client.processing().items() if tasks]
                    if busy:
                        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        return
                    time.sleep(0.1)

        killer = threading.Thread(target=kill_one)
        killer.start()
        summary = _run(folder, tmp_path / "out", shard_size=1, scheduler=cluster.scheduler_address)
        killer.join()
    finally:
        os.environ.pop("SPECTROGRAMS_EXTRACT_TEST_DELAY", None)
        cluster.close()
    assert killed, "no worker was seen holding a shard, so none was killed"
    keys = [r["key"] for r in _rows(tmp_path / "out")]
    assert summary.n_items == 6 and sorted(keys) == [f"item{i:09d}" for i in range(6)]
    # The features came from the workers' processes (the cause of the earlier failure: 1 ulp off).
    _assert_bitwise_equal_to_direct(tmp_path / "out", same_process=False)


def test_command_line(folder, tmp_path, capsys):
    from spectrograms.__main__ import main

    (tmp_path / "features.yaml").write_text("kind: mel\nn_bands: 40\n")
    assert main(["extract", str(folder), str(tmp_path / "out"), "--feature-config", str(tmp_path / "features.yaml"),
                 "--dtype", "float32", "--workers", "1", "--shard-size", "4"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n_items"] == 6 and summary["n_shards"] == 2
    _assert_bitwise_equal_to_direct(tmp_path / "out")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: the GPU batch path")
@pytest.mark.parametrize("feature", [MEL, KaldiFbankConfig(num_mel_bins=40)], ids=["mel", "kaldi-fbank"])
def test_cuda_batched_path_equals_the_item_path(folder, tmp_path, feature):
    _run(folder, tmp_path / "cpu", feature=feature)
    summary = _run(folder, tmp_path / "cuda", feature=feature, device="cuda", batch_seconds=0.8)
    assert summary.n_items == 6
    items, batched = PrecomputedFeatureDataset(tmp_path / "cpu"), PrecomputedFeatureDataset(tmp_path / "cuda")
    assert [r["frames"] for r in items.rows] == [r["frames"] for r in batched.rows]
    to_power = (lambda x: 10.0 ** (x / 10)) if feature is MEL else torch.exp  # dB, or Kaldi's natural log
    for index in range(len(items)):
        # cuFFT rounds differently from FFTW, by float32 rounding relative to each frame's energy
        # (see _assert_bitwise_equal_to_direct): compared in power, to 1e-4 of the frame's largest band.
        power, reference = to_power(batched[index][0].double()), to_power(items[index][0].double())
        assert torch.all((power - reference).abs() <= 1e-4 * reference.amax(dim=0, keepdim=True))


def test_a_fresh_worker_process_needs_only_the_extract_package(folder, tmp_path):
    # What a spawned worker or a Dask worker imports: nothing but spectrograms.extract (no Lightning,
    # no spectrograms.torch), with the feature config as the dict the task carries.
    script = ("import sys; from spectrograms.extract import extract; extract(sys.argv[1], sys.argv[2], "
              "feature={'kind': 'mel', 'n_bands': 40}, shard_size=3, dtype='float32', workers=1, progress=False); "
              "assert 'lightning' not in sys.modules, 'extraction imported Lightning'")
    subprocess.run([sys.executable, "-c", script, str(folder), str(tmp_path / "out")], check=True, timeout=300)
    assert len(_rows(tmp_path / "out")) == 6
    _assert_bitwise_equal_to_direct(tmp_path / "out", same_process=False)


def test_shard_members_are_the_bytes_tarfile_writes():
    # Shards are assembled by hand (one write, offsets known without reading back): any tar or
    # WebDataset reader must see exactly what tarfile.addfile would have written.
    import io
    import tarfile

    from spectrograms.extract.shards import _member, _tar_end

    members = [("item000000001.features.npy", b"x" * 1000), ("item000000001.json", b"{}"), ("b.npy", b"y" * 512)]
    expected = io.BytesIO()
    with tarfile.open(fileobj=expected, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    parts = [part for name, data in members for part in _member(name, data)]
    assert b"".join(parts) + _tar_end(sum(map(len, parts))) == expected.getvalue()
