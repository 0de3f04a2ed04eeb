"""Where membership events go: a webhook, RabbitMQ, Redis Streams or NATS JetStream.

A destination answers for each event of a batch with ``None`` once the other side has acknowledged it (a 2xx
answer, the commit of the batch's AMQP transaction, the stream entry id, the JetStream publish ack), or a
:class:`Failure`. Redis and NATS send one event at a time; a webhook keeps up to ``concurrency`` requests in
flight (one user's events in order); RabbitMQ publishes a batch in one transaction. Clients are imported when a
destination of their type is opened; a missing one fails with the ``pip install`` that brings it. Messages
never carry a URL's password (``redact_url``/``scrub``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..config import DestinationSettings
from ..errors import ConfigError, DestinationClientMissing
from ..warehouse.base import redact_url, scrub, split_url

#: webhook answers worth trying again: timeout, too early, too many requests (other 4xx are dead at once)
RETRY_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Failure:
    """Why an event was not acknowledged."""

    error: str
    #: no retry can help (a webhook's 4xx): dead-lettered at once
    permanent: bool = False
    #: the destination cannot be reached: the rest of the batch is not tried now
    unreachable: bool = False
    #: the destination asked to wait this long (``Retry-After``)
    retry_after_s: float | None = None


def encode(event: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The ``X-Intentseg-Signature`` header: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _client(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DestinationClientMissing(
            f"The {package} package, needed to send events to this destination, is not installed.",
            hint='pip install "intentseg[deliver]"',
        ) from exc


class Destination:
    """One configured destination. ``send`` paces and sends a batch, event by event through ``send_one`` (which
    subclasses implement), or all at once where the client can (RabbitMQ overrides ``send``)."""

    def __init__(self, name: str, settings: DestinationSettings) -> None:
        self.name, self.settings = name, settings
        self._last = 0.0
        self._pacing = threading.Lock()  # one pace for every thread that sends (the webhook's)

    @property
    def where(self) -> str:
        """The destination for messages: its type and URL without secrets."""
        return f"{self.settings.type} {redact_url(self.settings.url)}"

    def send(self, events: list[dict[str, Any]]) -> list[Failure | None]:
        """Send each event, in order; once the destination is unreachable the rest are not tried."""
        out: list[Failure | None] = []
        for event in events:
            if out and isinstance(out[-1], Failure) and out[-1].unreachable:
                out.append(out[-1])
                continue
            self._pace()
            out.append(self._attempt(event))
        return out

    def _attempt(self, event: dict[str, Any]) -> Failure | None:
        try:
            return self.send_one(event, encode(event))
        except Exception as exc:  # noqa: BLE001 - a client's own error: recorded, retried later
            self.reset()
            return Failure(self._error(exc), unreachable=True)

    def _pace(self) -> None:
        rate = self.settings.max_events_per_s
        if rate:
            with self._pacing:
                wait = self._last + 1 / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._last = time.monotonic()

    def _error(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        return scrub(text, self.settings.url)[:500]

    def send_one(self, event: dict[str, Any], body: bytes) -> Failure | None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget a connection that failed (the next send opens a new one)."""

    def close(self) -> None:
        self.reset()


