"""Declares the native extension; everything else lives in pyproject.toml."""

import glob
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

# The build is made on the machine that runs it (make setup), so tuning for its CPU is safe;
# SPECTROGRAMS_PORTABLE=1 builds a binary that runs on any x86-64.
arch_flags = [] if os.environ.get("SPECTROGRAMS_PORTABLE") else ["-march=native"]

setup(
    ext_modules=[
        CppExtension(
            "spectrograms._C",
            sorted(glob.glob("spectrograms_ext/*.cpp")),
            libraries=["fftw3f", "fftw3"],
            # at::parallel_for is a header that parallelises only under -fopenmp; at run time the
            # extension shares torch's already-loaded libgomp.so.1, so torch.set_num_threads governs it.
            extra_compile_args=["-O3", "-fno-math-errno", "-fopenmp", *arch_flags],
            extra_link_args=["-fopenmp"],
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
