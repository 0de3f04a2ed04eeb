"""Where ``intentseg stream`` reads from: NATS JetStream, Redis Streams, RabbitMQ, behind one small interface.

Each source hands out at most ``max_batch`` messages at a time and holds the rest in the broker (bounded
in flight: a JetStream pull of ``max_batch`` with ``max_ack_pending``, a Redis ``XREADGROUP COUNT``, a
RabbitMQ prefetch of ``max_batch``), and acknowledges them only when told to, after the warehouse commit:

- **NATS JetStream**: a durable pull consumer with explicit ack on the stream holding the subject (a stream
  named after the subject is created if none holds it). At start the consumer is re-created to deliver from
  the checkpoint's stream sequence + 1, so the warehouse, not the broker, says where to resume.
- **Redis Streams**: a consumer group (created at ``0`` if absent); at start the consumer's own pending
  entries (delivered, not acknowledged before a crash) are read first, then new ones; ``XACK`` after commit.
- **RabbitMQ**: manual acknowledgement with ``prefetch_count = max_batch``; a consumer that dies gets its
  unacknowledged messages redelivered by the broker. A queue has no sequence: a message's position is its
  ``message_id`` (or a hash of its body), and a redelivered message is applied again, which changes nothing
  (events are deduplicated by id, features recomputed, quarantine rows keyed by position).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import BrokerUnavailable, ConfigError, DestinationClientMissing
from .messages import Message

SCHEMES = ("nats", "redis", "amqp")


@dataclass(frozen=True)
class BrokerUrl:
    """``--from``: the broker's scheme, its connection URL (credentials kept, never shown) and the name
    read from (NATS subject, Redis stream key, RabbitMQ queue)."""

    scheme: str
    connect: str
    name: str
    shown: str  # without credentials: the stream's name in the checkpoint table and in messages

    @property
    def durable(self) -> str:
        """The consumer's name at the broker (durable consumer, consumer group)."""
        return "intentseg-" + re.sub(r"[^A-Za-z0-9_-]", "_", self.name)[:80]


def parse_url(url: str) -> BrokerUrl:
    """``nats://host:4222/SUBJECT``, ``redis://host:6379[/DB]/STREAM``, ``amqp://user:pw@host:5672[/VHOST]/QUEUE``."""
    parts = urlsplit(url)
    scheme = {"amqps": "amqp", "rediss": "redis", "tls": "nats"}.get(parts.scheme, parts.scheme)
    path = [unquote(p) for p in parts.path.split("/")[1:]]
    if scheme not in SCHEMES or not path or not path[-1]:
        raise ConfigError(f"--from {url!r} is not a broker URL this command reads.",
                          hint="Use nats://127.0.0.1:4222/SUBJECT, redis://127.0.0.1:6379/STREAM or "
                               "amqp://guest:guest@127.0.0.1:5672/QUEUE.")
    name, rest = path[-1], path[:-1]
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    base = f"{parts.scheme}://{parts.netloc}"
    if scheme == "redis":
        connect = f"{base}/{rest[0] if rest else '0'}"
    elif scheme == "amqp":
        vhost = "/".join(rest) or "/"
        connect = f"{base}/{vhost.replace('/', '%2F')}"
    else:
        connect = base
    return BrokerUrl(scheme, connect, name, f"{scheme}://{host}{port}/{name}")


