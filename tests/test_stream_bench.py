"""The benchmark's streaming rows: a 10 ms push per stream, alone and in a batch of 64, against
kaldi-native-fbank's OnlineFbank (a smoke test: timings are not asserted, they depend on the machine)."""

import pytest

from spectrograms.bench_stream import stream_rows, stream_table


def test_stream_rows_time_ours_and_kaldi_native_fbank():
    pytest.importorskip("kaldi_native_fbank")
    rows, notes = stream_rows(quick=True)
    assert notes == [] and [row["streams"] for row in rows] == ["single", "batch of 64"]
    for row in rows:
        assert set(row["seconds_per_stream"]) == {"ours", "kaldi_native_fbank"}
        assert min(row["seconds_per_stream"].values()) > 0 and row["kaldi_native_fbank/ours"] > 0
        assert row["real_time_factor"]["ours"] == pytest.approx(row["seconds_per_stream"]["ours"] / 0.01)
    table = stream_table(rows)
    assert "| single |" in table and "| batch of 64 |" in table


def test_stream_rows_without_peers():
    rows, notes = stream_rows(quick=True, peers=False)
    assert notes == [] and all(set(row["seconds_per_stream"]) == {"ours"} for row in rows)
    assert "—" in stream_table(rows)
