"""Audio file loading and map-style datasets over folders and manifests.

All datasets here return ``(waveform, label)`` with ``waveform`` a float32 tensor of shape ``(time,)``
(mono, at the dataset's ``sample_rate``) and ``label`` an int indexing the dataset's ``classes``.

Bad files never produce garbage: they raise :class:`AudioFileError` naming the file and the reason,
or, with ``on_error="skip"``, the item comes back as ``None`` so that a collate function can drop it
with :func:`drop_skipped`.

Reading needs ``soundfile`` and resampling needs ``scipy`` (both in the ``[lightning]`` extra); they
are imported on first use so that importing this module costs nothing without them.
"""

from __future__ import annotations

import csv
import json
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .._validate import path_like, sequence
from ..errors import AudioFileError, InvalidInputError

__all__ = [
    "AudioFileError",
    "AudioFolderDataset",
    "AudioItem",
    "ManifestDataset",
    "drop_skipped",
    "load_audio",
]

ON_ERROR_VALUES = ("raise", "skip")
ON_RATE_MISMATCH_VALUES = ("resample", "error")
MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json")


# Limits checked on a file's header before anything is decoded or resampled: a hostile or corrupt
# header must cost an error message, not gigabytes. 384 kHz is the highest rate audio interfaces use;
# resampling cost grows with the rate's co-prime part, so the bound also bounds the resampling filter.
MAX_FILE_SAMPLE_RATE = 384_000
MAX_FILE_CHANNELS = 256
# Samples (frames x channels) decoded from one file: 2^31 float32 values are 8 GiB.
MAX_FILE_SAMPLES = 2**31
# Integer labels are class indices and make max(label) + 1 classes: a typo such as a timestamp in the
# label column must cost an error message, not a list of 10^12 class names.
MAX_CLASSES = 2**20


def _check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def _check_sample_rate(sample_rate: Any, *, allow_none: bool) -> None:
    if sample_rate is None and allow_none:
        return
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise InvalidInputError(f"sample_rate must be a positive int (Hz); got {sample_rate!r}")
    if sample_rate > MAX_FILE_SAMPLE_RATE:
        # The resampler's output and filter grow with the target rate: 2**31 Hz asked for gigabytes.
        raise InvalidInputError(f"sample_rate must be at most {MAX_FILE_SAMPLE_RATE} Hz; got {sample_rate!r}")


def _check_header(path: Path, rate: int, frames: int, channels: int) -> None:
    """Refuse what a file's header claims before a byte is decoded (see the MAX_FILE_* limits)."""
    if not 1 <= rate <= MAX_FILE_SAMPLE_RATE:
        raise AudioFileError(f"{path}: header claims a sample rate of {rate} Hz; allowed 1..{MAX_FILE_SAMPLE_RATE} Hz")
    if not 1 <= channels <= MAX_FILE_CHANNELS:
        raise AudioFileError(f"{path}: header claims {channels} channels; allowed 1..{MAX_FILE_CHANNELS}")
    if frames == 0:
        raise AudioFileError(f"{path}: file holds no audio samples (zero length)")
    if frames < 0 or frames * channels > MAX_FILE_SAMPLES:
        raise AudioFileError(
            f"{path}: header claims {frames} frames x {channels} channels; at most {MAX_FILE_SAMPLES} samples "
            "are read from one file"
        )


def _wav_claimed_frames(path: Path) -> int | None:
    """Frames a RIFF/WAVE header's data chunk claims, or ``None`` for other formats or an unset size.

    libsndfile silently clips a data chunk that runs past the end of the file, so a truncated WAV
    would load short without a word; comparing the claim with what libsndfile found catches it.
    Sizes of 0 and 0xFFFFFFFF are what streaming writers leave when the length is not known yet.
    """
    with open(path, "rb") as f:
        header = f.read(4096)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return None
    block_align, position = None, 12
    while position + 8 <= len(header):
        chunk_id = header[position:position + 4]
        size = int.from_bytes(header[position + 4:position + 8], "little")
        if chunk_id == b"fmt " and position + 22 <= len(header):
            block_align = int.from_bytes(header[position + 20:position + 22], "little")
        elif chunk_id == b"data":
            if not block_align or size in (0, 0xFFFFFFFF):
                return None
            return size // block_align
        position += 8 + size + (size & 1)
    return None


def _import_soundfile() -> Any:
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading audio files needs the 'soundfile' package: pip install soundfile "
            "(or pip install 'spectrograms[lightning]')"
        ) from exc
    return soundfile


