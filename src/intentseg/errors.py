"""One small exception class per user-facing condition.

Library code raises these; the CLI converts them once, at the edge, into ``Error: <message>`` and the
exit code below. Every message says what went wrong *and* what to do about it.

Exit codes (stable, for schedulers):
    0  ok
    1  internal error (a bug: please report it with ``--debug`` output)
    2  bad input or configuration (files, columns, config keys, model files, options)
    3  warehouse unreachable (server down, wrong password, unknown database, driver not installed)
    4  warehouse query failed (missing table, SQL error inside the warehouse)
    5  another run holds the warehouse's run lock (one run at a time per warehouse): retry later
    6  events not delivered (``intentseg deliver``): a destination failed; they are retried or dead-lettered
"""

from __future__ import annotations


class IntentsegError(Exception):
    """Base class for every error intentseg reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n  Fix: {hint}" if hint else message)


class ConfigError(IntentsegError):
    """A configuration key or value is wrong."""

    exit_code = 2


class InputError(IntentsegError):
    """An input file, option or model file cannot be used."""

    exit_code = 2


class MissingColumnError(InputError):
    """A required column is absent from a file or table."""


class ModelFileError(InputError):
    """A saved model file is unreadable, from an unknown version, or incomplete."""


class WarehouseUnavailable(IntentsegError):
    """The warehouse cannot be reached or refuses the connection."""

    exit_code = 3


class DriverMissing(WarehouseUnavailable):
    """The Python driver for a warehouse URL is not installed."""


class WarehouseQueryError(IntentsegError):
    """The warehouse was reached but a statement failed."""

    exit_code = 4


class TableNotFound(WarehouseQueryError):
    """A table the command needs does not exist in the warehouse."""


class NoUsersError(InputError):
    """There are no users to segment (all sources absent or empty, or the time window is empty)."""


class RunInProgress(IntentsegError):
    """Another intentseg run (or assign) holds the warehouse's run lock: one run at a time per warehouse."""

    exit_code = 5


# -- conditions of the HTTP API (intentseg serve): problems.py maps each class to its HTTP status ------------


class NotFound(InputError):
    """A user, run or segment asked for does not exist."""


class Unauthenticated(InputError):
    """A request to the HTTP API without a valid API key."""


class Forbidden(Unauthenticated):
    """A valid API key that lacks the scope a route needs."""


class TooLarge(InputError):
    """A request body or batch above the configured limit."""


class RateLimited(InputError):
    """An API key sent more requests than its rate allows; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after_s: float = 1.0) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class Unavailable(IntentsegError):
    """The HTTP API cannot answer now (overloaded, or no model loaded yet): retry later."""

    exit_code = 3


# -- activation (intentseg deliver) ------------------------------------------------------------------------


class DeliveryFailed(IntentsegError):
    """Some membership events could not be delivered now: they wait for their next try, or are dead-lettered."""

    exit_code = 6


class DestinationClientMissing(ConfigError):
    """The Python client of a destination (httpx, pika, redis, nats-py) is not installed."""



# -- streaming (intentseg stream) ------------------------------------------------------------------------------


class BrokerUnavailable(IntentsegError):
    """The broker of ``intentseg stream --from`` cannot be reached (down, wrong address, wrong password)."""

    exit_code = 3
