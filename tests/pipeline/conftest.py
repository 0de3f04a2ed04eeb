from __future__ import annotations

import pytest

from intentseg.generate import generate_events
from intentseg.warehouse import connect

N_USERS = 1200


@pytest.fixture(scope="session")
def events():
    """Generated events of 1,200 users (5 planted personas), reused by every pipeline test."""
    return generate_events(N_USERS, seed=3)


def load_events(url: str, events) -> None:
    """Put the three sources into a warehouse as plain tables (what `intentseg ingest` would leave)."""
    with connect(url) as wh:
        for name in ("clickstream", "search_queries", "article_views"):
            wh.write_table(name, getattr(events, name))


@pytest.fixture
def loaded_url(warehouse_url, events) -> str:
    load_events(warehouse_url, events)
    return warehouse_url
