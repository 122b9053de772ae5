"""TorchScript route: ``torch.jit.script`` and ``torch.jit.trace`` of the layers, saved, loaded and run
in a fresh process that only imports ``spectrograms`` (which registers the ops), against the eager
layer (issue 12). Scripted and traced graphs call the same native ops as eager, so the values are
equal to float32 rounding (``torch.testing.assert_close``'s float32 defaults).

``torch.jit.script`` covers the feature layers, the augmentations and the Whisper front-end; the
toolbox layers (Resample, MelScale, InverseMelScale, InverseSpectrogram, GriffinLim, LFCC,
SpectralCentroid, SlidingWindowCmn, Loudness, Fade) and PCEN are traced only: their bodies are the
functions of ``spectrograms.functional`` (PCEN's, of ``spectrograms.pcen``), which TorchScript cannot
compile (keyword-only arguments, keyword expansion, f-string conversions, nested functions).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

import spectrograms as sg
import spectrograms.nn as snn

MEL = dict(sample_rate=16000, n_fft=400, hop_length=160, n_mels=80)


def _seed_mfcc():
    return snn.MFCC(sg.SpectrogramParams(sg.StftParams(512, 160), 16000), sg.MelParams(40, 0.0, 8000.0),
                    sg.MfccParams(13))


# name: (builder, input kind); kinds are made by _inputs.
SCRIPTABLE = {
    "Spectrogram": (lambda: snn.Spectrogram(n_fft=400, hop_length=160), "wave"),
    "Spectrogram_complex": (lambda: snn.Spectrogram(n_fft=400, hop_length=160, power=None), "wave"),
    "Spectrogram_magnitude_db": (lambda: snn.Spectrogram(sg.SpectrogramParams(sg.StftParams(512, 128), 16000),
                                                         sg.LogParams(-90.0)), "wave"),
    "MelSpectrogram": (lambda: snn.MelSpectrogram(**MEL), "wave"),
    "ErbSpectrogram": (lambda: snn.ErbSpectrogram(n_fft=400, hop_length=160), "wave"),
    "LogHzSpectrogram": (lambda: snn.LogHzSpectrogram(n_fft=1024, hop_length=256), "wave"),
    "AmplitudeToDB": (lambda: snn.AmplitudeToDB(), "mel"),
    "AmplitudeToDB_top_db": (lambda: snn.AmplitudeToDB(top_db=80.0), "mel"),
    "MFCC": (lambda: snn.MFCC(sample_rate=16000, n_mfcc=13, melkwargs=dict(n_fft=400, hop_length=160, n_mels=40)),
             "wave"),
    "MFCC_seed_form": (_seed_mfcc, "wave"),
    "Chromagram": (lambda: snn.Chromagram(sample_rate=16000, n_fft=2048, hop_length=512), "wave"),
    "CQT": (lambda: snn.CQT(sample_rate=16000, n_fft=2048, hop_length=512, n_octaves=6, scale="db"), "wave"),
    "FrequencyMasking": (lambda: snn.FrequencyMasking(10), "mel"),
    "TimeMasking": (lambda: snn.TimeMasking(20), "mel"),
    "UtteranceNorm": (lambda: snn.UtteranceNorm(), "mel"),
    "ComputeDeltas": (lambda: snn.ComputeDeltas(), "mel"),
    "WhisperLogMelSpectrogram": (lambda: snn.WhisperLogMelSpectrogram(), "wave"),
    "WhisperLogMelSpectrogram_128_batch": (lambda: snn.WhisperLogMelSpectrogram(128, "batch"), "wave"),
    "Vol": (lambda: snn.Vol(3.0, "db"), "wave"),
}
TRACE_ONLY = {
    "Resample": (lambda: snn.Resample(16000, 8000), "wave"),
    "MelScale": (lambda: snn.MelScale(n_mels=40, n_stft=201), "spec"),
    "InverseMelScale": (lambda: snn.InverseMelScale(n_stft=201, n_mels=40, driver="gelsd"), "mel40"),
    "InverseSpectrogram": (lambda: snn.InverseSpectrogram(n_fft=400, hop_length=160), "complex"),
    "GriffinLim": (lambda: snn.GriffinLim(n_fft=400, hop_length=160, n_iter=4, rand_init=False), "spec"),
    "LFCC": (lambda: snn.LFCC(speckwargs=dict(n_fft=400, hop_length=160)), "wave"),
    "SpectralCentroid": (lambda: snn.SpectralCentroid(16000, n_fft=400, hop_length=160), "wave"),
    "SlidingWindowCmn": (lambda: snn.SlidingWindowCmn(cmn_window=100, min_cmn_window=10), "mel"),
    "Loudness": (lambda: snn.Loudness(16000), "stereo"),
    "Fade": (lambda: snn.Fade(1000, 2000, "half_sine"), "wave"),
    "PCEN": (lambda: snn.PCEN(80), "mel"),
    # The Kaldi layers trace their torch path (the fused kernel is skipped while tracing): one channel.
    # Not KaldiSpectrogram: see tests/test_export_census.py.
    "KaldiFbank": (lambda: snn.KaldiFbank(num_mel_bins=80), "wave"),
    "KaldiMFCC": (lambda: snn.KaldiMFCC(use_energy=True), "wave"),
}


def _inputs(kind: str, length: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(length)
    wave = 0.1 * torch.randn(2, length, generator=generator)
    if kind == "wave":
        return wave
    if kind == "stereo":
        return 0.1 * torch.randn(2, 2, length, generator=generator)
    if kind == "mel":
        return snn.MelSpectrogram(**MEL)(wave)
    if kind == "mel40":
        return snn.MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=40)(wave)
    if kind == "spec":
        return snn.Spectrogram(n_fft=400, hop_length=160)(wave)
    return snn.Spectrogram(n_fft=400, hop_length=160, power=None)(wave)


LOAD_AND_RUN = textwrap.dedent("""
    import sys
    import torch
    import spectrograms  # noqa: F401  (registers the spectrograms::* ops the saved graphs call)

    cases = torch.load(sys.argv[1])
    outputs = {}
    for name, (path, inputs) in cases.items():
        module = torch.jit.load(path)
        outputs[name] = [module(x) for x in inputs]
    torch.save(outputs, sys.argv[2])
