"""Sources from one events table: presets and config-defined sources, on every engine.

Each preset, on hand-written tables in its shape (fixtures_presets.py), must give exactly the user
features of the three original tables written by hand for the same visitors.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlglot

from intentseg.config import Settings, load_settings
from intentseg.errors import ConfigError, MissingColumnError
from intentseg.features import DIALECTS, FEATURE_COLUMNS, build_features, feature_sql
from intentseg.features.interests import is_interest
from intentseg.presets import PRESETS
from intentseg.warehouse import connect

from . import fixtures_presets as fx

DOCS = Path(__file__).resolve().parents[2] / "docs" / "presets.md"

# preset, its tables, the expected three tables (see fixtures_presets.expected_tables)
SHAPES = {
    "segment": ("segment", fx.segment_tables, dict(time_spent=False, articles=True)),
    "rudderstack": ("rudderstack", fx.segment_tables, dict(time_spent=False, articles=True)),
    "snowplow": ("snowplow", fx.snowplow_tables, dict(time_spent=True, articles=True)),
    "ga4-json-params": ("ga4", lambda: fx.ga4_tables("json"), dict(time_spent=True, articles=True, full_article_ids=True)),
    "ga4-param-columns": ("ga4", lambda: fx.ga4_tables("columns"),
                          dict(time_spent=True, articles=True, full_article_ids=True)),
}


def write(warehouse, tables) -> None:
    for name, table in tables.items():
        warehouse.write_table(name, table)


def assert_same_features(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert [c for c in actual.columns if not is_interest(c)] == list(FEATURE_COLUMNS)
    assert actual["user_id"].tolist() == expected["user_id"].tolist()
    for col, kind in FEATURE_COLUMNS.items():
        if col == "user_id":
            continue
        a, e = actual[col], expected[col]
        if kind == "timestamp":
            assert (pd.to_datetime(a) == pd.to_datetime(e)).all(), col
        else:
            np.testing.assert_allclose(a.astype(float), e.astype(float), rtol=1e-9, atol=1e-9, err_msg=col)
    # content interests come from the clickstream a preset produces: the same sections and shares
    interests = [c for c in expected.columns if is_interest(c)]
    assert interests and [c for c in actual.columns if is_interest(c)] == interests
    np.testing.assert_allclose(actual[interests].to_numpy(float), expected[interests].to_numpy(float), atol=1e-9)


#: content interests are off by default; these tests compare them too
INTERESTS = {"enabled": True}


def preset_settings(preset: str, **options) -> Settings:
    return Settings(preset=preset, preset_options={"article_path_like": fx.ARTICLES_LIKE, **options}, interests=INTERESTS)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_preset_builds_the_features_of_the_three_tables(warehouse, shape):
    preset, tables, expected_kw = SHAPES[shape]
    write(warehouse, tables())
    actual = build_features(warehouse, preset_settings(preset))
    write(warehouse, fx.expected_tables(**expected_kw))
    expected = build_features(warehouse, Settings(interests=INTERESTS))
    assert actual["user_id"].tolist() == ["a-1", "b-2", "c-3", "d-4"]  # no row without a visitor id counted
    assert_same_features(actual, expected)
    by = actual.set_index("user_id")
    # spot checks that say what the preset did: filters, sessions, devices, dwell, searches, articles
    assert by.loc["a-1", "clicks"] == 3 and by.loc["a-1", "sessions"] == 2 and by.loc["a-1", "searches"] == 1
    assert by.loc["b-2", "device_mobile_share"] == 1 and by.loc["b-2", "referrer_social_share"] == 1
    assert by.loc["d-4", "device_tablet_share"] == 1 and by.loc["c-3", "has_clickstream"] == 0
    assert by.loc["a-1", "article_views"] == 1 and by.loc["d-4", "article_views"] == 1
    if expected_kw["time_spent"]:
        assert by.loc["a-1", "click_time_total_s"] == 110 and by.loc["d-4", "click_time_total_s"] == 0
    else:
        assert actual.attrs["run"]["absent_columns"]["clickstream"] == ["time_spent"]


def test_snowplow_dwell_is_pings_times_the_heartbeat(warehouse):
    write(warehouse, fx.snowplow_tables())
    by = build_features(warehouse, preset_settings("snowplow", heartbeat_seconds=5)).set_index("user_id")
    assert by.loc["a-1", "click_time_total_s"] == (3 + 2 + 6) * 5  # 11 pings of a-1's three page views
    assert by.loc["b-2", "click_time_total_s"] == 5 and by.loc["d-4", "click_time_total_s"] == 0
    assert by.loc["a-1", "article_time_total_s"] == 6 * 5


@pytest.mark.parametrize("preset,tables", [("snowplow", fx.snowplow_tables), ("ga4", fx.ga4_tables),
                                           ("segment", fx.segment_tables)])
def test_logged_in_user_id_instead_of_the_anonymous_id(warehouse, preset, tables):
    write(warehouse, tables())
    df = build_features(warehouse, preset_settings(preset, user_id="user"))
    assert df["user_id"].tolist() == ["cust-1"]  # a-1 was logged in on her first page view only
    assert df["clicks"].tolist() == [1]


def test_without_an_article_pattern_article_views_are_absent(warehouse):
    write(warehouse, fx.snowplow_tables())
    df = build_features(warehouse, Settings(preset="snowplow"))
    assert df.attrs["run"]["absent_sources"] == ["article_views"]
    assert df["has_article_views"].sum() == 0 and df["clicks"].sum() == 5


def test_preset_tables_in_another_schema(warehouse, engine):
    """table_schema: Snowplow's atomic.events (a database of its own on MariaDB), read where it is."""
    schema = f"intentseg_t_{uuid.uuid4().hex[:10]}_atomic"
    warehouse.execute(f"CREATE {'DATABASE' if engine == 'mysql' else 'SCHEMA'} {schema}")
    try:
        warehouse.write_table(f"{schema}.events", fx.SNOWPLOW_EVENTS)
        assert not warehouse.table_exists("events")  # nothing in the warehouse's own schema
        df = build_features(warehouse, preset_settings("snowplow", table_schema=schema))
        assert df["user_id"].tolist() == ["a-1", "b-2", "c-3", "d-4"] and df["clicks"].sum() == 5
    finally:
        if engine != "duckdb":  # the DuckDB file goes with tmp_path; a server schema must be dropped
            warehouse.execute(f"DROP {'DATABASE' if engine == 'mysql' else 'SCHEMA'} {schema}"
                              + ("" if engine == "mysql" else " CASCADE"))


