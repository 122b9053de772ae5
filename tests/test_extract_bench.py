"""The corpus benchmark (python -m spectrograms.bench --corpus) runs and reports every figure; timings
are not asserted (the machine is shared), only that each is measured and consistent."""

import json

import soundfile as sf

from spectrograms import bench
from spectrograms.extract.bench import write_corpus


def test_write_corpus_writes_wav_and_flac_of_the_asked_length(tmp_path):
    paths, seconds = write_corpus(tmp_path / "corpus", minutes=0.5, clip_seconds=5.0)
    assert 30 <= seconds < 30 + 6.5 and {p.suffix for p in paths} == {".wav", ".flac"}
    info = sf.info(paths[1])
    assert info.samplerate == 16000 and info.channels == 1 and info.subtype == "PCM_16"
    assert abs(sum(sf.info(p).frames for p in paths) / 16000 - seconds) < 1e-9


def test_corpus_mode_reports_hours_per_minute_for_every_run(tmp_path, capsys):
    out = tmp_path / "corpus.json"
    assert bench.main(["--corpus", "--corpus-minutes", "0.2", "--workers", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    rates = figures["hours_per_minute"]
    assert set(rates) == {"decode_only", "features_only", "ours", "lhotse", "ours_warm", "lhotse_warm"}
    assert min(rates.values()) > 0 and figures["repeats"] == 1
    for name, rate in rates.items():  # each rate is the audio over its own wall time
        assert abs(rate - figures["audio_hours"] * 60 / figures[f"{name}_s"]) < 1e-9 * rate
    # Both compute Kaldi fbank with lhotse's defaults: the same numbers up to float32 rounding.
    assert figures["max_abs_difference_vs_lhotse"] < 1e-2
    # The warm run's per-stage seconds come from its shard records and fit inside its wall time.
    stages = figures["stages_core_s"]
    assert set(stages) == {"decode", "features", "encode", "write"} and min(stages.values()) >= 0
    assert 0 < sum(stages.values()) <= figures["ours_warm_s"]
    text = capsys.readouterr().out
    assert "ours / lhotse:" in text and "limit on a warm cache:" in text and "per stage" in text