""")


def _check_in_fresh_process(tmp_path, compiled: dict, kinds: dict, models: dict, lengths):
    """Saves every compiled module, runs them all in one new interpreter, compares with eager."""
    cases, expected = {}, {}
    for name, module in compiled.items():
        path = tmp_path / f"{name}.pt"
        module.save(str(path))
        inputs = [_inputs(kinds[name], length) for length in lengths]
        cases[name] = (str(path), inputs)
        expected[name] = [models[name](x) for x in inputs]
    torch.save(cases, tmp_path / "cases.pt")
    script = tmp_path / "load_and_run.py"
    script.write_text(LOAD_AND_RUN)
    subprocess.run([sys.executable, str(script), str(tmp_path / "cases.pt"), str(tmp_path / "outputs.pt")],
                   check=True, timeout=300)
    outputs = torch.load(tmp_path / "outputs.pt")
    for name in compiled:
        for got, want in zip(outputs[name], expected[name]):
            # FFTW measures its plans in each process, so a new process may run another FFT algorithm:
            # float32 rounding, relative to the output's scale.
            scale = float(want.abs().max()) if want.numel() else 0.0
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5 * scale,
                                       msg=lambda m, name=name: f"{name}: {m}")


def test_script_every_scriptable_layer_runs_in_a_fresh_process(tmp_path):
    models = {name: build().eval() for name, (build, _) in SCRIPTABLE.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
        scripted = {name: torch.jit.script(model) for name, model in models.items()}
    kinds = {name: kind for name, (_, kind) in SCRIPTABLE.items()}
    # Scripted graphs keep the shape logic: any length, including ones never seen before.
    _check_in_fresh_process(tmp_path, scripted, kinds, models, (16000, 20011, 7000))


def test_trace_every_layer_runs_in_a_fresh_process(tmp_path):
    layers = {**SCRIPTABLE, **TRACE_ONLY}
    models = {name: build().eval() for name, (build, _) in layers.items()}
    kinds = {name: kind for name, (_, kind) in layers.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings: shapes read as Python numbers
        traced = {name: torch.jit.trace(model, (_inputs(kinds[name], 16000),), check_trace=False)
                  for name, model in models.items()}
    # A trace records one input's shapes: checked at the traced length (and a second item count).
    _check_in_fresh_process(tmp_path, traced, kinds, models, (16000,))


def test_scripted_layer_keeps_the_op_checks():
    """The scripted path skips the Python-side validation, but the native op still refuses bad input."""
    scripted = torch.jit.script(snn.MelSpectrogram(**MEL))
    with pytest.raises(RuntimeError):
        scripted(torch.randn(2, 100))  # shorter than the reflect padding
