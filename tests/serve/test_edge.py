"""The outer ASGI layer in process, where the conditions can be made exactly: more requests in progress than
``max_inflight`` (503 with Retry-After, before any work) and an unexpected exception (a 500 problem, one log
line with the error's type, no traceback, the warehouse password scrubbed)."""

from __future__ import annotations

import asyncio
import json
import logging

from intentseg.serve.limits import Edge
from intentseg.serve.metrics import Metrics


async def _call(app, path="/x"):
    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_requests_above_max_inflight_get_503_before_any_work():
    release, calls = asyncio.Event(), []

    async def slow(scope, receive, send):
        calls.append(scope["path"])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    edge = Edge(slow, max_inflight=2, max_body_bytes=1000, metrics=Metrics(), scrub=lambda t: t)

    async def scenario():
        first = [asyncio.create_task(_call(edge, f"/{i}")) for i in range(2)]
        await asyncio.sleep(0)
        # two in progress: the third is refused at once (were it let through, it would wait: the guard fails it)
        shed = await asyncio.wait_for(_call(edge, "/third"), timeout=30)
        release.set()
        return shed, await asyncio.gather(*first)

    shed, done = asyncio.run(scenario())
    status, headers, body = shed
    assert status == 503 and headers[b"retry-after"] == b"1"
    assert headers[b"content-type"] == b"application/problem+json" and json.loads(body)["status"] == 503
    assert [d[0] for d in done] == [200, 200] and calls == ["/0", "/1"]
    assert edge.inflight == 0


def test_an_unexpected_error_is_a_500_problem_and_one_scrubbed_line(caplog):
    async def broken(scope, receive, send):
        raise RuntimeError("could not connect to mysql+pymysql://root:hunter2@db/x")

    edge = Edge(broken, max_inflight=5, max_body_bytes=1000, metrics=Metrics(),
                scrub=lambda t: t.replace("hunter2", "***"))
    with caplog.at_level(logging.ERROR, logger="intentseg.serve"):
        status, headers, body = asyncio.run(_call(edge))
    assert status == 500 and json.loads(body)["type"] == "urn:intentseg:problem:internal"
    assert "hunter2" not in body.decode() and "RuntimeError" not in body.decode()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "RuntimeError" in lines[0] and "***" in lines[0] and "hunter2" not in lines[0]
    assert all(r.exc_info is None for r in caplog.records)
