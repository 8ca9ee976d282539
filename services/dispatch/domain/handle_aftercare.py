"""Rules after the reply and at any time: CAPA, callback, reopen/escalate, archive, links, complaints."""

from __future__ import annotations

from datetime import datetime

from services.dispatch.domain import commands as c
from services.dispatch.domain.errors import CommandRefused
from services.dispatch.domain.handle_work import Rule, act
from services.dispatch.domain.rules import (
    ESCALATE_AT_ROUND,
    KINDS_WITHOUT_CALLBACK,
    UNREACHABLE_ATTEMPTS,
    has_answers,
    missing_callback_questions,
)
from services.dispatch.domain.state import Status, TicketState
from shared.events.catalog import Payload
from shared.events.lifecycle import (
    CallbackDone,
    CallRecordingAttached,
    CorrectiveActionFiled,
    CustomerChurned,
    EscalationComplaintHandled,
    EscalationComplaintReceived,
    EscalationDecided,
    TicketArchived,
    TicketEscalated,
    TicketLinkedToIncident,
    TicketReopened,
)
from shared.events.vocabulary import CallbackExemption, Role, TicketKind


def _capa(s: TicketState, cmd: c.FileCorrectiveAction, at: datetime) -> list[Payload]:
    # NJ-4.2.2: one corrective and preventive action record per complaint round.
    if s.kind is not TicketKind.complaint:
        raise CommandRefused(s.status, "corrective action records (NJ-4.2.2) are for complaints")
    if s.department is None:
        raise CommandRefused(s.status, "no responsible department to file a corrective action record")
    if s.round in s.corrective_action_rounds:
        raise CommandRefused(s.status, f"a corrective action record was already filed for round {s.round}")
    record = {"corrective": cmd.corrective, "preventive": cmd.preventive}
    return [CorrectiveActionFiled(**act(s, cmd), round=s.round, **record)]


def _callback(s: TicketState, cmd: c.RecordCallback, at: datetime) -> list[Payload]:
    if not cmd.reached:
        if has_answers(cmd):
            raise CommandRefused(s.status, "answers recorded for a callback that did not reach the customer")
        return [CallbackDone(**act(s, cmd), round=s.round, reached=False, note=cmd.note)]
    done = CallbackDone(
        **act(s, cmd),
        round=s.round,
        reached=True,
        work_done=cmd.work_done,
        done_at=cmd.done_at,
        feedback_form_signed=cmd.feedback_form_signed,
        satisfied=cmd.satisfied,
        delay_reason_verified=cmd.delay_reason_verified,
        satisfaction_score=cmd.satisfaction_score,
        missing=missing_callback_questions(cmd, s.reply_late),  # TT-8.13, one fine per act (§9.6)
        note=cmd.note,
    )
    if cmd.satisfied is not False:
        return [done]
    if s.round >= ESCALATE_AT_ROUND:  # NJ-4.2.3 / GX-5.1.5: dissatisfied again -> deputy GM
        reason = f"customer dissatisfied at callback in round {s.round}"
        return [done, TicketEscalated(**act(s, cmd), round=s.round, to_role=Role.deputy_gm, reason=reason)]
    return [
        done,
        TicketReopened(
            **act(s, cmd),
            round=s.round + 1,
            department=s.department,
            technician=s.technician,
            reason="customer dissatisfied at callback",
        ),
    ]


def _decide_escalation(s: TicketState, cmd: c.DecideEscalation, at: datetime) -> list[Payload]:
    if cmd.role is not Role.deputy_gm:  # NJ-4.2.3: the deputy GM in charge gives the final answer
        raise CommandRefused(s.status, "only the deputy GM in charge decides an escalated ticket")
    return [EscalationDecided(**act(s, cmd), decision=cmd.decision)]


