"""Fuzz of the binaural entry points (ITD, IPD, ILD, ILR spectrograms and the ITD/ILR differences):
stereo input in every accepted form (a [left, right] pair, ``(2, time)``, ``(batch, 2, time)``) and
many refused ones, every dtype and container, amplitudes from 0 to float32's maximum, NaN/Inf planted.
Each call either gives values of the documented shape, finite except where the seed library defines
NaN (ILD/ILR where a channel's bin is silent: exactly 0, or below float32's range of |X|^2), or
raises a library error. A bounded run here; the long one is marked ``fuzz``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms.errors import SpectrogramError
from spectrograms.inputs import as_signal
from tests.fuzz_harness import FUZZ_EXAMPLES, expect, fuzz_call, long_run_examples

PARAMS = sg.SpectrogramParams(sg.StftParams(n_fft=64, hop_size=32), sample_rate=16000.0)
# 1 kHz to 6 kHz: bins 4 to 24 of 33, none of them DC (whose ITD is 0/0 in the seed library).
BAND = dict(start_freq=1000.0, end_freq=6000.0)
KINDS = {
    "itd": sg.ITDSpectrogramParams(PARAMS, **BAND),
    "ipd": sg.IPDSpectrogramParams(PARAMS, **BAND, wrapped=True),
    "ild": sg.ILDSpectrogramParams(PARAMS, **BAND),
    "ilr": sg.ILRSpectrogramParams(PARAMS, **BAND),
}
N_BINS = 24 - 4
# Valid forms and dtypes drawn more often than the refused ones, so most calls reach the computation.
_DTYPES = ["float32"] * 4 + ["float64"] * 3 + ["float16", "bfloat16", "int16", "int32", "int64", "bool", "complex64"]
_AMPLITUDES = [0.0, 1e-30, 1e-12, 1e-3, 1.0, 3e4, 1e10, 1e17, 1e19, 1e30, 3e38]
# Below this peak amplitude a channel's |X|^2 may underflow in float32, which the seed library reads
# as silence (NaN ILD/ILR); float64 keeps |X|^2 of these amplitudes.
QUIET = {torch.float32: 1e-15, torch.float64: 1e-140}


def _array(data, shape, amplitude, dtype, container):
    rng = np.random.default_rng(data.draw(st.integers(0, 3), "seed"))
    values = np.asarray(rng.standard_normal(shape) * amplitude)
    special = data.draw(st.sampled_from([None] * 8 + [np.nan, np.inf]), "special")
    if special is not None and values.size:
        values.reshape(-1)[data.draw(st.integers(0, values.size - 1), "at")] = special
    if dtype == "bfloat16":
        tensor = torch.from_numpy(values).to(torch.bfloat16)
        return tensor if container == "torch" else tensor.float().numpy()
    with np.errstate(all="ignore"):
        array = values.astype(dtype)
    if container == "torch":
        return torch.from_numpy(array)
    return array.tolist() if container == "list" else array


def _stereo(data, name="audio"):
    """A stereo input and, for the check, its peak amplitude and batch size (None: not a valid form)."""
    form = data.draw(st.sampled_from(["pair"] * 3 + ["array"] * 3 + ["batch"] * 2 + [
        "pair-mismatched", "three-channels", "mono", "scalar", "empty", "4-d"]), f"{name} form")
    n = data.draw(st.sampled_from([1, 2, 31, 64, 300]), f"{name} length")
    dtype = data.draw(st.sampled_from(_DTYPES), f"{name} dtype")
    container = data.draw(st.sampled_from(["numpy", "torch", "list"]), f"{name} container")
    amplitude = data.draw(st.sampled_from(_AMPLITUDES), f"{name} amplitude")

    def make(shape):
        return _array(data, shape, amplitude, dtype, container)

    shapes = {"array": (2, n), "batch": (3, 2, n), "three-channels": (3, n), "mono": (n,), "scalar": (),
              "empty": (2, 0), "4-d": (1, 1, 2, n)}
    if form == "pair":
        return [make((n,)), make((n,))], (2, n)
    if form == "pair-mismatched":
        return [make((n,)), make((n + 1,))], None
    return make(shapes[form]), shapes[form]


def _silent_bins(audio, dtype):
    """Where a channel's |X| is so small that the seed library's |X|^2 is 0 in ``dtype`` (NaN ILD/ILR
    by its definition): an oracle STFT in float64 with the same framing, window and band."""
    channels = audio if isinstance(audio, list) else None
    try:
        if channels is not None:
            signal = torch.stack([as_signal(c, max_dims=1).double() for c in channels])
        else:
            signal = as_signal(audio, max_dims=3).double()
    except (SpectrogramError, RuntimeError):
        return None
    signal = torch.where(torch.isfinite(signal), signal, torch.zeros_like(signal))
    # Silent under either Hann convention (symmetric, the seed's; periodic): a frame whose only non-zero
    # samples meet the window's zero ends is silent in one and not the other.
    silent = None
    for window in (torch.hann_window(64, periodic=False, dtype=torch.float64),
                   torch.hann_window(64, periodic=True, dtype=torch.float64)):
        spectrum = torch.stft(signal.reshape(-1, signal.shape[-1]), 64, 32, window=window, center=True,
                              pad_mode="constant", return_complex=True)[:, 4:24]
        magnitude = spectrum.abs().reshape(*signal.shape[:-1], N_BINS, -1)
        quiet = magnitude.amin(-3) < QUIET[dtype]
        silent = quiet if silent is None else silent | quiet
    return silent


def _band_check(kind, audio, shape, dtype_arg):
    def check(result):
        values = result.tensor if hasattr(result, "tensor") else result
        batch = shape[:-2]
        frames = PARAMS.stft.n_frames(max(shape[-1], 1))
        expect(tuple(values.shape) == (*batch, N_BINS, frames), f"shape {tuple(values.shape)} for input {shape}")
        expect(values.dtype in (torch.float32, torch.float64), f"dtype {values.dtype}")
        if dtype_arg is not None:
            expect(values.dtype == getattr(torch, dtype_arg), f"dtype {values.dtype}, asked for {dtype_arg}")
        if kind in ("ild", "ilr"):
            silent = _silent_bins(audio, values.dtype)
            nan = torch.isnan(values)
            expect(not bool((nan & ~silent).any()), f"{int((nan & ~silent).sum())} NaN {kind} values in audible bins")
            values = torch.nan_to_num(values, nan=0.0)
        expect(bool(torch.isfinite(values).all()), f"{int((~torch.isfinite(values)).sum())} non-finite values")
        if kind == "ilr":
            expect(bool((values.abs() <= 1).all()), "ILR outside [-1, 1]")
    return check


def _quietest_channel(audio):
    """The peak absolute sample of the quietest channel (of any batch item), after the library's own
    conversion (integer PCM scaled to [-1, 1)); reported with each finding."""
    if isinstance(audio, list):
        return min((_quietest_channel(channel) for channel in audio), default=0.0)
    try:
        signal = as_signal(audio, max_dims=4).double()
    except SpectrogramError:
        return 0.0
    signal = torch.where(torch.isfinite(signal), signal, torch.zeros_like(signal))
    return float(signal.abs().amax(-1).min()) if signal.numel() else 0.0


def _check_binaural(kind, data):
    audio, shape = _stereo(data)
    dtype_arg = data.draw(st.sampled_from([None] * 4 + ["float32", "float64", "float16", "bad", 3]), "dtype")
    params = KINDS[kind]
    check = _band_check(kind, audio, shape, dtype_arg) if shape is not None and len(shape) in (2, 3) else None
    fuzz_call(f"compute_{kind}_spectrogram", lambda: getattr(sg, f"compute_{kind}_spectrogram")(
        audio, params, dtype=dtype_arg), check, arguments=dict(shape=shape, dtype=dtype_arg, quietest=_quietest_channel(audio)))


def _check_difference(kind, data):
    reference, shape = _stereo(data, "reference")
    same = data.draw(st.booleans(), "test like reference")
    test, test_shape = (_stereo(data, "test") if not same else
                        (reference if not isinstance(reference, list) else [c for c in reference[::-1]], shape))
    quietest = min(_quietest_channel(reference), _quietest_channel(test))

    def check(result):
        per_frame, *summaries = result
        expect(isinstance(per_frame, torch.Tensor), f"per-frame result {type(per_frame).__name__}")
        if shape is not None and shape == test_shape and len(shape) in (2, 3):
            frames = PARAMS.stft.n_frames(shape[-1])
            expect(tuple(per_frame.shape) == (*shape[:-2], frames), f"shape {tuple(per_frame.shape)}")
        # A silent bin makes the ILR difference of its frame NaN; each channel's peak bounds its bins.
        if kind == "itd" or quietest >= 1e3 * QUIET[per_frame.dtype] and _no_silent_bins(reference, test, per_frame):
            expect(bool(torch.isfinite(per_frame).all()), "non-finite per-frame difference")
            for summary in summaries:
                expect(bool(np.isfinite(np.asarray(summary, dtype=np.float64)).all()), f"summary {summary}")

    fuzz_call(f"compute_{kind}_spectrogram_diff", lambda: getattr(sg, f"compute_{kind}_spectrogram_diff")(
        reference, test, KINDS[kind]), check, arguments=dict(shape=shape, test_shape=test_shape, quietest=quietest))


def _no_silent_bins(reference, test, per_frame):
    silent = [_silent_bins(audio, per_frame.dtype) for audio in (reference, test)]
    return all(mask is not None and not bool(mask.any()) for mask in silent)


TARGETS = {**{kind: _check_binaural for kind in KINDS}, **{f"{kind}_diff": _check_difference for kind in ("itd", "ilr")}}


def _run(name, data):
    TARGETS[name](name.removesuffix("_diff"), data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_binaural_entry_points_give_documented_values_or_library_errors(name, data):
    _run(name, data)


@pytest.mark.fuzz
@pytest.mark.skipif(FUZZ_EXAMPLES == 0, reason="set SPECTROGRAMS_FUZZ_EXAMPLES=<n> for the long fuzz run")
@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=long_run_examples(), deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
@given(data=st.data())
def test_long_fuzz_of_binaural_entry_points(name, data):
    _run(name, data)
