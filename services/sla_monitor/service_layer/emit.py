"""Turn timer decisions into SLA events in the outbox (same transaction as the timer row)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.sla_monitor.adapters.repository import next_sequence
from services.sla_monitor.domain.timers import Timer, overdue
from shared.events import Envelope
from shared.events.catalog import Payload
from shared.events.sla import (
    SlaBreachClosed,
    SlaBreached,
    SlaBreachRetracted,
    SlaMet,
    SlaWarning,
    TicketDueChanged,
)
from shared.messaging.unit_of_work import UnitOfWork


def _common(t: Timer, at: datetime) -> dict[str, Any]:
    return {
        "rule_id": t.rule_id, "ticket_id": t.ticket_id, "round": t.round, "department": t.department,
        "person": t.person, "start": t.start_at, "deadline": t.deadline, "calendar": t.calendar,
        "paused_seconds": int(t.paused_total(at).total_seconds()), "provisional": t.provisional,
    }


def _overdue(t: Timer, at: datetime) -> dict[str, int]:
    late = overdue(t, at)
    return {"overdue_minutes": late.minutes, "overdue_hours": late.hours, "overdue_days": late.days}


async def _publish(uow: UnitOfWork, payload: Payload, t: Timer, occurred_at: datetime,
                   cause: Envelope | None, sequence: int | None = None) -> Envelope:
    sequence = sequence or await next_sequence(uow.conn)
    [envelope] = uow.emit([payload], stream=t.ticket_id, first_sequence=sequence, occurred_at=occurred_at,
                          cause=cause)
    return envelope


async def warning(uow: UnitOfWork, t: Timer, sequence: int | None = None) -> None:
    """SlaWarning: the warning fraction of the allowance is used (RULEBOOK §4, default 80%)."""
    await _publish(uow, SlaWarning(**_common(t, t.warning_at), warning_at=t.warning_at), t, t.warning_at, None,
                   sequence)


async def breach(uow: UnitOfWork, t: Timer, *, actual: datetime | None, now: datetime,
                 cause: Envelope | None = None, sequence: int | None = None) -> Envelope:
    """SlaBreached, once per timer: `actual` when the stop itself came late, else still open at `now`."""
    at = actual or now
    payload = SlaBreached(**_common(t, at), actual=actual, still_open_at=None if actual else now,
                          **_overdue(t, at))
    return await _publish(uow, payload, t, t.deadline, cause, sequence)


async def met(uow: UnitOfWork, t: Timer, at: datetime, cause: Envelope, sequence: int | None = None) -> None:
    """SlaMet: stopped at or before the deadline."""
    await _publish(uow, SlaMet(**_common(t, at), actual=at), t, at, cause, sequence)


async def closed_late(uow: UnitOfWork, t: Timer, at: datetime, cause: Envelope,
                      sequence: int | None = None) -> None:
    """SlaBreachClosed: the final overdue amount of a breached timer (per-hour/per-day penalties, §9.2)."""
    await _publish(uow, SlaBreachClosed(**_common(t, at), breach_event_id=t.breach_event_id, actual=at,
                                        **_overdue(t, at)), t, at, cause, sequence)


async def retracted(uow: UnitOfWork, t: Timer, at: datetime, cause: Envelope, sequence: int | None = None) -> None:
    """SlaBreachRetracted: the breach fired, but the late-arriving stop happened in time."""
    assert t.breach_event_id is not None
    await _publish(uow, SlaBreachRetracted(**_common(t, at), breach_event_id=t.breach_event_id, actual=at),
                   t, uow.now(), cause, sequence)


async def due_changed(uow: UnitOfWork, ticket_id: uuid.UUID, round_: int, due: Timer | None,
                      cause: Envelope, sequence: int | None = None) -> None:
    """TicketDueChanged: the earliest running deadline of the ticket is another one now."""
    payload = TicketDueChanged(ticket_id=ticket_id, round=round_, due_at=due.deadline if due else None,
                               rule_id=due.rule_id if due else None)
    uow.emit([payload], stream=ticket_id, first_sequence=sequence or await next_sequence(uow.conn),
             occurred_at=cause.occurred_at, cause=cause)
