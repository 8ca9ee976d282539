"""The ticket state model: statuses of RULEBOOK §3 and what decide needs to know."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from shared.events.vocabulary import (
    AreaType,
    Channel,
    ComplaintClass,
    PauseReason,
    Priority,
    Product,
    SameDay,
    Segment,
    TicketKind,
)


class Status(str, Enum):
    """Where a ticket stands in the RULEBOOK §3 diagram; returned with every 409."""

    received = "received"
    dispatched = "dispatched"
    accepted = "accepted"
    contact_established = "contact-established"
    appointment_booked = "appointment-booked"
    on_site = "on-site"
    paused = "paused"
    resolved = "resolved"
    reopened = "reopened"
    called_back = "called-back"
    escalated = "escalated"
    closed = "closed"
    archived = "archived"


#: Statuses in which the handler is working the ticket (pause, delay report, redispatch apply).
IN_HANDLING = frozenset(
    {
        Status.dispatched,
        Status.accepted,
        Status.contact_established,
        Status.appointment_booked,
        Status.on_site,
        Status.reopened,
    }
)
#: Statuses after which nothing about the handling may change.
FINISHED = frozenset({Status.closed, Status.archived})


@dataclass(frozen=True)
class Appointment:
    """An agreed visit window (预约)."""

    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        """Inclusive at both ends (RULEBOOK §9.1)."""
        return self.start <= at <= self.end


@dataclass(frozen=True)
class TicketState:
    """Everything `decide` needs to know about one ticket; round-scoped fields reset on reopen."""

    ticket_id: uuid.UUID
    number: str
    kind: TicketKind
    created_at: datetime
    last_event_at: datetime
    status: Status = Status.received
    version: int = 1
    round: int = 1
    channel: Channel | None = None
    complaint_class: ComplaintClass | None = None
    priority: Priority | None = None
    segment: Segment | None = None
    product: Product | None = None
    area_type: AreaType | None = None
    same_day: SameDay | None = None
    account: str | None = None
    address: str | None = None
    department: str | None = None
    technician: str | None = None
    dispatched_by: str | None = None
    due_at: datetime | None = None
    appointment: Appointment | None = None
    missed_appointments: int = 0
    arrived: bool = False
    visited_window: Appointment | None = None  # the window the technician arrived in (no-show, §9.16)
    desk_notified: bool = False
    work_completed: bool = False
    result_entered: bool = False
    paused_from: Status | None = None
    paused_at: datetime | None = None
    pause_reason: PauseReason | None = None
    paused_seconds: int = 0
    delay_reported: bool = False
    resolved_at: datetime | None = None
    reply_late: bool = False
    corrective_action_rounds: frozenset[int] = frozenset()
    callbacks_reached: int = 0
    callbacks_unreached: int = 0
    escalated: bool = False
    escalation_complaints: int = 0
    escalations_handled: frozenset[int] = frozenset()
    churned: bool = False
    incident_id: uuid.UUID | None = None
    recordings: tuple[str, ...] = ()
    duplicate_reports: int = 0
    first_contact: bool = False

    @property
    def is_open(self) -> bool:
        """GX-5.3.1 'while the first is open': not closed and not archived."""
        return self.status not in FINISHED
