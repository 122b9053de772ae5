"""Benchmark rows of the model front-ends against the packages whose numbers they give, same run, one
thread each (``python -m spectrograms.bench`` prints them; ``python -m spectrograms.bench_frontends`` runs
only these):

* Kaldi fbank (defaults: 25/10 ms povey frames, 23 bins) of a 600 s signal at 16 kHz:
  ``spectrograms.compliance.kaldi.fbank`` against ``torchaudio.compliance.kaldi.fbank`` and
  kaldi-native-fbank's ``OnlineFbank`` (the whole signal accepted at once, then every frame fetched).
* Whisper's log-mel (80 mels) of 8 clips of 30 s: ``spectrograms.whisper.log_mel_spectrogram`` on the
  ``(8, time)`` batch against openai-whisper's ``log_mel_spectrogram`` on the same batch and
  ``transformers.WhisperFeatureExtractor`` on the list of clips, with its NumPy backend and with its torch
  backend (``device="cpu"``, ``return_tensors="pt"``).
* SeamlessM4T's features of 8 clips of 10 s: ``spectrograms.hf.SeamlessM4TFeatureExtractor`` against
  ``transformers.SeamlessM4TFeatureExtractor``, same arguments.

Each contender is timed in turns with the others (so a busy moment of the machine hits all of them) and
its best time is kept; ``peer/ours`` ratios come from the same run. The input is noise at 0.1 RMS
(front-end cost does not depend on the content).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import time

import numpy as np
import torch

__all__ = ["frontend_rows", "frontend_table", "SIZES", "QUICK_SIZES"]

# (seconds per clip, clips) of each row's workload.
SIZES = {"kaldi_fbank": (600.0, 1), "whisper": (30.0, 8), "seamless_m4t": (10.0, 8)}
QUICK_SIZES = {"kaldi_fbank": (60.0, 1), "whisper": (30.0, 2), "seamless_m4t": (10.0, 2)}
SAMPLE_RATE = 16000


@contextlib.contextmanager
def _one_thread():
    """torch at one intra-op thread and, where threadpoolctl is installed, NumPy's BLAS too."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    limits = contextlib.nullcontext()
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(1)
    try:
        with limits:
            yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def _transformers_numpy_backend():
    """transformers' Whisper extractor takes its torch backend whenever torch is importable; this makes
    one call take the NumPy one, as it does in an environment without torch."""
    from transformers.models.whisper import feature_extraction_whisper as module

    original = module.is_torch_available
    module.is_torch_available = lambda: False
    try:
        yield
    finally:
        module.is_torch_available = original


def _kaldi_contenders(clips: np.ndarray, peers: bool, notes: list[str]) -> dict:
    from .compliance import kaldi

    signal = torch.from_numpy(clips[:1].astype(np.float32))
    contenders = {"ours": lambda: kaldi.fbank(signal)}
    if not peers:
        return contenders
    if importlib.util.find_spec("torchaudio") is None:
        notes.append("torchaudio left out of the Kaldi fbank row: it is not installed")
    else:
        import torchaudio.compliance.kaldi as ta_kaldi

        contenders["torchaudio"] = lambda: ta_kaldi.fbank(signal)
    if importlib.util.find_spec("kaldi_native_fbank") is None:
        notes.append("kaldi-native-fbank left out of the Kaldi fbank row: it is not installed")
    else:
        import kaldi_native_fbank as knf

        samples = clips[0].astype(np.float32).tolist()  # its fastest input form; converted outside the timing

        def kaldi_native_fbank():
            options = knf.FbankOptions()
            options.frame_opts.dither = 0.0
            online = knf.OnlineFbank(options)
            online.accept_waveform(SAMPLE_RATE, samples)
            online.input_finished()
            return np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])

        contenders["kaldi_native_fbank"] = kaldi_native_fbank
    return contenders


def _whisper_contenders(clips: np.ndarray, peers: bool, notes: list[str]) -> dict:
    from . import whisper as ours

    batch = torch.from_numpy(clips.astype(np.float32))
    contenders = {"ours": lambda: ours.log_mel_spectrogram(batch)}
    if not peers:
        return contenders
    if importlib.util.find_spec("whisper") is None:
        notes.append("openai-whisper left out of the Whisper row: it is not installed")
    else:
        import whisper

        contenders["openai_whisper"] = lambda: whisper.log_mel_spectrogram(batch)
    if importlib.util.find_spec("transformers") is None:
        notes.append("transformers left out of the Whisper row: it is not installed")
    else:
        from transformers import WhisperFeatureExtractor

        extractor = WhisperFeatureExtractor()
        items = list(clips.astype(np.float32))

        def transformers_numpy():
            with _transformers_numpy_backend():
                return extractor(items, sampling_rate=SAMPLE_RATE, return_tensors="np")

        contenders["transformers_numpy"] = transformers_numpy
        contenders["transformers_torch"] = lambda: extractor(items, sampling_rate=SAMPLE_RATE, return_tensors="pt",
                                                             device="cpu")
    return contenders


