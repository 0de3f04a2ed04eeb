"""Real dbt: the generated package builds with dbt-duckdb and dbt-postgres, its tests pass, and every user's
segment id, name and distance equal `intentseg assign` with the same model file.

Each case: events of 300 users into a fresh warehouse (a DuckDB file, or a PostgreSQL schema of its own),
`intentseg run --k 3 --model-out`, `intentseg dbt --model FILE --warehouse URL --out PKG`, then `dbt build` in a
subprocess with profiles.yml, target and logs in the test's tmp folder (HOME too: nothing is written to the
user's home), and `intentseg assign --model FILE` for the comparison. On DuckDB the package is installed into a
project of the user's as a local package (`dbt deps`); on PostgreSQL it runs on its own: both ways it is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from intentseg.cli.app import app
from intentseg.warehouse import connect
from tests.conftest import IN_CI, isolated_url

from .conftest import N_USERS, fit, load_events

DBT = Path(sys.executable).with_name("dbt")


def _profile(engine: str, url: str) -> dict[str, Any]:
    """The dbt target for a warehouse URL of the test fixtures."""
    if engine == "duckdb":
        return {"type": "duckdb", "path": url.removeprefix("duckdb:///"), "schema": "main", "threads": 1}
    parsed = sa.engine.make_url(url)
    return {"type": "postgres", "host": parsed.host, "port": parsed.port or 5432, "user": parsed.username,
            "password": parsed.password or "", "dbname": parsed.database, "schema": parsed.query["schema"], "threads": 1}


def dbt(args: list[str], project: Path, profile: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``dbt ARGS`` in ``project`` with the profile ``intentseg`` written into tmp (HOME there too)."""
    import yaml

    if not DBT.is_file():
        reason = f"dbt is not installed next to {sys.executable}: pip install 'intentseg[dbt]'"
        pytest.fail(f"CI=true requires dbt: {reason}") if IN_CI else pytest.skip(reason)
    profiles = tmp_path / "profiles"
    profiles.mkdir(exist_ok=True)
    (profiles / "profiles.yml").write_text(yaml.safe_dump({"intentseg": {"target": "test", "outputs": {"test": profile}}}))
    env = {**os.environ, "DBT_PROFILES_DIR": str(profiles), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_USE_COLORS": "false", "HOME": str(tmp_path)}
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )


def _project_using(package: Path, folder: Path) -> Path:
    """A dbt project of the user's that installs the package as a local package and builds a model on it."""
    folder.mkdir()
    (folder / "dbt_project.yml").write_text(
        'name: analytics\nversion: "1.0.0"\nconfig-version: 2\nprofile: intentseg\n'
        "vars:\n  intentseg:\n    intentseg_duration_cap_s: 1800\n")
    (folder / "packages.yml").write_text(f"packages:\n  - local: {package}\n")
    (folder / "models").mkdir()
    (folder / "models" / "largest_segment.sql").write_text(
        "SELECT segment_name FROM {{ ref('intentseg_segment_sizes') }} ORDER BY n_users DESC LIMIT 1\n")
    return folder


def build(engine: str, package: Path, profile: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """DuckDB: the package installed into a project (dbt deps, dbt build); PostgreSQL: the package on its own."""
    project = package if engine != "duckdb" else _project_using(package, tmp_path / "analytics")
    if project != package:
        deps = dbt(["deps"], project, profile, tmp_path)
        assert deps.returncode == 0, deps.stdout[-2000:]
    return dbt(["build", "--target-path", str(tmp_path / "target"), "--threads", "1"], project, profile, tmp_path)


def _with_a_quote_in_a_name(model_path: Path) -> Path:
    """The model file with segment 0 renamed to a name holding a quote (SQL literals and dbt tests must cope)."""
    model = json.loads(model_path.read_text())
    model["segment_names"][0] = "Browsers' corner"
    model_path.write_text(json.dumps(model))
    return model_path


def _generate(url: str, model_path: Path, out: Path) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["dbt", "--model", str(model_path), "--warehouse", url, "--out", str(out)])
    assert result.exit_code == 0, result.output


