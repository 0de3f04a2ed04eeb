"""Incremental features (features/incremental.py): the state's features equal a full build, on every engine."""

from __future__ import annotations

import pandas as pd
import pytest

from intentseg.config import Settings
from intentseg.features import build_features, read_features, write_features
from intentseg.features.incremental import StateTables, read_watermarks, state_present, write_incremental_features
from intentseg.generate import generate_events

from .test_features import assert_same

END = pd.Timestamp("2026-10-01")


def S(**features) -> Settings:
    """Settings the state covers: content interests off (interest_* columns are a full build's, docs/incremental.md)."""
    return Settings.model_validate({"features": features, "interests": {"enabled": False}})


SOURCES = ("clickstream", "search_queries", "article_views")


def _events(n_users: int = 120, days: int = 8) -> dict[str, pd.DataFrame]:
    ev = generate_events(n_users, seed=7, days=days, end=END)
    return {name: getattr(ev, name) for name in SOURCES}


def _split(events: dict[str, pd.DataFrame], held: pd.Timestamp, late_day: pd.Timestamp):
    """Three batches: before ``held`` minus a third of ``late_day``'s events; ``late_day``'s held-back third
    (late events: they arrive with the next day); and the new day from ``held`` on."""
    first, late, new = {}, {}, {}
    for name, df in events.items():
        ts = df["timestamp"]
        in_late_day = (ts >= late_day) & (ts < late_day + pd.Timedelta(days=1))
        held_back = in_late_day & (df.index % 3 == 0)
        first[name] = df[(ts < held) & ~held_back]
        late[name] = df[held_back]
        new[name] = df[ts >= held]
    return first, late, new


def _append(wh, batch: dict[str, pd.DataFrame]) -> None:
    for name, df in batch.items():
        wh.write_table(name, df.reset_index(drop=True), mode="append")


def _check_equal(wh, settings: Settings | None = None) -> pd.DataFrame:
    """The feature table from the state against build_features from scratch (every column, exactly)."""
    actual = read_features(wh)
    expected = build_features(wh, settings or S())
    assert len(expected) > 0
    assert_same(actual, expected)
    return actual


@pytest.mark.parametrize("late_days", [1, 2], ids=["late-in-the-watermark-day", "late-the-day-before"])
def test_incremental_equals_full_after_a_new_day_and_late_events(warehouse, late_days):
    """Days 1..N, then day N+1 with late events of day N (or N-1): the incremental build is the full build."""
    events = _events()
    held = END - pd.Timedelta(days=1)  # the last day arrives later
    late_day = held - pd.Timedelta(days=late_days)
    first, late, new = _split(events, held, late_day=late_day)
    assert all(len(df) for df in late.values()) and all(len(df) for df in new.values())
    _append(warehouse, first)
    assert not state_present(warehouse, S())
    run = write_incremental_features(warehouse, S())
    assert run.mode == "full" and state_present(warehouse, S())
    _check_equal(warehouse)

    _append(warehouse, late)
    _append(warehouse, new)
    run = write_incremental_features(warehouse, S())
    assert run.mode == "incremental" and run.in_place
    # the watermark was in day N (held - 1 day .. held); 24 h of lateness floored to midnight reach day N-1, and
    # the first of those days whose events changed is re-opened: the late events' day
    assert set(run.reopened_from.values()) == {late_day.date().isoformat()}
    features = _check_equal(warehouse)
    assert features["total_events"].sum() == sum(len(df) for df in events.values())
    assert run.capped_durations == build_features(warehouse, S()).attrs["run"]["capped_durations"]
    marks = read_watermarks(warehouse, StateTables(S().features.state_prefix)).set_index("source")
    for name in SOURCES:
        assert pd.Timestamp(marks.loc[name, "watermark_ts"]) == events[name]["timestamp"].max()

    # nothing new: no day re-opened (from the day after the watermark's), the same features again
    run = write_incremental_features(warehouse, S())
    assert run.mode == "incremental" and run.in_place
    assert set(run.reopened_from.values()) == {END.date().isoformat()}
    _check_equal(warehouse)


