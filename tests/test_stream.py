"""Streams: everything a stream returns, concatenated, equals the offline plan on the whole signal."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms.compliance import kaldi
from spectrograms.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from spectrograms.stream import StreamClosedError, kaldi_fbank_stream, kaldi_mfcc_stream

PLANNER = sg.SpectrogramPlanner()


def _params(centre=True, pad_mode="constant", n_fft=400, hop=160):
    return sg.SpectrogramParams(sg.StftParams(n_fft, hop, centre=centre, pad_mode=pad_mode), 16000)


def _plans(params):
    mel, erb, loghz = sg.MelParams(40), sg.ErbParams(32), sg.LogHzParams(48, 60.0)
    yield from (PLANNER.linear_power_plan(params), PLANNER.linear_magnitude_plan(params),
                PLANNER.linear_db_plan(params), PLANNER.mel_power_plan(params, mel),
                PLANNER.mel_magnitude_plan(params, mel), PLANNER.mel_db_plan(params, mel),
                PLANNER.erb_power_plan(params, erb), PLANNER.erb_db_plan(params, erb),
                PLANNER.loghz_magnitude_plan(params, loghz), PLANNER.loghz_db_plan(params, loghz),
                PLANNER.mfcc_plan(params, 40), PLANNER.chromagram_plan(params))


def _run(stream, signal, sizes):
    pieces, position = [], 0
    for size in sizes:
        pieces.append(stream.push(signal[..., position:position + size]).tensor)
        position += size
    pieces.append(stream.push(signal[..., position:]).tensor)
    pieces.append(stream.flush().tensor)
    return torch.cat(pieces, -1)


@pytest.mark.parametrize("centre,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")])
def test_every_plan_kind_equals_offline_bitwise(speech, centre, pad_mode):
    samples, _ = speech
    signal = torch.as_tensor(samples[:8000], dtype=torch.float32)
    sizes = np.random.default_rng(1).integers(0, 600, 30)
    for plan in _plans(_params(centre, pad_mode)):
        got = _run(plan.stream(), signal, sizes)
        if isinstance(plan, sg.SpectrogramPlan):  # the fused kernel on the same samples: bitwise
            assert torch.equal(got, plan.apply(signal)), plan
        else:  # a matrix product after it rounds by the frame count BLAS blocks over
            torch.testing.assert_close(got, plan.apply(signal), rtol=1e-5, atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(0, 500), max_size=25), n=st.integers(400, 3000),
       pad_mode=st.sampled_from(["constant", "reflect"]), hop=st.sampled_from([100, 160, 401]))
def test_any_chunking_batch_float64(sizes, n, pad_mode, hop):
    signal = torch.from_numpy(np.random.default_rng(n).standard_normal((3, n)))
    plan = PLANNER.mel_db_plan(_params(True, pad_mode, hop=hop), sg.MelParams(40))
    stream = plan.stream()
    got = _run(stream, signal, sizes)
    assert torch.equal(got, plan.apply(signal))
    assert stream.frames_emitted == got.shape[-1]


def test_one_sample_pushes_and_first_frame_as_soon_as_possible():
    signal = torch.randn(1200)
    plan = PLANNER.mel_power_plan(_params(True, "reflect"), sg.MelParams(40))
    stream = plan.stream()
    counts = [stream.push(signal[i:i + 1]).n_frames for i in range(1200)]
    assert counts.index(1) + 1 == stream.first_frame_samples == 201  # x[0..199] and the mirrored x[200]
    assert sum(counts) + stream.flush().n_frames == plan.apply(signal).shape[-1]
    assert stream.latency == 200


@pytest.mark.parametrize("snip_edges", [True, False])
@pytest.mark.parametrize("factory,offline", [(kaldi_fbank_stream, kaldi.fbank), (kaldi_mfcc_stream, kaldi.mfcc)])
def test_kaldi_front_ends_equal_offline(speech, snip_edges, factory, offline):
    samples, _ = speech
    signal = torch.as_tensor(samples[:9000], dtype=torch.float64)
    sizes = np.random.default_rng(2).integers(0, 500, 30)
    got = _run(factory(snip_edges=snip_edges), signal, sizes)
    expected = offline(signal[None], snip_edges=snip_edges).T
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_kaldi_matches_kaldi_native_fbank_online():
    knf = pytest.importorskip("kaldi_native_fbank")
    signal = np.random.default_rng(3).standard_normal(8000).astype(np.float32)
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.mel_opts.num_bins = 23
    online = knf.OnlineFbank(opts)
    online.accept_waveform(16000, signal.tolist())
    online.input_finished()
    expected = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)]).T
    stream = kaldi_fbank_stream(snip_edges=False)
    got = torch.cat([stream.push(torch.from_numpy(signal[i:i + 160])).tensor for i in range(0, 8000, 160)]
                    + [stream.flush().tensor], -1)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-3, atol=1e-3)


def test_named_errors():
    stream = PLANNER.mel_power_plan(_params(), sg.MelParams(40)).stream()
    stream.push(torch.zeros(2, 100))
    with pytest.raises(InvalidTypeError, match="dtype"):
        stream.push(torch.zeros(2, 100, dtype=torch.float64))
    with pytest.raises(DimensionMismatchError, match="batch"):
        stream.push(torch.zeros(3, 100))
    stream.flush()
    with pytest.raises(StreamClosedError, match="reset"):
        stream.push(torch.zeros(2, 100))
    with pytest.raises(StreamClosedError):
        stream.flush()
    stream.reset()
    assert stream.push(torch.zeros(5, 500, dtype=torch.float64)).shape == (5, 40, 2)  # frames ending by sample 500
    with pytest.raises(InvalidInputError, match="subtract_mean"):
        kaldi_fbank_stream(subtract_mean=True)
    reflect = PLANNER.linear_power_plan(_params(True, "reflect")).stream()
    reflect.push(torch.zeros(50))
    with pytest.raises(InvalidInputError, match="reflect"):
        reflect.flush()


def test_results_carry_times_of_the_whole_stream():
    plan = PLANNER.mel_db_plan(_params(), sg.MelParams(40))
    stream = plan.stream()
    stream.push(torch.zeros(1000))
    second = stream.push(torch.zeros(480))
    np.testing.assert_allclose(second.times, plan.compute(torch.zeros(1480)).times[6:9])


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_memory_flat_over_an_hour():
    plan = PLANNER.mel_power_plan(_params(), sg.MelParams(40))
    stream = plan.stream()
    chunk = torch.randn(16000)  # one second a push; 3600 pushes are an hour
    sizes, resident = [], []
    for second in range(3600):
        stream.push(chunk)
        if second % 600 == 0:
            sizes.append((stream.buffer_capacity, stream.carried_samples))
            resident.append(_resident_bytes())
    assert stream.frames_emitted + stream.flush().n_frames == plan.output_shape(3600 * 16000)[1]
    assert len(set(s for s, _ in sizes[1:])) == 1 and max(c for _, c in sizes) <= sizes[0][0] <= 3 * 16000
    # the process does not grow with the stream: an hour of frames kept would be 3600 * 100 * 40 * 4 = 58 MB
    assert resident[-1] - resident[1] < 8 * 2 ** 20


@pytest.mark.parametrize("magnitude", [False, True])
def test_pcen_stream_equals_offline_and_librosa(speech, magnitude):
    import librosa

    from spectrograms.pcen import PcenPlan

    samples, _ = speech
    signal = torch.as_tensor(samples[:12000], dtype=torch.float64) * 1000
    plan = PcenPlan(_params(), sg.MelParams(40), magnitude=magnitude)
    got = _run(plan.stream(), signal, np.random.default_rng(4).integers(0, 700, 30))
    offline = plan.apply(signal)
    torch.testing.assert_close(got, offline, rtol=1e-9, atol=1e-12)
    mel = plan.mel_plan.apply(signal).numpy()
    np.testing.assert_allclose(offline.numpy(), librosa.pcen(mel, sr=16000, hop_length=160), rtol=1e-9)
