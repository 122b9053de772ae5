"""How the ops are called from Python (spectrograms/ops/_dispatch.py): eager CPU calls go straight to
the kernel; anything that needs the dispatcher to see the call (dispatch modes, tracing, gradients)
still goes through it, with the same values."""

import sys

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import spectrograms as sg
from spectrograms import _C, ops

ARGS = dict(n_fft=512, hop_length=160, center=True, pad_mode="reflect", floor_db=-80.0)


def _bank():
    params = sg.SpectrogramParams(sg.StftParams(512, 160), 16000.0)
    return sg.mel_filterbank(params, sg.MelParams(40)).csr(torch.float32)


class _Recorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("with_bank", [False, True])
def test_direct_call_equals_the_dispatched_op(with_bank):
    signal, window = torch.randn(2, 8000), torch.hann_window(512)
    bank = _bank() if with_bank else (None, None, None)
    direct = _C.spectrogram(signal, window, 512, 160, True, "reflect", 2.0, *bank, -80.0)
    dispatched = torch.ops.spectrograms.spectrogram.default(signal, window, 512, 160, True, "reflect", 2.0, *bank,
                                                            -80.0)
    torch.testing.assert_close(direct, dispatched, rtol=0, atol=0)
    wrapper = ops.spectrogram(signal, window, filterbank=bank if with_bank else None, **ARGS)
    torch.testing.assert_close(wrapper, dispatched, rtol=0, atol=0)


def test_dispatch_modes_and_tracing_still_see_the_op():
    signal, window = torch.randn(8000), torch.hann_window(512)
    with _Recorder() as recorder:
        ops.spectrogram(signal, window, **ARGS)
    assert "spectrograms.spectrogram.default" in recorder.ops
    traced = torch.jit.trace(lambda x: ops.spectrogram(x, window, **ARGS), (signal,), check_trace=False)
    assert "spectrograms::spectrogram" in str(traced.graph)
    torch.testing.assert_close(traced(signal), ops.spectrogram(signal, window, **ARGS))


def test_direct_calls_show_in_the_profiler():
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        ops.spectrogram(torch.randn(8000), torch.hann_window(512), **ARGS)
    assert "spectrograms::spectrogram" in {event.name for event in profile.events()}


def test_a_signal_that_needs_a_gradient_gets_one():
    signal = torch.randn(4000, dtype=torch.float64, requires_grad=True)
    out = ops.spectrogram(signal, torch.hann_window(512, dtype=torch.float64), **ARGS)
    assert out.grad_fn is not None
    with torch.no_grad():
        assert ops.spectrogram(signal, torch.hann_window(512, dtype=torch.float64), **ARGS).grad_fn is None


def test_hold_takes_only_tensors():
    assert _C.hold(torch.ones(3)) is not None
    with pytest.raises(TypeError):
        _C.hold([1.0, 2.0])


class _Counting:
    """Stands in for spectrograms._C, counting direct calls."""

    def __init__(self):
        self.calls = 0

    def spectrogram(self, *args):
        self.calls += 1
        return _C.spectrogram(*args)


def test_only_plain_cpu_calls_without_gradients_go_direct(monkeypatch):
    counting = _Counting()
    monkeypatch.setattr(sys.modules["spectrograms.ops.spectrogram"], "_C", counting)
    signal, window = torch.randn(8000), torch.hann_window(512)
    ops.spectrogram(signal, window, **ARGS)
    assert counting.calls == 1
    out = ops.spectrogram(signal, window.clone().requires_grad_(), **ARGS)  # a window that needs a gradient
    assert counting.calls == 1 and out.requires_grad
    with pytest.raises((RuntimeError, NotImplementedError)):
        ops.spectrogram(signal, window.to_sparse(), **ARGS)
    assert counting.calls == 1


def test_bad_argument_types_get_the_ops_own_errors():
    signal, window = torch.randn(8000), torch.hann_window(512)
    with pytest.raises(RuntimeError):
        ops.spectrogram(signal, window, n_fft=512.0, hop_length=160)
    with pytest.raises(RuntimeError):
        ops.spectrogram(signal.tolist(), window, n_fft=512, hop_length=160)


def test_istft_still_refuses_a_window_that_needs_a_gradient():
    window = torch.hann_window(512, dtype=torch.float64)
    spectrum = ops.stft(torch.randn(4000, dtype=torch.float64), window, n_fft=512, hop_length=128)
    with pytest.raises(NotImplementedError, match="window"):
        ops.istft(spectrum, window.clone().requires_grad_(), n_fft=512, hop_length=128).sum().backward()


def test_a_meta_window_beside_a_real_signal_is_refused():
    signal = torch.randn(4000, requires_grad=True)  # through the dispatcher, whose meta kernel is the fake
    with pytest.raises(ValueError, match="window is on meta"):
        ops.spectrogram(signal, torch.empty(512, device="meta"), n_fft=512, hop_length=160)
