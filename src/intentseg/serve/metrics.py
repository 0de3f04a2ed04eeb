"""Prometheus metrics of one application, with the official client, in the app's own registry (two apps
in one process, as in tests, never collide): requests by route template and status, their latency, and
what the store holds (run id, users, reloads)."""

from __future__ import annotations

from typing import Any


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

        self.registry = CollectorRegistry()
        self.requests = Counter("intentseg_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram(
            "intentseg_http_request_duration_seconds", "Time to answer a request", ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=self.registry)
        self.users = Gauge("intentseg_users_loaded", "Users whose segment is in memory", registry=self.registry)
        self.run = Info("intentseg_loaded_run", "The run whose memberships and model are served", registry=self.registry)
        self.reloads = Counter("intentseg_reloads", "Loads of a newer run into memory, by outcome", ["outcome"],
                               registry=self.registry)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:  # labels() costs a lookup each time: keep the children
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def loaded(self, run_id: str, users: int) -> None:
        self.users.set(users)
        self.run.info({"run_id": run_id})
        self.reloads.labels("ok").inc()

    def failed_reload(self) -> None:
        self.reloads.labels("failed").inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
