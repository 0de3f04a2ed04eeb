"""A 1M-row file streams through in bounded batches and in reasonable time (DuckDB)."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import intentseg.ingest as ig  # the module: `from intentseg import ingest` may give the function

from .conftest import assert_accounted


@pytest.mark.slow
def test_one_million_rows_csv(duck_url, tmp_path):
    n = 1_000_000
    rng = np.random.default_rng(0)
    ts = np.datetime64("2026-09-01T00:00:00", "us") + np.arange(n).astype("timedelta64[s]")
    spent = rng.integers(1, 600, n).astype(float)
    spent[::1000] = -1  # 1,000 rows with a negative dwell time
    path = tmp_path / "clickstream.csv"
    pacsv.write_csv(pa.table({
        "user_id": rng.integers(1, 50_000, n), "timestamp": pa.array(ts, pa.timestamp("us")),
        "url": pa.array([f"/p/{i % 5000}" for i in range(n)]), "referrer": pa.nulls(n, pa.string()),
        "device": pa.array(["mobile"] * n), "time_spent": spent,
    }), path)
    started = time.perf_counter()
    report = ig.ingest(path, duck_url)
    seconds = time.perf_counter() - started
    assert_accounted(report)
    assert report.rows_read == n and report.sources["clickstream"].quarantined == {"negative_time_spent": 1000}
    assert seconds < 60, seconds
