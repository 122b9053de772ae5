"""Deploying the feature layers: ONNX, TorchScript and AOTInductor.

The layers of :mod:`spectrograms.nn` need nothing from the user to be deployed:

- ONNX: ``torch.onnx.export(model, (waveform,), dynamo=True)``. The exporter decomposes the native
  ``spectrograms::spectrogram`` op into :func:`portable_spectrogram` (registered by
  :mod:`spectrograms.export.onnx`), the same transform in plain torch ops (framing by gather, the
  windowed real DFT as one matrix product, the filterbank as a dense matrix, dB), which every ONNX
  runtime runs. The graph needs onnxruntime alone.
- TorchScript (``torch.jit.script`` / ``torch.jit.trace``) and ``torch.export`` + AOTInductor keep the
  native ``spectrograms::*`` ops in the graph: a saved file needs the op library at load time
  (``import spectrograms`` in Python, or ``libspectrograms`` loaded by a C++ program, see
  ``examples/cpp``).
"""

from . import onnx
from .portable import portable_spectrogram

__all__ = ["portable_spectrogram"]
