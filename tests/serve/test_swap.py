"""A run finishes while a client hammers lookups: every answer is wholly the old run's or wholly the new
run's (segment, distance, run id of that run's user_segments), never a mix, a gap or an error."""

from __future__ import annotations

import threading
import time

import pytest

from intentseg.warehouse import connect

from .conftest import _with, run_pipeline, write_config


def _table(url: str) -> dict[int, tuple[int, float]]:
    with connect(url) as wh:
        rows = wh.query("SELECT user_id, segment_id, distance FROM user_segments")
    return {int(u): (int(s), float(d)) for u, s, d in rows.itertuples(index=False)}


def _run_id(url: str) -> str:
    with connect(url) as wh:
        return str(wh.scalar("SELECT MIN(run_id) FROM user_segments"))


@pytest.mark.slow
def test_each_answer_is_wholly_the_old_or_the_new_run(tmp_path, events_dir):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    run_pipeline(url, events_dir, 3)
    old_id, old = _run_id(url), _table(url)
    config = write_config(tmp_path / "intentseg.toml", rate_per_s=100000.0, burst=100000, poll_interval_s=0.2)
    users = sorted(old)
    answers: list[tuple[int, int, dict]] = []
    stop = threading.Event()

    def hammer(server) -> None:
        with server.client() as c:
            i = 0
            while not stop.is_set():
                user = users[i % len(users)]
                r = c.get(f"/v1/users/{user}/segment")
                answers.append((user, r.status_code, r.json()))
                i += 1

    for server, _ in _with(url, config, tmp_path / "server.log"):
        thread = threading.Thread(target=hammer, args=(server,))
        thread.start()
        try:
            time.sleep(1)
            run_pipeline(url, events_dir, 4)  # the new run: other k, so every distance differs
            new_id, new = _run_id(url), _table(url)
            server.wait_for_run(new_id)
            time.sleep(1)
        finally:
            stop.set()
            thread.join()
    tables = {old_id: old, new_id: new}
    assert old_id != new_id
    assert {status for _, status, _ in answers} == {200}
    seen = {body["run_id"] for _, _, body in answers}
    assert seen == {old_id, new_id}, seen
    for user, _, body in answers:
        assert (body["segment_id"], body["distance"]) == pytest.approx(tables[body["run_id"]][user]), (user, body)
    switch = [body["run_id"] for _, _, body in answers]
    first_new = switch.index(new_id)
    assert set(switch[first_new:]) == {new_id}, "an old answer came after the new run was served"
