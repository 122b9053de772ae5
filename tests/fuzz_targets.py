"""The fuzz targets of tests/test_fuzz_entry_points.py: one valid call of every public callable.

Each target is a valid call (``Target(fn, *args, **kwargs)``) plus, for classes and plans, what is
done with the object built (``use``). The fuzz replaces one argument of that call (a positional one,
a keyword, or the input given to ``use``) with a hostile value and classifies the outcome with
tests/fuzz_harness.py. ``tests/test_fuzz_entry_points.py`` checks that every callable in the
``__all__`` of every public module is here or in ``EXEMPT`` with the reason.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

import spectrograms as sg
from spectrograms import nn as snn

RATE = 16000
NOISE = np.random.default_rng(0).standard_normal(1600).astype(np.float32) * 0.1
X = torch.from_numpy(NOISE)
X2 = torch.from_numpy(np.stack([NOISE, NOISE[::-1].copy()]))
P = sg.SpectrogramParams(sg.StftParams(n_fft=64, hop_size=32), sample_rate=float(RATE))
MEL = sg.MelParams(8)
SPEC = torch.rand(33, 51) + 0.01  # (bins, frames), a power spectrogram of n_fft=64
CSPEC = torch.stft(X, 64, 32, window=torch.hann_window(64), return_complex=True)
IMAGE = np.random.default_rng(1).standard_normal((16, 20))
CQT = sg.CqtParams(bins_per_octave=12, n_octaves=3, f_min=200.0)


class Target:
    """A valid call ``fn(*args, **kwargs)``, then ``use(result)`` when given (the object's work)."""

    def __init__(self, fn, *args, use=None, use_input=None, finite=True, **kwargs):
        self.fn, self.args, self.kwargs, self.use, self.use_input = fn, args, kwargs, use, use_input
        self.finite = finite  # False where the reference library itself defines NaN/Inf outputs
        try:
            parameters = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            parameters = []
        self.positional_names = [parameters[i] if i < len(parameters) and not parameters[i].startswith("*")
                                 else f"argument {i}" for i in range(len(args))]

    def slots(self):
        """(slot, parameter name, valid value): what the fuzz may replace."""
        out = [(("pos", i), self.positional_names[i], value) for i, value in enumerate(self.args)]
        out += [(("kw", key), key, value) for key, value in self.kwargs.items()]
        if self.use is not None and self.use_input is not None:
            out.append((("input", 0), "input", self.use_input))
        return out

    def call(self, slot=None, value=None):
        args, kwargs, use_input = list(self.args), dict(self.kwargs), self.use_input
        if slot is not None:
            kind, key = slot
            if kind == "pos":
                args[key] = value
            elif kind == "kw":
                kwargs[key] = value
            else:
                use_input = value
        built = self.fn(*args, **kwargs)
        if self.use is None:
            return built
        return self.use(built, use_input) if self.use_input is not None else self.use(built)


def layer(cls, *args, **kwargs):
    """An nn.Module built from ``args``/``kwargs``, then called on an input (fuzzed too): the first
    argument when it is a tensor, else the waveform X."""
    inputs = X
    if args and isinstance(args[0], torch.Tensor):
        inputs, args = args[0], args[1:]
    return Target(cls, *args, use=lambda module, x: module(x), use_input=inputs, **kwargs)


def method(fn, name, inputs, *args, **kwargs):
    return Target(fn, *args, use=lambda obj, x: getattr(obj, name)(x), use_input=inputs, **kwargs)


def _stream_use(stream, x):
    first = stream.push(x)
    return first, stream.flush()


def _planner(kind):
    return lambda planner, x: getattr(planner, kind)(P, MEL).compute(x)


def _core_targets():
    from spectrograms import filterbanks as fb

    t = {}
    for kind, bands in (("linear", None), ("mel", MEL), ("erb", sg.ErbParams(8)), ("loghz", sg.LogHzParams(8, 100.0))):
        for scale in ("power", "magnitude", "db"):
            fn = getattr(sg, f"compute_{kind}_{scale}_spectrogram")
            t[fn] = Target(fn, X, P) if bands is None else Target(fn, X, P, bands)
            plan = getattr(sg, f"{kind.capitalize() if kind != 'loghz' else 'LogHz'}{scale.capitalize()}Plan")
            t[plan] = method(plan, "compute", X, P, *(() if bands is None else (bands,)))
    t.update({
        sg.compute_stft: Target(sg.compute_stft, X, P),
        sg.compute_mfcc: Target(sg.compute_mfcc, X, P, MEL, sg.MfccParams(6)),
        sg.compute_chromagram: Target(sg.compute_chromagram, X, P, sg.ChromaParams()),
        sg.compute_istft: Target(sg.compute_istft, sg.compute_stft(NOISE, P), P),
        sg.compute_fft: Target(sg.compute_fft, X, n_fft=None),
        sg.compute_rfft: Target(sg.compute_rfft, X, n_fft=128),
        sg.compute_irfft: Target(sg.compute_irfft, sg.compute_rfft(NOISE), n_fft=1600),
        sg.compute_power_spectrum: Target(sg.compute_power_spectrum, X, n_fft=256, window=sg.WindowType.hanning),
        sg.compute_magnitude_spectrum: Target(sg.compute_magnitude_spectrum, X, n_fft=256),
        sg.fft2d: Target(sg.fft2d, IMAGE), sg.ifft2d: Target(sg.ifft2d, sg.fft2d(IMAGE).tensor, 20),
        sg.power_spectrum_2d: Target(sg.power_spectrum_2d, IMAGE),
        sg.magnitude_spectrum_2d: Target(sg.magnitude_spectrum_2d, IMAGE),
        sg.clear_fft_plan_cache: Target(sg.clear_fft_plan_cache), sg.fft_plan_cache_info: Target(sg.fft_plan_cache_info),
        sg.fftfreq: Target(sg.fftfreq, 64, d=1.0), sg.rfftfreq: Target(sg.rfftfreq, 64, d=0.5),
        **{fn: Target(fn, IMAGE) for fn in (sg.fftshift, sg.ifftshift)},
        **{fn: Target(fn, NOISE) for fn in (sg.fftshift_1d, sg.ifftshift_1d)},
        sg.Filterbank: Target(sg.Filterbank, "mel", np.ones((2, 3)), np.array([1.0, 2.0]), None,
                              use=lambda f: f.matrix),
        sg.hz_to_mel: Target(sg.hz_to_mel, np.array([0.0, 440.0]), scale=sg.MelScale.htk),
        sg.mel_to_hz: Target(sg.mel_to_hz, np.array([0.0, 10.0])),
        sg.mel_filterbank: Target(sg.mel_filterbank, P, MEL, use=lambda f: f.matrix),
        sg.hz_to_erb_rate: Target(sg.hz_to_erb_rate, np.array([100.0, 1000.0])),
        sg.erb_rate_to_hz: Target(sg.erb_rate_to_hz, np.array([1.0, 10.0])),
        sg.erb_bandwidth: Target(sg.erb_bandwidth, np.array([100.0, 1000.0])),
        sg.erb_filterbank: Target(sg.erb_filterbank, P, sg.ErbParams(8), use=lambda f: f.matrix),
        sg.loghz_filterbank: Target(sg.loghz_filterbank, P, sg.LogHzParams(8, 100.0), use=lambda f: f.matrix),
        sg.chroma_filterbank: Target(sg.chroma_filterbank, P, sg.ChromaParams(), use=lambda f: f.matrix),
        sg.librosa_chroma_weights: Target(sg.librosa_chroma_weights, 16000.0, 64, n_chroma=12, tuning=0.0, ctroct=5.0,
                                          octwidth=2.0),
        sg.chroma_labels: Target(sg.chroma_labels, 12),
        sg.dct_matrix: Target(sg.dct_matrix, 13, 40), sg.dct_basis: Target(sg.dct_basis, 13, 40, dct_type=2, norm="ortho"),
        fb.mel_weights: Target(fb.mel_weights, np.linspace(0, 8000, 33), 8, 0.0, 8000.0),
        fb.check_mel_norm: Target(fb.check_mel_norm, "slaney"),
        sg.lifter_weights: Target(sg.lifter_weights, 13, 22.0),
        sg.gaussian_kernel_2d: Target(sg.gaussian_kernel_2d, 5, 1.0),
        sg.convolve_fft: Target(sg.convolve_fft, IMAGE, np.ones((3, 3)) / 9),
        sg.lowpass_filter: Target(sg.lowpass_filter, IMAGE, 0.3), sg.highpass_filter: Target(sg.highpass_filter, IMAGE, 0.3),
        sg.bandpass_filter: Target(sg.bandpass_filter, IMAGE, 0.1, 0.4),
        sg.detect_edges_fft: Target(sg.detect_edges_fft, IMAGE), sg.sharpen_fft: Target(sg.sharpen_fft, IMAGE, 0.5),
        sg.Fft2dPlanner: method(sg.Fft2dPlanner, "power_spectrum_2d", IMAGE, dtype="float64"),
        sg.MdctParams: Target(sg.MdctParams, 64, 32, sg.WindowType.hanning, use=lambda p: sg.mdct(NOISE, p)),
        sg.mdct: Target(sg.mdct, X, sg.MdctParams(64, 32, sg.WindowType.hanning)),
        sg.imdct: Target(sg.imdct, sg.mdct(NOISE, sg.MdctParams(64, 32, sg.WindowType.hanning)),
                         sg.MdctParams(64, 32, sg.WindowType.hanning), 1600),
        sg.WindowType: Target(sg.WindowType, "kaiser", 8.0, use=lambda w: w.coefficients(64)),
        sg.StftParams: Target(sg.StftParams, 64, 32, "hann", True, use=lambda s: sg.compute_stft(NOISE, sg.SpectrogramParams(s, 16000.0))),
        sg.SpectrogramParams: Target(sg.SpectrogramParams, P.stft, 16000.0, use=lambda p: sg.compute_linear_db_spectrogram(NOISE, p)),
        sg.LogParams: Target(sg.LogParams, -80.0, use=lambda d: sg.compute_linear_db_spectrogram(NOISE, P, d)),
        sg.MelNorm: Target(sg.MelNorm, "slaney"), sg.MelScale: Target(sg.MelScale, "htk"),
        sg.MelParams: Target(sg.MelParams, 8, 0.0, None, use=lambda m: sg.compute_mel_db_spectrogram(NOISE, P, m)),
        sg.ErbParams: Target(sg.ErbParams, 8, 50.0, None, use=lambda m: sg.compute_erb_db_spectrogram(NOISE, P, m)),
        sg.LogHzParams: Target(sg.LogHzParams, 8, 100.0, None, use=lambda m: sg.compute_loghz_db_spectrogram(NOISE, P, m)),
        sg.ChromaParams: Target(sg.ChromaParams, 440.0, 32.7, 4186.0, use=lambda c: sg.compute_chromagram(NOISE, P, c)),
        sg.MfccParams: Target(sg.MfccParams, 6, 22.0, use=lambda m: sg.compute_mfcc(NOISE, P, MEL, m)),
        sg.SpectrogramPlan: method(sg.SpectrogramPlan, "compute", X, P, scale="db", db_params=sg.LogParams()),
        sg.SpectrogramPlanner: Target(sg.SpectrogramPlanner, use=_planner("mel_db_plan"), use_input=X),
        sg.MfccPlan: method(sg.MfccPlan, "compute", X, P, MEL, sg.MfccParams(6)),
        sg.ChromagramPlan: method(sg.ChromagramPlan, "compute", X, P, sg.ChromaParams()),
        sg.window_tensor: Target(sg.window_tensor, P.stft, torch.float32),
        sg.band_filterbank: Target(sg.band_filterbank, P, MEL, sg.MelParams, use=lambda f: f.matrix),
        sg.CqtParams: Target(sg.CqtParams, 12, 3, 200.0, use=lambda c: sg.compute_cqt_db_spectrogram(
            NOISE, sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), c)),
        sg.CqtPlan: method(sg.CqtPlan, "compute", X, sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), CQT),
        sg.CqtPowerPlan: method(sg.CqtPowerPlan, "compute", X, sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), CQT),
        sg.CqtMagnitudePlan: method(sg.CqtMagnitudePlan, "compute", X,
                                    sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), CQT),
        sg.CqtDbPlan: method(sg.CqtDbPlan, "compute", X, sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), CQT,
                             sg.LogParams()),
        **{fn: Target(fn, X, sg.SpectrogramParams(sg.StftParams(2048, 256), 16000.0), CQT)
           for fn in (sg.compute_cqt_power_spectrogram, sg.compute_cqt_magnitude_spectrogram,
                      sg.compute_cqt_db_spectrogram)},
        sg.cqt_kernels: Target(sg.cqt_kernels, CQT, 16000.0, 2048),
        sg.blocked_kernels: Target(sg.blocked_kernels, CQT, 16000.0, 2048, 256),
    })
    return t


