"""Result objects: zero-copy views, DLPack, and the seed page's snippets that use only the core API."""

import gc

import numpy as np
import pytest
import torch

import spectrograms as sg

from .conftest import tone_mix
from .interop_results import SAMPLES, make

samples = tone_mix(16000, dtype=np.float32)
stft = sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning)
params = sg.SpectrogramParams(stft, sample_rate=16000.0)
mel_params = sg.MelParams(n_mels=128, f_min=0.0, f_max=8000.0)
db_params = sg.LogParams(floor_db=-80.0)


def test_seed_dlpack_basic_usage():
    spec = sg.compute_mel_power_spectrogram(samples, params, mel_params)
    tensor = torch.from_dlpack(spec)
    assert tensor.shape == (128, 63)  # (n_mels, n_frames)
    assert tensor.data_ptr() == spec.tensor.data_ptr()


def test_seed_memory_efficiency():
    spec = sg.compute_mel_db_spectrogram(samples, params, mel_params, db_params)
    tensor = torch.from_dlpack(spec)
    spec.data[0, 0] = 999.0
    assert tensor[0, 0] == 999.0


def test_seed_copy_true_gives_independent_memory():
    spec = sg.compute_mel_power_spectrogram(samples, params, mel_params)
    tensor = torch.from_dlpack(spec.__dlpack__(copy=True))
    spec.data[0, 0] = -1.0
    assert tensor[0, 0] != -1.0
    torch.testing.assert_close(tensor[1:], spec.tensor[1:])


def test_tensor_from_a_temporary_result_stays_valid():
    expected = sg.compute_mel_power_spectrogram(samples, params, mel_params).data.copy()
    tensor = torch.from_dlpack(sg.compute_mel_power_spectrogram(samples, params, mel_params))
    gc.collect()
    [torch.randn(128, 63) for _ in range(10)]  # reuse freed memory if it had been freed
    np.testing.assert_array_equal(tensor.numpy(), expected)


def test_numpy_shares_memory():
    spec = sg.compute_mel_db_spectrogram(samples, params, mel_params, db_params)
    array = np.from_dlpack(spec)
    assert np.shares_memory(array, spec.data)
    assert np.asarray(spec).base is not None and np.shares_memory(np.asarray(spec), spec.data)
    assert np.asarray(spec, dtype=np.float64).dtype == np.float64


def test_dlpack_device_and_versioned_capsules():
    spec = sg.compute_linear_power_spectrogram(samples, params)
    assert spec.__dlpack_device__() == (1, 0)  # kDLCPU
    assert "dltensor" in repr(spec.__dlpack__(max_version=(1, 0)))
    assert "dltensor" in repr(spec.__dlpack__())


def test_misaligned_views_are_exported_as_aligned_copies():
    batched = sg.compute_mel_power_spectrogram(np.stack([samples, samples, samples]), params, sg.MelParams(3))
    item = batched.unbatch()[1]  # 3 x 63 float32 = 756 bytes in: not 64-byte aligned
    assert item.tensor.data_ptr() % 64 != 0
    exported = torch.from_dlpack(item)
    assert exported.data_ptr() % 64 == 0
    torch.testing.assert_close(exported, item.tensor)


def test_grad_tensors_are_not_exported():
    result = sg.Spectrogram(torch.ones(4, 5, requires_grad=True), np.arange(4), np.arange(5), params, scale="power")
    with pytest.raises(sg.InvalidInputError, match="requires grad"):
        result.__dlpack__()


def test_sequence_protocol_and_properties():
    spec = sg.compute_mel_db_spectrogram(samples, params, mel_params, db_params)
    assert len(spec) == 63 and spec.shape == (128, 63)  # frames, as the seed library's len
    np.testing.assert_array_equal(spec[3], spec.data[3])
    assert spec.n_bins == 128 and spec.n_frames == 63
    assert "mel db" in repr(spec)


def test_stft_result_exports_complex():
    result = sg.compute_stft(samples, params)
    tensor = torch.from_dlpack(result)
    assert tensor.dtype == torch.complex64 and tensor.shape == (257, 63)
    assert np.from_dlpack(result).dtype == np.complex64
    assert result.n_bins == 257 and result.duration() == pytest.approx(result.times[-1])


def test_seed_planner_snippet():
    planner = sg.SpectrogramPlanner()
    plan = planner.mel_db_plan(params, mel_params, db_params)
    batch = [tone_mix(n, dtype=np.float32) for n in (8000, 16000, 12345)]
    specs = [plan.compute(audio) for audio in batch]
    assert [s.shape for s in specs] == [plan.output_shape(len(a)) for a in batch]
    np.testing.assert_allclose(specs[1].data, sg.compute_mel_db_spectrogram(batch[1], params, mel_params, db_params).data)


def test_plan_computes_a_batch_in_one_call():
    plan = sg.SpectrogramPlanner().mel_power_plan(params, mel_params)
    batch = np.stack([tone_mix(16000, seed=s, dtype=np.float32) for s in range(4)])
    result = plan.compute(batch)
    assert result.shape == (4, 128, 63) and plan.output_shape(16000) == (128, 63)
    np.testing.assert_array_equal(result.data[2], plan.compute(batch[2]).data)


def test_all_planner_kinds():
    planner = sg.SpectrogramPlanner()
    x = samples.astype(np.float64)
    pairs = [
        (planner.linear_power_plan(params), sg.compute_linear_power_spectrogram(x, params)),
        (planner.linear_magnitude_plan(params), sg.compute_linear_magnitude_spectrogram(x, params)),
        (planner.linear_db_plan(params, db_params), sg.compute_linear_db_spectrogram(x, params, db_params)),
        (planner.mel_power_plan(params, mel_params), sg.compute_mel_power_spectrogram(x, params, mel_params)),
        (planner.mel_magnitude_plan(params, mel_params), sg.compute_mel_magnitude_spectrogram(x, params, mel_params)),
    ]
    for plan, expected in pairs:
        result = plan.compute(x)
        np.testing.assert_array_equal(result.data, expected.data)
        assert result.scale == expected.scale


@pytest.mark.parametrize("kind", ["mel_db", "chromagram", "mfcc", "stft"])
def test_unbatch_gives_views_with_the_batch_metadata(kind):
    batch = make(kind, np.stack([SAMPLES, SAMPLES[::-1].copy()]))
    items = batch.unbatch()
    assert len(items) == 2 and all(type(item) is type(batch) for item in items)
    for index, item in enumerate(items):
        assert item.shape == batch.shape[1:] and item.tensor.data_ptr() == batch.tensor[index].data_ptr()
        assert item.params is batch.params and np.array_equal(item.times, batch.times) and item.floor == batch.floor
        assert vars(item).keys() == vars(batch).keys()
    assert items[0].unbatch() == [items[0]]
