"""The seed library's (spectrograms 2.1.3) constants, window makers, enum spellings and result members,
differentially against the seed itself (float64, relative 1e-9).

The spectrogram values compared here use the rectangular window, on which the seed's (symmetric) and
our default (periodic) window conventions agree; the window conventions have tests of their own.
"""

import numpy as np
import pytest

import spectrograms as sg
from tests.seed_oracle import needs_seed, run_seed

RTOL = 1e-9

CONSTANTS = ["DLPACK_FLAG_BITMASK_IS_COPIED", "DLPACK_FLAG_BITMASK_READ_ONLY", "KDLCPU", "KDLCUDA", "KDLCUDA_HOST",
             "KDLCUDA_MANAGED", "KDLEXT_DEV", "KDLHEXAGON", "KDLMETAL", "KDLONE_API", "KDLOPENCL", "KDLROCM",
             "KDLROCM_HOST", "KDLVPI", "KDLVULKAN", "KDLWEB_GPU"]


@needs_seed
def test_constants_equal_the_seed_libraries():
    seed = run_seed(f"out['values'] = np.array([getattr(sg, n) for n in {CONSTANTS!r}])")
    assert [getattr(sg, name) for name in CONSTANTS] == seed["values"].tolist()


def test_dlpack_device_constants_match_what_torch_reports():
    import torch

    assert torch.zeros(1).__dlpack_device__()[0] == sg.KDLCPU


@needs_seed
def test_window_makers_equal_the_seed_libraries():
    # Kaiser: the seed evaluates I0 by the Abramowitz-Stegun polynomials (relative error ~1e-7 up to 3.75,
    # and a second 1/sqrt(2 pi) above it); ours is numpy's exact I0, a documented departure, so Kaiser is
    # compared at the polynomials' accuracy and only where they hold.
    calls = ["make_hanning(n)", "make_hamming(n)", "make_blackman(n)", "make_gaussian(n, 2.5)",
             "make_hanning(n, 'float32')", "make_kaiser(n, 3.0)"]
    lengths = (2, 7, 64, 513)
    script = "\n".join(f"N = {n}\n" + "\n".join(
        f"out['w{i}_{n}'] = sg.WindowType.{call.replace('(n', '(N')}" for i, call in enumerate(calls))
        for n in lengths)
    seed = run_seed(script)
    for n in lengths:
        for i, call in enumerate(calls):
            ours = eval(f"sg.WindowType.{call}", {"sg": sg, "n": n})
            assert ours.dtype == seed[f"w{i}_{n}"].dtype, call
            exact = ours.dtype == np.float64 and "kaiser" not in call
            np.testing.assert_allclose(ours, seed[f"w{i}_{n}"], rtol=RTOL if exact else 1e-6,
                                       atol=1e-15, err_msg=f"{call} n={n}")


def test_kaiser_maker_follows_numpy_where_the_seed_is_off():
    np.testing.assert_allclose(sg.WindowType.make_kaiser(33, 8.6), np.kaiser(33, 8.6), rtol=1e-12)


def test_window_maker_dtype_is_checked():
    with pytest.raises(sg.InvalidInputError, match="dtype"):
        sg.WindowType.make_hanning(8, "float16")
    with pytest.raises(sg.InvalidInputError, match="n_fft"):
        sg.WindowType.make_hanning(0)


def test_mel_norm_takes_the_seed_spellings():
    assert getattr(sg.MelNorm, "None") is sg.MelNorm.none and sg.MelNorm["None"] is sg.MelNorm.none
    assert sg.MelNorm.Slaney is sg.MelNorm.slaney and sg.MelNorm.L1 is sg.MelNorm.l1
    assert sg.MelNorm.L2 is sg.MelNorm.l2 and len(list(sg.MelNorm)) == 4


@needs_seed
def test_result_members_equal_the_seed_libraries(rng):
    signal = rng.standard_normal(6000)
    seed = run_seed("""
stft = sg.StftParams(512, 128, sg.WindowType.rectangular, True)
p = sg.SpectrogramParams(stft, 16000.0)
s = sg.compute_linear_power_spectrogram(signal, p)
out['T'] = s.T; out['astype'] = s.astype('float32')
st = sg.compute_stft(signal, p)
out['res'] = np.array([st.frequency_resolution, st.time_resolution, st.sample_rate])
out['norm'] = st.norm()
c = sg.compute_chromagram(signal, stft, 16000.0, sg.ChromaParams())
out['labels'] = np.array(c.labels)
""", signal=signal)
    params = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.rectangular, True), 16000.0)
    spec = sg.compute_linear_power_spectrogram(signal, params)
    np.testing.assert_allclose(spec.T, seed["T"], rtol=RTOL, atol=1e-12)
    assert spec.astype("float32").dtype == np.float32
    np.testing.assert_allclose(spec.astype("float32"), seed["astype"], rtol=1e-6, atol=1e-6)
    stft = sg.compute_stft(signal, params)
    np.testing.assert_allclose([stft.frequency_resolution, stft.time_resolution, stft.sample_rate], seed["res"],
                               rtol=RTOL)
    np.testing.assert_allclose(stft.norm(), seed["norm"], rtol=RTOL, atol=1e-12)
    chroma = sg.ChromagramPlan(params).compute(signal)
    assert chroma.labels == seed["labels"].tolist()
    assert chroma.params is chroma.chroma_params and chroma.spectrogram_params is params


def test_mfcc_params_member_is_the_mfcc_params(rng):
    params = sg.SpectrogramParams(sg.StftParams(512, 128), 16000.0)
    mfcc = sg.MfccPlan(params, 40, sg.MfccParams(13)).compute(rng.standard_normal(4000))
    assert mfcc.params == sg.MfccParams(13) and mfcc.spectrogram_params is params
    assert mfcc.T.shape == (mfcc.n_frames, 13) and mfcc.sample_rate == 16000.0
