"""The constant-Q transform against the seed library (spectrograms 2.1.3): power, magnitude and dB
through the one-call functions and the three plans, frame by frame, the axes and the errors, on real
speech and synthetic signals; float64 within 1e-9 relative, float32 within float32 rounding."""

import numpy as np
import pytest
import torch

import spectrograms as sg
from tests.seed_oracle import needs_seed, run_seed

# (sample_rate, n_fft, hop, centre, bins_per_octave, n_octaves, f_min): the seed's own presets, kernels
# longer than the frame (clipped), one bin per octave, and a top bin just below Nyquist.
CASES = [
    (16000, 2048, 512, True, 12, 6, 32.7),
    (16000, 512, 128, True, 12, 4, 100.0),
    (22050, 1024, 256, False, 24, 5, 55.0),
    (8000, 256, 100, True, 1, 1, 3999.0),
    (16000, 4096, 1000, False, 36, 5, 82.4),
    (44100, 2048, 441, True, 12, 3, 2756.25),
    (16000, 1024, 10, True, 12, 4, 200.0),  # 103 hops per frame: the frames are copied out instead
]

_SEED_SCRIPT = """
for index, (sr, n_fft, hop, centre, bpo, n_oct, f_min) in enumerate(cases.tolist()):
    params = sg.SpectrogramParams(sg.StftParams(int(n_fft), int(hop), sg.WindowType.hanning, bool(centre)), sr)
    cqt = sg.CqtParams(int(bpo), int(n_oct), f_min)
    for name, signal in (("noise", noise), ("speech", speech)):
        key = f"{index}_{name}"
        power = sg.compute_cqt_power_spectrogram(signal, params, cqt)
        out[key + "_power"] = np.asarray(power)
        out[key + "_magnitude"] = np.asarray(sg.compute_cqt_magnitude_spectrogram(signal, params, cqt))
        out[key + "_db"] = np.asarray(sg.compute_cqt_db_spectrogram(signal, params, cqt, db=sg.LogParams(-70.0)))
        out[key + "_db_none"] = np.asarray(sg.compute_cqt_db_spectrogram(signal, params, cqt))
        out[key + "_f32"] = np.asarray(sg.compute_cqt_power_spectrogram(signal.astype(np.float32), params, cqt,
                                                                         dtype="float32"))
        out[key + "_frequencies"] = np.asarray(power.frequencies)
        out[key + "_times"] = np.asarray(power.times)
        plan = sg.SpectrogramPlanner().cqt_db_plan(params, cqt, sg.LogParams(-50.0))
        out[key + "_plan_db"] = np.asarray(plan.compute(signal))
        out[key + "_frame"] = plan.compute_frame(signal, 3)
        out[key + "_one_frame"] = np.asarray(sg.compute_cqt_power_spectrogram(signal[:int(n_fft)], params, cqt))
        out[key + "_shape"] = np.asarray(plan.output_shape(len(signal)))
"""


@pytest.fixture(scope="module")
def signals(speech):
    voice = np.ascontiguousarray(speech[0][:24000], dtype=np.float64)
    noise = np.random.default_rng(7).standard_normal(9000)
    return {"noise": noise, "speech": voice}


@pytest.fixture(scope="module")
def seed_values(signals):
    return run_seed(_SEED_SCRIPT, cases=np.array(CASES, dtype=np.float64), **signals)


def _close(ours, theirs, rtol=1e-9):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    # relative to each spectrogram's scale: bins far below it are the sum of much larger terms
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * float(np.abs(theirs).max()))


