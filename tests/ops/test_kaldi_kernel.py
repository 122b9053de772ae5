"""The fused Kaldi front-end op (spectrograms_ext/kaldi_kernel.cpp): its fake kernel (opcheck), its
refusals (named errors, never a crash, for any argument values: hypothesis), and its own reference
comparison, the torch path of spectrograms.compliance.kaldi, which tests/compliance/test_kaldi.py holds
to torchaudio (it also runs the op over the whole option grid)."""

import pytest
import torch
from hypothesis import given, settings, strategies as st

from spectrograms.compliance import kaldi
from spectrograms.ops.kaldi_kernel import kaldi_frames_features

SIGNAL = torch.randn(2, 4000, generator=torch.Generator().manual_seed(0)) * 0.1
LENGTHS = torch.tensor([4000, 3000])
WINDOW = torch.hann_window(400, periodic=False, dtype=torch.float64)


def _arguments(**changes):
    counts = 1 + (LENGTHS - 400) // 160
    start = torch.tensor([1, 5, 9, 13]); length = torch.tensor([8, 8, 8, 8])
    weights = torch.rand(4, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    arguments = dict(signal=SIGNAL, lengths=LENGTHS, counts=counts, window=WINDOW, n_frames=int(counts.max()),
                     frame_shift=160, padded_length=512, snip_edges=True, remove_dc_offset=True,
                     preemphasis_coefficient=0.97, raw_energy=True, log_energy_floor=0.0,
                     bank=(start, length, weights), n_cols=5, feature_col=1, energy_col=0, wide=True)
    arguments.update(changes)
    return arguments


def _call(arguments):
    arguments = dict(arguments)
    positional = [arguments.pop(name) for name in ("signal", "lengths", "counts", "window")]
    return kaldi_frames_features(*positional, **arguments)


def test_shapes_padding_and_opcheck():
    features, energy = _call(_arguments())
    assert features.shape == (2, 23, 5) and energy.shape == (2, 23) and features.dtype == torch.float32
    assert torch.equal(features[:, :, 0], energy)
    assert not features[1, 17:].any() and features[1, :17].all()  # item 1 has 17 frames
    args = _arguments()
    start, length, weights = args.pop("bank")
    torch.library.opcheck(torch.ops.spectrograms.kaldi_frames_features.default,
                          (args["signal"], args["lengths"], args["counts"], args["window"], None, 0.0,
                           args["n_frames"], 160, 512, True, True, 0.97, True, 0.0, start, length, weights, True, True,
                           5, 1, 0, True))


def test_float64_output_of_a_float32_signal_is_the_float64_signals():
    """out_dtype=float64 reads float32 samples as float64 (exact) and keeps the float64 values: the
    features of signal.double(), without that copy."""
    wide = _arguments(out_dtype=torch.float64)
    features, energy = _call(wide)
    assert features.dtype == energy.dtype == torch.float64
    exact, exact_energy = _call(_arguments(signal=SIGNAL.double(), wide=False))
    assert torch.equal(features, exact) and torch.equal(energy, exact_energy)
    rounded, _ = _call(_arguments())  # the default keeps the signal's dtype
    assert rounded.dtype == torch.float32  # its log is taken after rounding to float32 (about 1 ulp)
    torch.testing.assert_close(rounded, exact.float(), rtol=1e-6, atol=1e-6)
    args = _arguments()
    start, length, weights = args.pop("bank")
    torch.library.opcheck(torch.ops.spectrograms.kaldi_frames_features.default,
                          (args["signal"], args["lengths"], args["counts"], args["window"], None, 0.0,
                           args["n_frames"], 160, 512, True, True, 0.97, True, 0.0, start, length, weights, True, True,
                           5, 1, 0, True, torch.float64))


def test_matches_the_torch_path_on_a_batch():
    signal = SIGNAL.double()
    native, counts = kaldi.fbank_batch(signal, LENGTHS, snip_edges=False, use_energy=True, num_mel_bins=30)
    torch_path, torch_counts = kaldi.fbank_batch(signal.clone().requires_grad_(), LENGTHS, snip_edges=False,
                                                 use_energy=True, num_mel_bins=30)
    assert torch.equal(counts, torch_counts)
    torch.testing.assert_close(native, torch_path.detach(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("changes, words", [
    (dict(window=WINDOW.float()), "working dtype"),
    (dict(padded_length=511), "padded_length"),
    (dict(frame_shift=0), "frame_shift"),
    (dict(counts=torch.tensor([23, 99])), "counts"),
    (dict(lengths=torch.tensor([4000, 5000])), "lengths"),
    (dict(lengths=torch.tensor([4000, 100])), "fewer than one frame"),
    (dict(bank=(torch.tensor([1, 5, 9, 300]), torch.tensor([8, 8, 8, 8]), torch.ones(4, 8, dtype=torch.float64))),
     "band 3"),
    (dict(n_cols=3), "output columns"),
    (dict(signal=torch.full((2, 4000), float("nan"))), "NaN or Inf"),
    (dict(out_dtype=torch.float16), "out_dtype"),
    (dict(out_dtype=torch.float64, wide=False, window=WINDOW.float(),
          bank=(torch.tensor([1]), torch.tensor([8]), torch.ones(1, 8))), "out_dtype"),
    (dict(signal=SIGNAL.double(), wide=False, out_dtype=torch.float32), "out_dtype"),
    (dict(signal=SIGNAL * 1e30, wide=False, window=WINDOW.float(),
          bank=(torch.tensor([1]), torch.tensor([8]), torch.ones(1, 8))), "too loud"),
])
def test_refusals_name_the_argument(changes, words):
    arguments = _arguments(**changes)
    if "bank" in changes and len(changes["bank"][0]) == 1:
        arguments.update(n_cols=2)
    with pytest.raises(ValueError, match=words):
        _call(arguments)


@settings(max_examples=60, deadline=None)
@given(shift=st.integers(-2, 500), padded=st.integers(-2, 1100), n_frames=st.integers(-1, 40),
       count=st.integers(-1, 40), length=st.integers(-1, 4100), n_cols=st.integers(0, 8),
       feature_col=st.integers(-1, 6), energy_col=st.integers(-2, 8), band_start=st.integers(-1, 600),
       band_length=st.integers(-1, 9))
def test_any_arguments_give_a_value_error_or_a_result(shift, padded, n_frames, count, length, n_cols, feature_col,
                                                      energy_col, band_start, band_length):
    bank = (torch.tensor([band_start]), torch.tensor([band_length]), torch.ones(1, 8, dtype=torch.float64))
    arguments = _arguments(frame_shift=shift, padded_length=padded, n_frames=n_frames, lengths=torch.tensor([4000, length]),
                           counts=torch.tensor([min(count, 23), count]), n_cols=n_cols, feature_col=feature_col,
                           energy_col=energy_col, bank=bank)
    try:
        features, energy = _call(arguments)
    except ValueError:
        return
    assert features.shape == (2, n_frames, n_cols) and energy.shape == (2, n_frames)
