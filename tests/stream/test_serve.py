"""intentseg serve answers the segment a streamed batch gave: its poller reloads when a batch committed."""

from __future__ import annotations

import json

import pytest

from intentseg.config import Settings
from intentseg.errors import NotFound
from intentseg.serve.store import Poller, Store
from intentseg.stream import consume

from .conftest import BASE_USERS, event_messages, nats_publish, nats_url, stream_settings, table


def test_serve_store_reloads_after_a_streamed_batch(duck_run, nats_subject):
    url, run_id = duck_run
    store = Store()
    poller = Poller(store, url, Settings().output, interval_s=60)
    assert poller.poll_once() and store.current().run_id == run_id
    messages = event_messages()
    new_user = max(json.loads(m)["user_id"] for m in messages)  # above BASE_USERS: only the stream knows it
    assert new_user > BASE_USERS
    with pytest.raises(NotFound):
        store.current().lookup(str(new_user))
    assert not poller.poll_once()  # nothing changed: nothing reloaded
    nats_publish(nats_subject, messages)
    consume(stream_settings(url), nats_url(nats_subject), idle_exit_s=1)
    assert poller.poll_once()  # the same run, reloaded for the streamed rows
    answer = store.current().lookup(str(new_user))
    row = table(url, "user_segments").set_index("user_id").loc[new_user]
    assert answer["segment_id"] == row["segment_id"] and answer["run_id"] == run_id
    assert answer["since"] is not None  # the interval the stream opened
    assert not poller.poll_once()