class Webhook(Destination):
    """``POST`` of the event's JSON, signed (``X-Intentseg-Signature``), ``Idempotency-Key`` = event id."""

    def __init__(self, name: str, settings: DestinationSettings) -> None:
        super().__init__(name, settings)
        httpx = _client("httpx", "httpx")
        variable = str(settings.secret_env)
        self._secret = os.environ.get(variable)
        if not self._secret:
            raise ConfigError(f"Destination {name!r}: the environment variable {variable} (its secret_env) is not set.",
                              hint=f"Set {variable} to the webhook's shared secret before `intentseg deliver`.")
        self._http = httpx
        self._client = httpx.Client(timeout=settings.timeout_s, follow_redirects=False)
        parts = split_url(settings.url)
        self._host = f"{parts.scheme}://{parts.host.rpartition('@')[2]}" if parts else "the webhook"

    @property
    def where(self) -> str:
        return f"webhook {self._host}"  # the path may hold a token: never shown

    def send(self, events: list[dict[str, Any]]) -> list[Failure | None]:
        """Up to ``concurrency`` requests in flight: one worker per user at a time, so a user's events arrive in
        the batch's order (entered before moved); users in parallel. A remote webhook's round trip, not this
        process, sets the pace of one-at-a-time sending. Once the webhook is unreachable no new request starts."""
        if self.settings.concurrency <= 1 or len(events) <= 1:
            return super().send(events)
        by_user: dict[Any, list[int]] = {}
        for i, event in enumerate(events):
            by_user.setdefault(event.get("user_id"), []).append(i)
        out: list[Failure | None] = [None] * len(events)
        down: list[Failure] = []  # the first unreachable failure: no request starts after it

        def send_user(indices: list[int]) -> None:
            for i in indices:
                if down:
                    out[i] = down[0]
                    continue
                self._pace()
                result = self._attempt(events[i])
                out[i] = result
                if result is not None and result.unreachable:
                    down.append(result)

        with ThreadPoolExecutor(max_workers=min(self.settings.concurrency, len(by_user))) as pool:
            for done in [pool.submit(send_user, indices) for indices in by_user.values()]:
                done.result()
        return out

    def send_one(self, event: dict[str, Any], body: bytes) -> Failure | None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "intentseg-deliver",
            "Idempotency-Key": event["event_id"],
            "X-Intentseg-Event-Id": event["event_id"],
            "X-Intentseg-Signature": signature(str(self._secret), body),
        }
        try:
            answer = self._client.post(self.settings.url, content=body, headers=headers)
        except self._http.HTTPError as exc:
            return Failure(f"{self._host}: {self._error(exc)}", unreachable=True)
        code = answer.status_code
        if 200 <= code < 300:
            return None
        text = " ".join(answer.text.split())[:200]
        return Failure(
            f"HTTP {code} from {self._host}" + (f": {text}" if text else ""),
            permanent=300 <= code < 500 and code not in RETRY_4XX,
            retry_after_s=_retry_after(answer.headers.get("Retry-After")),
        )

    def close(self) -> None:
        self._client.close()


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: the exponential backoff decides instead
        return None


