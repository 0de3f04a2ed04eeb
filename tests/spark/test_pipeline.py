"""`intentseg run` on Spark: events from Parquet, results in Parquet folders; below the threshold the
scikit-learn segmenter, above it MLlib K-Means fitted in Spark and users scored in Spark SQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.config import Settings
from intentseg.generate import write_events
from intentseg.pipeline import run

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark-events")
    write_events(out, 1500, seed=5)
    return out


def _settings(in_warehouse_above: int) -> Settings:
    s = Settings()
    s.segment.k = 4
    s.segment.n_init = 2
    s.segment.in_warehouse_above = in_warehouse_above
    s.segment.fit_sample_users = 800
    return s


@pytest.mark.parametrize("path", ["small", "scale"])
def test_run_on_spark_writes_segments_and_history(spark, events_dir, tmp_path, path):
    from intentseg.warehouse.spark import SparkWarehouse

    wh = SparkWarehouse.from_session(spark, events=str(events_dir), output=str(tmp_path / "out"))
    settings = _settings(in_warehouse_above=10_000_000 if path == "small" else 500)
    first = run(wh, settings=settings)
    second = run(wh, settings=settings)
    members = wh.query("SELECT user_id, segment_id FROM user_segments")
    history = wh.query("SELECT user_id, valid_to FROM user_segment_history")
    runs = wh.query("SELECT run_id, status FROM segment_runs")
    wh.close()

    users = pd.read_parquet(events_dir / "ground_truth.parquet")["user_id"]
    assert sorted(members["user_id"]) == sorted(users)  # every user, read from the Parquet events
    assert set(members["segment_id"]) == {0, 1, 2, 3}
    assert second.previous_run_id == first.run_id
    assert history["valid_to"].isna().sum() == len(users)  # one open interval per user
    assert sorted(runs["status"]) == ["ok", "ok"]
    if path == "scale":
        assert first.scored_in == "warehouse"
        assert first.model.metadata_.get("fitted_with") == "spark-mllib"
    else:
        assert first.scored_in == "python"
        assert "fitted_with" not in first.model.metadata_ or first.model.metadata_["fitted_with"] != "spark-mllib"
    assert np.isclose(sum(s["share"] for s in second.segments), 1.0)
