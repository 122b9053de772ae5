"""Benchmark rows for streaming: a warm push of 10 ms (160 samples at 16 kHz) to one mel stream and to a
batch of 64 streams, against kaldi-native-fbank's ``OnlineFbank`` doing the same (accept the samples, fetch
the frames that became ready), in one run with interleaved repeats (best of each).

Both sides compute 80 mel bands from 400-sample frames every 160 samples on one thread; ours is
``plan.stream().push(tensor)`` returning the result object, the peer ``accept_waveform(16000, list)``
(its fastest input form; a NumPy array is converted element by element and costs about twice as much)
and ``get_frame`` for each ready frame. The real-time factor is a push's time over the 10 ms it carries.
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np
import torch

import spectrograms as sg

__all__ = ["stream_rows", "stream_table", "SAMPLE_RATE", "PUSH_SAMPLES", "BATCH"]

SAMPLE_RATE, PUSH_SAMPLES, BATCH, N_MELS = 16000, 160, 64, 80


def _per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _ours():
    params = sg.SpectrogramParams(sg.StftParams(400, PUSH_SAMPLES, centre=True), SAMPLE_RATE)
    plan = sg.SpectrogramPlanner().mel_power_plan(params, sg.MelParams(N_MELS))
    rng = np.random.default_rng(0)
    single, batch = plan.stream(), plan.stream()
    single.push(torch.from_numpy(rng.standard_normal(SAMPLE_RATE).astype(np.float32)))  # warm: a second in
    batch.push(torch.from_numpy(rng.standard_normal((BATCH, SAMPLE_RATE)).astype(np.float32)))
    chunk = torch.from_numpy(rng.standard_normal(PUSH_SAMPLES).astype(np.float32))
    chunks = torch.from_numpy(rng.standard_normal((BATCH, PUSH_SAMPLES)).astype(np.float32))
    return (lambda: single.push(chunk)), (lambda: batch.push(chunks))


def _kaldi_native_fbank(streams: int):
    import kaldi_native_fbank as knf

    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.mel_opts.num_bins = N_MELS
    rng = np.random.default_rng(1)
    online = [knf.OnlineFbank(options) for _ in range(streams)]
    fetched = [0] * streams
    for stream in online:
        stream.accept_waveform(SAMPLE_RATE, rng.standard_normal(SAMPLE_RATE).astype(np.float32).tolist())
    chunk = rng.standard_normal(PUSH_SAMPLES).astype(np.float32).tolist()

    def push():
        for index, stream in enumerate(online):
            stream.accept_waveform(SAMPLE_RATE, chunk)
            ready = stream.num_frames_ready
            while fetched[index] < ready:
                stream.get_frame(fetched[index])
                fetched[index] += 1
    return push


def stream_rows(quick: bool, peers: bool = True) -> tuple[list[dict], list[str]]:
    """``(rows, notes)``: per row the seconds of a 10 ms push per stream for ours and the peer, the
    real-time factors and ``peer/ours``; notes say what was left out."""
    rounds, calls = (5, 200) if quick else (15, 1000)
    notes: list[str] = []
    single, batch = _ours()
    contenders = {"single": {"ours": (single, calls, 1)}, f"batch of {BATCH}": {"ours": (batch, calls // 10, BATCH)}}
    if not peers:
        pass
    elif importlib.util.find_spec("kaldi_native_fbank") is None:
        notes.append("kaldi-native-fbank left out: it is not installed (pip install kaldi-native-fbank)")
    else:
        contenders["single"]["kaldi_native_fbank"] = (_kaldi_native_fbank(1), calls, 1)
        contenders[f"batch of {BATCH}"]["kaldi_native_fbank"] = (_kaldi_native_fbank(BATCH), calls // 10, BATCH)
    best: dict = {row: {name: float("inf") for name in entries} for row, entries in contenders.items()}
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the peer runs on one thread
    try:
        for _ in range(rounds):  # interleaved, so that a busy moment of the machine hits every contender
            for row, entries in contenders.items():
                for name, (fn, n, streams) in entries.items():
                    best[row][name] = min(best[row][name], _per_call(fn, n) / streams)
    finally:
        torch.set_num_threads(previous)
    rows = []
    for row, seconds in best.items():
        entry = {"streams": row, "seconds_per_stream": seconds,
                 "real_time_factor": {name: s / (PUSH_SAMPLES / SAMPLE_RATE) for name, s in seconds.items()}}
        if "kaldi_native_fbank" in seconds:
            entry["kaldi_native_fbank/ours"] = seconds["kaldi_native_fbank"] / seconds["ours"]
        rows.append(entry)
    return rows, notes


def stream_table(rows: list[dict]) -> str:
    header = ["10 ms push", "ours", "kaldi-native-fbank", "ours RTF", "kaldi-native-fbank/ours"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        seconds = row["seconds_per_stream"]
        peer = seconds.get("kaldi_native_fbank")
        lines.append("| " + " | ".join([
            row["streams"], f"{seconds['ours'] * 1e6:.2f} us/stream",
            f"{peer * 1e6:.2f} us/stream" if peer is not None else "—",
            f"{row['real_time_factor']['ours']:.5f}",
            f"{row['kaldi_native_fbank/ours']:.2f}×" if peer is not None else "—"]) + " |")
    return "\n".join(lines)
