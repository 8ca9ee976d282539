"""Intake's view of where a ticket stands (RULEBOOK §3), from the lifecycle events dispatch publishes."""

from __future__ import annotations

from typing import Any

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


def next_status(status: str, paused_from: str | None, event_type: str, payload: Any) -> tuple[str, str | None]:
    """(status, paused_from) after one event; events that do not move the ticket leave it."""
    if event_type == "TicketPaused":
        return "paused", status
    if event_type == "TicketResumed":
        return paused_from or "dispatched", None
    if event_type == "CallbackDone":
        reached_ok = payload.reached and payload.satisfied is not False
        return ("called-back" if reached_ok else status), paused_from
    return _AFTER.get(event_type, status), paused_from
