"""The HTTP API as a real process against a DuckDB warehouse holding one run (k = 3): every endpoint, the
problems (401/403/404/413/422/429), scoring equal to ``Segmenter.predict``, no secret in any answer or log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.config import OutputSettings
from intentseg.model.segmenter import Segmenter
from intentseg.results import list_runs, segments_of
from intentseg.warehouse import connect
from intentseg.writeback import Tables

from .conftest import KEYS, USERS, _with, run_pipeline, write_config

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def world(tmp_path_factory, events_dir):
    """The warehouse's truth, read before the server starts, and the server."""
    folder = tmp_path_factory.mktemp("served")
    url = f"duckdb:///{folder / 'w.duckdb'}"
    run_pipeline(url, events_dir, 3)
    with connect(url) as wh:
        truth = {
            "members": wh.query("SELECT * FROM user_segments ORDER BY user_id"),
            "features": wh.query("SELECT * FROM user_features ORDER BY user_id"),
            "model": Segmenter.from_dict(Tables(wh, OutputSettings()).run()["model"]),  # type: ignore[index]
            "segments": segments_of(wh).to_dict(),
            "runs": [r.to_dict() for r in list_runs(wh)],
        }
    config = write_config(folder / "intentseg.toml", rate_per_s=1000.0, burst=1000, max_batch=50,
                          max_body_bytes=20000, poll_interval_s=1.0)
    for server, _ in _with(url, config, folder / "server.log"):
        yield server, truth


def _problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:intentseg:problem:") and body["detail"]
    assert "Traceback" not in r.text
    return body


def test_health_and_ready_name_the_served_run(world):
    server, truth = world
    with server.client(None) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz").json()
    assert ready == {"status": "ready", "run_id": truth["runs"][0]["run_id"], "users": USERS}


