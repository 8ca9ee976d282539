"""What a caller gives to open a ticket (TT-8.11 plus the issue-3 classification), as a typed command."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.intake.domain.validation import DEFAULT_LIMITS as LIMITS
from shared import limits
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
from shared.inputs import Instant, Line, Text

TT_8_11 = {"rule": "TT-8.11"}


class CustomerIn(BaseModel):
    """TT-8.11 customer fields; formats and limits are checked by `validation.validate_intake`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line(LIMITS.max_name) = Field(json_schema_extra=TT_8_11)
    phone: Line(LIMITS.max_phone) = Field(json_schema_extra=TT_8_11,
                       description="Contact phone: mobile 1xxxxxxxxxx, or landline with area code (027-88886666)")
    address: Line(LIMITS.max_address) = Field(json_schema_extra=TT_8_11)
    account: Line(LIMITS.max_account) = Field(json_schema_extra=TT_8_11, description="Account or service number")


class LogTicket(BaseModel):
    """Command: log a call, letter or visit as a ticket (GX-5.1.2: every call ends in a ticket)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn = Field(json_schema_extra=TT_8_11)
    kind: TicketKind
    description: Text(LIMITS.max_description) = Field(json_schema_extra=TT_8_11)
    channel: Channel = Channel.hotline
    authority: Line(limits.AUTHORITY) | None = Field(None, description="Forwarding authority (forwarded-by-authority)")
    complaint_class: ComplaintClass | None = Field(None, description="NJ-4.1; complaints default to regular")
    segment: Segment = Segment.public
    area_type: AreaType | None = None
    area: Line(limits.TICKET_AREA) | None = Field(None, description="Service area (district/grid) for outage matching")
    district: Line(limits.TICKET_AREA) | None = Field(
        None, description="Directory district id (issue 8); default: the district named in the address. Outages "
        "are matched by district; its area type is the ticket's when `area_type` is not given")
    product: Product | None = None
    priority: Priority = Priority.normal
    recording_ref: Line(limits.REFERENCE) | None = Field(None, description="CT-3.3.1 call recording")
    first_contact_solution: Text(limits.FREE_TEXT) | None = Field(
        None, description="Solved on the call (一次解决): closes without dispatch")
    incident_id: uuid.UUID | None = Field(None, description="Link to a declared outage the caller is affected by")
    duplicate_override: StrictBool = Field(False, description="GX-5.3.1 override: a new ticket even if one is open")
    same_day: SameDay | None = Field(
        None, description="CT-2.4: `requested` (install: the customer wants same-day service) or `declined` "
        "(fault: the customer declined same-day repair; RULEBOOK §9.12)")
    occurred_at: Instant | None = Field(
        default=None, description="When the call happened, if earlier than now (field time)"
    )


def cross_field_problems(cmd: LogTicket) -> list[tuple[str, str, str]]:
    """(field, rule, message) for combinations that are not allowed."""
    problems: list[tuple[str, str, str]] = []
    if cmd.channel is Channel.forwarded_by_authority and not cmd.authority:
        problems.append(("authority", "intake-channel", "a forwarded request names the forwarding authority"))
    if cmd.complaint_class is not None and cmd.kind is not TicketKind.complaint:
        problems.append(("complaint_class", "NJ-4.1", "a complaint class applies only to complaints"))
    if cmd.same_day is not None and (problem := cmd.same_day.problem_with(cmd.kind)):
        problems.append(("same_day", "CT-2.4", problem))
    if cmd.first_contact_solution and cmd.incident_id:
        problems.append(("first_contact_solution", "intake-first-contact",
                         "a ticket linked to an outage is not solved on the call"))
    return problems


def complaint_class_of(cmd: LogTicket) -> ComplaintClass | None:
    """NJ-4.1: every complaint has a class; regular unless said otherwise."""
    if cmd.kind is TicketKind.complaint:
        return cmd.complaint_class or ComplaintClass.regular
    return None
