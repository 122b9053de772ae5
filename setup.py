"""Declares the native extension and what is computed at build time (the torch pin, the CPU target);
everything else lives in pyproject.toml.

Two kinds of build:

* Development (``make setup``, ``pip install --no-build-isolation -e .``): tuned for the machine that
  builds it (``-march=native``) and with debug info, since it only ever runs there.
* Distribution (``pip wheel``, ``python -m build``, ``pip install .``): a portable CPU baseline
  (``SPECTROGRAMS_ARCH``, default ``x86-64``, which every x86-64 CPU runs) and no debug info. The hot
  loops of the spectrogram kernel (spectrograms_ext/spectrogram_block.cpp) are compiled for that
  baseline, AVX2+FMA and AVX-512 as well, and the best level the CPU has is picked at run time
  (``spectrograms info`` names it); the FFTs are FFTW's, which picks its own SIMD code at run time.
  ``-ffp-contract=off`` makes every level round as the baseline does (no level fuses a multiply and an
  add that the baseline rounds twice), so on the same FFT a result does not depend on the CPU.

``SPECTROGRAMS_PORTABLE=1`` forces the distribution flags, ``SPECTROGRAMS_NATIVE=1`` the development ones.
"""

import glob
import os
import platform

import torch
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

# The extension calls torch's C++ API, whose ABI changes between releases, and spectrograms/_extension.py
# refuses any other torch at import: pinning the exact version lets pip refuse (or pick) it up front
# instead of leaving an install that cannot be imported.
TORCH_PIN = f"torch=={torch.__version__.split('+')[0]}"
DEFAULT_ARCH = "x86-64"


def _native_build(command) -> bool:
    if os.environ.get("SPECTROGRAMS_PORTABLE"):
        return False
    if os.environ.get("SPECTROGRAMS_NATIVE"):
        return True
    # setuptools sets editable_mode on build_ext for `pip install -e` (PEP 660); inplace is the
    # `setup.py build_ext --inplace` form. Anything else builds a wheel that may run elsewhere.
    return bool(getattr(command, "editable_mode", False) or command.inplace)


class build_ext(BuildExtension):
    def build_extensions(self):
        if _native_build(self):
            compile_flags, link_flags = ["-march=native"], []
        else:
            arch = os.environ.get("SPECTROGRAMS_ARCH", DEFAULT_ARCH)
            target = []
            if platform.machine() in ("x86_64", "AMD64"):
                target = [f"-march={arch}", "-mtune=generic"]
                # spectrograms/_extension.py reads it to refuse, by name, a CPU without these instructions.
                os.makedirs(os.path.join(self.build_lib, "spectrograms"), exist_ok=True)
                with open(os.path.join(self.build_lib, "spectrograms", "_arch.txt"), "w") as file:
                    file.write(arch + "\n")
            # -g0 comes after Python's own CFLAGS (which carry -g), so it wins; the link strips what is left.
            compile_flags, link_flags = [*target, "-ffp-contract=off", "-g0"], ["-Wl,--strip-debug"]
        for extension in self.extensions:
            extension.extra_compile_args = [*extension.extra_compile_args, *compile_flags]
            extension.extra_link_args = [*extension.extra_link_args, *link_flags]
        super().build_extensions()


setup(
    install_requires=[TORCH_PIN, "numpy>=1.26"],
    ext_modules=[
        CppExtension(
            "spectrograms._C",
            sorted(glob.glob("spectrograms_ext/*.cpp")),
            libraries=["fftw3f", "fftw3"],
            # at::parallel_for is a header that parallelises only under -fopenmp; at run time the
            # extension shares torch's already-loaded libgomp.so.1, so torch.set_num_threads governs it.
            extra_compile_args=["-O3", "-fno-math-errno", "-fopenmp"],
            extra_link_args=["-fopenmp"],
        )
    ],
    cmdclass={"build_ext": build_ext},
)
