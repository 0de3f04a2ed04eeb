"""Every failure exits with its documented code (README "Exit codes") and says what to fix — through the
real command line, on each engine a case concerns. 1 is only ever a bug."""

from __future__ import annotations

import inspect
import json
import re
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from intentseg import errors
from tests.conftest import MYSQL_URL, POSTGRES_URL, _sa_exec, isolated_url

ROOT = Path(__file__).parents[2]


def _server(url: str) -> str:
    """``user@host:port`` part of a test server URL (what the cases below vary)."""
    return url.split("://", 1)[1].split("/", 1)[0]


def test_every_error_class_has_a_documented_exit_code():
    documented = {int(c) for c in re.findall(r"^\| (\d) \|", (ROOT / "README.md").read_text(), re.M)}
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.IntentsegError)]
    assert len(classes) > 8
    for cls in classes:
        if cls is errors.IntentsegError:
            continue  # the base class is never raised itself
        assert cls.exit_code in documented - {0, 1}, f"{cls.__name__} exits {cls.exit_code}"
    assert errors.ModelFileError.exit_code == errors.ConfigError.exit_code == 2
    assert errors.DriverMissing.exit_code == errors.WarehouseUnavailable.exit_code == 3
    assert errors.TableNotFound.exit_code == errors.WarehouseQueryError.exit_code == 4


# -- 2: bad input or configuration ---------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "segment"])
@pytest.mark.parametrize("k", ["40", "1", "many"])
def test_k_outside_the_range_exits_2_with_the_range(cli, tmp_path, command, k):
    done = cli(command, "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}", "--k", k)
    assert done.code == 2, done.output
    assert f"--k '{k}'" in done.stderr and "from 2 to 20" in done.stderr and "Fix:" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything was opened


@pytest.mark.parametrize("url", ["mysql+pymysql://root@127.0.0.1:abc/test",
                                 "postgresql+psycopg://postgres@127.0.0.1:54x2/test"])
def test_a_port_that_is_not_a_number_exits_2(cli, url):
    done = cli("runs", "--warehouse", url)
    assert done.code == 2, done.output
    assert "is not a port number" in done.stderr and "Fix:" in done.stderr


def test_an_unknown_url_scheme_exits_2(cli):
    done = cli("runs", "--warehouse", "oracle://scott@host/db")
    assert done.code == 2 and "Unsupported warehouse URL" in done.stderr, done.output


def test_a_column_named_twice_in_a_csv_header_exits_2_naming_file_and_column(cli, tmp_path):
    csv = tmp_path / "clickstream.csv"
    csv.write_text("user_id,timestamp,url,url,device,time_spent\n1,2024-01-01 00:00:00,/a,/b,mobile,3\n")
    done = cli("ingest", csv, "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert done.code == 2, done.output
    assert str(csv) in done.stderr and "'url'" in done.stderr and "appears 2 times" in done.stderr


def test_uint64_parquet_ids_never_exit_1(cli, warehouse_url, tmp_path):
    # 2^64-1 does not fit a BIGINT: quarantined (or refused with exit 2) — never a crash.
    path = tmp_path / "search_queries.parquet"
    pq.write_table(pa.table({
        "user_id": pa.array([7, 2**64 - 1], pa.uint64()),
        "timestamp": pa.array([1_700_000_000_000_000] * 2, pa.timestamp("us")),
        "query": ["shoes", "socks"],
    }), path)
    done = cli("ingest", path, "--warehouse", warehouse_url, "--json")
    assert done.code in (0, 2), done.output
    if done.code == 0:
        report = json.loads(done.stdout)
        assert json.dumps(report).count("invalid_user_id") >= 1


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, small_events):
    """A real model file, fitted by `intentseg run --model-out` on DuckDB."""
    from intentseg import pipeline
    from tests.pipeline.conftest import load_events

    folder = tmp_path_factory.mktemp("model")
    url = f"duckdb:///{folder / 'w.duckdb'}"
    load_events(url, small_events)
    pipeline.run(url, k=3, model_out=folder / "model.json")
    return folder / "model.json", url


def _edited(model_file, tmp_path, edit) -> Path:
    path, _ = model_file
    d = json.loads(path.read_text())
    edit(d)
    bad = tmp_path / "edited-model.json"
    bad.write_text(json.dumps(d))
    return bad


