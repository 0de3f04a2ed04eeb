"""The feature table: same numbers as an independent pandas reference, on every engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.config import Settings, SourceSettings
from intentseg.errors import MissingColumnError, NoUsersError
from intentseg.features import FEATURE_COLUMNS, RuleIntentClassifier, build_features, write_features
from intentseg.features.interests import is_interest

from .events import frames
from .reference import reference_features

# The intents the hand-written queries must get (normalised query -> intent), decided by hand.
INTENTS = {
    "how to clean suede shoes": "informational",
    "login": "navigational",
    "buy shoes": "transactional",
    "best running shoes 2026": "commercial",
    "nike vs adidas": "commercial",
    "what is gore-tex": "informational",
    "returns": "navigational",
    "trail shoes price": "transactional",
    "contact us": "navigational",
}


def load(warehouse, data=None, skip=(), drop_columns=None):
    for name, df in (data or frames()).items():
        if name in skip:
            continue
        warehouse.write_table(name, df.drop(columns=(drop_columns or {}).get(name, [])))


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    # the fixed columns, then the content-interest columns of the data's sections (test_interests.py)
    assert [c for c in actual.columns if not is_interest(c)] == list(FEATURE_COLUMNS)
    assert actual["user_id"].tolist() == expected["user_id"].tolist()
    for col in FEATURE_COLUMNS:
        a, e = actual[col], expected[col]
        if FEATURE_COLUMNS[col] == "timestamp":
            assert (pd.to_datetime(a) == pd.to_datetime(e)).all(), col
        else:
            np.testing.assert_allclose(a.astype(float), e.astype(float), rtol=1e-9, atol=1e-9, err_msg=col)


def test_features_match_reference(warehouse):
    load(warehouse)
    actual = build_features(warehouse)
    ev = frames()
    expected = reference_features(ev["clickstream"], ev["search_queries"], ev["article_views"], INTENTS)
    assert_same(actual, expected)
    # spot checks that document the edge users
    by = actual.set_index("user_id")
    assert by.loc[1, "sessions"] == 2 and by.loc[2, "sessions"] == 1 and by.loc[8, "sessions"] == 1
    assert by.loc[3, "has_clickstream"] == 0 and by.loc[3, "searches"] == 3 and by.loc[3, "first_seen"] is not pd.NaT
    assert by.loc[4, "article_views"] == 3 and by.loc[4, "distinct_articles"] == 2
    assert by.loc[5, "click_time_total_s"] == 1800 + 15 + 25 + 5
    assert by.loc[5, "distinct_queries"] == 3
    assert by.loc[2, "referrer_direct_share"] == 1.0
    assert by.loc[7, "active_days"] == 2 and by.loc[7, "click_active_days"] == 1
    assert by.loc[10, "intent_navigational_share"] == pytest.approx(1 / 3)
    assert actual.attrs["run"]["capped_durations"] == {"clickstream": 1, "article_views": 1}


def test_window_and_reference_time(warehouse):
    load(warehouse)
    window = dict(since="2026-09-10", until="2026-09-12", reference_time="2026-09-15T00:00:00Z")
    actual = build_features(warehouse, **window)
    ev = frames()
    expected = reference_features(
        ev["clickstream"], ev["search_queries"], ev["article_views"], INTENTS,
        since="2026-09-10", until="2026-09-12", reference_time="2026-09-15",
    )
    assert_same(actual, expected)
    user6 = actual.set_index("user_id").loc[6]
    assert (user6["clicks"], user6["searches"], user6["article_views"]) == (1, 1, 0)


def test_settings_change_gap_and_cap(warehouse):
    load(warehouse)
    settings = Settings()
    settings.features.session_gap_minutes = 20
    settings.features.duration_cap_s = 100
    actual = build_features(warehouse, settings)
    ev = frames()
    expected = reference_features(
        ev["clickstream"], ev["search_queries"], ev["article_views"], INTENTS, gap_minutes=20, cap_s=100
    )
    assert_same(actual, expected)


def test_optional_columns_absent(warehouse):
    load(warehouse, drop_columns={"clickstream": ["referrer", "device", "time_spent"], "article_views": ["time_spent"]})
    actual = build_features(warehouse)
    ev = frames()
    expected = reference_features(
        ev["clickstream"].drop(columns=["referrer", "device", "time_spent"]), ev["search_queries"],
        ev["article_views"].drop(columns=["time_spent"]), INTENTS,
    )
    assert_same(actual, expected)
    clicked = actual[actual["has_clickstream"] == 1]
    assert (clicked["referrer_direct_share"] == 1).all() and (clicked["device_other_share"] == 1).all()
    assert actual.attrs["run"]["absent_columns"] == {
        "clickstream": ["referrer", "device", "time_spent"], "article_views": ["time_spent"]
    }


@pytest.mark.parametrize("missing", ["clickstream", "search_queries", "article_views"])
def test_absent_source(warehouse, missing):
    load(warehouse, skip=(missing,))
    actual = build_features(warehouse)
    ev = {k: (None if k == missing else v) for k, v in frames().items()}
    expected = reference_features(ev["clickstream"], ev["search_queries"], ev["article_views"], INTENTS)
    assert_same(actual, expected)
    assert actual.attrs["run"]["absent_sources"] == [missing]


def test_empty_source(warehouse):
    data = frames()
    data["clickstream"] = data["clickstream"].iloc[0:0]
    load(warehouse, data)
    actual = build_features(warehouse)
    expected = reference_features(None, data["search_queries"], data["article_views"], INTENTS)
    assert_same(actual, expected)
    assert (actual["has_clickstream"] == 0).all()


def test_no_source_at_all(warehouse):
    with pytest.raises(NoUsersError, match="intentseg ingest"):
        build_features(warehouse)


def test_mapped_names(warehouse):
    """Another site's names: a table and columns mapped through settings."""
    data = frames()
    data["visits"] = data.pop("clickstream").rename(columns={"user_id": "visitor_id", "timestamp": "event_time"})
    load(warehouse, data)
    settings = Settings(sources={"clickstream": SourceSettings(
        table="visits", columns={"user_id": "visitor_id", "timestamp": "event_time"})})
    actual = build_features(warehouse, settings)
    ev = frames()
    assert_same(actual, reference_features(ev["clickstream"], ev["search_queries"], ev["article_views"], INTENTS))


