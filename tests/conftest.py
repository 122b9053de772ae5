import numpy as np
import pytest
import torch

DTYPES = [torch.float32, torch.float64]


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