def _binaural_targets():
    t = {}
    stereo = np.stack([NOISE, 0.5 * NOISE])
    band = dict(start_freq=1000.0, end_freq=6000.0)
    for kind, extra in (("itd", {}), ("ipd", {}), ("ild", {}), ("ilr", {})):
        cls = getattr(sg, f"{kind.upper()}SpectrogramParams")
        fn = getattr(sg, f"compute_{kind}_spectrogram")
        params = cls(P, **band)
        # ILD/ILR of a silent bin are NaN in the seed library (test_fuzz_binaural.py checks where).
        t[cls] = Target(cls, P, 1000.0, 6000.0, use=lambda p, fn=fn: fn(stereo, p), finite=kind in ("itd", "ipd"))
        t[fn] = Target(fn, stereo, params, finite=kind in ("itd", "ipd"))
        result = getattr(sg, {"itd": "ItdSpectrogram", "ipd": "IpdSpectrogram", "ild": "IldSpectrogram",
                              "ilr": "IlrSpectrogram"}[kind])
        out = fn(stereo, params)
        t[result] = Target(result, out.tensor, params, out.frequencies, out.times, use=lambda r: r.tensor)
    for kind in ("itd", "ilr"):
        fn = getattr(sg, f"compute_{kind}_spectrogram_diff")
        t[fn] = Target(fn, stereo, stereo[::-1].copy(), getattr(sg, f"{kind.upper()}SpectrogramParams")(P, **band),
                       finite=False)
    return t


