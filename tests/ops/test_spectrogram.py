"""The fused spectrogram op against a pure-torch reference built on torch.stft."""

import pytest
import torch

import spectrograms as sg
from spectrograms import ops

from ..conftest import DTYPES

TOLERANCE = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-10, atol=1e-10)}


def reference_spectrogram(signal, window, n_fft, hop, center, pad_mode, power, filterbank, floor_db):
    """The same computation in plain torch: torch.stft, |X|^p, dense filterbank, dB."""
    spec = torch.stft(signal, n_fft, hop, window=window, center=center, pad_mode=pad_mode,
                      return_complex=True).abs().pow(power)
    if filterbank is not None:
        spec = torch.einsum("mk,...kt->...mt", filterbank, spec)
    if floor_db is not None:
        factor = 20.0 if power == 1.0 else 10.0
        spec = factor * torch.log10(spec.clamp_min(10.0 ** (floor_db / factor)))
    return spec


def _mel(n_fft, dtype, n_mels=40):
    params = sg.SpectrogramParams(sg.StftParams(n_fft, n_fft // 4), 16000.0)
    return sg.mel_filterbank(params, sg.MelParams(n_mels, 20.0, 7600.0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("center,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")])
@pytest.mark.parametrize("power", [1.0, 2.0])
@pytest.mark.parametrize("with_filterbank", [False, True])
@pytest.mark.parametrize("floor_db", [None, -60.0])
def test_matches_torch_reference(dtype, center, pad_mode, power, with_filterbank, floor_db):
    torch.manual_seed(0)
    n_fft, hop = 256, 100  # hop not dividing n_fft, to exercise partial overlaps
    signal = torch.randn(3, 2, 1234, dtype=dtype)
    window = torch.hann_window(n_fft, dtype=dtype)
    bank = _mel(n_fft, dtype) if with_filterbank else None
    out = ops.spectrogram(signal, window, n_fft=n_fft, hop_length=hop, center=center, pad_mode=pad_mode,
                          power=power, filterbank=bank.csr(dtype) if bank else None, floor_db=floor_db)
    ref = reference_spectrogram(signal.reshape(-1, 1234), window, n_fft, hop, center, pad_mode, power,
                                bank.dense(dtype) if bank else None, floor_db)
    assert out.dtype == dtype and out.shape == (3, 2, *ref.shape[-2:])
    torch.testing.assert_close(out.reshape(ref.shape), ref, **TOLERANCE[dtype])


@pytest.mark.parametrize("n_fft", [16, 255, 512, 1000])
def test_sizes_and_odd_n_fft(n_fft):
    signal = torch.randn(3000, dtype=torch.float64)
    window = torch.hann_window(n_fft, dtype=torch.float64)
    out = ops.spectrogram(signal, window, n_fft=n_fft, hop_length=n_fft // 3 + 1, center=True, pad_mode="reflect")
    ref = reference_spectrogram(signal, window, n_fft, n_fft // 3 + 1, True, "reflect", 2.0, None, None)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)


def test_transforms_larger_than_the_kept_scratch():
    # n_fft 2**17 needs ~8 MiB of scratch per thread, above what a thread keeps between calls.
    signal = torch.randn(2**17 + 5000, dtype=torch.float64)
    window = torch.hann_window(2**17, dtype=torch.float64)
    out = ops.spectrogram(signal, window, n_fft=2**17, hop_length=2500, center=False)
    ref = reference_spectrogram(signal, window, 2**17, 2500, False, "constant", 2.0, None, None)
    scale = ref.abs().max()
    torch.testing.assert_close(out / scale, ref / scale, rtol=1e-10, atol=1e-12)


def test_threads_do_not_change_results():
    signal = torch.randn(4, 20000)
    window = torch.hann_window(512)
    bank = _mel(512, torch.float32).csr(torch.float32)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = ops.spectrogram(signal, window, n_fft=512, hop_length=160, filterbank=bank, floor_db=-80.0)
        torch.set_num_threads(2)
        multi = ops.spectrogram(signal, window, n_fft=512, hop_length=160, filterbank=bank, floor_db=-80.0)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(single, multi)


def test_opcheck():
    bank = _mel(128, torch.float32, n_mels=20).csr(torch.float32)
    for args in [
        (torch.randn(2, 1000), torch.hann_window(128), 128, 64, True, "reflect", 2.0, None, None, None, None),
        (torch.randn(1000), torch.hann_window(128), 128, 50, False, "constant", 1.0, *bank, -80.0),
        (torch.randn(3, 700, dtype=torch.float64), torch.hann_window(128, dtype=torch.float64), 128, 32, True,
         "constant", 2.0, None, None, None, -100.0),
    ]:
        torch.library.opcheck(torch.ops.spectrograms.spectrogram.default, args)


def test_compile_fullgraph_matches_eager():
    window = torch.hann_window(256)

    def features(x):
        return ops.spectrogram(x, window, n_fft=256, hop_length=128, floor_db=-80.0) * 0.5

    compiled = torch.compile(features, fullgraph=True, backend="eager")
    x = torch.randn(2, 4000)
    torch.testing.assert_close(compiled(x), features(x))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_samples_are_refused(value):
    signal = torch.randn(5000)
    signal[4321] = value
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.spectrogram(signal, torch.hann_window(512), n_fft=512, hop_length=256)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(n_fft=512, hop_length=0), "hop_length must be positive"),
        (dict(n_fft=256, hop_length=128), "window must have shape"),
        (dict(n_fft=512, hop_length=128, power=3.0), "power must be 1"),
        (dict(n_fft=512, hop_length=128, pad_mode="edge"), "pad_mode must be"),
        (dict(n_fft=512, hop_length=128, floor_db=float("nan")), "floor_db must be finite"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.spectrogram(torch.randn(3000), torch.hann_window(512), **kwargs)


def test_bad_filterbank_is_refused():
    crow = torch.tensor([0, 2], dtype=torch.int64)
    col = torch.tensor([0, 9999], dtype=torch.int64)
    val = torch.ones(2)
    with pytest.raises(ValueError, match="filterbank column 9999"):
        ops.spectrogram(torch.randn(3000), torch.hann_window(512), n_fft=512, hop_length=128,
                        filterbank=(crow, col, val))


def test_dtype_mismatch_and_integer_signal_are_refused():
    with pytest.raises(ValueError, match="window dtype"):
        ops.spectrogram(torch.randn(3000), torch.hann_window(512, dtype=torch.float64), n_fft=512, hop_length=128)
    with pytest.raises(ValueError, match="float32 or float64"):
        ops.spectrogram(torch.zeros(3000, dtype=torch.int16), torch.hann_window(512), n_fft=512, hop_length=128)


def test_short_signal_without_center_is_refused():
    with pytest.raises(ValueError, match="fewer than n_fft"):
        ops.spectrogram(torch.randn(500), torch.hann_window(512), n_fft=512, hop_length=128, center=False)


def test_reflect_needs_more_than_half_a_frame():
    with pytest.raises(ValueError, match="reflect"):
        ops.spectrogram(torch.randn(100), torch.hann_window(512), n_fft=512, hop_length=128, pad_mode="reflect")
