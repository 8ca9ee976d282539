"""Rules from intake to the reply: dispatch, field work, reclassify, pause, delay, resolve (RULEBOOK §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.dispatch.domain import commands as c
from services.dispatch.domain.errors import CommandRefused
from services.dispatch.domain.rules import is_late, missing_reply_parts, reply_rule
from services.dispatch.domain.state import Status, TicketState
from shared.events.catalog import Payload
from shared.events.lifecycle import (
    AppointmentBooked,
    AppointmentMissed,
    AppointmentRebooked,
    ArrivedOnSite,
    Classification,
    ContactEstablished,
    DelayReported,
    DispatchDeskNotified,
    ReplyIncomplete,
    Resolved,
    ResultEntered,
    TicketAccepted,
    TicketDispatched,
    TicketPaused,
    TicketReclassified,
    TicketRedispatched,
    TicketResumed,
    WorkCompleted,
)
from shared.events.vocabulary import ComplaintClass, MissCause, RedispatchReason, TicketKind

Rule = Callable[[TicketState, Any, datetime], list[Payload]]


def act(state: TicketState, cmd: c.Command) -> dict[str, Any]:
    """The fields every human-act event carries."""
    return {"ticket_id": state.ticket_id, "actor": cmd.actor, "role": cmd.role}


def _dispatch(s: TicketState, cmd: c.DispatchTicket, at: datetime) -> list[Payload]:
    where = {"department": cmd.department, "technician": cmd.technician, "due_at": cmd.due_at}
    return [TicketDispatched(**act(s, cmd), **where)]


_SAME_PLACE_OK = frozenset({RedispatchReason.wrong_fault_info, RedispatchReason.wrong_customer_data})


def _redispatch(s: TicketState, cmd: c.RedispatchTicket, at: datetime) -> list[Payload]:
    same = (cmd.department, cmd.technician) == (s.department, s.technician)
    if same and cmd.reason not in _SAME_PLACE_OK:
        raise CommandRefused(s.status, f"already dispatched to {s.department}/{s.technician or '-'}")
    return [
        TicketRedispatched(
            **act(s, cmd),
            department=cmd.department,
            technician=cmd.technician,
            previous_department=s.department,
            previous_technician=s.technician,
            previous_dispatched_by=s.dispatched_by,
            reason=cmd.reason,
            wrong_dispatch=cmd.reason.wrong_dispatch,  # TT-8.10
            note=cmd.note,
            due_at=cmd.due_at,
        )
    ]


def _accept(s: TicketState, cmd: c.AcceptTicket, at: datetime) -> list[Payload]:
    assert s.department is not None
    return [TicketAccepted(**act(s, cmd), department=s.department, technician=cmd.technician or s.technician)]


def _contact(s: TicketState, cmd: c.EstablishContact, at: datetime) -> list[Payload]:
    return [ContactEstablished(**act(s, cmd), note=cmd.note)]


def _check_window(s: TicketState, start: datetime, end: datetime, at: datetime) -> None:
    if start >= end:
        raise CommandRefused(s.status, "appointment window must start before it ends")
    if end <= at:
        raise CommandRefused(s.status, f"appointment window ends {end.isoformat()}, which is already past")


def _book(s: TicketState, cmd: c.BookAppointment, at: datetime) -> list[Payload]:
    _check_window(s, cmd.window_start, cmd.window_end, at)
    return [AppointmentBooked(**act(s, cmd), window_start=cmd.window_start, window_end=cmd.window_end)]


def _rebook(s: TicketState, cmd: c.RebookAppointment, at: datetime) -> list[Payload]:
    assert s.appointment is not None
    if not cmd.customer_consent:
        raise CommandRefused(s.status, "rebooking (改约) needs the customer's consent")
    _check_window(s, cmd.window_start, cmd.window_end, at)
    if (cmd.window_start, cmd.window_end) == (s.appointment.start, s.appointment.end):
        raise CommandRefused(s.status, "the new window is the booked one")
    return [
        AppointmentRebooked(
            **act(s, cmd),
            window_start=cmd.window_start,
            window_end=cmd.window_end,
            previous_start=s.appointment.start,
            previous_end=s.appointment.end,
            requested_by=cmd.requested_by,
            customer_consent=True,
            reason=cmd.reason,
        )
    ]


def _missed(s: TicketState, cmd: c.RecordMissedAppointment, at: datetime) -> list[Payload]:
    appt = s.appointment
    if s.status is Status.on_site:  # RULEBOOK §9.16: arrived in the window and found nobody
        if cmd.cause is not MissCause.customer:
            raise CommandRefused(s.status, "on site, only the customer's no-show (cause customer) can be recorded")
        if s.visited_window is None:
            raise CommandRefused(s.status, "a no-show needs an arrival within the agreed appointment window")
        appt = s.visited_window
    assert appt is not None
    if at < appt.start:
        raise CommandRefused(s.status, f"the window starts {appt.start.isoformat()}; it cannot be missed yet")
    return [
        AppointmentMissed(
            **act(s, cmd), cause=cmd.cause, window_start=appt.start, window_end=appt.end, note=cmd.note
        )
    ]


def _arrive(s: TicketState, cmd: c.RecordArrival, at: datetime) -> list[Payload]:
    within = None if s.appointment is None else s.appointment.contains(at)
    return [ArrivedOnSite(**act(s, cmd), technician=cmd.technician or s.technician, within_window=within)]


_CLASSIFIERS = ("kind", "complaint_class", "priority", "segment", "product", "area_type", "same_day")


def _reclassify(s: TicketState, cmd: c.ReclassifyTicket, at: datetime) -> list[Payload]:
    wanted = {f: getattr(cmd, f) for f in _CLASSIFIERS if getattr(cmd, f) is not None}
    changed = {f: v for f, v in wanted.items() if v != getattr(s, f)}
    if not changed:
        raise CommandRefused(s.status, "reclassification changes nothing")
    kind = changed.get("kind", s.kind)
    if kind is not TicketKind.complaint and "complaint_class" in changed:
        raise CommandRefused(s.status, "a complaint class (NJ-4.1) applies only to complaints")
    same_day = changed.get("same_day", s.same_day)
    if same_day is not None and (problem := same_day.problem_with(kind)):  # CT-2.4
        raise CommandRefused(s.status, problem)
    if "kind" in changed and kind is TicketKind.complaint and s.complaint_class is None:
        changed.setdefault("complaint_class", ComplaintClass.regular)  # NJ-4.1: every complaint has a class
    before = Classification(**{f: getattr(s, f) for f in changed})
    after = Classification(**changed)
    return [TicketReclassified(**act(s, cmd), before=before, after=after, reason=cmd.reason)]


def _pause(s: TicketState, cmd: c.PauseTicket, at: datetime) -> list[Payload]:
    return [TicketPaused(**act(s, cmd), reason=cmd.reason, note=cmd.note)]


def _resume(s: TicketState, cmd: c.ResumeTicket, at: datetime) -> list[Payload]:
    assert s.paused_at is not None
    return [TicketResumed(**act(s, cmd), paused_seconds=int((at - s.paused_at).total_seconds()))]


def _delay(s: TicketState, cmd: c.ReportDelay, at: datetime) -> list[Payload]:
    # TT-9.3: the delay goes to the supervising department.
    return [
        DelayReported(
            **act(s, cmd),
            supervising_department=cmd.supervising_department,
            reason=cmd.reason,
            expected_completion=cmd.expected_completion,
        )
    ]


def _resolve(s: TicketState, cmd: c.ResolveTicket, at: datetime) -> list[Payload]:
    done = cmd.completed_at
    if done is not None and done > at:  # field time never in the future
        reason = f"completed_at {done.isoformat()} is later than the reply ({at.isoformat()})"
        raise CommandRefused(s.status, reason)
    if done is not None and done < s.created_at:
        raise CommandRefused(s.status, f"completed_at {done.isoformat()} is before the ticket was received")
    late = is_late(s, done or at)
    events: list[Payload] = [
        Resolved(
            **act(s, cmd),
            round=s.round,
            department=s.department,
            completed_at=done,
            cause=cmd.cause,
            result=cmd.result,
            delay_reason=cmd.delay_reason,
            late=late,
        )
    ]
    missing = missing_reply_parts(s.kind, cmd, late)
    rule_id = reply_rule(s.kind)
    if missing and rule_id:  # TT-8.3 / TT-8.4: accepted, flagged once with every missing part (§9.6)
        events.append(
            ReplyIncomplete(
                **act(s, cmd), rule_id=rule_id, round=s.round, department=s.department, missing=missing
            )
        )
    return events


def _notify_desk(s: TicketState, cmd: c.NotifyDispatchDesk, at: datetime) -> list[Payload]:
    if s.kind is not TicketKind.fault:
        raise CommandRefused(s.status, "the dispatch desk is notified of VIP or mass faults (TT-8.7)")
    if s.desk_notified:
        raise CommandRefused(s.status, "the dispatch desk was already notified of this fault")
    return [DispatchDeskNotified(**act(s, cmd), note=cmd.note)]


def _work_completed(s: TicketState, cmd: c.RecordWorkCompleted, at: datetime) -> list[Payload]:
    if s.work_completed:
        raise CommandRefused(s.status, "the work on site is already recorded as completed in this round")
    return [WorkCompleted(**act(s, cmd), technician=cmd.technician or s.technician, note=cmd.note)]


def _enter_result(s: TicketState, cmd: c.EnterResult, at: datetime) -> list[Payload]:
    if s.result_entered:
        raise CommandRefused(s.status, "the result of this round's work is already entered")
    return [ResultEntered(**act(s, cmd), result=cmd.result)]


WORK_RULES: dict[type[c.Command], Rule] = {
    c.DispatchTicket: _dispatch,
    c.RedispatchTicket: _redispatch,
    c.AcceptTicket: _accept,
    c.EstablishContact: _contact,
    c.BookAppointment: _book,
    c.RebookAppointment: _rebook,
    c.RecordMissedAppointment: _missed,
    c.RecordArrival: _arrive,
    c.ReclassifyTicket: _reclassify,
    c.PauseTicket: _pause,
    c.ResumeTicket: _resume,
    c.ReportDelay: _delay,
    c.ResolveTicket: _resolve,
    c.NotifyDispatchDesk: _notify_desk,
    c.RecordWorkCompleted: _work_completed,
    c.EnterResult: _enter_result,
}