def _read(url: str, table: str) -> Any:
    with connect(url) as wh:
        frame = wh.query(f"SELECT user_id, segment_id, segment_name, distance FROM {wh.quote_table(table)}")
    return frame.sort_values("user_id").reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("engine", [pytest.param("duckdb", id="duckdb"),
                                    pytest.param("postgres", id="postgres", marks=pytest.mark.db)])
def test_dbt_build_scores_every_user_as_intentseg_assign(engine, tmp_path):
    import intentseg

    with isolated_url(engine, tmp_path) as url:
        load_events(url)
        model_path = _with_a_quote_in_a_name(fit(url, tmp_path / "model.json"))
        _generate(url, model_path, tmp_path / "pkg")

        built = build(engine, tmp_path / "pkg", _profile(engine, url), tmp_path)
        assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
        assert "ERROR=0" in built.stdout and "WARN=0" in built.stdout and "PASS=" in built.stdout, built.stdout[-2000:]
        assert ("largest_segment" in built.stdout) == (engine == "duckdb")  # the user's model built on the package

        intentseg.assign(url, model=model_path)
        expected, got = _read(url, "user_segments"), _read(url, "intentseg_user_segments")
        with connect(url) as wh:
            sizes = wh.query('SELECT segment_id, n_users FROM "intentseg_segment_sizes"').set_index("segment_id")["n_users"]

    assert len(got) == len(expected) == N_USERS
    assert got["user_id"].tolist() == expected["user_id"].tolist()
    assert got["segment_id"].tolist() == expected["segment_id"].tolist()
    assert got["segment_name"].tolist() == expected["segment_name"].tolist()
    assert "Browsers' corner" in set(got["segment_name"])
    np.testing.assert_allclose(got["distance"].to_numpy(float), expected["distance"].to_numpy(float), rtol=1e-9, atol=1e-12)
    assert got["segment_id"].nunique() >= 2  # a real split, not one segment for everyone
    counts = expected["segment_id"].value_counts()
    assert {int(i): int(n) for i, n in sizes.items() if n} == {int(i): int(n) for i, n in counts.items()}


@pytest.mark.slow
@pytest.mark.db
def test_dbt_vars_set_the_feature_options_on_postgres(tmp_path):
    """`dbt run --vars` (YAML: a date, numbers) gives the features of build_features with the same options."""
    from intentseg.dbt import build_package, write_package
    from intentseg.features import FEATURE_COLUMNS, build_features
    from intentseg.model import Segmenter

    with isolated_url("postgres", tmp_path) as url:
        load_events(url)
        with connect(url) as wh:
            model = Segmenter(n_segments=3, random_state=0).fit(build_features(wh))  # fills query_intents too
            write_package(build_package(model, dialect="postgres", warehouse=wh), tmp_path / "pkg")
        variables = "{intentseg_since: 2026-09-10, intentseg_until: '2026-09-25 12:00:00', intentseg_session_gap_minutes: 10}"
        ran = dbt(["run", "--select", "intentseg_user_features", "--vars", variables, "--threads", "1",
                   "--target-path", str(tmp_path / "target")], tmp_path / "pkg", _profile("postgres", url), tmp_path)
        assert ran.returncode == 0, ran.stdout[-4000:]
        with connect(url) as wh:
            expected = build_features(wh, since="2026-09-10", until="2026-09-25 12:00:00", session_gap_minutes=10)
            got = wh.query('SELECT * FROM "intentseg_user_features"').sort_values("user_id").reset_index(drop=True)
    columns = list(FEATURE_COLUMNS)
    assert 0 < len(got) == len(expected) < N_USERS  # the window left users out
    got = got[columns].astype(expected[columns].dtypes.to_dict())
    pd.testing.assert_frame_equal(got, expected[columns], check_exact=False, rtol=1e-9)
