"""MDCT/IMDCT against the seed library (float64, 1e-9 relative) and against the direct cosine sum."""

import math

import numpy as np
import pytest
import torch

import spectrograms as sg
from spectrograms.errors import SpectrogramError
from tests.conftest import tone_mix
from tests.seed_oracle import needs_seed, run_seed

WINDOWS = {"hanning": "sg.WindowType.hanning", "hamming": "sg.WindowType.hamming",
           "blackman": "sg.WindowType.blackman", "rectangular": "sg.WindowType.rectangular",
           "gaussian": "sg.WindowType.gaussian(6.0)"}
CASES = [(64, 32, "sine"), (32, 12, "hanning"), (16, 16, "hamming"), (128, 48, "blackman"),
         (8, 3, "rectangular"), (40, 20, "gaussian")]


def _params(window_size, hop, window):
    if window == "sine":
        return sg.MdctParams.sine_window(window_size)
    return sg.MdctParams(window_size, hop, eval(WINDOWS[window]))


def _relative(ours, theirs):
    return np.abs(ours.numpy() - theirs).max() / np.abs(theirs).max()


@needs_seed
@pytest.mark.parametrize("signal_kind", ["tones", "speech"])
def test_mdct_and_imdct_equal_the_seed_library(signal_kind, request):
    x = tone_mix(3001) if signal_kind == "tones" else request.getfixturevalue("speech")[0][:16000]
    script = f"""
for i, (size, hop, window) in enumerate({CASES!r}):
    p = sg.MdctParams.sine_window(size) if window == 'sine' else sg.MdctParams(size, hop, eval({WINDOWS!r}[window]))
    out[f'c{{i}}'] = sg.mdct(x, p)
    out[f'y{{i}}'] = sg.imdct(out[f'c{{i}}'], p)
    out[f't{{i}}'] = sg.imdct(out[f'c{{i}}'], p, original_length=len(x) - 7)
"""
    seed = run_seed(script, x=x)
    for i, case in enumerate(CASES):
        params = _params(*case)
        coefficients = sg.mdct(x, params)
        assert _relative(coefficients, seed[f"c{i}"]) <= 1e-9, case
        assert _relative(sg.imdct(coefficients, params), seed[f"y{i}"]) <= 1e-9, case
        assert _relative(sg.imdct(coefficients, params, original_length=len(x) - 7), seed[f"t{i}"]) <= 1e-9


def test_mdct_is_the_direct_cosine_sum_and_sine_window_reconstructs():
    x = tone_mix(500)
    params = sg.MdctParams(16, 8, sg.WindowType.rectangular)
    n, m, k = 8, np.arange(16), np.arange(8)
    basis = np.cos(math.pi / n * (m[None, :] + 0.5 + n / 2) * (k[:, None] + 0.5))
    direct = basis @ np.lib.stride_tricks.sliding_window_view(x, 16)[::8].T
    np.testing.assert_allclose(sg.mdct(x, params).numpy(), direct, rtol=0, atol=1e-12)
    sine = sg.MdctParams.sine_window(64)
    y = sg.imdct(sg.mdct(x, sine), sine).numpy()
    np.testing.assert_allclose(y[32:len(y) - 32], x[32:len(y) - 32], atol=1e-12)


def test_batches_and_dtypes():
    params = sg.MdctParams.sine_window(32)
    batch = np.stack([tone_mix(700, seed=s) for s in range(3)])
    together = sg.mdct(batch, params)
    assert together.shape == (3, 16, (700 - 32) // 16 + 1)
    for item, signal in zip(together, batch):
        torch.testing.assert_close(item, sg.mdct(signal, params), rtol=0, atol=1e-12)
    single = sg.mdct(batch.astype(np.float32), params)
    assert single.dtype == torch.float32
    assert sg.mdct(batch.astype(np.float32), params, dtype="float64").dtype == torch.float64
    np.testing.assert_allclose(single.numpy(), together.numpy(), atol=2e-5)
    back = sg.imdct(together, params)
    assert back.shape == (3, 16 * together.shape[-1] + 16)
    assert params.n_coefficients == 16 and params.hop_size == 16 and params.window_size == 32


def test_symmetric_windows_are_numpys():
    for name, reference in (("hanning", np.hanning), ("hamming", np.hamming), ("blackman", np.blackman)):
        ours = getattr(sg.WindowType, name).coefficients(33, periodic=False).numpy()
        np.testing.assert_allclose(ours, reference(33), atol=1e-15)
    np.testing.assert_allclose(sg.WindowType.kaiser(8.0).coefficients(33, periodic=False).numpy(),
                               np.kaiser(33, 8.0), rtol=1e-12)


@pytest.mark.parametrize("call, parameter", [
    (lambda: sg.MdctParams(15, 4, sg.WindowType.hanning), "window_size"),
    (lambda: sg.MdctParams(2, 1, sg.WindowType.hanning), "window_size"),
    (lambda: sg.MdctParams(16, 0, sg.WindowType.hanning), "hop_size"),
    (lambda: sg.MdctParams(16, 4, "hann"), "window"),
    (lambda: sg.MdctParams.sine_window(7), "window_size"),
    (lambda: sg.mdct(np.ones(10), sg.MdctParams.sine_window(16)), "window_size"),
    (lambda: sg.mdct(np.full(40, np.nan), sg.MdctParams.sine_window(16)), "NaN"),
    (lambda: sg.mdct(np.ones(40), "params"), "params"),
    (lambda: sg.imdct(np.ones((7, 3)), sg.MdctParams.sine_window(16)), "coefficients"),
    (lambda: sg.imdct(np.ones((8, 3)), sg.MdctParams.sine_window(16), original_length=0), "original_length"),
    (lambda: sg.mdct(np.ones(40), sg.MdctParams.sine_window(16), dtype="half"), "dtype"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises(SpectrogramError, match=parameter):
        call()