def test_missing_required_column_names_the_fix(warehouse):
    load(warehouse, drop_columns={"article_views": ["article_id"]})
    with pytest.raises(MissingColumnError, match="article_id") as info:
        build_features(warehouse)
    assert "--map article_id=" in info.value.hint


def test_write_features_materialises_in_the_warehouse(warehouse):
    load(warehouse)
    run = write_features(warehouse, output_table="user_features")
    again = write_features(warehouse, output_table="user_features")  # idempotent: replaced, not appended
    assert run.users == again.users == 11 and run.table == "user_features"
    stored = warehouse.query(f"SELECT * FROM {warehouse.quote('user_features')} ORDER BY user_id")
    assert sorted(c for c in stored.columns if not is_interest(c)) == sorted(FEATURE_COLUMNS)
    from intentseg.features.build import _typed

    assert_same(_typed(stored), build_features(warehouse))
    assert not [t for t in warehouse.tables() if "__staging_" in t or "__old_" in t]


def test_query_intents_table_is_incremental(warehouse):
    load(warehouse)
    build_features(warehouse)
    first = warehouse.query(f"SELECT * FROM {warehouse.quote('query_intents')}")
    assert dict(zip(first["query"], first["intent"])) == INTENTS
    assert set(first["classifier"]) == {RuleIntentClassifier().name}
    # a new query arrives: only it is classified
    warehouse.write_table("search_queries", pd.DataFrame(
        {"user_id": [12], "timestamp": [pd.Timestamp("2026-09-11")], "query": ["hiking boots discount code"]}
    ), mode="append")
    assert build_features(warehouse).attrs["run"]["queries_classified"] == 1
    assert build_features(warehouse).attrs["run"]["queries_classified"] == 0
    # another classifier: everything is reclassified with it
    shouty = RuleIntentClassifier(navigational_terms=("nike",))
    run = build_features(warehouse, classifier=shouty).attrs["run"]
    assert run["queries_classified"] == len(INTENTS) + 1
    names = warehouse.query(f"SELECT DISTINCT classifier FROM {warehouse.quote('query_intents')}")["classifier"]
    assert list(names) == [shouty.name]


def test_custom_classifier_plugs_in(warehouse):
    class Everything:
        name = "all-transactional-v1"

        def classify(self, queries: pd.Series) -> pd.Series:
            return pd.Series("transactional", index=queries.index)

    load(warehouse)
    df = build_features(warehouse, classifier=Everything()).set_index("user_id")
    assert df.loc[5, "intent_transactional_share"] == 1.0
    assert df.loc[10, "intent_transactional_share"] == pytest.approx(1 / 3)  # NULL and blank: no intent



def test_a_url_is_opened_and_closed(tmp_path):
    from intentseg.warehouse import connect

    url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    with connect(url) as wh:
        load(wh)
    assert len(build_features(url)) == 11
    assert write_features(url, output_table="uf").users == 11
    with connect(url) as wh:
        assert wh.row_count("uf") == 11
