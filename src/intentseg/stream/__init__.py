"""``intentseg stream``: events from a broker (NATS JetStream, Redis Streams, RabbitMQ) applied to the
warehouse in micro-batches: validated like ingest, features and segments of the touched users updated,
membership changes to the outbox, the position checkpointed in the same transaction (docs/stream.md)."""

from .apply import Applier, BatchResult, read_checkpoint, stream_mark
from .brokers import parse_url
from .consume import StreamReport, consume
from .messages import Message

__all__ = ["Applier", "BatchResult", "Message", "StreamReport", "consume", "parse_url", "read_checkpoint", "stream_mark"]