BAD_MODELS = {
    "nan centre": (lambda d: d["centers"][0].__setitem__(0, float("nan")), "centers[0][0] is nan"),
    "centre 1e999": (lambda d: d["centers"][1].__setitem__(0, 1e999), "centers[1][0] is inf"),
    "scale 0": (lambda d: d["transform"]["scale"].__setitem__(0, 0.0), "transform.scale[0] is 0.0"),
    "profiles oops": (lambda d: d.update(profiles="oops"), "profiles must be a list of 3 objects"),
    "centers empty": (lambda d: d.update(centers=[]), "centers is empty"),
    "names repeated": (lambda d: d.update(segment_names=["a", "a", "b"]), "segment_names repeats"),
    "unknown transform": (lambda d: d["transform"]["kinds"].__setitem__(0, "cube"), "transform.kinds"),
    "newer version": (lambda d: d.update(format_version=2), "model format version 2"),
}


@pytest.mark.parametrize("case", list(BAD_MODELS))
@pytest.mark.parametrize("command", ["assign", "run"])
def test_a_bad_model_file_exits_2_naming_file_and_field(cli, model_file, tmp_path, case, command):
    edit, needle = BAD_MODELS[case]
    bad = _edited(model_file, tmp_path, edit)
    done = cli(command, "--model", bad, "--warehouse", model_file[1])
    assert done.code == 2, done.output
    assert str(bad) in done.stderr and needle in done.stderr and "Fix:" in done.stderr


def test_deeply_nested_model_file_exits_2(cli, model_file, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 50_000 + "1" + "}" * 50_000)
    done = cli("assign", "--model", deep, "--warehouse", model_file[1])
    assert done.code == 2 and "nested too deeply" in done.stderr, done.output


def test_a_good_model_file_assigns_and_reports_the_users_it_scored(cli, model_file, warehouse_url, small_events):
    # The model was trained on 300 users; this warehouse holds 120 of them: sizes and shares are of the 120.
    from tests.pipeline.conftest import load_events

    keep = set(sorted(small_events.ground_truth["user_id"])[:120])
    subset = type("Events", (), {name: getattr(small_events, name)[lambda f: f["user_id"].isin(keep)]
                                 for name in ("clickstream", "search_queries", "article_views")})
    load_events(warehouse_url, subset)
    done = cli("assign", "--model", model_file[0], "--warehouse", warehouse_url, "--json")
    assert done.code == 0, done.output
    result = json.loads(done.stdout)
    assert result["n_users"] == 120 and sum(s["size"] for s in result["segments"]) == 120
    assert sum(s["share"] for s in result["segments"]) == pytest.approx(1.0)
    listed = json.loads(cli("segments", "--warehouse", warehouse_url, "--json").stdout)["segments"]
    assert sum(s["size"] for s in listed) == 120
    from intentseg.warehouse import connect

    with connect(warehouse_url) as wh:
        sizes = wh.query("SELECT DISTINCT segment_id, n_users FROM segment_profiles")
        assert int(sizes["n_users"].sum()) == 120