def _exemption_problem(s: TicketState, exemption: CallbackExemption | None) -> str | None:
    """Why archiving without a completed callback is not allowed here, or None when it is."""
    if exemption is None:
        return "archiving needs a completed callback or an allowed exemption"
    if exemption is CallbackExemption.first_contact_resolution and not s.first_contact:
        return "the ticket was not resolved at first contact"
    if exemption is CallbackExemption.customer_unreachable and s.callbacks_unreached < UNREACHABLE_ATTEMPTS:
        return f"customer-unreachable needs {UNREACHABLE_ATTEMPTS} unreached callback attempts this round"
    if exemption is CallbackExemption.kind_without_callback and s.kind not in KINDS_WITHOUT_CALLBACK:
        return f"{s.kind.value} tickets need a callback (TT-8.14)"
    if s.first_contact and exemption is not CallbackExemption.first_contact_resolution:
        return "a ticket closed at first contact archives with the first-contact-resolution exemption"
    return None


def _archive(s: TicketState, cmd: c.ArchiveTicket, at: datetime) -> list[Payload]:
    needs_exemption = s.status is Status.resolved or (s.status is Status.closed and s.callbacks_reached == 0)
    if needs_exemption:
        problem = _exemption_problem(s, cmd.exemption)
        if problem:
            raise CommandRefused(s.status, problem)
    exemption = cmd.exemption if needs_exemption else None
    return [TicketArchived(**act(s, cmd), exemption=exemption, note=cmd.note)]


def _escalation_complaint(s: TicketState, cmd: c.RecordEscalationComplaint, at: datetime) -> list[Payload]:
    return [
        EscalationComplaintReceived(
            **act(s, cmd),
            level=cmd.level,
            nth=s.escalation_complaints + 1,  # RULEBOOK §9.7: a further one on the same ticket doubles
            conduct_violation=cmd.conduct_violation,
            reference=cmd.reference,
            description=cmd.description,
            responsible_department=cmd.responsible_department or s.department,
        )
    ]


def _handle_escalation(s: TicketState, cmd: c.HandleEscalationComplaint, at: datetime) -> list[Payload]:
    waiting = sorted(set(range(1, s.escalation_complaints + 1)) - s.escalations_handled)
    nth = cmd.nth if cmd.nth is not None else (waiting[0] if waiting else None)
    if nth is None or nth not in waiting:
        raise CommandRefused(s.status, "no such escalation complaint waiting for an answer"
                             f" (waiting: {', '.join(map(str, waiting)) or 'none'})")
    return [EscalationComplaintHandled(**act(s, cmd), nth=nth, answer=cmd.answer)]


def _churn(s: TicketState, cmd: c.RecordChurn, at: datetime) -> list[Payload]:
    if s.churned:
        raise CommandRefused(s.status, "the customer's churn is already recorded")
    return [CustomerChurned(**act(s, cmd), reason=cmd.reason, caused_by_complaint=cmd.caused_by_complaint)]


def _link_incident(s: TicketState, cmd: c.LinkToIncident, at: datetime) -> list[Payload]:
    if s.incident_id is not None:
        raise CommandRefused(s.status, f"already linked to incident {s.incident_id}")
    return [TicketLinkedToIncident(**act(s, cmd), incident_id=cmd.incident_id)]


def _recording(s: TicketState, cmd: c.AttachCallRecording, at: datetime) -> list[Payload]:
    if cmd.recording_ref in s.recordings:
        raise CommandRefused(s.status, f"recording {cmd.recording_ref} is already attached")
    return [CallRecordingAttached(**act(s, cmd), recording_ref=cmd.recording_ref)]


AFTERCARE_RULES: dict[type[c.Command], Rule] = {
    c.FileCorrectiveAction: _capa,
    c.RecordCallback: _callback,
    c.DecideEscalation: _decide_escalation,
    c.ArchiveTicket: _archive,
    c.RecordEscalationComplaint: _escalation_complaint,
    c.RecordChurn: _churn,
    c.HandleEscalationComplaint: _handle_escalation,
    c.LinkToIncident: _link_incident,
    c.AttachCallRecording: _recording,
}
