"""The complex STFT op against torch.stft."""

import pytest
import torch

from spectrograms import ops

from ..conftest import DTYPES


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("center,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")])
def test_matches_torch_stft(dtype, center, pad_mode):
    torch.manual_seed(0)
    signal = torch.randn(2, 3001, dtype=dtype)
    window = torch.hamming_window(400, dtype=dtype)
    out = ops.stft(signal, window, n_fft=400, hop_length=123, center=center, pad_mode=pad_mode)
    ref = torch.stft(signal, 400, 123, window=window, center=center, pad_mode=pad_mode, return_complex=True)
    assert out.dtype == ref.dtype
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-11, atol=1e-11)
    torch.testing.assert_close(out, ref, **tolerance)


def test_opcheck():
    for args in [
        (torch.randn(2, 900), torch.hann_window(256), 256, 100, True, "reflect"),
        (torch.randn(900, dtype=torch.float64), torch.hann_window(256, dtype=torch.float64), 256, 64, False,
         "constant"),
    ]:
        torch.library.opcheck(torch.ops.spectrograms.stft.default, args)


def test_non_finite_samples_are_refused():
    signal = torch.randn(4000, dtype=torch.float64)
    signal[0] = float("nan")
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.stft(signal, torch.hann_window(256, dtype=torch.float64), n_fft=256, hop_length=64)
