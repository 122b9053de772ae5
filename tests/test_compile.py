"""torch.compile(fullgraph=True) and torch.export of a feature front-end followed by a conv net."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

import spectrograms.nn as snn


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        snn.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=32),
        snn.AmplitudeToDB(top_db=80.0),
        nn.Unflatten(1, (1, 32)),
        nn.Conv2d(1, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d((4, 4)),
        nn.Flatten(),
        nn.Linear(64, 3),
    )


@pytest.fixture(scope="module")
def model():
    return _model()


# The backward graph holds complex tensors (the recomputed STFT), which inductor runs eagerly.
@pytest.mark.filterwarnings("ignore:Torchinductor does not support code generation for complex")
def test_compile_fullgraph_forward_and_backward_match_eager(model):
    torch._dynamo.reset()
    x = torch.randn(2, 8000, requires_grad=True)
    eager = model(x)
    (eager_grad,) = torch.autograd.grad(eager.square().sum(), x)
    # fullgraph=True raises on any graph break; the op's forward and its backward are traced once.
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)
    (grad,) = torch.autograd.grad(out.square().sum(), x)
    torch.testing.assert_close(out, eager, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(grad, eager_grad, rtol=1e-3, atol=1e-3 * float(eager_grad.abs().max()))


def test_compile_with_ci_environment_variable():
    # Inductor refuses its implicit fallback to an op that has a decomposition in torch._decomp's
    # global table (our ONNX route) when CI is set, as GitHub Actions does: the op's fallback is explicit.
    # A fresh process: a fallback that an earlier compile in this one created would hide the refusal.
    script = (
        "import torch, tests.test_compile as t\n"
        "model, x = t._model(), torch.randn(2, 8000, requires_grad=True)\n"
        "out = torch.compile(model, fullgraph=True)(x)\n"
        "torch.testing.assert_close(out, model(x), rtol=1e-4, atol=1e-4)\n"
    )
    # Inductor's on-disk cache would skip the lowering where the refusal happens.
    env = {**os.environ, "CI": "true", "TORCHINDUCTOR_FORCE_DISABLE_CACHES": "1",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def test_export_runs_and_matches_eager(model):
    x = torch.randn(2, 8000)
    exported = torch.export.export(model, (x,))
    ops_in_graph = {str(node.target) for node in exported.graph.nodes if node.op == "call_function"}
    assert "spectrograms.spectrogram.default" in ops_in_graph
    torch.testing.assert_close(exported.module()(x), model(x))
    other = torch.randn(2, 8000)
    torch.testing.assert_close(exported.module()(other), model(other))


def test_export_with_dynamic_batch_and_length(model):
    # The fake kernel computes the frame count symbolically, so one export serves every length.
    batch, time = torch.export.Dim("batch", min=1, max=64), torch.export.Dim("time", min=1024, max=480000)
    exported = torch.export.export(model, (torch.randn(2, 8000),), dynamic_shapes=({0: batch, 1: time},))
    for shape in [(3, 12345), (1, 2048)]:
        x = torch.randn(shape)
        torch.testing.assert_close(exported.module()(x), model(x))