@needs_seed
@pytest.mark.parametrize("index", range(len(CASES)))
@pytest.mark.parametrize("name", ["noise", "speech"])
def test_cqt_equals_the_seed_library(index, name, signals, seed_values):
    sr, n_fft, hop, centre, bpo, n_octaves, f_min = CASES[index]
    params = sg.SpectrogramParams(sg.StftParams(n_fft, hop, sg.WindowType.hanning, centre), sr)
    cqt = sg.CqtParams(bpo, n_octaves, f_min)
    signal, key = signals[name], f"{index}_{name}"
    power = sg.compute_cqt_power_spectrogram(signal, params, cqt)
    _close(power.data, seed_values[key + "_power"])
    _close(sg.compute_cqt_magnitude_spectrogram(signal, params, cqt).data, seed_values[key + "_magnitude"])
    _close(sg.compute_cqt_db_spectrogram(signal, params, cqt, db=sg.LogParams(-70.0)).data, seed_values[key + "_db"])
    _close(sg.compute_cqt_db_spectrogram(signal, params, cqt).data, seed_values[key + "_db_none"])
    float32 = sg.compute_cqt_power_spectrogram(signal.astype(np.float32), params, cqt, dtype="float32").data
    assert float32.dtype == np.float32
    _close(float32, seed_values[key + "_f32"], rtol=2e-5)
    _close(power.frequencies, seed_values[key + "_frequencies"])
    _close(power.times, seed_values[key + "_times"])
    plan = sg.SpectrogramPlanner().cqt_db_plan(params, cqt, sg.LogParams(-50.0))
    _close(plan.compute(signal).data, seed_values[key + "_plan_db"])
    _close(plan.compute_frame(signal, 3), seed_values[key + "_frame"])
    _close(sg.compute_cqt_power_spectrogram(signal[:n_fft], params, cqt).data, seed_values[key + "_one_frame"])
    assert plan.output_shape(len(signal)) == tuple(seed_values[key + "_shape"])


@needs_seed
def test_cqt_errors_match_the_seed_library():
    params = sg.SpectrogramParams(sg.StftParams(512, 128), 16000)
    seed = run_seed("""
params = sg.SpectrogramParams(sg.StftParams(512, 128, sg.WindowType.hanning, True), 16000)
x = np.ones(2000)
out["nyquist"] = error_of(lambda: sg.compute_cqt_power_spectrogram(x, params, sg.CqtParams(1, 1, 8000.0)))
out["below"] = error_of(lambda: sg.compute_cqt_power_spectrogram(x, params, sg.CqtParams(12, 3, 1000.0)))
out["f_min"] = error_of(lambda: sg.CqtParams(12, 3, -1.0))
out["bins"] = error_of(lambda: sg.CqtParams(0, 3, 100.0))
""")
    assert "below Nyquist" in str(seed["nyquist"]) and str(seed["below"]) == ""
    with pytest.raises(sg.InvalidInputError, match="CQT maximum frequency must be below Nyquist frequency"):
        sg.compute_cqt_power_spectrogram(np.ones(2000), params, sg.CqtParams(1, 1, 8000.0))
    sg.compute_cqt_power_spectrogram(np.ones(2000), params, sg.CqtParams(12, 3, 1000.0))  # top bin 7551 Hz
    assert "f_min" in str(seed["f_min"])
    with pytest.raises(sg.InvalidInputError, match="f_min"):
        sg.CqtParams(12, 3, -1.0)
    assert str(seed["bins"]) != ""
    with pytest.raises(sg.InvalidInputError, match="bins_per_octave"):
        sg.CqtParams(0, 3, 100.0)


def test_cqt_plans_batches_dtypes_and_errors(rng):
    params = sg.SpectrogramParams(sg.StftParams(1024, 256), 16000)
    cqt = sg.CqtParams(12, 5, 60.0)
    batch = rng.standard_normal((3, 5000))
    power = sg.CqtPowerPlan(params, cqt).compute(batch)
    assert power.shape == (3, 60, 20) and power.frequency_scale == "cqt"
    for row in range(3):
        np.testing.assert_allclose(power.data[row], sg.CqtPowerPlan(params, cqt).compute(batch[row]).data,
                                   rtol=1e-12, atol=1e-12 * power.data.max())
    np.testing.assert_allclose(sg.CqtMagnitudePlan(params, cqt).compute(batch).data ** 2, power.data, rtol=1e-12)
    db = sg.CqtDbPlan(params, cqt, sg.LogParams(-60.0)).compute(batch)
    np.testing.assert_allclose(db.data, 10 * np.log10(np.maximum(power.data, 1e-6)), rtol=1e-12, atol=1e-9)
    assert sg.CqtPowerPlan(params, cqt, dtype="float32").compute(batch).data.dtype == np.float32
    assert sg.CqtPowerPlan(params, cqt).compute(batch.astype(np.float32)).data.dtype == np.float32
    with pytest.raises(sg.InvalidInputError, match="dtype"):
        sg.CqtPowerPlan(params, cqt, dtype="float16")
    with pytest.raises(sg.InvalidTypeError, match="db_params"):
        sg.CqtDbPlan(params, cqt, None)
    with pytest.raises(sg.InvalidInputError, match="frame_idx"):
        sg.CqtPowerPlan(params, cqt).compute_frame(batch[0], 20)
    bad = batch[0].copy()
    bad[100] = np.nan
    with pytest.raises(sg.InvalidInputError, match="finite"):
        sg.CqtPowerPlan(params, cqt).compute(bad)
    with pytest.raises(sg.InvalidInputError, match="q_factor"):
        sg.CqtParams(12, 5, 60.0, q_factor=0.0)
    with pytest.raises(sg.InvalidInputError, match="sparsity_threshold"):
        sg.CqtParams(12, 5, 60.0, sparsity_threshold=1.5)


