"""Tests for spectrograms.data.synthetic and spectrograms.data.datasets.

Audio files are written to tmp_path with soundfile; everything runs on CPU in a few seconds.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from spectrograms.data.datasets import (
    AudioFileError,
    AudioFolderDataset,
    ManifestDataset,
    drop_skipped,
    load_audio,
)
from spectrograms.data.synthetic import CLASS_NAMES, SyntheticAudioDataset

SR = 16000


def _sine(freq: float, seconds: float, sr: int, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(round(seconds * sr)) / sr)).astype(np.float32)


def _write(path: Path, data: np.ndarray, sr: int = SR, subtype: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sr, subtype=subtype)
    return path


def _dominant_freq(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spectrum)])


# --------------------------------------------------------------------------------------- synthetic


def test_synthetic_items_are_float32_mono_within_duration_range():
    ds = SyntheticAudioDataset(n_items=24, sample_rate=SR, min_duration=0.5, max_duration=1.0, seed=3)
    assert len(ds) == 24 and ds.classes == list(CLASS_NAMES) and ds.sample_rate == SR
    lengths = set()
    for i in range(len(ds)):
        wave, label = ds[i]
        assert isinstance(wave, torch.Tensor) and wave.dtype == torch.float32 and wave.ndim == 1
        assert type(label) is int and label == ds.labels[i]
        assert 0.5 * SR - 1 <= wave.numel() <= 1.0 * SR + 1
        assert torch.isfinite(wave).all() and 0.05 < wave.abs().max() <= 1.0
        lengths.add(wave.numel())
    assert len(lengths) > 20, "durations should be random, not fixed"


def test_synthetic_is_deterministic_in_seed_and_index_regardless_of_order():
    a = SyntheticAudioDataset(n_items=16, seed=7, max_duration=1.0)
    b = SyntheticAudioDataset(n_items=16, seed=7, max_duration=1.0)
    forward = [a[i] for i in range(16)]
    backward = [b[i] for i in reversed(range(16))][::-1]
    for (wa, la), (wb, lb) in zip(forward, backward):
        assert la == lb and torch.equal(wa, wb)
    assert torch.equal(a[-1][0], forward[15][0])

    other = SyntheticAudioDataset(n_items=16, seed=8, max_duration=1.0)
    for i in range(16):
        wo = other[i][0]
        assert wo.shape != forward[i][0].shape or not torch.equal(wo, forward[i][0])
    # Two items of the same class must differ too (random parameters, not one template per class).
    assert not torch.equal(forward[0][0][:4000], forward[8][0][:4000])


def test_synthetic_labels_are_balanced_and_classes_selectable():
    ds = SyntheticAudioDataset(n_items=80)
    assert np.bincount(ds.labels).tolist() == [10] * len(CLASS_NAMES)
    sub = SyntheticAudioDataset(n_items=9, classes=["clicks", "tone", "fm"])
    assert sub.classes == ["clicks", "tone", "fm"]
    assert sorted(np.bincount(sub.labels).tolist()) == [3, 3, 3]
    with pytest.raises(ValueError, match="whistle"):
        SyntheticAudioDataset(classes=["tone", "whistle"])
    with pytest.raises(ValueError, match="max_duration"):
        SyntheticAudioDataset(min_duration=1.0, max_duration=0.5)
    with pytest.raises(IndexError):
        ds[80]


def _frame_spectra(x: np.ndarray, n_fft: int = 512, hop: int = 256) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    return np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2


def _peak_clusters(x: np.ndarray, sr: int, floor_db: float = 25.0, min_gap_hz: float = 50.0) -> int:
    """Number of distinct spectral peaks within floor_db of the strongest one."""
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    db = 10 * np.log10(power + 1e-20)
    strong = np.flatnonzero(db > db.max() - floor_db)
    freqs = np.fft.rfftfreq(len(x), 1 / sr)[strong]
    return 1 + int(np.sum(np.diff(freqs) > min_gap_hz))


def _envelope_ratio(x: np.ndarray, sr: int) -> float:
    """95th/5th percentile of 10 ms frame RMS over the middle 60% (away from fades)."""
    mid = x[int(0.2 * len(x)) : int(0.8 * len(x))]
    frames = mid[: len(mid) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return float(np.percentile(rms, 95) / np.percentile(rms, 5))


def _peak_energy_fraction(x: np.ndarray, sr: int, rel_width: float = 0.02) -> float:
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    peak = freqs[np.argmax(power)]
    return float(power[np.abs(freqs - peak) <= rel_width * peak].sum() / power.sum())


def _band_octaves(x: np.ndarray, sr: int) -> float:
    """Width in octaves of the band holding the central 90% of the signal's energy."""
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    cumulative = np.cumsum(power) / power.sum()
    low, high = freqs[np.searchsorted(cumulative, [0.05, 0.95])]
    return float(np.log2(high / max(low, 1.0)))