def test_only_the_days_whose_events_changed_are_reopened(warehouse):
    """Within the lateness window a day is re-opened only when its events changed: a new day alone re-opens
    itself; events deleted from a day within the window re-open that day (and the days after it)."""
    _append(warehouse, {"clickstream": _clicks([
        (1, at(0, 12), "/a", None, "desktop", 1.0),
        (1, at(1, 12), "/b", None, "desktop", 1.0),   # the watermark's day
        (2, at(1, 13), "/a", None, "mobile", 2.0),    # the watermark
    ])})
    settings = S(lateness_hours=48)  # days 0 and 1 are within the window
    write_incremental_features(warehouse, settings)
    _append(warehouse, {"clickstream": _clicks([(1, at(2, 9), "/b", None, "desktop", 1.0)])})
    run = write_incremental_features(warehouse, settings)
    assert run.reopened_from == {"clickstream": at(2, 0).date().isoformat()}
    _check_equal(warehouse, settings)
    warehouse.execute("DELETE FROM clickstream WHERE user_id = 2")  # day 1 changed: re-opened, user 2 gone
    run = write_incremental_features(warehouse, settings)
    assert run.reopened_from == {"clickstream": at(1, 0).date().isoformat()}
    assert 2 not in set(_check_equal(warehouse, settings)["user_id"])


def test_a_feature_table_written_otherwise_is_copied_whole(warehouse):
    """The feature table is kept up to date in place only while it holds the previous update's features: after a
    full build with other settings wrote it, or an update wrote another table, it is copied whole again."""
    events = _events(60, days=4)
    first, late, new = _split(events, END - pd.Timedelta(days=1), END - pd.Timedelta(days=2))
    _append(warehouse, first)
    write_incremental_features(warehouse, S())
    write_features(warehouse, S(since="2026-09-29"))  # fewer events per user in user_features
    _append(warehouse, late)
    run = write_incremental_features(warehouse, S())
    assert run.mode == "incremental" and not run.in_place
    _check_equal(warehouse)
    run = write_incremental_features(warehouse, S(), output_table="other_features")
    assert not run.in_place
    _append(warehouse, new)
    run = write_incremental_features(warehouse, S())  # user_features holds the update before the last
    assert not run.in_place
    _check_equal(warehouse)


def _clicks(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "url", "referrer", "device", "time_spent"]).astype(
        {"timestamp": "datetime64[us]", "time_spent": "float64"})


def _searches(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "query"]).astype({"timestamp": "datetime64[us]"})


def _articles(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "article_id", "time_spent"]).astype(
        {"timestamp": "datetime64[us]", "time_spent": "float64"})


T = pd.Timestamp("2026-09-10")


def at(day: int, hh: int, mm: int = 0) -> pd.Timestamp:
    return T + pd.Timedelta(days=day, hours=hh, minutes=mm)


def test_sessions_across_midnight_and_distincts_across_days(warehouse):
    """Hand-written users whose features depend on more than one day's state."""
    _append(warehouse, {
        "clickstream": _clicks([
            # user 1: 23:50 on day 0, then 00:10 on day 1 (same session); the same page both days (1 distinct)
            (1, at(0, 23, 50), "/a", None, "desktop", 10.0),
            # user 2: 23:00 day 0 and 00:10 day 1: 70 minutes apart -> 2 sessions
            (2, at(0, 23, 0), "/a", None, "mobile", None),
            # user 3: 3 days with two sessions inside day 0
            (3, at(0, 8), "/x", "https://google.com/", "tablet", 5000.0),
            (3, at(0, 12), "/y", "https://t.co/a", "tablet", 5.0),
        ]),
        "search_queries": _searches([
            # user 4: searches only; "Shoes" and "shoes " are one distinct query across days
            (4, at(0, 9), "Shoes"),
        ]),
        "article_views": _articles([(1, at(0, 23, 55), 10, 60.0)]),
    })
    settings = S()
    assert write_incremental_features(warehouse, settings).mode == "full"
    _append(warehouse, {
        "clickstream": _clicks([
            (1, at(1, 0, 10), "/a", None, "desktop", 20.0),
            (2, at(1, 0, 10), "/b", None, "mobile", 30.0),
            (3, at(1, 12), "/x", None, "desktop", 1.0),
            (3, at(2, 12), "/z", None, "desktop", 2.0),
        ]),
        "search_queries": _searches([(4, at(1, 9), "shoes "), (4, at(2, 9), "boots")]),
        "article_views": _articles([(1, at(1, 0, 1), 10, 30.0), (1, at(1, 0, 2), 11, 30.0)]),
    })
    assert write_incremental_features(warehouse, settings).mode == "incremental"
    by = _check_equal(warehouse).set_index("user_id")
    assert by.loc[1, "sessions"] == 1 and by.loc[1, "distinct_pages"] == 1 and by.loc[1, "click_active_days"] == 2
    assert by.loc[1, "distinct_articles"] == 2 and by.loc[1, "active_days"] == 2
    assert by.loc[2, "sessions"] == 2 and by.loc[2, "click_time_avg_s"] == 30.0  # the unknown duration skipped
    assert by.loc[3, "sessions"] == 4 and by.loc[3, "distinct_pages"] == 3
    assert by.loc[4, "distinct_queries"] == 2 and by.loc[4, "searches"] == 3


