"""Deploying the feature layers: ONNX, TorchScript, AOTInductor and C++.

The layers of :mod:`spectrograms.nn` need nothing from the user to be deployed:

- ONNX: ``torch.onnx.export(model, (waveform,), dynamo=True)`` (with ``dynamic_shapes`` for dynamic
  batch and time, as for any model). The exporter decomposes the native ``spectrograms::spectrogram``
  op into :func:`portable_spectrogram` (registered by :mod:`spectrograms.export.onnx`), the same
  transform in plain torch ops (framing by gather, the windowed real DFT as two matrix products, the
  filterbank as a dense matrix, dB), which every ONNX runtime runs. The graph needs onnxruntime alone.
- TorchScript (``torch.jit.script`` / ``torch.jit.trace``) and ``torch.export`` + AOTInductor keep the
  native ``spectrograms::*`` ops in the graph: a saved file needs the op library at load time
  (``import spectrograms`` in Python, or ``spectrograms/_C*.so`` loaded by a C++ program, see
  ``examples/cpp``).

The Kaldi layers (``KaldiFbank``, ``KaldiMFCC``, ``KaldiSpectrogram``) export a whole waveform through
:mod:`spectrograms.export.kaldi` (their kernel's frame count is a value), under ``torch.onnx.export``
and ``torch.export`` + AOTInductor with dynamic channel and time axes; not their ``lengths`` form and
not ``dither != 0``.

What does not export, and why (torch 2.14.1, onnxruntime 1.32):

- ONNX, complex tensors: ``Spectrogram(power=None)`` (the complex STFT), ``InverseSpectrogram`` and
  ``GriffinLim`` (complex spectra inside) use ``spectrograms::stft``/``istft``, which have no ONNX
  translation; onnxruntime's CPU kernels take no complex tensors.
- ONNX, ``InverseMelScale``: ``torch.linalg.lstsq`` has no ONNX operator (torch.export refuses it too).
- ONNX, ``Loudness``: its K-weighting filter is an FFT convolution whose ONNX DFT node onnxruntime
  fails to run.
- ONNX, ``PCEN``: its smoother raises a tensor to a power that depends on the number of frames (a
  symbolic exponent), which torch 2.14's ONNX translation of ``aten::pow`` rejects.
- TorchScript, ``torch.jit.script`` of ``PCEN`` (its forward expands a dict into keyword arguments) and of
  the toolbox layers (Resample, MelScale, InverseMelScale,
  InverseSpectrogram, GriffinLim, LFCC, SpectralCentroid, SlidingWindowCmn, Loudness, Fade): their
  bodies are :mod:`spectrograms.functional`, which TorchScript cannot compile; ``torch.jit.trace``
  works for all of them (a trace records one input shape).
"""

from . import onnx
from .portable import portable_spectrogram

__all__ = ["portable_spectrogram"]