def test_synthetic_classes_have_their_defining_time_frequency_shape():
    # The properties a CNN on log-mel spectrograms has to pick up; if a generator regresses into
    # another class's shape, one of these fails.
    ds = SyntheticAudioDataset(n_items=len(CLASS_NAMES) * 5, seed=11, min_duration=0.5, max_duration=1.0)
    by_class: dict[str, list[np.ndarray]] = {c: [] for c in CLASS_NAMES}
    for i in range(len(ds)):
        wave, label = ds[i]
        by_class[ds.classes[label]].append(wave.numpy())

    for name, sign in (("chirp_up", 1), ("chirp_down", -1)):
        for x in by_class[name]:
            peak_bins = np.argmax(_frame_spectra(x), axis=1)
            n = len(peak_bins)
            early = np.median(peak_bins[int(0.2 * n) : int(0.35 * n) + 1])
            late = np.median(peak_bins[int(0.65 * n) : int(0.8 * n) + 1])
            assert sign * np.log(late / early) > np.log(1.3), (name, early, late)

    assert all(_peak_clusters(x, SR) == 1 for x in by_class["tone"])
    assert all(_peak_clusters(x, SR) >= 3 for x in by_class["harmonic"])

    assert all(_envelope_ratio(x, SR) > 2.0 for x in by_class["am"])
    assert all(_envelope_ratio(x, SR) < 1.5 for x in by_class["tone"] + by_class["fm"])

    assert all(_peak_energy_fraction(x, SR) > 0.8 for x in by_class["tone"])
    assert all(_peak_energy_fraction(x, SR) < 0.6 for x in by_class["fm"])

    # Clicks are broadband transients; noise bursts are band-limited.
    assert all(np.abs(x).max() / np.sqrt(np.mean(x**2)) > 8 for x in by_class["clicks"])
    assert all(_band_octaves(x, SR) > 3.0 for x in by_class["clicks"])
    assert all(_band_octaves(x, SR) < 2.5 for x in by_class["noise_burst"])


# ------------------------------------------------------------------------------------- load_audio


def test_load_audio_mixes_stereo_down_to_mono(tmp_path):
    left, right = _sine(440, 0.25, SR, 0.6), _sine(1000, 0.25, SR, 0.2)
    path = _write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), subtype="FLOAT")
    mono = load_audio(path, SR)
    assert mono.shape == (len(left),) and mono.dtype == torch.float32
    np.testing.assert_allclose(mono.numpy(), (left + right) / 2, atol=1e-6)
    both = load_audio(path, SR, mono=False)
    assert both.shape == (2, len(left))
    np.testing.assert_allclose(both[1].numpy(), right, atol=1e-6)


def test_load_audio_resamples_band_limited(tmp_path):
    path = _write(tmp_path / "sine8k.wav", _sine(1000, 0.5, 8000), sr=8000, subtype="FLOAT")
    y = load_audio(path, 16000).numpy()
    assert y.shape == (8000,)
    assert abs(_dominant_freq(y, 16000) - 1000) <= 2
    np.testing.assert_allclose(np.sqrt(np.mean(y[1000:-1000] ** 2)), 0.5 / np.sqrt(2), rtol=0.02)
    # A naive (sample-repeating) upsampler leaves an image at 8000 - 1000 Hz; a band-limited one does not.
    power = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / 16000)
    assert power[freqs > 4500].sum() < 1e-4 * power.sum()
    # Keeping the file's rate needs no resampler.
    assert load_audio(path, None).shape == (4000,)


def test_load_audio_rate_mismatch_error_policy(tmp_path):
    path = _write(tmp_path / "at8k.wav", _sine(500, 0.1, 8000), sr=8000)
    with pytest.raises(AudioFileError, match=r"at8k\.wav.*8000 Hz.*16000 Hz"):
        load_audio(path, 16000, on_rate_mismatch="error")
    assert load_audio(path, 8000, on_rate_mismatch="error").shape == (800,)
    with pytest.raises(ValueError, match="on_rate_mismatch.*'resample', 'error'.*'fail'"):
        load_audio(path, 16000, on_rate_mismatch="fail")


