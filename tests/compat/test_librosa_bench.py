"""The librosa descriptor benchmark's structure (not its speed: that is measured by the benchmark)."""

from spectrograms.bench_librosa import DESCRIPTORS, librosa_rows, librosa_table


def test_rows_and_table():
    rows = librosa_rows(seconds=1.0, repeats=1)
    assert [row["descriptor"] for row in rows] == list(DESCRIPTORS)
    for row in rows:
        assert row["ours_s"] > 0 and row["librosa_s"] > 0 and row["speedup"] > 0
    assert "torchaudio_s" in rows[0]
    table = librosa_table(rows, 1.0)
    assert all(name in table for name in DESCRIPTORS) and "1 thread" in table
