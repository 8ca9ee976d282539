"""Fold a ticket's events into its state (RULEBOOK §3); the mutators live in `mutators`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from services.dispatch.domain.mutators import created, mutate
from services.dispatch.domain.state import FINISHED, IN_HANDLING, Appointment, Status, TicketState
from shared.events.catalog import TicketCreated

__all__ = ["FINISHED", "IN_HANDLING", "Appointment", "Recorded", "Status", "TicketState", "evolve", "fold"]


class Recorded(Protocol):
    """Anything carrying a payload and its field time, e.g. an `Envelope`."""

    @property
    def payload(self) -> Any: ...

    @property
    def occurred_at(self) -> datetime: ...


def fold(events: Iterable[Recorded]) -> TicketState:
    """Rebuild a ticket from its events in stream order; the first must be `TicketCreated`."""
    state: TicketState | None = None
    for recorded in events:
        state = evolve(state, recorded.payload, recorded.occurred_at)
    if state is None:
        raise ValueError("a ticket needs at least its TicketCreated event")
    return state


def evolve(state: TicketState | None, event: object, at: datetime) -> TicketState:
    """Apply one event that happened at field time `at`."""
    if state is None:
        if not isinstance(event, TicketCreated):
            raise ValueError(f"a ticket starts with TicketCreated, not {type(event).__name__}")
        return created(event, at)
    after = mutate(event, state, at)
    return replace(after, version=state.version + 1, last_event_at=max(state.last_event_at, at))
