"""What a caller gives to open a ticket (TT-8.11 plus the issue-3 classification), as a typed command."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.vocabulary import AreaType, Channel, ComplaintClass, Priority, Product, Segment, TicketKind

TT_8_11 = {"rule": "TT-8.11"}


class CustomerIn(BaseModel):
    """TT-8.11 customer fields; formats and limits are checked by `validation.validate_intake`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(json_schema_extra=TT_8_11)
    phone: str = Field(json_schema_extra=TT_8_11,
                       description="Contact phone: mobile 1xxxxxxxxxx, or landline with area code (027-88886666)")
    address: str = Field(json_schema_extra=TT_8_11)
    account: str = Field(json_schema_extra=TT_8_11, description="Account or service number")


class LogTicket(BaseModel):
    """Command: log a call, letter or visit as a ticket (GX-5.1.2: every call ends in a ticket)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn = Field(json_schema_extra=TT_8_11)
    kind: TicketKind
    description: str = Field(json_schema_extra=TT_8_11)
    channel: Channel = Channel.hotline
    authority: str | None = Field(None, max_length=100, description="Forwarding authority (forwarded-by-authority)")
    complaint_class: ComplaintClass | None = Field(None, description="NJ-4.1; complaints default to regular")
    segment: Segment = Segment.public
    area_type: AreaType | None = None
    area: str | None = Field(None, max_length=100, description="Service area (district/grid) for outage matching")
    product: Product | None = None
    priority: Priority = Priority.normal
    recording_ref: str | None = Field(None, min_length=1, max_length=200, description="CT-3.3.1 call recording")
    first_contact_solution: str | None = Field(
        None, min_length=1, max_length=2000, description="Solved on the call (一次解决): closes without dispatch")
    incident_id: uuid.UUID | None = Field(None, description="Link to a declared outage the caller is affected by")
    duplicate_override: bool = Field(False, description="GX-5.3.1 override: a new ticket even if one is open")
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the call happened, if earlier than now (field time)"
    )


def cross_field_problems(cmd: LogTicket) -> list[tuple[str, str, str]]:
    """(field, rule, message) for combinations that are not allowed."""
    problems: list[tuple[str, str, str]] = []
    if cmd.channel is Channel.forwarded_by_authority and not cmd.authority:
        problems.append(("authority", "intake-channel", "a forwarded request names the forwarding authority"))
    if cmd.complaint_class is not None and cmd.kind is not TicketKind.complaint:
        problems.append(("complaint_class", "NJ-4.1", "a complaint class applies only to complaints"))
    if cmd.first_contact_solution and cmd.incident_id:
        problems.append(("first_contact_solution", "intake-first-contact",
                         "a ticket linked to an outage is not solved on the call"))
    return problems


def complaint_class_of(cmd: LogTicket) -> ComplaintClass | None:
    """NJ-4.1: every complaint has a class; regular unless said otherwise."""
    if cmd.kind is TicketKind.complaint:
        return cmd.complaint_class or ComplaintClass.regular
    return None


def field_time_problem(occurred_at: datetime, now: datetime) -> str | None:
    if occurred_at > now:
        return "occurred_at is in the future"
    return None
