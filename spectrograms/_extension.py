"""Loads the native extension, which registers ``torch.ops.spectrograms.*``.

The extension is required: without it the package fails loudly, saying which of its causes it is (not
built, built for another torch, FFTW missing, a CPU without the instructions a wheel was built for)
and the command that fixes it.
"""

from pathlib import Path

import torch

_REBUILD = "rebuild it with `make setup` (or `pip install --no-build-isolation -e .` in the repository)"
_FFTW = (
    "FFTW 3 (single and double precision: libfftw3f.so.3 and libfftw3.so.3); install it "
    "(Debian/Ubuntu: apt-get install libfftw3-3; Fedora: dnf install fftw-libs; conda: conda install fftw) "
    "or put the folder holding it on LD_LIBRARY_PATH"
)
# torch.backends.cpu.get_cpu_capability() names, weakest first, and the -march level each one covers.
_CAPABILITY_RANK = {"DEFAULT": 0, "NO AVX": 0, "AVX2": 1, "AVX512": 2}
_ARCH_NEEDS = {"x86-64": 0, "x86-64-v2": 0, "x86-64-v3": 1, "x86-64-v4": 2}


def load_error(error: ImportError) -> ImportError:
    """The ImportError to raise for ``error``, raised by ``from . import _C``: names its cause."""
    message = str(error)
    if "libfftw3" in message:
        return ImportError(f"spectrograms' native extension could not load {_FFTW}. The loader said: {message}")
    if "undefined symbol" in message:
        return ImportError(
            f"spectrograms' native extension does not match the installed torch {torch.__version__}; {_REBUILD}"
        )
    return ImportError(f"spectrograms' native extension (spectrograms._C) is not built; {_REBUILD} ({message})")


def check_cpu(arch: str, capability: str) -> None:
    """Refuses a CPU that lacks the instruction set a distribution build targets (``_arch.txt``), which
    would otherwise die with SIGILL at the first vectorised loop."""
    needed, available = _ARCH_NEEDS.get(arch, 0), _CAPABILITY_RANK.get(capability, 2)
    if available < needed:
        raise ImportError(
            f"this spectrograms build targets -march={arch}, which this CPU ({capability}) does not support; "
            "install from source (`pip install --no-binary spectrograms spectrograms`) to build for it"
        )


_arch_file = Path(__file__).with_name("_arch.txt")  # written by setup.py in wheels only
if _arch_file.exists():
    check_cpu(_arch_file.read_text().strip(), torch.backends.cpu.get_cpu_capability())

try:
    from . import _C as _C  # re-exported: ops/ calls the kernels it binds directly
except ImportError as error:
    raise load_error(error) from error

_running = torch.__version__.split("+")[0]
if _C.TORCH_VERSION != _running:
    raise ImportError(
        f"spectrograms' native extension was built against torch {_C.TORCH_VERSION} but torch {_running} is "
        f"installed; {_REBUILD}"
    )
