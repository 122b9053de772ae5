import os

import numpy as np
import pytest
import torch
from hypothesis import settings

DTYPES = [torch.float32, torch.float64]

# Property tests draw the same examples on every run, so `make test` (and CI) is reproducible; the fuzz
# and any exploratory run take fresh random draws with HYPOTHESIS_PROFILE=random.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("random", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def restore_torch_threads():
    """For tests of code that sets the process-wide thread count (the data module's setup and workers)."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def tone_mix(n_samples: int, sample_rate: float = 16000.0, dtype=np.float64, seed: int = 0) -> np.ndarray:
    """Two tones over white noise: energy in every band, and peaks a wrong bin mapping would move."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / sample_rate
    signal = 0.5 * np.sin(2 * np.pi * 440.0 * t) + 0.25 * np.sin(2 * np.pi * 3000.0 * t)
    return (signal + 0.05 * rng.standard_normal(n_samples)).astype(dtype)


SPEECH_TEXT = ("The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore, "
               "and a feature extractor must give the same numbers on every one of them.")


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> tuple[np.ndarray, int]:
    """Real speech: espeak-ng's voice (22,050 Hz, about 9 s) resampled to 16 kHz float64 in [-1, 1).

    Synthetic tones miss what speech has (onsets, silence, formants, broadband fricatives); the parity
    tests run on both. Skipped, saying why, where espeak-ng is not installed (``make test`` installs it).
    """
    import shutil
    import subprocess

    import soundfile
    from scipy.signal import resample_poly

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (make test installs Debian's espeak-ng)")
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    # Without the sanitizer runtimes `make sanitize` preloads into Python: espeak-ng hangs under them.
    env = {name: value for name, value in os.environ.items() if name != "LD_PRELOAD"}
    subprocess.run([espeak, "-w", str(path), SPEECH_TEXT], check=True, capture_output=True, env=env, timeout=120)
    samples, rate = soundfile.read(path, dtype="float64")
    assert rate == 22050, rate
    return resample_poly(samples, 160, 441), 16000