def test_cqt_peaks_at_the_bin_of_a_tone_and_has_gradients():
    sr = 16000
    params = sg.SpectrogramParams(sg.StftParams(4096, 512), sr)
    cqt = sg.CqtParams(12, 6, 55.0)
    tone_bin = 40  # 55 * 2^(40/12) = 554.4 Hz
    time = torch.arange(sr, dtype=torch.float64) / sr
    signal = torch.sin(2 * torch.pi * float(cqt.frequencies[tone_bin]) * time).requires_grad_()
    plan = sg.CqtPowerPlan(params, cqt)
    power = plan.apply(signal)
    assert int(power[:, 10].argmax()) == tone_bin
    power.sum().backward()
    assert signal.grad is not None and torch.isfinite(signal.grad).all() and signal.grad.abs().max() > 0


def test_cqt_layer_equals_the_plan_compiles_and_keeps_the_dtype(rng):
    import spectrograms.nn as snn

    params = sg.SpectrogramParams(sg.StftParams(2048, 256), 16000)
    cqt = sg.CqtParams(12, 6, 40.0)
    batch = torch.from_numpy(rng.standard_normal((2, 6000)))
    layer = snn.CQT(params, cqt, scale="db", db_params=sg.LogParams(-70.0))
    expected = sg.CqtDbPlan(params, cqt, sg.LogParams(-70.0)).compute(batch).tensor
    torch.testing.assert_close(layer(batch), expected, rtol=1e-12, atol=1e-10)  # float64 kernels for float64
    torch.testing.assert_close(layer(batch.float()), expected.float(), rtol=0, atol=2e-3)
    assert layer(batch.half()).dtype == torch.float16
    keywords = snn.CQT(sample_rate=16000, n_fft=2048, hop_length=256, bins_per_octave=12, n_octaves=6, f_min=40.0)
    torch.testing.assert_close(keywords(batch), sg.CqtPowerPlan(params, cqt).compute(batch).tensor)
    compiled = torch.compile(keywords, fullgraph=True)
    torch.testing.assert_close(compiled(batch.float()), keywords(batch.float()), rtol=1e-5, atol=1e-5)
    with pytest.warns(FutureWarning):  # torch 2.14 deprecates TorchScript; it still must work
        scripted = torch.jit.script(keywords)
    torch.testing.assert_close(scripted(batch), keywords(batch), rtol=0, atol=0)
    assert set(keywords.state_dict()) == {"kernels"}
    assert keywords.frame_lengths(6000) == batch.shape[-1] // 256 + 1 == keywords(batch).shape[-1]
    with pytest.raises(sg.InvalidTypeError, match="not both"):
        snn.CQT(params, cqt, n_fft=1024)
    with pytest.raises(sg.InvalidInputError, match="scale"):
        snn.CQT(params, cqt, scale="energy")
    with pytest.raises(sg.InvalidInputError, match="Nyquist"):
        snn.CQT(sample_rate=8000, f_min=100.0, n_octaves=6)
    with pytest.raises(sg.InvalidInputError, match="finite"):
        keywords(torch.full((1, 6000), float("nan")))
