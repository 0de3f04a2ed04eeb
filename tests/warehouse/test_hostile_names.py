"""Hostile names end to end, on DuckDB, MariaDB and PostgreSQL: segment names, output table names,
events paths, schemas and source columns that look like SQL reach the warehouse as data, exactly.

Issue 10 item 10 and item 11's ``?schema=Adv_Upper`` and ``u.r.l`` findings.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from intentseg.config import Settings, SourceSettings
from intentseg.generate import generate_events
from intentseg.model import Segmenter
from intentseg.pipeline import run
from intentseg.warehouse import connect
from tests.conftest import POSTGRES_URL, _sa_exec

# One per segment; each would once have broken the SQL text it was pasted or regex-rewritten into.
NAMES = [":gold", "$x", "O'Brien \"quoted\"", "50% off", "back\\slash", "emoji 🎯"]
POISON = "p0ison:tok'en\"%$x\\"  # must appear in bound parameters only, never in SQL text


@pytest.fixture(scope="module")
def events():
    """300 generated users: enough for six segments, small enough to run on three engines quickly."""
    return generate_events(300, seed=11)


def _load(url: str, events, **renamed: dict[str, str]) -> None:
    with connect(url) as wh:
        for name in ("clickstream", "search_queries", "article_views"):
            wh.write_table(name, getattr(events, name).rename(columns=renamed.get(name, {})))


def _settings(url: str, names: list[str], *, in_warehouse: bool) -> Settings:
    s = Settings(warehouse=url)
    s.segment.k = len(names)
    s.segment.n_init = 1
    s.segment.names = {str(i): name for i, name in enumerate(names)}
    if in_warehouse:
        s.segment.in_warehouse_above = 0  # score with bound_scoring_sql inside the warehouse
    return s


def _stored_names(url: str, s: Settings) -> dict[str, set[str]]:
    out = s.output
    with connect(url) as wh:
        return {
            table: set(wh.query(f"SELECT DISTINCT segment_name FROM {wh.quote_table(table)}")["segment_name"])
            for table in (out.user_segments, out.segment_profiles, out.user_segment_history)
        }


@pytest.mark.parametrize("in_warehouse", [False, True], ids=["in-memory", "in-warehouse"])
def test_hostile_segment_names_survive_run_exactly(warehouse_url, events, in_warehouse):
    _load(warehouse_url, events)
    s = _settings(warehouse_url, NAMES, in_warehouse=in_warehouse)
    result = run(settings=s)
    assert [seg["name"] for seg in result.segments] == NAMES
    assert _stored_names(warehouse_url, s) == {
        s.output.user_segments: set(NAMES), s.output.segment_profiles: set(NAMES),
        s.output.user_segment_history: set(NAMES),
    }
    with connect(warehouse_url) as wh:  # each user's name is the name of its segment id
        rows = wh.query("SELECT segment_id, segment_name FROM user_segments")
    assert all(NAMES[int(i)] == n for i, n in zip(rows["segment_id"], rows["segment_name"]))


def test_to_sql_scores_hostile_names_exactly(warehouse, events):
    """The text users copy (names as literals escaped by sqlglot) gives back every name exactly."""
    features = pd.DataFrame({"user_id": range(60), "clicks": [i % 7 for i in range(60)],
                             "searches": [(i * 5) % 11 for i in range(60)]})
    model = Segmenter(n_segments=len(NAMES), random_state=0, features=["clicks", "searches"], n_init=1).fit(features)
    model.rename(dict(enumerate(NAMES)))
    warehouse.write_table("user_features", features)
    got = warehouse.query(model.to_sql(dialect=warehouse.dialect)).sort_values("user_id")
    expected = [NAMES[i] for i in model.predict(features)]
    assert got["segment_name"].tolist() == expected


def test_no_user_value_is_pasted_into_sql(warehouse_url, events):
    """Every statement of a run is traced; a poisoned name is never part of SQL text, only of the data
    (bound parameters, or rows sent by the bulk loader)."""
    _load(warehouse_url, events)
    names = [POISON + str(i) for i in range(3)]
    for in_warehouse in (False, True):
        statements: list[tuple[str, dict | None]] = []
        s = _settings(warehouse_url, names, in_warehouse=in_warehouse)
        run(settings=s, tracer=lambda sql, params, seen=statements: seen.append((sql, params)))
        assert statements, "the tracer saw no statement"
        pasted = [sql for sql, _ in statements if "p0ison" in sql]
        assert pasted == [], f"a segment name was pasted into SQL: {pasted[:1]}"
        if in_warehouse:  # scored in SQL: the names are parameters of the scoring statement
            bound = [p for _, p in statements if p and set(names) <= {v for v in p.values() if isinstance(v, str)}]
            assert bound, "the names never reached the warehouse as parameters"
        # (in memory, they travel as rows of the bulk loader); either way they are stored exactly
        assert _stored_names(warehouse_url, s)[s.output.user_segments] == set(names)


def test_output_table_names_with_colons_and_spaces(warehouse_url, events):
    _load(warehouse_url, events)
    s = _settings(warehouse_url, NAMES[:3], in_warehouse=True)
    s.output.segment_runs = ":runs"
    s.output.user_segments = "user segments :x"
    s.output.user_segment_history = "history $h"
    s.output.segment_profiles = "profiles 50%"
    s.features.output_table = "features :f"
    run(settings=s)
    run(settings=s)  # a second run finds, reads and swaps the same tables
    with connect(warehouse_url) as wh:
        tables = set(wh.tables())
        assert {":runs", "user segments :x", "history $h", "profiles 50%", "features :f"} <= tables
        assert not {"$runs", "user segments $x"} & tables
        assert wh.query(f"SELECT status FROM {wh.quote_table(':runs')}")["status"].tolist() == ["ok", "ok"]
    assert _stored_names(warehouse_url, s)[s.output.user_segments] == set(NAMES[:3])


def test_source_column_with_dots_mapped_by_name(warehouse_url, events):
    """A column ``u.r.l`` is one identifier, mapped with ``url = "u.r.l"`` (``--map url=u.r.l``)."""
    _load(warehouse_url, events, clickstream={"url": "u.r.l"})
    s = _settings(warehouse_url, NAMES[:3], in_warehouse=False)
    s.sources["clickstream"] = SourceSettings(columns={"url": "u.r.l"})
    result = run(settings=s)
    assert result.features["distinct_pages"].sum() > 0  # the url column was read, not NULL


def test_ingest_maps_a_dotted_column(warehouse_url, events, tmp_path):
    from intentseg.ingest import ingest

    path = tmp_path / "clickstream.csv"
    events.clickstream.head(200).rename(columns={"url": "u.r.l"}).to_csv(path, index=False)
    report = ingest([path], settings=Settings(warehouse=warehouse_url), columns={"url": "u.r.l"})
    counts = report.sources["clickstream"]
    assert counts.rows_read == 200 and set(counts.quarantined) <= {"time_spent_above_cap"}  # no url problem
    assert counts.accepted == 200 - sum(counts.quarantined.values())
    with connect(warehouse_url) as wh:
        assert wh.scalar("SELECT COUNT(DISTINCT url) FROM clickstream") > 1


def test_events_folder_path_with_colon(tmp_path, events):
    """DuckDB reads --events in place; a folder named ``ev :x`` is a path, not a parameter."""
    folder = tmp_path / "ev :x"
    folder.mkdir()
    for name in ("clickstream", "search_queries", "article_views"):
        getattr(events, name).to_parquet(folder / f"{name}.parquet", index=False)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    result = run(settings=_settings(url, NAMES[:3], in_warehouse=False), events=folder)
    assert result.n_users == events.ground_truth.shape[0]


@pytest.mark.db
def test_postgres_schema_with_upper_case_letters(tmp_path, events):
    """``?schema=Adv_Upper``: created quoted and found quoted (search_path once lower-cased it)."""
    schema = f"Adv_Upper_{uuid.uuid4().hex[:6]}"
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
    try:
        _load(url, events)
        result = run(settings=_settings(url, NAMES[:3], in_warehouse=True))
        with connect(url) as wh:
            assert wh.row_count("user_segments") == result.n_users > 0
            in_schema = wh.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s", {"s": schema}
            )["table_name"].tolist()
        assert {"clickstream", "user_segments", "segment_runs"} <= set(in_schema)
    finally:
        _sa_exec(POSTGRES_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
