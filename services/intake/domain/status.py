"""Intake's view of where a ticket stands (RULEBOOK §3), from the lifecycle events dispatch publishes."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

#: Statuses after which a ticket is no longer open (GX-5.3.1 "while the first is open").
FINISHED = frozenset({"closed", "archived"})

_AFTER: dict[str, str] = {
    "TicketDispatched": "dispatched",
    "TicketRedispatched": "dispatched",
    "TicketAccepted": "accepted",
    "ContactEstablished": "contact-established",
    "AppointmentBooked": "appointment-booked",
    "AppointmentRebooked": "appointment-booked",
    "AppointmentMissed": "contact-established",
    "ArrivedOnSite": "on-site",
    "Resolved": "resolved",
    "TicketReopened": "reopened",
    "TicketEscalated": "escalated",
    "EscalationDecided": "closed",
    "TicketArchived": "archived",
    "ResolvedAtFirstContact": "closed",
}
TRACKED = frozenset({*_AFTER, "TicketPaused", "TicketResumed", "CallbackDone"})

Status = tuple[str, str | None]  # (status, the status a pause came from)
K = TypeVar("K", bound=Hashable)


def next_status(status: str, paused_from: str | None, event_type: str, payload: Any) -> Status:
    """(status, paused_from) after one event; events that do not move the ticket leave it."""
    if event_type == "TicketPaused":
        return "paused", status
    if event_type == "TicketResumed":
        return paused_from or "dispatched", None
    if event_type == "CallbackDone":
        reached_ok = payload.reached and payload.satisfied is not False
        return ("called-back" if reached_ok else status), paused_from
    return _AFTER.get(event_type, status), paused_from


def follow(statuses: Mapping[K, Status], events: Iterable[tuple[K, str, Any]]) -> dict[K, Status]:
    """Every ticket's (status, paused_from) after its (ticket, event type, payload) events, in their order; an event
    of a ticket not in `statuses` (one intake never logged) is left out."""
    now = dict(statuses)
    for ticket, event_type, payload in events:
        if ticket in now:
            now[ticket] = next_status(*now[ticket], event_type, payload)
    return now