def _result_targets():
    from spectrograms import results

    spec = sg.compute_mel_db_spectrogram(NOISE, P, MEL, sg.LogParams())
    stft = sg.compute_stft(NOISE, P)
    chroma = sg.compute_chromagram(NOISE, P)
    mfcc = sg.compute_mfcc(NOISE, P, MEL, sg.MfccParams(6))
    return {
        results.TensorResult: Target(results.TensorResult, spec.tensor, use=lambda r: r.data),
        sg.Spectrogram: Target(sg.Spectrogram, spec.tensor, spec.frequencies, spec.times, P, scale="db",
                               use=lambda r: r.data),
        sg.StftResult: Target(sg.StftResult, stft.tensor, stft.frequencies, stft.times, P, 1600, use=lambda r: r.data),
        sg.Chromagram: Target(sg.Chromagram, chroma.tensor, chroma.frequencies, chroma.times, P, sg.ChromaParams(),
                              use=lambda r: r.data),
        sg.Mfcc: Target(sg.Mfcc, mfcc.tensor, mfcc.times, P, MEL, sg.MfccParams(6), sg.LogParams(), use=lambda r: r.data),
        sg.Fft2dResult: Target(sg.Fft2dResult, sg.fft2d(IMAGE).tensor, (16, 20), use=lambda r: r.tensor),
    }


def _pcen_targets():
    from spectrograms import pcen

    return {
        pcen.compute_pcen: Target(pcen.compute_pcen, SPEC, sr=16000.0, hop_length=32, gain=0.98, bias=2.0, power=0.5,
                                  time_constant=0.4, eps=1e-6),
        pcen.pcen_unchecked: Target(pcen.pcen_unchecked, SPEC, gain=0.98, bias=2.0, power=0.5, eps=1e-6, b=0.1),
        pcen.pcen_smoothing_coefficient: Target(pcen.pcen_smoothing_coefficient, 0.4, 16000.0, 32),
        pcen.PcenPlan: method(pcen.PcenPlan, "compute", X, P, MEL, gain=0.98),
    }


def core_targets():
    return {**_core_targets(), **_binaural_targets(), **_result_targets(), **_pcen_targets()}
