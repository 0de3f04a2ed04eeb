"""The webhook destination against a real HTTP server on loopback (``http.server`` in a thread).

Signature (``X-Intentseg-Signature: sha256=<hex HMAC-SHA256 of the body>``), ``Idempotency-Key`` = event
id, the JSON of every event; retries with backoff after 500s until delivered; a 4xx other than
408/425/429 dead at once; after ``max_attempts`` failures the event is dead with its last error; the
CLI's exit 6 when events failed, and ``run --deliver``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from intentseg.activate.deliver import deliver
from intentseg.activate.outbox import SCHEMA
from intentseg.cli import run_app
from intentseg.errors import ConfigError, DeliveryFailed
from intentseg.warehouse import connect
from tests.activate.conftest import with_destination

SECRET = "s3cret-for-the-test"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)


def _hook(url: str, receiver, **extra):
    return with_destination(url, "crm", type="webhook", url=receiver.url, secret_env="TEST_HOOK_SECRET",
                            backoff_s=0.01, backoff_max_s=0.05, **extra)


def _outbox(url: str) -> dict:
    with connect(url) as wh:
        df = wh.query("SELECT * FROM segment_events")
    return {str(r["event_id"]): r for r in df.to_dict("records")}


def _deliveries(url: str):
    with connect(url) as wh:
        return wh.query("SELECT * FROM segment_deliveries").set_index("event_id")


def test_every_event_is_posted_once_signed_with_its_idempotency_key(duck_runs, receiver):
    url, (first, second) = duck_runs
    report = deliver(_hook(url, receiver))
    outbox = _outbox(url)
    assert sorted(receiver.delivered_ids()) == sorted(outbox)
    assert report.destinations[0].delivered == len(outbox) and report.destinations[0].status == {"delivered": len(outbox)}
    for req in receiver.requests:
        body, headers = req["body"], req["headers"]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Intentseg-Signature"], expected)
        event = json.loads(body)
        assert headers["Idempotency-Key"] == event["event_id"] and headers["Content-Type"] == "application/json"
        row = outbox[event["event_id"]]
        assert event["schema"] == SCHEMA and event["run_id"] in (first, second)
        assert event["user_id"] == int(row["user_id"]) and event["kind"] == row["kind"]
        assert event["occurred_at"].endswith("Z")
        if event["kind"] == "entered":
            assert event["from_segment"] is None and event["to_segment"]["id"] == row["to_segment_id"]
        if event["kind"] == "moved":
            assert event["from_segment"]["name"] == row["from_segment_name"]
    assert SECRET.encode() not in b"".join(r["body"] for r in receiver.requests)
    # a second deliver sends nothing again
    again = deliver(_hook(url, receiver))
    assert again.destinations[0].delivered == 0 and len(receiver.requests) == len(outbox)


def test_requests_go_in_parallel_and_each_users_events_in_order(duck_runs, receiver):
    """With a slow webhook (30 ms per answer) several requests are in flight at once; a user's events (entered in
    the first run, moved in the second) still arrive one after another, in the outbox's order."""
    url, _ = duck_runs
    receiver.delay_s = 0.03
    report = deliver(_hook(url, receiver, concurrency=4)).destinations[0]
    outbox = _outbox(url)
    assert report.delivered == len(outbox) and sorted(receiver.delivered_ids()) == sorted(outbox)
    assert 1 < receiver.most_in_flight <= 4
    arrived: dict[int, list] = {}
    for req in receiver.requests:
        event = json.loads(req["body"])
        arrived.setdefault(event["user_id"], []).append(event["occurred_at"])
    several = {user: times for user, times in arrived.items() if len(times) > 1}
    assert several, "the two runs gave no user two events"
    assert all(times == sorted(times) for times in several.values())


def test_one_request_at_a_time_with_concurrency_1(duck_runs, receiver):
    url, _ = duck_runs
    receiver.delay_s = 0.005
    report = deliver(_hook(url, receiver, concurrency=1)).destinations[0]
    assert report.delivered == len(_outbox(url)) and receiver.most_in_flight == 1


def _until_done(settings, passes: int = 40):
    """Deliver pass after pass (a pass never retries what failed in it) until nothing is pending."""
    totals = {"delivered": 0, "retrying": 0, "dead": 0}
    for _ in range(passes):
        report = deliver(settings).destinations[0]
        for key in totals:
            totals[key] += getattr(report, key)
        if not report.status.get("pending"):
            return totals, report
        time.sleep(0.06)
    raise AssertionError(f"still pending after {passes} passes: {report.status}")


