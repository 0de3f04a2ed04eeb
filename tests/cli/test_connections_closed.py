"""Every warehouse connection a command opens is closed when it ends, on success and on error (issue 11, item 4)."""

from __future__ import annotations

import pytest

from intentseg.warehouse import Warehouse
from intentseg.warehouse.duckdb import DuckDBWarehouse
from intentseg.warehouse.sql import SQLAlchemyWarehouse


@pytest.fixture
def connections(monkeypatch):
    """Record every Warehouse made and every close: ``{"opened": [...], "closed": [...]}`` (ids)."""
    seen: dict[str, list[int]] = {"opened": [], "closed": []}
    base_init = Warehouse.__init__

    def init(self, *args, **kwargs):
        seen["opened"].append(id(self))
        base_init(self, *args, **kwargs)

    monkeypatch.setattr(Warehouse, "__init__", init)
    for cls in (DuckDBWarehouse, SQLAlchemyWarehouse):
        def close(self, _close=cls.close):
            seen["closed"].append(id(self))
            _close(self)

        monkeypatch.setattr(cls, "close", close)
    return seen


def test_each_command_closes_what_it_opens(cli, loaded_url, tmp_path, connections):
    model = tmp_path / "model.json"
    commands = [
        ["run", "--warehouse", loaded_url, "--k", "3", "--model-out", model, "--json"],
        ["assign", "--model", model, "--warehouse", loaded_url, "--json"],
        ["segments", "--warehouse", loaded_url, "--json"],
        ["segments", "--warehouse", loaded_url, "--run", "no-such-run"],  # fails: exit 2
        ["runs", "--warehouse", loaded_url, "--json"],
        ["segment", "--warehouse", loaded_url, "--k", "3", "--json"],
        ["report", "--warehouse", loaded_url, "--out", tmp_path / "report"],
        ["features", "--warehouse", loaded_url, "--json"],
        ["sql", "features", "--warehouse", loaded_url],
        ["sources", "--warehouse", loaded_url, "--json"],
    ]
    for argv in commands:
        connections["opened"].clear()
        connections["closed"].clear()
        done = cli(*argv)
        assert done.code == (2 if "no-such-run" in argv else 0), (argv, done.output[-2000:])
        assert connections["opened"], f"{argv[0]} opened no warehouse: the check would prove nothing"
        assert sorted(connections["opened"]) == sorted(connections["closed"]), f"`intentseg {argv[0]}` left a connection open"