def test_load_audio_offset_and_duration(tmp_path):
    ramp = (np.arange(SR, dtype=np.float32) / SR) - 0.5
    path = _write(tmp_path / "ramp.wav", ramp, subtype="FLOAT")
    y = load_audio(path, SR, offset=0.25, duration=0.1).numpy()
    np.testing.assert_array_equal(y, ramp[4000:5600])
    assert load_audio(path, SR, offset=0.9, duration=5.0).shape == (1600,)  # truncated at the end
    with pytest.raises(AudioFileError, match=r"ramp\.wav.*offset"):
        load_audio(path, SR, offset=1.5)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("missing", "not found"),
        ("corrupt", "cannot read"),
        ("zero_length", "zero length"),
        ("nan", "non-finite"),
        ("directory", "not a regular file"),
    ],
)
def test_load_audio_rejects_bad_files_naming_them(tmp_path, case, reason):
    path = tmp_path / f"bad_{case}.wav"
    if case == "corrupt":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif case == "zero_length":
        _write(path, np.zeros(0, dtype=np.float32))
    elif case == "nan":
        data = _sine(300, 0.1, SR)
        data[100] = np.nan
        _write(path, data, subtype="FLOAT")
    elif case == "directory":
        path.mkdir()
    with pytest.raises(AudioFileError, match=rf"bad_{case}\.wav: .*{reason}") as info:
        load_audio(path, SR)
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------------ folder data


def _make_folder(root: Path) -> None:
    _write(root / "dog" / "b.wav", _sine(300, 0.2, SR))
    _write(root / "dog" / "a.flac", _sine(300, 0.3, SR))
    _write(root / "cat" / "sub" / "c.wav", _sine(600, 0.2, SR))
    _write(root / "cat" / "loud.WAV", _sine(600, 0.1, 8000), sr=8000)
    (root / "cat" / "notes.txt").write_text("not audio")
    (root / ".cache").mkdir()


def test_audio_folder_discovers_classes_and_files_deterministically(tmp_path):
    _make_folder(tmp_path)
    ds = AudioFolderDataset(tmp_path, sample_rate=SR)
    assert ds.classes == ["cat", "dog"] and ds.sample_rate == SR
    assert [p.path.relative_to(tmp_path).as_posix() for p in ds.items] == [
        "cat/loud.WAV",
        "cat/sub/c.wav",
        "dog/a.flac",
        "dog/b.wav",
    ]
    assert ds.labels == [0, 0, 1, 1]
    wave, label = ds[0]
    assert label == 0 and wave.dtype == torch.float32 and wave.shape == (1600,)  # 0.1 s resampled 8k -> 16k
    assert ds[2][0].shape == (int(0.3 * SR),)

    only_wav = AudioFolderDataset(tmp_path, extensions=[".wav"], max_duration=0.15)
    assert len(only_wav) == 3
    assert [only_wav[i][0].numel() for i in range(3)] == [1600, 2400, 2400]


def test_audio_folder_errors_name_the_root(tmp_path):
    with pytest.raises(AudioFileError, match="nowhere"):
        AudioFolderDataset(tmp_path / "nowhere")
    with pytest.raises(AudioFileError, match=f"{tmp_path.name}.*no class"):
        AudioFolderDataset(tmp_path)
    (tmp_path / "empty_class").mkdir()
    _write(tmp_path / "full" / "x.wav", _sine(300, 0.1, SR))
    with pytest.raises(AudioFileError, match="empty_class"):
        AudioFolderDataset(tmp_path)
    with pytest.raises(ValueError, match="on_error.*'raise', 'skip'.*'ignore'"):
        AudioFolderDataset(tmp_path, on_error="ignore")
    (tmp_path / "empty_class").rmdir()
    strict_rate = AudioFolderDataset(tmp_path, sample_rate=8000, on_rate_mismatch="error")
    with pytest.raises(AudioFileError, match=r"x\.wav.*16000 Hz.*8000 Hz"):
        strict_rate[0]