def test_optional_columns_a_preset_cannot_find_are_absent(warehouse):
    """atomic.events without useragent and page_view_id: device and dwell time absent, the rest works."""
    write(warehouse, {"events": fx.SNOWPLOW_EVENTS.drop_columns(["useragent", "page_view_id"])})
    df = build_features(warehouse, Settings(preset="snowplow"))
    assert df.attrs["run"]["absent_columns"] == {"clickstream": ["device", "time_spent"]}
    assert df["clicks"].sum() == 5 and df["click_time_total_s"].sum() == 0
    assert df.loc[df["clicks"] > 0, "device_other_share"].eq(1).all()  # an unknown device counts as other


def test_a_source_defined_in_config_without_a_preset(warehouse, tmp_path):
    """table + filter + column expressions in intentseg.toml: GA4-like columns, no preset."""
    write(warehouse, fx.ga4_tables("columns"))
    config = tmp_path / "intentseg.toml"
    config.write_text(
        '[sources.clickstream]\ntable = "events"\nfilter = "event_name IN (\'page_view\')"\n'
        '[sources.clickstream.columns]\nuser_id = "user_pseudo_id"\ntimestamp = "event_timestamp"\n'
        'url = "page_location"\nreferrer = "page_referrer"\ndevice = "device_category"\n'
        'time_spent = "engagement_time_msec / 1000"\n'
        '[sources.search_queries]\ntable = "events"\nfilter = "event_name = \'view_search_results\'"\n'
        '[sources.search_queries.columns]\nuser_id = "user_pseudo_id"\ntimestamp = "event_timestamp"\nquery = "search_term"\n'
        '[sources.article_views]\nenabled = false\n'
        '[interests]\nenabled = true\n'
    )
    actual = build_features(warehouse, load_settings(config, environ={}))
    write(warehouse, fx.expected_tables(time_spent=True, articles=False))
    assert_same_features(actual, build_features(warehouse, Settings(interests=INTERESTS)))


def test_an_unknown_column_lists_the_columns_available(warehouse):
    write(warehouse, fx.snowplow_tables())
    settings = Settings(preset="snowplow", sources={"clickstream": {"columns": {"url": "LOWER(page_uurl)"}}})
    with pytest.raises(ConfigError) as err:
        build_features(warehouse, settings)
    text = str(err.value)
    assert "sources.clickstream.columns.url" in text and "'page_uurl'" in text and "page_urlpath" in text
    assert "intentseg.toml" in err.value.hint


def test_a_filter_on_a_missing_column_is_a_config_error(warehouse):
    write(warehouse, fx.ga4_tables())
    settings = Settings(preset="ga4", sources={"search_queries": {"filter": "event_type = 'search'"}})
    with pytest.raises(ConfigError, match=r"sources\.search_queries\.filter .*'event_type'.*Columns available: .*event_name"):
        build_features(warehouse, settings)


def test_a_preset_table_without_a_required_column_names_the_fix(warehouse):
    write(warehouse, {"events": fx.SNOWPLOW_EVENTS.drop_columns(["derived_tstamp", "collector_tstamp"])})
    with pytest.raises(MissingColumnError) as err:
        build_features(warehouse, Settings(preset="snowplow"))
    assert "clickstream.timestamp" in str(err.value) and "'derived_tstamp'" in str(err.value)
    assert "[sources.clickstream.columns] timestamp" in err.value.hint