def _seamless_contenders(clips: np.ndarray, peers: bool, notes: list[str]) -> dict:
    items = list(clips.astype(np.float32))
    contenders = {}
    try:
        from .hf import SeamlessM4TFeatureExtractor
    except ImportError as error:
        notes.append(f"SeamlessM4T row left out: spectrograms.hf.SeamlessM4TFeatureExtractor does not import ({error})")
        return {}
    ours = SeamlessM4TFeatureExtractor()
    contenders["ours"] = lambda: ours(items, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    if not peers:
        return contenders
    if importlib.util.find_spec("transformers") is None:
        notes.append("transformers left out of the SeamlessM4T row: it is not installed")
    else:
        from transformers import SeamlessM4TFeatureExtractor as Reference

        reference = Reference()
        contenders["transformers"] = lambda: reference(items, sampling_rate=SAMPLE_RATE, return_tensors="np")
    return contenders


_ROWS = {
    "kaldi_fbank": ("Kaldi fbank", _kaldi_contenders),
    "whisper": ("Whisper log-mel", _whisper_contenders),
    "seamless_m4t": ("SeamlessM4T features", _seamless_contenders),
}


def _best_of_turns(contenders: dict, rounds: int) -> dict[str, float]:
    best = {name: float("inf") for name in contenders}
    for turn in range(rounds + 1):  # turn 0 warms plans, caches and the allocator
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            seconds = time.perf_counter() - start
            if turn:
                best[name] = min(best[name], seconds)
    return best


def frontend_rows(quick: bool = False, peers: bool = True, sizes: dict | None = None,
                  rounds: int | None = None) -> tuple[list[dict], list[str]]:
    """``(rows, notes)``: per row the front-end, its workload, each contender's best seconds and
    ``peer/ours`` ratios; notes say what was left out. ``sizes`` overrides :data:`SIZES` (seconds per
    clip, clips) per row key, e.g. for a smoke test."""
    sizes = {**(QUICK_SIZES if quick else SIZES), **(sizes or {})}
    rounds = rounds if rounds is not None else (2 if quick else 5)
    rng = np.random.default_rng(0)
    rows, notes = [], []
    with _one_thread():
        for key, (label, make) in _ROWS.items():
            seconds_per_clip, n_clips = sizes[key]
            clips = rng.standard_normal((n_clips, int(seconds_per_clip * SAMPLE_RATE))) * 0.1
            contenders = make(clips, peers, notes)
            if not contenders:
                continue
            seconds = _best_of_turns(contenders, rounds)
            workload = (f"{seconds_per_clip:g} s" if n_clips == 1 else f"{n_clips} x {seconds_per_clip:g} s")
            rows.append({"front_end": label, "key": key, "workload": workload, "seconds": seconds,
                         "ratios": {name: s / seconds["ours"] for name, s in seconds.items() if name != "ours"}})
    return rows, notes


def frontend_table(rows: list[dict]) -> str:
    """A markdown table: ours and each peer in ms, then ``peer/ours`` per peer."""
    lines = ["| front-end | workload | ours | peers (ms, peer/ours) |", "|---|---|---|---|"]
    for row in rows:
        peers = ", ".join(f"{name} {s * 1e3:.1f} ms ({row['ratios'][name]:.1f}×)"
                          for name, s in row["seconds"].items() if name != "ours") or "—"
        lines.append(f"| {row['front_end']} | {row['workload']} | {row['seconds']['ours'] * 1e3:.1f} ms | {peers} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spectrograms.bench_frontends", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 s Kaldi signal, 2 clips per batch, fewer rounds")
    parser.add_argument("--no-peers", action="store_true", help="time ours only")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    rows, notes = frontend_rows(args.quick, not args.no_peers)
    print("model front-ends, one thread, best of interleaved runs:")
    print(frontend_table(rows))
    for note in notes:
        print(f"  note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