def _resample(data: np.ndarray, orig_rate: int, target_rate: int, path: Path) -> np.ndarray:
    """Band-limited polyphase resampling along axis 0 of ``(time, channels)`` data."""
    try:
        from scipy.signal import resample_poly
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{path}: resampling from {orig_rate} Hz to {target_rate} Hz needs scipy: pip install scipy, "
            "or pass on_rate_mismatch='error' and resample the files beforehand"
        ) from exc
    # Reducing by the gcd keeps the polyphase filter as short as the ratio allows (e.g. 44100->16000
    # becomes 160/441 rather than 16000/44100).
    g = math.gcd(orig_rate, target_rate)
    return resample_poly(data, target_rate // g, orig_rate // g, axis=0).astype(np.float32, copy=False)


def load_audio(
    path: str | Path,
    sample_rate: int | None,
    *,
    offset: float = 0.0,
    duration: float | None = None,
    mono: bool = True,
    on_rate_mismatch: str = "resample",
) -> torch.Tensor:
    """Read (part of) an audio file as float32, optionally mixed down and resampled.

    Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, ...) is accepted. Integer PCM is scaled to
    ``[-1, 1)``.

    Args:
        path: Audio file.
        sample_rate: Rate of the result in Hz, or ``None`` to keep the file's rate.
        offset: Start of the excerpt in seconds from the start of the file (>= 0). Default 0.0.
        duration: Length of the excerpt in seconds (> 0), or ``None`` (default) for the rest of the file.
            An excerpt running past the end of the file is truncated, not padded.
        mono: Average the channels into one (default ``True``); otherwise keep them.
        on_rate_mismatch: What to do when the file's rate differs from ``sample_rate``: ``"resample"``
            (default; band-limited polyphase resampling with ``scipy.signal.resample_poly``) or
            ``"error"`` (raise :class:`AudioFileError`).

    Returns:
        float32 CPU tensor of shape ``(time,)`` when ``mono``, else ``(channels, time)``.

    Raises:
        AudioFileError: The file is missing, not a regular file, unreadable or corrupt, holds no
            samples (or none after ``offset``), is shorter than its header says, claims a rate, channel
            count or length beyond the ``MAX_FILE_*`` limits, holds NaN/inf samples (also when mix-down
            or resampling would overflow), or has the wrong rate with ``on_rate_mismatch="error"``.
            The message names the file.
        InvalidInputError: Invalid ``sample_rate``, ``offset``, ``duration`` or ``on_rate_mismatch``.
        ImportError: soundfile is missing, or scipy is missing and resampling is needed.
    """
    path = path_like("path", path)
    _check_sample_rate(sample_rate, allow_none=True)
    _check_choice("on_rate_mismatch", on_rate_mismatch, ON_RATE_MISMATCH_VALUES)
    for name, value in (("offset", offset), ("duration", duration)):
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number and (value is not None or name == "offset"):
            raise InvalidInputError(f"{name} must be a number of seconds; got {type(value).__name__} {value!r}")
    if not (math.isfinite(offset) and offset >= 0):
        raise InvalidInputError(f"offset must be a finite number of seconds >= 0; got {offset!r}")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise InvalidInputError(f"duration must be None or a finite number of seconds > 0; got {duration!r}")

    path = Path(path)
    try:
        exists, regular = path.exists(), path.is_file()
    except OSError as exc:  # a name too long for the file system, a permission error on a folder, ...
        raise AudioFileError(f"{path}: cannot access the file ({exc.strerror or exc})") from exc
    if not exists:
        raise AudioFileError(f"{path}: file not found")
    if not regular:
        raise AudioFileError(f"{path}: not a regular file")

    soundfile = _import_soundfile()
    try:
        with soundfile.SoundFile(path) as f:
            file_rate, total_frames, channels = f.samplerate, f.frames, f.channels
            _check_header(path, file_rate, total_frames, channels)
            claimed = _wav_claimed_frames(path)
            if claimed is not None and claimed > total_frames:
                raise AudioFileError(
                    f"{path}: header claims {claimed} frames but the file holds {total_frames} "
                    "(truncated file or corrupt header)"
                )
            if sample_rate is not None and file_rate != sample_rate and on_rate_mismatch == "error":
                # Checked before reading so a mismatched corpus fails fast, not after decoding.
                raise AudioFileError(
                    f"{path}: sample rate is {file_rate} Hz but {sample_rate} Hz is expected "
                    "(on_rate_mismatch='error'; use 'resample' to convert)"
                )
            start = round(offset * file_rate)
            if start >= total_frames:
                raise AudioFileError(
                    f"{path}: offset {offset} s is at or beyond the end of the file "
                    f"({total_frames / file_rate:.6g} s)"
                )
            # Never ask the decoder for more than the header promises: a huge duration must not
            # allocate a huge buffer.
            expected = total_frames - start
            if duration is not None:
                expected = min(expected, max(round(duration * file_rate), 1))
            if start:
                f.seek(start)
            data = f.read(frames=expected, dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, MemoryError, OverflowError) as exc:
        # LibsndfileError (a RuntimeError) covers unknown formats and truncated/corrupt data.
        raise AudioFileError(f"{path}: cannot read audio file ({type(exc).__name__}: {exc})") from exc

    if data.shape[0] == 0:
        raise AudioFileError(f"{path}: no audio samples could be read from offset {offset} s")
    if data.shape[0] < expected:
        raise AudioFileError(
            f"{path}: header promises {expected} frames from offset {offset} s but only {data.shape[0]} "
            "could be read (truncated file or corrupt header)"
        )

    if mono and data.shape[1] > 1:
        # float64 accumulation: the mean of finite float32 samples near 3e38 is finite, their sum is not.
        data = data.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    if sample_rate is not None and file_rate != sample_rate:
        data = _resample(data, file_rate, sample_rate, path)
    # Checked on what is returned, after mix-down and resampling, either of which could overflow.
    finite = np.isfinite(data)
    if not finite.all():
        bad_frame = int(np.argmin(finite.all(axis=1)))
        raise AudioFileError(
            f"{path}: {int(data.size - finite.sum())} non-finite (NaN or inf) samples in the decoded, "
            f"mixed-down and resampled audio, first at frame {bad_frame}"
        )

    # (time, channels) -> (channels, time), the (..., time) layout used throughout the package.
    data = np.ascontiguousarray(data.T)
    tensor = torch.from_numpy(data)
    return tensor[0] if mono else tensor


def drop_skipped(batch: Iterable[Any]) -> list[Any]:
    """Remove the ``None`` items that datasets with ``on_error="skip"`` return for bad files.

    Meant for a ``collate_fn``: ``default_collate(drop_skipped(batch))``. The batch may come back
    shorter, or empty if every item was bad.

    Args:
        batch: Items as returned by a dataset's ``__getitem__``.

    Returns:
        The items that are not ``None``, in order.
    """
    return [item for item in sequence("batch", batch) if item is not None]


@dataclass(frozen=True)
class AudioItem:
    """One entry of a file-backed dataset.

    Attributes:
        path: Audio file.
        label: Class index.
        offset: Start of the excerpt in seconds.
        duration: Length of the excerpt in seconds, or ``None`` for the rest of the file.
    """

    path: Path
    label: int
    offset: float = 0.0
    duration: float | None = None


class _AudioItemsDataset(Dataset):
    """Shared loading, skipping and bookkeeping for datasets backed by a list of :class:`AudioItem`."""

    def __init__(
        self,
        items: list[AudioItem],
        classes: list[str],
        sample_rate: int,
        on_error: str,
        on_rate_mismatch: str,
    ) -> None:
        self.items = items
        self.classes = classes
        self.sample_rate = sample_rate
        self.on_error = on_error
        self.on_rate_mismatch = on_rate_mismatch
        self.skipped: list[tuple[str, str]] = []
        self._skipped_indices: set[int] = set()
        self._warned_paths: set[Path] = set()

    @property
    def labels(self) -> list[int]:
        """Label of every item, without loading any audio (e.g. for samplers)."""
        return [item.label for item in self.items]

    @property
    def n_skipped(self) -> int:
        """Number of distinct items found bad and skipped so far, in this process.

        ``DataLoader`` workers are separate processes, so each keeps its own count.
        """
        return len(self._skipped_indices)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int] | None:
        """Load item ``index``.

        Returns:
            ``(waveform, label)`` with ``waveform`` a float32 tensor of shape ``(time,)`` at
            ``sample_rate``; or ``None`` if the file is bad and ``on_error="skip"``.

        Raises:
            AudioFileError: The file is bad and ``on_error="raise"``.
        """
        item = self.items[index]
        try:
            waveform = load_audio(
                item.path,
                self.sample_rate,
                offset=item.offset,
                duration=item.duration,
                on_rate_mismatch=self.on_rate_mismatch,
            )
        except AudioFileError as exc:
            if self.on_error == "raise":
                raise
            self._record_skip(index % len(self.items), item.path, str(exc))
            return None
        return waveform, item.label

    def _record_skip(self, index: int, path: Path, reason: str) -> None:
        if index not in self._skipped_indices:
            self._skipped_indices.add(index)
            self.skipped.append((str(path), reason))
        # Once per file: an epoch loop would otherwise repeat the same warning every epoch.
        if path not in self._warned_paths:
            self._warned_paths.add(path)
            warnings.warn(f"skipping bad audio item: {reason}", RuntimeWarning, stacklevel=3)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_items={len(self)}, classes={self.classes}, "
            f"sample_rate={self.sample_rate}, on_error={self.on_error!r})"
        )