@pytest.mark.parametrize("text,problem", [
    ("engagement_time_msec /", "not a valid SQL expression"),
    ("'unclosed", "not a valid SQL expression"),
    ("(SELECT max(x) FROM t)", "subquery"),
    ("SUM(engagement_time_msec)", "aggregate"),
    ("engagement_time_msec; DROP TABLE events", "statements"),
    ("engagement_time_msec * :factor", "placeholder"),
])
def test_bad_expressions_fail_before_any_query(text, problem):
    settings = Settings(preset="ga4", sources={"clickstream": {"columns": {"time_spent": text}}})
    with pytest.raises(ConfigError, match=problem) as err:
        feature_sql("duckdb", settings)  # no warehouse: fails while compiling
    assert "sources.clickstream.columns.time_spent" in str(err.value)


def test_an_unknown_preset_names_the_key_and_the_presets():
    with pytest.raises(ConfigError) as err:
        load_settings(None, {"preset": "snowplo"}, environ={})
    assert "preset = 'snowplo'" in str(err.value) and all(name in str(err.value) for name in PRESETS)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_sql_in_every_dialect_keeps_user_text_literal(dialect, preset):
    evil = "%/articles/'; DROP TABLE events; --"
    sql = feature_sql(dialect, preset_settings(preset, article_path_like=evil))
    parsed = sqlglot.parse(sql, read="spark" if dialect == "spark" else dialect)
    assert len([p for p in parsed if p is not None]) == 1  # one statement: the pattern stayed a literal
    assert not list(parsed[0].find_all(sqlglot.exp.Drop))
    assert [s.alias_or_name for s in parsed[0].selects] == list(FEATURE_COLUMNS)


def test_docs_describe_every_preset_and_the_columns_it_reads():
    from sqlglot import parse_one

    text = DOCS.read_text(encoding="utf-8")
    for name, preset in PRESETS.items():
        section = re.search(rf"^## `{name}`.*?(?=^## |\Z)", text, re.S | re.M)
        assert section, f"docs/presets.md has no '## `{name}`' section"
        body = section.group(0)
        for template in preset.sources.values():
            assert f"`{template.table}`" in body or "`{events}`" in template.table or "`events`" in body, template.table
            for choices in template.columns.values():
                for column in parse_one(choices[0], read="duckdb").find_all(sqlglot.exp.Column):
                    assert f"`{column.name}`" in body, f"{name}: column {column.name} not documented"
        for column in preset.user_ids.values():
            assert f"`{column}`" in body, f"{name}: user id column {column} not documented"


# -- the CLI ---------------------------------------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intentseg", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_with_the_snowplow_preset_segments_the_fixture(warehouse_url, tmp_path):
    with connect(warehouse_url) as wh:
        write(wh, fx.snowplow_tables())
    done = _cli("run", "--preset", "snowplow", "--warehouse", warehouse_url, "--k", "2", "--json",
                "--report", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with connect(warehouse_url) as wh:
        members = wh.query("SELECT user_id, segment_id FROM user_segments")
    assert sorted(members["user_id"]) == ["a-1", "b-2", "c-3", "d-4"]
    assert members["segment_id"].nunique() == 2
    # the report's top queries are read through the preset too (structured and site_search events)
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "running shoes" in html and "buy trail shoes" in html


def test_features_and_sources_commands_take_the_preset(tmp_path):
    url = f"duckdb:///{tmp_path / 'ga4.duckdb'}"
    with connect(url) as wh:
        write(wh, fx.ga4_tables())
    done = _cli("features", "--preset", "ga4", "--warehouse", url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"users": 4' in done.stdout
    done = _cli("sources", "--preset", "ga4", "--warehouse", url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"rows": 5' in done.stdout  # page views of known visitors in the events table, not all its rows


@pytest.mark.parametrize("args,config,key", [
    (["--preset", "snowplo"], "", "preset"),
    (["--preset", "ga4"], '[sources.clickstream.columns]\nurl = "page_locaton"\n', "sources.clickstream.columns.url"),
    (["--preset", "ga4"], '[sources.clickstream.columns]\ntime_spent = "engagement_time_msec /"\n',
     "sources.clickstream.columns.time_spent"),
], ids=["unknown-preset", "unknown-column", "bad-expression"])
def test_cli_errors_exit_2_naming_the_key(tmp_path, args, config, key):
    url = f"duckdb:///{tmp_path / 'ga4.duckdb'}"
    with connect(url) as wh:
        write(wh, fx.ga4_tables())
    path = tmp_path / "intentseg.toml"
    path.write_text(config)
    done = _cli("features", *args, "--warehouse", url, "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert key in done.stderr or key in done.stdout
