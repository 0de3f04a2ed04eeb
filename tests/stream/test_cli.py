"""The intentseg stream command: its JSON report, bad --from URLs and an unreachable broker as exit codes."""

from __future__ import annotations

import json

import pytest

from intentseg.errors import ConfigError
from intentseg.stream import parse_url
from tests.cli.conftest import cli  # noqa: F401 - the fixture: the real command line, exit codes included

from .conftest import event_messages, nats_publish, nats_url, table


def test_stream_command_reports_as_json(duck_run, nats_subject, monkeypatch, cli):  # noqa: F811
    url, run_id = duck_run
    monkeypatch.setenv("INTENTSEG_INTERESTS__ENABLED", "false")
    messages = event_messages(per_source=10)
    nats_publish(nats_subject, messages + [b"{oops"])
    done = cli("stream", "--from", nats_url(nats_subject), "--warehouse", url, "--idle-exit", "1", "--json")
    assert done.code == 0, done.output
    report = json.loads(done.stdout)
    assert report["received"] == len(messages) + 1 and report["accepted"] == len(messages)
    assert report["quarantined"] == {"malformed_row": 1} and report["run_id"] == run_id
    assert int(table(url, "intentseg_stream_checkpoints")["received"].iloc[0]) == len(messages) + 1


@pytest.mark.parametrize("url", ["kafka://127.0.0.1:9092/t", "nats://127.0.0.1:4222", "redis://127.0.0.1:6379/"])
def test_a_url_that_names_no_broker_or_no_stream_is_exit_2(url, tmp_path, cli):  # noqa: F811
    with pytest.raises(ConfigError):
        parse_url(url)
    done = cli("stream", "--from", url, "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}", "--idle-exit", "0")
    assert done.code == 2 and "nats://" in done.output


def test_credentials_are_kept_for_the_connection_but_never_shown():
    url = parse_url("amqp://bob:s3cret@127.0.0.1:5672/%2F/orders")
    assert url.name == "orders" and "s3cret" in url.connect and url.connect.endswith("/%2F")
    assert "s3cret" not in url.shown and url.shown == "amqp://127.0.0.1:5672/orders"
    assert parse_url("redis://127.0.0.1:6379/2/clicks").connect.endswith("/2")


def test_an_unreachable_broker_is_exit_3(tmp_path, cli):  # noqa: F811
    done = cli("stream", "--from", "nats://127.0.0.1:1/events", "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}",
               "--idle-exit", "0")
    assert done.code == 3 and "Cannot read from nats://127.0.0.1:1/events" in done.output
