"""Hostile and corrupt audio files and manifests: each is refused with an AudioFileError naming it,
skipped under on_error="skip", and never costs more than the error message."""

import json
import struct
import time
import tracemalloc

import numpy as np
import pytest
import soundfile

from spectrograms import AudioFileError, SpectrogramError
from spectrograms.data import AudioFolderDataset, ManifestDataset, load_audio
from spectrograms.data.datasets import MAX_FILE_SAMPLE_RATE


def _wav(path, samples, rate=16000, subtype="PCM_16"):
    soundfile.write(path, samples, rate, subtype=subtype)
    return path


def _patch(path, offset, value):
    data = bytearray(path.read_bytes())
    data[offset:offset + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def noise():
    return (0.1 * np.random.default_rng(0).standard_normal(1000)).astype(np.float32)


@pytest.mark.parametrize("claimed_rate", [2_147_483_647, 1_000_003, MAX_FILE_SAMPLE_RATE + 1])
def test_absurd_header_rate_is_refused_before_decoding(tmp_path, noise, claimed_rate):
    # A plain PCM WAV keeps its rate at byte 24 (and the byte rate at 28).
    path = _patch(_wav(tmp_path / "rate.wav", noise), 24, claimed_rate)
    tracemalloc.start()
    began = time.perf_counter()
    with pytest.raises(AudioFileError, match=rf"rate\.wav: header claims a sample rate of {claimed_rate} Hz"):
        load_audio(path, 16000)
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 10 * 2**20, (elapsed, peak)


def test_header_claiming_more_frames_than_the_file_holds(tmp_path, noise):
    path = _wav(tmp_path / "short.wav", noise)
    _patch(path, 40, 4 * 2 * len(noise))  # data chunk size: 4x the frames written
    with pytest.raises(AudioFileError, match=r"short\.wav: header claims 4000 frames but the file holds 1000"):
        load_audio(path, 16000)


def test_streaming_writer_placeholder_size_is_accepted(tmp_path, noise):
    path = _patch(_wav(tmp_path / "stream.wav", noise), 40, 0xFFFFFFFF)
    assert load_audio(path, 16000).shape == (len(noise),)


def test_loud_stereo_mixes_down_finite(tmp_path):
    # Finite float32 near its maximum: the float32 sum of the two channels would overflow to inf.
    loud = np.full((800, 2), 3e38, dtype=np.float32)
    path = _wav(tmp_path / "loud.wav", loud, subtype="FLOAT")
    mono = load_audio(path, 16000)
    assert np.isfinite(mono.numpy()).all()
    np.testing.assert_allclose(mono.numpy(), 3e38, rtol=1e-6)


def test_overflow_in_resampling_is_named(tmp_path):
    # A full-scale square wave at float32's maximum: the resampler's ringing overshoots past it.
    square = np.where(np.arange(4000) % 40 < 20, 3.4e38, -3.4e38).astype(np.float32)
    path = _wav(tmp_path / "square.wav", square, rate=22050, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"square\.wav: .*non-finite .* resampled"):
        load_audio(path, 16000)


def test_huge_duration_reads_only_what_the_file_holds(tmp_path, noise):
    path = _wav(tmp_path / "a.wav", noise)
    assert load_audio(path, 16000, duration=1e300).shape == (len(noise),)


def test_hostile_files_are_skipped_by_datasets(tmp_path, noise):
    for name in ("good", "rate", "short"):
        (tmp_path / "root" / "cls").mkdir(parents=True, exist_ok=True)
        _wav(tmp_path / "root" / "cls" / f"{name}.wav", noise)
    _patch(tmp_path / "root" / "cls" / "rate.wav", 24, 2_147_483_647)
    _patch(tmp_path / "root" / "cls" / "short.wav", 40, 10**6)
    dataset = AudioFolderDataset(tmp_path / "root", sample_rate=16000, on_error="skip")
    with pytest.warns(RuntimeWarning, match="skipping bad audio item"):
        items = [dataset[i] for i in range(len(dataset))]
    assert sum(item is not None for item in items) == 1
    assert sorted(path.rsplit("/", 1)[1] for path, _ in dataset.skipped) == ["rate.wav", "short.wav"]


def test_json_manifest_with_duration_beyond_float_range(tmp_path, noise):
    _wav(tmp_path / "a.wav", noise)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": "a.wav", "label": "x"}) + "\n"
                        + '{"path": "a.wav", "label": "x", "duration": 1' + "0" * 400 + "}\n")
    with pytest.raises(AudioFileError, match=r"m\.jsonl, line 2: 'duration' must be a number"):
        ManifestDataset(manifest)


def test_csv_manifest_with_byte_order_mark(tmp_path, noise):
    _wav(tmp_path / "a.wav", noise)
    manifest = tmp_path / "m.csv"
    manifest.write_bytes("\ufeffpath,label\na.wav,speech\n".encode("utf-8"))
    dataset = ManifestDataset(manifest)
    assert dataset.classes == ["speech"] and dataset[0][0].shape == (len(noise),)


def test_manifest_errors_are_library_errors(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\n,x\n")
    with pytest.raises(SpectrogramError, match=r"m\.csv, line 2: 'path'"):
        ManifestDataset(manifest)
