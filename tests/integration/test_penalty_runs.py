"""Issue 13: penalty applies a consumed batch as runs of consecutive events (ticket events kept a stretch at a time,
SLA outcomes a run at a time, breaches without a tier assessed at once). The ledger and the scorecards' timers come
out exactly as when every event is a batch of its own, and a redelivered batch changes nothing. The batches go
straight to a consumer with penalty's real handlers, inbox and transaction, so each is applied as one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord, TopicPartition
from sqlalchemy import select

from services.penalty.adapters.tables import kpi as K
from shared.events import Envelope, encode, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.lifecycle import ReplyIncomplete, TicketDispatched, TicketRedispatched
from shared.events.sla import SlaBreachClosed, SlaBreached, SlaBreachRetracted, SlaMet
from shared.events.topics import TOPICS
from shared.messaging.consumer import EventConsumer
from tests.integration.test_penalty_ledger import entries, sla, timer
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
H = timedelta(hours=1)
T0 = datetime(2034, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, March 2034: no other test's month


def consumer(stack: Stack) -> EventConsumer:
    rt = stack.runtime("penalty")
    return EventConsumer(group_id=f"test-runs-{uuid.uuid4().hex[:8]}", topics=[TOPICS.tickets, TOPICS.sla],
                         bootstrap="unused", handlers=rt.spec.handlers, new_uow=rt.new_uow, metrics=rt.metrics)


async def apply(c: EventConsumer, topic: str, envelopes: list[Envelope], one_by_one: bool) -> None:
    records = []
    for offset, env in enumerate(envelopes):
        value = encode(env)
        records.append(ConsumerRecord(topic, 0, offset, 0, 0, str(env.ticket_id).encode(), value, None, 0,
                                      len(value), ()))
    for batch in ([[r] for r in records] if one_by_one else [records]):
        await c.apply({TopicPartition(topic, 0): batch})


def lifecycle(tid: uuid.UUID) -> list[Envelope]:
    """Dispatched to A, an incomplete reply (TT-8.3, no department of its own), then redispatched to B: the fine
    is A's and A's technician's, the ticket's facts when the reply was made."""
    acts: list[Any] = [
        TicketCreated(ticket_id=tid, number="2034-KF-000001", kind="fault", description="断线", created_by="ivr",
                      customer=Customer(name="n", phone="13812345678", address="a", account="ACC-1")),
        TicketDispatched(ticket_id=tid, actor="desk-1", role="dispatcher", department="runs-a", technician="tech-a"),
        ReplyIncomplete(ticket_id=tid, actor="tech-a", role="technician", rule_id="TT-8.3", round=1,
                        department=None, missing=["restore-time"]),
        TicketRedispatched(ticket_id=tid, actor="desk-1", role="dispatcher", department="runs-b",
                           technician="tech-b", previous_department="runs-a", previous_technician="tech-a",
                           previous_dispatched_by="desk-1", reason="handover", wrong_dispatch=False),
    ]
    return [new_envelope(p, ticket_id=tid, sequence=i, occurred_at=T0 + i * timedelta(minutes=10),
                         recorded_at=T0 + i * timedelta(minutes=10), producer="dispatch")
            for i, p in enumerate(acts, 1)]


def outcomes(tid: uuid.UUID) -> list[Envelope]:
    """Round 1 of the repair timer breached (2 started hours) then closed 5 h late; the contact timer met; round 2
    breached, then retracted."""
    deadline = T0 + 22 * H

    def repair(rnd: int) -> dict[str, Any]:
        return timer(tid, deadline) | {"round": rnd, "department": "runs-b", "person": "tech-b", "paused_seconds": 0}

    first = sla(SlaBreached(**repair(1), actual=None, still_open_at=deadline + H, overdue_minutes=62,
                            overdue_hours=2, overdue_days=1), tid, deadline, 1)
    second = sla(SlaBreached(**repair(2), actual=None, still_open_at=deadline + H, overdue_minutes=62,
                             overdue_hours=2, overdue_days=1), tid, deadline, 2)
    return [
        first,
        sla(SlaMet(**timer(tid, T0 + H / 2, "TT-contact-30m"), actual=T0 + 20 * timedelta(minutes=1)), tid, T0, 3),
        second,
        sla(SlaBreachClosed(**repair(1), breach_event_id=first.event_id, actual=deadline + 5 * H,
                            overdue_minutes=300, overdue_hours=5, overdue_days=1), tid, deadline + 5 * H, 4),
        sla(SlaBreachRetracted(**repair(2), breach_event_id=second.event_id, actual=deadline - H), tid, deadline, 5),
    ]


async def ledger_of(stack: Stack, tid: uuid.UUID) -> list[tuple]:
    found = await entries(stack, tid) or []
    return sorted((e["clause"], e["kind"], e["amount_fen"], e["payer"]["id"], e["person"], e["month"]) for e in found)


async def timers_of(stack: Stack, tid: uuid.UUID) -> list[tuple]:
    t = K.timers
    async with stack.runtime("penalty").engine.connect() as conn:
        rows = await conn.execute(select(t).where(t.c.ticket_id == tid))
        return sorted((r.rule_id, r.round, r.outcome, r.actual, len(r.event_ids)) for r in rows)


async def test_a_batch_applied_as_runs_gives_the_ledger_and_timers_of_one_event_at_a_time(stack: Stack) -> None:
    batched, single = uuid.uuid4(), uuid.uuid4()
    c = consumer(stack)
    events = {tid: (lifecycle(tid), outcomes(tid)) for tid in (batched, single)}
    for tid, one_by_one in ((batched, False), (single, True)):
        await apply(c, TOPICS.tickets, events[tid][0], one_by_one)
        await apply(c, TOPICS.sla, events[tid][1], one_by_one)

    deadline = T0 + 22 * H
    assert await ledger_of(stack, batched) == sorted([
        ("TT-8.3", "assessment", 2000, "runs-a", "tech-a", "2034-03"),  # A's, though the run ends at B
        ("TT-9.12", "assessment", 1600, "runs-b", "tech-b", "2034-03"),  # round 1: 2 started hours × 800
        ("TT-9.3", "assessment", 3000, "runs-b", "tech-b", "2034-03"),
        ("TT-9.12", "adjustment", 2400, "runs-b", "tech-b", "2034-03"),  # closed 5 h late: 3 more hours
        ("TT-9.12", "assessment", 1600, "runs-b", "tech-b", "2034-03"),  # round 2, then retracted
        ("TT-9.3", "assessment", 3000, "runs-b", "tech-b", "2034-03"),
        ("TT-9.12", "reversal", -1600, "runs-b", "tech-b", "2034-03"),
        ("TT-9.3", "reversal", -3000, "runs-b", "tech-b", "2034-03"),
    ])
    assert await ledger_of(stack, single) == await ledger_of(stack, batched)
    assert await timers_of(stack, batched) == [
        ("TT-contact-30m", 1, "met", T0 + 20 * timedelta(minutes=1), 1),
        ("TT-repair-22h", 1, "late", deadline + 5 * H, 2),  # breach, then its close
        ("TT-repair-22h", 2, "met", deadline - H, 2),  # breach, then its retraction
    ]
    assert await timers_of(stack, single) == await timers_of(stack, batched)

    # The same batches delivered again: the inbox skips every event, nothing moves
    before = (await ledger_of(stack, batched), await timers_of(stack, batched))
    await apply(c, TOPICS.tickets, events[batched][0], one_by_one=False)
    await apply(c, TOPICS.sla, events[batched][1], one_by_one=False)
    assert (await ledger_of(stack, batched), await timers_of(stack, batched)) == before
