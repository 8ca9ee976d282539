"""`singledispatch` mutators: how each event changes a ticket's state (RULEBOOK §3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import Enum
from functools import singledispatch
from typing import TypeVar

from services.dispatch.domain.state import Appointment, Status, TicketState
from shared.events.catalog import TicketCreated
from shared.events.lifecycle import (
    AppointmentBooked,
    AppointmentMissed,
    AppointmentRebooked,
    ArrivedOnSite,
    CallbackDone,
    CallRecordingAttached,
    ContactEstablished,
    CorrectiveActionFiled,
    CustomerChurned,
    DelayReported,
    DispatchDeskNotified,
    DuplicateReportLinked,
    EscalationComplaintHandled,
    EscalationComplaintReceived,
    EscalationDecided,
    Resolved,
    ResolvedAtFirstContact,
    ResultEntered,
    TicketAccepted,
    TicketArchived,
    TicketDispatched,
    TicketEscalated,
    TicketLinkedToIncident,
    TicketPaused,
    TicketReclassified,
    TicketRedispatched,
    TicketReopened,
    TicketResumed,
    WorkCompleted,
)
from shared.events.vocabulary import (
    AreaType,
    Channel,
    ComplaintClass,
    Priority,
    Product,
    SameDay,
    Segment,
    TicketKind,
)

E = TypeVar("E", bound=Enum)


def _enum(cls: type[E], value: object) -> E | None:
    return None if value is None else cls(value)


def created(e: TicketCreated, at: datetime) -> TicketState:
    # Classification fields beyond `kind` are read when TicketCreated carries them.
    return TicketState(
        ticket_id=e.ticket_id,
        number=e.number,
        kind=TicketKind(e.kind),
        created_at=at,
        last_event_at=at,
        channel=_enum(Channel, getattr(e, "channel", None)),
        complaint_class=_enum(ComplaintClass, getattr(e, "complaint_class", None)),
        priority=_enum(Priority, getattr(e, "priority", None)),
        segment=_enum(Segment, getattr(e, "segment", None)),
        product=_enum(Product, getattr(e, "product", None)),
        area_type=_enum(AreaType, getattr(e, "area_type", None)),
        same_day=_enum(SameDay, getattr(e, "same_day", None)),
        account=e.customer.account,
        address=e.customer.address,
    )


@singledispatch
def mutate(event: object, state: TicketState, at: datetime) -> TicketState:
    """Events that do not change a ticket (outages, ReplyIncomplete, future types) leave it as is."""
    return state


@mutate.register
def _(e: TicketCreated, s: TicketState, at: datetime) -> TicketState:
    raise ValueError(f"ticket {s.ticket_id} was already created")


@mutate.register
def _(e: TicketDispatched, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s,
        status=Status.dispatched,
        department=e.department,
        technician=e.technician,
        dispatched_by=e.actor,
        due_at=e.due_at,
    )


@mutate.register
def _(e: TicketRedispatched, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s,
        status=Status.dispatched,
        department=e.department,
        technician=e.technician,
        dispatched_by=e.actor,
        due_at=e.due_at or s.due_at,
        appointment=None,
        arrived=False,
    )


@mutate.register
def _(e: TicketAccepted, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.accepted, technician=e.technician or s.technician)


@mutate.register
def _(e: ContactEstablished, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.contact_established)


@mutate.register
def _(e: AppointmentBooked, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.appointment_booked, appointment=Appointment(e.window_start, e.window_end))


@mutate.register
def _(e: AppointmentRebooked, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.appointment_booked, appointment=Appointment(e.window_start, e.window_end))


@mutate.register
def _(e: AppointmentMissed, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s, status=Status.contact_established, appointment=None, missed_appointments=s.missed_appointments + 1,
        arrived=False, visited_window=None,
    )


@mutate.register
def _(e: ArrivedOnSite, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s, status=Status.on_site, arrived=True, appointment=None, technician=e.technician or s.technician,
        visited_window=s.appointment if e.within_window else None,
    )


@mutate.register
def _(e: TicketReclassified, s: TicketState, at: datetime) -> TicketState:
    changes = {k: v for k, v in e.after.model_dump().items() if v is not None}
    return replace(s, **changes)


@mutate.register
def _(e: TicketPaused, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.paused, paused_from=s.status, paused_at=at, pause_reason=e.reason)


@mutate.register
def _(e: TicketResumed, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s,
        status=s.paused_from or Status.dispatched,
        paused_from=None,
        paused_at=None,
        pause_reason=None,
        paused_seconds=s.paused_seconds + e.paused_seconds,
    )


@mutate.register
def _(e: DelayReported, s: TicketState, at: datetime) -> TicketState:
    return replace(s, delay_reported=True)


@mutate.register
def _(e: Resolved, s: TicketState, at: datetime) -> TicketState:
    return replace(
        s, status=Status.resolved, resolved_at=e.completed_at or at, reply_late=e.late, callbacks_unreached=0
    )


@mutate.register
def _(e: CorrectiveActionFiled, s: TicketState, at: datetime) -> TicketState:
    return replace(s, corrective_action_rounds=s.corrective_action_rounds | {e.round})


@mutate.register
def _(e: CallbackDone, s: TicketState, at: datetime) -> TicketState:
    if not e.reached:
        return replace(s, callbacks_unreached=s.callbacks_unreached + 1)
    status = s.status if e.satisfied is False else Status.called_back  # reopen/escalate follows
    return replace(s, status=status, callbacks_reached=s.callbacks_reached + 1)


@mutate.register
def _(e: TicketReopened, s: TicketState, at: datetime) -> TicketState:
    # RULEBOOK §4: a reopened ticket starts a new round; round-scoped facts reset.
    return replace(
        s,
        status=Status.reopened,
        round=e.round,
        department=e.department or s.department,
        technician=e.technician or s.technician,
        due_at=None,
        appointment=None,
        arrived=False,
        visited_window=None,
        work_completed=False,
        result_entered=False,
        paused_seconds=0,
        delay_reported=False,
        resolved_at=None,
        reply_late=False,
        callbacks_unreached=0,
    )


@mutate.register
def _(e: TicketEscalated, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.escalated, escalated=True)


@mutate.register
def _(e: EscalationDecided, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.closed)


@mutate.register
def _(e: TicketArchived, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.archived)


@mutate.register
def _(e: EscalationComplaintReceived, s: TicketState, at: datetime) -> TicketState:
    return replace(s, escalation_complaints=s.escalation_complaints + 1)


@mutate.register
def _(e: CustomerChurned, s: TicketState, at: datetime) -> TicketState:
    return replace(s, churned=True)


@mutate.register
def _(e: TicketLinkedToIncident, s: TicketState, at: datetime) -> TicketState:
    return replace(s, incident_id=e.incident_id)


@mutate.register
def _(e: DuplicateReportLinked, s: TicketState, at: datetime) -> TicketState:
    return replace(s, duplicate_reports=s.duplicate_reports + 1)


@mutate.register
def _(e: ResolvedAtFirstContact, s: TicketState, at: datetime) -> TicketState:
    return replace(s, status=Status.closed, first_contact=True)


@mutate.register
def _(e: CallRecordingAttached, s: TicketState, at: datetime) -> TicketState:
    return replace(s, recordings=(*s.recordings, e.recording_ref))


@mutate.register
def _(e: DispatchDeskNotified, s: TicketState, at: datetime) -> TicketState:
    return replace(s, desk_notified=True)


@mutate.register
def _(e: WorkCompleted, s: TicketState, at: datetime) -> TicketState:
    return replace(s, work_completed=True, technician=e.technician or s.technician)


@mutate.register
def _(e: ResultEntered, s: TicketState, at: datetime) -> TicketState:
    return replace(s, result_entered=True)


@mutate.register
def _(e: EscalationComplaintHandled, s: TicketState, at: datetime) -> TicketState:
    return replace(s, escalations_handled=s.escalations_handled | {e.nth})