def test_on_error_skip_returns_none_counts_and_warns_once(tmp_path):
    _write(tmp_path / "a" / "good.wav", _sine(300, 0.1, SR))
    (tmp_path / "a" / "broken.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    strict = AudioFolderDataset(tmp_path)
    with pytest.raises(AudioFileError, match="broken.wav"):
        strict[0]

    ds = AudioFolderDataset(tmp_path, on_error="skip")
    with pytest.warns(RuntimeWarning, match="broken.wav"):
        assert ds[0] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second access must not warn again
        assert ds[0] is None
    assert ds.n_skipped == 1 and ds.skipped[0][0].endswith("broken.wav") and "cannot read" in ds.skipped[0][1]
    batch = drop_skipped([ds[0], ds[1]])
    assert len(batch) == 1 and batch[0][1] == 0


# ---------------------------------------------------------------------------------- manifest data


@pytest.fixture
def ramp_file(tmp_path) -> Path:
    return _write(tmp_path / "audio" / "ramp.wav", (np.arange(SR, dtype=np.float32) / SR), subtype="FLOAT")


def test_manifest_csv_with_offsets_names_and_relative_paths(tmp_path, ramp_file):
    manifest = tmp_path / "train.csv"
    manifest.write_text(
        "path,label,offset,duration\naudio/ramp.wav,speech,0.5,0.25\naudio/ramp.wav,music,,\n"
        f"{ramp_file},speech,0.0,0.1\n"
    )
    ds = ManifestDataset(manifest, sample_rate=SR)
    assert ds.classes == ["music", "speech"] and ds.labels == [1, 0, 1]
    wave, label = ds[0]
    assert label == 1 and wave.shape == (4000,)
    np.testing.assert_allclose(wave[0].item(), 0.5, atol=1e-6)
    assert ds[1][0].shape == (SR,) and ds[2][0].shape == (1600,)

    fixed = ManifestDataset(manifest, classes=["speech", "music", "noise"])
    assert fixed.classes == ["speech", "music", "noise"] and fixed.labels == [0, 1, 0]
    with pytest.raises(ValueError, match=r"train\.csv, line 3.*'music'"):
        ManifestDataset(manifest, classes=["speech"])


def test_manifest_jsonl_with_int_labels_and_root(tmp_path, ramp_file):
    manifest = tmp_path / "lists" / "val.jsonl"
    manifest.parent.mkdir()
    rows = [
        {"path": "ramp.wav", "label": 2, "offset": 0.25, "duration": 0.5},
        {"path": "ramp.wav", "label": 0},
    ]
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    ds = ManifestDataset(manifest, sample_rate=8000, root=ramp_file.parent)
    assert ds.classes == ["0", "1", "2"] and ds.labels == [2, 0]
    wave, label = ds[0]
    assert label == 2 and wave.shape == (4000,)  # 0.5 s of a 16 kHz file, resampled to 8 kHz
    assert ds[1][0].shape == (8000,)


@pytest.mark.parametrize(
    "name, text, pattern",
    [
        ("nolabel.csv", "path,offset\na.wav,0\n", r"nolabel\.csv, line 1.*'label'"),
        ("short.csv", "path,label\na.wav,x\nb.wav\n", r"short\.csv, line 3"),
        ("badoffset.csv", "path,label,offset\na.wav,x,soon\n", r"badoffset\.csv, line 2.*offset"),
        ("negdur.jsonl", '{"path": "a.wav", "label": "x", "duration": -1}\n', r"negdur\.jsonl, line 1.*'dur"),
        ("nopath.jsonl", '{"path": "a.wav", "label": 1}\n{"label": 1}\n', r"nopath\.jsonl, line 2.*'path'"),
        ("broken.jsonl", '{"path": "a.wav", "label": 1}\n{"path": \n', r"broken\.jsonl, line 2.*invalid"),
        ("range.jsonl", '{"path": "a.wav", "label": -1}\n', r"range\.jsonl, line 1.*out of range"),
        ("manifest.txt", "path,label\n", r"manifest\.txt.*unsupported"),
    ],
)
def test_manifest_malformed_rows_name_the_line(tmp_path, name, text, pattern):
    manifest = tmp_path / name
    manifest.write_text(text)
    with pytest.raises(ValueError, match=pattern):
        ManifestDataset(manifest)


def test_manifest_missing_file_and_skip(tmp_path, ramp_file):
    with pytest.raises(AudioFileError, match="absent.csv"):
        ManifestDataset(tmp_path / "absent.csv")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\naudio/ramp.wav,a\naudio/gone.wav,b\n")
    with pytest.raises(AudioFileError, match=r"gone\.wav.*not found"):
        ManifestDataset(manifest)[1]
    ds = ManifestDataset(manifest, on_error="skip")
    with pytest.warns(RuntimeWarning, match="gone.wav"):
        assert ds[1] is None
    assert ds.n_skipped == 1 and ds[0][1] == 0