def test_late_events_beyond_the_lateness_window_wait_for_a_full_rebuild(warehouse):
    """An event older than watermark - lateness is not read by an incremental update (documented); --full reads it."""
    _append(warehouse, {"clickstream": _clicks([(1, at(0, 12), "/a", None, "desktop", 1.0),
                                                (1, at(5, 12), "/b", None, "desktop", 1.0)])})
    settings = S(lateness_hours=24)
    write_incremental_features(warehouse, settings)
    _append(warehouse, {"clickstream": _clicks([(1, at(1, 12), "/c", None, "desktop", 1.0),   # 4 days late
                                                (1, at(4, 13), "/d", None, "desktop", 1.0)])})  # within 24 h
    run = write_incremental_features(warehouse, settings)
    assert run.reopened_from == {"clickstream": at(4, 12).date().isoformat()}
    assert read_features(warehouse).set_index("user_id").loc[1, "clicks"] == 3  # the 4-day-late click not yet
    assert write_incremental_features(warehouse, settings, full=True).mode == "full"
    assert read_features(warehouse).set_index("user_id").loc[1, "clicks"] == 4
    _check_equal(warehouse, settings)


def test_events_corrected_in_place_within_the_window_reopen_their_day(warehouse):
    """A correction that keeps the day's number of events (a duration fixed, a NULL referrer filled, a query
    retyped, a reading time fixed) re-opens the day: the features are the full build's again."""
    _append(warehouse, {
        "clickstream": _clicks([(1, at(0, 12), "/a", None, "desktop", 5.0),
                                (1, at(1, 12), "/b", None, "desktop", 1.0),
                                (2, at(2, 13), "/a", None, "mobile", 2.0)]),   # the watermark's day
        "search_queries": _searches([(1, at(0, 12, 5), "cheap flights"), (2, at(2, 13, 5), "hotels")]),
        "article_views": _articles([(1, at(1, 12, 9), 7, 30.0), (2, at(2, 13, 9), 8, 60.0)]),
    })
    settings = S(lateness_hours=72)  # days 0..2 are within the window
    write_incremental_features(warehouse, settings)
    run = write_incremental_features(warehouse, settings)
    assert set(run.reopened_from.values()) == {at(3, 0).date().isoformat()}  # nothing changed: nothing re-opened
    for update, source, day in (
        ("UPDATE clickstream SET time_spent = 500 WHERE user_id = 1 AND url = '/a'", "clickstream", 0),
        ("UPDATE clickstream SET referrer = 'https://www.google.com/' WHERE user_id = 1 AND url = '/b'", "clickstream", 1),
        ("UPDATE search_queries SET query = 'cheap flights to rome' WHERE user_id = 1", "search_queries", 0),
        ("UPDATE article_views SET time_spent = 45 WHERE user_id = 1", "article_views", 1),
    ):
        warehouse.execute(update)
        run = write_incremental_features(warehouse, settings)
        assert run.mode == "incremental"
        assert run.reopened_from[source] == at(day, 0).date().isoformat(), update
        _check_equal(warehouse, settings)
    features = read_features(warehouse).set_index("user_id")
    assert features.loc[1, "click_time_total_s"] == 501 and features.loc[1, "referrer_search_share"] == 0.5