def _message_line(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


class BrokerSource(ABC):
    """Messages of one stream, fetched in bounded batches and acknowledged after the commit."""

    @abstractmethod
    def fetch(self, max_batch: int, max_wait_s: float) -> list[Message]:
        """Up to ``max_batch`` messages, waiting at most ``max_wait_s`` for the first (none: an empty list)."""

    @abstractmethod
    def ack(self, messages: list[Message]) -> None:
        """Tell the broker these messages are done (after the warehouse commit)."""

    def applied(self, message: Message, checkpoint_line: int | None) -> bool:
        """Whether ``message`` is at or before the checkpoint (committed before; only acknowledged now)."""
        return checkpoint_line is not None and message.line <= checkpoint_line

    def close(self) -> None:  # noqa: B027 - optional
        """Release the connection."""


def _unavailable(where: BrokerUrl, exc: BaseException) -> BrokerUnavailable:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return BrokerUnavailable(f"Cannot read from {where.shown}: {text}.",
                             hint="Check that the broker runs and the URL (host, port, user, password) is right.")


# -- NATS JetStream -----------------------------------------------------------------------------------------
class NatsSource(BrokerSource):
    def __init__(self, url: BrokerUrl, *, start_after: int | None, max_batch: int, ack_wait_s: float) -> None:
        try:
            import nats  # noqa: F401
        except ImportError as exc:
            raise DestinationClientMissing("NATS needs nats-py.", hint='pip install "intentseg[activate]"') from exc
        self.url = url
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._open(start_after, max_batch, ack_wait_s))
        except Exception as exc:  # noqa: BLE001 - a connection or JetStream failure
            self.close()
            raise _unavailable(url, exc) from exc

    async def _open(self, start_after: int | None, max_batch: int, ack_wait_s: float) -> None:
        import nats
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        from nats.js.errors import NotFoundError

        self.nc = await nats.connect(self.url.connect, connect_timeout=5, max_reconnect_attempts=3)
        js = self.nc.jetstream()
        try:
            stream = await js.find_stream_name_by_subject(self.url.name)
        except NotFoundError:
            stream = re.sub(r"[^A-Za-z0-9_-]", "_", self.url.name)
            await js.add_stream(name=stream, subjects=[self.url.name])
        try:
            await js.delete_consumer(stream, self.url.durable)
        except NotFoundError:
            pass
        config = ConsumerConfig(
            durable_name=self.url.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait_s,
            filter_subject=self.url.name, max_ack_pending=max_batch * 2,
            deliver_policy=DeliverPolicy.ALL if start_after is None else DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=None if start_after is None else start_after + 1,
        )
        await js.add_consumer(stream, config)
        self.sub = await js.pull_subscribe_bind(self.url.durable, stream)
        self.pending: dict[str, Any] = {}

    def fetch(self, max_batch: int, max_wait_s: float) -> list[Message]:
        import nats.errors

        try:
            msgs = self.loop.run_until_complete(self.sub.fetch(max_batch, timeout=max_wait_s))
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        except Exception as exc:  # noqa: BLE001 - the connection failed
            raise _unavailable(self.url, exc) from exc
        out = []
        for m in msgs:
            seq = int(m.metadata.sequence.stream)
            self.pending[str(seq)] = m
            out.append(Message(str(seq), seq, m.data))
        return out

    def ack(self, messages: list[Message]) -> None:
        async def ack_all() -> None:
            for m in messages:
                await self.pending.pop(m.position).ack()
            await self.nc.flush()

        self.loop.run_until_complete(ack_all())

    def close(self) -> None:
        nc = getattr(self, "nc", None)
        if nc is not None and not self.loop.is_closed():
            try:
                self.loop.run_until_complete(nc.close())
            except Exception:  # noqa: BLE001, S110 - closing a broken connection
                pass
        if not self.loop.is_closed():
            self.loop.close()


# -- Redis Streams --------------------------------------------------------------------------------------------
def _redis_line(entry_id: str) -> int:
    ms, _, seq = entry_id.partition("-")
    return int(ms) * 1_000_000 + int(seq or 0)


