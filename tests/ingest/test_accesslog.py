"""Web server access logs: `intentseg ingest access.log --format combined`, then `intentseg run`.

The log is written by a small script below, one block per visitor with a comment saying why it is there.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

import intentseg.cli  # noqa: F401 - registers every command
import intentseg.cli.ingest  # noqa: F401
import intentseg.ingest as ig
from intentseg.cli.app import app, run_app
from intentseg.config import Settings
from intentseg.errors import ConfigError, InputError
from intentseg.ingest.accesslog import classify_agent, redact_addresses, visitor_id
from intentseg.warehouse import connect

from .conftest import quarantine, write

runner = CliRunner()
SALT = "test-salt-not-secret"

WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
           "Mobile Safari/537.36")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 "
        "Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
OWN_CRAWLER = "AcmeSiteCrawler/1.0 (+https://acme.example/about)"  # unknown to the parser: its name says crawler

START = datetime(2026, 9, 1, 10, 0, 0)  # the log's times are +0200: 08:00 UTC


def line(ip: str, at: datetime, path: str, ua: str, *, status: int = 200, method: str = "GET", ref: str = "-") -> str:
    return (f'{ip} - - [{at:%d/%b/%Y:%H:%M:%S} +0200] "{method} {path} HTTP/1.1" {status} 1234 '
            f'"{ref}" "{ua}"')


def write_log() -> tuple[str, dict[str, tuple[str, str]], list[str]]:
    """The log text, the visitors that must be segmented (name -> (ip, user agent)), and every IP in it."""
    out: list[str] = []
    people: dict[str, tuple[str, str]] = {}

    # reader: a desktop visitor from Google, 8 pages 2 minutes apart (each page pulls a CSS, a JS and a PNG:
    # static assets, excluded and counted); 2 hours later a second session of 2 pages
    people["reader"] = ("203.0.113.5", WINDOWS)
    for i in range(8):
        at = START + timedelta(minutes=2 * i)
        out.append(line("203.0.113.5", at, f"/articles/{i}", WINDOWS, ref="https://www.google.com/" if i == 0 else "-"))
        for asset in ("/static/site.css", "/static/app.js?v=3", "/img/photo.png"):
            out.append(line("203.0.113.5", at + timedelta(seconds=1), asset, WINDOWS))
    for i in range(2):
        out.append(line("203.0.113.5", START + timedelta(hours=2, minutes=i), f"/articles/{10 + i}", WINDOWS))

    # phone: an iPhone from Facebook, 6 pages a minute apart; one answer is 304 (cached: still a page view)
    people["phone"] = ("198.51.100.7", IPHONE)
    for i in range(6):
        out.append(line("198.51.100.7", START + timedelta(minutes=i), f"/news/{i}", IPHONE,
                        status=304 if i == 3 else 200, ref="https://m.facebook.com/" if i == 0 else "-"))

    # searcher: searches with each configured parameter (q, s, query), then opens a product
    people["searcher"] = ("192.0.2.10", MAC)
    for i, path in enumerate(["/search?q=running+shoes", "/search?s=trail%20shoes", "/search?query=laptop+bag&page=2",
                              "/search?q=", "/products/42"]):  # "/search?q=" is empty: a page view, no search
        out.append(line("192.0.2.10", START + timedelta(minutes=i), path, MAC))

    # two visitors behind one IP (an office): a desktop and an Android phone: two visitor ids
    people["office desktop"] = ("203.0.113.77", WINDOWS)
    people["office phone"] = ("203.0.113.77", ANDROID)
    for i in range(4):
        out.append(line("203.0.113.77", START + timedelta(minutes=3 * i), f"/docs/{i}", WINDOWS))
    for i in range(3):
        out.append(line("203.0.113.77", START + timedelta(minutes=3 * i + 1), f"/m/{i}", ANDROID))

    # tablet on IPv6: an iPad; the address must not be stored either
    people["tablet"] = ("2001:db8::7", IPAD)
    for i in range(3):
        out.append(line("2001:db8::7", START + timedelta(minutes=i), f"/gallery/{i}", IPAD))

    # bots: Googlebot (the parser's "Spider") and a crawler the parser does not know: 30 lines, excluded
    for i in range(20):
        out.append(line("66.249.66.1", START + timedelta(seconds=10 * i), f"/articles/{i}", GOOGLEBOT))
    for i in range(10):
        out.append(line("192.0.2.200", START + timedelta(seconds=10 * i), f"/sitemap/{i}", OWN_CRAWLER))

    # not page views: a POST (not_get), a 404 and a 500 (error_status), a 301 (redirect)
    out.append(line("198.51.100.7", START + timedelta(minutes=7), "/login", IPHONE, method="POST"))
    out.append(line("198.51.100.7", START + timedelta(minutes=7), "/nope", IPHONE, status=404))
    out.append(line("198.51.100.7", START + timedelta(minutes=7), "/boom", IPHONE, status=500))
    out.append(line("198.51.100.7", START + timedelta(minutes=7), "/old", IPHONE, status=301))

    # malformed: a truncated line, an impossible hour, and a `common` line (no referrer, no agent) in a combined log
    out.append('198.51.100.99 - - [01/Sep/2026:10:00:00 +0200] "GET /cut')
    out.append(line("198.51.100.98", START, "/x", WINDOWS).replace("10:00:00", "25:00:00"))
    out.append('198.51.100.97 - - [01/Sep/2026:10:00:00 +0200] "GET /common HTTP/1.1" 200 10')

    # regulars: 30 visitors with 3 to 12 pages each, on desktops and phones, some from search engines
    for v in range(30):
        ip, ua = f"198.18.{v}.{v + 1}", (WINDOWS, IPHONE, MAC, ANDROID)[v % 4]
        people[f"regular {v}"] = (ip, ua)
        for i in range(3 + v % 10):
            ref = ("https://www.bing.com/search", "-", "https://t.co/x")[v % 3] if i == 0 else "-"
            path = f"/search?q=topic+{v}" if v % 5 == 0 and i == 1 else f"/articles/{v}/{i}"
            out.append(line(ip, START + timedelta(minutes=5 * i + v), path, ua, ref=ref))

    ips = sorted({row.split(" ", 1)[0] for row in out})
    return "\n".join(out) + "\n", people, ips


def salted_settings() -> Settings:
    return Settings.model_validate({"ingest": {"visitor_salt": SALT}})


def _vid(people: dict[str, tuple[str, str]], name: str) -> str:
    return visitor_id(SALT.encode(), *people[name])


@pytest.fixture
def salted(monkeypatch):
    monkeypatch.setenv("INTENTSEG_INGEST__VISITOR_SALT", SALT)


def test_access_log_ingest_then_run_segments_visitors(warehouse_url, tmp_path, salted):
    text, people, ips = write_log()
    log = write(tmp_path / "access.log", text)
    n_lines = text.count("\n")
    assert n_lines > 200

    result = runner.invoke(app, ["ingest", str(log), "--format", "combined", "--warehouse", warehouse_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    clicks, searches = report["sources"]["clickstream"], report["sources"]["search_queries"]
    # every line is accounted for: accepted + quarantined + excluded == lines read
    assert clicks["rows_read"] == n_lines
    assert clicks["accepted"] + sum(clicks["quarantined"].values()) + sum(clicks["excluded"].values()) == n_lines
    assert clicks["quarantined"] == {"malformed_row": 3}
    assert clicks["excluded"] == {"bot": 30, "static_asset": 24, "not_get": 1, "error_status": 2, "redirect": 1}
    # searches: the reader's none, the searcher's 3 (not the empty q=), 6 regulars' one each
    assert (searches["rows_read"], searches["accepted"]) == (9, 9)

    with connect(warehouse_url) as wh:
        rows = wh.query(f"SELECT * FROM {wh.quote('clickstream')}")
        found = wh.query(f"SELECT * FROM {wh.quote('search_queries')}")
    rows["timestamp"] = pd.to_datetime(rows["timestamp"])
    assert rows["user_id"].nunique() == len(people)
    # the two visitors behind one IP are two visitors
    assert _vid(people, "office desktop") != _vid(people, "office phone")
    by = rows.groupby("user_id")
    assert len(by.get_group(_vid(people, "office desktop"))) == 4 and len(by.get_group(_vid(people, "office phone"))) == 3
    # device from the user agent
    devices = {name: set(by.get_group(_vid(people, name))["device"]) for name in ("reader", "phone", "tablet", "office phone")}
    assert devices == {"reader": {"desktop"}, "phone": {"mobile"}, "tablet": {"tablet"}, "office phone": {"mobile"}}
    # referrer kept, "-" is NULL
    reader = by.get_group(_vid(people, "reader")).sort_values("timestamp")
    assert reader["referrer"].iloc[0] == "https://www.google.com/" and reader["referrer"].iloc[1:].isna().all()
    # dwell: time to the next page view (the static assets in between do not count); the last page of each
    # session has none (the 2-hour gap ends the first session)
    assert reader["time_spent"].tolist()[:7] == [120.0] * 7
    assert pd.isna(reader["time_spent"].iloc[7]) and pd.isna(reader["time_spent"].iloc[9])
    assert reader["time_spent"].iloc[8] == 60.0
    assert reader["timestamp"].iloc[0] == pd.Timestamp("2026-09-01 08:00:00")  # +0200 -> UTC
    # the searcher's searches, decoded, from q, s and query
    mine = found[found["user_id"] == _vid(people, "searcher")]
    assert sorted(mine["query"]) == ["laptop bag", "running shoes", "trail shoes"]
    # malformed lines are in the quarantine with their line numbers, without their addresses
    q = quarantine(warehouse_url)
    lines = text.splitlines()
    assert all(lines[n - 1].split(" ")[0].startswith("198.51.100.9") for n in q["line"])
    assert all(r.startswith('{"_text": "<ip> ') for r in q["raw"])

    result = runner.invoke(app, ["run", "--warehouse", warehouse_url, "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    with connect(warehouse_url) as wh:
        seg = wh.query(f"SELECT * FROM {wh.quote('user_segments')}")
        feats = wh.query(f"SELECT * FROM {wh.quote('user_features')}").set_index("user_id")
        assert set(seg["user_id"]) == {_vid(people, p) for p in people}
        assert feats.loc[_vid(people, "phone"), "device_mobile_share"] == 1
        assert feats.loc[_vid(people, "searcher"), "searches"] == 3
        assert feats.loc[_vid(people, "reader"), "referrer_search_share"] > 0
        # the raw IPs are nowhere: every text value of every table
        for table in wh.tables():
            frame = wh.query(f"SELECT * FROM {wh.quote_table(table)}")
            for col in frame.columns:
                values = frame[col].dropna().astype(str)
                for ip in ips:
                    assert not values.str.contains(ip, regex=False).any(), (table, col, ip)


def test_a_gz_copy_loads_nothing_twice(duck_url, tmp_path):
    text, people, _ = write_log()
    plain = write(tmp_path / "access.log", text)
    first = ig.ingest(plain, duck_url, settings=salted_settings(), log_format="combined")
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    again = ig.ingest(packed, duck_url, settings=salted_settings(), log_format="combined")
    assert_accounted_logs(first)
    assert_accounted_logs(again)
    assert again.accepted == 0 and again.already_loaded == first.accepted
    assert again.sources["clickstream"].excluded == first.sources["clickstream"].excluded
    # the same file again: the ingest ledger knows it (per source)
    third = ig.ingest(plain, duck_url, settings=salted_settings(), log_format="combined")
    assert {f.status for f in third.files} == {"already_loaded"}
    # the ledger adds up for logs too: accepted + quarantined + already_loaded + excluded == rows read
    ledger = ig.describe_sources(duck_url).files
    assert len(ledger) == 4  # two files x (clickstream, search_queries)
    for f in ledger:
        assert f["accepted"] + f["quarantined"] + f["already_loaded"] + f["excluded"] == f["rows_read"], f
    assert {f["excluded"] for f in ledger if f["source"] == "clickstream"} == {58}


def assert_accounted_logs(report) -> None:
    for f in report.files:
        assert f.accepted + sum(f.quarantined.values()) + f.already_loaded + sum(f.excluded.values()) == f.rows_read, f


def test_no_salt_fails_with_the_fix(duck_url, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("INTENTSEG_INGEST__VISITOR_SALT", raising=False)
    log = write(tmp_path / "access.log", line("192.0.2.1", START, "/", WINDOWS) + "\n")
    with pytest.raises(ConfigError) as err:
        ig.ingest(log, duck_url, settings=Settings(), log_format="combined")
    assert "visitor_salt" in str(err.value) and "INTENTSEG_INGEST__VISITOR_SALT" in err.value.hint
    with pytest.raises(SystemExit) as exit_:
        run_app(["ingest", str(log), "--format", "combined", "--warehouse", duck_url])
    assert exit_.value.code == 2
    assert "Error:" in capsys.readouterr().err


def test_common_format_has_no_device_and_text_files_still_need_a_format(duck_url, tmp_path):
    log = write(tmp_path / "access.log", "\n".join([
        '192.0.2.1 - - [01/Sep/2026:10:00:00 +0000] "GET /a?q=red+shoes HTTP/1.1" 200 10',
        '192.0.2.1 - - [01/Sep/2026:10:00:40 +0000] "GET /b HTTP/1.0" 200 10',
    ]) + "\n")
    report = ig.ingest(log, duck_url, settings=salted_settings(), log_format="common")
    assert (report.sources["clickstream"].accepted, report.sources["search_queries"].accepted) == (2, 1)
    with connect(duck_url) as wh:
        rows = wh.query("SELECT * FROM clickstream ORDER BY timestamp")
    assert rows["device"].isna().all() and rows["time_spent"].iloc[0] == 40.0
    with pytest.raises(InputError) as err:  # without --format a .log is not a file type intentseg reads
        ig.ingest(log, duck_url, settings=salted_settings(), source="clickstream")
    assert "--format combined" in err.value.hint


def test_an_integer_id_warehouse_refuses_a_log_with_the_fix(duck_url, tmp_path):
    ig.ingest(write(tmp_path / "clickstream.csv", "user_id,timestamp,url\n1,2026-09-01,/a\n"), duck_url)
    log = write(tmp_path / "access.log", line("192.0.2.1", START, "/", WINDOWS) + "\n")
    with pytest.raises(InputError) as err:
        ig.ingest(log, duck_url, settings=salted_settings(), log_format="combined")
    assert "whole-number user ids" in str(err.value) and "ALTER TABLE clickstream" in err.value.hint


@pytest.mark.parametrize("agent, expected", [
    (WINDOWS, (False, "desktop")), (MAC, (False, "desktop")), (IPHONE, (False, "mobile")),
    (ANDROID, (False, "mobile")), (IPAD, (False, "tablet")), (GOOGLEBOT, (True, "other")),
    (OWN_CRAWLER, (True, "other")),
    ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
     (False, "tablet")),  # an Android tablet: no "Mobile" in the agent
])
def test_user_agents(agent, expected):
    assert classify_agent(agent) == expected


def test_redaction_hides_every_address_and_the_client_field():
    shown = redact_addresses("gw.example.org - - [x] from 10.1.2.3 and [2001:db8::1]:443 at 10:00:00", "gw.example.org")
    assert shown == "<ip> - - [x] from <ip> and [<ip>]:443 at 10:00:00"


def test_fields_after_the_user_agent_are_ignored_and_not_stored(duck_url, tmp_path):
    # nginx configs often append the request time and X-Forwarded-For: the line is still combined
    log = write(tmp_path / "access.log", line("192.0.2.1", START, "/a", WINDOWS) + ' 0.012 "198.51.100.250"\n')
    report = ig.ingest(log, duck_url, settings=salted_settings(), log_format="combined")
    assert report.sources["clickstream"].accepted == 1
    with connect(duck_url) as wh:
        stored = wh.query("SELECT * FROM clickstream").astype(str).to_string()
    assert "198.51.100.250" not in stored and "192.0.2.1" not in stored
