"""Intake-side events: outages (RULEBOOK §7), links, duplicates, first-contact close, recordings."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from shared.events.lifecycle.base import HumanAct
from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import AreaType, Channel, Product, Role


@REGISTRY.register("OutageDeclared", 1, TOPICS.tickets)
class OutageDeclared(Payload):
    """RULEBOOK §7 incident: area, cause, planned or not, notice time and restore estimate."""

    incident_id: uuid.UUID
    actor: str
    role: Role
    area: str
    districts: tuple[str, ...] = Field((), description="Directory district ids affected; callers match by district")
    area_type: AreaType | None = None
    products: tuple[Product, ...] = ()
    cause: str
    planned: bool
    notice_at: AwareDatetime = Field(description="When customer service was notified (TT-8.6)")
    publishing_department: str | None = Field(
        None, description="Who publishes the notice and pays for a late or wrong one (TT-8.6, NJ-4.3.2c)")
    starts_at: AwareDatetime
    estimated_restore_at: AwareDatetime | None = None


@REGISTRY.register("OutageRestored", 1, TOPICS.tickets)
class OutageRestored(Payload):
    """The incident is over; the restore notice is also timed (TT-8.6)."""

    incident_id: uuid.UUID
    actor: str
    role: Role
    restored_at: AwareDatetime
    notice_at: AwareDatetime
    note: str | None = None


@REGISTRY.register("TicketLinkedToIncident", 1, TOPICS.tickets)
class TicketLinkedToIncident(HumanAct):
    """§7: this ticket is one of the mass incident's tickets."""

    incident_id: uuid.UUID


@REGISTRY.register("DuplicateReportLinked", 1, TOPICS.tickets)
class DuplicateReportLinked(HumanAct):
    """GX-5.3.1: a repeat report of the same fault, linked to this open ticket instead of a new one."""

    channel: Channel
    caller_phone: str | None = None
    description: str | None = None


@REGISTRY.register("ResolvedAtFirstContact", 1, TOPICS.tickets)
class ResolvedAtFirstContact(HumanAct):
    """一次解决: the agent solved it on the call; the ticket closes without dispatch."""

    solution: str


@REGISTRY.register("CallRecordingAttached", 1, TOPICS.tickets)
class CallRecordingAttached(HumanAct):
    """CT-3.3.1: a call-recording reference kept as evidence."""

    recording_ref: str
