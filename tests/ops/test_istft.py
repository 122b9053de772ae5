"""The inverse STFT op against torch.istft, its round trip with the STFT op, opcheck, gradcheck, compile."""

import pytest
import torch

from spectrograms import ops

from ..conftest import DTYPES

COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}
# torch.istft runs the same least-squares inverse; they differ by float rounding only.
TOLERANCE = {torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.filterwarnings("ignore:The length of signal is shorter")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "n_fft,hop,center,window,length",
    [
        (256, 64, True, "hann", None),
        (256, 64, True, "hann", 2500),  # shorter than the frames reach
        (255, 100, True, "hann", None),  # odd n_fft, hop not dividing it
        (256, 128, False, "hamming", None),  # Hann is 0 at sample 0, which center=False keeps
        (200, 50, True, "hann", 3000),
    ],
)
def test_matches_torch_istft(dtype, n_fft, hop, center, window, length):
    torch.manual_seed(0)
    win = (torch.hann_window if window == "hann" else torch.hamming_window)(n_fft, dtype=dtype)
    # A random complex array is not the STFT of any signal: the least-squares inverse still must agree.
    stft = torch.randn(3, n_fft // 2 + 1, 40, dtype=COMPLEX[dtype])
    out = ops.istft(stft, win, n_fft=n_fft, hop_length=hop, center=center, length=length)
    ref = torch.istft(stft, n_fft, hop, window=win, center=center, length=length)
    assert out.dtype == dtype and out.shape == ref.shape
    torch.testing.assert_close(out, ref, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_fft,hop,pad_mode", [(512, 128, "constant"), (400, 200, "reflect"), (511, 127, "constant")])
def test_round_trip_returns_the_signal(dtype, n_fft, hop, pad_mode):
    torch.manual_seed(1)
    signal = torch.randn(2, 4001, dtype=dtype)
    window = torch.hann_window(n_fft, dtype=dtype)
    stft = ops.stft(signal, window, n_fft=n_fft, hop_length=hop, center=True, pad_mode=pad_mode)
    back = ops.istft(stft, window, n_fft=n_fft, hop_length=hop, center=True, length=4001)
    scale = signal.abs().max()
    error = ((back - signal).abs().max() / scale).item()
    assert error < (1e-5 if dtype == torch.float32 else 1e-12), error


def test_threads_do_not_change_results():
    stft = torch.randn(3, 257, 300, dtype=torch.complex64)
    window = torch.hann_window(512)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = ops.istft(stft, window, n_fft=512, hop_length=128)
        torch.set_num_threads(2)
        multi = ops.istft(stft, window, n_fft=512, hop_length=128)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(single, multi)


def test_opcheck():
    for args in [
        (torch.randn(2, 65, 20, dtype=torch.complex64), torch.hann_window(128), 128, 32, True, None),
        (torch.randn(65, 20, dtype=torch.complex128), torch.hamming_window(128, dtype=torch.float64), 128, 64,
         False, 1000),
        (torch.randn(33, 9, dtype=torch.complex128, requires_grad=True), torch.hann_window(64, dtype=torch.float64),
         64, 16, True, None),
    ]:
        torch.library.opcheck(torch.ops.spectrograms.istft.default, args)


@pytest.mark.parametrize("center,length", [(True, None), (True, 20), (True, 60), (False, None)])
def test_gradcheck(center, length):
    window = (torch.hann_window if center else torch.hamming_window)(16, dtype=torch.float64)
    stft = torch.randn(2, 9, 8, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda s: ops.istft(s, window, n_fft=16, hop_length=4, center=center, length=length), (stft,),
        fast_mode=True)


def test_compile_fullgraph_matches_eager():
    window = torch.hann_window(256)

    def round_trip(x):
        stft = ops.stft(x, window, n_fft=256, hop_length=64)
        return ops.istft(stft * 2, window, n_fft=256, hop_length=64, length=x.shape[-1])

    compiled = torch.compile(round_trip, fullgraph=True, backend="eager")
    x = torch.randn(2, 3000)
    torch.testing.assert_close(compiled(x), round_trip(x))
    torch.testing.assert_close(compiled(x), 2 * x, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "n_fft,hop,center,window",
    [(256, 64, False, torch.hann_window(256)),  # window 0 at the first kept sample
     (256, 300, True, torch.hann_window(256)),  # gaps between frames
     (256, 64, True, torch.zeros(256))],
)
def test_settings_that_cannot_invert_are_refused(n_fft, hop, center, window):
    stft = torch.randn(n_fft // 2 + 1, 30, dtype=torch.complex64)
    with pytest.raises(ValueError, match="cannot invert this STFT.*window-square sum"):
        ops.istft(stft, window, n_fft=n_fft, hop_length=hop, center=center)


@pytest.mark.parametrize(
    "stft,window,kwargs,message",
    [
        (torch.randn(129, 10), torch.hann_window(256), {}, "complex64 or complex128"),
        (torch.randn(128, 10, dtype=torch.complex64), torch.hann_window(256), {}, "frequency bins"),
        (torch.randn(129, 10, dtype=torch.complex64), torch.hann_window(255), {}, "window must have shape"),
        (torch.randn(129, 10, dtype=torch.complex64), torch.hann_window(256, dtype=torch.float64), {},
         "window dtype"),
        (torch.randn(129, 0, dtype=torch.complex64), torch.hann_window(256), {}, "no frames"),
        (torch.randn(129, 10, dtype=torch.complex64), torch.hann_window(256), dict(hop_length=0), "hop_length"),
        (torch.randn(129, 10, dtype=torch.complex64), torch.hann_window(256), dict(length=0), "length"),
        (torch.randn(129, dtype=torch.complex64), torch.hann_window(256), {}, "must have shape"),
    ],
)
def test_bad_arguments_raise_value_errors(stft, window, kwargs, message):
    kwargs = dict(dict(n_fft=256, hop_length=64), **kwargs)
    with pytest.raises(ValueError, match=message):
        ops.istft(stft, window, **kwargs)


def test_non_finite_values_are_refused():
    stft = torch.randn(129, 10, dtype=torch.complex128)
    stft[5, 3] = complex(float("nan"), 0.0)
    with pytest.raises(ValueError, match="NaN or Inf"):
        ops.istft(stft, torch.hann_window(256, dtype=torch.float64), n_fft=256, hop_length=64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_aten_kernel_for_cuda_matches_the_native_one(dtype):
    import importlib

    aten = importlib.import_module("spectrograms.ops.istft")  # the package exports the function by that name
    torch.manual_seed(0)
    for n_fft, hop, center, length, make_window in [(128, 32, True, None, torch.hann_window),
                                                    (128, 64, False, None, torch.hamming_window),
                                                    (128, 32, True, 1000, torch.hann_window),
                                                    (127, 40, True, 300, torch.hann_window)]:
        stft = torch.randn(2, n_fft // 2 + 1, 20, dtype=COMPLEX[dtype])
        window = make_window(n_fft, dtype=dtype)
        torch.testing.assert_close(aten.aten_istft(stft, window, n_fft, hop, center, length),
                                   ops.istft(stft, window, n_fft=n_fft, hop_length=hop, center=center, length=length),
                                   **TOLERANCE[dtype])
    with pytest.raises(ValueError, match="cannot invert this STFT.*window-square sum"):
        aten.aten_istft(stft, torch.hann_window(127, dtype=dtype), 127, 40, False, None)
