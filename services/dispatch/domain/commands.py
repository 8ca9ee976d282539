"""Imperative requests against one ticket; `decide` turns each into events or a refusal."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.vocabulary import (
    AreaType,
    CallbackExemption,
    Channel,
    ComplaintClass,
    EscalationLevel,
    MissCause,
    PauseReason,
    Priority,
    Product,
    RedispatchReason,
    Requester,
    Role,
    Segment,
    TicketKind,
)

Text = str  # free text; length limits are enforced at the HTTP edge


class Command(BaseModel):
    """Who acts, in which role, and (optionally) when it happened in the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1, description="API key name")
    role: Role
    occurred_at: AwareDatetime | None = Field(None, description="Field time; defaults to now")


class DispatchTicket(Command):
    department: str = Field(min_length=1)
    technician: str | None = None
    due_at: AwareDatetime | None = None


class RedispatchTicket(Command):
    department: str = Field(min_length=1)
    technician: str | None = None
    reason: RedispatchReason
    note: Text | None = None
    due_at: AwareDatetime | None = None


class AcceptTicket(Command):
    technician: str | None = None


class EstablishContact(Command):
    note: Text | None = None


class BookAppointment(Command):
    window_start: AwareDatetime
    window_end: AwareDatetime


class RebookAppointment(Command):
    window_start: AwareDatetime
    window_end: AwareDatetime
    requested_by: Requester
    customer_consent: bool
    reason: Text | None = None


class RecordMissedAppointment(Command):
    cause: MissCause
    note: Text | None = None


class RecordArrival(Command):
    technician: str | None = None


class ReclassifyTicket(Command):
    reason: Text = Field(min_length=1)
    kind: TicketKind | None = None
    complaint_class: ComplaintClass | None = None
    priority: Priority | None = None
    segment: Segment | None = None
    product: Product | None = None
    area_type: AreaType | None = None


class PauseTicket(Command):
    reason: PauseReason
    note: Text | None = None


class ResumeTicket(Command):
    pass


class ReportDelay(Command):
    supervising_department: str = Field(min_length=1)
    reason: Text = Field(min_length=1)
    expected_completion: AwareDatetime | None = None


class ResolveTicket(Command):
    """The reply; parts of the three-clears may be missing (flagged, not refused)."""

    completed_at: AwareDatetime | None = None
    cause: Text | None = None
    result: Text | None = None
    delay_reason: Text | None = None


class FileCorrectiveAction(Command):
    corrective: Text = Field(min_length=1)
    preventive: Text = Field(min_length=1)


class RecordCallback(Command):
    """TT-8.13 answers; None means the question was not asked."""

    reached: bool
    work_done: bool | None = None
    done_at: AwareDatetime | None = None
    feedback_form_signed: bool | None = None
    satisfied: bool | None = None
    delay_reason_verified: bool | None = None
    satisfaction_score: int | None = Field(None, ge=1, le=5)
    note: Text | None = None


class DecideEscalation(Command):
    decision: Text = Field(min_length=1)


class ArchiveTicket(Command):
    exemption: CallbackExemption | None = None
    note: Text | None = None


class RecordEscalationComplaint(Command):
    level: EscalationLevel
    description: Text = Field(min_length=1)
    conduct_violation: bool = False
    reference: str | None = None


class RecordChurn(Command):
    reason: Text | None = None


class LinkToIncident(Command):
    incident_id: uuid.UUID


class ResolveAtFirstContact(Command):
    solution: Text = Field(min_length=1)


class AttachCallRecording(Command):
    recording_ref: str = Field(min_length=1)


class LinkDuplicateReport(Command):
    channel: Channel
    caller_phone: str | None = None
    description: Text | None = None
