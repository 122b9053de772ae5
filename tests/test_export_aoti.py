"""AOTInductor route: ``torch.export`` + ``torch._inductor.aoti_compile_and_package`` of a front-end,
loaded with ``aoti_load_package`` in a fresh process that only imports ``spectrograms`` (issue 12).

The package keeps the native ``spectrograms::spectrogram`` op (called through the dispatcher), so the
values equal eager within float32 rounding. Compiling takes about 45 s on a loaded 2-core machine:
marked slow.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

import spectrograms.nn as snn

pytestmark = pytest.mark.slow

LOAD_AND_RUN = textwrap.dedent("""
    import sys
    import torch
    import spectrograms  # noqa: F401  (registers the ops the package calls)

    package = torch._inductor.aoti_load_package(sys.argv[1])
    inputs = torch.load(sys.argv[2])
    torch.save([package(x) for x in inputs], sys.argv[3])
""")


def _export(model):
    batch, time = torch.export.Dim("batch", min=1, max=64), torch.export.Dim("time", min=4096, max=16000 * 700)
    return torch.export.export(model, (torch.randn(2, 16000),), dynamic_shapes=({0: batch, 1: time},))


def _assert_package_matches_eager(model, program, tmp_path, name, shapes):
    """Compiles ``program``, runs the package on random inputs of ``shapes`` in a fresh process and
    compares with eager: float32 rounding, relative to the output's scale (the new process measures
    its own FFTW plans)."""
    package = torch._inductor.aoti_compile_and_package(program, package_path=str(tmp_path / f"{name}.pt2"))
    generator = torch.Generator().manual_seed(0)
    inputs = [0.1 * torch.randn(shape, generator=generator) for shape in shapes]
    torch.save(inputs, tmp_path / "inputs.pt")
    script = tmp_path / "load_and_run.py"
    script.write_text(LOAD_AND_RUN)
    subprocess.run([sys.executable, str(script), package, str(tmp_path / "inputs.pt"), str(tmp_path / "out.pt")],
                   check=True, timeout=300)
    for got, x in zip(torch.load(tmp_path / "out.pt"), inputs):
        want = model(x)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5 * float(want.abs().max()))


def test_aoti_package_runs_in_a_fresh_process_with_dynamic_batch_and_time(tmp_path):
    model = torch.nn.Sequential(snn.MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=80),
                                snn.AmplitudeToDB()).eval()
    program = _export(model)
    targets = {str(node.target) for node in program.graph.nodes if node.op == "call_function"}
    assert "spectrograms.spectrogram.default" in targets  # the fused op, not a decomposition
    _assert_package_matches_eager(model, program, tmp_path, "mel_db", ((1, 8000), (3, 20011), (5, 16000)))


# The Kaldi layers export a whole (channels, time) waveform through spectrograms/export/kaldi.py (their
# kernel's frame count is a value): the package holds those torch ops, float64 like the kernel's wide
# mode, so its values equal eager's within float32 rounding too.
FRONT_ENDS = {
    "WhisperLogMelSpectrogram": lambda: snn.WhisperLogMelSpectrogram(80),
    "KaldiFbank": lambda: snn.KaldiFbank(num_mel_bins=80),
    "KaldiMFCC_centred": lambda: snn.KaldiMFCC(snip_edges=False, use_energy=True),
    "KaldiSpectrogram": lambda: snn.KaldiSpectrogram(),
}


@pytest.mark.parametrize("name", sorted(FRONT_ENDS))
def test_aoti_front_end_runs_in_a_fresh_process(name, tmp_path):
    model = FRONT_ENDS[name]().eval()
    _assert_package_matches_eager(model, _export(model), tmp_path, name, ((1, 8000), (3, 20011), (2, 16000)))
