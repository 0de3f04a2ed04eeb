"""The feature SQL transpiled to Spark SQL gives DuckDB's numbers on the hand-written events."""

from __future__ import annotations

import pytest

from intentseg.features import build_features, write_features
from intentseg.warehouse import connect
from intentseg.warehouse.spark import SparkWarehouse

from ..features.events import frames
from ..features.test_features import assert_same

pytestmark = pytest.mark.spark

WINDOW = dict(since="2026-09-10", until="2026-09-12", reference_time="2026-09-15T00:00:00Z")


@pytest.fixture
def events_dir(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    for name, df in frames().items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def test_spark_features_equal_duckdb(spark, events_dir, tmp_path):
    duck = connect(f"duckdb:///{tmp_path / 'ref.duckdb'}")
    duck.register_events(events_dir)
    sw = SparkWarehouse.from_session(spark, events=str(events_dir), output=str(tmp_path / "out"))
    try:
        assert sw.tables() == ["article_views", "clickstream", "search_queries"]
        assert_same(build_features(sw), build_features(duck))
        assert_same(build_features(sw, **WINDOW), build_features(duck, **WINDOW))
        # materialised as a Parquet folder, read back through the same adapter
        run = write_features(sw)
        assert run.users == len(frames_users()) and (tmp_path / "out" / "user_features").is_dir()
        assert not [t for t in sw.tables() if "__staging_" in t]
    finally:
        sw.close()
        duck.close()


def frames_users() -> set[int]:
    return {int(u) for df in frames().values() for u in df["user_id"]}