def test_lookup_answers_each_users_row_of_user_segments(world):
    server, truth = world
    members = truth["members"]
    with server.client("reader") as c:
        for row in members.iloc[:: max(1, len(members) // 25)].itertuples():
            body = c.get(f"/v1/users/{row.user_id}/segment").json()
            assert body["user_id"] == row.user_id and body["segment_id"] == row.segment_id
            assert body["segment_name"] == row.segment_name and body["run_id"] == row.run_id
            assert body["distance"] == pytest.approx(row.distance, rel=1e-12)
            assert body["since"].startswith(str(pd.Timestamp(row.scored_at).date()))


def test_unknown_users_runs_and_paths_are_404_problems(world):
    server, _ = world
    with server.client() as c:
        _problem(c.get("/v1/users/999999999/segment"), 404)
        _problem(c.get("/v1/users/not-a-number/segment"), 404)
        _problem(c.get("/v1/runs/no-such-run"), 404)
        _problem(c.get("/v1/nothing-here"), 404)
        _problem(c.delete("/v1/runs"), 405)


def test_segments_and_runs_are_the_librarys(world):
    server, truth = world
    with server.client("reader") as c:
        segments = c.get("/v1/segments").json()
        runs = c.get("/v1/runs").json()["runs"]
        one = c.get(f"/v1/runs/{truth['runs'][0]['run_id']}").json()
    assert segments["run_id"] == truth["segments"]["run_id"]
    assert [s["name"] for s in segments["segments"]] == [s["name"] for s in truth["segments"]["segments"]]
    assert [s["size"] for s in segments["segments"]] == [s["size"] for s in truth["segments"]["segments"]]
    assert [r["run_id"] for r in runs] == [r["run_id"] for r in truth["runs"]]
    assert one == runs[0]


def test_no_key_or_an_unknown_key_is_401_a_key_without_the_scope_403(world):
    server, _ = world
    with server.client(None) as c:
        r = c.get("/v1/users/1/segment")
        _problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        _problem(c.get("/v1/segments", headers={"Authorization": "Bearer isk_wrong"}), 401)
        _problem(c.get("/v1/segments", headers={"Authorization": f"Basic {KEYS['full']}"}), 401)
    with server.client("reader") as c:
        body = _problem(c.post("/v1/score", json={"users": []}), 403)
    assert "score" in body["detail"]


def test_large_bodies_and_batches_are_413(world):
    server, truth = world
    features = truth["features"].iloc[0]
    user = {"user_id": 1, "features": {f: float(features[f]) for f in truth["model"].feature_names_}}
    with server.client() as c:
        _problem(c.post("/v1/score", json={"users": [user] * 51}), 413)  # max_batch = 50
        _problem(c.post("/v1/score", content=b'{"users": [' + b" " * 30_000 + b"]}",
                        headers={"content-type": "application/json"}), 413)  # max_body_bytes = 20000
        # without a Content-Length (chunked): counted as it arrives
        chunks = (b'{"users": [' if i == 0 else b" " * 1000 for i in range(40))
        _problem(c.post("/v1/score", content=chunks, headers={"content-type": "application/json"}), 413)


def test_a_key_over_its_rate_gets_429_with_retry_after(world):
    server, _ = world
    with server.client("slow") as c:  # 1 request/s, burst 3
        answers = [c.get("/v1/segments") for _ in range(6)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    for a in limited:
        _problem(a, 429)
        assert int(a.headers["retry-after"]) >= 1
    with server.client("reader") as c:  # other keys have their own bucket
        assert c.get("/v1/segments").status_code == 200


def test_invalid_bodies_are_422_problems(world):
    server, _ = world
    with server.client() as c:
        _problem(c.post("/v1/score", content=b"{not json", headers={"content-type": "application/json"}), 422)
        _problem(c.post("/v1/score", json={"users": [{"user_id": 1, "features": {"clicks": 1}}]}), 422)
        _problem(c.post("/v1/score", json={}), 422)
        _problem(c.post("/v1/score", json={"users": [{"user_id": 1, "features": {"clicks": "many"}}]}), 422)


def test_scoring_features_gives_the_numbers_of_predict(world):
    server, truth = world
    model: Segmenter = truth["model"]
    sample = truth["features"].iloc[:40]
    users = [{"user_id": int(r["user_id"]), "features": {f: float(r[f]) for f in model.feature_names_}}
             for _, r in sample.iterrows()]
    with server.client() as c:
        body = c.post("/v1/score", json={"users": users}).json()
    assert body["run_id"] == truth["runs"][0]["run_id"]
    assert [s["user_id"] for s in body["scores"]] == sample["user_id"].tolist()
    assert [s["segment_id"] for s in body["scores"]] == model.predict(sample).tolist()
    expected = model.transform(sample)[np.arange(len(sample)), model.predict(sample)]
    assert np.allclose([s["distance"] for s in body["scores"]], expected, rtol=1e-12)


def test_scoring_raw_events_matches_the_run(world, events_dir):
    """A user's whole event history, sent raw, gets the segment and distance the run gave that user (the
    model's features do not depend on other users)."""
    server, truth = world
    wanted = truth["members"]["user_id"].iloc[[0, 7, 50, 120]].tolist()
    events = {}
    for source in ("clickstream", "search_queries", "article_views"):
        frame = pd.read_parquet(events_dir / f"{source}.parquet")
        frame = frame[frame["user_id"].isin(wanted)].copy()
        frame["timestamp"] = frame["timestamp"].map(lambda t: pd.Timestamp(t).isoformat())
        events[source] = [{k: v for k, v in row.items() if v is not None and v == v} for row in frame.to_dict("records")]
    with server.client() as c:
        r = c.post("/v1/score", json={"events": events})
    assert r.status_code == 200, r.text
    got = {int(s["user_id"]): s for s in r.json()["scores"]}
    members = truth["members"].set_index("user_id")
    assert set(got) == set(wanted)
    for user in wanted:
        assert got[user]["segment_id"] == members.loc[user, "segment_id"]
        assert got[user]["distance"] == pytest.approx(members.loc[user, "distance"], rel=1e-9)


def test_metrics_count_requests_by_route_and_status_and_name_the_run(world):
    server, truth = world
    with server.client() as c:  # a 200 and a 404 of its own: the module's server is shared, tests run in any order
        assert c.get("/v1/users/1/segment").status_code == 200
        assert c.get("/v1/users/999999999/segment").status_code == 404
        text = c.get("/metrics").text
    assert 'intentseg_http_requests_total{method="GET",route="/v1/users/{user_id}/segment",status="200"}' in text
    assert 'intentseg_http_requests_total{method="GET",route="/v1/users/{user_id}/segment",status="404"}' in text
    assert "intentseg_http_request_duration_seconds_bucket" in text
    assert f'intentseg_loaded_run_info{{run_id="{truth["runs"][0]["run_id"]}"}} 1.0' in text
    assert f"intentseg_users_loaded {float(USERS)}" in text
    assert 'intentseg_reloads_total{outcome="ok"} 1.0' in text


def test_no_key_in_any_answer_or_the_log(world):
    server, _ = world
    texts = []
    with server.client() as c:
        for path in ("/v1/users/1/segment", "/v1/segments", "/v1/runs", "/metrics", "/openapi.json", "/readyz"):
            texts.append(c.get(path).text)
    log = server.log.read_text()
    assert "GET /v1/users/1/segment" in log  # the access log is on: requests are logged ...
    for key in KEYS.values():  # ... but never a key
        assert key not in log and all(key not in t for t in texts)
    assert "Traceback" not in log


def test_cors_is_off_by_default(world):
    server, _ = world
    with server.client(None) as c:
        r = c.get("/healthz", headers={"Origin": "https://shop.example"})
        pre = c.options("/v1/segments", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_the_configured_origins_only():
    """In process (the CORS layer only; no warehouse is read): a listed origin is allowed, another is not."""
    import asyncio

    import httpx

    from intentseg.config import Settings
    from intentseg.serve.app import create_app

    app = create_app(Settings.model_validate({"serve": {"cors_origins": ["https://shop.example"]}}), "duckdb:///:memory:",
                     poll=False)

    async def ask():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            return (await c.get("/healthz", headers={"Origin": "https://shop.example"}),
                    await c.get("/healthz", headers={"Origin": "https://evil.example"}))

    ok, other = asyncio.run(ask())
    assert ok.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in other.headers
