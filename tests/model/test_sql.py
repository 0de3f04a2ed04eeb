"""to_sql: one query that scores users inside the warehouse, with the same ids as predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlglot

from intentseg.errors import ConfigError
from intentseg.model import Segmenter


def _score(warehouse, model: Segmenter, df: pd.DataFrame) -> pd.DataFrame:
    warehouse.write_table("user_features", df)
    got = warehouse.query(model.to_sql(dialect=warehouse.dialect, features_table="user_features"))
    return got.sort_values("user_id").reset_index(drop=True)


def test_sql_assigns_the_same_segments_as_predict(warehouse, behaviour):
    """On every engine: same ids, names and distances as the Python model."""
    model = Segmenter(n_segments=5, random_state=0).fit(behaviour).rename({4: "Top 'fans' · ünïcode"})
    df = behaviour.drop(columns=["first_seen"])
    # Edge users: all zeros (LN(1 + 0)), a negative count (clamped to 0), a share above 1 (clamped).
    edge = df.iloc[:3].copy()
    edge["user_id"] = [1, 2, 3]
    edge.loc[:, model.feature_names_] = 0
    edge.loc[edge.index[1], "clicks"] = -3
    edge.loc[edge.index[2], "intent_transactional_share"] = 1.5
    df = pd.concat([edge, df], ignore_index=True)

    got = _score(warehouse, model, df)
    want = df[["user_id"]].assign(segment_id=model.predict(df)).sort_values("user_id").reset_index(drop=True)
    assert list(got.columns) == ["user_id", "segment_id", "segment_name", "distance"]
    np.testing.assert_array_equal(got["user_id"].to_numpy(), want["user_id"].to_numpy())
    np.testing.assert_array_equal(got["segment_id"].astype(int).to_numpy(), want["segment_id"].to_numpy())
    assert list(got["segment_name"]) == [model.segment_names_[s] for s in want["segment_id"]]
    dist = model.transform(df).min(axis=1)[np.argsort(df["user_id"].to_numpy(), kind="stable")]
    np.testing.assert_allclose(got["distance"].astype(float), dist, rtol=1e-9, atol=1e-9)


def test_ties_go_to_the_lowest_id_like_predict(warehouse):
    """Centres at -1, 1, 1: x=0 is equally near 0 and 1, x=1 equally near 1 and 2."""
    df = pd.DataFrame({"user_id": [1, 2, 3, 4], "score": [-1.0, 0.0, 1.0, 2.0]})
    model = Segmenter(n_segments=2, random_state=0, features=["score"]).fit(df)
    model.transform_.center[:] = 0.0
    model.transform_.scale[:] = 1.0
    model.cluster_centers_ = np.array([[-1.0], [1.0], [1.0]])
    model.segment_names_ = ["a", "b", "c"]
    assert list(model.predict(df)) == [0, 0, 1, 1]
    assert list(_score(warehouse, model, df)["segment_id"].astype(int)) == [0, 0, 1, 1]


@pytest.mark.parametrize("dialect", ["duckdb", "mysql", "postgres", "spark"])
def test_query_parses_in_every_dialect_and_quotes_identifiers(behaviour, dialect):
    model = Segmenter(n_segments=3, random_state=0, features=["clicks", "searches"]).fit(behaviour)
    sql = model.to_sql(dialect=dialect, features_table="analytics.user features")
    sqlglot.parse_one(sql, read=dialect)
    q = "`" if dialect in ("mysql", "spark") else '"'
    assert f"{q}user features{q}" in sql and f"{q}clicks{q}" in sql
    for v in model.cluster_centers_.ravel():
        assert repr(float(abs(v))) in sql  # full precision


def test_unknown_dialect(behaviour):
    model = Segmenter(n_segments=2, random_state=0).fit(behaviour)
    with pytest.raises(ConfigError, match="Unknown SQL dialect"):
        model.to_sql(dialect="oracle")
