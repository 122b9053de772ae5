"""CUDA: the ops' cuFFT-based kernels against the CPU kernels, gradients, layers moved with .cuda(),
pinned non-blocking batches, the seed's 'cuda' snippets, JAX on GPU and CuPy. Skipped (visibly) where
no CUDA device exists."""

import itertools

import numpy as np
import pytest
import torch

import spectrograms as sg
import spectrograms.nn as snn
import spectrograms.torch as sgt

from .conftest import tone_mix

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 160), 16000.0)
MEL = sg.MelParams(64, 20.0, 7600.0)


def _bank(dtype):
    return sg.mel_filterbank(PARAMS, MEL).csr(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("center,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")])
@pytest.mark.parametrize("power,with_bank,floor_db", list(itertools.product([1.0, 2.0], [False, True], [None, -80.0])))
def test_spectrogram_op_matches_cpu(dtype, center, pad_mode, power, with_bank, floor_db):
    torch.manual_seed(0)
    signal = torch.randn(2, 3, 5000, dtype=dtype)
    bank = _bank(dtype) if with_bank else (None, None, None)
    args = (torch.hann_window(512, dtype=dtype), 512, 160, center, pad_mode, power)
    cpu = torch.ops.spectrograms.spectrogram.default(signal, *args, *bank, floor_db)
    cuda_args = [a.cuda() if isinstance(a, torch.Tensor) else a for a in args]
    cuda_bank = [b.cuda() if b is not None else None for b in bank]
    gpu = torch.ops.spectrograms.spectrogram.default(signal.cuda(), *cuda_args, *cuda_bank, floor_db)
    assert gpu.device.type == "cuda" and gpu.dtype == dtype
    if floor_db is None:
        scale = cpu.abs().max()
        atol = 1e-5 if dtype == torch.float32 else 1e-12
        torch.testing.assert_close(gpu.cpu() / scale, cpu / scale, rtol=1e-4, atol=atol)
    else:
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-2 if dtype == torch.float32 else 1e-9)


def test_stft_op_matches_cpu_and_refuses_nan():
    signal = torch.randn(3, 4000)
    window = torch.hann_window(400)
    cpu = torch.ops.spectrograms.stft.default(signal, window, 400, 100, True, "reflect")
    gpu = torch.ops.spectrograms.stft.default(signal.cuda(), window.cuda(), 400, 100, True, "reflect")
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-3)
    signal[1, 1234] = float("nan")
    with pytest.raises(ValueError, match="NaN or Inf"):
        torch.ops.spectrograms.spectrogram.default(signal.cuda(), window.cuda(), 400, 100, True, "reflect", 2.0,
                                                   None, None, None, None)


def test_gradients_on_cuda_match_cpu():
    x = torch.randn(2, 3000, dtype=torch.float64)
    window = torch.hann_window(256, dtype=torch.float64)
    bank = sg.mel_filterbank(sg.SpectrogramParams(sg.StftParams(256, 64), 16000.0), sg.MelParams(20)).csr(torch.float64)
    grads = []
    for device in ("cpu", "cuda"):
        signal = x.to(device).requires_grad_()
        out = sg.ops.spectrogram(signal, window.to(device), n_fft=256, hop_length=64, pad_mode="reflect",
                                 filterbank=tuple(t.to(device) for t in bank), floor_db=-60.0)
        (grad,) = torch.autograd.grad(out.sum(), signal)
        grads.append(grad.cpu())
    torch.testing.assert_close(grads[1], grads[0])
    signal = torch.randn(1, 60, dtype=torch.float64, device="cuda", requires_grad=True)
    w = torch.hann_window(16, dtype=torch.float64, device="cuda")
    assert torch.autograd.gradcheck(lambda s: sg.ops.spectrogram(s, w, n_fft=16, hop_length=5, power=1.0), (signal,))


