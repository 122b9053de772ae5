"""Census of the export tests (issue 12): every layer of ``spectrograms.nn.__all__`` has a case on each
route (ONNX in tests/test_export_onnx.py, ``torch.jit.script`` and ``torch.jit.trace`` in
tests/test_export_jit.py) or an explicit exclusion below with its reason. A new layer without either
fails here; so does an exclusion that a new case has made stale. No export runs here (milliseconds):
the cases' builders are instantiated and the layer classes inside them collected.
"""

from __future__ import annotations

import inspect

import pytest
import torch

import spectrograms.nn as snn

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from tests import test_export_jit, test_export_onnx  # noqa: E402  (after the skips: the ONNX cases need onnxruntime)

_NOT_YET = "not covered by an export test yet"
_COMPLEX = "complex tensors: the op has no ONNX translation and onnxruntime's CPU kernels take no complex input"
_STREAM = "keeps a native stream object and its state between calls: not a graph; export the wrapped layer"
_FUNCTIONAL = "its body is spectrograms.functional, which TorchScript cannot compile; traced instead"

# (layer, route): why there is no case.
EXCLUDED = {
    ("PCEN", "onnx"): "its smoother raises a tensor to a power that depends on the frame count (symbolic exponent)",
    ("Loudness", "onnx"): "its K-weighting FFT convolution exports to an ONNX DFT node onnxruntime fails to run",
    ("InverseMelScale", "onnx"): "torch.linalg.lstsq has no ONNX operator (torch.export refuses it too)",
    ("InverseSpectrogram", "onnx"): _COMPLEX,
    ("GriffinLim", "onnx"): _COMPLEX,
    ("TimeStretch", "onnx"): _COMPLEX,
    ("PitchShift", "onnx"): _COMPLEX + " (its phase vocoder)",
    ("Speed", "onnx"): _NOT_YET,
    ("SpeedPerturbation", "onnx"): "draws its rate at random per call: no exported graph reproduces the draw",
    ("AddNoise", "onnx"): _NOT_YET,
    ("StreamingFeatures", "onnx"): _STREAM,
    **{(name, "script"): _FUNCTIONAL for name in (
        "Resample", "MelScale", "InverseMelScale", "InverseSpectrogram", "GriffinLim", "LFCC", "SpectralCentroid",
        "SlidingWindowCmn", "Loudness", "Fade")},
    ("PCEN", "script"): "its forward expands a dict into keyword arguments, which TorchScript cannot compile",
    **{(name, "script"): "options held as a keyword dict; torch.export/ONNX take spectrograms/export/kaldi.py"
       for name in ("KaldiFbank", "KaldiMFCC", "KaldiSpectrogram")},
    **{(name, route): _NOT_YET for name in ("TimeStretch", "PitchShift", "Speed", "SpeedPerturbation", "AddNoise")
       for route in ("script", "trace")},
    ("KaldiSpectrogram", "trace"): "the trace records the float32 torch path, whose single log-power bins far "
                                   "below a frame's energy are 5e-4 from the float64 kernel's (torchaudio's own "
                                   "float32 error reaches 2e-3): not eager within float32 rounding; torch.export "
                                   "and AOTInductor take the float64 export path (tests/test_export_aoti.py)",
    ("StreamingFeatures", "script"): _STREAM,
    ("StreamingFeatures", "trace"): _STREAM,
}


def _layers() -> set[str]:
    return {name for name in snn.__all__
            if inspect.isclass(getattr(snn, name)) and issubclass(getattr(snn, name), torch.nn.Module)}


def _covered(builders) -> set[str]:
    """Names of the public layer classes inside the models the cases build."""
    public = {getattr(snn, name): name for name in _layers()}
    names = set()
    for build in builders:
        for module in build().modules():
            if type(module) in public:
                names.add(public[type(module)])
    return names


ROUTES = {
    "onnx": lambda: [build for build, _ in (*test_export_onnx.FAST.values(), *test_export_onnx.SLOW.values())],
    "script": lambda: [build for build, _ in test_export_jit.SCRIPTABLE.values()],
    "trace": lambda: [build for build, _ in (*test_export_jit.SCRIPTABLE.values(),
                                             *test_export_jit.TRACE_ONLY.values())],
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_layer_has_an_export_case_or_a_reasoned_exclusion(route):
    covered = _covered(ROUTES[route]())
    excluded = {name for name, r in EXCLUDED if r == route}
    missing = sorted(_layers() - covered - excluded)
    assert not missing, f"{route}: layers with neither a case nor an exclusion in EXCLUDED: {missing}"
    stale = sorted(covered & excluded)
    assert not stale, f"{route}: excluded layers that now have a case (remove their exclusion): {stale}"


def test_exclusions_name_public_layers():
    assert {name for name, _ in EXCLUDED} <= _layers()
    assert {route for _, route in EXCLUDED} <= set(ROUTES)