def test_a_correction_the_check_cannot_see_waits_for_a_full_rebuild(warehouse):
    """The documented blind spot: a text replaced by another of the same length (and nothing else) keeps the
    day's check; --full reads it."""
    _append(warehouse, {"search_queries": _searches([(1, at(0, 12), "buy shoes"), (1, at(1, 12), "news")])})
    settings = S(lateness_hours=48)
    write_incremental_features(warehouse, settings)
    warehouse.execute("UPDATE search_queries SET query = 'how shoes' WHERE query = 'buy shoes'")  # same length
    run = write_incremental_features(warehouse, settings)
    assert run.reopened_from == {"search_queries": at(2, 0).date().isoformat()}
    stale = read_features(warehouse).set_index("user_id").loc[1, "intent_transactional_share"]
    fresh = build_features(warehouse, settings).set_index("user_id").loc[1, "intent_transactional_share"]
    assert (stale, fresh) == (0.5, 0.0)  # the state still counts "buy shoes"
    assert write_incremental_features(warehouse, settings, full=True).mode == "full"
    _check_equal(warehouse, settings)


def test_a_changed_setting_rebuilds_the_state(warehouse):
    """The state was built with a 30-minute session gap: with 60 it is rebuilt, not merged."""
    _append(warehouse, {"clickstream": _clicks([(1, at(0, 12), "/a", None, "desktop", 1.0),
                                                (1, at(0, 12, 45), "/b", None, "desktop", 1.0)])})
    write_incremental_features(warehouse, S())
    assert read_features(warehouse).loc[0, "sessions"] == 2
    settings = S(session_gap_minutes=60)
    assert write_incremental_features(warehouse, settings).mode == "full"
    assert read_features(warehouse).loc[0, "sessions"] == 1


@pytest.mark.parametrize("absent", ["search_queries", "article_views"])
def test_an_absent_source(warehouse, absent):
    """A source that does not exist keeps the full build's empty columns (has_<source> = 0)."""
    events = _events(40, days=3)
    held = END - pd.Timedelta(days=1)
    first, late, new = _split({n: df for n, df in events.items() if n != absent}, held, END - pd.Timedelta(days=2))
    _append(warehouse, first)
    write_incremental_features(warehouse, S())
    _append(warehouse, late)
    _append(warehouse, new)
    assert write_incremental_features(warehouse, S()).mode == "incremental"
    assert (_check_equal(warehouse)[f"has_{absent}"] == 0).all()


def test_run_keeps_the_state_fresh(warehouse_url, tmp_path):
    """``run(full=True)`` creates the state; the next run (a new day appended) updates it incrementally and
    segments the same features a full build gives; ``intentseg features --incremental`` says what it did."""
    from typer.testing import CliRunner

    from intentseg.cli import app
    from intentseg.pipeline import run
    from intentseg.warehouse import connect

    first, late, new = _split(_events(80, days=4), END - pd.Timedelta(days=1), END - pd.Timedelta(days=2))
    with connect(warehouse_url) as wh:
        _append(wh, first)
    run(warehouse_url, settings=S(), k=2, full=True)
    with connect(warehouse_url) as wh:
        assert state_present(wh, S())
        _append(wh, late)
        _append(wh, new)
    result = run(warehouse_url, settings=S(), k=2)
    with connect(warehouse_url) as wh:
        assert read_watermarks(wh, StateTables("intentseg_state_"))["watermark_ts"].notna().all()
        expected = build_features(wh, S())
        assert result.n_users == len(expected)
        assert_same(read_features(wh), expected)
    out = CliRunner().invoke(app, ["features", "--incremental", "--warehouse", warehouse_url],
                             env={"INTENTSEG_INTERESTS__ENABLED": "false"})
    assert out.exit_code == 0, out.output
    assert "State: incremental update" in out.output


def test_settings_the_state_does_not_cover_make_a_full_build(warehouse):
    """A time window (and content interests, where the build makes them) mean a full build: no state is kept."""
    _append(warehouse, {"clickstream": _clicks([(1, at(0, 12), "/a", None, "desktop", 1.0)])})
    run = write_incremental_features(warehouse, S(since="2026-09-01"))
    assert not hasattr(run, "mode") and run.users == 1
    assert not state_present(warehouse, S())


def test_content_interests_need_a_full_build():
    """interest_* columns (top sections over all users) are not in the state: with interests on, a full build."""
    from intentseg.features.incremental import incremental_applies

    assert incremental_applies(Settings()) is None  # interests are off by default: default runs are incremental
    for on in (Settings(interests={"enabled": True}), Settings(segment={"features": "engagement+interests"})):
        reason = incremental_applies(on)
        assert reason is not None and "interests" in reason
    assert incremental_applies(S()) is None
