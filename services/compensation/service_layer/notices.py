"""Delivering customer notices (CT-4.6): the notice-delivery worker.

A notice is queued `pending` in the same transaction that makes its claim payable (service_layer/claims.py). This
worker takes one pending notice at a time (`FOR UPDATE SKIP LOCKED`: any number of instances, each notice handled
by one), sends it through the configured notifier with quick retries (tenacity: `TRIES` tries, exponential
backoff) and records the round in `notification_attempts`:

- delivered: `sent` (channel, gateway reference, sent_at);
- refused by the gateway (a 4xx other than 408/425/429): `failed` at once;
- still failing transiently: stays `pending` and is tried again `ROUND_EVERY` later, `failed` after `MAX_ROUNDS`;
- its claim no longer payable (exempted, voided) before it went out: `suppressed`, nothing sent.

A notice's row lock is held while it is sent, so a crash after the gateway accepted it and before the commit sends
it again on the next round: at least once, with the notice id as the gateway's idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from services.compensation.adapters.notifier import Notice, Notifier, send_with_retries
from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import tracking
from services.compensation.domain.claims import DUE
from shared.messaging.worker import run_batches
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)
TRIES = 3  # quick tries per round
ROUND_EVERY = timedelta(seconds=30)  # between rounds of a notice that keeps failing transiently
MAX_ROUNDS = 5
IDLE = 1.0  # seconds between looks when nothing is pending


async def deliver_one(runtime: ServiceRuntime, notifier: Notifier, *, tries: int = TRIES, wait_min: float = 0.5,
                      wait_max: float = 4.0) -> str | None:
    """Deliver the oldest pending notice that is due a round; returns its new status, None when there is none."""
    n, a, c = T.notifications, tracking.attempts, T.claims
    now = runtime.clock.now()
    last_round = select(func.max(a.c.at)).where(a.c.notification_id == n.c.notification_id).scalar_subquery()
    async with runtime.new_uow() as uow:
        row = (await uow.conn.execute(
            select(n, c.c.status.label("claim_status"))
            .join(c, c.c.claim_id == n.c.claim_id)
            .where(n.c.status == "pending", or_(n.c.attempts == 0, last_round <= now - ROUND_EVERY))
            .order_by(n.c.created_at).limit(1).with_for_update(of=n, skip_locked=True))).mappings().first()
        if row is None:
            return None
        if row["claim_status"] != DUE:
            await uow.conn.execute(update(n).where(n.c.notification_id == row["notification_id"]).values(
                status="suppressed", suppressed=True,
                last_error=f"not sent: the claim is now {row['claim_status']}"))
            await uow.commit()
            return "suppressed"
        rounds = (await uow.conn.execute(select(func.count()).where(
            a.c.notification_id == row["notification_id"]))).scalar_one() + 1
        notice = Notice(row["notification_id"], row["phone"], row["language"], row["message"])
        result = await send_with_retries(notifier, notice, tries=tries, wait_min=wait_min, wait_max=wait_max)
        done_at: datetime = runtime.clock.now()
        if result.delivery is not None:
            status, outcome = "sent", "sent"
        elif result.permanent or rounds >= MAX_ROUNDS:
            status, outcome = "failed", "failed"
        else:
            status, outcome = "pending", "retry"
        await uow.conn.execute(update(n).where(n.c.notification_id == row["notification_id"]).values(
            status=status, channel=notifier.channel, attempts=n.c.attempts + result.tries, last_error=result.error,
            sent_at=done_at if status == "sent" else None))
        await uow.conn.execute(a.insert().values(
            notification_id=row["notification_id"], round=rounds, tries=result.tries, channel=notifier.channel,
            outcome=outcome, reference=result.delivery.reference if result.delivery else None,
            error=result.error, at=done_at))
        await uow.commit()
    if status == "failed":
        log.warning("compensation: notice %s to %s failed after %d round(s): %s", row["notification_id"],
                    row["phone"], rounds, result.error)
    return status


async def deliver_pending(runtime: ServiceRuntime, notifier: Notifier, limit: int = 100, **retry: Any) -> int:
    """Deliver up to `limit` notices, one transaction each; returns how many were handled."""
    handled = 0
    while handled < limit and await deliver_one(runtime, notifier, **retry) is not None:
        handled += 1
    return handled


async def run_delivery(runtime: ServiceRuntime) -> None:
    notifier = runtime.config.notifier

    async def batch() -> bool:
        return bool(await deliver_pending(runtime, notifier))

    await run_batches("compensation: notice delivery", batch, IDLE)


def notice_delivery(runtime: ServiceRuntime) -> Coroutine[Any, Any, None]:
    """ServiceSpec worker: sends pending notices through the notifier the runtime configured."""
    return run_delivery(runtime)