def test_layers_move_with_cuda():
    waves = torch.from_numpy(np.stack([tone_mix(16000, seed=s, dtype=np.float32) for s in range(2)]))
    for layer in [snn.MelSpectrogram(), snn.MelSpectrogram(PARAMS, MEL, sg.LogParams()), snn.MFCC(n_mfcc=13),
                  snn.Chromagram(PARAMS), snn.Spectrogram(n_fft=256, power=None)]:
        cpu = layer(waves)
        gpu = layer.cuda()(waves.cuda())
        assert gpu.device.type == "cuda" and all(b.device.type == "cuda" for b in layer.buffers())
        scale = cpu.abs().max()
        torch.testing.assert_close(gpu.cpu() / scale, cpu / scale, rtol=1e-3, atol=1e-4)


def test_compiled_front_end_on_cuda():
    model = torch.nn.Sequential(snn.MelSpectrogram(n_fft=512, hop_length=256, n_mels=32), snn.AmplitudeToDB()).cuda()
    x = torch.randn(2, 8000, device="cuda")
    torch.testing.assert_close(torch.compile(model, fullgraph=True)(x), model(x), rtol=1e-4, atol=1e-3)


def test_results_computed_from_cuda_audio_stay_on_cuda():
    spec = sg.compute_mel_db_spectrogram(torch.from_numpy(tone_mix(16000, dtype=np.float32)).cuda(), PARAMS, MEL, sg.LogParams())
    assert spec.device.type == "cuda"
    expected = sg.compute_mel_db_spectrogram(tone_mix(16000, dtype=np.float32), PARAMS, MEL, sg.LogParams())
    torch.testing.assert_close(spec.tensor.cpu(), expected.tensor, rtol=1e-4, atol=1e-2)
    assert torch.from_dlpack(spec).data_ptr() == spec.tensor.data_ptr()


def test_seed_cuda_snippets_and_pinned_batches():
    specs = [sg.compute_mel_db_spectrogram(tone_mix(n, seed=n, dtype=np.float32), PARAMS, MEL, sg.LogParams()) for n in (8000, 16000)]
    tensor = specs[0].to_torch(device="cuda")
    assert tensor.device.type == "cuda"
    result = specs[0].to_torch(device="cuda", with_metadata=True)
    result_cpu = result.cpu()
    result_gpu = result.cuda(device=0)
    assert result_gpu.tensor.device == torch.device("cuda", 0) and result_cpu.tensor.device.type == "cpu"
    batch = sgt.batch(specs, device="cuda", pad=True)
    torch.cuda.synchronize()
    assert batch.device.type == "cuda"
    assert bool((batch[0, :, specs[0].n_frames:] == -80.0).all())
    torch.testing.assert_close(batch[1].cpu(), specs[1].tensor)
    inputs = sgt.batch(specs, device="cuda", dtype=torch.float16, pad=True)
    assert inputs.dtype == torch.float16


def test_jax_on_gpu():
    jax = pytest.importorskip("jax")
    if not any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("JAX has no GPU backend installed (jax[cuda] is not in the dev environment)")
    import spectrograms.jax as sgj

    spec = sg.compute_mel_power_spectrogram(tone_mix(16000, dtype=np.float32), PARAMS, MEL)
    array = spec.to_jax(device="gpu")
    assert array.devices().pop().platform == "gpu"
    assert spec.to_jax(with_metadata=True).gpu().array.devices().pop().platform == "gpu"
    assert sgj.batch([spec, spec], device="gpu").shape == (2, 64, 101)


def test_cupy_shares_cuda_results():
    cupy = pytest.importorskip("cupy")
    spec = sg.compute_mel_power_spectrogram(torch.from_numpy(tone_mix(16000, dtype=np.float32)).cuda(), PARAMS, MEL)
    array = cupy.from_dlpack(spec)
    assert array.data.ptr == spec.tensor.data_ptr()
    np.testing.assert_allclose(cupy.asnumpy(array), spec.tensor.cpu().numpy())
