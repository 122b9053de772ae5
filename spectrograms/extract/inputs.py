"""The items of a corpus to extract: an audio folder, a CSV/JSONL manifest or a lhotse RecordingSet."""

from __future__ import annotations

import json
from pathlib import Path

from ..data.datasets import MANIFEST_SUFFIXES, AudioFolderDataset, _map_labels, _read_csv, _read_json_rows
from ..errors import InvalidInputError

__all__ = ["AUDIO_SUFFIXES", "list_inputs"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


def _is_lhotse_manifest(path: Path) -> bool:
    if path.name.endswith((".jsonl.gz", ".json.gz")):
        return True
    if path.suffix.lower() not in (".jsonl", ".json"):
        return False
    with open(path, encoding="utf-8") as f:
        first = f.readline().strip()
    try:
        record = json.loads(first.lstrip("["))
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and "sources" in record and "sampling_rate" in record


def _lhotse_items(path: Path) -> list[dict]:
    try:
        from lhotse import RecordingSet
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading a lhotse manifest needs lhotse: pip install 'spectrograms[extract]'") from exc
    items = []
    for recording in RecordingSet.from_file(path):
        files = [s.source for s in recording.sources if s.type == "file"]
        if not files:
            raise InvalidInputError(
                f"{path}: recording {recording.id!r} has no 'file' source; only file sources are supported"
            )
        items.append({"path": str(files[0]), "label": None, "offset": 0.0, "duration": None})
    return items


def _manifest_items(path: Path) -> tuple[list[dict], list[str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        header = text.splitlines()[0] if text else ""
        labelled = "label" in [c.strip() for c in header.split(",")]
        if not labelled:  # the shared reader requires a label: give it a placeholder column
            lines = text.splitlines()
            text = "\n".join([lines[0] + ",label"] + [line + ",0" for line in lines[1:] if line.strip()])
        rows = _read_csv(path, text)
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        labelled = bool(records) and all("label" in r for r in records)
        if not labelled:
            text = "\n".join(json.dumps({**r, "label": 0}) for r in records)
        rows = _read_json_rows(path, text)
    if not rows:
        raise InvalidInputError(f"{path}: manifest lists no items")
    labels, classes = _map_labels(path, rows, None) if labelled else ([None] * len(rows), [])
    items = []
    for row, label in zip(rows, labels):
        file = Path(row.path).expanduser()
        file = file if file.is_absolute() else path.parent / file
        items.append({"path": str(file), "label": label, "offset": row.offset, "duration": row.duration})
    return items, classes


def list_inputs(inputs: str | Path) -> tuple[list[dict], list[str]]:
    """The items to extract, in a fixed order, and the class names.

    Args:
        inputs: a folder of audio files, either ``root/<class>/**/<file>`` (labels from the class
            folders, as :class:`~spectrograms.data.AudioFolderDataset`) or without class folders
            (unlabelled, every audio file found recursively); a ``.csv``/``.jsonl`` manifest with
            ``path`` and optional ``label``, ``offset``, ``duration`` (as
            :class:`~spectrograms.data.ManifestDataset`); or a lhotse ``RecordingSet`` manifest
            (``.jsonl``/``.jsonl.gz``).

    Returns:
        ``(items, classes)``: each item a dict with ``path``, ``label`` (int or None), ``offset``,
        ``duration``; ``classes`` empty for unlabelled inputs.

    Raises:
        InvalidInputError: ``inputs`` does not exist, or holds no audio.
    """
    path = Path(inputs)
    if path.is_dir():
        class_dirs = [d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")]
        loose = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES]
        if class_dirs and not loose:
            dataset = AudioFolderDataset(path, extensions=AUDIO_SUFFIXES)
            items = [{"path": str(i.path), "label": i.label, "offset": 0.0, "duration": None}
                     for i in dataset.items]
            return items, list(dataset.classes)
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
        if not files:
            raise InvalidInputError(f"inputs={str(path)!r}: folder holds no audio files {list(AUDIO_SUFFIXES)}")
        return [{"path": str(p), "label": None, "offset": 0.0, "duration": None} for p in files], []
    if not path.is_file():
        raise InvalidInputError(f"inputs={str(path)!r}: no such folder or manifest file")
    if _is_lhotse_manifest(path):
        return _lhotse_items(path), []
    if path.suffix.lower() not in MANIFEST_SUFFIXES:
        raise InvalidInputError(
            f"inputs={str(path)!r}: expected a folder, a {list(MANIFEST_SUFFIXES)} manifest or a lhotse "
            "RecordingSet (.jsonl.gz)"
        )
    return _manifest_items(path)