class RedisSource(BrokerSource):
    CONSUMER = "intentseg"

    def __init__(self, url: BrokerUrl) -> None:
        try:
            import redis
        except ImportError as exc:
            raise DestinationClientMissing("Redis needs the redis client.", hint='pip install "intentseg[activate]"') from exc
        self.url = url
        self.r: Any = redis.Redis.from_url(url.connect, socket_timeout=30)
        try:
            self.r.xgroup_create(url.name, url.durable, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise _unavailable(url, exc) from exc
        except redis.RedisError as exc:
            raise _unavailable(url, exc) from exc
        self.backlog = True  # read own pending entries first

    def fetch(self, max_batch: int, max_wait_s: float) -> list[Message]:
        import redis

        try:
            if self.backlog:
                got = self.r.xreadgroup(self.url.durable, self.CONSUMER, {self.url.name: "0"}, count=max_batch)
                entries = got[0][1] if got else []
                if entries:
                    return [self._message(i, f) for i, f in entries]
                self.backlog = False
            got = self.r.xreadgroup(self.url.durable, self.CONSUMER, {self.url.name: ">"}, count=max_batch,
                                    block=max(1, int(max_wait_s * 1000)))
        except redis.RedisError as exc:
            raise _unavailable(self.url, exc) from exc
        return [self._message(i, f) for i, f in (got[0][1] if got else [])]

    @staticmethod
    def _message(entry_id: Any, fields: dict[Any, Any]) -> Message:
        eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        data = fields.get(b"data", fields.get("data", b""))
        return Message(eid, _redis_line(eid), data if isinstance(data, bytes) else str(data).encode())

    def ack(self, messages: list[Message]) -> None:
        if messages:
            self.r.xack(self.url.name, self.url.durable, *[m.position for m in messages])

    def close(self) -> None:
        self.r.close()


# -- RabbitMQ ---------------------------------------------------------------------------------------------------
class RabbitSource(BrokerSource):
    def __init__(self, url: BrokerUrl, *, max_batch: int) -> None:
        try:
            import pika
        except ImportError as exc:
            raise DestinationClientMissing("RabbitMQ needs pika.", hint='pip install "intentseg[activate]"') from exc
        self.url = url
        try:
            self.conn = pika.BlockingConnection(pika.URLParameters(url.connect))
            self.ch = self.conn.channel()
            self.ch.queue_declare(url.name, durable=True)
            self.ch.basic_qos(prefetch_count=max_batch)
        except Exception as exc:  # noqa: BLE001 - any connection failure
            raise _unavailable(url, exc) from exc
        self.gen: Any = None
        self.last_tag = 0

    def fetch(self, max_batch: int, max_wait_s: float) -> list[Message]:
        import time

        if self.gen is None:  # one consumer for the whole run; None comes back after max_wait_s of silence
            self.gen = self.ch.consume(self.url.name, inactivity_timeout=max_wait_s)
        out: list[Message] = []
        deadline = time.monotonic() + max_wait_s
        while len(out) < max_batch and time.monotonic() < deadline:
            try:
                method, props, body = next(self.gen)
            except Exception as exc:  # noqa: BLE001 - the connection failed
                raise _unavailable(self.url, exc) from exc
            if method is None:
                break
            position = props.message_id if props and props.message_id else hashlib.sha256(body).hexdigest()[:32]
            out.append(Message(position, _message_line(position), body))
            self.last_tag = method.delivery_tag
        return out

    def applied(self, message: Message, checkpoint_line: int | None) -> bool:
        return False  # a queue has no order to compare with: applying again changes nothing

    def ack(self, messages: list[Message]) -> None:
        if messages:
            self.ch.basic_ack(delivery_tag=self.last_tag, multiple=True)

    def close(self) -> None:
        try:
            self.ch.cancel()
            self.conn.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection
            pass


def open_source(url: BrokerUrl, *, start_after: int | None, max_batch: int, ack_wait_s: float) -> BrokerSource:
    """The broker source for ``url`` (``start_after``: the checkpoint's line, where the broker orders)."""
    if url.scheme == "nats":
        return NatsSource(url, start_after=start_after, max_batch=max_batch, ack_wait_s=ack_wait_s)
    if url.scheme == "redis":
        return RedisSource(url)
    return RabbitSource(url, max_batch=max_batch)
