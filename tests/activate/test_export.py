"""Audience files on every engine: the members of one segment, as CSV or Parquet, written atomically."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from intentseg.activate.export import export_audience
from intentseg.cli import run_app
from intentseg.config import OutputSettings
from intentseg.errors import InputError, NotFound
from intentseg.warehouse import connect


def _read(path, fmt: str) -> pd.DataFrame:
    return pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_file_holds_the_current_members_of_the_segment_with_since_when(runs_url, tmp_path, fmt):
    url, (_first, second) = runs_url
    with connect(url) as wh:
        current = wh.query("SELECT m.user_id, m.segment_id, m.segment_name, h.valid_from FROM user_segments m "
                           "JOIN user_segment_history h ON h.user_id = m.user_id AND h.valid_to IS NULL")
        name = str(current["segment_name"].iloc[0])
        out = tmp_path / "sub" / f"audience.{fmt}"
        audience = export_audience(wh, OutputSettings(), name, out, fmt=fmt)
    got = _read(out, fmt)
    want = current[current["segment_name"] == name].sort_values("user_id")
    assert list(got.columns) == ["user_id", "segment_id", "segment_name", "since", "run_id"]
    assert got["user_id"].tolist() == want["user_id"].astype(int).tolist() and len(got) == audience.n_users > 0
    assert set(got["segment_name"]) == {name} and set(got["run_id"]) == {second}
    assert (pd.to_datetime(got["since"]) == pd.to_datetime(want["valid_from"]).values).all()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_run_gives_the_membership_an_older_run_left_and_ids_work_too(runs_url, tmp_path):
    url, (first, _second) = runs_url
    with connect(url) as wh:
        then = wh.query("SELECT user_id, segment_id FROM user_segment_history WHERE run_id = :r", {"r": first})
        audience = export_audience(wh, OutputSettings(), "0", tmp_path / "a.csv", run_id=first)
    got = pd.read_csv(tmp_path / "a.csv")
    assert audience.segment_id == 0 and audience.run_id == first
    assert sorted(got["user_id"]) == sorted(then[then["segment_id"] == 0]["user_id"].astype(int))
    assert set(got["run_id"]) == {first}


def test_unknown_segment_run_or_format_names_what_there_is(duck_runs, tmp_path):
    url, _ = duck_runs
    with connect(url) as wh:
        with pytest.raises(NotFound, match="No segment 'Nobody'") as err:
            export_audience(wh, OutputSettings(), "Nobody", tmp_path / "a.csv")
        assert "0 '" in (err.value.hint or "")
        with pytest.raises(NotFound, match="No run 'nope'"):
            export_audience(wh, OutputSettings(), "0", tmp_path / "a.csv", run_id="nope")
        with pytest.raises(InputError, match="format"):
            export_audience(wh, OutputSettings(), "0", tmp_path / "a.csv", fmt="xlsx")
    assert not list(tmp_path.glob("a.csv*"))


def test_cli_export_replaces_the_file_whole(duck_runs, tmp_path, capsys):
    url, _ = duck_runs
    out = tmp_path / "audience.parquet"
    out.write_text("an older file")
    run_app(["export", "--warehouse", url, "--segment", "1", "--format", "parquet", "--out", str(out), "--json"])
    written = json.loads(capsys.readouterr().out)
    assert pd.read_parquet(out).shape[0] == written["n_users"] > 0 and written["segment_id"] == 1
