"""Command line: ``spectrograms bench [...]`` or ``python -m spectrograms bench [...]``."""

import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"bench": "spectrograms.bench", "demo": "spectrograms.demo"}
    if not argv or argv[0] not in commands:
        print("usage: spectrograms {bench,demo} [options]   (spectrograms bench --help for the benchmark's)")
        return 2
    import importlib

    return importlib.import_module(commands[argv[0]]).main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
