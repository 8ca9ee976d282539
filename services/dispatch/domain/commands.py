"""Imperative requests against one ticket; `decide` turns each into events or a refusal."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shared import limits
from shared.events.vocabulary import (
    AreaType,
    CallbackExemption,
    ComplaintClass,
    EscalationLevel,
    MissCause,
    PauseReason,
    Priority,
    Product,
    RedispatchReason,
    Requester,
    Role,
    SameDay,
    Segment,
    TicketKind,
)
from shared.inputs import Instant, Line
from shared.inputs import Text as _Text

Text = _Text(limits.FREE_TEXT)  # free text: tab and newlines allowed, no other control character
Department = Line(limits.DEPARTMENT)
Person = Line(limits.PERSON)


class Command(BaseModel):
    """Who acts, in which role, and (optionally) when it happened in the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1, description="API key name")
    role: Role
    occurred_at: Instant | None = Field(None, description="Field time; defaults to now")


class DispatchTicket(Command):
    department: Department
    technician: Person | None = None
    due_at: Instant | None = None


class RedispatchTicket(Command):
    department: Department
    technician: Person | None = None
    reason: RedispatchReason
    note: Text | None = None
    due_at: Instant | None = None


class AcceptTicket(Command):
    technician: Person | None = None


class NotifyDispatchDesk(Command):
    """TT-8.7: tell the dispatch desk of a VIP or mass fault."""

    note: Text | None = None


class RecordWorkCompleted(Command):
    """GX-5.1.4: the work on site is finished; the result must then be entered within the rule's time."""

    technician: Person | None = None
    note: Text | None = None


class EnterResult(Command):
    """GX-5.1.4 / GX-5.3.4: the work's result entered in the ticket system."""

    result: Text = Field(min_length=1)


class EstablishContact(Command):
    note: Text | None = None


class BookAppointment(Command):
    window_start: Instant
    window_end: Instant


class RebookAppointment(Command):
    window_start: Instant
    window_end: Instant
    requested_by: Requester
    customer_consent: StrictBool
    reason: Text | None = None


class RecordMissedAppointment(Command):
    """失约. On site, only the customer's no-show may be recorded (RULEBOOK §9.16)."""

    cause: MissCause
    note: Text | None = None


class RecordArrival(Command):
    technician: Person | None = None


class ReclassifyTicket(Command):
    reason: Text = Field(min_length=1)
    kind: TicketKind | None = None
    complaint_class: ComplaintClass | None = None
    priority: Priority | None = None
    segment: Segment | None = None
    product: Product | None = None
    area_type: AreaType | None = None
    same_day: SameDay | None = Field(None, description="CT-2.4: same-day install requested / repair declined")


class PauseTicket(Command):
    reason: PauseReason
    note: Text | None = None


class ResumeTicket(Command):
    pass


class ReportDelay(Command):
    supervising_department: Department
    reason: Text = Field(min_length=1)
    expected_completion: Instant | None = None


class ResolveTicket(Command):
    """The reply; parts of the three-clears may be missing (flagged, not refused)."""

    completed_at: Instant | None = None
    cause: Text | None = None
    result: Text | None = None
    delay_reason: Text | None = None


class FileCorrectiveAction(Command):
    corrective: Text = Field(min_length=1)
    preventive: Text = Field(min_length=1)


class RecordCallback(Command):
    """TT-8.13 answers; None means the question was not asked."""

    reached: StrictBool
    work_done: StrictBool | None = None
    done_at: Instant | None = None
    feedback_form_signed: StrictBool | None = None
    satisfied: StrictBool | None = None
    delay_reason_verified: StrictBool | None = None
    satisfaction_score: StrictInt | None = Field(None, ge=1, le=5)
    note: Text | None = None


class DecideEscalation(Command):
    decision: Text = Field(min_length=1)


class ArchiveTicket(Command):
    exemption: CallbackExemption | None = None
    note: Text | None = None


class RecordEscalationComplaint(Command):
    level: EscalationLevel
    description: Text = Field(min_length=1)
    conduct_violation: StrictBool = False
    reference: Line(limits.REFERENCE) | None = None
    responsible_department: Department | None = Field(
        None, description="Who pays (TT-9bis, RULEBOOK §9.3); default: the ticket's department")


class HandleEscalationComplaint(Command):
    """The answer to an escalation complaint (TT-9bis.14: within 24 h)."""

    nth: int | None = Field(None, ge=1, description="Which complaint; default: the oldest one not yet handled")
    answer: Text = Field(min_length=1)


class RecordChurn(Command):
    reason: Text | None = None
    caused_by_complaint: StrictBool = Field(False, description="The complaint made the customer leave (TT-9bis doubling)")


class LinkToIncident(Command):
    incident_id: uuid.UUID


class AttachCallRecording(Command):
    recording_ref: Line(limits.REFERENCE)