class AudioFolderDataset(_AudioItemsDataset):
    """Labelled audio files laid out as ``root/<class name>/**/<file>``.

    Class names are the sorted names of the sub-folders of ``root`` (hidden ones, starting with ".",
    are ignored), and label ``k`` is ``classes[k]``. Audio files are found recursively inside each
    class folder and sorted by path, so the item order is the same on every machine. Files are only
    read in ``__getitem__``.

    Args:
        root: Dataset folder.
        sample_rate: Rate of the returned waveforms in Hz. Default 16000.
        extensions: File suffixes treated as audio, case-insensitive. Default ``(".wav", ".flac", ".ogg")``.
        on_error: ``"raise"`` (default): a bad file raises :class:`AudioFileError`; ``"skip"``: it
            yields ``None`` (see :func:`drop_skipped`), is counted in ``n_skipped`` and listed in
            ``skipped``, and warns once.
        on_rate_mismatch: ``"resample"`` (default) or ``"error"``, see :func:`load_audio`.
        max_duration: If given, only the first ``max_duration`` seconds (> 0) of each file are read.
            Default ``None`` (whole files).

    Attributes:
        classes: Class names; a label indexes this list.
        sample_rate: Rate of the returned waveforms in Hz.
        items: One :class:`AudioItem` per file, in item order.
        labels: Label of every item.
        n_skipped: Distinct bad items skipped so far in this process.
        skipped: ``(path, reason)`` of each skipped item.

    Raises:
        AudioFileError: ``root`` is missing or not a folder, has no class folders, or a class folder
            holds no audio file with one of ``extensions``.
        ValueError: Invalid ``sample_rate``, ``extensions``, ``on_error``, ``on_rate_mismatch`` or
            ``max_duration``.
    """

    def __init__(
        self,
        root: str | Path,
        sample_rate: int = 16000,
        extensions: Sequence[str] = (".wav", ".flac", ".ogg"),
        on_error: str = "raise",
        on_rate_mismatch: str = "resample",
        max_duration: float | None = None,
    ) -> None:
        _check_sample_rate(sample_rate, allow_none=False)
        _check_choice("on_error", on_error, ON_ERROR_VALUES)
        _check_choice("on_rate_mismatch", on_rate_mismatch, ON_RATE_MISMATCH_VALUES)
        if max_duration is not None and not (math.isfinite(max_duration) and max_duration > 0):
            raise InvalidInputError(
                f"max_duration must be None or a finite number of seconds > 0; got {max_duration!r}"
            )
        if isinstance(extensions, str) or not extensions:
            raise InvalidInputError(
                f"extensions must be a non-empty sequence of suffixes like '.wav'; got {extensions!r}"
            )
        suffixes = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}

        root = path_like("root", root)
        if not root.is_dir():
            reason = "not a folder" if root.exists() else "folder not found"
            raise AudioFileError(f"{root}: dataset root {reason}")
        class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        if not class_dirs:
            raise AudioFileError(f"{root}: no class sub-folders found (expected root/<class>/<audio files>)")

        items: list[AudioItem] = []
        empty: list[str] = []
        for label, class_dir in enumerate(class_dirs):
            files = sorted(
                p
                for p in class_dir.rglob("*")
                if p.suffix.lower() in suffixes
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(class_dir).parts)
            )
            if not files:
                empty.append(class_dir.name)
            items.extend(AudioItem(p, label, 0.0, max_duration) for p in files)
        if empty:
            # An empty folder would still take a label index and shift the meaning of every later
            # label, so refuse rather than train on a silently different class list.
            raise AudioFileError(
                f"{root}: class folder(s) {empty} hold no audio files with extensions {sorted(suffixes)}"
            )

        super().__init__(items, [d.name for d in class_dirs], sample_rate, on_error, on_rate_mismatch)
        self.root = root
        self.max_duration = max_duration


