"""The native stream path: its fast push equals offline for every dtype, batch and chunking, bad use mid
stream gets the checked path's named errors, and the CQT and int-PCM streams."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms.cqt import CqtParams
from spectrograms.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from spectrograms.stream import StreamClosedError, StreamMfcc, StreamSpectrogram, plan_stream

PLANNER = sg.SpectrogramPlanner()


def _params(centre=True, pad_mode="constant", n_fft=400, hop=160):
    return sg.SpectrogramParams(sg.StftParams(n_fft, hop, centre=centre, pad_mode=pad_mode), 16000)


def _run(stream, signal, sizes):
    pieces, position = [], 0
    for size in sizes:
        pieces.append(stream.push(signal[..., position:position + size]).tensor)
        position += size
    pieces.append(stream.push(signal[..., position:]).tensor)
    pieces.append(stream.flush().tensor)
    return torch.cat(pieces, -1)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.sampled_from([0, 1, 2, 159, 160, 161, 399, 400, 1000]), max_size=30),
       dtype=st.sampled_from([torch.float32, torch.float64]), batch=st.sampled_from([(), (1,), (5,)]),
       scale=st.sampled_from(["power", "magnitude", "db"]), pad_mode=st.sampled_from(["constant", "reflect"]),
       n_fft=st.sampled_from([256, 400, 512]))
def test_fast_pushes_equal_offline_bitwise(sizes, dtype, batch, scale, pad_mode, n_fft):
    signal = torch.from_numpy(np.random.default_rng(len(sizes)).standard_normal((*batch, 4000))).to(dtype)
    params, mel = _params(True, pad_mode, n_fft=n_fft), sg.MelParams(64)
    plan = {"power": PLANNER.mel_power_plan(params, mel), "magnitude": PLANNER.linear_magnitude_plan(params),
            "db": PLANNER.mel_db_plan(params, mel)}[scale]
    assert torch.equal(_run(plan.stream(), signal, sizes), plan.apply(signal))


def test_a_10ms_push_to_64_streams_equals_offline():
    plan = PLANNER.mel_db_plan(_params(), sg.MelParams(80))
    signal = torch.randn(64, 16000)
    stream = plan.stream()
    got = torch.cat([stream.push(signal[:, i:i + 160]).tensor for i in range(0, 16000, 160)]
                    + [stream.flush().tensor], -1)
    assert torch.equal(got, plan.apply(signal))


def test_results_are_the_plans_result_types_with_stream_times():
    plan = PLANNER.mel_db_plan(_params(), sg.MelParams(40))
    stream = plan.stream()
    stream.push(torch.zeros(1000))
    second = stream.push(torch.zeros(480))
    assert isinstance(second, StreamSpectrogram) and isinstance(second, sg.Spectrogram)
    assert second.first_frame == 6 and second.scale == "db" and second.shape == (40, 3)
    np.testing.assert_allclose(second.times, [0.06, 0.07, 0.08])
    copied = pickle.loads(pickle.dumps(second))  # the metadata it shares with the stream's template goes along
    assert copied.scale == "db" and np.array_equal(copied.times, second.times)
    np.testing.assert_array_equal(copied.frequencies, plan.frequencies)
    with pytest.raises(AttributeError, match="no_such"):
        second.no_such
    mfcc = PLANNER.mfcc_plan(_params(), 13).stream().push(torch.zeros(800))
    assert isinstance(mfcc, StreamMfcc) and mfcc.shape == (13, 4)
    np.testing.assert_allclose(mfcc.times, np.arange(4) * 0.01)


def test_bad_use_on_the_fast_path_gets_named_errors():
    stream = PLANNER.mel_power_plan(_params(), sg.MelParams(40)).stream()
    stream.push(torch.zeros(2, 800))
    with pytest.raises(DimensionMismatchError, match=r"batch shape \(3,\)"):
        stream.push(torch.zeros(3, 160))
    with pytest.raises(InvalidTypeError, match="float64"):
        stream.push(torch.zeros(2, 160, dtype=torch.float64))
    with pytest.raises(InvalidInputError, match="shape"):
        stream.push(torch.zeros(2, 2, 160))
    with pytest.raises(InvalidInputError, match="requires grad"):
        stream.push(torch.zeros(2, 160, requires_grad=True))
    assert stream.frames_emitted == 4 and stream.samples_received == 800  # refused pushes changed nothing
    bad = torch.zeros(2, 160)
    bad[1, 7] = float("nan")
    with pytest.raises(InvalidInputError, match="NaN"):
        stream.push(bad)
    with pytest.raises(InvalidInputError, match="NaN"):  # the frames that read it stay refused
        stream.flush()
    stream.reset()
    stream.push(torch.zeros(2, 800))
    stream.flush()
    with pytest.raises(StreamClosedError, match="reset"):
        stream.push(torch.zeros(2, 160))
    stream.reset()
    assert stream.push(torch.zeros(160, dtype=torch.float64)).shape == (40, 0)  # any dtype and batch again
    assert stream.push(torch.zeros(240, dtype=torch.float64)).shape == (40, 2)


def test_int16_pcm_is_scaled_as_offline_and_keeps_its_dtype():
    pcm = torch.from_numpy(np.random.default_rng(5).integers(-2 ** 15, 2 ** 15, 5000).astype(np.int16))
    plan = PLANNER.mel_power_plan(_params(), sg.MelParams(40))
    stream = plan.stream()
    got = _run(stream, pcm, [100, 1, 0, 700, 2000])
    torch.testing.assert_close(got, plan.compute(pcm).tensor, rtol=0, atol=0)
    with pytest.raises(InvalidTypeError, match="int16"):
        stream.reset() or (stream.push(pcm[:10]), stream.push(pcm[:10].float()))


def test_flush_before_any_push_and_empty_pushes():
    stream = PLANNER.mfcc_plan(_params(), 13).stream()
    assert stream.push(torch.zeros(0)).shape == (13, 0)
    assert stream.flush().shape == (13, 0)


@pytest.mark.parametrize("scale", ["power", "magnitude", "db"])
def test_cqt_stream_equals_offline(speech, scale):
    samples, _ = speech
    signal = torch.as_tensor(samples[:9000], dtype=torch.float64)
    params = _params(n_fft=2048, hop=256)
    cqt = CqtParams(12, 4, 80.0)
    plan = {"power": PLANNER.cqt_power_plan(params, cqt), "magnitude": PLANNER.cqt_magnitude_plan(params, cqt),
            "db": PLANNER.cqt_db_plan(params, cqt, sg.LogParams(-80.0))}[scale]
    got = _run(plan_stream(plan), signal, np.random.default_rng(6).integers(0, 900, 20))
    torch.testing.assert_close(got, plan.apply(signal), rtol=1e-9, atol=1e-12)


CQT_PLANS = {"power": lambda p, c: sg.CqtPowerPlan(p, c), "magnitude": lambda p, c: sg.CqtMagnitudePlan(p, c),
             "db": lambda p, c: sg.CqtDbPlan(p, c, sg.LogParams(-80.0))}


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.one_of(st.sampled_from([0, 1, 2, 255, 256, 257]), st.integers(0, 3000)), max_size=25),
       kind=st.sampled_from(sorted(CQT_PLANS)), dtype=st.sampled_from([torch.float32, torch.float64]),
       batch=st.sampled_from([(), (3,)]), centre=st.booleans())
def test_cqt_plan_kinds_stream_equals_offline_for_any_chunking(sizes, kind, dtype, batch, centre):
    # The seed library's CQT plan classes themselves have .stream(), not only plan_stream(plan).
    params = _params(centre=centre, n_fft=1024, hop=256)
    plan = CQT_PLANS[kind](params, CqtParams(12, 3, 110.0))
    signal = torch.from_numpy(np.random.default_rng(len(sizes)).standard_normal((*batch, 6000))).to(dtype)
    got = _run(plan.stream(), signal, sizes)
    want = plan.apply(signal)
    assert got.shape == want.shape and got.dtype == dtype
    # The blocked products run on a shorter matrix per push, so BLAS may sum in another order.
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == torch.float64 else dict(rtol=2e-5, atol=2e-4)
    torch.testing.assert_close(got, want, **tol)


def test_cqt_plan_stream_one_sample_at_a_time_on_speech(speech):
    samples, _ = speech
    signal = torch.as_tensor(samples[:3000], dtype=torch.float32)
    plan = sg.CqtDbPlan(_params(n_fft=1024, hop=256), CqtParams(12, 3, 110.0), sg.LogParams(-80.0))
    stream = plan.stream()
    got = torch.cat([stream.push(signal[i:i + 1]).tensor for i in range(3000)] + [stream.flush().tensor], -1)
    torch.testing.assert_close(got, plan.apply(signal), rtol=2e-5, atol=2e-4)
    assert stream.frames_emitted == got.shape[-1]
    with pytest.raises(StreamClosedError):
        stream.push(signal[:1])
