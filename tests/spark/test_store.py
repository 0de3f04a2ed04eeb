"""Written tables as Parquet folders: replaced atomically, and INSERT/UPDATE/DELETE copy-on-write."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow.parquet as pq
import pytest

from intentseg.warehouse.spark import SparkWarehouse

pytestmark = pytest.mark.spark


def version(v: int) -> pd.DataFrame:
    """Version v: 100 * v rows, every row saying v."""
    return pd.DataFrame({"id": range(100 * v), "v": v})


def test_parquet_replace_is_atomic_for_readers(spark, tmp_path):
    out = tmp_path / "out"
    sw = SparkWarehouse.from_session(spark, output=str(out))
    sw.write_table("t", version(1))
    seen: list[tuple[str, int, int, int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            df = sw.query("SELECT COUNT(*) AS n, MIN(v) AS lo, MAX(v) AS hi FROM t")
            seen.append(("view", int(df.n[0]), int(df.lo[0]), int(df.hi[0])))
            folder = pq.read_table(out / "t").to_pandas()  # an outside reader of the folder
            seen.append(("folder", len(folder), int(folder.v.min()), int(folder.v.max())))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for v in range(2, 6):
            sw.write_table("t", version(v))
    finally:
        done.set()
        reader.join()
    assert seen
    for where, n, lo, hi in seen:
        assert lo == hi and n == 100 * lo, f"{where} saw a mix: {n} rows of versions {lo}..{hi}"
    assert sw.row_count("t") == 500
    assert sorted(p.name for p in (out / ".versions" / "t").iterdir()).__len__() <= 2  # old ones pruned
    assert not [p for p in out.iterdir() if "__staging_" in p.name]

    # a new adapter on the same folder finds the table
    again = SparkWarehouse.from_session(spark, output=str(out))
    spark.catalog.dropTempView("t")
    assert again.table_exists("t") and again.row_count("t") == 500
    sw.close()


def test_dml_copy_on_write(spark, tmp_path):
    sw = SparkWarehouse.from_session(spark, output=str(tmp_path / "out"))
    sw.create_table("runs", {"run_id": "key", "status": "key", "started_at": "timestamp", "n": "bigint"})
    ts = pd.Timestamp("2026-09-01 12:00:00").to_pydatetime()
    for run in ("a", "b"):
        sw.execute("INSERT INTO `runs` (`run_id`, `status`, `started_at`, `n`) VALUES (:r, 'running', :ts, NULL)",
                   {"r": run, "ts": ts})
    sw.execute("UPDATE `runs` SET `status` = :s, `n` = 7 WHERE `run_id` = :r", {"s": "ok", "r": "a"})
    sw.execute("DELETE FROM `runs` WHERE `status` = 'running'")
    rows = sw.query("SELECT * FROM `runs`")
    assert rows.to_dict("records") == [{"run_id": "a", "status": "ok", "started_at": pd.Timestamp(ts), "n": 7}]
    sw.close()
