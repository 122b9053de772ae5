"""Command line: ``spectrograms <command> [...]`` or ``python -m spectrograms <command> [...]``.

Commands: ``demo`` (train the audio classification recipe on synthetic sounds), ``bench`` (the
benchmark), ``features``, ``plot`` (features of files, as arrays or an
image), ``extract``, ``info`` (versions, threads, CPU features used). ``--help`` and ``--version`` exit 0.
"""

import sys

COMMANDS = {
    "demo": ("spectrograms.demo", "train the audio classifier recipe on built-in synthetic sounds"),
    "bench": ("spectrograms.bench", "time mel dB spectrograms against the FFT floor and installed peers"),
    "extract": ("spectrograms.extract", "compute features for a corpus into resumable shards (processes or Dask)"),
    "features": ("spectrograms.cli_features", "features of an audio file, folder or manifest to .npy/.npz/.safetensors"),
    "plot": ("spectrograms.cli_plot", "an audio file's features as an image (time in s, Hz, dB colour bar)"),
    "info": (None, "versions, the torch the extension was built against, threads and CPU features"),
}

USAGE = "usage: spectrograms [--help] [--version] {" + ",".join(COMMANDS) + "} [options]"


def _help() -> str:
    lines = [USAGE, "", "commands:"]
    lines += [f"  {name:<7} {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "`spectrograms <command> --help` shows a command's options."]
    return "\n".join(lines)


def _kernel_level() -> str:
    """The CPU features the spectrogram kernel uses: its dispatched level and the build's target."""
    from pathlib import Path

    from spectrograms import _C

    names = {"baseline": "baseline", "avx2": "AVX2+FMA", "avx512": "AVX-512 (F/BW/DQ/VL)"}
    arch_file = Path(__file__).with_name("_arch.txt")  # distribution builds only (setup.py)
    target = f"-march={arch_file.read_text().strip()}" if arch_file.exists() else "-march=native (development build)"
    try:
        level = _C.cpu_kernel_level()
    except ValueError as error:  # a bad SPECTROGRAMS_CPU
        level = f"none ({error})"
    return (f"{names.get(level, level)} in use (best here: {_C.detected_cpu_level()}; compiled: "
            f"{', '.join(_C.compiled_cpu_levels())} over a {target} baseline; SPECTROGRAMS_CPU lowers it)")


def info() -> int:
    """Prints the versions, the extension's build, the threads and the CPU's vector extensions."""
    import platform

    import torch

    import spectrograms
    from spectrograms import _C

    flags = set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = set(next(line for line in cpuinfo if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        pass
    vector = [name for name in ("sse4_2", "avx", "avx2", "fma", "avx512f") if name in flags]
    print(f"spectrograms  {spectrograms.__version__} ({spectrograms.__file__.rsplit('/', 1)[0]})")
    print(f"torch         {torch.__version__} (extension built against {_C.TORCH_VERSION})")
    print(f"python        {platform.python_version()} on {platform.machine()}")
    print(f"threads       {torch.get_num_threads()} intra-op (torch.set_num_threads)")
    print(f"cpu           {platform.processor() or platform.machine()}; vector: {' '.join(vector) or 'unknown'}")
    print(f"kernels       CPU features used: {_kernel_level()}")
    print(f"cuda          {torch.cuda.is_available()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_help())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"spectrograms {version('spectrograms')}")
        except PackageNotFoundError:  # a source tree on sys.path, not installed
            print("spectrograms (not installed)")
        return 0
    if argv[0] not in COMMANDS:
        print(f"{USAGE}\nspectrograms: error: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    if argv[0] == "info":
        return info()
    import importlib

    module = COMMANDS[argv[0]][0]
    assert module is not None  # only info has none, handled above
    status: int = importlib.import_module(module).main(argv[1:]) or 0
    return status


if __name__ == "__main__":
    sys.exit(main())
