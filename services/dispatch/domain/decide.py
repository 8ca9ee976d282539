"""`decide(state, command, now) -> events`: the pure core of ticket handling (RULEBOOK §3)."""

from __future__ import annotations

from datetime import datetime

from services.dispatch.domain import commands as c
from services.dispatch.domain.errors import CommandRefused
from services.dispatch.domain.handle_aftercare import AFTERCARE_RULES
from services.dispatch.domain.handle_work import WORK_RULES
from services.dispatch.domain.rules import ALLOWED
from services.dispatch.domain.state import TicketState
from shared.events.catalog import Payload

__all__ = ["CommandRefused", "decide", "field_time"]

RULES = {**WORK_RULES, **AFTERCARE_RULES}


def field_time(state: TicketState, command: c.Command, now: datetime) -> datetime:
    """When the act happened: `occurred_at` (not in the future, not before the previous event) or now."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    at = command.occurred_at
    if at is None:
        return now
    if at > now:
        reason = f"occurred_at {at.isoformat()} is in the future (now {now.isoformat()})"
        raise CommandRefused(state.status, reason)
    if at < state.last_event_at:
        raise CommandRefused(
            state.status,
            f"occurred_at {at.isoformat()} is before the ticket's previous event at "
            f"{state.last_event_at.isoformat()}",
        )
    return at


def decide(state: TicketState, command: c.Command, now: datetime) -> list[Payload]:
    """Events the command produces on this ticket; `CommandRefused` when the transition is not allowed."""
    rule = RULES.get(type(command))
    if rule is None:
        raise TypeError(f"not a ticket command: {type(command).__name__}")
    allowed = ALLOWED[type(command)]
    if state.status not in allowed:
        wanted = ", ".join(sorted(s.value for s in allowed))
        raise CommandRefused(
            state.status,
            f"{type(command).__name__} is not allowed when the ticket is {state.status.value} "
            f"(allowed in: {wanted})",
        )
    return rule(state, command, field_time(state, command, now))
