"""spectrograms.torch: .to_torch(), TorchSpectrogram, batching with padding, lengths and masks, and the
seed page's PyTorch snippets (with 'cuda' read as 'cpu')."""

import numpy as np
import pytest
import torch
import torch.nn as nn

import spectrograms as sg
import spectrograms.torch as sgt

from .conftest import tone_mix
from .interop_results import DB, MEL, PARAMS, RESULT_MAKERS, SAMPLES, make


@pytest.mark.parametrize("kind", RESULT_MAKERS)
def test_to_torch_on_every_result_type_shares_memory(kind):
    result = make(kind)
    tensor = result.to_torch()
    assert tensor.data_ptr() == result.tensor.data_ptr() and tensor.shape == result.tensor.shape
    converted = result.to_torch(dtype=torch.complex128 if result.dtype.is_complex else torch.float64)
    torch.testing.assert_close(converted, result.tensor.to(converted.dtype))
    meta = result.to_torch(with_metadata=True)
    assert isinstance(meta, sgt.TorchSpectrogram) and meta.shape == result.shape


def test_to_torch_with_metadata():
    spec = sg.compute_mel_db_spectrogram(SAMPLES, PARAMS, MEL, DB)
    result = spec.to_torch(device="cpu", with_metadata=True)
    assert result.tensor.data_ptr() == spec.tensor.data_ptr()
    np.testing.assert_array_equal(result.frequencies, spec.frequencies)
    np.testing.assert_array_equal(result.times, spec.times)
    # Equal, not identical: the plan cache may hand back the plan of an earlier call with equal params.
    assert result.params == PARAMS and result.shape == (128, 63) and result.scale == "db"
    low, high = result.db_range
    assert low >= -80.0 and high == pytest.approx(float(spec.tensor.max()))
    doubled = result.to(torch.float64)
    assert doubled.tensor.dtype == torch.float64 and doubled.params is result.params and doubled.times is result.times
    assert result.cpu().tensor.device.type == "cpu"
    assert sg.compute_stft(SAMPLES, PARAMS).to_torch(with_metadata=True).db_range is None


def _specs(lengths=(8000, 16000, 12345), db=True):
    if db:
        return [sg.compute_mel_db_spectrogram(tone_mix(n, seed=n, dtype=np.float32), PARAMS, MEL, DB) for n in lengths]
    return [sg.compute_mel_power_spectrogram(tone_mix(n, seed=n, dtype=np.float32), PARAMS, MEL) for n in lengths]


@pytest.mark.parametrize("db", [True, False])
def test_padding_uses_each_items_floor(db):
    specs = _specs(db=db)
    batch = sgt.batch(specs, pad=True)
    frames = [s.n_frames for s in specs]
    assert batch.shape == (3, 128, max(frames)) and batch.is_contiguous()
    floor = -80.0 if db else 0.0
    for row, spec, n in zip(batch, specs, frames):
        torch.testing.assert_close(row[:, :n], spec.tensor, rtol=0, atol=0)
        assert bool((row[:, n:] == floor).all())
        assert row.data_ptr() != spec.tensor.data_ptr()


def test_batch_stacks_equal_lengths_and_converts_dtype():
    specs = _specs((16000, 16000, 16000))
    batch = sgt.batch(specs, device="cpu", dtype=torch.float64)
    assert batch.shape == (3, 128, 63) and batch.dtype == torch.float64
    torch.testing.assert_close(batch[1], specs[1].tensor.double())


def test_batch_errors_are_clear():
    specs = _specs()
    with pytest.raises(sg.DimensionMismatchError, match="frames.*pad=True"):
        sgt.batch(specs)
    other = sg.compute_mel_db_spectrogram(SAMPLES, PARAMS, sg.MelParams(64), DB)
    with pytest.raises(sg.DimensionMismatchError, match="64 frequency bins but specs\\[0\\] has 128"):
        sgt.batch([specs[0], other], pad=True)
    with pytest.raises(sg.InvalidInputError, match="empty"):
        sgt.batch([])
    with pytest.raises(sg.InvalidTypeError, match="specs\\[1\\]"):
        sgt.batch([specs[0], specs[1].tensor])


def test_batch_with_metadata_keeps_original_frame_counts():
    specs = _specs()
    batch, metadata = sgt.batch_with_metadata(specs, pad=True)
    assert len(metadata) == 3
    for meta, spec in zip(metadata, specs):
        assert meta["n_frames"] == spec.n_frames and meta["shape"] == spec.shape and meta["n_bins"] == 128
        assert len(meta["times"]) == spec.n_frames and meta["params"] == PARAMS and meta["scale"] == "db"
        assert meta["db_range"] == spec.db_range()
        np.testing.assert_array_equal(meta["frequencies"], spec.frequencies)


