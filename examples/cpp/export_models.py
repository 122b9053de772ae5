"""Writes the models the C++ example loads: a mel dB front-end (16 kHz, 80 bands, 25 ms / 10 ms) as
TorchScript (``mel_db.pt``) and, unless ``--no-aoti``, as an AOTInductor package (``mel_db.pt2``).

    .venv/bin/python examples/cpp/export_models.py OUT_DIR [--no-aoti]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import torch

import spectrograms.nn as snn


def front_end() -> torch.nn.Module:
    return torch.nn.Sequential(snn.MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=80),
                               snn.AmplitudeToDB()).eval()


def export(out_dir: Path, aoti: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    model = front_end()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation notice
        torch.jit.script(model).save(str(out_dir / "mel_db.pt"))
    written = [out_dir / "mel_db.pt"]
    if aoti:
        # Dynamic channels and time: the program passes (channels, time). (An example of size 1 would
        # fix that axis to 1: torch.export specialises sizes 0 and 1.)
        channels, time = torch.export.Dim("channels", min=1, max=64), torch.export.Dim("time", min=4096,
                                                                                       max=16000 * 3600)
        program = torch.export.export(model, (torch.randn(2, 16000),), dynamic_shapes=({0: channels, 1: time},))
        torch._inductor.aoti_compile_and_package(program, package_path=str(out_dir / "mel_db.pt2"))
        written.append(out_dir / "mel_db.pt2")
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--no-aoti", action="store_true", help="only the TorchScript file (AOTI compiles for ~1 min)")
    args = parser.parse_args()
    for path in export(args.out_dir, aoti=not args.no_aoti):
        print(path)
