"""Pure rule helpers for `decide`: which status allows which command, three-clears, TT-8.13, lateness."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.dispatch.domain import commands as c
from services.dispatch.domain.state import FINISHED, IN_HANDLING, Status, TicketState
from shared.events.vocabulary import CallbackQuestion, ReplyPart, TicketKind

ALL = frozenset(Status)
#: NJ-4.2.3 / GX-5.1.5: dissatisfied in this round (or later) escalates instead of reopening.
ESCALATE_AT_ROUND = 2
#: Unreached callback attempts in a round that allow archiving as `customer-unreachable`.
UNREACHABLE_ATTEMPTS = 3
#: Kinds with no callback timer (TT-8.14 covers fault, install, complaint): archive may skip the callback.
KINDS_WITHOUT_CALLBACK = frozenset({TicketKind.inquiry, TicketKind.suggestion, TicketKind.business})

#: The RULEBOOK §3 state diagram as "command -> statuses it is allowed in".
ALLOWED: dict[type[c.Command], frozenset[Status]] = {
    c.DispatchTicket: frozenset({Status.received}),
    c.RedispatchTicket: IN_HANDLING,
    c.AcceptTicket: frozenset({Status.dispatched, Status.reopened}),
    c.EstablishContact: frozenset({Status.accepted}),
    c.BookAppointment: frozenset({Status.contact_established, Status.on_site}),
    c.RebookAppointment: frozenset({Status.appointment_booked}),
    c.RecordMissedAppointment: frozenset({Status.appointment_booked, Status.on_site}),
    c.NotifyDispatchDesk: ALL - FINISHED,
    c.RecordWorkCompleted: frozenset({Status.on_site}),
    c.EnterResult: frozenset({Status.on_site, Status.resolved}),
    c.RecordArrival: frozenset({Status.contact_established, Status.appointment_booked}),
    c.ReclassifyTicket: IN_HANDLING | {Status.received, Status.paused},
    c.PauseTicket: IN_HANDLING,
    c.ResumeTicket: frozenset({Status.paused}),
    c.ReportDelay: IN_HANDLING | {Status.paused},
    c.ResolveTicket: frozenset({Status.contact_established, Status.appointment_booked, Status.on_site}),
    c.FileCorrectiveAction: ALL - {Status.received},
    c.RecordCallback: frozenset({Status.resolved}),
    c.DecideEscalation: frozenset({Status.escalated}),
    c.ArchiveTicket: frozenset({Status.resolved, Status.called_back, Status.closed}),
    c.RecordEscalationComplaint: ALL,
    c.RecordChurn: ALL,
    c.HandleEscalationComplaint: ALL,
    c.LinkToIncident: ALL - {Status.archived},
    c.AttachCallRecording: ALL,
}


def is_late(state: TicketState, at: datetime) -> bool:
    """Late if a delay was reported this round or `at` is past due plus customer pauses (§9.1, §9.2)."""
    if state.delay_reported:
        return True
    if state.due_at is None:
        return False
    return at > state.due_at + timedelta(seconds=state.paused_seconds)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def reply_rule(kind: TicketKind) -> str | None:
    """The three-clears rule for a kind: TT-8.3 (fault), TT-8.4 (complaint), none otherwise."""
    return {TicketKind.fault: "TT-8.3", TicketKind.complaint: "TT-8.4"}.get(kind)


def missing_reply_parts(kind: TicketKind, reply: c.ResolveTicket, late: bool) -> tuple[ReplyPart, ...]:
    """Every three-clears part the reply lacks (RULEBOOK §2 三清; one fine per act, §9.6)."""
    missing: list[ReplyPart] = []
    if kind is TicketKind.fault:
        if reply.completed_at is None:
            missing.append(ReplyPart.restore_time)
        if _blank(reply.cause) or _blank(reply.result):
            missing.append(ReplyPart.cause_and_result)
    elif kind is TicketKind.complaint:
        if reply.completed_at is None:
            missing.append(ReplyPart.resolution_time)
        if _blank(reply.cause):
            missing.append(ReplyPart.complaint_cause)
    else:
        return ()
    if late and _blank(reply.delay_reason):
        missing.append(ReplyPart.delay_reason)
    return tuple(missing)


def missing_callback_questions(callback: c.RecordCallback, late: bool) -> tuple[CallbackQuestion, ...]:
    """TT-8.13: every required question left unasked (None); the delay question only for late tickets."""
    asked = {
        CallbackQuestion.done: callback.work_done,
        CallbackQuestion.when: callback.done_at,
        CallbackQuestion.feedback_form_signed: callback.feedback_form_signed,
        CallbackQuestion.satisfied: callback.satisfied,
    }
    if late:
        asked[CallbackQuestion.delay_reason_verified] = callback.delay_reason_verified
    return tuple(q for q, answer in asked.items() if answer is None)


def has_answers(callback: c.RecordCallback) -> bool:
    """Whether any TT-8.13 answer or score was recorded."""
    answers = (
        callback.work_done,
        callback.done_at,
        callback.feedback_form_signed,
        callback.satisfied,
        callback.delay_reason_verified,
        callback.satisfaction_score,
    )
    return any(a is not None for a in answers)
