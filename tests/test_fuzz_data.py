"""Fuzz of data loading: load_audio's arguments, WAV files with random header fields, truncations and
garbage bytes, CSV/JSON manifests with hostile cells, and the DataModule's collate function given
hostile items. Each call either returns what its docstring promises (finite float32 audio of the
documented shape, a dataset whose items load or are refused by name, a padded finite batch) or raises
a library error that names the argument, the file or the manifest. A bounded run here; the long one
is marked ``fuzz``."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
import soundfile
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spectrograms.data import ManifestDataset, load_audio
from spectrograms.errors import SpectrogramError
from tests.fuzz_harness import FUZZ_EXAMPLES, expect, fuzz_call, long_run_examples

N_FRAMES = 800
NOISE = (0.1 * np.random.default_rng(0).standard_normal((N_FRAMES, 2))).astype(np.float32)
HOSTILE = [None, True, 0, -1, 1, 2, 8000, 16000, 22050, 384000, 384001, 2**31, 10**30, 0.0, -0.0, 1e-300,
           0.01, 0.5, 1e300, math.nan, math.inf, -math.inf, "16000", "", [1], np.int64(16000), np.float32(0.1)]
_values = st.one_of(st.sampled_from(HOSTILE), st.integers(-2**40, 2**40), st.floats())


@pytest.fixture(scope="module")
def wav_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_audio")
    soundfile.write(folder / "stereo.wav", NOISE, 22050, subtype="PCM_16")
    soundfile.write(folder / "mono.wav", NOISE[:, 0], 16000, subtype="FLOAT")
    return folder


def _audio_check(mono, channels, length=None):
    def check(audio):
        expect(isinstance(audio, torch.Tensor) and audio.dtype == torch.float32, f"{type(audio).__name__}")
        expect(audio.dim() == (1 if mono else 2), f"shape {tuple(audio.shape)} with mono={mono}")
        if not mono and channels is not None:
            expect(audio.shape[0] == channels, f"{audio.shape[0]} channels, the file has {channels}")
        expect(audio.shape[-1] > 0, "no samples")
        if length is not None:
            expect(audio.shape[-1] <= length, f"{audio.shape[-1]} samples from a file of {length}")
        expect(bool(torch.isfinite(audio).all()), "non-finite samples")
    return check


def _check_load_arguments(wav_dir, data):
    valid = dict(sample_rate=16000, offset=0.0, duration=None, mono=True, on_rate_mismatch="resample")
    argument = data.draw(st.sampled_from(sorted(valid)), "argument")
    value = data.draw(_values if argument != "on_rate_mismatch" else st.one_of(_values, st.text(max_size=8)),
                      "value")
    kwargs = {**valid, argument: value}
    path = wav_dir / data.draw(st.sampled_from(["stereo.wav", "mono.wav"]), "file")
    # An AudioFileError names the file; a refused argument names the argument.
    names = (argument, path.name)
    fuzz_call("load_audio(arguments)", lambda: load_audio(path, **kwargs),
              _audio_check(bool(kwargs["mono"]), 2 if "stereo" in path.name else 1), names=names,
              arguments=dict(file=path.name, **kwargs))


# The fields of a canonical 44-byte PCM WAV header a corrupt or hostile file may get wrong.
HEADER_FIELDS = {"riff size": (4, "<I"), "fmt size": (16, "<I"), "format": (20, "<H"), "channels": (22, "<H"),
                 "rate": (24, "<I"), "byte rate": (28, "<I"), "block align": (32, "<H"),
                 "bits": (34, "<H"), "data size": (40, "<I")}


def _hostile_file(tmp_path, data):
    frames = data.draw(st.sampled_from([1, 2, 100, N_FRAMES]), "frames")
    channels = data.draw(st.sampled_from([1, 2]), "channels")
    subtype = data.draw(st.sampled_from(["PCM_16", "PCM_24", "FLOAT"]), "subtype")
    path = tmp_path / "hostile.wav"
    soundfile.write(path, NOISE[:frames, :channels], 16000, subtype=subtype)
    raw = bytearray(path.read_bytes())
    damage = data.draw(st.sampled_from(["field", "field", "field", "truncate", "garbage tail", "garbage",
                                        "loud"]), "damage")
    if damage == "field":
        offset, fmt = HEADER_FIELDS[data.draw(st.sampled_from(sorted(HEADER_FIELDS)), "field")]
        limit = 2 ** (8 * struct.calcsize(fmt)) - 1
        value = data.draw(st.one_of(st.sampled_from([0, 1, 2, 3, 4, 7, 8, 16, 32, 64, 255, limit, limit - 1]),
                                    st.integers(0, limit)), "value")
        raw[offset:offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    elif damage == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1), "keep")]
    elif damage == "garbage tail":
        raw += bytes(data.draw(st.binary(min_size=1, max_size=64), "tail"))
    elif damage == "garbage":
        raw = bytearray(data.draw(st.binary(max_size=200), "bytes"))
    else:  # finite float32 at its largest: the mix-down and resampling must not overflow silently
        soundfile.write(path, np.full((frames, channels), 3.4e38, np.float32), 16000, subtype="FLOAT")
        raw = bytearray(path.read_bytes())
    path.write_bytes(bytes(raw))
    return path, channels, damage


def _check_hostile_file(tmp_path, data):
    path, channels, damage = _hostile_file(tmp_path, data)
    mono = data.draw(st.booleans(), "mono")
    rate = data.draw(st.sampled_from([None, 16000, 8000, 44100]), "sample_rate")
    check = _audio_check(mono, None if damage == "field" else channels)
    fuzz_call("load_audio(hostile file)", lambda: load_audio(path, rate, mono=mono), check, names=(path.name,), arguments=dict(damage=damage, size=path.stat().st_size, mono=mono, rate=rate))


_cells = st.one_of(st.sampled_from(["", " ", "0", "-1", "1e400", "nan", "inf", "-0", "1" + "0" * 30, "x" * 300,
                                    "a.wav", "missing.wav", "../a.wav", "/", "\x00", '"', "\ufeff", "1.5", "True"]),
                   st.text(max_size=6))
_json_values = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=6),
                         st.sampled_from(["a.wav", "missing.wav", 10**400, [1], {"a": 1}]))


def _write_manifest(folder, data):
    kind = data.draw(st.sampled_from(["csv", "jsonl", "json"]), "manifest kind")
    n_rows = data.draw(st.integers(1, 4), "rows")
    columns = ["path", "label", "offset", "duration"]
    rows = [{"path": "a.wav", "label": "speech", "offset": 0.0, "duration": 0.01} for _ in range(n_rows)]
    for row in rows:
        for column in data.draw(st.lists(st.sampled_from(columns), max_size=2), "columns to damage"):
            row[column] = data.draw(_cells if kind == "csv" else _json_values, column)
    bom = "\ufeff" if data.draw(st.booleans(), "bom") else ""
    manifest = folder / f"m.{kind}"
    if kind == "csv":
        header = ",".join(data.draw(st.permutations(columns), "header"))
        body = "\n".join(",".join(str(row[c]) for c in header.split(",")) for row in rows)
        text = f"{bom}{header}\n{body}\n"
    else:
        lines = [json.dumps(row, allow_nan=True, default=str) if not isinstance(row.get("label"), int) or
                 abs(row["label"]) < 10**300 else json.dumps(row) for row in rows]
        text = bom + ("[" + ",".join(lines) + "]" if kind == "json" else "\n".join(lines) + "\n")
    manifest.write_text(text, encoding="utf-8")
    return manifest


def _check_manifest(tmp_path, data):
    soundfile.write(tmp_path / "a.wav", NOISE[:, 0], 16000, subtype="PCM_16")
    manifest = _write_manifest(tmp_path, data)
    on_error = data.draw(st.sampled_from(["raise", "skip"]), "on_error")
    text = manifest.read_text(encoding="utf-8")
    dataset = fuzz_call("ManifestDataset", lambda: ManifestDataset(manifest, on_error=on_error),
                        names=(manifest.name,), arguments=text)
    if dataset is None:
        return

    def load_all():
        items = []
        for i in range(len(dataset)):
            try:
                items.append(dataset[i])
            except SpectrogramError as error:
                expect(on_error == "raise", f"raised under on_error='skip': {error}")
                expect(str(dataset.items[i].path) in str(error), f"an item error that names no file: {error}")
        return items

    def check(items):
        for item in items:
            if item is None:
                continue
            waveform, label = item
            _audio_check(True, 1, N_FRAMES)(waveform)
            expect(isinstance(label, int) and 0 <= label < len(dataset.classes), f"label {label!r}")

    fuzz_call("ManifestDataset items", load_all, check, arguments=text)


def _check_collate(data):
    from spectrograms.data.datamodule import FeatureConfig, SpectrogramCollate

    kind = data.draw(st.sampled_from(["linear", "mel", "erb", "loghz", "mfcc", "chroma"]), "kind")
    scale = data.draw(st.sampled_from(["power", "magnitude", "db"]), "scale")
    config = FeatureConfig(kind=kind, scale=scale, n_fft=64, hop_size=32, n_bands=8, n_mfcc=6)
    items = []
    for _ in range(data.draw(st.integers(0, 4), "items")):
        if data.draw(st.integers(0, 5), "skipped") == 0:
            items.append(None)
            continue
        length = data.draw(st.sampled_from([1, 5, 31, 64, 300]), "length")
        amplitude = data.draw(st.sampled_from([0.0, 1e-30, 1e-3, 1.0, 1e10, 1e19, 3e38]), "amplitude")
        waveform = torch.from_numpy(np.random.default_rng(length).standard_normal(length) * amplitude).float()
        if data.draw(st.integers(0, 9), "poisoned") == 0:
            waveform[data.draw(st.integers(0, length - 1), "at")] = math.nan
        shape = data.draw(st.sampled_from(["1-d", "1-d", "1-d", "2-d", "empty"]), "shape")
        waveform = waveform[None] if shape == "2-d" else waveform[:0] if shape == "empty" else waveform
        label = data.draw(st.one_of(st.integers(0, 3), st.sampled_from([-1, 2**63 - 1, 2**63, 1.5, "x", None])),
                          "label")
        items.append((waveform, label))

    def check(batch):
        kept = [item for item in items if item is not None]
        if not kept:
            expect(batch is None, "a batch of only skipped items is not None")
            return
        features, lengths, labels = batch
        frames = [config.spectrogram_params().stft.n_frames(w.shape[-1]) for w, _ in kept]
        expect(tuple(features.shape) == (len(kept), config.n_features, max(frames)), f"shape {tuple(features.shape)}")
        expect(lengths.tolist() == frames, f"lengths {lengths.tolist()}, expected {frames}")
        expect(labels.tolist() == [label for _, label in kept], f"labels {labels.tolist()}")
        expect(bool(torch.isfinite(features).all()), "non-finite features")

    fuzz_call(f"SpectrogramCollate({kind}, {scale})", lambda: SpectrogramCollate(config)(items), check,
              arguments=[None if i is None else (tuple(i[0].shape), float(i[0].abs().max()) if i[0].numel() else 0,
                                                 i[1]) for i in items])


TARGETS = {"load_audio(arguments)": _check_load_arguments, "load_audio(hostile file)": _check_hostile_file,
           "ManifestDataset": _check_manifest, "SpectrogramCollate": _check_collate}


def _run(name, data, wav_dir, tmp_path):
    if name == "load_audio(arguments)":
        _check_load_arguments(wav_dir, data)
    elif name == "SpectrogramCollate":
        _check_collate(data)
    else:
        TARGETS[name](tmp_path, data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_data_loading_gives_documented_values_or_named_errors(name, data, wav_dir, tmp_path):
    _run(name, data, wav_dir, tmp_path)


@pytest.mark.fuzz
@pytest.mark.skipif(FUZZ_EXAMPLES == 0, reason="set SPECTROGRAMS_FUZZ_EXAMPLES=<n> for the long fuzz run")
@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=long_run_examples(), deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
@given(data=st.data())
def test_long_fuzz_of_data_loading(name, data, wav_dir, tmp_path):
    _run(name, data, wav_dir, tmp_path)
