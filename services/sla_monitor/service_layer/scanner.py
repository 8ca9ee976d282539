"""The timer scanner: fires due warnings and breaches from PostgreSQL, safe with any number of instances.

Each batch is one transaction: `SELECT ... WHERE due_at <= now FOR UPDATE SKIP LOCKED`, decide, write the
timer back and put the event in the outbox. A second instance skips the rows the first holds, and a committed
breach moves `due_at` to NULL, so every breach is emitted exactly once. Timers live only in the database, so a
restarted scanner picks up where the last one stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.sla_monitor.adapters import repository as repo
from services.sla_monitor.domain import timers as tm
from services.sla_monitor.service_layer import emit
from services.sla_monitor.service_layer.config import SlaConfig
from shared.messaging.transient import TRANSIENT_ERRORS, reraise_if_cancelling
from shared.messaging.worker import run_batches
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)


async def scan_once(runtime: ServiceRuntime, cfg: SlaConfig, now: datetime) -> int:
    """Fire one batch of due timers at `now`; returns how many timers were handled."""
    async with runtime.new_uow() as uow:
        due = await repo.claim_due(uow.conn, now, cfg.scan_batch)
        decided = [tm.fire(t, now, cfg.grace) for t in due]
        sequences = iter(await repo.next_sequences(uow.conn, sum(1 for _, a in decided if a)))
        fired: list[tm.Timer] = []
        for t, action in decided:
            if action == "breach":
                sent = await emit.breach(uow, t, actual=None, now=now, sequence=next(sequences))
                t = replace(t, breach_event_id=sent.event_id)
            elif action == "warning":
                await emit.warning(uow, t, sequence=next(sequences))
            fired.append(t)
        await repo.save_fired(uow.conn, fired, cfg.grace)
        await uow.commit()
    return len(due)


async def recompute_provisional(runtime: ServiceRuntime, cfg: SlaConfig) -> int:
    """Recompute open provisional deadlines: the policy or calendar package may now declare their year."""
    changed = 0
    async with runtime.new_uow() as uow:
        for t in await repo.open_provisional(uow.conn):
            rule = cfg.rules.by_id.get(t.rule_id)
            if rule is None:
                continue
            again = tm.reschedule(t, rule, cfg.calendars)
            if again != t:
                await repo.save_timer(uow.conn, again, cfg.grace)
                changed += 1
        await uow.commit()
    if changed:
        log.info("sla_monitor: recomputed %d provisional deadlines", changed)
    return changed


async def run_scanner(runtime: ServiceRuntime, cfg: SlaConfig) -> None:
    """Recompute provisional deadlines, then scan every `scan_every` seconds (at once again after a full batch)."""
    try:
        await recompute_provisional(runtime, cfg)
    except TRANSIENT_ERRORS as exc:
        reraise_if_cancelling(exc)
        log.warning("sla_monitor: provisional recompute failed (%r); scanning anyway", exc)
    async def batch() -> bool:  # a full batch: more may be due at once
        return await scan_once(runtime, cfg, runtime.clock.now()) >= cfg.scan_batch

    await run_batches("sla_monitor: timer scan", batch, cfg.scan_every)


def timer_scanner(runtime: ServiceRuntime) -> Coroutine[Any, Any, None]:
    """ServiceSpec worker: scans with the policy the runtime loaded at start (ServiceSpec.configure)."""
    return run_scanner(runtime, runtime.config)