def test_server_errors_are_retried_until_delivered(duck_runs, receiver):
    url, _ = duck_runs
    receiver.answers = [500, 503, 500]  # the first three requests fail
    totals, report = _until_done(_hook(url, receiver, max_attempts=5))
    outbox = _outbox(url)
    assert sorted(receiver.delivered_ids()) == sorted(outbox)  # each delivered exactly once
    assert totals["retrying"] == 3 and totals["dead"] == 0
    failed = [json.loads(r["body"])["event_id"] for r in receiver.requests if r["status"] >= 500]
    rows = _deliveries(url)
    for event_id in set(failed):
        assert rows.loc[event_id, "status"] == "delivered"
        assert rows.loc[event_id, "attempts"] == 1 + failed.count(event_id)
    assert (rows["status"] == "delivered").all() and rows["last_error"].isna().all()


def test_after_max_attempts_the_event_is_dead_with_its_last_error(duck_runs, receiver):
    url, _ = duck_runs
    receiver.answers = [500] * 10_000  # never succeeds
    totals, report = _until_done(_hook(url, receiver, max_attempts=3))
    rows = _deliveries(url)
    assert (rows["status"] == "dead").all() and (rows["attempts"] == 3).all()
    assert rows["last_error"].str.contains("HTTP 500 from http://127.0.0.1").all()
    assert totals["dead"] == len(rows) and receiver.delivered_ids() == []
    assert len(receiver.requests) == 3 * len(rows)
    # dead letters stay dead: a later deliver sends nothing and reports them in the queue's status
    later = deliver(_hook(url, receiver)).destinations[0]
    assert later.status == {"dead": len(rows)} and len(receiver.requests) == 3 * len(rows)
    later_report = deliver(_hook(url, receiver))
    later_report.raise_for_failures()  # nothing failed in this deliver: no error


def test_raise_for_failures_names_the_destination_and_its_last_error(duck_runs, receiver):
    url, _ = duck_runs
    receiver.answers = [500] * 10_000
    report = deliver(_hook(url, receiver, max_attempts=1))
    with pytest.raises(DeliveryFailed, match=r"crm: 0 to retry, \d+ dead \(last error: HTTP 500") as err:
        report.raise_for_failures()
    assert err.value.exit_code == 6


def test_a_client_error_is_dead_at_once_but_429_is_retried(duck_runs, receiver):
    url, _ = duck_runs
    receiver.answers = [404, 429]
    _until_done(_hook(url, receiver, max_attempts=5))
    rows = _deliveries(url)
    first, second = receiver.requests[0], receiver.requests[1]
    dead_id, retried_id = json.loads(first["body"])["event_id"], json.loads(second["body"])["event_id"]
    assert rows.loc[dead_id, "status"] == "dead" and rows.loc[dead_id, "attempts"] == 1
    assert "HTTP 404" in rows.loc[dead_id, "last_error"]
    assert rows.loc[retried_id, "status"] == "delivered" and rows.loc[retried_id, "attempts"] == 2
    assert (rows["status"] == "delivered").sum() == len(rows) - 1


def test_cli_deliver_exits_6_when_events_fail_and_never_shows_the_secret(duck_runs, receiver, tmp_path, capsys):
    url, _ = duck_runs
    receiver.answers = [500] * 10_000
    config = tmp_path / "intentseg.toml"
    config.write_text(f'[deliver.destinations.crm]\ntype = "webhook"\nurl = "{receiver.url}"\n'
                      'secret_env = "TEST_HOOK_SECRET"\nmax_attempts = 1\n')
    with pytest.raises(SystemExit) as exit_:
        run_app(["deliver", "--warehouse", url, "--config", str(config), "--json"])
    assert exit_.value.code == 6
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["destinations"][0]["dead"] == len(_outbox(url))
    assert "Some events were not delivered" in captured.err
    assert SECRET not in captured.out + captured.err


def test_run_deliver_sends_the_new_runs_events(duck_runs, receiver, tmp_path, capsys):
    url, _ = duck_runs
    config = tmp_path / "intentseg.toml"
    config.write_text(f'[segment]\nk = 2\nn_init = 1\n[deliver.destinations.crm]\ntype = "webhook"\n'
                      f'url = "{receiver.url}"\nsecret_env = "TEST_HOOK_SECRET"\n')
    run_app(["run", "--warehouse", url, "--config", str(config), "--deliver", "--json"])  # exits only on error
    result = json.loads(capsys.readouterr().out)
    outbox = _outbox(url)
    assert any(e["run_id"] == result["run_id"] for e in outbox.values())
    assert sorted(receiver.delivered_ids()) == sorted(outbox)
    assert result["delivery"]["destinations"][0]["delivered"] == len(outbox)


def test_a_missing_secret_or_destination_is_a_config_error(duck_runs, receiver, monkeypatch):
    url, _ = duck_runs
    monkeypatch.delenv("TEST_HOOK_SECRET")
    with pytest.raises(ConfigError, match="TEST_HOOK_SECRET"):
        deliver(_hook(url, receiver))
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    with pytest.raises(ConfigError, match="No destination named 'nope'"):
        deliver(_hook(url, receiver), destination="nope")