class ManifestDataset(_AudioItemsDataset):
    """Labelled audio excerpts listed in a CSV or JSON Lines manifest.

    Format by file suffix:

    * ``.csv``: a header row naming at least the columns ``path`` and ``label``, optionally ``offset``
      and ``duration`` (seconds; an empty cell means the default).
    * ``.jsonl`` / ``.ndjson`` / ``.json``: one JSON object per line with the same keys (``null``
      means the default); blank lines are ignored. A ``.json`` file may instead hold one JSON array of
      such objects.

    Relative paths are resolved against ``root`` or, by default, the manifest's folder. Labels are
    either all integers (class indices; JSON ints or integer text in CSV) or class names. Names are
    mapped to indices through ``classes`` if given, else through the sorted unique names. Files are
    only read in ``__getitem__``.

    Args:
        manifest: The manifest file.
        sample_rate: Rate of the returned waveforms in Hz. Default 16000.
        root: Folder that relative paths are resolved against. Default: the manifest's folder.
        on_error: ``"raise"`` (default) or ``"skip"``, as in :class:`AudioFolderDataset`.
        on_rate_mismatch: ``"resample"`` (default) or ``"error"``, see :func:`load_audio`.
        classes: Class names in label order. Default: sorted unique label names, or ``"0"`` ...
            ``str(max label)`` for integer labels.

    Attributes:
        classes, sample_rate, items, labels, n_skipped, skipped: As in :class:`AudioFolderDataset`.

    Raises:
        AudioFileError: The manifest is missing or unreadable.
        ValueError: Unsupported suffix, missing column or key, malformed row (the message names the
            manifest and its line), a label not in ``classes`` or out of range, or an invalid argument.
    """

    def __init__(
        self,
        manifest: str | Path,
        sample_rate: int = 16000,
        root: str | Path | None = None,
        on_error: str = "raise",
        on_rate_mismatch: str = "resample",
        classes: Sequence[str] | None = None,
    ) -> None:
        _check_sample_rate(sample_rate, allow_none=False)
        _check_choice("on_error", on_error, ON_ERROR_VALUES)
        _check_choice("on_rate_mismatch", on_rate_mismatch, ON_RATE_MISMATCH_VALUES)
        if classes is not None:
            classes = [str(c) for c in classes]
            if not classes or len(set(classes)) != len(classes):
                raise InvalidInputError(f"classes must be a non-empty list of distinct names; got {classes!r}")

        manifest = path_like("manifest", manifest)
        if root is not None:
            root = path_like("root", root)
        suffix = manifest.suffix.lower()
        if suffix not in MANIFEST_SUFFIXES:
            raise InvalidInputError(
                f"{manifest}: unsupported manifest type {suffix!r}; expected one of {list(MANIFEST_SUFFIXES)}"
            )
        if not manifest.is_file():
            raise AudioFileError(f"{manifest}: manifest file not found")
        try:
            # utf-8-sig: spreadsheet programs start CSV exports with a byte-order mark.
            text = manifest.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise AudioFileError(f"{manifest}: cannot read manifest ({exc})") from exc

        rows = _read_csv(manifest, text) if suffix == ".csv" else _read_json_rows(manifest, text)
        if not rows:
            raise AudioFileError(f"{manifest}: manifest lists no items")

        base = Path(root) if root is not None else manifest.parent
        label_ids, classes = _map_labels(manifest, rows, classes)
        items = []
        for row, label in zip(rows, label_ids):
            path = Path(row.path).expanduser()
            path = path if path.is_absolute() else base / path
            items.append(AudioItem(path, label, row.offset, row.duration))

        super().__init__(items, classes, sample_rate, on_error, on_rate_mismatch)
        self.manifest = manifest
        self.root = base


