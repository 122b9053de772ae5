"""The toolbox benchmark's structure (its figures come from running it, not from tests)."""

import spectrograms.bench_toolbox as bench


def test_toolbox_rows_have_every_peer_and_ratio(monkeypatch):
    # tiny workloads: the structure, not the timing, is under test
    monkeypatch.setattr(bench, "GRIFFIN_LIM", dict(bench.GRIFFIN_LIM, seconds=0.5, n_iter=2))
    monkeypatch.setattr(bench, "RESAMPLE_RATES", [(16000, 8000)])
    rows = bench.toolbox_rows(quick=True)
    resample, griffin_lim = rows
    assert set(resample["seconds"]) == {"ours", "torchaudio", "librosa_soxr_hq", "librosa_polyphase"}
    assert set(resample["ratios"]) == {"torchaudio/ours", "librosa_soxr_hq/ours", "librosa_polyphase/ours",
                                       "fastest_peer/ours"}
    assert resample["ratios"]["fastest_peer/ours"] == min(
        t for name, t in resample["seconds"].items() if name != "ours") / resample["seconds"]["ours"]
    assert {"ours", "torchaudio", "librosa", "torch_ops_stft_istft", "ours_ops_stft_istft"} == set(griffin_lim["seconds"])
    assert "torch_ops/ours_ops (one stft+istft)" in griffin_lim["ratios"]
    assert all(t > 0 for row in rows for t in row["seconds"].values())
    table = bench.toolbox_table(rows)
    assert table.count("\n") == 3 and "| resample 16 -> 8 kHz, 60 s |" in table


def test_no_peers_times_ours_only(monkeypatch):
    monkeypatch.setattr(bench, "GRIFFIN_LIM", dict(bench.GRIFFIN_LIM, seconds=0.5, n_iter=1))
    monkeypatch.setattr(bench, "RESAMPLE_RATES", [(44100, 16000)])
    rows = bench.toolbox_rows(quick=True, peers=False)
    assert set(rows[0]["seconds"]) == {"ours"} and "fastest_peer/ours" not in rows[0]["ratios"]