# -- 3: the warehouse cannot be reached ----------------------------------------------------------------
def test_an_unwritable_duckdb_location_exits_3_naming_the_path(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli("runs", "--warehouse", f"duckdb:///{blocker / 'w.duckdb'}")
    assert done.code == 3, done.output
    assert str(blocker / "w.duckdb") in done.stderr and "Fix:" in done.stderr


@pytest.mark.parametrize("url", ["mysql+nosuchdriver://root@127.0.0.1/test",
                                 "postgresql+nosuchdriver://postgres@127.0.0.1/test"])
def test_an_unknown_driver_exits_3_with_the_driver_to_use(cli, url):
    done = cli("runs", "--warehouse", url)
    assert done.code == 3, done.output
    assert "nosuchdriver" in done.stderr and ("mysql+pymysql://" in done.stderr or "postgresql+psycopg://" in done.stderr)


@pytest.mark.db
@pytest.mark.parametrize("base", [MYSQL_URL, POSTGRES_URL], ids=["mysql", "postgres"])
def test_an_unknown_host_exits_3(cli, base):
    user = _server(base).split("@")[0]
    url = base.replace(_server(base), f"{user}@no-such-host.invalid:{5432 if 'postgres' in base else 3306}")
    done = cli("runs", "--warehouse", url)
    assert done.code == 3, done.output
    assert "no-such-host.invalid" in done.stderr and "Fix:" in done.stderr


@pytest.mark.db
@pytest.mark.parametrize("base", [MYSQL_URL, POSTGRES_URL], ids=["mysql", "postgres"])
def test_an_unknown_database_exits_3(cli, base):
    url = base.rsplit("/", 1)[0] + f"/no_such_db_{uuid.uuid4().hex[:6]}"
    done = cli("runs", "--warehouse", url)
    assert done.code == 3, done.output
    assert "does not exist" in done.stderr or "Unknown database" in done.stderr


@pytest.mark.db
def test_mariadb_access_denied_to_a_database_and_wrong_password_exit_3(cli, tmp_path):
    user, password = f"intentseg_na_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with isolated_url("mysql", tmp_path) as url:
        _sa_exec(MYSQL_URL, f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{password}'")
        try:
            host_db = url.split("@", 1)[1]
            denied = cli("runs", "--warehouse", f"mysql+pymysql://{user}:{password}@{host_db}")  # no GRANT: 1044
            assert denied.code == 3, denied.output
            assert "1044" in denied.stderr and "GRANT" in denied.stderr and password not in denied.output
            wrong = cli("runs", "--warehouse", f"mysql+pymysql://{user}:wrong{password}@{host_db}")  # 1045
            assert wrong.code == 3, wrong.output
            assert "password" in wrong.stderr and password not in wrong.output
        finally:
            _sa_exec(MYSQL_URL, f"DROP USER IF EXISTS '{user}'@'%%'")


# -- 4: a statement failed inside the warehouse ----------------------------------------------------------
def test_a_statement_failing_inside_the_warehouse_exits_4(cli, warehouse_url):
    # A table named like intentseg's run history but holding something else: the SELECT fails inside.
    from intentseg.warehouse import connect

    with connect(warehouse_url) as wh:
        wh.execute("CREATE TABLE segment_runs (something_else INTEGER)")
    done = cli("runs", "--warehouse", warehouse_url)
    assert done.code == 4, done.output
    assert "Error:" in done.stderr and "Fix:" in done.stderr and "Internal error" not in done.stderr


OUTPUT_OPTIONS = {
    "run --report": ["run", "--k", "3", "--report", "{bad}"],
    "run --model-out": ["run", "--k", "3", "--model-out", "{bad}/model.json"],
    "segment --model-out": ["segment", "--k", "3", "--model-out", "{bad}/model.json"],
    "report --out": ["report", "--out", "{bad}"],
    "demo --out": ["demo", "--users", "100", "--out", "{bad}"],
    "init": ["init", "{bad}/intentseg.toml"],
}


@pytest.mark.parametrize("case", list(OUTPUT_OPTIONS))
def test_an_output_path_that_cannot_be_written_exits_2_before_any_work(cli, tmp_path, case):
    blocker = tmp_path / "a-file"  # a regular file where a folder is needed
    blocker.write_text("in the way")
    args = [a.replace("{bad}", str(blocker)) for a in OUTPUT_OPTIONS[case]]
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    if args[0] not in ("init", "demo"):
        args += ["--warehouse", url]
    done = cli(*args)
    assert done.code == 2, done.output
    assert str(blocker) in done.stderr and "cannot write there" in done.stderr and "Fix:" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_library_writers_name_the_path_they_cannot_write(model_file, tmp_path):
    from intentseg.errors import InputError
    from intentseg.model import Segmenter

    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    model = Segmenter.load(model_file[0])
    with pytest.raises(InputError, match="Cannot write the model file .*a-file/m.json"):
        model.save(blocker / "m.json")


@pytest.mark.parametrize("args, code", [
    (["runs", "--warehouse", "mysql+pymysql://root@127.0.0.1:abc/test"], 2),
    (["runs", "--warehouse", "mysql+nosuchdriver://root@127.0.0.1/test"], 3),
])
def test_the_installed_entry_point_exits_with_the_same_codes(args, code):
    # The fixture above calls run_app in process; this runs `python -m intentseg` as a scheduler would.
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("INTENTSEG_WAREHOUSE", None)
    done = subprocess.run([sys.executable, "-m", "intentseg", *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == code, done.stderr
    assert "Error:" in done.stderr and "Fix:" in done.stderr and "Traceback" not in done.stderr
