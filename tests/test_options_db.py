"""librosa's ``ref`` and ``top_db`` on the seed API's ``compute_*_db`` functions (issue 15).

Reference: ``librosa.power_to_db`` of the same function's power spectrogram, with ``amin`` the linear
floor of the LogParams (librosa's 1e-10 when none are given). float64 within 1e-10 dB, float32 within
1e-5 relative to the largest magnitude in dB, or to 100 dB where all values are near 0 dB (ref=np.max with
top_db=0; float32 log10 rounds to ~2e-6 dB there). The power is the same fused pass's in both.
"""

import math

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spectrograms as sg
from spectrograms.errors import InvalidInputError, SpectrogramError

from .conftest import tone_mix

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.hann, True), 16000)
MEL = sg.MelParams(40)
FUNCTIONS = {
    "linear": (sg.compute_linear_db_spectrogram, sg.compute_linear_power_spectrogram, ()),
    "mel": (sg.compute_mel_db_spectrogram, sg.compute_mel_power_spectrogram, (MEL,)),
}


def power_to_db(power: np.ndarray, amin: float, **kwargs) -> np.ndarray:
    return librosa.power_to_db(power, amin=amin, **kwargs)


def check(ours: np.ndarray, reference: np.ndarray, dtype):
    assert ours.dtype == dtype and ours.shape == reference.shape
    tolerance = 1e-10 if dtype == np.float64 else 1e-5 * max(np.abs(reference).max(), 100.0)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=tolerance)


@pytest.fixture(scope="module")
def clips(speech):
    samples, _ = speech
    return {"speech": samples[:48000], "tones": tone_mix(32000, seed=5)}


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
@pytest.mark.parametrize("ref", [1.0, 2.5, 1e-3, np.max, np.median, lambda s: float(np.mean(s))])
@pytest.mark.parametrize("top_db", [None, 80.0, 40.0, 0.0])
@pytest.mark.parametrize("dtype", [np.float64, pytest.param(np.float32, marks=pytest.mark.slow)])
@pytest.mark.parametrize("clip", ["speech", "tones"])
def test_ref_and_top_db_match_librosa(clips, kind, ref, top_db, dtype, clip):
    db_function, power_function, bands = FUNCTIONS[kind]
    x = clips[clip].astype(dtype)
    for db_params, amin in ((sg.LogParams(-80.0), 1e-8), (None, 1e-10)):
        if db_params is None and isinstance(ref, float) and ref == 1.0 and top_db is None:
            continue  # the seed's power-without-LogParams (test_defaults_unchanged)
        ours = db_function(x, PARAMS, *bands, db_params, ref=ref, top_db=top_db).data
        power = power_function(x, PARAMS, *bands).data.astype(np.float64)
        check(ours, power_to_db(power, amin, ref=ref, top_db=top_db).astype(dtype), dtype)


def test_batch_takes_top_db_per_item_and_the_floor_follows_ref(clips):
    batch = np.stack([clips["speech"][:32000], 0.01 * clips["tones"]])
    result = sg.compute_mel_db_spectrogram(batch, PARAMS, MEL, sg.LogParams(-90.0), ref=10.0, top_db=30.0)
    for item, signal in zip(result.data, batch):
        power = sg.compute_mel_power_spectrogram(signal, PARAMS, MEL).data
        np.testing.assert_allclose(item, librosa.power_to_db(power, ref=10.0, amin=1e-9, top_db=30.0), atol=1e-10)
    assert result.scale == "db" and result.floor == -100.0


def test_defaults_unchanged(clips):
    """ref=1 and top_db=None are the seed's computation, including its power-without-LogParams warning."""
    x = clips["tones"]
    plain = sg.compute_linear_db_spectrogram(x, PARAMS, sg.LogParams())
    np.testing.assert_array_equal(sg.compute_linear_db_spectrogram(x, PARAMS, sg.LogParams(), ref=1.0).data,
                                  plain.data)
    with pytest.warns(UserWarning, match="returns power values"):
        power = sg.compute_linear_db_spectrogram(x, PARAMS)
    assert power.scale == "power"


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.floats(), st.integers(-3, 3), st.text(max_size=3), st.none()),
       st.one_of(st.none(), st.floats(), st.integers(-5, 5)))
def test_refusals_name_the_parameter(ref, top_db):
    x = np.sin(np.arange(4000) / 7.0)
    ref_ok = isinstance(ref, (int, float)) and not isinstance(ref, bool) and math.isfinite(ref) and ref > 0
    top_ok = top_db is None or (math.isfinite(top_db) and top_db >= 0)
    try:
        sg.compute_linear_db_spectrogram(x, PARAMS, sg.LogParams(), ref=ref, top_db=top_db)
    except SpectrogramError as error:
        assert not (ref_ok and top_ok)
        assert ("top_db" in str(error)) if not top_ok else ("ref" in str(error))
    else:
        assert ref_ok and top_ok


def test_callable_ref_must_return_a_finite_number():
    x = np.sin(np.arange(4000) / 7.0)
    for bad in (lambda s: float("nan"), lambda s: "loud", lambda s: np.ones(3)):
        with pytest.raises(InvalidInputError, match="ref returned"):
            sg.compute_linear_db_spectrogram(x, PARAMS, sg.LogParams(), ref=bad)