class RabbitMQ(Destination):
    """Persistent messages (``message_id`` = event id), a batch in one AMQP transaction.

    The channel is transactional (``tx.select``): a batch's messages are published, then ``tx.commit`` returns
    once the broker holds all of them (persistent messages to durable queues are on disk: the guarantee of a
    publisher confirm). Waiting for a confirm after each message capped delivery at about 160 events/s here;
    one commit per batch of 500 does not (``bench/results/deliver.md``). A message no queue takes comes back
    (``mandatory``: ``basic.return``, which the broker sends before the commit's answer) and fails on its own;
    a failed commit fails the whole batch, to be sent again (consumers dedupe on ``message_id``).
    """

    def __init__(self, name: str, settings: DestinationSettings) -> None:
        super().__init__(name, settings)
        self._pika = _client("pika", "pika")
        # pika logs every failed connect at ERROR with a traceback; the failure is recorded on the event
        # instead. A handler of its own keeps Python's last-resort handler from printing them (an app's
        # logging configuration still receives them).
        logging.getLogger("pika").addHandler(logging.NullHandler())
        self._conn: Any = None
        self._channel: Any = None
        self._returned: set[str] = set()

    def _open(self) -> Any:
        if self._channel is None:
            params = self._pika.URLParameters(self.settings.url)
            params.socket_timeout = params.blocked_connection_timeout = self.settings.timeout_s
            params.connection_attempts = 1
            self._conn = self._pika.BlockingConnection(params)
            self._channel = self._conn.channel()
            self._channel.add_on_return_callback(lambda _ch, _method, props, _body: self._returned.add(props.message_id))
            self._channel.tx_select()
            if not self.settings.exchange:  # the default exchange routes to the queue of that name
                self._channel.queue_declare(queue=str(self.settings.queue), durable=True)
        return self._channel

    def send(self, events: list[dict[str, Any]]) -> list[Failure | None]:
        pika = self._pika
        try:
            channel = self._open()
            self._returned.clear()
            for event in events:
                self._pace()
                props = pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                             message_id=event["event_id"], type=event["kind"], app_id="intentseg")
                channel.basic_publish(self.settings.exchange, str(self.settings.queue), encode(event), props,
                                      mandatory=True)
            channel.tx_commit()
            self._conn.process_data_events(0)  # hands over the returns that arrived before the commit's answer
        except Exception as exc:  # noqa: BLE001 - AMQP or socket errors, a closed channel: the batch is retried
            self.reset()
            failure = Failure(f"{self.where}: {self._error(exc)}", unreachable=True)
            return [failure] * len(events)
        unroutable = Failure(f"{self.where}: the message was unroutable (no queue bound to "
                             f"{self.settings.exchange!r} with routing key {self.settings.queue!r})")
        return [unroutable if event["event_id"] in self._returned else None for event in events]

    def reset(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None and conn.is_open:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass


class RedisStream(Destination):
    """``XADD`` to a stream: fields ``event_id``, ``kind`` and ``event`` (the JSON)."""

    def __init__(self, name: str, settings: DestinationSettings) -> None:
        super().__init__(name, settings)
        self._redis = _client("redis", "redis")
        self._conn = self._redis.Redis.from_url(settings.url, socket_timeout=settings.timeout_s,
                                                socket_connect_timeout=settings.timeout_s)

    def send_one(self, event: dict[str, Any], body: bytes) -> Failure | None:
        try:
            self._conn.xadd(str(self.settings.stream), {"event_id": event["event_id"], "kind": event["kind"], "event": body})
        except (self._redis.exceptions.ConnectionError, self._redis.exceptions.TimeoutError) as exc:
            return Failure(f"{self.where}: {self._error(exc)}", unreachable=True)
        except self._redis.exceptions.RedisError as exc:
            return Failure(f"{self.where}: {self._error(exc)}")
        return None

    def close(self) -> None:
        self._conn.close()


class NatsJetStream(Destination):
    """A JetStream publish with header ``Nats-Msg-Id`` = event id (the stream drops duplicates within its
    duplicate window), acknowledged by the stream. A ``stream`` that does not exist is created on
    ``subject``."""

    def __init__(self, name: str, settings: DestinationSettings) -> None:
        super().__init__(name, settings)
        import asyncio

        self._nats = _client("nats", "nats-py")
        self._loop = asyncio.new_event_loop()
        self._nc: Any = None
        self._js: Any = None

    async def _connect(self) -> Any:
        async def quiet(exc: Exception) -> None:  # errors are reported through the publish that failed
            return None

        s = self.settings
        # one try (nats-py 2.x keeps trying forever with max_reconnect_attempts=0 or allow_reconnect=False)
        self._nc = await self._nats.connect(s.url, connect_timeout=s.timeout_s, max_reconnect_attempts=1,
                                            reconnect_time_wait=0.1, error_cb=quiet)
        self._js = self._nc.jetstream(timeout=s.timeout_s)
        if s.stream:
            from nats.js.errors import NotFoundError

            try:
                await self._js.stream_info(s.stream)
            except NotFoundError:
                await self._js.add_stream(name=s.stream, subjects=[s.subject])
        return self._js

    async def _publish(self, event_id: str, body: bytes) -> None:
        js = self._js or await self._connect()
        await js.publish(str(self.settings.subject), body, timeout=self.settings.timeout_s,
                         stream=self.settings.stream, headers={"Nats-Msg-Id": event_id})

    def send_one(self, event: dict[str, Any], body: bytes) -> Failure | None:
        try:
            import asyncio

            bound = 3 * self.settings.timeout_s  # connect, stream check and publish, each bounded by timeout_s
            self._loop.run_until_complete(asyncio.wait_for(self._publish(event["event_id"], body), bound))
        except Exception as exc:  # noqa: BLE001 - nats-py raises its own errors, timeouts and OSError
            self.reset()
            return Failure(f"{self.where}: {self._error(exc)}", unreachable=True)
        return None

    def reset(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            try:
                self._loop.run_until_complete(nc.close())
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def close(self) -> None:
        self.reset()
        self._loop.close()


TYPES: dict[str, type[Destination]] = {
    "webhook": Webhook, "rabbitmq": RabbitMQ, "redis": RedisStream, "nats": NatsJetStream,
}


def open_destination(name: str, settings: DestinationSettings) -> Destination:
    """The destination ``name`` as configured (its client imported now; connections opened on first send)."""
    return TYPES[settings.type](name, settings)