def test_lengths_and_mask_give_masked_pooling():
    specs = _specs()
    batch, lengths = sgt.batch_with_lengths(specs)
    assert lengths.tolist() == [s.n_frames for s in specs] and lengths.dtype == torch.int64
    mask = sgt.lengths_to_mask(lengths, batch.shape[-1])
    assert mask.shape == (3, batch.shape[-1]) and mask.sum(1).tolist() == lengths.tolist()
    pooled = (batch * mask[:, None]).sum(-1) / lengths[:, None]
    for row, spec in zip(pooled, specs):
        torch.testing.assert_close(row, spec.tensor.mean(-1))
    assert sgt.lengths_to_mask(torch.tensor([2, 0])).tolist() == [[True, True], [False, False]]


def test_batching_results_of_other_types():
    chroma = [sg.compute_chromagram(tone_mix(n, dtype=np.float32), PARAMS) for n in (4000, 6000)]
    batch, lengths = sgt.batch_with_lengths(chroma)
    assert batch.shape == (2, 12, chroma[1].n_frames) and bool((batch[0, :, lengths[0]:] == 0).all())
    stfts = [sg.compute_stft(tone_mix(n, dtype=np.float32), PARAMS) for n in (4000, 6000)]
    assert sgt.batch(stfts, pad=True).dtype == torch.complex64


def test_seed_basic_conversion_and_metadata():
    samples = SAMPLES
    params, mel_params = PARAMS, MEL
    spec = sg.compute_mel_power_spectrogram(samples, params, mel_params)
    tensor = spec.to_torch()
    tensor = spec.to_torch(device="cpu")  # 'cuda' on the page
    tensor = spec.to_torch(device="cpu", dtype=torch.float32)
    assert tensor.shape == (128, 63)
    result = spec.to_torch(device="cpu", with_metadata=True)
    result.tensor, result.frequencies, result.times, result.params, result.shape, result.db_range  # noqa: B018
    result_cpu = result.cpu()
    assert result_cpu.shape == (128, 63)


def test_seed_batching_snippet():
    audio_batch = [tone_mix(n, seed=n, dtype=np.float32) for n in (16000, 16000, 12000)]
    params, mel_params = PARAMS, MEL
    specs = [sg.compute_mel_power_spectrogram(audio, params, mel_params) for audio in audio_batch]
    batch_tensor = sgt.batch(specs[:2], device="cpu")
    batch_tensor = sgt.batch(specs, device="cpu", pad=True)
    batch_tensor, metadata = sgt.batch_with_metadata(specs, device="cpu", pad=True)
    assert batch_tensor.shape == (3, 128, 63) and metadata[2]["n_frames"] == 47


def test_seed_neural_network_pipeline_trains():
    class AudioClassifier(nn.Module):
        def __init__(self, n_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
            self.pool = nn.AdaptiveAvgPool2d((4, 4))
            self.fc = nn.Linear(64 * 4 * 4, n_classes)

        def forward(self, x):
            x = x.unsqueeze(1)
            x = torch.relu(self.conv1(x))
            x = torch.relu(self.conv2(x))
            x = self.pool(x)
            x = x.flatten(1)
            return self.fc(x)

    torch.manual_seed(0)
    model = AudioClassifier(n_classes=10).cpu()  # .cuda() on the page
    stft = sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning)
    params = sg.SpectrogramParams(stft, sample_rate=16000.0)
    mel_params = sg.MelParams(n_mels=128, f_min=0.0, f_max=8000.0)
    db_params = sg.LogParams(floor_db=-80.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    # Two classes that differ in pitch; the same batch repeated, so the loss must fall.
    t = np.arange(4000) / 16000.0
    audio = [np.sin(2 * np.pi * f * t).astype(np.float32) for f in (300.0, 300.0, 2500.0, 2500.0)]
    dataloader = [(audio, torch.tensor([0, 0, 1, 1]))] * 8
    losses = []
    for audio_batch, labels in dataloader:
        specs = [sg.compute_mel_db_spectrogram(audio, params, mel_params, db_params) for audio in audio_batch]
        inputs = sgt.batch(specs, device="cpu", dtype=torch.float32)
        labels = labels.cpu()
        outputs = model(inputs)
        loss = nn.CrossEntropyLoss()(outputs, labels)
        # As on the page (no zero_grad: gradients accumulate, which Adam tolerates here).
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_seed_performance_tips():
    params, mel_params, db_params = PARAMS, MEL, DB
    planner = sg.SpectrogramPlanner()
    plan = planner.mel_db_plan(params, mel_params, db_params)
    batch = [tone_mix(16000, seed=s, dtype=np.float32) for s in range(3)]
    specs = [plan.compute(audio) for audio in batch]
    gpu_batch = sgt.batch(specs, device="cpu")
    tensor = specs[0].to_torch(device="cpu", dtype=torch.float32)
    assert gpu_batch.shape == (3, 128, 63) and tensor.dtype == torch.float32
