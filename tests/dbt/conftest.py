"""A small warehouse with a fitted model, shared by the dbt tests (module-scoped: fitting costs seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from intentseg.generate import generate_events
from intentseg.warehouse import connect

N_USERS = 300


@dataclass
class Fitted:
    """A DuckDB warehouse holding the three sources, query_intents and one run; its model file."""

    url: str
    model_path: Path


def load_events(url: str, n_users: int = N_USERS, seed: int = 5) -> None:
    """The three sources as plain tables (what `intentseg ingest` leaves), from the generator's personas."""
    events = generate_events(n_users, seed=seed)
    with connect(url) as wh:
        for name in ("clickstream", "search_queries", "article_views"):
            wh.write_table(name, getattr(events, name))


def fit(url: str, model_path: Path, k: int = 3) -> Path:
    """`intentseg run --k K --model-out model_path`: fills query_intents and writes the model file."""
    import intentseg

    intentseg.run(url, k=k, model_out=model_path)
    return model_path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Fitted:
    folder = tmp_path_factory.mktemp("fitted")
    url = f"duckdb:///{folder / 'events.duckdb'}"
    load_events(url)
    return Fitted(url, fit(url, folder / "model.json"))
