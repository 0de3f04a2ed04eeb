"""Content interests: per-user shares of content sections, on every engine (docs/features.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlglot

from intentseg.config import load_settings
from intentseg.errors import ConfigError
from intentseg.features import build_features, feature_sql, write_features
from intentseg.features.interests import interest_columns, is_interest, slug

T0 = pd.Timestamp("2026-09-10 08:00:00")

# A label a careless implementation would paste into SQL: a quote, a backslash, a percent sign, a colon
# (a bind-parameter look-alike), a dash of another alphabet and accents.
HOSTILE = "Kids' \\ 50% — Ünï:x"


def at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


CLICKS = [
    # user 1: only /sports pages (a full URL with host, upper case and a query string too) -> sports 1.0
    (1, at(0), "https://news.example.com/Sports/derby?ref=home"),
    (1, at(1), "/sports/tennis"),
    (1, at(2), "/sports/"),
    # user 2: three politics pages and one sports page -> politics 0.75, sports 0.25
    (2, at(0), "/politics/a"),
    (2, at(1), "/politics/b"),
    (2, at(2), "/politics/c#comments"),
    (2, at(3), "/sports/x"),
    # user 3: the home page only (no section; /index.html is a file, not a section) -> every page share 0
    (3, at(0), "/"),
    (3, at(1), "/?q=shoes"),
    (3, at(2), "https://news.example.com/index.html?x=1"),
    # user 4: two small sections outside the top 3 -> other 1.0
    (4, at(0), "/weather/today"),
    (4, at(1), "/garden"),
    # user 6: two tech pages, one sports page -> tech 2/3, sports 1/3
    (6, at(0), "/tech/phones"),
    (6, at(1), "/tech/laptops"),
    (6, at(2), "/sports/y"),
]
# section totals: sports 5, politics 3, tech 2, weather 1, garden 1 -> top 3: sports, politics, tech

SEARCHES = [
    # user 5: searches only, no clicks and no articles -> every interest share 0, still a user
    (5, at(0), "election results"),
]

ARTICLE_VIEWS = [
    # user 1: article 10, which has two categories -> the view splits: Drama 0.5, HOSTILE 0.5
    (1, at(5), 10),
    # user 2: article 11 twice (Drama) -> Drama 1.0
    (2, at(5), 11),
    (2, at(6), 11),
    # user 7: article 12 only, which has no category -> every article share 0, still a user
    (7, at(0), 12),
]

ARTICLES = [
    (10, "Drama"),
    (10, HOSTILE),
    (10, "Drama"),  # a repeated (article, category) row counts once
    (11, "Drama"),
    (12, None),
    (13, "Unread"),  # a category nobody read never becomes a column
]


def load(warehouse, articles: bool = True) -> None:
    warehouse.write_table("clickstream", pd.DataFrame(
        [(u, t, url, None, "desktop", 10.0) for u, t, url in CLICKS],
        columns=["user_id", "timestamp", "url", "referrer", "device", "time_spent"]))
    warehouse.write_table("search_queries", pd.DataFrame(SEARCHES, columns=["user_id", "timestamp", "query"]))
    warehouse.write_table("article_views", pd.DataFrame(
        [(u, t, a, 30.0) for u, t, a in ARTICLE_VIEWS], columns=["user_id", "timestamp", "article_id", "time_spent"]))
    if articles:
        warehouse.write_table("articles", pd.DataFrame(ARTICLES, columns=["article_id", "category"]))


def settings(**interests):
    return load_settings(None, {"interests": {"enabled": True, "top_n": 3, **interests}}, environ={})


def test_page_sections_top_n_and_other(warehouse):
    load(warehouse, articles=False)
    df = build_features(warehouse, settings()).set_index("user_id")
    page = ["interest_page_sports_share", "interest_page_politics_share", "interest_page_tech_share",
            "interest_page_other_share"]
    assert [c for c in df.columns if is_interest(c)] == page  # rank order, then other; no article columns
    expected = {
        1: [1.0, 0.0, 0.0, 0.0],
        2: [0.25, 0.75, 0.0, 0.0],
        3: [0.0, 0.0, 0.0, 0.0],
        4: [0.0, 0.0, 0.0, 1.0],
        5: [0.0, 0.0, 0.0, 0.0],
        6: [1 / 3, 0.0, 2 / 3, 0.0],
    }
    for user, shares in expected.items():
        np.testing.assert_allclose(df.loc[user, page].to_numpy(float), shares, atol=1e-9, err_msg=f"user {user}")
    sums = df[page].sum(axis=1)
    assert set(np.round(sums, 9)) == {0.0, 1.0}  # 1 for users with a section, 0 for the others
    assert df.attrs["run"]["interests"]["clickstream"]["interest_page_sports_share"] == "sports"


def test_article_categories_split_views_and_keep_hostile_labels(warehouse):
    load(warehouse)
    df = build_features(warehouse, settings(article_table="articles")).set_index("user_id")
    labels = df.attrs["run"]["interests"]["article_views"]
    hostile = next(c for c, label in labels.items() if label == HOSTILE)
    assert hostile == "interest_article_kids_50_uni_x_share"
    assert list(labels) == ["interest_article_drama_share", hostile, "interest_article_other_share"]
    by = df[list(labels)]
    np.testing.assert_allclose(by.loc[1].to_numpy(float), [0.5, 0.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(by.loc[2].to_numpy(float), [1.0, 0.0, 0.0], atol=1e-9)
    for user in (3, 4, 5, 6, 7):  # no categorised article view (user 7: an uncategorised one)
        assert by.loc[user].sum() == 0, user
    assert "interest_page_sports_share" in df.columns  # page sections come too


def test_rules_come_before_the_first_path_segment(warehouse):
    load(warehouse, articles=False)
    rules = [{"prefix": "/sports/tennis", "section": "tennis"}, {"regex": "^/(tech|garden)", "section": "Home & tech"}]
    df = build_features(warehouse, settings(rules=rules, top_n=8)).set_index("user_id")
    labels = df.attrs["run"]["interests"]["clickstream"]
    column = {label: c for c, label in labels.items()}
    assert column["Home & tech"] == "interest_page_home_tech_share"
    np.testing.assert_allclose(df.loc[1, [column["sports"], column["tennis"]]].to_numpy(float), [2 / 3, 1 / 3])
    assert df.loc[6, column["Home & tech"]] == pytest.approx(2 / 3)
    assert df.loc[4, column["Home & tech"]] == pytest.approx(0.5)  # /garden by the regex, /weather by its path
    assert df.loc[4, column["weather"]] == pytest.approx(0.5)


def test_written_table_has_the_interest_columns(warehouse):
    load(warehouse)
    run = write_features(warehouse, settings(article_table="articles"))
    columns = warehouse.columns("user_features")
    for source in ("clickstream", "article_views"):
        assert set(run.interests[source]) <= set(columns)
    assert run.users == 7


def test_interests_can_be_switched_off(warehouse):
    load(warehouse)
    df = build_features(warehouse, settings(enabled=False, article_table="articles"))
    assert not [c for c in df.columns if is_interest(c)]


def test_a_missing_article_table_or_column_is_a_config_error(warehouse):
    load(warehouse, articles=False)
    with pytest.raises(ConfigError, match="no such table"):
        build_features(warehouse, settings(article_table="nope"))
    load(warehouse)
    with pytest.raises(ConfigError, match="interests.category_column = 'genre'"):
        build_features(warehouse, settings(article_table="articles", category_column="genre"))


def test_without_a_warehouse_the_sql_has_no_interest_columns():
    sql = feature_sql("duckdb", settings(article_table="articles"))
    assert "interest_" not in sql


def test_interest_sql_transpiles_for_every_dialect(tmp_path):
    from intentseg.warehouse import connect

    with connect(f"duckdb:///{tmp_path / 'w.duckdb'}") as wh:
        load(wh)
        for dialect, read in (("duckdb", "duckdb"), ("mysql", "mysql"), ("postgres", "postgres"), ("spark", "spark")):
            sql = feature_sql(dialect, settings(article_table="articles"), warehouse=wh)
            parsed = sqlglot.parse_one(sql.rstrip().rstrip(";"), read=read)
            names = [s.alias_or_name for s in parsed.selects]
            assert "interest_article_kids_50_uni_x_share" in names, dialect
            assert "REGEXP_REPLACE" in sql.upper() and "\\2" not in sql  # no back-references (Spark writes $2)


def test_slugs_are_ascii_unique_and_short():
    assert slug("Sci-Fi") == "sci_fi"
    assert slug("日本") .startswith("s_") and len(slug("日本")) == 10
    assert len(slug("x" * 200)) <= 32
    columns = interest_columns("page", ["Sci-Fi", "sci fi", "other", "Other!"])
    assert list(columns) == ["interest_page_sci_fi_share", "interest_page_sci_fi_2_share",
                             "interest_page_other_2_share", "interest_page_other_3_share",
                             "interest_page_other_share"]
    assert list(columns.values()) == ["Sci-Fi", "sci fi", "other", "Other!", "other"]
    assert all(len(c) <= 63 for c in interest_columns("article", ["y" * 300]))


def test_scoring_sql_on_interest_columns_matches_predict(warehouse):
    # a model on engagement+interests scores the written feature table in SQL exactly as predict does
    from intentseg.model import Segmenter

    load(warehouse)
    s = settings(article_table="articles")
    write_features(warehouse, s)
    frame = build_features(warehouse, s)
    model = Segmenter(n_segments=3, features="engagement+interests", random_state=0).fit(frame)
    assert any(is_interest(f) for f in model.feature_names_)
    scored = warehouse.query(model.to_sql(warehouse.dialect, features_table="user_features"))
    scored = scored.sort_values("user_id").reset_index(drop=True)
    assert scored["segment_id"].astype(int).tolist() == model.predict(frame).tolist()


def test_an_access_log_gives_page_sections(tmp_path):
    # the access log's request paths are the clickstream urls: its visitors get page interests like any other
    import intentseg.ingest as ig
    from intentseg.warehouse import connect

    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    lines = [
        # visitor 192.0.2.1: two sports pages and the home page (no section) -> sports 1.0
        f'192.0.2.1 - - [10/Sep/2026:08:00:0{i} +0000] "GET {path} HTTP/1.1" 200 512 "-" "{ua}"'
        for i, path in enumerate(["/sports/derby", "/", "/sports/tennis?page=2"])
    ] + [
        # visitor 192.0.2.2: one politics page -> politics 1.0
        f'192.0.2.2 - - [10/Sep/2026:09:00:00 +0000] "GET /politics/vote HTTP/1.1" 200 512 "-" "{ua}"',
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    s = load_settings(None, {"ingest": {"visitor_salt": "test-salt"}, "interests": {"enabled": True}}, environ={})
    ig.ingest(log, url, settings=s, log_format="combined")
    with connect(url) as wh:
        df = build_features(wh, s)
    assert df[["interest_page_sports_share", "interest_page_politics_share"]].to_numpy().tolist() in (
        [[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]])  # one visitor each, ids are salted hashes
    assert df["interest_page_other_share"].sum() == 0


def test_a_run_on_a_named_feature_set_keeps_its_ids_on_the_next_run(warehouse_url, tmp_path):
    # [segment] features = "engagement+interests" resolves to the table's columns; the next run resolves to the
    # same ones, so it refits keeping the previous run's ids (a set name compared with column names would not)
    from intentseg.pipeline import run
    from intentseg.warehouse import connect

    with connect(warehouse_url) as wh:
        load(wh)
    s = load_settings(None, {"warehouse": warehouse_url, "interests": {"top_n": 3, "article_table": "articles"},
                             "segment": {"features": "engagement+interests", "k": 2}}, environ={})
    first = run(settings=s, report_dir=tmp_path / "report")
    assert "interest_page_sports_share" in first.model.feature_names_
    assert first.model.features == "engagement+interests"
    second = run(settings=s)
    assert second.previous_run_id == first.run_id
    assert second.model.feature_names_ == first.model.feature_names_
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert 'id="chart-interest_mix"' in html
    assert "50% — Ünï:x" in html  # the shown feature SQL holds the label as a quoted literal


def test_section_rules_and_feature_flags_are_validated():
    from intentseg.config import features_option

    with pytest.raises(ConfigError, match="exactly one of prefix or regex"):
        settings(rules=[{"prefix": "/a", "regex": "^/a", "section": "a"}])
    with pytest.raises(ConfigError, match="unknown feature set"):
        load_settings(None, {"segment": {"features": "engagement+hobbies"}}, environ={})
    assert features_option("engagement+interests") == "engagement+interests"
    assert features_option("interests") == "interests"
    assert features_option("clicks, searches") == ["clicks", "searches"]
    assert features_option(None) is None
