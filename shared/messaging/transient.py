"""Which failures are worth retrying (the broker or the database is briefly away) and which are not.

A consumer retries a transient failure with backoff and never drops the event; a permanent one (bad data, a
constraint, a handler bug on one event) is parked after a bounded number of attempts so the partition moves on.
"""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# Broad net for infrastructure loops (relay, topic creation, watchdog); consumers use `is_transient`.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (KafkaError, OSError, DBAPIError, TimeoutError)

# SQLSTATE classes/codes that say "try again": connection (08), resources (53), operator intervention such as a
# restarting server (57), system error (58), serialization failure, deadlock, lock not available.
_RETRY_CLASSES = {"08", "53", "57", "58"}
_RETRY_CODES = {"40001", "40P01", "55P03"}


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE behind an error, looking through SQLAlchemy's and the driver's wrappers."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(code, str) and len(code) == 5:
            return code
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, KafkaError | OSError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = sqlstate(exc)
        if code is not None:
            return code[:2] in _RETRY_CLASSES or code in _RETRY_CODES
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc, OperationalError | InterfaceError) or isinstance(cause, OSError | TimeoutError)
    return False


def describe_failure(exc: BaseException) -> str:
    """One line for logs, readiness and parked events: the driver's message and SQLSTATE, not the statement."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        code = sqlstate(exc)
        message = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
        return f"{type(exc).__name__} [{code or 'no sqlstate'}]: {message}"
    return f"{type(exc).__name__}: {exc}"


def reraise_if_cancelling(exc: BaseException) -> None:
    """Raise a cancellation when the running task is being cancelled. Some client code turns the CancelledError
    that reaches it mid-call into an error of its own (a KafkaError or OSError, say): a loop that retries such
    errors would then never end, and whoever awaits its cancellation (shutdown) would wait forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc
