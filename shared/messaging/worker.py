"""The loop of a background worker (timer scanner, notice delivery, payment limits): do a batch, rest when there is
nothing left, keep going through transient failures (said once per failure, retried) and bugs on one batch (logged
with their trace, retried after a pause) — a bad row must not stop every other timer or notice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.messaging.transient import TRANSIENT_ERRORS, reraise_if_cancelling

log = logging.getLogger(__name__)
AFTER_A_BUG = 5.0  # seconds


async def run_batches(name: str, batch: Callable[[], Awaitable[bool]], rest: float) -> None:
    """Call `batch` forever; it returns True when it left more to do (then it runs again at once)."""
    while True:
        try:
            more = await batch()
        except TRANSIENT_ERRORS as exc:
            reraise_if_cancelling(exc)
            log.warning("%s failed (%r); retrying", name, exc)
            more = False
        except Exception as exc:  # noqa: BLE001 - logged with its trace; the worker goes on
            reraise_if_cancelling(exc)
            log.exception("%s failed; retrying in %.0f s", name, AFTER_A_BUG)
            await asyncio.sleep(AFTER_A_BUG)
            continue
        if not more:
            await asyncio.sleep(rest)
