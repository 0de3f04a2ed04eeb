"""Passwords never shown (issue 10, item 12): run the whole pipeline with a real password in every URL form,
then search every output — stdout and stderr of each command, every text column of every warehouse table,
every file of the report folders and the model file — for the password. Nothing may match."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from intentseg.warehouse import connect
from intentseg.warehouse.base import redact_url
from tests.cli.conftest import Done
from tests.conftest import MYSQL_URL, _sa_exec, isolated_url
from tests.pipeline.conftest import load_events


def _password() -> tuple[str, str]:
    """A password with an '@' and a '/' in it (the forms people forget to encode), and its unique core."""
    core = uuid.uuid4().hex[:16]
    return f"Pw{core}@a/b", core


def _forms(password: str) -> list[str]:
    return [password, quote(password, safe=""), quote_plus(password)]


def _leaks(text: str | bytes, password: str, core: str) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [s for s in [*_forms(password), core] if s.encode() in data]


def _pipeline(cli, url: str, folder: Path) -> list[tuple[str, Done]]:
    """Every command a user would run against ``url``; each must succeed."""
    model = folder / "model.json"
    steps = [
        ("run --json", ["run", "--warehouse", url, "--k", "3", "--json", "--report", folder / "report-json"]),
        ("run (tables)", ["run", "--warehouse", url, "--k", "3", "--report", folder / "report", "--model-out", model]),
        ("assign", ["assign", "--warehouse", url, "--model", model, "--json"]),
        ("segments", ["segments", "--warehouse", url]),
        ("segments --json", ["segments", "--warehouse", url, "--json"]),
        ("runs", ["runs", "--warehouse", url]),
        ("runs --json", ["runs", "--warehouse", url, "--json"]),
        ("report", ["report", "--warehouse", url, "--out", folder / "report-again"]),
        ("sources --json", ["sources", "--warehouse", url, "--json"]),
        ("sources", ["sources", "--warehouse", url]),
    ]
    outputs = []
    for name, args in steps:
        done = cli(*args)
        assert done.code == 0, f"{name}: {done.output[-2000:]}"
        outputs.append((name, done))
    return outputs


def _assert_nothing_leaks(outputs, url: str, folder: Path, password: str, core: str) -> None:
    found = []
    for name, done in outputs:
        found += [(f"{name} stdout", s) for s in _leaks(done.stdout, password, core)]
        found += [(f"{name} stderr", s) for s in _leaks(done.stderr, password, core)]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 10  # three reports (HTML + PNGs) and the model
    for path in files:
        found += [(str(path), s) for s in _leaks(path.read_bytes(), password, core)]
    with connect(url) as wh:
        tables = wh.tables()
        assert {"segment_runs", "user_segments", "segment_profiles", "user_segment_history"} <= set(tables)
        for table in tables:
            text = wh.query(f"SELECT * FROM {wh.quote(table)}").astype(str).to_csv()
            found += [(f"table {table}", s) for s in _leaks(text, password, core)]
        stored = wh.query("SELECT warehouse FROM segment_runs")["warehouse"].tolist()
    assert not found, f"the password shows in: {found}"
    assert stored and all(w == redact_url(url) and "***" in w for w in stored)


@pytest.mark.db
@pytest.mark.parametrize("form", ["unencoded", "percent-encoded", "query parameter"])
def test_a_mariadb_password_never_shows(cli, small_events, tmp_path, form):
    password, core = _password()
    user = f"intentseg_pw_{uuid.uuid4().hex[:8]}"
    with isolated_url("mysql", tmp_path) as root_url:
        load_events(root_url, small_events)
        database = root_url.rsplit("/", 1)[1]
        server = root_url.split("@", 1)[1].split("/", 1)[0]
        _sa_exec(MYSQL_URL, f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{password}'")
        try:
            _sa_exec(MYSQL_URL, f"GRANT ALL ON `{database}`.* TO '{user}'@'%%'")
            url = {
                "unencoded": f"mysql+pymysql://{user}:{password}@{server}/{database}",
                "percent-encoded": f"mysql+pymysql://{user}:{quote(password, safe='')}@{server}/{database}",
                "query parameter": f"mysql+pymysql://{user}@{server}/{database}?password={quote(password, safe='')}",
            }[form]
            outputs = _pipeline(cli, url, tmp_path / "out")
            # failures print the URL too: a database that does not exist, a wrong user, no user at all
            for name, bad_url in [
                ("unknown database", url.replace(f"/{database}", f"/{database}_nope")),
                ("unknown user", url.replace(user, user + "x")),
                ("no user", f"mysql+pymysql://:{password}@{server}/{database}"),
            ]:
                done = cli("runs", "--warehouse", bad_url)
                assert done.code == 3, f"{name}: {done.output}"
                outputs.append((name, done))
            _assert_nothing_leaks(outputs, url, tmp_path / "out", password, core)
        finally:
            _sa_exec(MYSQL_URL, f"DROP USER IF EXISTS '{user}'@'%%'")


@pytest.mark.db
@pytest.mark.parametrize("form", ["unencoded", "query parameter"])
def test_a_postgres_password_never_shows(cli, small_events, tmp_path, form):
    # The test server trusts local connections, so any password is accepted: it still must never show.
    password, core = _password()
    with isolated_url("postgres", tmp_path) as url:
        load_events(url, small_events)
        scheme, rest = url.split("://", 1)
        user, rest = rest.split("@", 1)
        url = {
            "unencoded": f"{scheme}://{user}:{password}@{rest}",
            "query parameter": f"{url}&password={quote(password, safe='')}",
        }[form]
        outputs = _pipeline(cli, url, tmp_path / "out")
        done = cli("runs", "--warehouse", url.replace("5432/", "5432/no_such_db_"))
        assert done.code == 3, done.output
        outputs.append(("unknown database", done))
        _assert_nothing_leaks(outputs, url, tmp_path / "out", password, core)


@pytest.mark.parametrize("url, shown", [
    ("mysql+pymysql://root:s3cret@h:3306/db", "mysql+pymysql://root:***@h:3306/db"),
    ("mysql+pymysql://:s3cret@h/db", "mysql+pymysql://:***@h/db"),
    ("mysql+pymysql://root:s3@cr/et@h/db", "mysql+pymysql://root:***@h/db"),
    ("mysql+pymysql://root:s3?cret@h/db", "mysql+pymysql://root:***@h/db"),
    ("mysql+pymysql://root@h/db?charset=utf8mb4&password=s3cret", "mysql+pymysql://root@h/db?charset=utf8mb4&password=***"),
    ("postgresql://u@h/db?PASSWORD=s3cret&schema=x", "postgresql://u@h/db?PASSWORD=***&schema=x"),
    ("spark://local[*]?jdbc=mysql%2Bpymysql://root:s3cret@h/db%3Fpassword%3Ds3cret&output=/tmp/o",
     "spark://local[*]?jdbc=mysql+pymysql://root:***@h/db%3Fpassword=***&output=/tmp/o"),
    ("duckdb:////data/me@home.duckdb?threads=2", "duckdb:////data/me@home.duckdb?threads=2"),
    ("mysql+pymysql://root@h:3306/db", "mysql+pymysql://root@h:3306/db"),
])
def test_redact_url_covers_every_form(url, shown):
    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url) and "cret" not in redact_url(url)
