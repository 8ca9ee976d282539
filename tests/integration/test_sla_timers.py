"""SLA timers driven by lifecycle events through the real broker, fired on the shared controllable clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared.events.lifecycle import (
    Classification,
    ContactEstablished,
    Resolved,
    TicketDispatched,
    TicketPaused,
    TicketReclassified,
    TicketReopened,
    TicketResumed,
)
from shared.events.vocabulary import PauseReason, Product, Role, Segment
from tests.support.sla import created, envelope, publish, sla_events, timers, types
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
MIN = timedelta(minutes=1)


def dispatched(tid: uuid.UUID) -> TicketDispatched:
    return TicketDispatched(ticket_id=tid, actor="desk-1", role=Role.dispatcher, department="jianghan-maint",
                            technician="wang-wei")


def by_rule(rows: list[dict]) -> dict[str, dict]:
    return {r["rule_id"]: r for r in rows}


async def has_timers(stack: Stack, tid: uuid.UUID, *rules: str) -> dict[str, dict] | None:
    found = by_rule(await timers(stack, tid))
    return found if set(rules) <= set(found) else None


async def sla_types(stack: Stack, tid: uuid.UUID, *wanted: str) -> list | None:
    events = await sla_events(stack, tid)
    return events if all(w in types(events) for w in wanted) else None


async def test_warning_breach_and_late_close_reach_kafka_with_the_breach_facts(stack: Stack) -> None:
    tid, t0 = uuid.uuid4(), stack.clock.now()
    await publish(stack, envelope(created(tid), tid, t0), envelope(dispatched(tid), tid, t0))
    found = await eventually(lambda: has_timers(stack, tid, "TT-contact-30m", "TT-repair-22h"))
    assert found["TT-contact-30m"]["deadline"] == (t0 + 30 * MIN).isoformat()
    assert found["TT-repair-22h"]["state"] == "running"

    stack.clock.advance(25 * MIN)  # past 80% of 30 min (TT-9.2)
    await eventually(lambda: sla_types(stack, tid, "SlaWarning"), timeout=15)
    stack.clock.advance(8 * MIN)  # deadline 30 min + 2 min grace passed
    events = await eventually(lambda: sla_types(stack, tid, "SlaBreached"), timeout=15)
    breach = next(e for e in events if e.type == "SlaBreached").payload
    assert (breach.rule_id, breach.department, breach.person) == ("TT-contact-30m", "jianghan-maint", "wang-wei")
    assert breach.start == t0 and breach.deadline == t0 + 30 * MIN and breach.actual is None
    assert (breach.calendar, breach.provisional, breach.paused_seconds) == ("natural", False, 0)
    assert breach.overdue_minutes == 3 and breach.overdue_hours == 1

    contact = ContactEstablished(ticket_id=tid, actor="wang-wei", role=Role.technician)
    await publish(stack, envelope(contact, tid, t0 + 40 * MIN))
    events = await eventually(lambda: sla_types(stack, tid, "SlaBreachClosed"), timeout=15)
    closed = next(e for e in events if e.type == "SlaBreachClosed").payload
    assert closed.overdue_minutes == 10 and closed.breach_event_id == next(
        e.event_id for e in events if e.type == "SlaBreached")
    assert types(events).count("SlaBreached") == 1


async def test_resolve_in_time_is_met_and_starts_the_callback_timer_then_reopen_opens_round_two(
    stack: Stack,
) -> None:
    tid, t0 = uuid.uuid4(), stack.clock.now()
    await publish(stack, envelope(created(tid), tid, t0), envelope(dispatched(tid), tid, t0))
    await eventually(lambda: has_timers(stack, tid, "TT-repair-22h"))
    resolved = Resolved(ticket_id=tid, actor="wang-wei", role=Role.technician, round=1, department="jianghan-maint")
    reopened = TicketReopened(ticket_id=tid, actor="cs-1", role=Role.agent, round=2, department="jianghan-maint",
                              reason="still down")
    await publish(stack, envelope(resolved, tid, t0 + 2 * MIN), envelope(reopened, tid, t0 + 3 * MIN))

    async def two_rounds():
        rows = await timers(stack, tid)
        return rows if len([r for r in rows if r["round"] == 2]) == 2 else None

    rows = await eventually(two_rounds)
    first = {r["rule_id"]: r for r in rows if r["round"] == 1}
    assert first["TT-repair-22h"]["state"] == "met"  # earlier rounds keep their outcome
    assert first["TT-callback-1h"]["department"] == "customer-service"  # RULEBOOK §9.3
    second = {r["rule_id"]: r for r in rows if r["round"] == 2}
    assert second["TT-repair-22h"]["start"] == (t0 + 3 * MIN).isoformat()
    assert second["TT-repair-22h"]["state"] == "running"
    assert "SlaMet" in types(await eventually(lambda: sla_types(stack, tid, "SlaMet")))


async def test_pause_moves_the_deadline_and_reclassification_rematches_rules(stack: Stack) -> None:
    tid, t0 = uuid.uuid4(), stack.clock.now()
    await publish(stack, envelope(created(tid), tid, t0), envelope(dispatched(tid), tid, t0),
                  envelope(TicketPaused(ticket_id=tid, actor="wang-wei", role=Role.technician,
                                        reason=PauseReason.customer_not_home), tid, t0 + 60 * MIN))

    async def paused():
        found = await has_timers(stack, tid, "TT-repair-22h")
        return found if found and found["TT-repair-22h"]["paused"] else None

    found = await eventually(paused)
    assert found["TT-repair-22h"]["state"] == "paused"
    assert found["TT-contact-30m"]["paused"] is False  # TT-9.2 has no pause policy
    resumed = TicketResumed(ticket_id=tid, actor="wang-wei", role=Role.technician, paused_seconds=7200)
    change = TicketReclassified(ticket_id=tid, actor="desk-1", role=Role.dispatcher, before=Classification(),
                                after=Classification(product=Product.ftth_broadband), reason="is FTTH")
    await publish(stack, envelope(resumed, tid, t0 + 180 * MIN), envelope(change, tid, t0 + 181 * MIN))

    found = await eventually(lambda: has_timers(stack, tid, "CT-sameday-repair"))
    repair = found["TT-repair-22h"]
    assert repair["deadline"] == (t0 + 24 * 60 * MIN).isoformat() and repair["paused_seconds"] == 7200
    assert found["CT-sameday-repair"]["start"] == t0.isoformat()  # newly matching rule starts at its start event

    vip = TicketReclassified(ticket_id=tid, actor="desk-1", role=Role.dispatcher, before=Classification(),
                             after=Classification(segment=Segment.government_enterprise), reason="key account")
    await publish(stack, envelope(vip, tid, t0 + 182 * MIN))

    async def cancelled():
        found = await has_timers(stack, tid, "CT-sameday-repair")
        return found if found and found["CT-sameday-repair"]["state"] == "cancelled" else None

    found = await eventually(cancelled)  # CT-2.2: government-enterprise is not eligible
    assert found["TT-repair-22h"]["deadline"] == repair["deadline"]  # unaffected timers keep their pauses
