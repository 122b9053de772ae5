"""The seed library's typed plans (``LinearPowerPlan`` ... ``LogHzDbPlan``): the same numbers as the
planner's plans, ``compute_frame`` equal to a column of ``compute``, ``dtype`` honoured, and against the
seed (spectrograms 2.1.3) on the linear spectrograms with the rectangular window, where both window
conventions agree."""

import numpy as np
import pytest

import spectrograms as sg
from spectrograms import typed_plans
from tests.seed_oracle import needs_seed, run_seed

PARAMS = sg.SpectrogramParams(sg.StftParams(512, 128), 16000.0)
BANDS = {"Linear": (), "Mel": (sg.MelParams(40),), "Erb": (sg.ErbParams(24),), "LogHz": (sg.LogHzParams(32, 60.0),)}


@pytest.mark.parametrize("name", typed_plans.__all__)
def test_typed_plan_equals_the_planners_plan_and_its_frames(name, rng):
    signal = rng.standard_normal(3000)
    bands = next(key for key in BANDS if name.startswith(key) and not name.startswith(key + "Hz"))
    scale = name[len(bands):-len("Plan")].lower()
    plan = getattr(sg, name)(PARAMS, *BANDS[bands])
    expected = getattr(sg.SpectrogramPlanner(), f"{bands.lower()}_{scale}_plan")(PARAMS, *BANDS[bands]).compute(signal)
    result = plan.compute(signal)
    np.testing.assert_array_equal(result.data, expected.data)
    assert plan.output_shape(3000) == result.shape
    for frame in (0, 5, result.n_frames - 1):
        np.testing.assert_allclose(plan.compute_frame(signal, frame), result.data[:, frame], rtol=1e-12, atol=1e-12)


def test_typed_plan_dtype_and_errors(rng):
    signal = rng.standard_normal(3000)
    assert sg.MelDbPlan(PARAMS, sg.MelParams(40), dtype="float32").compute(signal).dtype.itemsize == 4
    assert sg.LinearPowerPlan(PARAMS).compute(signal.astype(np.float32)).data.dtype == np.float32
    with pytest.raises(sg.InvalidInputError, match="dtype"):
        sg.LinearPowerPlan(PARAMS, dtype="float16")
    with pytest.raises(sg.InvalidInputError, match="frame_idx"):
        sg.LinearPowerPlan(PARAMS).compute_frame(signal, 10_000)
    with pytest.raises(sg.InvalidTypeError, match="mel_params"):
        sg.MelPowerPlan(PARAMS, sg.ErbParams(10))


@needs_seed
def test_linear_typed_plans_equal_the_seed_libraries(rng):
    signal = rng.standard_normal(5000)
    seed = run_seed("""
p = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.rectangular, True), 16000.0)
pl = sg.SpectrogramPlanner()
for scale in ('power', 'magnitude'):
    plan = getattr(pl, 'linear_' + scale + '_plan')(p)
    out[scale] = plan.compute(signal).data
    out[scale + '_frame'] = plan.compute_frame(signal, 7)
    out[scale + '_shape'] = np.array(plan.output_shape(5000))
""", signal=signal)
    params = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.rectangular, True), 16000.0)
    for scale, plan_type in (("power", sg.LinearPowerPlan), ("magnitude", sg.LinearMagnitudePlan)):
        plan = plan_type(params)
        np.testing.assert_allclose(plan.compute(signal).data, seed[scale], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(plan.compute_frame(signal, 7), seed[scale + "_frame"], rtol=1e-9, atol=1e-12)
        assert plan.output_shape(5000) == tuple(seed[scale + "_shape"])
