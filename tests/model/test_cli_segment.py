"""``intentseg segment`` over a DuckDB file with a user_features table."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import intentseg.cli.segment  # noqa: F401 - registers the command on the app
from intentseg.cli.app import app, run_app
from intentseg.model import Segmenter
from intentseg.warehouse import connect

runner = CliRunner()


@pytest.fixture
def duck_url(tmp_path, behaviour):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with connect(url) as wh:
        wh.write_table("user_features", behaviour.drop(columns=["group"]))
    return url


def test_segment_json_and_model_file(duck_url, tmp_path, behaviour):
    model_path = tmp_path / "model.json"
    result = runner.invoke(app, ["segment", "--warehouse", duck_url, "--k", "3", "--model-out", str(model_path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["users"] == len(behaviour) and data["k"] == 3
    assert [s["name"] for s in data["segments"]] == ["Low engagement", "Moderate engagement", "Highly engaged"]
    assert sum(s["users"] for s in data["segments"]) == len(behaviour)
    loaded = Segmenter.load(model_path)
    assert loaded.segment_names_ == [s["name"] for s in data["segments"]]


def test_segment_auto_with_range_and_features_prints_scores(duck_url):
    result = runner.invoke(app, ["segment", "--warehouse", duck_url, "--k-range", "2:4",
                                 "--features", "clicks,searches,article_views,intent_transactional_share"])
    assert result.exit_code == 0, result.output
    assert "silhouette" in result.stdout and "k=4" in result.stdout
    assert "Low engagement" in result.stdout


@pytest.mark.parametrize("args, message", [(["--k", "many"], "--k"), (["--k-range", "5"], "LOW:HIGH"),
                                           (["--features", "nope"], "nope")])
def test_bad_options_exit_2_with_a_fix(duck_url, args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_app(["segment", "--warehouse", duck_url, *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Error:" in err and message in err
