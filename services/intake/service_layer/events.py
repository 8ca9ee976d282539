"""The events an intake produces: a new ticket (with recording, outage link, first-contact close) or a repeat."""

from __future__ import annotations

import uuid

from services.intake.domain.intake import LogTicket, complaint_class_of
from shared.events.catalog import Customer, Payload, TicketCreated
from shared.events.lifecycle import (
    CallRecordingAttached,
    DuplicateReportLinked,
    ResolvedAtFirstContact,
    TicketLinkedToIncident,
)
from shared.field_time import acting_role
from shared.identity import Principal


def creation_events(cmd: LogTicket, principal: Principal, ticket_id: uuid.UUID, number: str) -> list[Payload]:
    """TicketCreated, then what happened on the same call, in order."""
    c = cmd.customer
    events: list[Payload] = [TicketCreated(
        ticket_id=ticket_id, number=number, kind=cmd.kind.value,
        customer=Customer(name=c.name, phone=c.phone, address=c.address, account=c.account),
        description=cmd.description, created_by=principal.name, channel=cmd.channel, authority=cmd.authority,
        complaint_class=complaint_class_of(cmd), segment=cmd.segment, area_type=cmd.area_type, area=cmd.area,
        product=cmd.product, priority=cmd.priority, same_day=cmd.same_day, district=cmd.district,
    )]
    who = {"ticket_id": ticket_id, "actor": principal.name, "role": acting_role(principal)}
    if cmd.recording_ref:  # CT-3.3.1 evidence
        events.append(CallRecordingAttached(**who, recording_ref=cmd.recording_ref))
    if cmd.incident_id:  # RULEBOOK §7 mass incident
        events.append(TicketLinkedToIncident(**who, incident_id=cmd.incident_id))
    if cmd.first_contact_solution:  # 一次解决: closes without dispatch
        events.append(ResolvedAtFirstContact(**who, solution=cmd.first_contact_solution))
    return events


def repeat_report_events(cmd: LogTicket, principal: Principal, ticket_id: uuid.UUID) -> list[Payload]:
    """GX-5.3.1: the repeat report (and its recording) recorded on the open ticket."""
    who = {"ticket_id": ticket_id, "actor": principal.name, "role": acting_role(principal)}
    events: list[Payload] = [DuplicateReportLinked(
        **who, channel=cmd.channel, caller_phone=cmd.customer.phone, description=cmd.description)]
    if cmd.recording_ref:
        events.append(CallRecordingAttached(**who, recording_ref=cmd.recording_ref))
    return events