@dataclass(frozen=True)
class _Row:
    where: str  # "manifest.csv, line 3": how errors point the user at the row
    path: str
    label: int | str
    offset: float
    duration: float | None


def _parse_row(where: str, path: Any, label: Any, offset: Any, duration: Any) -> _Row:
    if not isinstance(path, str) or not path.strip():
        raise AudioFileError(f"{where}: 'path' must be a non-empty string; got {path!r}")
    if isinstance(label, str):
        label = label.strip()
        if not label:
            raise AudioFileError(f"{where}: 'label' is empty")
    elif isinstance(label, bool) or not isinstance(label, int):
        raise AudioFileError(f"{where}: 'label' must be a class name or an int; got {label!r}")

    def seconds(name: str, value: Any, default: float | None) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, bool):
            raise AudioFileError(f"{where}: {name!r} must be a number of seconds; got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON integer beyond float range
            raise AudioFileError(f"{where}: {name!r} must be a number of seconds; got {value!r}") from None
        if not math.isfinite(number) or number < 0 or (name == "duration" and number == 0):
            bound = "> 0" if name == "duration" else ">= 0"
            raise AudioFileError(f"{where}: {name!r} must be finite and {bound}; got {value!r}")
        return number

    offset_s = seconds("offset", offset, 0.0)
    duration_s = seconds("duration", duration, None)
    return _Row(where, path.strip(), label, offset_s, duration_s)


def _read_csv(manifest: Path, text: str) -> list[_Row]:
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    missing = [c for c in ("path", "label") if c not in columns]
    if missing:
        raise AudioFileError(
            f"{manifest}, line 1: header lacks column(s) {missing}; expected path,label[,offset][,duration], "
            f"got {columns}"
        )
    rows = []
    try:
        for record in reader:
            where = f"{manifest}, line {reader.line_num}"
            if None in record:  # DictReader files surplus cells under the key None
                raise AudioFileError(f"{where}: more cells than the {len(columns)} header columns")
            if any(record[c] is None for c in ("path", "label")):
                raise AudioFileError(f"{where}: fewer cells than the header's columns {columns}")
            offset, duration = record.get("offset"), record.get("duration")
            rows.append(_parse_row(where, record["path"], record["label"], offset, duration))
    except csv.Error as exc:
        raise AudioFileError(f"{manifest}, line {reader.line_num}: malformed CSV ({exc})") from None
    return rows


def _read_json_rows(manifest: Path, text: str) -> list[_Row]:
    entries: list[tuple[str, Any]] = []
    if manifest.suffix.lower() == ".json" and text.lstrip().startswith("["):
        try:
            array = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AudioFileError(f"{manifest}, line {exc.lineno}: invalid JSON ({exc.msg})") from None
        entries = [(f"{manifest}, entry {i}", obj) for i, obj in enumerate(array)]
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{manifest}, line {lineno}"
            try:
                entries.append((where, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise AudioFileError(f"{where}: invalid JSON ({exc.msg})") from None

    rows = []
    for where, obj in entries:
        if not isinstance(obj, dict):
            kind = type(obj).__name__
            raise AudioFileError(f"{where}: expected a JSON object with keys path, label; got {kind}")
        missing = [k for k in ("path", "label") if k not in obj]
        if missing:
            raise AudioFileError(f"{where}: missing key(s) {missing}")
        rows.append(_parse_row(where, obj["path"], obj["label"], obj.get("offset"), obj.get("duration")))
    return rows


def _as_int(label: int | str) -> int | None:
    if isinstance(label, int):
        return label
    try:
        return int(label)
    except ValueError:
        return None


def _map_labels(manifest: Path, rows: list[_Row], classes: list[str] | None) -> tuple[list[int], list[str]]:
    """Turn raw labels into class indices; returns ``(indices, classes)``."""
    as_ints = [_as_int(row.label) for row in rows]
    names_given = classes is not None and any(str(row.label) in classes for row in rows)
    if all(i is not None for i in as_ints) and not names_given:
        # Integer labels are indices, unless the caller's class names say they are names (e.g. "0").
        if classes is None:
            largest = max(zip(as_ints, rows), key=lambda pair: pair[0])
            if largest[0] >= MAX_CLASSES:
                raise AudioFileError(
                    f"{largest[1].where}: label {largest[1].label!r} is a class index beyond the {MAX_CLASSES} "
                    "classes allowed; pass classes=[...] or use class names")
            classes = [str(k) for k in range(max(largest[0], 0) + 1)]
        for row, i in zip(rows, as_ints):
            if not 0 <= i < len(classes):
                raise AudioFileError(
                    f"{row.where}: label {row.label!r} is out of range for {len(classes)} classes {classes}"
                )
        return as_ints, classes

    names = [str(row.label) for row in rows]
    if classes is None:
        classes = sorted(set(names))
    index = {name: k for k, name in enumerate(classes)}
    for row, name in zip(rows, names):
        if name not in index:
            raise AudioFileError(f"{row.where}: label {name!r} is not one of the classes {classes}")
    return [index[name] for name in names], classes
