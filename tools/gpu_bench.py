"""GPU timings of the benchmark's workloads, for the README's GPU table.

    python tools/gpu_bench.py            # needs a CUDA device; writes gpu_bench.json to $OUT or .

Times the ops' CUDA kernel (``spectrograms/ops/_aten.py``: ``torch.stft`` and torch ops) and
torchaudio's ``MelSpectrogram`` + ``AmplitudeToDB`` on the same GPU with CUDA events (median of 30
after a warm-up), and ours on all CPU cores of the same machine for scale. Settings are
``spectrograms.bench``'s workloads.
"""

import json
import os
import statistics
import time

import torch
import torchaudio

from spectrograms.bench import WORKLOADS, ours


def gpu_median(fn, repeats: int = 30) -> float:
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def cpu_median(fn, repeats: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rows = {}
    for workload in WORKLOADS:
        x = workload.signal(False)
        x_gpu = x.cuda()
        row = {"ours_cuda": gpu_median(ours(workload, x_gpu)), "cpu_threads": torch.get_num_threads(),
               "ours_cpu_all_threads": cpu_median(ours(workload, x))}
        if not workload.per_clip:
            mel = torchaudio.transforms.MelSpectrogram(
                sample_rate=workload.sample_rate, n_fft=workload.n_fft, hop_length=workload.hop,
                n_mels=workload.n_mels, f_max=workload.sample_rate / 2, center=True, pad_mode="constant",
                power=2.0).cuda()
            to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None).cuda()
            row["torchaudio_cuda"] = gpu_median(lambda: to_db(mel(x_gpu)))
        rows[workload.name] = row
        print(workload.name, {k: f"{v * 1e3:.3f} ms" if isinstance(v, float) else v for k, v in row.items()},
              flush=True)
    print(torch.cuda.get_device_name(), torch.__version__)
    with open(os.path.join(os.environ.get("OUT", "."), "gpu_bench.json"), "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
