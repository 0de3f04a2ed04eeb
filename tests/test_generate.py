"""The synthetic data generator: reproducible, well-formed, heavy-tailed, personas recoverable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from intentseg.cli.app import app
from intentseg.errors import InputError
from intentseg.generate import (
    BLOCK_USERS,
    DEFAULT_MIX,
    PERSONAS,
    GeneratedEvents,
    generate_events,
    write_events,
)

N = 2_000
SOURCES = ("clickstream", "search_queries", "article_views")
END = pd.Timestamp("2026-10-01")


@pytest.fixture(scope="module")
def events() -> GeneratedEvents:
    return generate_events(N, seed=7)


def _frames(ev: GeneratedEvents) -> dict[str, pd.DataFrame]:
    return {name: getattr(ev, name) for name in (*SOURCES, "ground_truth")}


# ---------------------------------------------------------------- reproducibility


def test_same_seed_gives_identical_frames(events: GeneratedEvents) -> None:
    again = generate_events(N, seed=7)
    for name, frame in _frames(events).items():
        pd.testing.assert_frame_equal(frame, getattr(again, name), obj=name)


def test_different_seed_gives_different_events(events: GeneratedEvents) -> None:
    other = generate_events(N, seed=8)
    assert not events.clickstream.equals(other.clickstream)
    assert not events.ground_truth["persona"].equals(other.ground_truth["persona"])


def test_output_does_not_depend_on_chunk_size(tmp_path) -> None:
    n = BLOCK_USERS + 500  # two internal blocks, the second one partial
    small = write_events(tmp_path / "small", n, seed=3, chunk_users=1)
    large = write_events(tmp_path / "large", n, seed=3, chunk_users=10 * BLOCK_USERS)
    assert small.rows == large.rows
    for name in SOURCES:
        a = pq.read_table(small.paths[name])
        assert a.equals(pq.read_table(large.paths[name])), name
    assert pq.ParquetFile(small.paths["clickstream"]).num_row_groups == 2
    assert pq.ParquetFile(large.paths["clickstream"]).num_row_groups == 1


def test_end_is_fixed_not_now() -> None:
    ev = generate_events(200, seed=1, end="2020-01-01T00:00:00Z", days=7)
    ts = ev.clickstream["timestamp"]
    assert ts.min() >= pd.Timestamp("2019-12-25") and ts.max() < pd.Timestamp("2020-01-01")


# ---------------------------------------------------------------- schema and users


def test_schema_and_dtypes(events: GeneratedEvents) -> None:
    c, s, a, g = events.clickstream, events.search_queries, events.article_views, events.ground_truth
    assert list(c.columns) == ["user_id", "timestamp", "url", "referrer", "device", "time_spent"]
    assert list(s.columns) == ["user_id", "timestamp", "query"]
    assert list(a.columns) == ["user_id", "timestamp", "article_id", "time_spent"]
    assert list(g.columns) == ["user_id", "persona", "persona_id", "true_engagement"]
    for frame in (c, s, a):
        assert frame["user_id"].dtype == np.int64
        assert frame["timestamp"].dtype == np.dtype("datetime64[us]")
    assert c["time_spent"].dtype == np.int64 and a["time_spent"].dtype == np.int64
    assert a["article_id"].dtype == np.int64
    for col in ("url", "device"):
        assert pd.api.types.is_string_dtype(c[col]) and c[col].notna().all()
    assert pd.api.types.is_string_dtype(s["query"]) and s["query"].str.len().gt(0).all()
    assert g["true_engagement"].dtype == np.float64 and (g["true_engagement"] > 0).all()
    assert (c["time_spent"] >= 1).all() and (a["time_spent"] >= 1).all()
    assert [PERSONAS[i] for i in g["persona_id"]] == g["persona"].tolist()


def test_every_user_is_in_a_source_and_in_the_truth(events: GeneratedEvents) -> None:
    truth = set(events.ground_truth["user_id"])
    assert truth == set(range(1, N + 1))
    seen = set().union(*(set(getattr(events, name)["user_id"]) for name in SOURCES))
    assert seen == truth


def test_not_every_user_is_in_every_source(events: GeneratedEvents) -> None:
    users = {name: set(getattr(events, name)["user_id"]) for name in SOURCES}
    no_clicks = set(events.ground_truth["user_id"]) - users["clickstream"]
    assert no_clicks, "some users must have searches or articles but no clicks"
    assert no_clicks & (users["search_queries"] - users["article_views"]), "searches only"
    assert no_clicks & (users["article_views"] - users["search_queries"]), "articles only"
    assert len(users["search_queries"]) < N and len(users["article_views"]) < N


def test_rows_are_ordered_by_user_then_time(events: GeneratedEvents) -> None:
    for name in SOURCES:
        frame = getattr(events, name)
        key = frame[["user_id", "timestamp"]]
        assert key.equals(key.sort_values(["user_id", "timestamp"], ignore_index=True)), name


def test_timestamps_inside_the_window() -> None:
    ev = generate_events(500, seed=2, days=10)
    for name in SOURCES:
        ts = getattr(ev, name)["timestamp"]
        assert ts.min() >= END - pd.Timedelta(days=10) and ts.max() < END, name


# ---------------------------------------------------------------- realism


def test_heavy_tails(events: GeneratedEvents) -> None:
    clicks = events.clickstream.groupby("user_id").size()
    assert clicks.max() / clicks.median() >= 15 and clicks.skew() > 2
    dwell = events.clickstream["time_spent"]
    assert dwell.max() >= 3_600, "some tabs are left open for hours"
    assert (dwell >= 3_600).mean() < 0.01 and dwell.median() < 120


def test_persona_proportions_follow_the_mix(events: GeneratedEvents) -> None:
    share = events.ground_truth["persona"].value_counts(normalize=True)
    for persona, want in DEFAULT_MIX.items():
        assert share[persona] == pytest.approx(want, abs=0.04), persona


def test_custom_mix() -> None:
    ev = generate_events(1_000, seed=0, mix={"shoppers": 3, "readers": 1})
    share = ev.ground_truth["persona"].value_counts(normalize=True)
    assert set(share.index) == {"shoppers", "readers"}
    assert share["shoppers"] == pytest.approx(0.75, abs=0.05)


def test_bad_mix_names_the_personas() -> None:
    with pytest.raises(InputError, match="shopers") as info:
        generate_events(10, mix={"shopers": 1.0})
    assert "researchers" in info.value.hint


def test_sessions_devices_referrers_and_queries_look_real(events: GeneratedEvents) -> None:
    c = events.clickstream
    devices = c["device"].value_counts(normalize=True)
    assert devices[["desktop", "mobile", "tablet"]].sum() > 0.9
    assert len(devices) > 3, "a few odd devices such as smart-tv"
    assert 0.2 < c["referrer"].isna().mean() < 0.6, "direct visits have no referrer"
    refs = c["referrer"].dropna()
    assert refs.str.startswith("https://").all()
    assert refs.str.contains("google.com/search").any() and refs.str.contains("t.co/").any()
    q = events.search_queries["query"]
    assert q.nunique() > 300 and q.duplicated().any()
    for pattern in ("^how to ", r"\bbuy\b", r"\bvs\b", r"\breview\b", r"\bprice\b"):
        assert q.str.contains(pattern).any(), pattern
    # Clicks come in bursts: most gaps between a user's clicks are under 30 minutes.
    gaps = c.groupby("user_id")["timestamp"].diff().dropna()
    assert (gaps < pd.Timedelta("30min")).mean() > 0.6


def test_true_engagement_orders_personas(events: GeneratedEvents) -> None:
    g = events.ground_truth.set_index("user_id")
    clicks = events.clickstream.groupby("user_id").size().reindex(g.index, fill_value=0)
    mean = g.groupby("persona")["true_engagement"].mean()
    assert mean.idxmin() == "drifters" and mean.idxmax() == "researchers"
    assert clicks.corr(g["true_engagement"], method="spearman") > 0.5


# ---------------------------------------------------------------- the contract for the segmenter

_INTENT_PATTERNS = {
    "transactional": r"\b(?:buy|price|discount|coupon|order|cheap|deal)\b",
    "commercial": r"\b(?:best|review|reviews|vs|compare|top)\b",
    "informational": r"^(?:how|what|why)\b|\b(?:guide|explained)\b",
}


def _user_features(ev: GeneratedEvents) -> pd.DataFrame:
    """A plain pandas version of the per-user features the segmenter uses."""
    c = ev.clickstream
    device = c["device"].str.lower()
    referrer = c["referrer"]
    c = c.assign(
        new_session=c["user_id"].ne(c["user_id"].shift()) | c["timestamp"].diff().gt(pd.Timedelta("30min")),
        day=c["timestamp"].dt.floor("D"),
        device=device.where(device.isin(["desktop", "mobile", "tablet"]), "other"),
        ref=np.select(
            [referrer.isna(), referrer.str.contains("google|bing|duckduckgo", na=False),
             referrer.str.contains("facebook|t\\.co|reddit|linkedin|instagram|youtube", na=False)],
            ["direct", "search", "social"], "other"),
    )
    by = c.groupby("user_id")
    clicks = pd.DataFrame({
        "clicks": by.size(), "distinct_pages": by["url"].nunique(), "sessions": by["new_session"].sum(),
        "avg_time_s": by["time_spent"].mean(), "total_time_s": by["time_spent"].sum(),
        "active_days": by["day"].nunique(), "recency_days": (END - by["timestamp"].max()).dt.days,
    })
    clicks = clicks.join(pd.crosstab(c["user_id"], c["device"], normalize="index").add_prefix("device_"))
    clicks = clicks.join(pd.crosstab(c["user_id"], c["ref"], normalize="index").add_prefix("ref_"))

    s = ev.search_queries
    intent = np.select([s["query"].str.contains(p) for p in _INTENT_PATTERNS.values()],
                       list(_INTENT_PATTERNS), "navigational")
    s = s.assign(intent=intent, words=s["query"].str.split().str.len())
    by = s.groupby("user_id")
    searches = pd.DataFrame({"searches": by.size(), "distinct_queries": by["query"].nunique(),
                             "words_per_query": by["words"].mean()})
    searches = searches.join(pd.crosstab(s["user_id"], s["intent"], normalize="index").add_prefix("intent_"))

    by = ev.article_views.groupby("user_id")
    articles = pd.DataFrame({"article_views": by.size(), "distinct_articles": by["article_id"].nunique(),
                             "avg_article_s": by["time_spent"].mean(), "total_article_s": by["time_spent"].sum()})
    users = ev.ground_truth["user_id"]
    return clicks.join([searches, articles], how="outer").reindex(users).fillna(0.0)


def test_kmeans_recovers_the_personas(events: GeneratedEvents) -> None:
    features = _user_features(events)
    assert features.shape == (N, 26)
    x = StandardScaler().fit_transform(np.log1p(features.to_numpy(dtype=float)))
    labels = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(x)
    assert adjusted_rand_score(events.ground_truth["persona_id"], labels) >= 0.9


# ---------------------------------------------------------------- files and the CLI


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_files_read_back_with_the_same_rows(tmp_path, fmt: str) -> None:
    result = write_events(tmp_path, 300, seed=5, fmt=fmt)
    expected = generate_events(300, seed=5)
    assert set(result.paths) == {*SOURCES, "ground_truth"}
    for name, path in result.paths.items():
        assert path == tmp_path / f"{name}.{fmt}" and path.exists()
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt == "csv":
            frame = pd.read_csv(path)
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
        want = getattr(expected, name)
        assert len(frame) == result.rows[name] == len(want), name
        assert list(frame.columns) == list(want.columns)
        assert frame["user_id"].tolist() == want["user_id"].tolist()
        if "timestamp" in frame and fmt != "parquet":
            assert frame["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
            parsed = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_localize(None)
            assert (parsed.to_numpy() == want["timestamp"].to_numpy()).all()
    clicks = pd.read_parquet(result.paths["clickstream"]) if fmt == "parquet" else None
    if clicks is not None:
        pd.testing.assert_frame_equal(clicks, expected.clickstream)


def test_csv_keeps_direct_visits_empty(tmp_path) -> None:
    result = write_events(tmp_path, 300, seed=5, fmt="csv")
    referrer = pd.read_csv(result.paths["clickstream"])["referrer"]
    assert referrer.isna().sum() == generate_events(300, seed=5).clickstream["referrer"].isna().sum() > 0


def test_write_rejects_unknown_format(tmp_path) -> None:
    with pytest.raises(InputError, match="xlsx"):
        write_events(tmp_path, 10, fmt="xlsx")  # type: ignore[arg-type]


def test_cli_json(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--users", "400", "--out", str(tmp_path), "--format", "csv", "--seed", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["users"] == 400 and report["format"] == "csv" and report["seed"] == 4
    assert set(report["rows"]) == {*SOURCES, "ground_truth"} and report["rows"]["ground_truth"] == 400
    assert report["rows"]["clickstream"] == len(pd.read_csv(tmp_path / "clickstream.csv"))
    assert report["seconds"] >= 0


def test_cli_table_and_bad_option(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--users", "50", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "clickstream" in result.stdout and "ground_truth" in result.stdout
    assert (tmp_path / "clickstream.parquet").exists()
    bad = runner.invoke(app, ["generate", "--users", "0", "--out", str(tmp_path)])
    assert bad.exit_code == 2


def test_planted_query_intents_match_the_feature_classifier() -> None:
    """Every query template lands in its planted intent under the features' rule classifier."""
    from intentseg.features.intents import RuleIntentClassifier
    from intentseg.generate import queries_by_intent

    classifier = RuleIntentClassifier()
    for intent, queries in queries_by_intent().items():
        verdicts = classifier.classify(pd.Series(queries))
        wrong = [q for q, v in zip(queries, verdicts) if v != intent]
        assert not wrong, f"{intent}: {wrong[:5]}"
