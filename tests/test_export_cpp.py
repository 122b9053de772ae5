"""C++ route: examples/cpp built with CMake against the installed torch wheel, loading the TorchScript
model and the AOTInductor package with the op library (spectrograms/_C*.so), reading a WAV file; its
features equal Python's eager values within float32 rounding (issue 12).

Needs cmake and a C++ compiler (the development set-up installs them; skipped, saying so, without).
Building against torch's headers and compiling the AOTI package take a minute or two: marked slow.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import spectrograms

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cpp"


def _load_export_script():
    spec = importlib.util.spec_from_file_location("export_models", EXAMPLE / "export_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    cmake, compiler = shutil.which("cmake"), shutil.which("c++") or shutil.which("g++")
    if cmake is None or compiler is None:
        pytest.skip("cmake and a C++ compiler are needed to build examples/cpp (apt-get install cmake g++)")
    build = tmp_path_factory.mktemp("cpp_build")
    subprocess.run([cmake, "-S", str(EXAMPLE), "-B", str(build), f"-DPython3_EXECUTABLE={sys.executable}"],
                   check=True, capture_output=True, timeout=300)
    subprocess.run([cmake, "--build", str(build), "-j2"], check=True, capture_output=True, timeout=900)
    return build / "spectrograms_features"


def test_cpp_example_prints_python_features_for_a_wav_file(program, tmp_path, speech):
    import soundfile

    samples, rate = speech
    stereo = np.stack([samples[:40000], 0.5 * samples[8000:48000]], axis=1)  # two channels of speech
    soundfile.write(tmp_path / "speech.wav", stereo, rate, subtype="PCM_16")
    export_models = _load_export_script()
    models = export_models.export(tmp_path / "models")
    op_library = next(Path(spectrograms.__file__).parent.glob("_C*.so"))
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run([str(program), str(op_library), str(tmp_path / "speech.wav"), *map(str, models),
                          "--out", str(out)], check=True, capture_output=True, text=True, timeout=300)
    assert "2 channel(s), 40000 samples at 16000 Hz" in run.stdout
    assert "mel_db.pt: features [2, 80, 251]" in run.stdout, run.stdout

    waveform = torch.from_numpy(soundfile.read(tmp_path / "speech.wav", dtype="float32")[0].T.copy())
    expected = export_models.front_end()(waveform)
    for model in models:
        got = torch.from_numpy(np.fromfile(out / f"{model.name}.f32", dtype=np.float32)).reshape(expected.shape)
        # float32 rounding, relative to the dB scale (the program measures its own FFTW plans).
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5 * float(expected.abs().max()),
                                   msg=lambda m, name=model.name: f"{name}: {m}")


def test_cpp_example_names_a_bad_wav_file(program, tmp_path):
    (tmp_path / "not.wav").write_bytes(b"RIFF\x00\x00\x00\x00JUNK")
    op_library = next(Path(spectrograms.__file__).parent.glob("_C*.so"))
    run = subprocess.run([str(program), str(op_library), str(tmp_path / "not.wav"), "unused.pt"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "not.wav: not a RIFF/WAVE file" in run.stderr
