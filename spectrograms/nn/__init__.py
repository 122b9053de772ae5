"""``torch.nn`` front-ends: feature layers that compose in ``nn.Sequential`` with the model after them.

Every feature layer is constructible from the parameter objects of the seed API
(``MelSpectrogram(params, mel_params)``) or from torchaudio's keywords
(``MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=128)``, with torchaudio's
defaults: Hann window, ``hop_length = win_length // 2``, ``center=True``, ``pad_mode="reflect"``,
HTK mel scale, no mel normalisation).

Shapes: input ``(time,)``, ``(batch, time)`` or ``(batch, channels, time)`` (any ``(..., time)``);
output ``(..., bins, frames)``, e.g. ``(batch, n_mels, frames)``. :func:`frame_lengths` (and each
layer's ``frame_lengths`` method) maps sample counts to frame counts for masking padded batches.

Devices, dtypes and autograd: the window and the filterbank (CSR, plus the DCT of :class:`MFCC`) are
persistent buffers, so ``state_dict`` round-trips and ``.to(device)`` moves them; CPU tensors run the
native FFTW kernel, CUDA tensors the cuFFT-based kernel. The features are differentiable with respect to
the input (gradients flow to whatever produced the waveform) and trace without graph breaks under
``torch.compile(fullgraph=True)`` and ``torch.export``. Buffers are float32 (``.double()`` for float64
features). ``.half()`` / ``.bfloat16()`` policy: the transforms compute in float32 for float16 and
bfloat16 input and return the input's dtype, so a half-precision model can take them as they are;
the buffers are cast to the compute dtype on the fly.
"""

from ._common import frame_lengths
from .augment import ComputeDeltas, FrequencyMasking, TimeMasking, UtteranceNorm
from .spectral import (
    MFCC,
    AmplitudeToDB,
    Chromagram,
    ErbSpectrogram,
    LogHzSpectrogram,
    MelSpectrogram,
    Spectrogram,
)
from . import effects, frontends, toolbox
from .cqt import CQT
from .streaming import PCEN, StreamingFeatures
from .frontends import *  # noqa: F403 (its __all__)
from .toolbox import *  # noqa: F403 (its __all__)
from .effects import *  # noqa: F403 (its __all__)

__all__ = [
    "Spectrogram",
    "MelSpectrogram",
    "ErbSpectrogram",
    "LogHzSpectrogram",
    "AmplitudeToDB",
    "MFCC",
    "Chromagram",
    "CQT",
    "PCEN",
    "StreamingFeatures",
    "FrequencyMasking",
    "TimeMasking",
    "UtteranceNorm",
    "ComputeDeltas",
    "frame_lengths",
    *toolbox.__all__,
    *effects.__all__,
    *frontends.__all__,
]

