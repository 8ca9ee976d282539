"""The payment limit as a tracked timer (CT-3.4 / CT-4.6: paid within 7 natural days of completion).

Every payable claim carries `payment_due_at` (completion + the scheme's `payment.within`); `GET /payments/overdue`
shows the ones at risk (inside `at_risk_before`) and past it as of now. This worker makes the miss a fact: once a
payable, unpaid claim's limit has passed it records one `payment_breaches` row (exactly once per claim, whatever the
number of instances: `INSERT … ON CONFLICT DO NOTHING RETURNING`) and publishes CompensationPaymentMissed with it.
A breach stays on record when the claim is paid afterwards (closed `paid-late`) or stops being payable (`exempt`,
`void`); `GET /payments/breaches` lists them."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert

from services.compensation.adapters import repository as repo
from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import tracking
from services.compensation.domain.claims import DUE
from shared.events.compensation import CompensationPaymentMissed
from shared.messaging.worker import run_batches
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)
EVERY = 1.0
BATCH = 500


async def scan_payment_limits(runtime: ServiceRuntime, now: datetime, batch: int = BATCH) -> int:
    """Record (and announce) the payment limits that passed by `now`, close the breaches settled since; returns
    how many new breaches were recorded."""
    c, b = T.claims, tracking.payment_breaches
    async with runtime.new_uow() as uow:
        rows = (await uow.conn.execute(
            select(c).where(c.c.status == DUE, c.c.payout_state.is_distinct_from("paid"), c.c.payment_due_at < now,
                            c.c.claim_id.not_in(select(b.c.claim_id)))
            .order_by(c.c.payment_due_at).limit(batch).with_for_update(of=c, skip_locked=True))).mappings().all()
        recorded = 0
        for row in rows:
            new = (await uow.conn.execute(insert(b).values(
                claim_id=row["claim_id"], ticket_id=row["ticket_id"], scheme=row["scheme"],
                payment_due_at=row["payment_due_at"], detected_at=now, amount=row["amount"])
                .on_conflict_do_nothing().returning(b.c.claim_id))).first()
            if new is None:
                continue
            recorded += 1
            payload = CompensationPaymentMissed(
                ticket_id=row["ticket_id"], claim_id=row["claim_id"], scheme=row["scheme"], promise=row["promise"],
                clause=row["clause"], amount=row["amount"], currency=row["currency"], unit=row["unit"],
                payment_due_at=row["payment_due_at"], detected_at=now)
            uow.emit([payload], stream=row["ticket_id"], first_sequence=await repo.next_sequence(uow.conn),
                     occurred_at=row["payment_due_at"])
        settled = select(c.c.claim_id).where(c.c.claim_id == b.c.claim_id,
                                             (c.c.payout_state == "paid") | (c.c.status != DUE))
        how = select(case((c.c.payout_state == "paid", "paid-late"), else_=c.c.status)).where(
            c.c.claim_id == b.c.claim_id).scalar_subquery()
        await uow.conn.execute(update(b).where(b.c.closed_at.is_(None), settled.exists())
                               .values(closed_at=now, closed_how=how))
        await uow.commit()
    if recorded:
        log.warning("compensation: %d claim(s) missed their payment limit (CT-3.4)", recorded)
    return recorded


async def run_payment_deadlines(runtime: ServiceRuntime) -> None:
    async def batch() -> bool:
        return await scan_payment_limits(runtime, runtime.clock.now()) >= BATCH

    await run_batches("compensation: payment-limit scan", batch, EVERY)


def payment_deadlines(runtime: ServiceRuntime) -> Coroutine[Any, Any, None]:
    """ServiceSpec worker: the CT-3.4 payment limits as breaches ops can list."""
    return run_payment_deadlines(runtime)
