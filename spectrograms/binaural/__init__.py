"""Binaural spectrograms of the seed library ``spectrograms`` 2.1.3: ITD, IPD, ILD and ILR.

Each compares the STFTs of the left and right channel of a stereo signal over a band of FFT bins
``[round(start_freq / df), round(end_freq / df))`` with ``df = sample_rate / n_fft`` (the seed's
definitions, from Binaspect):

* ITD (seconds): ``wrap(angle(L) - angle(R)) / (2 pi df k)`` for bin ``k``, 0 where both magnitudes
  (raised to ``magphase_power``) are 0;
* IPD (radians): ``angle(L) - angle(R)``, wrapped to ``[-pi, pi)`` if ``wrapped``;
* ILD (dB): ``-20 log10(|R| / |L|)``, NaN where a channel is silent;
* ILR (in [-1, 1]): ``1 - |R|/|L|`` where the right is quieter, else ``-(1 - |L|/|R|)``, NaN where a
  channel is silent.

As in the seed library the window is symmetric (``numpy.hanning``'s), frames are centred with zero
padding when ``centre`` is set, a signal shorter than one frame gives one zero-padded frame, and the
time axis is ``frame * hop / sample_rate``. Both channels (and, for the ``*_diff`` functions, both
signals) go through one native STFT call as a batch; everything after it is vectorised over bins and
frames.

Supersets of the seed library: torch tensors and NumPy arrays in, tensors out; float32 input stays
float32 unless ``dtype`` says otherwise (the seed library always defaults to float64); a batch of
stereo signals ``(..., 2, time)`` gives results ``(..., n_bins, n_frames)``. Departures: stereo
channels of different lengths, NaN/Inf samples, and band parameters the seed library accepts but then
crashes on (or its Rust core refuses) raise named errors.
"""

from .compute import (
                      compute_ild_spectrogram,
                      compute_ilr_spectrogram,
                      compute_ilr_spectrogram_diff,
                      compute_ipd_spectrogram,
                      compute_itd_spectrogram,
                      compute_itd_spectrogram_diff,
)
from .params import ILDSpectrogramParams, ILRSpectrogramParams, IPDSpectrogramParams, ITDSpectrogramParams
from .results import IldSpectrogram, IlrSpectrogram, IpdSpectrogram, ItdSpectrogram

__all__ = [
    "ILDSpectrogramParams", "ILRSpectrogramParams", "IPDSpectrogramParams", "ITDSpectrogramParams",
    "IldSpectrogram", "IlrSpectrogram", "IpdSpectrogram", "ItdSpectrogram", "compute_ild_spectrogram",
    "compute_ilr_spectrogram", "compute_ilr_spectrogram_diff", "compute_ipd_spectrogram",
    "compute_itd_spectrogram", "compute_itd_spectrogram_diff",
]
