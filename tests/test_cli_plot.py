"""`spectrograms plot FILE -o OUT.png`: the image has the asked size, time in seconds across, Hz up (band
scale with Hz ticks for mel), a dB colour bar, and the tone where it should be; missing matplotlib and
bad options are one-line errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")
pytest.importorskip("matplotlib")

from spectrograms.__main__ import main  # noqa: E402
from spectrograms.cli_plot import plot_features  # noqa: E402
from spectrograms.data.datamodule import FeatureConfig  # noqa: E402
from spectrograms.data.datasets import load_audio  # noqa: E402


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    path = tmp_path_factory.mktemp("plot") / "tone.wav"
    t = np.arange(int(16000 * 1.5)) / 16000
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32), 16000)
    return path


def test_png_has_the_asked_size(tone, tmp_path):
    from matplotlib.image import imread

    out = tmp_path / "sub" / "mel.png"
    assert main(["plot", str(tone), "-o", str(out), "--kind", "mel", "--size", "640x300"]) == 0
    assert imread(out).shape[:2] == (300, 640)


@pytest.mark.parametrize("kind", ["mel", "linear"])
def test_axes_are_seconds_and_hz_with_a_db_colour_bar(tone, kind):
    config = FeatureConfig(kind=kind)
    result = config.build_plan().compute(load_audio(tone, 16000))
    figure = plot_features(result, kind, config.scale, (800, 400), 100)
    axes, colour_bar = figure.axes
    assert axes.get_xlabel() == "Time (s)" and axes.get_ylabel() == "Hz"
    times = np.asarray(result.times)
    assert axes.get_xlim()[0] <= times[0] and axes.get_xlim()[1] == pytest.approx(times[-1] + (times[1] - times[0]) / 2)
    assert 1.4 < axes.get_xlim()[1] < 1.6  # 1.5 s of audio
    low, high = axes.get_ylim()
    assert 0.0 <= low <= np.asarray(result.frequencies)[0] and 7500 < high <= 8100  # the top band's cell ends half a band above its centre
    # Ticks are frequencies in Hz inside the band range; the mel axis keeps band heights equal, so the
    # distance in pixels from 0 to 1 kHz is much more than an eighth of the height (it is on a Hz axis).
    ticks = [t for t in axes.get_yticks() if low <= t <= high]
    assert any(t <= 1000 for t in ticks) and any(t >= 4000 for t in ticks)
    to_pixels = axes.transData.transform
    share = (to_pixels((0, 1000))[1] - to_pixels((0, low))[1]) / (to_pixels((0, high))[1] - to_pixels((0, low))[1])
    assert (share > 0.25) if kind == "mel" else (share == pytest.approx((1000 - low) / (high - low), rel=0.01))
    assert colour_bar.get_ylabel() == "dB"
    labels = [t.get_text() for t in colour_bar.get_yticklabels()]
    assert labels and all(label.endswith(" dB") for label in labels), labels
    # The brightest row is the 1 kHz band.
    values = np.asarray(axes.collections[0].get_array()).reshape(result.data.shape)
    assert abs(np.asarray(result.frequencies)[values.mean(axis=1).argmax()] - 1000) < 100


def test_chroma_and_mfcc_axes(tone):
    for kind, ylabel, bar in [("chroma", "Pitch class", "energy"), ("mfcc", "MFCC coefficient", "value")]:
        config = FeatureConfig(kind=kind)
        figure = plot_features(config.build_plan().compute(load_audio(tone, 16000)), kind, config.scale)
        axes, colour_bar = figure.axes
        assert axes.get_xlabel() == "Time (s)" and axes.get_ylabel() == ylabel and colour_bar.get_ylabel() == bar
    chroma = plot_features(FeatureConfig(kind="chroma").build_plan().compute(load_audio(tone, 16000)), "chroma", "power")
    assert [t.get_text() for t in chroma.axes[0].get_yticklabels()][:3] == ["C", "C#", "D"]


def test_errors_are_one_line(tone, tmp_path, capsys, monkeypatch):
    assert main(["plot", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.png")]) == 2
    assert "input=" in capsys.readouterr().err
    assert main(["plot", str(tone), "-o", str(tmp_path / "x.png"), "--size", "big"]) == 2
    assert "size='big'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["plot", str(tone), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "spectrograms plot: error: spectrograms plot needs matplotlib: pip install 'spectrograms[plot]' (or matplotlib)", err
    assert not (tmp_path / "x.png").exists()
